"""``smpstudio simulate``: the files, same bytes twice, one-line errors with nothing written."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from PIL import Image

from smpstudio.cli import main
from smpstudio.cli._simulate import _pdf_images
from smpstudio.dots import CSV_HEADER
from smpstudio.render import sheet_layout

BASE = ["simulate", "--pattern", "norwood-3", "--hairline", "defined", "--size", "96"]


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_simulate_writes_views_states_dots_and_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")
    args = [*BASE, "--views", "top,left", "--state", "fresh", "--state", "year-3,year-8"]
    args += ["--start", "2027-02-01"]
    code, out, err = _run([*args, "--out", str(tmp_path / "a")], capsys)
    assert code == 0, err
    names = {p.name for p in (tmp_path / "a").iterdir()}
    for view in ("top", "left"):
        for prefix in ("before", "after", "fresh", "year-3", "year-8"):
            assert f"{prefix}-{view}.png" in names
            with Image.open(tmp_path / "a" / f"{prefix}-{view}.png") as image:
                assert image.size == (96, 96)
        with Image.open(tmp_path / "a" / f"sheet-{view}.png") as sheet:
            layout = sheet_layout(128)  # sheets are at least 128 px a view
            assert sheet.size == (layout.width, layout.height)
    assert "before-front.png" not in names
    assert {"design.json", "dots.csv", "plan.json", "plan.pdf", "aftercare.ics"} <= names
    files = {name: (tmp_path / "a" / name).read_bytes() for name in names}
    pdf_images = _pdf_images(files, ("top", "left"))
    assert [caption for caption, _ in pdf_images] == [
        "Before and after, healed (top view), and the scalp close up",
        "Before (left view)",
        "After, healed (left view)",
    ]
    assert pdf_images[0][1].width > 2 * pdf_images[0][1].height  # full width in the PDF
    rows = list(csv.reader(io.StringIO((tmp_path / "a" / "dots.csv").read_text())))
    assert ",".join(rows[0]) == CSV_HEADER
    plan = json.loads((tmp_path / "a" / "plan.json").read_text())
    assert plan["sessions"][0]["date"] == "2027-02-01"
    assert "impressions" in out
    assert "wrote" in out
    code, _, _ = _run([*args, "--out", str(tmp_path / "b")], capsys)
    assert code == 0
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_without_start_there_is_no_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run([*BASE, "--views", "back", "--out", str(tmp_path)], capsys)
    assert code == 0, err
    names = {p.name for p in tmp_path.iterdir()}
    assert {"before-back.png", "after-back.png", "dots.csv", "design.json"} <= names
    assert not names & {"plan.json", "plan.pdf", "aftercare.ics"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--views", "top,side"], "unknown view side"),
        (["--views", ","], "(none given)"),
        (["--size", "63"], "--size 63 px is outside 64–8192"),
        (["--size", "8193"], "--size 8193 px is outside 64–8192"),
        (["--state", "year-21"], "unknown state 'year-21'"),
        (["--state", "yesterday"], "unknown state"),
        (["--skin", "#12345"], "malformed colour"),
        (["--hair-color", "green"], "hair colour 'green'"),
        (["--start", "2027-02-30"], "--start"),
        (["--hairline-profile", "0.1,0.2"], "three numbers"),
        (["--hairline-profile", "a,b,c"], "not three numbers"),
        (["--temporal-rise-mm", "35.01"], "temporal rise"),
    ],
)
def test_bad_options_say_what_is_wrong_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    out_dir = tmp_path / "out"
    code, _out, err = _run([*BASE, *extra, "--out", str(out_dir)], capsys)
    assert code == 2
    assert err.startswith("error: ")
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert not out_dir.exists() or not any(out_dir.iterdir())


PHOTO = Path(__file__).parent.parent / "data" / "photos" / "astronaut-shaved.jpg"


def test_simulate_on_a_client_photo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [*BASE, "--views", "top", "--photo", str(PHOTO), "--view", "frontal"]
    code, _, err = _run([*args, "--out", str(tmp_path)], capsys)
    assert code == 0, err
    names = {p.name for p in tmp_path.iterdir()}
    assert {"before-photo.png", "after-photo.png", "side-by-side.png", "after-top.png"} <= names
    with (
        Image.open(tmp_path / "before-photo.png") as before,
        Image.open(tmp_path / "after-photo.png") as after,
    ):
        assert before.size == after.size
        assert before.tobytes() != after.tobytes()


def test_a_photo_that_is_not_an_image_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = tmp_path / "client.jpg"
    fake.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    out_dir = tmp_path / "out"
    code, _, err = _run([*BASE, "--photo", str(fake), "--out", str(out_dir)], capsys)
    assert code == 2
    assert err.startswith("error: ")
    assert not out_dir.exists()
