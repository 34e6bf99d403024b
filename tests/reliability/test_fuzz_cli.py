"""Fuzz: the command line's options (issue 9, item 1).

Argument vectors for ``design``, ``dots``, ``simulate``, ``plan``, ``skin``, ``analyze`` and
``db`` mix valid values with hostile ones (NaN and infinity as text, overflow, negative and
huge numbers, unicode, empty strings, unknown options, paths that do not exist or are
folders). Every run must end with status 0, or status 2 and exactly one ``error: …`` line;
never a traceback, and nothing in ``--out`` when it failed.

The commands that design, place and render (seconds per valid run on this machine) always
carry at least one value that must be refused, so the budget goes to the refusals; their
valid paths are covered by tests/test_cli.py. ``skin``, ``analyze`` and ``db`` are cheap and
get fully random vectors.
"""

from __future__ import annotations

import atexit
import json
import math
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from PIL import Image

import smpstudio

from ._fuzz import HOSTILE_TEXT, NUMBER_TEXT, assert_clear_failure, budget, run_cli

SECONDS_PER_RUN = 90.0  # generous: the machine is shared; a hang is minutes

# --- the options of the design commands, each with cheap valid values ---

DESIGN_VALID: dict[str, list[str]] = {
    "--hairline-height-cm": ["5", "8", "11", "7.25"],
    "--hairline-rule": ["fixed", "thirds", "original"],
    "--hairline-shape": ["rounded", "flat", "widows-peak", "original"],
    "--hairline-profile": ["0.2,0.45,0.75", "-0.3,0,1.3"],
    "--temporal-rise-mm": ["0", "20", "35"],
    "--head": ["S", "M", "L", "m"],
    "--circumference-mm": ["480", "570", "660"],
    "--breadth-mm": ["125", "150"],
    "--scar": ["fut", "fut:width=3", "fue:count=50", "line:width=3:points=0,75,-60;25,70,-62"],
    "--areata": ["0,80,-40,12"],
    "--density": ["40", "80"],
    "--sessions": ["standard", "liu-2025", "0.6,0.9,1"],
    "--set": ["density_full_per_cm2=70"],
    "--seed": ["0", "7", "-1", "4294967295"],
}
COLOUR_VALID: dict[str, list[str]] = {
    "--skin": ["#d7bd96", "a07e56", "#FFFFFF"],
    "--hair-color": ["black", "dark-brown", "#202020", "grey"],
}
SIMULATE_VALID: dict[str, list[str]] = {
    "--views": ["top", "front"],
    "--size": ["64", "96"],
    "--state": ["fresh", "year-3"],
}

