"""Colour conversions: ``#rrggbb`` ↔ sRGB ↔ linear RGB ↔ CIE XYZ ↔ CIELAB (D65, 2°).

sRGB follows IEC 61966-2-1:1999: the piecewise transfer function (linear below 0.04045) and
the standard's normative 4-decimal RGB → XYZ matrix. CIELAB uses scikit-image's
:func:`skimage.color.xyz2lab` with the D65 / 2° white (0.95047, 1, 1.08883). Colour
differences are CIEDE2000 (:func:`skimage.color.deltaE_ciede2000`).

scikit-image's own ``rgb2lab`` uses an older 6-decimal matrix whose rows do not sum to that
white; the difference is below 0.01 ΔE but moves three of the Monk swatch values in the domain
reference across a 0.1 rounding boundary, so the standard's matrix is used here.
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt
from skimage.color import deltaE_ciede2000, lab2xyz, xyz2lab

from smpstudio._errors import ColourError
from smpstudio._types import FloatArray

__all__ = [
    "delta_e",
    "hex_to_srgb",
    "lab_to_linear",
    "lab_to_srgb",
    "linear_to_lab",
    "linear_to_srgb",
    "looks_like_hex",
    "srgb_to_hex",
    "srgb_to_lab",
    "srgb_to_linear",
]

XYZ_FROM_LINEAR_SRGB: FloatArray = np.array(
    [
        [0.4124, 0.3576, 0.1805],
        [0.2126, 0.7152, 0.0722],
        [0.0193, 0.1192, 0.9505],
    ]
)
"""IEC 61966-2-1:1999 normative matrix, linear sRGB (D65) → CIE XYZ (Y of white = 1)."""

LINEAR_SRGB_FROM_XYZ: FloatArray = np.linalg.inv(XYZ_FROM_LINEAR_SRGB)

_HEX = re.compile(r"#?[0-9a-fA-F]{6}")


def looks_like_hex(text: str) -> bool:
    """True when ``text`` is six hex digits, with or without a leading ``#``."""
    return _HEX.fullmatch(text.strip()) is not None


def hex_to_srgb(text: str) -> FloatArray:
    """Parse ``#rrggbb`` (the ``#`` is optional) into sRGB values in [0, 1].

    Examples
    --------
    >>> hex_to_srgb("#ff8000").round(4).tolist()
    [1.0, 0.502, 0.0]
    """
    value = text.strip()
    if not looks_like_hex(value):
        raise ColourError(
            f"malformed colour {text!r}: give #rrggbb with six hex digits, e.g. #a07e56"
        )
    digits = value.lstrip("#")
    return np.array([int(digits[i : i + 2], 16) for i in (0, 2, 4)], dtype=np.float64) / 255.0


def srgb_to_hex(srgb: npt.ArrayLike) -> str:
    """Format sRGB values in [0, 1] (clipped) as ``#rrggbb``.

    Examples
    --------
    >>> srgb_to_hex([1.0, 0.5, 0.0])
    '#ff8000'
    """
    codes = np.rint(np.clip(np.asarray(srgb, dtype=np.float64), 0.0, 1.0) * 255.0)
    return "#" + "".join(f"{int(c):02x}" for c in codes.reshape(3))


def srgb_to_linear(srgb: npt.ArrayLike) -> FloatArray:
    """sRGB-encoded values in [0, 1] → linear light (IEC 61966-2-1 transfer function).

    Examples
    --------
    >>> srgb_to_linear([0.0, 0.04045, 0.5, 1.0]).round(5).tolist()
    [0.0, 0.00313, 0.21404, 1.0]
    """
    c = np.asarray(srgb, dtype=np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((np.maximum(c, 0.04045) + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(linear: npt.ArrayLike) -> FloatArray:
    """Linear light → sRGB-encoded values, clipped to [0, 1].

    Examples
    --------
    >>> linear_to_srgb([0.0, 0.21404, 1.0]).round(4).tolist()
    [0.0, 0.5, 1.0]
    """
    c = np.clip(np.asarray(linear, dtype=np.float64), 0.0, 1.0)
    return np.where(
        c <= 0.0031308, 12.92 * c, 1.055 * np.maximum(c, 0.0031308) ** (1.0 / 2.4) - 0.055
    )


def linear_to_lab(linear: npt.ArrayLike) -> FloatArray:
    """Linear sRGB, shape ``(..., 3)`` → CIELAB (D65, 2°), same shape.

    Examples
    --------
    >>> linear_to_lab([0.5, 0.5, 0.5]).round(2).tolist()
    [76.07, 0.0, -0.01]
    """
    xyz = np.asarray(linear, dtype=np.float64) @ XYZ_FROM_LINEAR_SRGB.T
    return np.asarray(xyz2lab(xyz, illuminant="D65", observer="2"), dtype=np.float64)


def lab_to_linear(lab: npt.ArrayLike) -> FloatArray:
    """CIELAB (D65, 2°), shape ``(..., 3)`` → linear sRGB (not clipped), same shape.

    Examples
    --------
    >>> lab_to_linear([100.0, 0.0, 0.0]).round(3).tolist()
    [1.0, 1.0, 1.0]
    """
    values = np.array(lab, dtype=np.float64)
    # Clip b* where z would go negative, as lab2xyz does, without its warning (any colour so
    # far out of gamut clips anyway).
    values[..., 2] = np.minimum(values[..., 2], 200.0 * (values[..., 0] + 16.0) / 116.0)
    xyz = lab2xyz(values, illuminant="D65", observer="2")
    return np.asarray(xyz, dtype=np.float64) @ LINEAR_SRGB_FROM_XYZ.T


def srgb_to_lab(srgb: npt.ArrayLike) -> FloatArray:
    """sRGB values in [0, 1], shape ``(..., 3)`` → CIELAB (D65, 2°).

    Examples
    --------
    >>> srgb_to_lab([1.0, 0.0, 0.0]).round(2).tolist()
    [53.23, 80.11, 67.22]
    """
    return linear_to_lab(srgb_to_linear(srgb))


def lab_to_srgb(lab: npt.ArrayLike) -> FloatArray:
    """CIELAB (D65, 2°) → sRGB values, clipped to [0, 1] (out-of-gamut colours clip).

    Examples
    --------
    >>> srgb_to_hex(lab_to_srgb([55.14, 7.78, 26.75]))
    '#a07e56'
    """
    return linear_to_srgb(lab_to_linear(lab))


def delta_e(lab1: npt.ArrayLike, lab2: npt.ArrayLike) -> FloatArray:
    """CIEDE2000 colour difference between CIELAB colours (broadcasts over leading axes).

    Examples
    --------
    >>> float(delta_e([50.0, 2.6772, -79.7751], [50.0, 0.0, -82.7485]).round(4))
    2.0425
    """
    a = np.asarray(lab1, dtype=np.float64)
    b = np.asarray(lab2, dtype=np.float64)
    difference = deltaE_ciede2000(a, b)  # type: ignore[no-untyped-call]
    return np.asarray(difference, dtype=np.float64)
