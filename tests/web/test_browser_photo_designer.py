"""The designer on the client's photo in Chromium: a dragged point changes the after image,
painting works, axe-core finds nothing serious, and the page fits 390 px."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page

from tests.web.conftest import LiveServer, World, needs_chromium, rid
from tests.web.test_browser import _axe, _sign_in, _watch_csp

pytestmark = needs_chromium

PHOTOS = Path(__file__).resolve().parents[1] / "data" / "photos" / "eval"


def _designer_url(world: World, name: str) -> str:
    pid = world.new_patient()
    photo = world.a.records.add_photo(
        pid, (PHOTOS / name).read_bytes(), kind="before", view="front"
    ).id
    return f"/studio/patients/{rid(world, pid)}/photos/{rid(world, photo)}/designer"


def _renders(page: Page) -> int:
    return int(page.locator("#photo-designer").get_attribute("data-renders") or 0)


def _rendered_after(page: Page, count: int) -> None:
    page.wait_for_function(
        "(n) => Number(document.getElementById('photo-designer').dataset.renders) > n && "
        "document.getElementById('status').textContent.startsWith('Up to date')",
        arg=count,
        timeout=120_000,
    )


def _after_pixels(page: Page) -> list[int]:
    """The after image as the page shows it: its pixels, drawn on a canvas and summed in
    bands of rows (the page's own image; no request)."""
    sums: list[int] = page.evaluate(
        """() => {
          const img = document.getElementById('preview');
          const canvas = document.createElement('canvas');
          canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
          const ctx = canvas.getContext('2d');
          ctx.drawImage(img, 0, 0);
          const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
          const bands = new Array(32).fill(0);
          const row = 4 * canvas.width;
          for (let i = 0; i < data.length; i += 4) {
            const band = Math.floor((i / row) * 32 / canvas.height);
            bands[band] += data[i] + data[i + 1] + data[i + 2];
          }
          return bands;
        }"""
    )
    return sums


def test_dragging_a_point_changes_the_after_image(
    live: tuple[World, LiveServer], browser: Browser, shots: Path
) -> None:
    world, server = live
    url = _designer_url(world, "astronaut-shaved.jpg")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    refused = _watch_csp(page)
    _sign_in(page, server.url, world.a.staff["practitioner"], url)
    _rendered_after(page, 0)
    first = _after_pixels(page)
    # Drag the middle point 60 px down with the mouse.
    mid = page.locator("circle.handle.mid")
    box = mid.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    count = _renders(page)
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 7):
        page.mouse.move(x, y + 10 * step)
    page.mouse.up()
    _rendered_after(page, count)
    page.wait_for_function(
        "() => document.getElementById('status').textContent.startsWith('Up to date')",
        timeout=120_000,
    )
    assert _after_pixels(page) != first
    # Paint an area to keep untreated: the after image changes again.
    count = _renders(page)
    page.get_by_role("button", name="Keep untreated").click()
    stage = page.locator("#overlay").bounding_box()
    assert stage is not None
    cx, cy = stage["x"] + stage["width"] * 0.5, stage["y"] + stage["height"] * 0.2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 40, cy)
    page.mouse.up()
    _rendered_after(page, count)
    assert page.locator("#strokes path").count() == 1
    page.get_by_label("Before and after on one image").check()
    assert page.locator("#before-image").is_visible()
    page.locator("#stage").screenshot(path=str(shots / "photo-designer.png"))
    assert refused == [], refused
    # Saved and shown again when reopened.
    page.get_by_role("button", name="Save as version").click()
    page.get_by_text("saved (drawn on the photo)").wait_for()
    _rendered_after(page, 0)
    assert page.locator("#strokes path").count() == 1
    context.close()


def test_the_photo_designer_passes_axe_and_fits_390_px(
    live: tuple[World, LiveServer], browser: Browser, shots: Path
) -> None:
    world, server = live
    url = _designer_url(world, "congress-b001266.jpg")
    scan = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = scan.new_page()
    _sign_in(page, server.url, world.a.staff["practitioner"], url)
    _rendered_after(page, 0)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert _axe(page) == []
    page.screenshot(path=str(shots / "photo-designer-390.png"), full_page=True)
    scan.close()
