"""Results on all photos in a real browser (Playwright, Debian's Chromium, uvicorn on
loopback) on a phone-sized screen (390 px): from the client's record to the page, before and
after of every photo of the visit with the shared reading; axe-core finds nothing, the page
does not scroll sideways, and the strict CSP refuses nothing (the images come inline)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import Browser

from tests.web.conftest import LiveServer, World, needs_chromium, rid
from tests.web.test_browser import _axe, _no_sideways_scroll, _sign_in, _watch_csp

pytestmark = needs_chromium

PHOTOS = Path(__file__).parents[1] / "data" / "photos"
PHONE = {"width": 390, "height": 844}


def test_results_on_all_photos_at_390_px(
    live: tuple[World, LiveServer], browser: Browser, shots: Path
) -> None:
    world, server = live
    records = world.a.records
    pid = world.new_patient()
    taken = datetime(2030, 6, 10, 10, 0, tzinfo=UTC)
    for name, view in (("yaw0-pitch0.jpg", "front"), ("yaw-35-pitch0.jpg", "three-quarter")):
        data = (PHOTOS / "virtual-head" / name).read_bytes()
        records.add_photo(pid, data, kind="before", view=view, taken_at=taken)
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    refused = _watch_csp(page)
    _sign_in(page, server.url, world.a.staff["practitioner"], f"/studio/patients/{rid(world, pid)}")
    page.get_by_role("link", name="Results on all photos").click()
    page.get_by_role("heading", name="One reading for all 2 photos").wait_for(timeout=120_000)
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("img", name="Photo 2 after, healed", exact=False).is_visible()
    _no_sideways_scroll(page)
    page.screenshot(path=str(shots / "photo-series-390.png"), full_page=True)
    assert refused == [], refused
    context.close()
    scan = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = scan.new_page()
    _sign_in(page, server.url, world.a.staff["practitioner"], f"/studio/patients/{rid(world, pid)}")
    page.goto(f"{server.url}/studio/patients/{rid(world, pid)}/photos/series", timeout=120_000)
    page.wait_for_load_state("networkidle")
    assert _axe(page) == []
    scan.close()
