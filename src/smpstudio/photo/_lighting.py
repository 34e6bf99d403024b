"""How a photo was lit, and the skin's colour corrected for it.

The skin tone a photo shows depends on the light as much as on the person: a warm bulb, a
blue window or a greyscale camera each move CIELAB a* and b* and the ITA° with them. Before
a tone is read, the illuminant is estimated by the **white patch**: the mean colour of the
brightest 5 % of the unclipped pixels that are not skin (the brightest surfaces other than
the client — a wall, a shirt, a towel — are assumed neutral; the "bright pixels" estimate,
which was within 4–7 % of the true light on the test casts where the 99th percentile per
channel was off by up to 14 %). On the test
photos the white patch was within 4 % of neutral where the **grey world** (the mean of
each channel) read a 37 % red cast from an orange suit, so the white patch decides. When
nothing but skin is bright (a close-up of a scalp on a dark backdrop: the white patch would
be the skin itself) there is no reference and the light is taken as neutral.

- within :data:`NEUTRAL_CAST` the light counts as neutral and nothing is corrected;
- up to :data:`MAX_CAST` the skin's linear RGB is divided by the illuminant (von Kries),
  keeping its luminance, and a note says so;
- beyond it, or a photo without colour (greyscale, sepia), gets a warning and **no** tone:
  a tone measured there would be the light's, not the client's.

Exposure: a photo whose brightest pixels are dim is under-exposed, and skin samples that
clip at white are over-exposed; the two cheeks more than :data:`UNEVEN_L` L* apart mean
light from one side. Each gives a flag in :attr:`Lighting.flags` and a note.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smpstudio._types import BoolArray, FloatArray, UInt8Array
from smpstudio.colour import srgb_to_linear

__all__ = ["MAX_CAST", "NEUTRAL_CAST", "UNEVEN_L", "Lighting", "assess_lighting"]

NEUTRAL_CAST = 1.12
"""Largest ratio of the illuminant's strongest to weakest channel taken as neutral light."""
MAX_CAST = 2.0
"""Largest ratio corrected; above it the tone is not measured."""
UNEVEN_L = 10.0
"""L* between the two cheeks above which the light is called uneven."""
GREYSCALE_CHROMA = 4.0
"""Mean CIELAB chroma of the photo below which it has no usable colour."""
_REFERENCE = 0.3
"""Linear luminance a white reference must reach (a grey backdrop is no reference)."""
_DIM = 0.2
"""Linear luminance the brightest 1 % of pixels should reach in an exposed photo."""


@dataclass(frozen=True)
class Lighting:
    """The light of a photo, as far as the skin tone is concerned.

    Attributes
    ----------
    illuminant : (3,) array
        Estimated linear RGB of the light, mean 1 (``[1, 1, 1]`` is neutral).
    cast : float
        Strongest over weakest channel of the illuminant.
    corrected : bool
        Whether the skin colour was divided by the illuminant.
    flags : tuple of str
        ``greyscale``, ``colour-cast``, ``cast-corrected``, ``under-exposed``,
        ``over-exposed``, ``uneven``; empty for good light.
    notes : tuple of str
        One sentence per flag, for the user.
    """

    illuminant: FloatArray
    cast: float
    corrected: bool
    flags: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def measurable(self) -> bool:
        """Whether a skin tone read on this photo means the client's skin."""
        return not {"greyscale", "colour-cast"} & set(self.flags)

    def correct(self, linear_rgb: FloatArray) -> FloatArray:
        """Linear RGB under neutral light, luminance kept (identity when not corrected)."""
        rgb = np.asarray(linear_rgb, dtype=np.float64)
        if not self.corrected:
            return rgb
        fixed = rgb / self.illuminant
        weights = np.array([0.2126, 0.7152, 0.0722])
        before, after = float(rgb @ weights), float(fixed @ weights)
        return np.asarray(fixed * (before / after if after > 0 else 1.0), dtype=np.float64)

    def to_dict(self) -> dict[str, object]:
        return {
            "flags": list(self.flags),
            "illuminant_rgb": [round(float(v), 3) for v in self.illuminant],
            "cast": round(self.cast, 3),
            "corrected": self.corrected,
        }