# Values each of which the command must refuse whatever else it is given.
DESIGN_REFUSED: list[tuple[str, str]] = [
    ("--pattern", "norwood-8"),
    ("--pattern", "Ｎｏｒｗｏｏｄ-５"),
    ("--pattern", ""),
    ("--pattern", "norwood-5\x00"),
    ("--hairline", "wavy"),
    ("--hairline", ""),
    ("--hairline-height-cm", "nan"),
    ("--hairline-height-cm", "inf"),
    ("--hairline-height-cm", "-inf"),
    ("--hairline-height-cm", "1e309"),
    ("--hairline-height-cm", "4.99"),
    ("--hairline-height-cm", "11.01"),
    ("--hairline-height-cm", "٣"),
    ("--hairline-rule", "golden"),
    ("--hairline-shape", "star"),
    ("--hairline-profile", "1,2"),
    ("--hairline-profile", "nan,0.5,0.5"),
    ("--hairline-profile", "2,2,2"),
    ("--temporal-rise-mm", "nan"),
    ("--temporal-rise-mm", "-1"),
    ("--temporal-rise-mm", "1e309"),
    ("--head", "XL"),
    ("--head", ""),
    ("--circumference-mm", "nan"),
    ("--circumference-mm", "0"),
    ("--circumference-mm", "-570"),
    ("--circumference-mm", "1e309"),
    ("--vertex-height-mm", "inf"),
    ("--face-height-mm", "1e6"),
    ("--scar", "tattoo"),
    ("--scar", ""),
    ("--scar", "fut:width=nan"),
    ("--scar", "fut:width=inf"),
    ("--scar", "fut:width=1e309"),
    ("--scar", "fut:width=2:width=3"),
    ("--scar", "fue:count=2.5"),
    ("--scar", "fue:count=1e9"),
    ("--scar", "line:width=3"),
    ("--scar", "line:width=3:points=0,0,0;0,0,0"),
    ("--scar", "line:width=3:points=0,-80,100;0,-90,100"),  # on the face
    ("--scar", "line:width=3:points=nan,75,-60;25,70,-62"),
    ("--scar", "line:width=3:points=" + ";".join(["0,75,-60"] * 1) + ""),
    ("--areata", "1,2"),
    ("--areata", "nan,80,-40,12"),
    ("--areata", "0,80,-40,1e309"),
    ("--areata", "0,0,0,12"),
    ("--areata", "0,-200,200,12"),
    ("--density", "nan"),
    ("--density", "-1"),
    ("--density", "1e309"),
    ("--density", "151"),
    ("--sessions", "0.9,0.6,1"),
    ("--sessions", "nan,1"),
    ("--sessions", ""),
    ("--sessions", "0,0,0"),
    ("--set", "colour=red"),
    ("--set", "nothing"),
    ("--set", "density_full_per_cm2=nan"),
    ("--set", "density_full_per_cm2=inf"),
    ("--set", "session_fractions=[1,2]"),
    ("--seed", "x"),
    ("--seed", "1.5"),
    ("--seed", ""),
    ("--seed", "nan"),
    ("--no-such-option", "1"),
]
COLOUR_REFUSED: list[tuple[str, str]] = [
    ("--skin", "red"),
    ("--skin", "#12345"),
    ("--skin", "#1234567"),
    ("--skin", "#ggg000"),
    ("--skin", ""),
    ("--skin", "＃ａ０７ｅ５６"),
    ("--hair-color", "purple"),
    ("--hair-color", "#12"),
    ("--hair-color", ""),
    ("--dilution-table", "/nonexistent/table.json"),
]
SIMULATE_REFUSED: list[tuple[str, str]] = [
    ("--size", "63"),
    ("--size", "8193"),
    ("--size", "-1"),
    ("--size", "1e3"),
    ("--size", "99999999999999999999999"),
    ("--views", "sideways"),
    ("--views", ""),
    ("--views", ",,,"),
    ("--state", "year-21"),
    ("--state", "year--1"),
    ("--state", "old"),
    ("--start", "2027-13-01"),
    ("--start", "tomorrow"),
    ("--start", "99999-01-01"),
]


