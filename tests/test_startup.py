"""The command line starts fast: heavy modules load only in the commands that use them.

(The start-up time itself is measured by ``make bench``, benchmarks/startup.py, not here.)
"""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from smpstudio.cli import cli
from smpstudio.cli._group import COMMANDS

HEAVY = ("numba", "scipy", "mediapipe", "cv2", "sqlalchemy", "reportlab")


def _loaded_after(code: str) -> set[str]:
    """Top-level packages a fresh interpreter holds after running ``code``."""
    probe = f"{code}\nimport sys\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return set(out.splitlines()[-1].split())


def test_importing_the_command_line_loads_no_heavy_module() -> None:
    loaded = _loaded_after("import smpstudio.cli")
    assert loaded & set(HEAVY) == set()
    assert "smpstudio" in loaded


def test_help_lists_every_command_without_loading_them() -> None:
    code = (
        "import contextlib, io\n"
        "from smpstudio.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])"
    )
    assert _loaded_after(code) & set(HEAVY) == set()


def test_measuring_a_colour_loads_no_numba_database_or_pdf_code() -> None:
    code = (
        "import contextlib, io\n"
        "from smpstudio.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['skin', '#c69c7a']) == 0"
    )
    assert _loaded_after(code) & {"numba", "sqlalchemy", "reportlab", "mediapipe", "cv2"} == set()


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_help_table_is_each_command_s_own(name: str) -> None:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    assert command.name == name
    assert command.callback is None or command.callback.__module__ == COMMANDS[name][0]
    listed = click.Command(name, help=COMMANDS[name][1]).get_short_help_str(limit=1000)
    assert command.get_short_help_str(limit=1000) == listed


def test_every_registered_command_is_in_the_help_table() -> None:
    for module in {m for m, _ in COMMANDS.values()}:
        __import__(module)
    assert set(cli.commands) == set(COMMANDS)
