"""The before | after sheet: layout, labels, a close-up that shows single impressions, same
bytes, bad input refused."""

from __future__ import annotations

import io

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image

import smpstudio
from smpstudio import InputError
from smpstudio.colour import MONK_SWATCHES
from smpstudio.dots import Impressions, dilution_rule, place_impressions
from smpstudio.render import (
    CLOSE_UP_MM,
    Look,
    close_up_centre,
    frame_for,
    look_for,
    patch_base,
    render_sheet,
    sheet_layout,
)

SIZE = 384
HAIR = "dark-brown"


@pytest.fixture(scope="module")
def nw5() -> smpstudio.Design:
    return smpstudio.design(pattern="norwood-5", hairline="soft", seed=3)


def _client(d: smpstudio.Design, monk: int) -> tuple[Impressions, Look]:
    skin = MONK_SWATCHES[monk - 1]
    return place_impressions(d, dilution=dilution_rule(skin, HAIR)), look_for(skin, HAIR)


def _grey(image: Image.Image) -> np.ndarray:  # type: ignore[type-arg]
    return np.asarray(image.convert("RGB"), dtype=np.float64).mean(axis=2)


def _dark_minima(grey: np.ndarray) -> int:  # type: ignore[type-arg]
    """Pixels darker than all others within 3 px and 3 levels below that window's median."""
    window = sliding_window_view(np.pad(grey, 3, mode="edge"), (7, 7))
    low = (grey == window.min(axis=(2, 3))) & (grey < np.median(window, axis=(2, 3)) - 3.0)
    return int(low.sum())


def test_the_sheet_holds_before_after_labels_and_a_framed_close_up(nw5) -> None:  # type: ignore[no-untyped-def]
    dots, look = _client(nw5, 5)
    sheet = render_sheet(nw5, dots, look, view_name="front", size=SIZE)
    layout = sheet_layout(SIZE)
    assert sheet.size == (layout.width, layout.height)
    assert 2.4 * SIZE < layout.width < 2.8 * SIZE
    grey = _grey(sheet)
    for x, _ in (layout.before, layout.after):
        band = grey[: layout.label_h, x : x + SIZE // 2]
        assert (band < 80).sum() > 150  # "Before" / "After, healed" in dark type
    cx, cy = layout.close_up
    above_inset = grey[: layout.label_h, cx : cx + layout.inset]
    assert (above_inset < 80).sum() == 0
    frame = grey[cy - 1, cx : cx + layout.inset]  # inside the dark outline
    assert frame.min() > 250  # the white frame
    caption = grey[cy + layout.inset + layout.border :, cx : cx + layout.inset]
    assert (caption < 80).sum() > 100  # "close-up, about 30 cm away"


def test_the_close_up_shows_single_impressions_the_page_scale_does_not(nw5) -> None:  # type: ignore[no-untyped-def]
    """About one dark dot a healed impression in the close-up's patch; the same 20 mm on the
    page-scale view shows far fewer, and different pixels."""
    layout = sheet_layout(SIZE)
    for monk in (2, 5, 9):
        dots, look = _client(nw5, monk)
        sheet = render_sheet(nw5, dots, look, view_name="front", size=SIZE)
        cx, cy = layout.close_up
        rows = layout.inset * 3 // 4  # above the scale bar
        inset = _grey(sheet)[cy : cy + rows, cx : cx + layout.inset]
        expected = _impressions_in_patch(nw5, dots, look, rows / layout.inset)
        found = _dark_minima(inset)
        assert 0.7 * expected <= found <= 1.3 * expected, (monk, found, expected)
        page = _page_patch(nw5, dots, sheet, layout)
        assert _dark_minima(page) < 0.5 * found
        small = Image.fromarray(inset.astype(np.uint8)).resize(page.shape[::-1])
        assert np.abs(np.asarray(small, dtype=np.float64) - page).mean() > 1.0


def _impressions_in_patch(d: smpstudio.Design, dots: Impressions, look: Look, share: float) -> int:
    centre = close_up_centre(d, dots)
    up = np.asarray(frame_for(d.head.shape, "front", SIZE).view.up)
    frame = patch_base(d, look, centre=centre, width_mm=CLOSE_UP_MM, size=64, up=up).frame
    col, row, _ = frame.project(dots.positions)
    near = np.linalg.norm(dots.positions - centre, axis=1) < CLOSE_UP_MM
    inside = near & (col >= 0) & (col < 64) & (row >= 0) & (row < 64 * share)
    assert inside.sum() > 50  # the patch is treated
    return int(inside.sum())


def _page_patch(d: smpstudio.Design, dots: Impressions, sheet: Image.Image, layout) -> np.ndarray:  # type: ignore[no-untyped-def,type-arg]
    frame = frame_for(d.head.shape, "front", SIZE)
    col, row, _ = frame.project(close_up_centre(d, dots)[None])
    half = CLOSE_UP_MM / 2.0 / frame.mm_per_px
    x, y = layout.after[0] + col[0], layout.after[1] + row[0]
    inner = int(half) - 3  # inside the marking square
    return _grey(sheet)[int(y) - inner : int(y) + inner, int(x) - inner : int(x) + inner]


def test_same_inputs_give_the_same_bytes(nw5) -> None:  # type: ignore[no-untyped-def]
    dots, look = _client(nw5, 9)

    def png() -> bytes:
        out = io.BytesIO()
        render_sheet(nw5, dots, look, view_name="top", size=256).save(out, format="PNG")
        return out.getvalue()

    first = png()
    assert first == png()
    other = render_sheet(nw5, dots, look, view_name="top", size=256, seed=11)
    assert other.tobytes() != Image.open(io.BytesIO(first)).tobytes()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"view_name": "side"}, "unknown view 'side': choose from front"),
        ({"view_name": "top", "size": 100}, "sheet size 100 px is outside 128–2048"),
        ({"view_name": "top", "size": 4096}, "sheet size 4096 px is outside 128–2048"),
        ({"view_name": "top", "size": True}, "sheet size True px is outside 128–2048"),
    ],
)
def test_bad_input_is_refused_in_one_line(nw5, options, message) -> None:  # type: ignore[no-untyped-def]
    dots, look = _client(nw5, 5)
    with pytest.raises(InputError) as caught:
        render_sheet(nw5, dots, look, **options)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)
