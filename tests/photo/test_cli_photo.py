"""``smpstudio analyze`` and the files of ``simulate --photo``, through the real entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from io import BytesIO

import numpy as np
import pytest
from PIL import Image

from smpstudio import PhotoError
from smpstudio.cli import main
from smpstudio.cli._photo import PHOTO_FILES, edits_from_options, photo_simulation_files

from .conftest import SHAVED, encoded, png_header_only

SKIN_KEYS = {
    "hex",
    "L",
    "a",
    "b",
    "ita",
    "ita_class",
    "monk",
    "monk_delta_e",
    "fitzpatrick_estimate",
    "fitzpatrick_note",
}


def _run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_analyze_prints_the_json_of_the_issue(tmp_path, astronaut, capsys):
    path = tmp_path / "client.jpg"
    path.write_bytes(encoded(astronaut, "JPEG", quality=95))
    overlay = tmp_path / "overlay.png"
    code, out, _ = _run(["analyze", str(path), "--overlay", str(overlay)], capsys)
    assert code == 0
    report = json.loads(out)
    assert report["image"] == {
        "width": 512,
        "height": 512,
        "view": "frontal",
        "format": "JPEG",
        "orientation_applied": 1,
        "metadata_removed": [],
    }
    names = {"glabella", "subnasale", "menton", "left_canthus", "right_canthus"}
    assert names <= set(report["landmarks_px"])
    assert all(len(p) == 2 for p in report["landmarks_px"].values())
    assert report["mm_per_px"] == pytest.approx(1.46, abs=0.03)
    assert report["hairline_proposal_px"]["rule"] == "thirds"
    assert len(report["hairline_proposal_px"]["polyline"]) > 20
    assert set(report["regions_px"]) == {
        "background",
        "face",
        "hair",
        "thinning",
        "scalp",
        "ears",
        "clothing",
    }
    assert sum(report["regions_px"].values()) == 512 * 512
    assert set(report["skin"]) >= SKIN_KEYS
    with Image.open(overlay) as drawn:
        assert drawn.size == (512, 512)


def test_skin_fields_match_the_skin_command(shaved_analysis, capsys):
    tone = shaved_analysis.skin
    code, out, _ = _run(["skin", tone.hex], capsys)
    assert code == 0
    by_skin = json.loads(out)
    mine = shaved_analysis.to_dict()["skin"]
    assert set(by_skin) - {"source"} <= set(mine)


def test_analyze_with_hand_edits(tmp_path, capsys):
    code, out, _ = _run(
        [
            "analyze",
            str(SHAVED),
            "--landmark",
            "menton=222,180",
            "--calibrate",
            "0,0,100,0,140",
            "--hairline-px",
            "190,60; 226,45; 262,60",
            "--polygon",
            "scalp=200,30;250,30;250,40;200,40",
        ],
        capsys,
    )
    assert code == 0
    report = json.loads(out)
    assert report["landmarks_px"]["menton"] == [222.0, 180.0]
    assert report["landmarks_source"]["menton"] == "manual"
    assert report["scale"]["source"] == "calibration"
    assert report["mm_per_px"] == pytest.approx(1.4)
    assert report["hairline_proposal_px"]["rule"] == "manual"


@pytest.mark.parametrize(
    ("name", "content", "args", "message"),
    [
        ("eps.jpg", b"%!PS-Adobe-3.0 EPSF-3.0\n", [], "EPS / PostScript file"),
        ("bomb.png", png_header_only(50_000, 50_000), [], "refused before decoding"),
        ("png.jpg", png_header_only(10, 10), [], "holds a PNG image but its name ends in"),
        ("a.jpg", None, ["--landmark", "chin=1,2"], "unknown landmark chin"),
        ("b.jpg", None, ["--landmark", "glabella"], "write NAME=X,Y"),
        ("c.jpg", None, ["--view", "sideways"], "unknown photo view"),
        ("d.jpg", None, ["--calibrate", "1,2"], "not x1,y1,x2,y2,mm"),
        ("e.jpg", None, ["--mask", "scalp=missing.png"], "no such file"),
    ],
    ids=["eps", "bomb", "extension", "landmark", "landmark-form", "view", "calibrate", "mask"],
)
def test_errors_are_one_line_and_exit_2(
    tmp_path, astronaut, capsys, name, content, args, message
):  # fmt: skip
    path = tmp_path / name
    path.write_bytes(content if content is not None else encoded(astronaut, "JPEG"))
    code, out, err = _run(["analyze", str(path), *args], capsys)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ")
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_missing_file(tmp_path, capsys):
    code, _, err = _run(["analyze", str(tmp_path / "none.heic")], capsys)
    assert code == 2
    assert "no such file" in err


def test_no_native_noise_on_stderr(tmp_path, astronaut):
    path = tmp_path / "client.png"
    path.write_bytes(encoded(astronaut, "PNG"))
    done = subprocess.run(
        [sys.executable, "-m", "smpstudio", "analyze", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert json.loads(done.stdout)["landmarks_px"]


class TestSimulateFiles:
    def test_three_pngs_deterministic_and_only_the_crown_changes(self, norwood6):
        files = photo_simulation_files(
            SHAVED, view="front", design=norwood6, skin=None, hair="brown", seed=4
        )
        assert tuple(files) == PHOTO_FILES
        before, after, both = (np.asarray(Image.open(BytesIO(files[n]))) for n in PHOTO_FILES)
        assert before.shape == after.shape == (512, 512, 3)
        assert both.shape == (512, 2 * 512 + 16, 3)
        changed = np.any(before != after, axis=2)
        assert changed[:100].sum() > 300
        assert not changed[100:].any()
        for data in files.values():
            assert b"tEXt" not in data
            assert b"eXIf" not in data
        again = photo_simulation_files(
            SHAVED, view="frontal", design=norwood6, skin=None, hair="brown", seed=4
        )
        assert again == files

    def test_options_and_states(self, norwood6):
        edits = edits_from_options(size=(512, 512), mm_per_px=1.2, ipd_mm=60.0)
        fresh = photo_simulation_files(
            SHAVED,
            view="frontal",
            design=norwood6,
            skin="#d7bd96",
            hair="black",
            state="fresh",
            session=1,
            edits=edits,
        )
        assert set(fresh) == set(PHOTO_FILES)
        with pytest.raises(PhotoError, match="state before is the photo itself"):
            photo_simulation_files(
                SHAVED, view="frontal", design=norwood6, skin=None, hair="brown", state="before"
            )


_SIMULATE = ["simulate", "--pattern", "norwood-6", "--hairline", "soft"]


def _flags(command: str) -> set[str]:
    import click

    from smpstudio.cli import cli

    found = cli.get_command(click.Context(cli), command)
    assert found is not None
    return {opt for p in found.params for opt in p.opts if opt.startswith("--")}


def test_photo_messages_suggest_only_options_that_exist():
    """Every option a photo error or note names is an option of both analyze and simulate."""
    import re
    from pathlib import Path

    import smpstudio.photo

    text = "".join(p.read_text() for p in Path(smpstudio.photo.__file__).parent.glob("*.py"))
    named = set(re.findall(r"--[a-z][a-z-]+", text))
    assert named >= {"--landmark", "--face", "--mm-per-px", "--calibrate", "--hairline-px"}
    for command in ("analyze", "simulate"):
        assert named <= _flags(command), (command, named - _flags(command))


def test_simulate_takes_the_corrections_of_analyze():
    corrections = _flags("analyze") - {"--view", "--overlay", "--help", "--hairline-height-mm"}
    assert corrections <= _flags("simulate")


def test_simulate_on_a_photo_with_corrections(tmp_path, capsys):
    out = tmp_path / "out"
    code, _, err = _run(
        [
            "simulate", "--pattern", "norwood-6", "--hairline", "soft", "--seed", "3",
            "--views", "top",
            "--size", "64", "--photo", str(SHAVED), "--landmark", "menton=222,180",
            "--calibrate", "0,0,100,0,140", "--polygon", "scalp=200,30;250,30;250,40;200,40",
            "--out", str(out),
        ],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    before, after = (
        np.asarray(Image.open(out / n)) for n in ("before-photo.png", "after-photo.png")
    )
    assert np.any(before[30:40, 200:250] != after[30:40, 200:250])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--landmark", "menton=1,2"], "--landmark correct a client photo: give it with --photo"),
        (["--face", "2", "--mm-per-px", "0.5"], "--face, --mm-per-px correct a client photo"),
    ],
)
def test_simulate_corrections_need_a_photo(tmp_path, capsys, args, message):
    out = tmp_path / "out"
    code, _, err = _run([*_SIMULATE, "--out", str(out), *args], capsys)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1
    assert not out.exists()


def test_simulate_face_out_of_range_is_one_line(tmp_path, capsys):
    code, _, err = _run(
        [*_SIMULATE, "--views", "top", "--size", "64", "--photo", str(SHAVED), "--face", "3",
         "--out", str(tmp_path / "o")],
        capsys,
    )  # fmt: skip
    assert code == 2
    assert "--face 3: the photo shows 1 face: leave --face out" in err
    assert not (tmp_path / "o").exists()


def test_simulate_says_why_the_after_photo_equals_the_before(tmp_path, astronaut, capsys):
    path = tmp_path / "full-hair.png"
    path.write_bytes(encoded(astronaut, "PNG"))
    code, _, err = _run(
        [*_SIMULATE, "--views", "top", "--size", "64", "--photo", str(path),
         "--polygon", "hair=0,0;512,0;512,512;0,512", "--out", str(tmp_path / "o")],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    assert "photo: the after photo is the same as the before: no bald or thinning scalp" in err
    before, after = (
        np.asarray(Image.open(tmp_path / "o" / n)) for n in ("before-photo.png", "after-photo.png")
    )
    assert np.array_equal(before, after)


def test_the_treated_scalp_is_visibly_darker_at_the_photos_scale(norwood6):
    """Healed dots follow the blending calibration (the body shade that gives bald scalp
    the tone of shaved hair): at the photo's own scale the treated scalp is darker by
    about what the calibration predicts for its skin, not by a fraction of a unit."""
    from smpstudio.colour import srgb_to_lab
    from smpstudio.photo import PhotoTreatment, analyze_photo, ingest_photo

    files = photo_simulation_files(SHAVED, view="frontal", design=norwood6, skin=None, hair="black")
    before, after = (
        srgb_to_lab(np.asarray(Image.open(BytesIO(files[n]))) / 255.0)[..., 0]
        for n in ("before-photo.png", "after-photo.png")
    )
    analysis = analyze_photo(ingest_photo(SHAVED), treatment=PhotoTreatment.from_design(norwood6))
    seg = analysis.segmentation
    # bald scalp behind the design's hairline (before it, on bald scalp below the line the
    # design draws, only the sentinels go)
    assert analysis.hairline is not None
    behind = analysis.hairline.signed_distance(seg.labels.shape, zoom=seg.zoom) > 0
    scalp = seg.mask("scalp") & behind
    assert scalp.shape == before.shape
    assert scalp.sum() > 500
    darker = float(before[scalp].mean() - after[scalp].mean())
    assert darker > 2.0, darker  # 2.8 measured (1.2 with the chart's shades)


def test_the_skin_read_on_the_photo_sets_the_design_and_the_plan(tmp_path, capsys):
    """Without --skin the client's photo decides the skin for everything: the virtual head,
    the impressions' dilutions and the plan, not only the photo (they used the default
    #d7bd96 before)."""
    out = tmp_path / "o"
    code, _, err = _run(
        [*_SIMULATE, "--views", "top", "--size", "64", "--photo", str(SHAVED),
         "--start", "2030-03-04", "--out", str(out)],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    from smpstudio.photo import analyze_photo, ingest_photo

    tone = analyze_photo(ingest_photo(SHAVED)).skin
    assert tone is not None
    assert f"skin tone read on the photo: {tone.hex} (Monk {tone.monk}" in " ".join(err.split())
    plan = json.loads((out / "plan.json").read_text())
    assert tone.hex in json.dumps(plan)  # the plan is for this client's skin
    assert "#d7bd96" not in json.dumps(plan)
    given, _, err = _run(
        [*_SIMULATE, "--views", "top", "--size", "64", "--photo", str(SHAVED),
         "--skin", "#d7bd96", "--out", str(tmp_path / "given")],
        capsys,
    )  # fmt: skip
    assert given == 0, err
    assert "skin tone read on the photo" not in err
