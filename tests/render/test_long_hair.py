"""Women and long hair: the hair-length option, the client's own hair drawn at its length
with the impressions between the hairs, and the part view."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from PIL import Image

import smpstudio
from smpstudio import InputError
from smpstudio._design import LONG_HAIR_DEFAULT_MM, design_from_inputs
from smpstudio.dots import Impressions, dilution_rule, place_impressions
from smpstudio.render import PHOTO_VIEWS, _photo, _strands, frame_for, look_for, render_view
from smpstudio.render._raster import rasterise

SKIN, HAIR = "#f3e7db", "black"  # Monk 2, black hair: the hardest contrast for thinning
SIZE = 256


@pytest.fixture(scope="module")
def ludwig() -> tuple[smpstudio.Design, Impressions]:
    d = smpstudio.design(pattern="ludwig-2", hairline="soft", seed=3)
    return d, place_impressions(d, dilution=dilution_rule(SKIN, HAIR))


def _luminance(image: Image.Image) -> np.ndarray:  # type: ignore[type-arg]
    rgb = np.asarray(image, dtype=np.float64) / 255.0
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("pattern", "scars", "length"),
    [
        ("ludwig-1", (), LONG_HAIR_DEFAULT_MM),
        ("ludwig-2", (), LONG_HAIR_DEFAULT_MM),
        ("ludwig-3", (), LONG_HAIR_DEFAULT_MM),
        ("diffuse", (), LONG_HAIR_DEFAULT_MM),
        ("norwood-3", (), 0.0),
        ("none", ("fut",), 0.0),
    ],
)
def test_women_keep_their_hair_unless_they_ask(
    pattern: str, scars: tuple[str, ...], length: float
) -> None:
    d = smpstudio.design(pattern=pattern, hairline="soft", scars=scars)
    assert d.hair_length_mm == length
    assert json.loads(d.to_json())["inputs"]["hair_length_mm"] == length
    shaved = smpstudio.design(pattern=pattern, hairline="soft", scars=scars, hair_length_mm=0)
    assert shaved.hair_length_mm == 0.0  # a buzz cut when asked for


def test_the_length_round_trips_through_design_json() -> None:
    d = smpstudio.design(pattern="diffuse", hairline="soft", hair_length_mm=42.5)
    again = design_from_inputs(json.loads(d.to_json())["inputs"])
    assert again.hair_length_mm == 42.5
    assert again.to_json() == d.to_json()
    older = {k: v for k, v in json.loads(d.to_json())["inputs"].items() if k != "hair_length_mm"}
    assert design_from_inputs(older).hair_length_mm == LONG_HAIR_DEFAULT_MM


@pytest.mark.parametrize("length", [-0.1, 300.01, math.nan, math.inf, 1e9])
def test_lengths_outside_0_to_300_mm_are_refused_with_the_range(length: float) -> None:
    with pytest.raises(InputError, match=r"hair length .* is outside 0–300 mm: give 0"):
        smpstudio.design(pattern="ludwig-2", hairline="soft", hair_length_mm=length)


def test_a_length_that_is_not_a_number_is_refused() -> None:
    inputs = json.loads(smpstudio.design(pattern="ludwig-2", hairline="soft").to_json())["inputs"]
    with pytest.raises(InputError, match="hair_length_mm is text, not number"):
        design_from_inputs({**inputs, "hair_length_mm": "long"})


def test_the_limits_are_accepted() -> None:
    for length in (0, 300):
        d = smpstudio.design(pattern="ludwig-2", hairline="soft", hair_length_mm=length)
        assert d.hair_length_mm == length


def test_same_inputs_same_bytes_even_regrown(ludwig) -> None:  # type: ignore[no-untyped-def]
    d, imp = ludwig
    look = look_for(SKIN, HAIR)
    first = render_view(d, imp, look, view_name="part", size=SIZE).tobytes()
    _strands._GROWN.clear()
    _photo._BASES.clear()
    assert render_view(d, imp, look, view_name="part", size=SIZE).tobytes() == first
    other = render_view(d, imp, look, view_name="part", size=SIZE, seed=11).tobytes()
    assert other != first


def test_long_hair_covers_the_scalp_that_a_buzz_cut_shows(ludwig) -> None:  # type: ignore[no-untyped-def]
    """Where the hair is full, long hair hides the scalp (fair skin, black hair: dark);
    the same client shaved shows a light scalp shaded by stubble."""
    d, _ = ludwig
    shaved = smpstudio.design(pattern="ludwig-2", hairline="soft", seed=3, hair_length_mm=0)
    look = look_for(SKIN, HAIR)
    frame = frame_for(d.head.shape, "top", SIZE)
    geometry = rasterise(d.head.shape, frame)
    full = geometry.hit & (
        d.field.coverage(geometry.position.reshape(-1, 3).astype(np.float64)).reshape(SIZE, SIZE)
        > 0.95
    )
    long_l = _luminance(render_view(d, None, look, view_name="top", size=SIZE, state="before"))
    buzz_l = _luminance(render_view(shaved, None, look, view_name="top", size=SIZE, state="before"))
    assert full.mean() > 0.2
    assert np.median(long_l[full]) < 0.25 * np.median(buzz_l[full])


def test_impressions_show_between_the_hairs_not_through_them(ludwig) -> None:  # type: ignore[no-untyped-def]
    """In the part view the healed dots darken the thinning scalp that shows along the
    parting, and leave the pixels where the hair is thick as they were."""
    d, imp = ludwig
    look = look_for(SKIN, HAIR)
    before = _luminance(render_view(d, imp, look, view_name="part", size=SIZE, state="before"))
    after = _luminance(render_view(d, imp, look, view_name="part", size=SIZE, state="healed"))
    darker = before - after
    scalp_shows = before > 0.5  # light pixels: skin between the hairs
    hair_hides = before < 0.05  # dark pixels: black hair over the skin
    assert scalp_shows.mean() > 0.02
    assert hair_hides.mean() > 0.2
    assert darker[scalp_shows].mean() > 0.02
    assert darker[hair_hides].mean() < 0.1 * darker[scalp_shows].mean()


def test_the_part_view_looks_down_the_parting(ludwig) -> None:  # type: ignore[no-untyped-def]
    """The parting runs down the middle of the part view: the column of the lightest pixels
    (scalp between the hairs) is the middle one, within a few per cent of the width."""
    d, _ = ludwig
    assert "part" in PHOTO_VIEWS
    look = look_for(SKIN, HAIR)
    lum = _luminance(render_view(d, None, look, view_name="part", size=SIZE, state="before"))
    band = lum[SIZE // 4 : 3 * SIZE // 4]
    brightest = int(np.argmax(band.mean(axis=0)))
    assert abs(brightest - SIZE / 2) < 0.04 * SIZE
    frame = frame_for(d.head.shape, "part", SIZE)
    top = d.head.shape.b_up
    assert frame.mm_per_px < 0.8 * frame_for(d.head.shape, "top", SIZE).mm_per_px  # closer
    assert rasterise(d.head.shape, frame).position[SIZE // 2, SIZE // 2, 1] > 0.8 * top


def test_short_hair_stands_as_longer_stubble() -> None:
    """Below 8 mm the hair stands as stubble of that length: darker than a day's."""
    look = look_for(SKIN, HAIR)
    lum = {}
    for length in (0.0, 5.0):
        d = smpstudio.design(pattern="norwood-3", hairline="soft", seed=2, hair_length_mm=length)
        lum[length] = _luminance(
            render_view(d, None, look, view_name="back", size=128, state="before")
        )
    assert lum[5.0].mean() < 0.9 * lum[0.0].mean()
