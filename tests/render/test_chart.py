"""The scalp chart in the client's skin: the head takes the skin colour, and the remaining hair
stays readable against it from Monk 1 to Monk 10."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import smpstudio
from smpstudio.colour import MONK_SWATCHES, hex_to_srgb
from smpstudio.render import look_for, render_chart
from smpstudio.render._chart import (
    _CAPTION_H,
    _GAP,
    _HAIRLINE,
    _MARGIN,
    _PANEL,
    _TITLE_H,
    _palette,
)

PALE = np.array([232.0, 200.0, 172.0])


@pytest.fixture(scope="module")
def nw5() -> smpstudio.Design:
    return smpstudio.design(pattern="norwood-5", hairline="soft", seed=7)


def _patch(chart: Image.Image, panel: int, fx: float, fy: float) -> np.ndarray:  # type: ignore[type-arg]
    """Mean RGB of a 12 × 12 px patch of a panel (0 front, 3 back) at a share of its size."""
    a = np.asarray(chart, dtype=np.float64)
    x = int(_MARGIN + panel * (_PANEL + _GAP) + fx * _PANEL)
    y = int(_TITLE_H + _CAPTION_H + fy * _PANEL)
    return a[y - 6 : y + 6, x - 6 : x + 6].reshape(-1, 3).mean(axis=0)  # type: ignore[no-any-return]


def _luminance(rgb: np.ndarray) -> float:  # type: ignore[type-arg]
    c = rgb / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(linear @ np.array([0.2126, 0.7152, 0.0722]))


def _contrast(a: np.ndarray, b: np.ndarray) -> float:  # type: ignore[type-arg]
    """WCAG contrast ratio of two sRGB colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_the_head_takes_the_clients_skin_colour(nw5) -> None:  # type: ignore[no-untyped-def]
    """The cheek of the front panel is the client's skin times the chart's shading: the same
    ratio in every channel, darker from Monk 2 to 5 to 9; without a look, the pale skin."""
    cheeks = []
    for monk in (2, 5, 9):
        skin = np.asarray(hex_to_srgb(MONK_SWATCHES[monk - 1])) * 255.0
        cheek = _patch(
            render_chart(nw5, look=look_for(MONK_SWATCHES[monk - 1], "black")), 0, 0.3, 0.72
        )
        ratio = cheek / skin
        assert np.ptp(ratio) < 0.08, (monk, ratio)
        assert 0.6 < ratio.mean() < 1.05
        cheeks.append(_luminance(cheek))
    assert cheeks[0] > cheeks[1] > cheeks[2]
    ratio = _patch(render_chart(nw5), 0, 0.3, 0.72) / PALE
    assert np.ptp(ratio) < 0.08


@pytest.mark.parametrize("monk", [1, 2, 5, 9, 10])
def test_remaining_hair_stands_out_on_every_skin(nw5, monk: int) -> None:  # type: ignore[no-untyped-def]
    """The full hair of the back panel against the bare neck under it: a WCAG contrast of at
    least 3 (brown on light skin, light grey on dark)."""
    chart = render_chart(nw5, look=look_for(MONK_SWATCHES[monk - 1], "black"))
    hair, neck = _patch(chart, 3, 0.3, 0.5), _patch(chart, 3, 0.3, 0.95)
    assert _contrast(hair, neck) >= 3.0, (monk, hair, neck)
    if monk >= 9:
        assert _luminance(hair) > _luminance(neck)  # drawn light on dark skin


@pytest.mark.parametrize("monk", range(1, 11))
def test_overlays_contrast_with_every_monk_tone(monk: int) -> None:
    """Full remaining hair and the hairline (its red, or the edge drawn round it) contrast
    at least 3 : 1 with the skin on Monk 1–10."""
    palette = _palette(look_for(MONK_SWATCHES[monk - 1], "black"))
    full_hair = 0.12 * palette.skin + 0.88 * palette.hair
    assert _contrast(full_hair, palette.skin) >= 3.0
    edge = [np.array(_HAIRLINE, dtype=np.float64)]
    if palette.halo is not None:
        edge.append(np.array(palette.halo, dtype=np.float64))
    assert max(_contrast(colour, palette.skin) for colour in edge) >= 3.0
