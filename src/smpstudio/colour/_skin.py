"""Skin tone: CIELAB, ITA° and its class, nearest Monk Skin Tone, estimated Fitzpatrick type.

Sources are those of the shared domain reference, §5: the ITA formula and its six classes
(Chardon et al., Int J Cosmet Sci 1991; Del Bino et al., Pigment Cell Res 2006, as
implemented by haut.ai and others), the Monk Skin Tone swatches (Monk, SocArXiv 2023;
Heldreth et al., ACM J Responsible Computing 2024), and Fitzpatrick's types (a UV-response
scale, not a colour scale).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from smpstudio._errors import ColourError
from smpstudio._types import FloatArray
from smpstudio.colour._convert import (
    delta_e,
    hex_to_srgb,
    lab_to_srgb,
    linear_to_lab,
    srgb_to_hex,
    srgb_to_lab,
)

__all__ = [
    "FITZPATRICK_NOTE",
    "ITA_CLASSES",
    "MONK_SWATCHES",
    "SkinTone",
    "fitzpatrick_estimate",
    "ita_class",
    "ita_degrees",
    "monk_lab",
    "nearest_monk",
    "skin_tone",
    "skin_tone_from_lab",
    "skin_tone_from_linear",
]

ITA_CLASSES: tuple[tuple[str, float], ...] = (
    ("very light", 55.0),
    ("light", 41.0),
    ("intermediate", 28.0),
    ("tan", 10.0),
    ("brown", -30.0),
    ("dark", -math.inf),
)
"""ITA° classes and their lower bounds: a class holds ITA° strictly above its bound.

very light > 55, light 41–55, intermediate 28–41, tan 10–28, brown −30–10, dark ≤ −30. A
value exactly on a boundary belongs to the darker class (ITA° = 55 is light).
"""

MONK_SWATCHES: tuple[str, ...] = (
    "#f6ede4",
    "#f3e7db",
    "#f7ead0",
    "#eadaba",
    "#d7bd96",
    "#a07e56",
    "#825c43",
    "#604134",
    "#3a312a",
    "#292420",
)
"""Published sRGB swatches of Monk Skin Tone 1 (lightest) to 10 (darkest)."""

_FITZPATRICK_TYPES = ("I", "II", "III", "IV", "V", "VI")

LAB_AB_LIMIT = 200.0
"""Largest |a*| and |b*| classified (every sRGB colour lies within ±130)."""

FITZPATRICK_NOTE = (
    "estimate from ITA° (class k of 6 → type k); approximate: Fitzpatrick types describe "
    "UV response (burning and tanning), not colour"
)


@dataclass(frozen=True)
class SkinTone:
    """A skin colour and its classifications.

    Attributes
    ----------
    L, a, b : float
        CIELAB (D65, 2°).
    ita : float
        Individual Typology Angle in degrees, in [−90, 90].
    ita_class : str
        One of the six ITA classes (:data:`ITA_CLASSES`).
    monk : int
        Nearest Monk Skin Tone, 1–10, by CIEDE2000.
    monk_delta_e : float
        CIEDE2000 difference to that swatch.
    fitzpatrick_estimate : str
        Fitzpatrick type I–VI estimated from ITA° (see :data:`FITZPATRICK_NOTE`).
    hex : str
        The colour as ``#rrggbb`` (sRGB).
    """

    L: float
    a: float
    b: float
    ita: float
    ita_class: str
    monk: int
    monk_delta_e: float
    fitzpatrick_estimate: str
    hex: str

    @property
    def lab(self) -> FloatArray:
        """``[L*, a*, b*]`` as an array."""
        return np.array([self.L, self.a, self.b])

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python fields, for JSON."""
        return asdict(self)


def ita_degrees(lightness: float, b: float) -> float:
    """Individual Typology Angle, ``arctan((L* − 50) / b*)`` in degrees.

    Computed as ``atan2(L* − 50, max(b*, 0))``, which equals the published formula for every
    b* > 0 (every skin colour) and stays defined at b* = 0: neutral greys get ±90° by their
    lightness (0° at L* = 50). Bluish colours (b* < 0) are not skin; they are treated as
    b* = 0 so that the angle stays in [−90, 90] and never decreases with L*.

    Examples
    --------
    >>> round(ita_degrees(55.14, 26.75), 1)
    10.9
    >>> ita_degrees(100.0, 0.0), ita_degrees(0.0, 0.0), ita_degrees(50.0, 0.0)
    (90.0, -90.0, 0.0)
    """
    if not (math.isfinite(lightness) and math.isfinite(b)):
        raise ColourError(f"ITA needs finite L* and b*, got L*={lightness}, b*={b}")
    return math.degrees(math.atan2(lightness - 50.0, max(b, 0.0)))


