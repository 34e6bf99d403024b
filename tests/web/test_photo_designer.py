"""The hairline designer on the client's own photo, over HTTP (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from smpstudio.photo._live import MAX_HAIRLINE_POINTS
from smpstudio.web._photo_service import (
    DENSITY_RANGE,
    MAX_STROKE_POINTS,
    MAX_STROKES,
    PhotoDesignParams,
)
from smpstudio.web._preview import stop_preview_processes
from tests.web.conftest import World, csrf_of, rid

EVAL = Path(__file__).resolve().parents[1] / "data" / "photos" / "eval"
BALD = EVAL / "astronaut-shaved.jpg"


def _upload(world: World, pid: int, path: Path, *, view: str | None = "front") -> int:
    return world.a.records.add_photo(pid, path.read_bytes(), kind="before", view=view).id


def _open(c: Any, pid: int, photo: int) -> tuple[str, dict[str, Any], str]:
    page = c.get(f"/studio/patients/{rid(c, pid)}/photos/{rid(c, photo)}/designer")
    assert page.status_code == 200, page.text
    text = page.text
    raw = text.split('data-initial="', 1)[1].split('"', 1)[0]
    initial = json.loads(raw.replace("&#34;", '"').replace("&quot;", '"'))
    return text, initial, csrf_of(text)


def _preview(c: Any, photo: int, token: str, body: Any) -> Any:
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return c.post(
        f"/studio/photos/{rid(c, photo)}/preview",
        content=data,
        headers={"content-type": "application/json", "x-csrf-token": token},
    )


def _pixels(jpeg: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_design_on_the_photo_previews_saves_and_reopens(world_on: World) -> None:
    world = world_on
    stop_preview_processes()  # none holds the photo yet (they are keyed by its content)
    c = world.as_role("practitioner")
    pid = world.new_patient()
    photo = _upload(world, pid, BALD)
    record = c.get(f"/studio/patients/{rid(world_on, pid)}").text
    assert f"/studio/patients/{rid(world_on, pid)}/photos/{rid(world_on, photo)}/designer" in record
    gallery = c.get(f"/studio/patients/{rid(world_on, pid)}/gallery").text
    assert (
        f"/studio/patients/{rid(world_on, pid)}/photos/{rid(world_on, photo)}/designer" in gallery
    )

    _text, initial, token = _open(c, pid, photo)
    assert len(initial["points"]) == 9
    assert initial["skin"].startswith("#")
    before = c.get(f"/studio/photos/{rid(world_on, photo)}/designer/before.jpg")
    assert before.status_code == 200
    assert before.headers["content-type"] == "image/jpeg"

    first = _preview(c, photo, token, {**initial, "client": "t1"})
    assert first.status_code == 200
    assert first.headers["content-type"] == "image/jpeg"
    service = world.app.state.studio.photo_designs
    if service.processes:  # more than one core: rendered in a preview process, sent the photo
        assert service.sent >= 1
    assert _pixels(first.content).shape == _pixels(before.content).shape
    # Deterministic: the same inputs give the same bytes (also when not from the cache).
    world.app.state.studio.photo_designs.images = type(world.app.state.studio.photo_designs.images)(
        4
    )
    again = _preview(c, photo, token, {**initial, "client": "t1"})
    assert again.content == first.content
    cached = _preview(c, photo, token, {**initial, "client": "t1"})
    assert cached.content == first.content
    assert "cpu;dur=" not in cached.headers["server-timing"]  # from the studio's cache
    # Lowering the middle of the line changes the after image.
    moved = json.loads(json.dumps(initial))
    moved["points"][4][1] += 40
    lower = _preview(c, photo, token, {**moved, "client": "t1"})
    assert lower.status_code == 200
    assert "cpu;dur=" in lower.headers["server-timing"]  # rendered for this request
    assert np.abs(_pixels(lower.content).astype(int) - _pixels(first.content)).sum() > 0

    painted = {
        **moved,
        "strokes": [{"mode": "remove", "radius": 30, "points": [[370, 200], [420, 200]]}],
    }
    r = c.post(
        f"/studio/patients/{rid(world_on, pid)}/photos/{rid(world_on, photo)}/designs",
        data={"csrf_token": token, "params": json.dumps(painted)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    design = world.a.records.designs(pid)[-1]
    assert r.headers["location"].endswith(
        f"/photos/{rid(world_on, photo)}/designer?version={design.version}"
    )
    saved = json.loads(design.content)["photo"]
    assert saved["photo_id"] == photo
    assert len(saved["sha256"]) == 64
    assert len(saved["hairline_px"]) == 9
    assert saved["strokes"][0]["mode"] == "remove"
    # Photo pixels: the astronaut is 512 px wide, the working image larger (enlarged).
    assert all(0 <= x <= 512 and 0 <= y <= 512 for x, y in saved["hairline_px"])

    _, reopened, _ = _open(c, pid, photo)
    assert reopened["strokes"][0]["mode"] == "remove"
    for a, b in zip(reopened["points"], moved["points"], strict=True):
        assert abs(a[0] - b[0]) <= 0.11
        assert abs(a[1] - b[1]) <= 0.11


def test_bad_input_is_one_clear_400(world: World) -> None:
    c = world.as_role("practitioner")
    pid = world.new_patient()
    photo = _upload(world, pid, BALD)
    _, initial, token = _open(c, pid, photo)
    width = initial and max(p[0] for p in initial["points"])
    assert width
    page = c.get(f"/studio/patients/{rid(world, pid)}/photos/{rid(world, photo)}/designer").text
    w = int(page.split('data-width="', 1)[1].split('"', 1)[0])
    h = int(page.split('data-height="', 1)[1].split('"', 1)[0])

    def refused(body: Any, words: str) -> None:
        r = _preview(c, photo, token, body)
        assert r.status_code == 400, (r.status_code, body if isinstance(body, str) else "")
        assert words.lower() in r.json()["error"].lower(), r.json()

    refused("{not json", "not JSON")
    refused("[1, 2]", "JSON object")
    refused({**initial, "points": [[w + 0.5, 10.0], [10.0, 10.0]]}, "outside")
    refused({**initial, "points": [[10.0, -0.5], [10.0, 10.0]]}, "outside")
    refused({**initial, "points": [[10.0, 10.0]] * (MAX_HAIRLINE_POINTS + 1)}, "at most")
    assert (
        _preview(
            c,
            photo,
            token,
            {**initial, "points": [[10.0, 10.0 + k] for k in range(MAX_HAIRLINE_POINTS)]},
        ).status_code
        == 200
    )
    refused({**initial, "points": [[10.0, 10.0]]}, "at least two")
    refused({**initial, "points": [["a", 1]] * 2}, "number")
    refused({**initial, "density": DENSITY_RANGE[1] + 1}, "density")
    refused({**initial, "style": "wavy"}, "style")
    refused({**initial, "skin": "pink"}, "skin")
    refused({**initial, "state": "before"}, "state")
    stroke = {"mode": "add", "radius": 5, "points": [[10.0, 10.0]]}
    refused({**initial, "strokes": [stroke] * (MAX_STROKES + 1)}, "at most")
    refused({**initial, "strokes": [{**stroke, "radius": 81}]}, "radius")
    refused({**initial, "strokes": [{**stroke, "mode": "erase"}]}, "mode")
    many = {"mode": "add", "radius": 5, "points": [[10.0, 10.0]] * (MAX_STROKE_POINTS + 1)}
    refused({**initial, "strokes": [many]}, "more than")
    assert h > 0


def test_a_photo_without_a_face_says_so(world: World, tmp_path: Path) -> None:
    c = world.as_role("practitioner")
    pid = world.new_patient()
    buffer = io.BytesIO()
    Image.new("RGB", (300, 400), (120, 130, 140)).save(buffer, "JPEG")
    photo = world.a.records.add_photo(pid, buffer.getvalue(), kind="before", view="front").id
    page = c.get(f"/studio/patients/{rid(world, pid)}/photos/{rid(world, photo)}/designer")
    assert page.status_code == 200
    assert 'id="refused"' in page.text
    assert "face" in page.text
    token = csrf_of(page.text)
    r = _preview(c, photo, token, {"points": [[1, 1], [2, 2]], "skin": "#a57257"})
    assert r.status_code == 400
    assert "face" in r.json()["error"]


def test_another_clinics_photo_is_not_found(world: World) -> None:
    pid_b = world.b.patient_id
    photo = world.b.records.add_photo(pid_b, BALD.read_bytes(), kind="before", view="front").id
    c = world.as_role("practitioner")
    token = csrf_of(c.get("/studio").text)
    r = _preview(c, photo, token, {"points": [[1, 1], [2, 2]], "skin": "#a57257"})
    assert r.status_code == 404
    pid = world.new_patient()
    assert (
        c.get(f"/studio/patients/{rid(world, pid)}/photos/{rid(world, photo)}/designer").status_code
        == 404
    )


def test_a_full_studio_lane_answers_503_with_retry_after(world: World) -> None:
    c = world.as_role("practitioner")
    pid = world.new_patient()
    photo = _upload(world, pid, BALD)
    _, initial, token = _open(c, pid, photo)
    lane = world.app.state.studio.studio_lane
    for _ in range(lane.slots):  # every heavy request the studio admits is taken
        lane._enter()
    try:
        moved = json.loads(json.dumps(initial))
        moved["points"][4][1] += 17
        r = _preview(c, photo, token, moved)
        assert r.status_code == 503
        assert int(r.headers["retry-after"]) >= 1
    finally:
        for _ in range(lane.slots):
            lane._leave()
    assert _preview(c, photo, token, moved).status_code == 200


def test_opening_the_designer_renders_its_first_image_ahead(world: World) -> None:
    """The page's opening sends the photo's analysis to a preview process and renders the
    page's first image there in the background: the page's first request finds it."""
    service = world.app.state.studio.photo_designs
    if not service.processes:
        pytest.skip("one core: no preview processes")
    stop_preview_processes()  # none holds the photo yet (they are keyed by its content)
    c = world.as_role("practitioner")
    pid = world.new_patient()
    photo = _upload(world, pid, BALD)
    sent = service.sent
    _, initial, token = _open(c, pid, photo)
    assert service.sent == sent + 1
    key = service.known(world.a.id, photo)
    assert key is not None
    live = service.lives.get(key)
    assert live is not None
    params = PhotoDesignParams.parse(initial, size=live.size)
    deadline = time.monotonic() + 300  # a wait, not a measure: the process may start first
    while service.cached(key, params) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    r = _preview(c, photo, token, {**initial, "client": "t1"})
    assert r.status_code == 200
    assert "cpu;dur=" not in r.headers["server-timing"]  # rendered ahead, from the cache
    _open(c, pid, photo)
    assert service.sent == sent + 1  # the process holds the photo: not sent again
