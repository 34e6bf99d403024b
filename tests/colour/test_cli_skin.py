"""``smpstudio skin``: JSON on stdout, and exactly one error line with status 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smpstudio.cli import main
from tests.colour.conftest import halves, png_header_only, uniform, write_image

KEYS = {"L", "a", "b", "ita", "ita_class", "monk", "fitzpatrick_estimate"}


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def _json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    code, out, err = _run(args, capsys)
    assert code == 0, err
    assert err == ""
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


def _one_error_line(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code, out, err = _run(args, capsys)
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    return lines[0]


def test_skin_of_a_colour(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(["skin", "#a07e56"], capsys)
    assert set(data) >= KEYS | {"hex", "source", "fitzpatrick_note"}
    assert (data["L"], data["a"], data["b"]) == (55.14, 7.79, 26.74)
    assert data["ita"] == 10.88
    assert (data["ita_class"], data["monk"], data["fitzpatrick_estimate"]) == ("tan", 6, "IV")
    assert data["hex"] == "#a07e56"
    assert "approximate" in str(data["fitzpatrick_note"])


def test_hash_may_be_left_out(capsys: pytest.CaptureFixture[str]) -> None:
    assert _json(["skin", "a07e56"], capsys) == _json(["skin", "#A07E56"], capsys)


def test_skin_of_an_image_region(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_image(tmp_path / "scalp.png", halves((0xA0, 0x7E, 0x56), (0x29, 0x24, 0x20)))
    data = _json(["skin", str(path), "--region", "20,0,20,20"], capsys)
    assert data["monk"] == 10
    assert data["region"] == [20, 0, 20, 20]
    assert data["source"] == "image"
    assert _json(["skin", str(path), "--region", "0,0,20,20"], capsys)["monk"] == 6


@pytest.mark.parametrize(("name", "save"), [("s.jpg", {"quality": 95}), ("s.webp", {})])
def test_jpeg_and_webp(
    tmp_path: Path, name: str, save: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_image(tmp_path / name, uniform((0xD7, 0xBD, 0x96)), **save)
    data = _json(["skin", str(path)], capsys)
    assert data["monk"] == 5
    assert data["ita_class"] == "light"


def test_hair_adds_dilutions(capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(["skin", "#d7bd96", "--hair", "brown"], capsys)
    advice = data["dilution"]
    assert isinstance(advice, list)
    assert len(advice) == 5 * 3
    body = [a for a in advice if a["zone"] == "body"]
    assert [a["session"] for a in body] == [1, 2, 3]
    assert body[0]["ml_water"] >= body[-1]["ml_water"]
    assert body[-1]["ml_water"] == 5  # the chart: Monk 5, brown hair
    assert data["chart"]["monk"] == 5  # type: ignore[index]
    assert "[D]" in data["chart"]["source"]  # type: ignore[index]
    assert 2 <= float(data["touch_up_years"]) <= 6  # type: ignore[arg-type]


def test_clinic_table_changes_the_dilution(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "clinic.json"
    table.write_text(json.dumps({"chart": {"5": {"brown": 6}}}))
    data = _json(["skin", "#d7bd96", "--hair", "brown", "--dilution-table", str(table)], capsys)
    final_body = next(a for a in data["dilution"] if a["zone"] == "body" and a["session"] == 3)  # type: ignore[union-attr]
    assert final_body["ml_water"] == 6
    assert final_body["basis"] == "chart"
    assert data["chart"] == {"monk": 5, "body_ml_water": 6.0, "source": "clinic table clinic.json"}


def test_output_is_deterministic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_image(tmp_path / "s.png", uniform((0x82, 0x5C, 0x43)))
    first = _run(["skin", str(path), "--hair", "black"], capsys)
    assert _run(["skin", str(path), "--hair", "black"], capsys) == first


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["skin", "#12345"], "malformed colour"),
        (["skin", "#gggggg"], "malformed colour"),
        (["skin", "nowhere.png"], "neither a colour"),
        (["skin", "#a07e56", "--region", "0,0,5,5"], "applies to an image"),
        (["skin", "#a07e56", "--hair", "purple"], "one of black, dark-brown, brown, light-brown"),
        (["skin", "#a07e56", "--hair", "#12"], "malformed colour"),
        (["skin"], "Missing argument"),
    ],
)
def test_bad_input_gives_one_error_line(
    args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert fragment in _one_error_line(args, capsys)


def test_bad_files_give_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "notes.png"
    text.write_text("hello")
    assert "not a JPEG, PNG or WebP" in _one_error_line(["skin", str(text)], capsys)

    photo = write_image(tmp_path / "cut.png", uniform((1, 2, 3), (300, 300)))
    photo.write_bytes(photo.read_bytes()[:200])
    assert "damaged or truncated" in _one_error_line(["skin", str(photo)], capsys)

    bomb = png_header_only(tmp_path / "bomb.png", 100_000, 100_000)
    assert "refused before decoding" in _one_error_line(["skin", str(bomb)], capsys)

    big = png_header_only(tmp_path / "big.png", 9_000, 6_000)
    assert "50 MP limit" in _one_error_line(["skin", str(big)], capsys)

    small = write_image(tmp_path / "small.png", uniform((1, 2, 3)))
    line = _one_error_line(["skin", str(small), "--region", "30,20,20,20"], capsys)
    assert "reaches outside the 40×30 image" in line
    assert "empty" in _one_error_line(["skin", str(small), "--region", "0,0,0,3"], capsys)
    assert "malformed region" in _one_error_line(["skin", str(small), "--region", "1,2"], capsys)


def test_bad_table_gives_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = tmp_path / "clinic.json"
    table.write_text('{"session_strength": [1.0, 0.5]}')
    args = ["skin", "#a07e56", "--hair", "black", "--dilution-table", str(table)]
    assert "must not decrease" in _one_error_line(args, capsys)
    table.write_text('{"chart": {"5": {"brown": 12}}}')
    line = _one_error_line(args, capsys)
    assert "chart row 5 (Monk 5) gives brown hair 12 mL of water, more than row 4's 6 mL" in line
    args[-1] = str(tmp_path / "missing.json")
    assert "not found" in _one_error_line(args, capsys)
