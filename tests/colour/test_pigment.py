"""Pigment model: healed, fresh and faded dots; monotonicity; touch-up timing."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from smpstudio import ColourError
from smpstudio.colour import (
    MONK_SWATCHES,
    SCAR_FADE_FACTOR,
    FadeConditions,
    PigmentModel,
    concentration,
    dot_contrast,
    dot_lab,
    fresh_look,
    lab_to_srgb,
    linear_to_lab,
    recommend_dilution,
    skin_tone,
    srgb_to_lab,
    srgb_to_linear,
    touch_up_years,
)
from smpstudio.colour._convert import lab_to_linear

# Realistic scalp colours: lightness over the whole Monk range, warm (b* > 0) hues.
skins = st.tuples(st.floats(12.0, 96.0), st.floats(-1.0, 18.0), st.floats(2.0, 30.0))
water = st.floats(0.0, 40.0)
years = st.floats(0.0, 30.0)
MONK_5 = (77.9, 3.47, 23.14)


def _lightness(skin: object, ml: float, **kw: object) -> float:
    return float(dot_lab(skin, ml, **kw)[0])  # type: ignore[arg-type]


@given(skins, water, water)
def test_more_water_is_never_darker(skin: tuple[float, ...], w1: float, w2: float) -> None:
    low, high = sorted((w1, w2))
    assert _lightness(skin, high) >= _lightness(skin, low) - 1e-9


@given(skins, water)
def test_a_dot_is_never_lighter_than_the_skin(skin: tuple[float, ...], ml: float) -> None:
    assert float(dot_contrast(skin, ml)) >= -1e-9


@given(skins, water, st.floats(0.05, 1.0))
def test_darker_skin_never_gives_more_contrast(
    skin: tuple[float, ...], ml: float, shade: float
) -> None:
    """Same skin chromaticity with less light reflected (more melanin): less ΔL*.

    Only for skins inside the sRGB gamut: clipping an out-of-gamut colour changes its
    chromaticity, so its "darker" twin would be another colour (hypothesis found
    L*=12, a*=0, b*=18).
    """
    linear = lab_to_linear(skin)
    assume(bool(np.all(linear >= 0.0)))
    darker = linear_to_lab(linear * shade)
    assert float(dot_contrast(darker, ml)) <= float(dot_contrast(skin, ml)) + 1e-9


@given(skins, water, years, years)
def test_fading_never_increases_contrast(
    skin: tuple[float, ...], ml: float, y1: float, y2: float
) -> None:
    early, late = sorted((y1, y2))
    assert (
        float(dot_contrast(skin, ml, years=late))
        <= float(dot_contrast(skin, ml, years=early)) + 1e-9
    )


def test_contrast_falls_along_the_monk_scale_for_undiluted_pigment() -> None:
    contrasts = [float(dot_contrast(skin_tone(h), 0.0)) for h in MONK_SWATCHES]
    assert contrasts[0] > contrasts[4] > contrasts[7] > contrasts[9] > 0


def test_concentration() -> None:
    np.testing.assert_allclose(concentration([0, 1, 3, 29]), [1, 0.5, 0.25, 1 / 30])


@given(skins, st.floats(0.0, 15.0))
def test_healed_dot_is_cooler_than_a_neutral_darkening(skin: tuple[float, ...], ml: float) -> None:
    """Blue-grey through the skin: bluer than a grey filter of the same lightness."""
    dot = dot_lab(skin, ml)
    skin_linear = np.clip(lab_to_linear(skin), 0, None)
    dot_y = float(lab_to_linear(dot) @ np.array([0.2126, 0.7152, 0.0722]))
    skin_y = float(skin_linear @ np.array([0.2126, 0.7152, 0.0722]))
    neutral = linear_to_lab(skin_linear * dot_y / skin_y)
    assert dot[2] <= neutral[2] + 1e-6


def test_undiluted_dot_on_light_skin_is_a_dark_cool_grey() -> None:
    lightness, a, b = dot_lab(skin_tone("#f3e7db"), 0.0)  # Monk 2
    assert lightness < 40
    assert abs(a) < 3
    assert -15 < b < 0


def test_fresh_dot_is_darker_larger_and_red_around() -> None:
    day0 = fresh_look(MONK_5, 5.0)
    healed = dot_lab(MONK_5, 5.0)
    assert day0.dot_lab[0] < healed[0] - 5
    assert 1.7 <= day0.diameter_factor <= 2.5  # 250 µm fresh vs 100–150 µm healed (§1.3)
    assert day0.darkness > 1
    assert day0.halo_strength == 1.0
    assert day0.halo_lab[1] > MONK_5[1] + 4  # erythema: a* up
    assert day0.halo_radius_mm > 0


def test_redness_is_gone_by_the_next_day() -> None:
    assert fresh_look(MONK_5, 5.0, days=1).halo_strength < 0.05


@given(skins, st.floats(0.0, 20.0), st.floats(0.0, 60.0), st.floats(0.0, 60.0))
def test_fresh_look_settles_monotonically(
    skin: tuple[float, ...], ml: float, d1: float, d2: float
) -> None:
    early, late = (fresh_look(skin, ml, days=d) for d in sorted((d1, d2)))
    assert late.dot_lab[0] >= early.dot_lab[0] - 1e-9
    assert late.diameter_factor <= early.diameter_factor
    assert late.halo_strength <= early.halo_strength


def test_fresh_look_converges_to_healed() -> None:
    late = fresh_look(MONK_5, 5.0, days=90)
    np.testing.assert_allclose(late.dot_lab, dot_lab(MONK_5, 5.0), atol=0.2)
    assert late.diameter_factor == pytest.approx(1.0, abs=0.01)


def test_touch_up_falls_at_three_to_five_years_for_typical_use() -> None:
    """Sources: touch-ups every 2–6 years, most often 3–5 (domain reference §1.8)."""
    times = []
    for code in MONK_SWATCHES[:8]:
        skin = skin_tone(code)
        for hair in ("black", "dark-brown", "brown", "light-brown", "blond", "grey"):
            times.append(touch_up_years(skin, recommend_dilution(skin, hair).ml_water))
    assert 3.0 <= float(np.median(times)) <= 5.0
    assert min(times) >= 2.0
    assert max(times) <= 6.5


def test_touch_up_is_when_contrast_has_dropped_by_the_threshold() -> None:
    model = PigmentModel()
    years_due = touch_up_years(MONK_5, 6.0)
    healed = float(dot_contrast(MONK_5, 6.0))
    then = float(dot_contrast(MONK_5, 6.0, years=years_due))
    assert then == pytest.approx(healed * (1 - model.touch_up_contrast_drop), abs=1e-4)


def test_conditions_order_the_touch_up() -> None:
    def due(**kw: object) -> float:
        return touch_up_years(MONK_5, 6.0, conditions=FadeConditions(**kw))  # type: ignore[arg-type]

    assert due(sun="high") < due() < due(sun="low")
    assert due(moisturised=True) > due()
    assert due(scarred=True) < due()
    assert due() / due(scarred=True) == pytest.approx(SCAR_FADE_FACTOR, rel=1e-4)


def test_no_contrast_means_no_touch_up() -> None:
    assert touch_up_years((0.0, 0.0, 0.0), 5.0) == math.inf


def test_dots_broadcast_over_skins_and_dilutions() -> None:
    skins_lab = srgb_to_lab(np.stack([lab_to_srgb(MONK_5)] * 4))
    out = dot_lab(skins_lab, np.array([0.0, 2.0, 5.0, 10.0]))
    assert out.shape == (4, 3)
    np.testing.assert_allclose(out[2], dot_lab(MONK_5, 5.0), atol=1e-6)


def test_same_input_same_output() -> None:
    assert dot_lab(MONK_5, 3.0).tobytes() == dot_lab(MONK_5, 3.0).tobytes()
    assert touch_up_years(MONK_5, 3.0) == touch_up_years(MONK_5, 3.0)


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_bad_dilution_is_refused(bad: float) -> None:
    with pytest.raises(ColourError, match="mL of water per mL of pigment"):
        dot_lab(MONK_5, bad)


def test_bad_times_and_conditions_are_refused() -> None:
    with pytest.raises(ColourError):
        dot_lab(MONK_5, 1.0, years=-1)
    with pytest.raises(ColourError):
        fresh_look(MONK_5, 1.0, days=-0.5)
    with pytest.raises(ColourError, match="sun exposure"):
        FadeConditions(sun="tropical")  # type: ignore[arg-type]
    with pytest.raises(ColourError):
        PigmentModel(subsurface_share=(0.9, 1.2, 0.8))
    with pytest.raises(ColourError):
        PigmentModel(touch_up_contrast_drop=1.0)
    with pytest.raises(ColourError):
        dot_lab([50.0, 1.0], 1.0)


def test_srgb_helpers_invert_each_other() -> None:
    greys = np.stack([np.arange(256) / 255.0] * 3, axis=-1)
    np.testing.assert_allclose(lab_to_srgb(srgb_to_lab(greys)), greys, atol=1e-6)
    assert srgb_to_linear(1.0) == 1.0
