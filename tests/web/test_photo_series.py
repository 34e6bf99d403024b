"""Results on all photos of a visit, over HTTP, on SQLite and PostgreSQL: real photos, the
real analysis and simulation (no mocks)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from smpstudio._lru import Lru
from smpstudio.web import _photo_series
from tests.web.conftest import World, rid

PHOTOS = Path(__file__).parents[1] / "data" / "photos"


def _store(world: World, pid: int, name: str, view: str, day: int) -> int:
    data = (PHOTOS / name).read_bytes()
    taken = datetime(2030, 6, day, 10, 0, tzinfo=UTC)
    return world.a.records.add_photo(pid, data, kind="before", view=view, taken_at=taken).id


def test_results_on_all_photos_share_one_reading(
    world_on: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = world_on
    monkeypatch.setattr(_photo_series, "_RESULTS", Lru(8))  # this backend's pages, made here
    pid = world.new_patient()
    old = _store(world, pid, "eval/obama-2012-dim-warm.jpg", "front", 1)
    front = _store(world, pid, "virtual-head/yaw0-pitch0.jpg", "front", 10)
    turned = _store(world, pid, "virtual-head/yaw35-pitch0.jpg", "three-quarter", 10)
    c = world.as_role("practitioner")
    record = c.get(f"/studio/patients/{rid(world_on, pid)}").text
    assert (
        f'href="/studio/patients/{rid(world_on, pid)}/photos/series">Results on all photos'
        in record
    )

    page = c.get(f"/studio/patients/{rid(world_on, pid)}/photos/series")
    assert page.status_code == 200, page.text
    text = page.text
    # the latest visit (10 June): its two photos, one reading, before and after of each
    front_t, turned_t, old_t = (rid(world, photo) for photo in (front, turned, old))
    assert f'href="?photos={front_t},{turned_t}" aria-current="page"' in text
    assert f'href="?photos={old_t}"' in text
    assert "One reading for all 2 photos" in text
    assert "from photo 1, 2" in text
    assert "mm above the glabella (design, as photo 1 sees it)" in text
    assert len(re.findall(r'src="data:image/jpeg;base64,', text)) == 4
    assert "the face is turned" in text
    assert "disagree" not in text

    # opened again: the same page from the results kept, nothing simulated again
    calls: list[int] = []

    def counted(*args: Any) -> Any:
        calls.append(1)
        return real(*args)

    real = _photo_series.series_results
    monkeypatch.setattr(_photo_series, "series_results", counted)
    assert c.get(f"/studio/patients/{rid(world_on, pid)}/photos/series").text == text
    assert calls == []

    # chosen photos: a dim warm photo of someone else disagrees, and the page says so
    mixed = c.get(
        f"/studio/patients/{rid(world_on, pid)}/photos/series?photos={old_t},{front_t}"
    ).text
    assert "skin readings disagree — different light, or a different person?" in mixed
    assert "Its reading was left out." in mixed
    assert calls == [1]  # a new choice of photos is simulated


def test_bad_choices_are_refused_in_one_line(world: World) -> None:
    pid = world.new_patient()
    c = world.as_role("practitioner")
    empty = c.get(f"/studio/patients/{rid(world, pid)}/photos/series")
    assert empty.status_code == 200
    assert "No photos yet" in empty.text
    r = c.get(f"/studio/patients/{rid(world, pid)}/photos/series?photos=1;2")
    assert r.status_code == 422
    assert "Photos must be the page&#39;s photo tokens separated by commas" in r.text
    other = world.new_patient()
    theirs = _store(world, other, "virtual-head/yaw0-pitch0.jpg", "front", 3)
    r = c.get(f"/studio/patients/{rid(world, pid)}/photos/series?photos={rid(world, theirs)}")
    assert r.status_code == 422
    assert "A photo chosen is not among this client" in r.text
    r = c.get(f"/studio/patients/{rid(world, pid)}/photos/series?photos=1,2,3,4,5,6,7")
    assert r.status_code == 422
    assert "at most 6 photos" in r.text
    assert world.as_role("practitioner", clinic="b").get(
        f"/studio/patients/{rid(world, pid)}/photos/series"
    ).status_code in (403, 404)
    assert world.as_role("front-desk").get(
        f"/studio/patients/{rid(world, pid)}/photos/series"
    ).status_code in (
        403,
        404,
    )