def assess_lighting(
    pixels: UInt8Array,
    *,
    skin: UInt8Array | None = None,
    cheeks_l: tuple[float, float] | None = None,
    not_reference: BoolArray | None = None,
) -> Lighting:
    """The light of an RGB photo (best at a working size, ~1 MP), given the skin samples
    (``(N, 3)`` uint8), the two cheeks' L* when known, and the pixels that cannot serve as
    a white reference (the client's skin), same size as ``pixels``.

    Examples
    --------
    >>> from skimage import data
    >>> light = assess_lighting(data.astronaut())
    >>> light.flags, light.corrected
    ((), False)
    >>> grey = np.repeat(data.astronaut().mean(axis=2, keepdims=True), 3, 2).astype(np.uint8)
    >>> assess_lighting(grey).flags
    ('greyscale',)
    """
    linear = np.asarray(srgb_to_linear(pixels.reshape(-1, 3) / 255.0), dtype=np.float64)
    flags: list[str] = []
    notes: list[str] = []
    if _chroma(linear) < GREYSCALE_CHROMA:
        flags.append("greyscale")
        notes.append(
            "the photo has no colour (greyscale or sepia): its skin tone cannot be measured; "
            "choose the tone by hand or use a colour photo"
        )
        illuminant = np.ones(3)
    else:
        keep = None if not_reference is None else ~np.asarray(not_reference).reshape(-1)
        illuminant = _white_patch(linear if keep is None else linear[keep])
    cast = float(illuminant.max() / illuminant.min())
    corrected = False
    if "greyscale" not in flags and cast > MAX_CAST:
        flags.append("colour-cast")
        notes.append(
            f"the light is strongly coloured (channels {cast:.2f}× apart): its skin tone "
            "cannot be measured; retake it in daylight or choose the tone by hand"
        )
    elif "greyscale" not in flags and cast > NEUTRAL_CAST:
        corrected = True
        flags.append("cast-corrected")
        notes.append(
            f"the light is coloured (channels {cast:.2f}× apart): the skin tone was corrected "
            "for it (white patch); daylight photos measure better"
        )
    luminance = linear @ np.array([0.2126, 0.7152, 0.0722])
    if float(np.percentile(luminance, 99)) < _DIM:
        flags.append("under-exposed")
        notes.append("the photo is dark (under-exposed): the skin tone reads too dark")
    if skin is not None and len(skin) and float((skin.max(axis=1) >= 250).mean()) > 0.05:
        flags.append("over-exposed")
        notes.append("the skin is burnt out in places (over-exposed): the tone reads too light")
    if cheeks_l is not None and abs(cheeks_l[0] - cheeks_l[1]) > UNEVEN_L:
        flags.append("uneven")
        notes.append(
            f"the light falls from one side (cheeks {abs(cheeks_l[0] - cheeks_l[1]):.0f} L* "
            "apart): face a window or diffuse light for a true tone"
        )
    return Lighting(illuminant, cast, corrected, tuple(flags), tuple(notes))


def _white_patch(linear: FloatArray) -> FloatArray:
    """Mean colour of the brightest 5 % of the unclipped pixels (the "bright pixels" form of
    the white patch, Joze et al., CIC 2012), mean 1."""
    unclipped = linear[linear.max(axis=1) < 0.98]
    if len(unclipped) < 100:
        return np.ones(3)
    luminance = unclipped @ np.array([0.2126, 0.7152, 0.0722])
    bright = luminance >= np.percentile(luminance, 95)
    patch = unclipped[bright].mean(axis=0)
    if float(patch.min()) <= 0.0 or float(luminance[bright].mean()) < _REFERENCE:
        return np.ones(3)  # nothing bright enough to be a white reference
    return np.asarray(patch / patch.mean(), dtype=np.float64)


def _chroma(linear: FloatArray) -> float:
    """Mean CIELAB chroma (D65) of linear sRGB pixels."""
    from smpstudio.colour import linear_to_lab

    step = max(1, len(linear) // 200_000)
    lab = np.asarray(linear_to_lab(linear[::step]), dtype=np.float64)
    return float(np.hypot(lab[:, 1], lab[:, 2]).mean())
