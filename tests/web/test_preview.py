"""The live preview: request checking and rounding, the draggable points' geometry against
the design itself, caching, and one render per browser tab."""

from __future__ import annotations

import functools
import io
import json
import operator

import numpy as np
import pytest
from PIL import Image

import smpstudio
from smpstudio import InputError
from smpstudio.render import frame_for
from smpstudio.web._preview import PreviewParams, handles, temporal_heights
from tests.web.conftest import World, csrf_of


def test_requests_are_checked_one_unit_over_each_limit_and_rounded() -> None:
    p = PreviewParams.parse(
        {"height_cm": 7.0123, "temporal_rise_mm": 12.3, "profile": [0.123, 0.5, 1.3]}
    )
    assert (p.height_cm, p.temporal_rise_mm, p.profile) == (7.0, 12.5, (0.12, 0.5, 1.3))
    PreviewParams.parse({"height_cm": 11.0, "temporal_rise_mm": 35, "profile": [-0.3, 0, 1.3]})
    for bad, message in [
        ({"height_cm": 11.01}, "outside 5–11"),
        ({"height_cm": 4.99}, "outside 5–11"),
        ({"temporal_rise_mm": 35.01}, "outside 0–35"),
        ({"profile": [-0.31, 0, 0]}, "outside -0.3–1.3"),
        ({"profile": [0, 0]}, "three numbers"),
        ({"pattern": "norwood-9"}, "unknown pattern"),
        ({"skin": "red"}, "#rrggbb"),
        ({"state": "year-21"}, "year-N"),
        ({"size": 700}, "use one of"),
        ({"size": 1025}, "outside 384–1024"),
        ({"hair": "green"}, "unknown hair colour"),
        ({"hair_length_mm": 300.6}, "outside 0–300"),
        ({"hair_length_mm": -1}, "outside 0–300"),
        ({"hair_length_mm": "long"}, "hair length"),
        ({"sex": "other"}, "unknown sex"),
        ({"age_years": 17}, "outside 18–90"),
    ]:
        with pytest.raises(InputError, match=message):
            PreviewParams.parse(bad)


@pytest.mark.parametrize(
    "inputs",
    [
        {"hairline_height_cm": 8.0},
        {"hairline_height_cm": 6.5, "temporal_rise_mm": 22.0},
        {"hairline_height_cm": 9.5, "hairline_profile": (0.1, 0.6, 1.1), "temporal_rise_mm": 10.0},
        {"hairline_height_cm": 7.0, "hairline_shape": "flat"},
    ],
)
def test_the_handles_sit_on_the_designed_hairline(inputs: dict) -> None:
    d = smpstudio.design(pattern="norwood-5", hairline="defined", seed=3, **inputs)
    geo = handles(d, 768)
    frame = frame_for(d.head.shape, "front", 768)
    cols, rows, _ = frame.project(
        np.array([d.hairline.mid_frontal_point, *d.hairline.temporal_points])
    )
    assert geo["mid"] == pytest.approx([cols[0], rows[0]], abs=0.06)
    assert functools.reduce(operator.iadd, geo["temporal"], []) == pytest.approx(
        [cols[1], rows[1], cols[2], rows[2]], abs=0.06
    )
    heights = dict(geo["height_rows"])
    assert heights[round(d.hairline.height_cm, 1)] == pytest.approx(rows[0], abs=0.2)
    # The rise table, read at the design's own rise, lands on its temporal points.
    rise = d.hairline.temporal_rise_mm
    y_t = temporal_heights(d, d.hairline.mid_frontal_point[1], np.array([rise]))[0]
    assert y_t == pytest.approx(d.hairline.temporal_points[1][1], abs=0.1)
    if "hairline_profile" in inputs:
        assert geo["shares"] == pytest.approx(list(inputs["hairline_profile"]), abs=0.01)
        assert geo["shape"] == "custom"


def test_a_drag_of_every_handle_maps_to_the_design_it_shows() -> None:
    """Moving the mid-frontal handle to a height's row gives that height, and so on."""
    d = smpstudio.design(pattern="norwood-4", hairline="soft", seed=1, hairline_height_cm=7.0)
    geo = handles(d, 768)
    table = dict(geo["height_rows"])
    moved = smpstudio.design(pattern="norwood-4", hairline="soft", seed=1, hairline_height_cm=9.0)
    assert handles(moved, 768)["mid"][1] == pytest.approx(table[9.0], abs=0.2)
    rises = dict(geo["rise_rows"])
    raised = smpstudio.design(
        pattern="norwood-4",
        hairline="soft",
        seed=1,
        hairline_height_cm=7.0,
        temporal_rise_mm=25.0,
        hairline_profile=geo["shares"],
    )
    assert handles(raised, 768)["temporal"][1][1] == pytest.approx(rises[25.0], abs=0.3)
    rows = {round(r[0], 2): r[1:] for r in geo["share_rows"]}
    bent = smpstudio.design(
        pattern="norwood-4",
        hairline="soft",
        seed=1,
        hairline_height_cm=7.0,
        temporal_rise_mm=geo["rise_mm"],
        hairline_profile=(0.5, 0.9, 1.2),
    )
    controls = handles(bent, 768)["controls"][3:]  # the left side
    assert [c[1] for c in controls] == pytest.approx(
        [rows[0.5][0], rows[0.9][1], rows[1.2][2]], abs=0.5
    )


