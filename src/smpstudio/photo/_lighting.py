"""How a photo was lit, and the skin's colour corrected for it.

The skin tone a photo shows depends on the light as much as on the person: a warm bulb, a
blue window or a greyscale camera each move CIELAB a* and b* and the ITA° with them. Before
a tone is read, the illuminant is estimated from two references:

- the **whites of the eyes** (:func:`sclera_pixels`): inside the face mesh's eye contours,
  outside the iris (its landmarks give centre and radius) and within
  :data:`_SCLERA_REACH` iris radii of it (no caruncle in the eye's corner), unclipped; of
  those the brighter half by luminance (no lashes, lid shadows or veins). The sclera is not
  white — in linear light it reads pink-yellow — so the light is the observed colour divided
  by :data:`SCLERA_RGB`, its colour under the neutral studio light of 497 official colour
  portraits of the 118th Congress (GPO, public domain; ``tools/calibrate_sclera.py``), with
  a spread (:data:`SCLERA_SPREAD`) between people of 19 % in R/G and 13 % in B/G (one
  robust standard deviation);
- the **white patch**: the mean colour of the brightest 5 % of the unclipped pixels that
  are not skin (the brightest surfaces other than the client — a wall, a shirt, a towel —
  are assumed neutral; the "bright pixels" estimate, which was within 4–7 % of the true
  light on the test casts where the 99th percentile per channel was off by up to 14 %; the
  **grey world**, the mean of each channel, was rejected: it read a 37 % red cast from an
  orange suit). Precise where the brightest thing is white, but men are very often
  photographed in a light-blue shirt before a blue-grey backdrop: on those same 497
  portraits it called the light coloured and "corrected" the skin on 49 % of them (and
  gave no tone on 3 %).

How they combine. The sclera is always there on a frontal photo but only good to its
spread; the white patch is precise but can be a coloured surface. So the eyes decide
*whether* the light is coloured and the white patch, where it agrees, *how much*:

1. with at least :data:`MIN_SCLERA_PX` sclera pixels, when the eyes' estimate lies within
   :data:`SCLERA_GATE` spreads of neutral, the light is taken as neutral — a white patch
   reading a cast there saw a coloured shirt or backdrop (89 % of the official portraits'
   eyes fall within; a two-dimensional normal would put 96 % there);
2. when the eyes see a cast beyond that, the white patch gives the illuminant if it lies
   within :data:`SCLERA_GATE` spreads of the eyes' estimate (both see the same light; the
   white patch is the sharper measure); the eyes' own estimate when nothing but skin is
   bright (a dim photo); and neutral when the two disagree — on the official portraits
   the eyes alone would have corrected 4 % and refused a tone on 4 %, where with this
   rule 96 % read neutral, 2.4 % are corrected (1.8 % by a white patch agreeing with the
   eyes, 0.6 % by the eyes alone, nothing but skin being bright) and 1.2 % get no tone
   (visibly warm-tinted photos, some with half-shut eyes);
3. without the eyes (no face mesh, not a frontal view, eyes closed or too small, a scalp
   close-up) the white patch alone, as before; when nothing but skin is bright either (a
   close-up of a scalp on a dark backdrop) there is no reference and the light is taken as
   neutral.

Then:

- within :data:`NEUTRAL_CAST` the light counts as neutral and nothing is corrected;
- up to :data:`MAX_CAST` the skin's linear RGB is divided by the illuminant (von Kries),
  keeping its luminance, and a note says so and from which reference;
- beyond it, or a photo without colour (greyscale, sepia), gets a warning and **no** tone:
  a tone measured there would be the light's, not the client's.

The eyes cannot see a cast within their gate (about 1.55× in R/G or 1.35× in B/G alone): a
mild cast on a photo is left uncorrected, where the white patch alone would have corrected
it when the brightest surface happened to be white, and miscorrected it when it was a blue
shirt. Exposure is not corrected (the eyes' brightness depends on the brows' shadow).

Exposure: a photo whose brightest pixels are dim is under-exposed, and skin samples that
clip at white are over-exposed; the two cheeks more than :data:`UNEVEN_L` L* apart mean
light from one side. Each gives a flag in :attr:`Lighting.flags` and a note.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smpstudio._types import BoolArray, FloatArray, UInt8Array
from smpstudio.colour import srgb_to_linear
from smpstudio.photo._cv import opencv

__all__ = [
    "MAX_CAST",
    "MIN_SCLERA_PX",
    "NEUTRAL_CAST",
    "SCLERA_GATE",
    "SCLERA_RGB",
    "SCLERA_SPREAD",
    "UNEVEN_L",
    "Lighting",
    "assess_lighting",
    "sclera_pixels",
]

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

SCLERA_RGB = np.array([1.384, 0.866, 0.749])
"""Linear RGB (mean 1) of the sclera's brighter half under neutral light: the median over
the official colour portraits of the 118th Congress (see the module docstring)."""
SCLERA_SPREAD = np.array([0.175, 0.121])
"""Robust standard deviation (1.4826 × median absolute deviation) between people of the
sclera's log(R/G) and log(B/G), on the same portraits."""
SCLERA_GATE = 2.5
"""Spreads (Mahalanobis distance in log chromaticity) within which the eyes see no cast, and
within which the white patch agrees with them; a two-dimensional normal holds 96 % within."""
MIN_SCLERA_PX = 40
"""Sclera pixels (the brighter half kept) needed to use the eyes: the astronaut at 512 px
gives 53; an official portrait shrunk until it gives 49 reads 10 % redder (lids mixed in)."""
_EYES = (
    ((33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246), 468),
    ((263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466), 473),
)
"""Each eye's contour in the face mesh (MediaPipe's canonical model, lid margin all round)
and its iris centre; the next four vertices are the iris's edge."""
_IRIS_MARGIN = 1.1
"""Iris radii left out around the iris centre (the limbus is blurred)."""
_SCLERA_REACH = 3.0
"""Iris radii from the iris centre beyond which the eye's corner (pink caruncle) begins."""
_LUMA = np.array([0.2126, 0.7152, 0.0722])  # Rec. 709 luminance of linear RGB


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
    reference : str
        What the illuminant was read on: ``whites of the eyes`` (neutral, or a cast they
        saw), ``white patch``, or ``none`` (greyscale, or no reference found).
    """

    illuminant: FloatArray
    cast: float
    corrected: bool
    flags: tuple[str, ...]
    notes: tuple[str, ...]
    reference: str = "none"

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
        before, after = float(rgb @ _LUMA), float(fixed @ _LUMA)
        return np.asarray(fixed * (before / after if after > 0 else 1.0), dtype=np.float64)

    def to_dict(self) -> dict[str, object]:
        return {
            "flags": list(self.flags),
            "illuminant_rgb": [round(float(v), 3) for v in self.illuminant],
            "cast": round(self.cast, 3),
            "corrected": self.corrected,
            "reference": self.reference,
        }


def assess_lighting(
    pixels: UInt8Array,
    *,
    skin: UInt8Array | None = None,
    cheeks_l: tuple[float, float] | None = None,
    not_reference: BoolArray | None = None,
    sclera: UInt8Array | None = None,
) -> Lighting:
    """The light of an RGB photo (best at a working size, ~1 MP), given the skin samples
    (``(N, 3)`` uint8), the two cheeks' L* when known, the pixels that cannot serve as
    a white reference (the client's skin), same size as ``pixels``, and the whites of the
    eyes (``(N, 3)`` uint8, :func:`sclera_pixels`) when a face mesh found them.

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
        illuminant, reference = np.ones(3), "none"
    else:
        keep = None if not_reference is None else ~np.asarray(not_reference).reshape(-1)
        patch = _white_patch(linear if keep is None else linear[keep])
        illuminant, reference = _combined(patch, _sclera_light(sclera))
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
            f"for it ({reference}); daylight photos measure better"
        )
    luminance = linear @ _LUMA
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
    return Lighting(illuminant, cast, corrected, tuple(flags), tuple(notes), reference)


