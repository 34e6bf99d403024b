"""The command line: outputs, one-line errors, nothing half-written, determinism."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from smpstudio._clock import Clock
from smpstudio.cli import main

REQUIRED = {"inputs", "scalp_area_cm2", "areas_cm2", "hairline", "landmarks_mm", "density_per_cm2"}


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_design_writes_json_and_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(
        [
            "design",
            "--pattern",
            "norwood-5",
            "--hairline",
            "broken",
            "--hairline-height-cm",
            "7.5",
            "--scar",
            "fut:width=2",
            "--seed",
            "3",
            "--out",
            str(tmp_path),
        ],
        capsys,
    )
    assert code == 0, err
    data = json.loads((tmp_path / "design.json").read_text())
    assert set(data) >= REQUIRED
    assert data["inputs"]["pattern"] == "norwood-5"
    assert data["inputs"]["hairline_height_cm"] == 7.5
    assert data["inputs"]["scars"] == ["fut:width=2"]
    assert set(data["areas_cm2"]) >= {"bald", "thinning", "hair"}
    assert data["hairline"]["style"] == "broken"
    assert data["hairline"]["height_cm"] == 7.5
    assert all(len(p) == 3 for p in data["hairline"]["polyline_mm"])
    assert {
        "glabella",
        "vertex",
        "tragion_left",
        "tragion_right",
        "occipital_protuberance",
        "nape",
        "temporal_point_left",
        "temporal_point_right",
    } <= set(data["landmarks_mm"])
    assert data["density_per_cm2"]["full"] == 80.0
    assert data["density_per_cm2"]["sessions"] == [48.0, 72.0, 80.0]
    assert sum(data["areas_cm2"][k] for k in ("bald", "thinning", "hair")) == pytest.approx(
        data["scalp_area_cm2"], abs=0.05
    )
    with Image.open(tmp_path / "chart.png") as chart:
        assert chart.format == "PNG"
        assert chart.size[0] >= 1600
    assert "impressions" in out
    assert "wrote" in out


def test_same_inputs_same_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "design",
        "--pattern",
        "norwood-4",
        "--hairline",
        "soft",
        "--seed",
        "11",
        "--scar",
        "fue:count=300",
    ]
    for name in ("a", "b"):
        assert _run([*args, "--out", str(tmp_path / name)], capsys)[0] == 0
    for file in ("design.json", "chart.png"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--pattern", "norwood-8", "--hairline", "soft"], "unknown pattern 'norwood-8'"),
        (
            ["--pattern", "norwood-5", "--hairline", "soft", "--hairline-height-cm", "11.01"],
            "between 5 and 11 cm",
        ),
        (
            ["--pattern", "norwood-5", "--hairline", "soft", "--hairline-height-cm", "4.99"],
            "between 5 and 11 cm",
        ),
        (["--pattern", "norwood-5", "--hairline", "wavy"], "unknown hairline style"),
        (
            ["--pattern", "norwood-5", "--hairline", "soft", "--scar", "fut:width=abc"],
            "width must be a number",
        ),
        (["--pattern", "norwood-5", "--hairline", "soft", "--scar", "tattoo"], "unknown kind"),
        (["--pattern", "norwood-5", "--hairline", "soft", "--head", "XL"], "S, M or L"),
        (["--pattern", "norwood-5", "--hairline", "soft", "--breadth-mm", "250"], "breadth_mm=250"),
        (
            ["--pattern", "norwood-5", "--hairline", "soft", "--set", "density_full_per_cm2=151"],
            "outside its range",
        ),
        (
            ["--pattern", "norwood-5", "--hairline", "soft", "--set", "colour=red"],
            "unknown setting",
        ),
        (
            ["--pattern", "norwood-5", "--hairline", "soft", "--sessions", "0.9,0.6,1"],
            "must increase",
        ),
        (["--pattern", "norwood-5", "--hairline", "soft", "--areata", "1,2"], "X,Y,Z,RADIUS"),
        (
            ["--pattern", "norwood-5", "--hairline", "soft", "--seed", "x"],
            "'x' is not a valid integer",
        ),
        (["--pattern", "norwood-5"], "Missing option '--hairline'"),
        (
            ["--pattern", "ludwig-2", "--hairline", "soft", "--hair-length-mm", "300.5"],
            "hair length 300.5 mm is outside 0–300 mm: give 0 for a shaved head",
        ),
        (
            ["--pattern", "ludwig-2", "--hairline", "soft", "--hair-length-mm", "-1"],
            "outside 0–300 mm",
        ),
        (
            ["--pattern", "ludwig-2", "--hairline", "soft", "--hair-length-mm", "long"],
            "'long' is not a valid float",
        ),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    out_dir = tmp_path / "out"
    code, _, err = _run(["design", *args, "--out", str(out_dir)], capsys)
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("error: ")
    assert message in err
    assert not out_dir.exists()


def test_a_real_process_prints_no_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "smpstudio",
            "design",
            "--pattern",
            "bogus",
            "--hairline",
            "soft",
            "--out",
            str(tmp_path / "x"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: unknown pattern 'bogus'")
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_unwritable_output_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code, _, err = _run(
        ["design", "--pattern", "norwood-3", "--hairline", "soft", "--out", str(blocker / "sub")],
        capsys,
    )
    assert code == 1
    assert err.startswith("error: cannot write")


def test_demo_runs_on_the_defaults(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["demo", "--out", str(tmp_path)], capsys)
    assert code == 0
    names = {p.name for p in tmp_path.iterdir()}
    for view in ("front", "top", "three-quarter"):
        assert {f"before-{view}.png", f"after-{view}.png", f"fresh-{view}.png"} <= names
        assert f"year-5-{view}.png" in names
    assert {
        "design.json",
        "chart.png",
        "dots.csv",
        "plan.json",
        "plan.pdf",
        "aftercare.ics",
    } <= names
    with Image.open(tmp_path / "after-top.png") as image:
        assert image.size == (1024, 1024)
    assert "norwood-5" in out
    # The first session is the Monday at least a week after the clock's today (2030-06-12).
    assert "2030-06-24" in out
    assert str(Clock.from_env().today()) == "2030-06-12"


@pytest.mark.parametrize("command", ["settings", "heads", "--version", "--help"])
def test_informational_commands(capsys: pytest.CaptureFixture[str], command: str) -> None:
    code, out, _ = _run([command], capsys)
    assert code == 0
    assert out.strip()


def test_dots_writes_csv_and_stencils(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(
        [
            "dots",
            "--pattern",
            "norwood-5",
            "--hairline",
            "soft",
            "--scar",
            "fut",
            "--skin",
            "#a07e56",
            "--hair-color",
            "black",
            "--seed",
            "2",
            "--out",
            str(tmp_path),
        ],
        capsys,
    )
    assert code == 0, err
    rows = (tmp_path / "dots.csv").read_text().splitlines()
    assert rows[0] == "x_mm,y_mm,z_mm,session,zone,diameter_mm,needle,dilution"
    sessions = {row.split(",")[3] for row in rows[1:]}
    assert sessions == {"1", "2", "3"}
    zones = {row.split(",")[4] for row in rows[1:]}
    assert {"body", "transition", "scar"} <= zones
    for k in (1, 2, 3):
        assert (tmp_path / f"stencil-session-{k}.svg").read_text().startswith("<svg")
    assert "enhancement" in out
    assert "cumulative" in out
    design = json.loads((tmp_path / "design.json").read_text())
    assert abs(len(rows) - 1 - design["impressions_estimate"]["total"]) < 0.01 * len(rows)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--skin", "#12345"], "malformed colour"),
        (["--hair-color", "purple"], "hair"),
        (["--dilution-table", "/nonexistent/table.json"], "table"),
    ],
)
def test_dots_bad_colour_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    out_dir = tmp_path / "out"
    code, _, err = _run(
        ["dots", "--pattern", "norwood-5", "--hairline", "soft", *args, "--out", str(out_dir)],
        capsys,
    )
    assert code == 2
    assert err.startswith("error: ")
    assert err.count("\n") == 1
    assert message in err
    assert not out_dir.exists()


def test_load_design_round_trips_and_refuses_foreign_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import smpstudio

    assert (
        _run(
            [
                "design",
                "--pattern",
                "norwood-6",
                "--hairline",
                "defined",
                "--scar",
                "fue:count=200",
                "--head",
                "L",
                "--seed",
                "9",
                "--out",
                str(tmp_path),
            ],
            capsys,
        )[0]
        == 0
    )
    text = (tmp_path / "design.json").read_text()
    assert smpstudio.load_design(tmp_path / "design.json").to_json() == text
    (tmp_path / "other.json").write_text('{"hello": 1}')
    with pytest.raises(smpstudio.InputError, match="not a smpstudio design"):
        smpstudio.load_design(tmp_path / "other.json")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(smpstudio.InputError, match="not readable JSON"):
        smpstudio.load_design(tmp_path / "broken.json")
    with pytest.raises(smpstudio.InputError, match="does not exist"):
        smpstudio.load_design(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("args", "length"),
    [
        (["--pattern", "ludwig-2"], 150.0),
        (["--pattern", "diffuse"], 150.0),
        (["--pattern", "ludwig-2", "--hair-length-mm", "0"], 0.0),
        (["--pattern", "norwood-4"], 0.0),
        (["--pattern", "norwood-4", "--hair-length-mm", "25"], 25.0),
    ],
)
def test_design_records_the_hair_length(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], length: float
) -> None:
    code, out, err = _run(["design", *args, "--hairline", "soft", "--out", str(tmp_path)], capsys)
    assert code == 0, err
    design = json.loads((tmp_path / "design.json").read_text())
    assert design["inputs"]["hair_length_mm"] == length
    assert (f"hair {length:g} mm" in out) == (length > 0)


def test_simulate_renders_the_part_view_of_long_hair(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["simulate", "--pattern", "ludwig-2", "--hairline", "soft", "--views", "part,top"]
    code, _, err = _run([*args, "--size", "96", "--out", str(tmp_path)], capsys)
    assert code == 0, err
    for name in ("before-part.png", "after-part.png", "before-top.png", "after-top.png"):
        with Image.open(tmp_path / name) as image:
            assert image.size == (96, 96)


def test_women_are_shown_the_parting_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["simulate", "--pattern", "diffuse", "--hairline", "soft", "--size", "64"]
    code, _, err = _run([*args, "--out", str(tmp_path)], capsys)
    assert code == 0, err
    names = {p.name for p in tmp_path.iterdir() if p.suffix == ".png"}
    assert {f"after-{v}.png" for v in ("part", "front", "top")} <= names
    assert "after-three-quarter.png" not in names


def test_an_unknown_hair_colour_names_the_allowed_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["simulate", "--pattern", "ludwig-2", "--hairline", "soft", "--hair-color", "auburn"]
    code, _, err = _run([*args, "--out", str(tmp_path / "out")], capsys)
    assert code == 2
    assert err.count("\n") == 1
    for allowed in ("#rrggbb", "black", "dark-brown", "brown", "blond", "grey", "white"):
        assert allowed in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--head-morph", "elf=1"], "unknown head morph 'elf': choose from african"),
        (["--head-morph", "asian=2"], "head morph asian=2 is outside 0–1"),
        (["--head-morph", "asian"], "--head-morph 'asian' is not NAME=WEIGHT (weight 0–1)"),
        (["--age", "12"], "age 12 years is outside 18–90 years"),
    ],
)
def test_design_refuses_bad_face_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: list[str], message: str
) -> None:
    out_dir = tmp_path / "d"
    args = ["design", "--pattern", "norwood-3", "--hairline", "soft", "--out", str(out_dir)]
    code, _, err = _run([*args, *option], capsys)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert not out_dir.exists()
