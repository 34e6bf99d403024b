"""Skin tone, carbon-black pigment dilution and the look of SMP dots.

Skin tone (:func:`skin_tone`, :func:`skin_tone_from_image`): CIELAB (D65, 2°), ITA° and its
class, the nearest Monk Skin Tone and an estimated Fitzpatrick type. Pigment
(:func:`dot_lab`, :func:`fresh_look`, :func:`touch_up_years`): the healed, fresh and faded
look of a dot of a given dilution on a given skin. Dilution (:func:`recommend_dilution`):
the most diluted shade whose healed dot reaches the shade a clinic-configurable
:class:`DilutionTable` charts for the skin's Monk tone and the hair colour, lighter for the
hairline zones and the early sessions. The model, its parameters and
their sources are in ``docs/colour.md``.
"""

from smpstudio.colour._convert import (
    delta_e,
    hex_to_srgb,
    lab_to_srgb,
    linear_to_lab,
    looks_like_hex,
    srgb_to_hex,
    srgb_to_lab,
    srgb_to_linear,
)
from smpstudio.colour._dilution import (
    FLAG_MESSAGES,
    HAIR_LIGHTER_MARGIN,
    ZONE_NAMES,
    ContrastRange,
    DilutionAdvice,
    DilutionTable,
    assess_dilution,
    dilution_chart,
    load_dilution_table,
    recommend_dilution,
    stubble_range,
)
from smpstudio.colour._image import (
    ALLOWED_FORMATS,
    MAX_PIXELS,
    Region,
    mean_linear_rgb,
    read_rgb,
    skin_tone_from_image,
)
from smpstudio.colour._pigment import (
    MOISTURISED_FADE_FACTOR,
    SCAR_FADE_FACTOR,
    SUN_FADE_FACTORS,
    FadeConditions,
    FreshLook,
    PigmentModel,
    SkinLike,
    concentration,
    dot_contrast,
    dot_lab,
    fresh_look,
    touch_up_years,
)
from smpstudio.colour._skin import (
    FITZPATRICK_NOTE,
    ITA_CLASSES,
    MONK_SWATCHES,
    SkinTone,
    fitzpatrick_estimate,
    ita_class,
    ita_degrees,
    monk_lab,
    nearest_monk,
    skin_tone,
    skin_tone_from_lab,
    skin_tone_from_linear,
)

__all__ = [
    "ALLOWED_FORMATS",
    "FITZPATRICK_NOTE",
    "FLAG_MESSAGES",
    "HAIR_LIGHTER_MARGIN",
    "ITA_CLASSES",
    "MAX_PIXELS",
    "MOISTURISED_FADE_FACTOR",
    "MONK_SWATCHES",
    "SCAR_FADE_FACTOR",
    "SUN_FADE_FACTORS",
    "ZONE_NAMES",
    "ContrastRange",
    "DilutionAdvice",
    "DilutionTable",
    "FadeConditions",
    "FreshLook",
    "PigmentModel",
    "Region",
    "SkinLike",
    "SkinTone",
    "assess_dilution",
    "concentration",
    "delta_e",
    "dilution_chart",
    "dot_contrast",
    "dot_lab",
    "fitzpatrick_estimate",
    "fresh_look",
    "hex_to_srgb",
    "ita_class",
    "ita_degrees",
    "lab_to_srgb",
    "linear_to_lab",
    "load_dilution_table",
    "looks_like_hex",
    "mean_linear_rgb",
    "monk_lab",
    "nearest_monk",
    "read_rgb",
    "recommend_dilution",
    "skin_tone",
    "skin_tone_from_image",
    "skin_tone_from_lab",
    "skin_tone_from_linear",
    "srgb_to_hex",
    "srgb_to_lab",
    "srgb_to_linear",
    "stubble_range",
    "touch_up_years",
]