def sclera_pixels(pixels: UInt8Array, mesh: FloatArray) -> UInt8Array:
    """The photo's pixels on the whites of both eyes, given the 478-vertex face mesh (with
    the iris refinement) in the photo's pixel coordinates: inside each eye's contour, more
    than :data:`_IRIS_MARGIN` and less than :data:`_SCLERA_REACH` iris radii from the iris
    centre, ``(N, 3)`` uint8 (empty without the iris vertices)."""
    points = np.asarray(mesh, dtype=np.float64)
    if points.shape[0] < 478:
        return np.zeros((0, 3), np.uint8)
    found = [_eye_white(pixels, points, contour, iris) for contour, iris in _EYES]
    return np.concatenate(found)


def _eye_white(
    pixels: UInt8Array, mesh: FloatArray, contour: tuple[int, ...], iris: int
) -> UInt8Array:
    cv2 = opencv()

    height, width = pixels.shape[:2]
    outline = mesh[list(contour)]
    lo = np.maximum(np.floor(outline.min(axis=0)).astype(int), 0)
    hi = np.minimum(np.ceil(outline.max(axis=0)).astype(int) + 1, [width, height])
    if np.any(hi - lo < 2):
        return np.zeros((0, 3), np.uint8)
    inside = np.zeros((hi[1] - lo[1], hi[0] - lo[0]), np.uint8)
    cv2.fillPoly(inside, [np.round((outline - lo) * 8).astype(np.int32)], 1, shift=3)
    centre = mesh[iris]
    radius = float(np.mean(np.hypot(*(mesh[iris + 1 : iris + 5] - centre).T)))
    yy, xx = np.mgrid[lo[1] : hi[1], lo[0] : hi[0]]
    reach = np.hypot(xx + 0.5 - centre[0], yy + 0.5 - centre[1]) / max(radius, 0.5)
    keep = inside.astype(bool) & (reach > _IRIS_MARGIN) & (reach < _SCLERA_REACH)
    return np.asarray(pixels[lo[1] : hi[1], lo[0] : hi[0]][keep], dtype=np.uint8)