def _scratch(prefix: str) -> Path:
    """A temporary folder for the whole test process (removed when it ends)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def _options(valid: dict[str, list[str]]) -> st.SearchStrategy[list[str]]:
    """Some of the options, each with a valid or a hostile value."""
    pair = st.sampled_from(sorted(valid)).flatmap(
        lambda name: st.tuples(
            st.just(name), st.one_of(st.sampled_from(valid[name]), NUMBER_TEXT, HOSTILE_TEXT)
        )
    )
    return st.lists(pair, max_size=5).map(lambda pairs: [x for p in pairs for x in p])


@st.composite
def design_argv(draw: st.DrawFn, command: str) -> list[str]:
    refused = list(DESIGN_REFUSED)
    valid = dict(DESIGN_VALID)
    base = ["--pattern", draw(st.sampled_from(["norwood-3", "none", "ludwig-1", "norwood-5"]))]
    base += ["--hairline", draw(st.sampled_from(["soft", "broken", "medium", "defined"]))]
    if command in ("dots", "simulate"):
        refused += COLOUR_REFUSED
        valid |= COLOUR_VALID
    if command == "simulate":
        refused += SIMULATE_REFUSED
        valid |= SIMULATE_VALID
        base += ["--size", "64", "--views", "top"]
    extra = draw(_options(valid))
    bad = list(draw(st.sampled_from(refused)))  # last, so that it wins over an earlier one
    argv = [*base, *extra]
    if draw(st.booleans()):
        argv = argv[2:]  # and no --pattern either
    return [command, *argv, *bad]


def _check_refused(argv: list[str], out_dir: Path) -> None:
    code, out, err, seconds = run_cli([*argv, "--out", str(out_dir)])
    assert seconds < SECONDS_PER_RUN, (argv, seconds)
    assert_clear_failure(code, out, err)
    assert not out_dir.exists(), argv


@pytest.mark.parametrize("command", ["design", "dots", "simulate"])
@budget(25)
@given(data=st.data())
def test_design_commands_refuse_with_one_line(command: str, data: st.DataObject) -> None:
    argv = data.draw(design_argv(command))
    with tempfile.TemporaryDirectory() as tmp:
        _check_refused(argv, Path(tmp) / "out")


def test_a_wrong_hair_colour_is_refused_even_without_dots() -> None:
    # found by the full fuzz run: pattern "none" places no dot, so the colour was never read
    argv = ["dots", "--pattern", "none", "--hairline", "soft", "--hair-color", "purple"]
    with tempfile.TemporaryDirectory() as tmp:
        _check_refused(argv, Path(tmp) / "out")


def test_out_is_an_existing_file() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "file"
        target.write_text("keep me")
        code, out, err, _ = run_cli(
            ["design", "--pattern", "norwood-3", "--hairline", "soft", "--out", str(target)]
        )
        assert_clear_failure(code, out, err)
        assert target.read_text() == "keep me"


@pytest.mark.parametrize(
    "argv",
    [
        # found by the fuzz: click let os.stat's ValueError (embedded null byte) through
        ["analyze", "--", "photo.png\x00"],
        ["skin", "--dilution-table", "t\x00.json", "#a07e56"],
        ["plan", "--design", "d\x00.json", "--start", "2027-03-01", "--out", "x\x00"],
        # found by the fuzz: a name too long for a path was "cannot write", status 1
        ["skin", "--", "a" * 3000],
        # found by the fuzz: a file given as the backup folder was "cannot write", status 1
        ["db", "restore", "--db", "{tmp}/x.sqlite3", "--data-dir", "{tmp}", "{tmp}/file"],
    ],
)
def test_cli_regressions(argv: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "file").write_text("not a backup")
        code, out, err, _ = run_cli([a.replace("{tmp}", tmp) for a in argv])
        assert_clear_failure(code, out, err)


# --- skin: cheap, fully random ---


@st.composite
def skin_argv(draw: st.DrawFn, image: str) -> list[str]:
    subject = draw(
        st.one_of(
            st.sampled_from(["#a07e56", "a07e56", "#FFFFFF", "#000000", image, image + "x"]),
            HOSTILE_TEXT,
            st.from_regex(r"#?[0-9a-fA-F]{0,8}", fullmatch=True),
        )
    )
    options = draw(
        _options(
            {
                "--region": ["0,0,4,4", "1,1,2,2", "0,0,0,0", "-1,0,4,4", "0,0,99999,99999"],
                "--hair": ["black", "grey", "#202020"],
                "--dilution-table": ["/nonexistent.json", "/", "/dev/null", image],
            }
        )
    )
    return ["skin", *options, "--", subject]


@cache
def _tiny_image() -> str:
    folder = _scratch("smp-fuzz-cli-")
    path = folder / "skin.png"
    Image.new("RGB", (8, 6), "#a07e56").save(path)
    return str(path)


@budget(80)
@given(data=st.data())
@example(data=None)  # the plain colour
def test_skin_answers_or_refuses(data: st.DataObject | None) -> None:
    argv = ["skin", "#a07e56"] if data is None else data.draw(skin_argv(_tiny_image()))
    code, out, err, seconds = run_cli(argv)
    assert seconds < SECONDS_PER_RUN
    if code == 0:
        answer = json.loads(out)
        assert 0 <= answer["L"] <= 100
        assert -90 <= answer["ita"] <= 90
        assert 1 <= answer["monk"] <= 10
        assert all(math.isfinite(answer[k]) for k in ("L", "a", "b", "ita"))
        assert err == ""
    else:
        assert_clear_failure(code, out, err)


# --- analyze: hostile paths and options on a tiny photo ---


@st.composite
def analyze_argv(draw: st.DrawFn, folder: Path) -> list[str]:
    subject = draw(
        st.sampled_from(
            [
                str(folder / "tiny.png"),
                str(folder / "missing.jpg"),
                str(folder),
                str(folder / "empty.jpg"),
                str(folder / "text.jpg"),
                str(folder / "tiny.png") + "\x00",
                "",
            ]
        )
    )
    options = draw(
        _options(
            {
                "--view": ["frontal", "top", "left"],
                "--landmark": ["glabella=10,10", "left_pupil=1,1", "nose=1,1", "glabella=nan,1"],
                "--ipd-mm": ["63", "0", "-63", "nan"],
                "--mm-per-px": ["0.2", "0", "nan", "inf"],
                "--calibrate": ["0,0,10,0,20", "0,0,0,0,20", "1,2,3"],
                "--hairline-px": ["1,1;10,1", "1,1", "nan,1;2,2"],
                "--hairline-height-mm": ["70", "nan", "-5"],
                "--mask": ["hair=" + str(folder / "missing.png"), "sky=x", "hair"],
                "--polygon": ["hair=0,0;10,0;10,10", "hair=0,0", "nope=1,1;2,2;3,3"],
                "--brush": ["hair=3:1,1;5,5", "hair=-3:1,1", "hair=nan:1,1"],
                "--overlay": [str(folder / "o.png"), str(folder)],
            }
        )
    )
    return ["analyze", *options, "--", subject]


@cache
def _analyze_folder() -> Path:
    folder = _scratch("smp-fuzz-analyze-")
    Image.new("RGB", (48, 40), "#a07e56").save(folder / "tiny.png")
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "text.jpg").write_text("not a photo\n")
    return folder


@budget(25)
@given(data=st.data())
def test_analyze_answers_or_refuses(data: st.DataObject) -> None:
    argv = data.draw(analyze_argv(_analyze_folder()))
    code, out, err, seconds = run_cli(argv)
    assert seconds < SECONDS_PER_RUN
    if code == 0:
        assert isinstance(json.loads(out), dict)
    else:
        assert_clear_failure(code, out, err)


# --- plan: hostile design files and early options ---


@cache
def _plan_folder() -> Path:
    folder = _scratch("smp-fuzz-plan-")
    (folder / "design.json").write_text(
        smpstudio.design(pattern="norwood-3", hairline="soft").to_json()
    )
    (folder / "empty.json").write_text("")
    (folder / "list.json").write_text("[1, 2]")
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (folder / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    (folder / "other.json").write_text('{"schema": "smpstudio/design@1", "inputs": 5}')
    (folder / "folder.json").mkdir()
    return folder


PLAN_REFUSED: list[tuple[str, str]] = [
    ("--start", "2027-02-30"),
    ("--start", ""),
    ("--start", "2027-1-1"),
    ("--start", "٢٠٢٧-٠١-٠١"),
    ("--time", "25:00"),
    ("--time", "9"),
    ("--record", "x"),
    ("--record", "1@2027-99-99:body=80"),
    ("--set", "density_full_per_cm2=70"),
    ("--set", "nothing"),
    ("--sessions", "two"),
    ("--spacing-days", "x"),
    ("--trial", "--trial=maybe"),
]


@st.composite
def plan_argv(draw: st.DrawFn, folder: Path) -> list[str]:
    names = ["design.json", "empty.json", "list.json", "deep.json", "binary.json", "other.json"]
    design = draw(st.sampled_from([*names, "folder.json", "missing.json"]))
    argv = ["plan", "--design", str(folder / design), "--start", "2027-03-01"]
    argv += draw(
        _options(
            {
                "--clinic": ["Soho", "=HYPERLINK(1)", "a\r\nb"],
                "--client-name": ["Sam Lee", ""],
                "--reference": ["case 1", "\x00"],
                "--currency": ["USD", "XXX", "usd"],
                "--tz": ["Europe/London", "Mars/Phobos", "../../etc/passwd"],
            }
        )
    )
    if design == "design.json":  # a readable design: something early must be refused
        argv += list(draw(st.sampled_from(PLAN_REFUSED)))
    return argv


@budget(25)
@given(data=st.data())
@example(data=None)
def test_plan_refuses_hostile_designs_and_options(data: st.DataObject | None) -> None:
    folder = _plan_folder()
    argv = (
        ["plan", "--design", str(folder / "deep.json"), "--start", "2027-03-01"]
        if data is None
        else data.draw(plan_argv(folder))
    )
    with tempfile.TemporaryDirectory() as tmp:
        _check_refused(argv, Path(tmp) / "out")


# --- db: every subcommand with hostile URLs, files and folders ---


@st.composite
def db_argv(draw: st.DrawFn, folder: Path) -> list[str]:
    sub = draw(st.sampled_from(["upgrade", "check", "backup", "restore"]))
    db = draw(
        st.one_of(
            st.sampled_from(
                [
                    str(folder / "notdb.sqlite3"),
                    str(folder / "adir"),
                    str(folder / "missing.sqlite3"),
                    "postgresql://nobody@127.0.0.1:1/x",
                    "postgresql://",
                    "postgresql://%zz@/",
                    "mysql://x",
                    "sqlite:///" + str(folder / "a.sqlite3"),
                    "",
                ]
            ),
            HOSTILE_TEXT.filter(lambda t: "/" not in t and t.strip() not in ("", ".")),
        )
    )
    argv = ["db", sub, "--db", db, "--data-dir", str(folder / "data")]
    if sub in ("backup", "restore"):
        target = draw(st.sampled_from(["adir", "missing", "notdb.sqlite3", ""]))
        argv += ["--", str(folder / target) if target else ""]
    return argv


@budget(15)
@given(data=st.data())
def test_db_commands_refuse_with_one_line(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "notdb.sqlite3").write_text("hello")
        (folder / "adir").mkdir()
        argv = data.draw(db_argv(folder))
        # a bare word as --db is a SQLite file of that name in the working folder: keep the
        # working folder out of it by naming only files inside the temporary folder
        if not argv[3].startswith(("postgresql", "mysql", "sqlite", "/")) and argv[3]:
            argv[3] = str(folder / argv[3].replace("\x00", "0"))
        code, out, err, seconds = run_cli(argv)
        assert seconds < SECONDS_PER_RUN
        if code != 0:
            assert_clear_failure(code, out, err, unwritable_ok=True)


# --- the group itself ---


@budget(60)
@given(argv=st.lists(HOSTILE_TEXT, max_size=4))
def test_unknown_commands_and_junk(argv: list[str]) -> None:
    if argv and argv[0] in {"serve", "demo", "heads", "patterns", "settings"}:
        return
    code, out, err, _ = run_cli(argv)
    if code != 0:
        assert_clear_failure(code, out, err)
    assert "Traceback" not in out + err


def test_real_processes_print_no_traceback() -> None:
    """Three refusals through a real ``python -m smpstudio`` each (run side by side)."""
    cases = [
        ["design", "--pattern", "norwood-5", "--hairline", "soft", "--hairline-height-cm", "inf"],
        ["plan", "--design", "/nonexistent/design.json\x01", "--start", "2027-03-01"],
        ["skin", "--", "a" * 3000],
    ]
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = Path(tmp) / "out"
        running = [
            subprocess.Popen(
                [sys.executable, "-m", "smpstudio", *argv]
                + (["--out", str(out_dir)] if argv[0] in ("design", "plan") else []),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=tmp,
            )
            for argv in cases
        ]
        for proc in running:
            out, err = proc.communicate(timeout=300)
            assert_clear_failure(proc.returncode, out, err)
        assert not out_dir.exists()