def test_the_preview_endpoint_answers_a_jpeg_with_its_geometry(world: World) -> None:
    c = world.as_role("practitioner")
    token = csrf_of(c.get("/studio").text)
    body = {
        "pattern": "norwood-5",
        "hairline": "soft",
        "height_cm": 8.0,
        "state": "healed",
        "client": "tab1",
        "size": 384,
    }
    r = c.post("/studio/preview", json=body, headers={"x-csrf-token": token})
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/jpeg"
    assert r.headers["cache-control"] == "no-store"
    assert Image.open(io.BytesIO(r.content)).size == (384, 384)
    geo = json.loads(r.headers["x-smp-geometry"])
    assert geo["size"] == 384
    assert len(geo["controls"]) == 6
    assert geo["height_cm"] == 8.0
    lower = c.post(
        "/studio/preview", json={**body, "height_cm": 7.0}, headers={"x-csrf-token": token}
    )
    assert lower.content != r.content
    assert json.loads(lower.headers["x-smp-geometry"])["mid"][1] > geo["mid"][1]  # lower on screen
    bad = c.post("/studio/preview", json={**body, "height_cm": 12}, headers={"x-csrf-token": token})
    assert bad.status_code == 422
    assert "outside 5–11" in bad.json()["error"]
    top = c.post("/studio/preview", json={**body, "view": "top"}, headers={"x-csrf-token": token})
    assert "x-smp-geometry" not in top.headers
    blend = json.loads(r.headers["x-smp-blend"])  # how the healed scalp meets the hair
    assert blend["chart_ml_water"] == 4.0
    assert abs(blend["delta_L"]) <= 5
    assert blend["notice"] is None
    before = c.post(
        "/studio/preview", json={**body, "state": "before"}, headers={"x-csrf-token": token}
    )
    assert "x-smp-blend" not in before.headers


def test_the_zone_map_can_be_shown_over_the_preview(world: World) -> None:
    c = world.as_role("practitioner")
    token = csrf_of(c.get("/studio").text)
    body = {"pattern": "norwood-5", "view": "top", "client": "tab-z", "size": 384}
    plain = c.post("/studio/preview", json=body, headers={"x-csrf-token": token})
    tinted = c.post(
        "/studio/preview", json={**body, "zones": True}, headers={"x-csrf-token": token}
    )
    assert tinted.status_code == 200
    a = np.asarray(Image.open(io.BytesIO(plain.content)), dtype=np.float64)
    b = np.asarray(Image.open(io.BytesIO(tinted.content)), dtype=np.float64)
    assert a.shape == b.shape
    assert (b[..., 2] - a[..., 2]).max() > 40  # blue over the impressions on bald scalp
    assert np.abs(b - a).mean(axis=2)[:8, :8].max() < 3  # the background is left alone
    bad = c.post("/studio/preview", json={**body, "zones": "yes"}, headers={"x-csrf-token": token})
    assert bad.status_code == 422
    assert "zones must be true or false" in bad.json()["error"]


def test_a_stale_request_of_the_same_tab_is_dropped_without_rendering(world: World) -> None:
    service = world.app.state.studio.preview
    params = PreviewParams.parse({"height_cm": 6.0, "size": 384, "state": "before"})
    first = service.claim("tab-x")
    second = service.claim("tab-x")
    stale_before = service.stale
    assert service.render(params, client="tab-x", ticket=first) is None
    assert service.stale == stale_before + 1
    assert service.cached(params) is None  # nothing was computed for the stale one
    assert service.render(params, client="tab-x", ticket=second) is not None
    assert service.cached(params) is not None
    other = service.claim("tab-y")
    assert service.render(params, client="tab-y", ticket=other) is not None  # tabs are apart


def test_the_designer_keeps_a_womans_hair_and_honours_the_length_asked() -> None:
    """Ludwig: long hair by default, a buzz cut only when asked; the length is part of the
    design (its own cache key) and saved with it."""
    default = PreviewParams.parse({"pattern": "ludwig-2"})
    shaved = PreviewParams.parse({"pattern": "ludwig-2", "hair_length_mm": "0"})
    assert default.hair_length_mm is None
    assert shaved.hair_length_mm == 0.0
    assert default.design_key() != shaved.design_key()
    assert smpstudio.design(**default.design_inputs()).hair_length_mm == 150.0
    assert smpstudio.design(**shaved.design_inputs()).hair_length_mm == 0.0
    assert PreviewParams.parse({"pattern": "ludwig-2", "hair_length_mm": 300}).hair_length_mm == 300


def test_the_designer_draws_the_clients_face_and_saves_it() -> None:
    default = PreviewParams.parse({})
    older = PreviewParams.parse({"sex": "female", "age_years": "61.4"})
    assert (older.sex, older.age_years) == ("female", 61.0)
    assert default.design_key() != older.design_key()
    assert "face" not in json.loads(smpstudio.design(**default.design_inputs()).to_json())["inputs"]
    saved = json.loads(smpstudio.design(**older.design_inputs()).to_json())["inputs"]["face"]
    assert saved == {"sex": "female", "age_years": 61.0, "morphs": {}}
