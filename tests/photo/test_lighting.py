"""The skin tone read on skin, corrected for the light, and refused where the light hides it."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from smpstudio.colour import delta_e, hex_to_srgb, linear_to_lab, srgb_to_linear
from smpstudio.photo import Photo, analyze_photo, ingest_photo
from smpstudio.photo._lighting import SCLERA_RGB, sclera_pixels

from .conftest import DATA

EVAL = DATA / "eval"


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
    assert reference.to_dict()["lighting"]["reference"] == "whites of the eyes"


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


def _eval(name: str, gains: tuple[float, float, float] | None = None):
    photo = ingest_photo(EVAL / f"{name}.jpg")
    if gains is not None:
        photo = Photo.from_array(_relit(photo.pixels, gains))
    return analyze_photo(photo)


def _at_luminance(hex_colour: str, like: str) -> np.ndarray:
    """CIELAB of a colour scaled in linear light to another's luminance (exposure aside)."""
    weights = np.array([0.2126, 0.7152, 0.0722])
    colour = srgb_to_linear(np.asarray(hex_to_srgb(hex_colour)))
    target = srgb_to_linear(np.asarray(hex_to_srgb(like)))
    return np.asarray(linear_to_lab(colour * float(target @ weights) / float(colour @ weights)))


@pytest.mark.parametrize(("name", "monk"), [("congress-s001184", 8), ("congress-c001072", 6)])
def test_a_light_blue_shirt_in_studio_light_is_not_a_colour_cast(name, monk):
    analysis = _eval(name)  # official portraits: studio flash, light-blue shirt, blue backdrop
    light = analysis.lighting
    assert not light.corrected
    assert "cast-corrected" not in light.flags
    assert light.reference == "whites of the eyes"
    assert analysis.skin.hex == analysis.skin_as_seen.hex  # not made lighter by the shirt
    assert analysis.skin.monk >= monk - 2  # SOURCES.md: Monk 8–9 and 6–7 (read: 6 and 6)


def test_the_whites_of_the_eyes_are_found_and_read_near_their_calibration():
    analysis = _eval("congress-s001184")
    assert analysis.landmarks is not None
    eyes = sclera_pixels(analysis.photo.pixels, analysis.landmarks.mesh)
    assert len(eyes) > 500  # both eyes, a portrait at 1024 px
    bright = eyes[eyes.min(axis=1) > 120]
    colour = srgb_to_linear(bright / 255.0).mean(axis=0)
    ratio = colour / colour.mean() / SCLERA_RGB
    assert np.all(np.abs(np.log(ratio)) < 0.3), ratio


def test_a_blue_shirt_under_a_warm_light_is_still_corrected():
    neutral = _eval("congress-s001184")
    warm = (1.25, 1.0, 0.6)  # the tungsten cast of eval/prepare.py
    relit = _eval("congress-s001184", warm)
    assert "cast-corrected" in relit.lighting.flags
    seen = srgb_to_linear(np.asarray(hex_to_srgb(neutral.skin.hex)))
    uncorrected = linear_to_lab(np.asarray(warm) * seen)
    error = delta_e(relit.skin.lab, neutral.skin.lab)
    assert error < 4.0, error  # measured 3.1 (uncorrected 5.7)
    assert error < 0.6 * delta_e(uncorrected, neutral.skin.lab)


@pytest.mark.parametrize(
    ("variant", "original", "within"),
    [("obama-2012-dim-warm", "obama-2012", 2.5), ("luciano-dim-cool", "luciano", 6.0)],
)
def test_a_dim_photo_in_coloured_light_is_corrected_from_the_eyes(variant, original, within):
    dim, bright = _eval(variant), _eval(original)
    assert "cast-corrected" in dim.lighting.flags
    assert dim.lighting.reference == "whites of the eyes"  # nothing else is bright enough
    # the original's own colour, as its photo shows it (luciano's reads too pink to be
    # given a tone, below)
    seen = bright.skin_as_seen
    error = delta_e(_at_luminance(dim.skin.hex, seen.hex), seen.lab)
    assert error < within, error  # measured 1.2 and 4.1 (uncorrected 7.0 and 17.6)


