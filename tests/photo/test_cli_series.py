"""``smpstudio simulate`` with several ``--photo``, through the real entry point."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from smpstudio.cli import main

from .conftest import DATA
from .test_cli_photo import _flags

HEAD = DATA / "virtual-head"
_SIMULATE = ["simulate", "--pattern", "norwood-6", "--hairline", "soft", "--seed", "3"]
_SMALL = ["--views", "top", "--size", "64"]
_SERIES = ["before-photo-1.png", "after-photo-1.png", "before-photo-2.png", "after-photo-2.png"]
_SERIES += ["contact-sheet.png", "photo-series.json"]


def _run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_several_photos_one_result_set_byte_identical(tmp_path, capsys):
    photos = ["--photo", str(HEAD / "yaw0-pitch0.jpg"), "--photo", str(HEAD / "yaw35-pitch0.jpg")]
    outputs = []
    for name in ("a", "b"):
        out = tmp_path / name
        code, stdout, err = _run([*_SIMULATE, *_SMALL, *photos, "--out", str(out)], capsys)
        assert code == 0, err
        outputs.append({f: (out / f).read_bytes() for f in _SERIES})
    assert outputs[0] == outputs[1]
    assert not (tmp_path / "a" / "before-photo.png").exists()
    assert "photos: skin #" in stdout
    assert "photos: body shade" in stdout
    assert "photo 2: the face is turned" in stdout
    report = json.loads(outputs[0]["photo-series.json"])
    assert report["skin"]["from_photos"] == [1, 2]
    assert report["design"]["reference_photo"] == 1
    assert report["pigment"]["body_ml_water"] > 0
    assert [p["file"] for p in report["photos"]] == [photos[1], photos[3]]


def test_one_unreadable_photo_refuses_the_series(tmp_path, capsys):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a photo at all")
    out = tmp_path / "out"
    args = ["--photo", str(HEAD / "yaw0-pitch0.jpg"), "--photo", str(bad), "--out", str(out)]
    code, _, err = _run([*_SIMULATE, *_SMALL, *args], capsys)
    assert code == 2
    assert err.count("\n") == 1
    assert str(bad) in err
    assert "photo 2 of 2" in err
    assert not out.exists()


def test_views_are_one_for_all_or_one_per_photo(tmp_path, capsys):
    photo = str(HEAD / "yaw0-pitch0.jpg")
    args = ["--photo", photo, "--photo", photo, "--photo", photo]
    views = ["--view", "frontal", "--view", "top"]
    code, _, err = _run([*_SIMULATE, *_SMALL, *args, *views, "--out", str(tmp_path)], capsys)
    assert code == 2
    assert "2 --view for 3 --photo" in err
    assert err.count("\n") == 1


def test_series_messages_suggest_only_options_that_exist():
    import smpstudio.cli._series

    text = Path(smpstudio.cli._series.__file__).read_text()
    named = set(re.findall(r"--[a-z][a-z-]+", text))
    assert named >= {"--skin", "--view", "--photo"}
    assert named <= _flags("simulate"), named - _flags("simulate")


@pytest.mark.parametrize("view", ["sideways"])
def test_an_unknown_view_is_refused(tmp_path, capsys, view):
    photo = str(HEAD / "yaw0-pitch0.jpg")
    args = ["--photo", photo, "--photo", photo, "--view", view, "--out", str(tmp_path / "o")]
    code, _, err = _run([*_SIMULATE, *_SMALL, *args], capsys)
    assert code == 2
    assert view in err
    assert not (tmp_path / "o").exists()
