"""What the fuzz tests (issue 9, item 1) share: example budgets, hostile values, the CLI runner.

The default run (``make test``) keeps every family small; ``SMPSTUDIO_RELIABILITY_FULL=1``
(``make reliability``) multiplies the budgets. The Hypothesis profile loaded by
tests/conftest.py ("smpstudio", derandomized; "explore" draws new examples) stays the parent
of these settings.
"""

from __future__ import annotations

import contextlib
import io
import os
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from smpstudio.cli import main

FULL = os.environ.get("SMPSTUDIO_RELIABILITY_FULL") == "1"
T = TypeVar("T")


def budget(default: int, full: int | None = None) -> settings:
    """Hypothesis settings with ``default`` examples (``full`` under the full run)."""
    return settings(
        max_examples=(full or default * 10) if FULL else default,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        deadline=None,
    )


# Numbers as text: the edge of every parser (NaN, infinities, overflow, signs, unicode digits).
NUMBER_TEXT = st.sampled_from(
    [
        "nan",
        "NaN",
        "-nan",
        "inf",
        "-inf",
        "Infinity",
        "1e309",
        "-1e309",
        "1e-320",
        "0",
        "-0",
        "-1",
        "1e6",
        "99999999999999999999999999999",
        "0x10",
        "1_000",
        "٣",  # Arabic-Indic three
        "½",
        " 7 ",
        "7.",
        ".5",
        "",
        "  ",
        "abc",
        "1,5",
        "--1",
    ]
)
HOSTILE_TEXT = st.one_of(
    NUMBER_TEXT,
    st.sampled_from(
        [
            "",
            " ",
            "\t",
            "\n",
            "\r\n",
            "\x00",
            "--help-me",
            "-",
            "--",
            "=",
            ":",
            ";",
            ",",
            "'",
            '"',
            "\\",
            "%s%n",
            "{0}",
            "../../etc/passwd",
            "/dev/null",
            "/",
            "💈" * 5,
            "Ｎｏｒｗｏｏｄ-５",  # fullwidth
            "norwood-5\x00",
            "a" * 3000,
        ]
    ),
    st.text(max_size=40),
)


def run_cli(argv: Sequence[str]) -> tuple[int, str, str, float]:
    """Run ``smpstudio ARGV`` in this process: exit status, stdout, stderr, seconds."""
    out, err = io.StringIO(), io.StringIO()
    start = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue(), time.monotonic() - start


def assert_clear_failure(code: int, out: str, err: str, *, unwritable_ok: bool = False) -> None:
    """A refusal: status 2, exactly one ``error: …`` line on stderr, no traceback anywhere.

    With ``unwritable_ok``, also status 1 for ``error: cannot write …`` (what the command
    line answers when the operating system refuses a file, e.g. a name too long)."""
    assert "Traceback" not in out + err, err
    if unwritable_ok and code == 1:
        assert err.startswith("error: cannot write "), err
        code = 2
    assert code == 2, (code, err)
    assert err.startswith("error: "), err
    assert err.count("\n") == 1, err
    assert err.endswith("\n"), err
    assert len(err.strip()) > len("error: ") + 5, err


def attempt(
    call: Callable[[], T], errors: type[Exception] | tuple[type[Exception], ...]
) -> tuple[T | None, str | None]:
    """``(result, None)``, or ``(None, message)`` when ``call`` raised one of ``errors``
    (any other exception goes through and fails the test)."""
    try:
        return call(), None
    except errors as exc:
        return None, str(exc)


def assert_one_line(message: str | None) -> None:
    """An error message: not empty, one line."""
    assert message is not None
    assert message.strip(), message
    assert "\n" not in message, message