def test_skin_that_reads_pink_violet_gets_no_tone():
    """The IBM asset ``luciano`` has a magenta tint within the eyes' gate: its forehead is
    bluer than green, the skin reads hue 15° and was given Monk 2, ITA 77°."""
    analysis = _eval("luciano")
    assert analysis.skin is None
    assert "colour-cast" in analysis.lighting.flags
    assert any("pink-violet (hue 15°" in n for n in analysis.warnings)
    assert analysis.skin_as_seen is not None  # the render still matches the photo


@pytest.mark.parametrize(
    "name", ["obama-2012", "biden-2013", "bryan", "interfaces-040", "interfaces-061", "chris"]
)
def test_skin_of_every_hue_people_have_keeps_its_tone(name):
    """The lowest hues of the colour photos here: 32–40° (bryan, Biden, interfaces)."""
    analysis = _eval(name)
    assert analysis.skin is not None
    assert "colour-cast" not in analysis.lighting.flags


def _srgb(linear: np.ndarray) -> np.ndarray:
    linear = np.clip(linear, 0.0, 1.0)
    srgb = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return np.round(srgb * 255).astype(np.uint8)


def _scene(gains: tuple[float, float, float], shirt: tuple[float, float, float]):
    """A synthetic photo under a light of ``gains``: a face of skin (the top half, not a
    reference), a mid-grey backdrop, a shirt of linear colour ``shirt``; and 200 sclera
    pixels of the calibrated sclera colour with ±5 % of luminance texture."""
    light = np.asarray(gains)
    photo = np.empty((60, 80, 3))
    photo[:] = 0.18 * light
    photo[:30] = np.array([0.45, 0.3, 0.2]) * light
    photo[40:, 20:60] = np.asarray(shirt) * light
    texture = np.linspace(0.95, 1.05, 200)[:, None]
    sclera = SCLERA_RGB / SCLERA_RGB.max() * 0.6 * light * texture
    face = np.zeros((60, 80), bool)
    face[:30] = True
    return _srgb(photo), _srgb(sclera), face


def test_the_eyes_overrule_a_light_blue_shirt_and_agree_with_a_white_one():
    from smpstudio.photo._lighting import assess_lighting

    blue_shirt = (0.55, 0.7, 0.95)
    photo, eyes, face = _scene((1.0, 1.0, 1.0), blue_shirt)
    alone = assess_lighting(photo, not_reference=face)
    assert alone.corrected  # the white patch alone takes the shirt for the light
    light = assess_lighting(photo, not_reference=face, sclera=eyes)
    assert not light.corrected
    assert light.reference == "whites of the eyes"
    warm = (1.2, 1.0, 0.7)
    photo, eyes, face = _scene(warm, (0.7, 0.7, 0.7))  # a white shirt under a warm light
    light = assess_lighting(photo, not_reference=face, sclera=eyes)
    assert light.corrected
    assert light.reference == "white patch"
    assert np.allclose(light.illuminant, np.asarray(warm) / np.mean(warm), atol=0.02)


def test_the_eyes_alone_read_a_dim_cast_and_too_few_of_them_are_ignored():
    from smpstudio.photo._lighting import MIN_SCLERA_PX, assess_lighting

    warm = (1.2 * 0.3, 0.3, 0.7 * 0.3)  # dim: nothing but the eyes is a reference
    photo, eyes, face = _scene(warm, (0.2, 0.2, 0.2))
    light = assess_lighting(photo, not_reference=face, sclera=eyes)
    assert light.reference == "whites of the eyes"
    assert light.corrected
    assert np.allclose(light.illuminant, np.asarray(warm) / np.mean(warm), atol=0.03)
    few = assess_lighting(photo, not_reference=face, sclera=eyes[: 2 * MIN_SCLERA_PX - 1])
    assert few.reference == "none"
    assert not few.corrected


def test_the_eyes_and_a_white_patch_that_disagree_leave_the_light_neutral():
    from smpstudio.photo._lighting import assess_lighting

    photo, _, face = _scene((1.0, 1.0, 1.0), (0.8, 0.8, 0.8))  # a white shirt, neutral light
    _, eyes, _ = _scene((1.6, 1.0, 0.5), (0.8, 0.8, 0.8))  # eyes that read a strong warm cast
    light = assess_lighting(photo, not_reference=face, sclera=eyes)
    assert light.reference == "none"
    assert not light.corrected
    assert light.measurable