def _sclera_colour(sclera: UInt8Array | None) -> FloatArray | None:
    """Mean linear RGB of the brighter half of the unclipped sclera pixels, or None when
    fewer than :data:`MIN_SCLERA_PX` remain."""
    if sclera is None or len(sclera) < 2 * MIN_SCLERA_PX:
        return None
    usable = sclera[(sclera.max(axis=1) < 250) & (sclera.min(axis=1) > 2)]
    linear = np.asarray(srgb_to_linear(usable / 255.0), dtype=np.float64)
    luminance = linear @ _LUMA
    if len(linear) < 2 * MIN_SCLERA_PX:
        return None
    brighter = linear[luminance >= np.median(luminance)]
    return np.asarray(brighter.mean(axis=0), dtype=np.float64)


def _sclera_light(sclera: UInt8Array | None) -> FloatArray | None:
    """The illuminant the whites of the eyes show (mean 1), or None without enough of them."""
    colour = _sclera_colour(sclera)
    if colour is None or float(colour.min()) <= 0.0:
        return None
    light = colour / SCLERA_RGB
    return np.asarray(light / light.mean(), dtype=np.float64)


def _combined(patch: FloatArray | None, eyes: FloatArray | None) -> tuple[FloatArray, str]:
    """The illuminant and the reference it was read on (see the module docstring)."""
    if eyes is None:
        return (np.ones(3), "none") if patch is None else (patch, "white patch")
    if _spreads(eyes, np.ones(3)) <= SCLERA_GATE:
        return np.ones(3), "whites of the eyes"
    if patch is None:
        return eyes, "whites of the eyes"
    if _spreads(patch, eyes) <= SCLERA_GATE:
        return patch, "white patch"
    return np.ones(3), "none"  # the two references disagree: neither is trusted


def _spreads(light: FloatArray, other: FloatArray) -> float:
    """How many sclera spreads apart two illuminants are (log R/G and log B/G)."""
    apart = _log_chromaticity(light) - _log_chromaticity(other)
    return float(np.hypot(*(apart / SCLERA_SPREAD)))


def _log_chromaticity(rgb: FloatArray) -> FloatArray:
    return np.asarray(np.log([rgb[0] / rgb[1], rgb[2] / rgb[1]]), dtype=np.float64)


def _white_patch(linear: FloatArray) -> FloatArray | None:
    """Mean colour of the brightest 5 % of the unclipped pixels (the "bright pixels" form of
    the white patch, Joze et al., CIC 2012), mean 1; None when nothing is bright enough to
    be a white reference."""
    unclipped = linear[linear.max(axis=1) < 0.98]
    if len(unclipped) < 100:
        return None
    luminance = unclipped @ _LUMA
    bright = luminance >= np.percentile(luminance, 95)
    patch = unclipped[bright].mean(axis=0)
    if float(patch.min()) <= 0.0 or float(luminance[bright].mean()) < _REFERENCE:
        return None
    return np.asarray(patch / patch.mean(), dtype=np.float64)


def _chroma(linear: FloatArray) -> float:
    """Mean CIELAB chroma (D65) of linear sRGB pixels."""
    from smpstudio.colour import linear_to_lab

    step = max(1, len(linear) // 200_000)
    lab = np.asarray(linear_to_lab(linear[::step]), dtype=np.float64)
    return float(np.hypot(lab[:, 1], lab[:, 2]).mean())
