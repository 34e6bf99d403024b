"""The skin tone read on skin, corrected for the light, and refused where the light hides it."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from smpstudio.colour import delta_e, hex_to_srgb, linear_to_lab, srgb_to_linear
from smpstudio.photo import Photo, analyze_photo


def _relit(pixels: np.ndarray, gains: tuple[float, float, float], exposure: float = 1.0):
    linear = srgb_to_linear(pixels / 255.0) * np.array(gains) * exposure
    linear = np.clip(linear, 0.0, 1.0)
    srgb = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return np.round(srgb * 255).astype(np.uint8)


@pytest.fixture(scope="module")
def reference():
    return analyze_photo(Photo.from_array(data.astronaut()))


def test_the_reference_is_read_on_forehead_and_cheeks(reference):
    assert reference.skin_measured_on == "forehead and cheeks"
    assert reference.lighting.flags == ()
    assert reference.to_dict()["lighting"]["corrected"] is False


@pytest.mark.parametrize(
    "gains", [(1.2, 1.0, 0.75), (0.8, 1.0, 1.3), (0.85, 1.1, 0.85)], ids=["warm", "blue", "green"]
)
def test_a_coloured_light_is_corrected(reference, gains):
    relit = analyze_photo(Photo.from_array(_relit(data.astronaut(), gains)))
    assert "cast-corrected" in relit.lighting.flags
    assert any("corrected for it (white patch)" in w for w in relit.warnings)
    seen = srgb_to_linear(np.asarray(hex_to_srgb(reference.skin.hex)))
    uncorrected = linear_to_lab(np.asarray(gains) * seen)
    error = delta_e(relit.skin.lab, reference.skin.lab)
    assert error < 4.0, error  # measured 2.7–3.4 (uncorrected 6.3–13.1)
    assert error < 0.5 * delta_e(uncorrected, reference.skin.lab)
    assert relit.skin.monk == reference.skin.monk


def test_a_strong_cast_gets_a_warning_not_a_tone():
    relit = analyze_photo(Photo.from_array(_relit(data.astronaut(), (2.0, 1.0, 0.45))))
    assert relit.skin is None
    assert relit.lighting.flags[0] == "colour-cast"
    assert relit.to_dict()["skin"] is None
    assert any("strongly coloured" in w for w in relit.warnings)


def test_greyscale_gets_a_warning_not_a_tone():
    grey = np.repeat(data.astronaut().mean(axis=2, keepdims=True), 3, axis=2).astype(np.uint8)
    analysis = analyze_photo(Photo.from_array(grey))
    assert analysis.skin is None
    assert analysis.skin_as_seen is not None  # the renderer still knows what skin looks like
    assert analysis.lighting.flags == ("greyscale",)


def test_under_exposed_and_one_sided_light_are_flagged():
    dark = analyze_photo(Photo.from_array(_relit(data.astronaut(), (1, 1, 1), exposure=0.15)))
    assert "under-exposed" in dark.lighting.flags
    side = data.astronaut().copy()
    side[:, :225] = _relit(side[:, :225], (1, 1, 1), exposure=0.3)
    uneven = analyze_photo(Photo.from_array(side))
    assert "uneven" in uneven.lighting.flags


def test_a_scalp_close_up_on_a_dark_backdrop_is_not_called_a_cast():
    from .test_regions_and_smp import _top_view

    analysis = analyze_photo(_top_view())
    assert analysis.lighting.flags == ()
    assert analysis.skin is not None
    assert analysis.skin_measured_on == "scalp"