def ita_class(ita: float) -> str:
    """Name of the ITA class of an angle (boundaries belong to the darker class).

    Examples
    --------
    >>> ita_class(56.0), ita_class(55.0), ita_class(10.9), ita_class(-30.0)
    ('very light', 'light', 'tan', 'dark')
    """
    for name, lower in ITA_CLASSES:
        if ita > lower:
            return name
    return ITA_CLASSES[-1][0]


def fitzpatrick_estimate(ita: float) -> str:
    """Fitzpatrick type I–VI estimated from ITA° — approximate, see :data:`FITZPATRICK_NOTE`.

    Each ITA class maps to one type, in order (very light → I … dark → VI), the convention
    used where only colour is known (e.g. skin-tone labelling of dermatology image sets).

    Examples
    --------
    >>> fitzpatrick_estimate(60.0), fitzpatrick_estimate(10.9), fitzpatrick_estimate(-55.0)
    ('I', 'IV', 'VI')
    """
    names = [name for name, _ in ITA_CLASSES]
    return _FITZPATRICK_TYPES[names.index(ita_class(ita))]


def monk_lab() -> FloatArray:
    """CIELAB of the ten Monk swatches, shape ``(10, 3)``.

    Examples
    --------
    >>> monk_lab()[[0, 9]].round(1).tolist()
    [[94.2, 1.5, 5.4], [14.6, 1.5, 3.5]]
    """
    return srgb_to_lab(np.stack([hex_to_srgb(h) for h in MONK_SWATCHES]))


_MONK_LAB = monk_lab()


def nearest_monk(lab: npt.ArrayLike) -> tuple[int, float]:
    """Nearest Monk Skin Tone (1–10) by CIEDE2000, and the difference to it.

    Ties go to the lighter tone.

    Examples
    --------
    >>> tone, de = nearest_monk([55.14, 7.78, 26.75])
    >>> tone, round(de, 2)
    (6, 0.01)
    """
    target = np.broadcast_to(np.asarray(lab, dtype=np.float64), _MONK_LAB.shape)
    differences = delta_e(target, _MONK_LAB)
    index = int(np.argmin(differences))
    return index + 1, float(differences[index])


def skin_tone_from_lab(lab: npt.ArrayLike) -> SkinTone:
    """Classify a CIELAB (D65, 2°) skin colour.

    Examples
    --------
    >>> t = skin_tone_from_lab([77.9, 3.47, 23.14])
    >>> t.ita_class, t.monk, t.fitzpatrick_estimate
    ('light', 5, 'II')
    """
    values = np.asarray(lab, dtype=np.float64).reshape(-1)
    if values.shape != (3,) or not np.all(np.isfinite(values)):
        raise ColourError(f"a CIELAB colour is three finite numbers L*, a*, b*, got {lab!r}")
    if not (0.0 <= values[0] <= 100.0 and np.all(np.abs(values[1:]) <= LAB_AB_LIMIT)):
        raise ColourError(
            f"CIELAB colour {lab!r} is out of range: L* is 0–100, a* and b* within "
            f"±{LAB_AB_LIMIT:g}"
        )
    lightness, a, b = (float(v) for v in values)
    ita = ita_degrees(lightness, b)
    monk, monk_de = nearest_monk(values)
    hex_code = srgb_to_hex(lab_to_srgb(values))
    return SkinTone(
        L=lightness,
        a=a,
        b=b,
        ita=ita,
        ita_class=ita_class(ita),
        monk=monk,
        monk_delta_e=monk_de,
        fitzpatrick_estimate=fitzpatrick_estimate(ita),
        hex=hex_code,
    )


def skin_tone_from_linear(linear_rgb: npt.ArrayLike) -> SkinTone:
    """Classify a colour given in linear-light sRGB (e.g. a region's mean).

    Examples
    --------
    >>> skin_tone_from_linear([0.5, 0.5, 0.5]).hex
    '#bcbcbc'
    """
    return skin_tone_from_lab(linear_to_lab(np.asarray(linear_rgb, dtype=np.float64)))


def skin_tone(colour: str) -> SkinTone:
    """Classify an sRGB colour written ``#rrggbb``.

    Examples
    --------
    >>> t = skin_tone("#a07e56")
    >>> round(t.L, 1), round(t.a, 1), round(t.b, 1), round(t.ita, 1)
    (55.1, 7.8, 26.7, 10.9)
    >>> t.ita_class, t.monk, t.fitzpatrick_estimate, t.hex
    ('tan', 6, 'IV', '#a07e56')
    """
    return skin_tone_from_lab(srgb_to_lab(hex_to_srgb(colour)))
