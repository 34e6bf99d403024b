"""Segmentation of a photo into background, face, hair, thinning scalp and bald scalp.

At a working resolution of at most :data:`WORK_SIDE` pixels:

1. **Person and background**: MediaPipe's selfie segmenter, a trained model shipped in its
   wheel (:mod:`smpstudio.photo._person`), its soft 256-px probability pulled to the photo's
   edges by a guided filter, where it finds the person around the face and the head's
   middle; otherwise colour histograms of the frame's border (background) and of the
   face and the middle of the head (person) classify every colour near the head by
   likelihood ratio, smoothed and kept where it joins the head.
2. **Skin**: a Gaussian model of the client's own skin chroma (CIELAB a*, b*) sampled on
   the cheeks, nose and forehead found by the landmarks (or, without a face, on the skin-
   coloured middle of the head); pixels within 3 σ that are not much darker than the skin are
   skin, and small specular highlights inside skin are closed into it.
3. **Hair**: with a face, MediaPipe's hair segmentation network (a trained model shipped in
   this package, :mod:`smpstudio.photo._hair`) on a square crop around the head: hair is
   hair by the model (probability above 0.5), whatever the colour of the skin and the light,
   except that smooth pixels of the client's skin colour need 0.85 (and, in a photo without
   colour, are never hair), and pixels much smoother than the face's skin at the finest
   scale (a bald crown, shiny or shaded, of any colour) are never hair; every other person
   pixel of the head is skin. Without a face
   (or with ``model=False``) the colour fallback: person pixels of the head that are not
   skin.
4. **Scalp or face**: behind the hairline and above the brows the head is scalp, in front
   of it face and forehead; nothing below the brows is ever scalp.
5. **Thinning**: behind the hairline the local hair coverage (share of hair pixels within
   :data:`COVERAGE_WINDOW_MM`) decides, with the design's thresholds: below
   ``coverage_bald_below`` (0.2) bald scalp, from ``coverage_hair_from`` (0.8) hair, between
   them thinning scalp.
6. **Corrections**: masks, polygons or brush strokes given by the user relabel pixels, in
   order (the last one wins).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from smpstudio._errors import PhotoError
from smpstudio._types import BoolArray, Float32Array, FloatArray, UInt8Array
from smpstudio.colour import srgb_to_linear
from smpstudio.photo._cv import opencv
from smpstudio.photo._design_height import MAX_YAW_CORRECTED_DEG
from smpstudio.photo._hair import HAIR_MODEL, hair_probability
from smpstudio.photo._hairline import HairlineProposal, forehead_top, parse_points
from smpstudio.photo._head_frame import oblique_skull
from smpstudio.photo._ingest import Photo, ingest_photo
from smpstudio.photo._landmarks import (
    FACE_OVAL,
    SKIN_SAMPLES,
    THREE_QUARTER_DEG,
    FaceLandmarks,
)
from smpstudio.photo._person import PERSON_MODEL, person_probability
from smpstudio.photo._work import downscaled

__all__ = [
    "COVERAGE_WINDOW_MM",
    "REGIONS",
    "WORK_SIDE",
    "Correction",
    "Segmentation",
    "SegmentationBase",
    "parse_correction",
    "segment_base",
    "segment_photo",
]

REGIONS: tuple[str, ...] = (
    "background",
    "face",
    "hair",
    "thinning",
    "scalp",
    "ears",
    "clothing",
)
"""Region of each pixel, by code (index into this tuple). ``face`` is skin in front of the
hairline (forehead, face, neck); ``scalp`` is bald scalp, ``thinning`` scalp with hair
between the coverage thresholds; ``ears`` the skin beside the face oval between the brows and
the nose's base (frontal photos with a face); ``clothing`` the person below the head that is
not skin (and, in a photo without colour, all of the person below the head)."""

BACKGROUND, FACE, HAIR, THINNING, SCALP, EARS, CLOTHING = range(7)
WORK_SIDE = 1024
_LINEAR = np.asarray(srgb_to_linear(np.arange(256) / 255.0), dtype=np.float32)
"""Longest side of the working resolution (pixels)."""
COVERAGE_WINDOW_MM = 8.0
"""Side of the window over which hair coverage is measured (mm)."""

_SKIN_SIGMA = 3.0
_MIN_CHROMA_STD = 0.006  # chromaticity units
_SKIN_DARKER = 40.0  # L* below the skin's median that still counts as (shaded) skin


@dataclass(frozen=True)
class Correction:
    """A user correction: pixels to relabel as ``region``.

    Give exactly one of ``mask`` (a boolean array the size of the photo), ``polygon``
    (``(N, 2)`` vertices, pixels) or ``stroke`` (``(N, 2)`` points of a brush stroke of
    ``radius_px``).

    Examples
    --------
    >>> c = Correction("hair", polygon=np.array([[0, 0], [10, 0], [10, 10]]))
    >>> c.raster((20, 20), zoom=1.0).sum()
    66
    """

    region: str
    mask: BoolArray | None = field(default=None, repr=False)
    polygon: FloatArray | None = None
    stroke: FloatArray | None = None
    radius_px: float = 10.0

    def __post_init__(self) -> None:
        if self.region not in REGIONS:
            raise PhotoError(
                f"unknown region {self.region!r} in a correction: use {', '.join(REGIONS)}"
            )
        given = sum(x is not None for x in (self.mask, self.polygon, self.stroke))
        if given != 1:
            raise PhotoError("a correction is exactly one of a mask, a polygon or a stroke")
        if self.polygon is not None and len(self.polygon) < 3:
            raise PhotoError("a correction polygon needs at least three points")
        if self.stroke is not None and not (self.radius_px > 0 and math.isfinite(self.radius_px)):
            raise PhotoError("a brush stroke needs a positive radius in pixels")

    def raster(self, size: tuple[int, int], *, zoom: float) -> BoolArray:
        """The corrected pixels on a grid of ``size`` (width, height) at ``zoom`` grid
        pixels per photo pixel."""
        cv2 = opencv()

        width, height = size
        out = np.zeros((height, width), dtype=np.uint8)
        if self.mask is not None:
            small = cv2.resize(
                self.mask.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST
            )
            return np.asarray(small > 0)
        if self.polygon is not None:
            pts = np.round(self.polygon * zoom * 16.0).astype(np.int32).reshape(-1, 1, 2)
            cv2.fillPoly(out, [pts], 1, lineType=cv2.LINE_8, shift=4)
        elif self.stroke is not None:
            pts = np.round(self.stroke * zoom * 16.0).astype(np.int32).reshape(-1, 1, 2)
            thickness = max(1, round(2.0 * self.radius_px * zoom))
            cv2.polylines(out, [pts], False, 1, thickness, lineType=cv2.LINE_8, shift=4)
            for x, y in self.stroke * zoom:
                cv2.circle(out, (round(x), round(y)), max(1, round(self.radius_px * zoom)), 1, -1)
        return np.asarray(out > 0)


def parse_correction(kind: str, text: str, *, size: tuple[int, int]) -> Correction:
    """A correction from the command line: ``mask`` ``REGION=FILE`` (a black-and-white image
    the size of the photo, white = relabel), ``polygon`` ``REGION=x,y;x,y;…`` or ``brush``
    ``REGION=R:x,y;x,y;…`` (radius R px).

    >>> parse_correction("polygon", "hair=0,0;9,0;9,9", size=(10, 10)).region
    'hair'
    """
    region, sep, rest = str(text).partition("=")
    region = region.strip().lower()
    if not sep or not rest.strip():
        raise PhotoError(
            f"--{kind} {text!r}: write REGION=… with REGION one of {', '.join(REGIONS)}"
        )
    if kind == "mask":
        return Correction(region, mask=_mask_file(Path(rest.strip()), size))
    if kind == "polygon":
        return Correction(region, polygon=parse_points(rest, what="polygon points"))
    if kind == "brush":
        radius, colon, points = rest.partition(":")
        try:
            r = float(radius)
        except ValueError:
            r = math.nan
        if not colon or not math.isfinite(r):
            raise PhotoError(f"--brush {text!r}: write REGION=RADIUS:x,y;x,y;… (radius in px)")
        return Correction(region, stroke=parse_points(points, what="brush points"), radius_px=r)
    raise PhotoError(f"unknown correction kind {kind!r}: use mask, polygon or brush")


def _mask_file(path: Path, size: tuple[int, int]) -> BoolArray:
    """A mask image, read with the same safe ingest as photos; white (≥ 50 %) = selected."""
    image = ingest_photo(path, view="frontal")
    if image.size != size:
        raise PhotoError(
            f"mask {str(path)!r} is {image.width}×{image.height} px but the photo is "
            f"{size[0]}×{size[1]}: draw the mask on the photo itself, at its size"
        )
    return np.asarray(image.pixels.mean(axis=2) >= 128)


@dataclass(frozen=True, eq=False)
class Segmentation:
    """Regions of a photo at the working resolution.

    Attributes
    ----------
    labels : (h, w) uint8 array
        Region codes (index into :data:`REGIONS`).
    coverage : (h, w) float32 array
        Local hair coverage behind the hairline (0 elsewhere).
    skin_lab : (3,) array
        Median CIELAB of the skin the model was sampled on.
    zoom : float
        Working pixels per photo pixel.
    photo_size : tuple of int
        ``(width, height)`` of the photo.
    skin : (h, w) bool array or None
        Pixels of bare skin (before corrections).
    person_source : str
        What told the person from the background: ``mediapipe-selfie-segmentation`` (the
        trained model) or ``colour`` (the fallback).
    hair_source : str
        What told hair from skin: ``mediapipe-hair-segmentation`` (the trained model) or
        ``colour`` (the fallback: head pixels that are not skin-coloured).
    boundary : HairlineProposal or None
        The line between forehead (``face``) and scalp: the client's natural hairline
        (rule ``forehead``), a hairline drawn by hand, or the proposal without a face mesh.
    """

    labels: UInt8Array
    coverage: Float32Array
    skin_lab: FloatArray
    zoom: float
    photo_size: tuple[int, int]
    skin: BoolArray | None = None
    person_source: str = "colour"
    hair_source: str = "colour"
    boundary: HairlineProposal | None = None

    def areas_px(self) -> dict[str, int]:
        """Area of each region in photo pixels."""
        counts = np.bincount(self.labels.ravel(), minlength=len(REGIONS))
        per = 1.0 / self.zoom**2
        total = self.photo_size[0] * self.photo_size[1]
        areas = {name: round(float(counts[k]) * per) for k, name in enumerate(REGIONS)}
        areas["background"] += total - sum(areas.values())  # rounding goes to the background
        return areas

    def mask(self, *names: str) -> BoolArray:
        """Pixels (working resolution) in any of the named regions."""
        codes = [REGIONS.index(n) for n in names]
        return np.asarray(np.isin(self.labels, codes))


def segment_photo(
    photo: Photo,
    *,
    landmarks: FaceLandmarks | None,
    hairline: HairlineProposal | None,
    mm_per_px: float | None,
    corrections: Sequence[Correction] = (),
    coverage_bald_below: float = 0.2,
    coverage_hair_from: float = 0.8,
    skin_hint_lab: FloatArray | None = None,
    model: bool = True,
) -> Segmentation:
    """Segment a photo (see the module notes).

    Parameters
    ----------
    photo
        The photo.
    landmarks, hairline
        Face points and hairline (frontal photos); without a hairline every skin pixel of the
        head counts as scalp.
    mm_per_px
        Scale, for the coverage window (a head-sized guess is used without it).
    corrections
        User corrections, applied in order.
    coverage_bald_below, coverage_hair_from
        Coverage thresholds (the design's settings of the same names).
    skin_hint_lab
        A CIELAB skin colour to start the skin model from when there is no face.
    model
        Use the hair model where there is a face (``False``: the colour fallback only, as
        the evaluation compares them).
    """
    base = segment_base(
        photo, landmarks=landmarks, mm_per_px=mm_per_px, skin_hint_lab=skin_hint_lab, model=model
    )
    return base.regions(
        hairline=hairline,
        corrections=corrections,
        coverage_bald_below=coverage_bald_below,
        coverage_hair_from=coverage_hair_from,
    )


@dataclass(frozen=True, eq=False)
class SegmentationBase:
    """What the segmentation of a photo does not owe to the hairline: the person, skin and
    hair masks, the hair model's probabilities and the face's masks, at the working
    resolution (:func:`segment_base`). :meth:`regions` finishes the segmentation for a
    hairline and corrections in a few milliseconds, so a hairline can be dragged on the
    photo without running the models again."""

    photo_size: tuple[int, int]
    view: str
    zoom: float
    landmarks: FaceLandmarks | None
    mm_per_px: float | None
    person: BoolArray
    person_source: str
    skin: BoolArray
    """Skin after the hair model (every non-hair pixel of the head with the model)."""
    skin_lab: FloatArray
    head_zone: BoolArray
    hair: BoolArray
    hair_p: Float32Array | None
    raw_p: Float32Array | None
    hair_share: Float32Array
    colourless: bool
    face_mask: BoolArray | None
    above_brows: BoolArray | None
    ears_band: BoolArray | None
    head_guess_mm_per_px: float

    def regions(
        self,
        *,
        hairline: HairlineProposal | None,
        corrections: Sequence[Correction] = (),
        coverage_bald_below: float = 0.2,
        coverage_hair_from: float = 0.8,
    ) -> Segmentation:
        """The segmentation with ``hairline`` (see :func:`segment_photo`)."""
        cv2 = opencv()

        rows, cols = self.person.shape
        zoom = self.zoom
        head_zone, skin, hair = self.head_zone, self.skin, self.hair
        mm_per_px = self.mm_per_px
        boundary = _face_scalp_boundary(self.landmarks, hairline, mm_per_px)
        if boundary is not None:
            behind = boundary.signed_distance((rows, cols), zoom=zoom) > 0
        else:
            behind = _scalp_zone(head_zone, self.view)
        model = self.hair_p is not None
        if model:
            if (
                boundary is not None
                and boundary.rule == "forehead"
                and not self.colourless
                and not _three_quarter(self.landmarks)
            ):
                assert self.raw_p is not None
                behind &= ~_forehead_below_full_hairline(
                    behind, hair, self.raw_p, boundary, zoom, mm_per_px
                )
            hair_share = self.hair_share
        else:
            if self.face_mask is not None:
                hair = hair & (~self.face_mask | behind)
            hair_share = hair.astype(np.float32)
        if self.above_brows is not None:
            behind &= self.above_brows
        px_mm = (mm_per_px or self.head_guess_mm_per_px) / zoom
        window = max(3, round(COVERAGE_WINDOW_MM / px_mm) | 1)
        zone = (behind & head_zone).astype(np.float32)
        hair_count = cv2.boxFilter(hair_share * zone, -1, (window, window), normalize=True)
        zone_count = cv2.boxFilter(zone, -1, (window, window), normalize=True)
        coverage = np.where(zone > 0, hair_count / np.maximum(zone_count, 1e-6), 0.0).astype(
            np.float32
        )
        labels = np.full((rows, cols), BACKGROUND, dtype=np.uint8)
        labels[head_zone & hair] = HAIR
        labels[skin & head_zone & ~behind] = FACE
        if model:  # every non-hair pixel of the head before the line is face
            labels[head_zone & ~hair & ~behind] = FACE
        if self.face_mask is not None:
            labels[self.face_mask & ~behind] = FACE
        scalp_zone = head_zone & behind & (skin | hair)
        labels[scalp_zone & (coverage < coverage_hair_from)] = THINNING
        labels[scalp_zone & (coverage < coverage_bald_below)] = SCALP
        labels[scalp_zone & (coverage >= coverage_hair_from)] = HAIR
        outside = self.person & ~head_zone
        if model:  # long hair below the head's ellipse
            assert self.hair_p is not None
            labels[outside & (self.hair_p > _HAIR_LEVEL)] = HAIR
            outside &= self.hair_p <= _HAIR_LEVEL
        if self.colourless:  # no colour to tell skin from cloth by
            labels[outside] = CLOTHING
        else:
            labels[outside & ~skin] = CLOTHING
            labels[outside & skin] = FACE  # neck and hands: skin, never treated
        if self.ears_band is not None:
            labels[self.ears_band & (labels == FACE)] = EARS
        labels = _tidy(labels, window)
        for correction in corrections:
            labels[correction.raster((cols, rows), zoom=zoom)] = REGIONS.index(correction.region)
        return Segmentation(
            labels,
            coverage,
            self.skin_lab,
            zoom,
            self.photo_size,
            skin,
            self.person_source,
            HAIR_MODEL if model else "colour",
            boundary,
        )


def segment_base(
    photo: Photo,
    *,
    landmarks: FaceLandmarks | None,
    mm_per_px: float | None,
    skin_hint_lab: FloatArray | None = None,
    model: bool = True,
) -> SegmentationBase:
    """The hairline-independent part of :func:`segment_photo` (its models and masks)."""
    cv2 = opencv()

    small, zoom = downscaled(photo, WORK_SIDE)
    rows, cols = small.shape[:2]
    lab = cv2.cvtColor(small.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    face_poly = _face_polygon(landmarks, zoom)
    head = _head_ellipse(landmarks, photo, zoom, mm_per_px)
    person, person_source = _person(small, face_poly, head)
    texture = _texture(lab[:, :, 0])
    near = _sample_mask(landmarks, lab.shape[:2], zoom)
    sample = _skin_samples(near, lab, person, head, skin_hint_lab)
    skin, skin_lab = _skin(lab, _chromaticity(small), sample, person)
    smooth = _smooth_enough(texture, near if near is not None and near.any() else skin)
    skin &= smooth
    head_zone = person & _ellipse_mask((rows, cols), head, grow=1.0)
    colourless = float(np.hypot(lab[:, :, 1], lab[:, :, 2]).mean()) < _NO_COLOUR
    box = _head_box(landmarks, head) if model else None
    face_mask = None if face_poly is None else _polygon_mask((rows, cols), face_poly)
    hair_p: Float32Array | None = None
    raw_p: Float32Array | None = None
    if box is not None:
        raw_p = hair_probability(small, box)
        # smooth, skin-coloured pixels are hair only where the model is sure (never in a
        # photo without colour, where it is not trained)
        doubt = skin if colourless else skin & (raw_p < _HAIR_SURE)
        doubt |= head_zone & _bare_smooth(lab[:, :, 0], near, float(skin_lab[0]))
        hair_p = np.where(doubt, np.float32(0.0), raw_p).astype(np.float32)
        hair = head_zone & (hair_p > _HAIR_LEVEL)
        skin = skin | (head_zone & ~hair)
        hair_share = np.where(head_zone, hair_p, np.float32(0.0)).astype(np.float32)
    else:
        hair = head_zone & ~skin
        hair_share = hair.astype(np.float32)
    above = None
    if landmarks is not None and landmarks.has("glabella", "right_canthus", "left_canthus"):
        above = _above_brows(landmarks, (rows, cols), zoom)
    ears = None
    if face_mask is not None and landmarks is not None and landmarks.has("subnasale"):
        rise = _rise(landmarks, (rows, cols), zoom)
        top = float(np.dot(landmarks["glabella"], landmarks.up))
        bottom = float(np.dot(landmarks["subnasale"], landmarks.up))
        band = (rise <= top + 0.15 * (top - bottom)) & (rise >= bottom - 0.15 * (top - bottom))
        ears = band & ~face_mask
    return SegmentationBase(
        photo_size=photo.size,
        view=photo.view,
        zoom=zoom,
        landmarks=landmarks,
        mm_per_px=mm_per_px,
        person=person,
        person_source=person_source,
        skin=skin,
        skin_lab=skin_lab,
        head_zone=head_zone,
        hair=hair,
        hair_p=hair_p,
        raw_p=raw_p,
        hair_share=hair_share,
        colourless=colourless,
        face_mask=face_mask,
        above_brows=above,
        ears_band=ears,
        head_guess_mm_per_px=_guess_mm_per_px(head, zoom),
    )


def _face_scalp_boundary(
    marks: FaceLandmarks | None, hairline: HairlineProposal | None, mm_per_px: float | None
) -> HairlineProposal | None:
    """The line between forehead and scalp: the client's natural hairline
    (:func:`~smpstudio.photo._hairline.forehead_top`) where the face mesh gives it, since
    what is bald scalp does not depend on where the SMP hairline is designed; a line drawn or
    moved by hand is the practitioner's word and is used as it is; without a mesh, the
    proposed hairline."""
    if hairline is None or hairline.rule == "manual" or marks is None:
        return hairline
    return forehead_top(marks, mm_per_px=mm_per_px) or hairline


def _three_quarter(marks: FaceLandmarks | None) -> bool:
    """A three-quarter view (:data:`~smpstudio.photo._landmarks.THREE_QUARTER_DEG`): its
    hair front is not above the natural hairline in the photo's columns (on the near temple
    it lies beside it), so the full-hairline rule, which looks up each column, is not used —
    it cut the skin between the line and the hair into upright strips of forehead and scalp,
    and a design's line across them left a stripe of dots. (A face turned 12° still has its
    front above the line: ``chris``'s forehead became 7.9 % scalp without the rule.)"""
    pose = None if marks is None else marks.pose
    return pose is not None and abs(pose[0]) >= THREE_QUARTER_DEG[0]


_HAIR_LEVEL = 0.5
"""Hair probability above which a pixel is hair."""
_HAIR_SURE = 0.85
"""Hair probability above which the model overrules the colour model's smooth skin."""
_NO_COLOUR = 4.0
"""Mean CIELAB chroma below which a photo has no colour (greyscale, sepia). The hair model,
trained on colour photos, calls grey bald domes hair there (probability 0.5–1): a pixel is
then hair only where the model and the colour-and-texture model (smooth skin is not hair)
agree."""


_FRONT_REACH_MM = 30.0
"""How far above the estimated natural hairline a hair front is looked for (mm)."""
_FRONT_WISPS = 0.15
"""Share of the skin between the estimated natural hairline and the hair front that the
hair model gives a probability above 0.3 (stray and miniaturised hairs ahead of the front)
under which the front is a full, sharp hairline and that skin is forehead. Measured on the
colour photos of the evaluation set: full hairlines 0.01–0.09 (chris, luciano, obama, bryan,
with their poor-light variants), Biden's thinning front 0.21–0.25. Not used in a photo
without colour, where the hair model is not trusted on skin."""


def _forehead_below_full_hairline(
    behind: BoolArray,
    hair: BoolArray,
    hair_p: Float32Array,
    boundary: HairlineProposal,
    zoom: float,
    mm_per_px: float | None,
) -> BoolArray:
    """Skin between the estimated natural hairline and the client's own hair front, when
    that front is a full hairline: then the forehead ends where the hair begins (the
    estimate only stands in for a hairline that is no longer there). A receding or thinning
    front has stray and miniaturised hairs ahead of it, and the bare skin before it is bald
    scalp. The front is the dense hair (:data:`_FRONT_DENSE` of a 4 mm window) nearest
    above the line in each column of the working grid, within :data:`_FRONT_REACH_MM`; the
    wisps are counted on the skin before it, 2 mm clear of it, between the lateral canthi,
    and decide once for the whole front (:data:`_FRONT_WISPS`)."""
    cv2 = opencv()

    rows, cols = behind.shape
    out = np.zeros_like(behind)
    if not mm_per_px or not hair.any():
        return out
    px_mm = mm_per_px / zoom
    reach = max(1, round(_FRONT_REACH_MM / px_mm))
    clear = max(1, round(2.0 / px_mm))
    window = max(3, round(4.0 / px_mm) | 1)
    dense = hair & (
        cv2.boxFilter(hair.astype(np.float32), -1, (window, window)) >= np.float32(_FRONT_DENSE)
    )
    line = boundary.polyline * zoom
    x = np.round(line[:, 0]).astype(np.int64)
    inside = (x >= 0) & (x < cols)
    first = np.full(cols, -1, dtype=np.int64)  # the line's lowest row in each column
    np.maximum.at(first, x[inside], np.round(line[inside, 1]).astype(np.int64))
    s = (line[:, 0] - float(boundary.mid_frontal[0]) * zoom) * float(boundary.across[0])
    half = 0.5 * float(np.ptp(s)) * _FRONT_SPAN
    centre = np.zeros(cols, dtype=bool)
    centre[x[inside & (np.abs(s) <= half)]] = True
    band = np.zeros_like(behind)
    sample = np.zeros_like(behind)
    for c in np.flatnonzero(first >= 0):
        r0 = int(min(first[c], rows - 1))
        top = max(0, r0 - reach)
        hit = np.flatnonzero(dense[top : r0 + 1, c])
        if len(hit) == 0:
            continue
        front = top + int(hit[-1])  # the dense hair nearest above the line
        band[front + 1 : r0 + 1, c] = True
        if centre[c]:
            sample[front + 1 + clear : r0 + 1, c] = True
    band &= behind
    sample &= behind & ~dense
    if int(sample.sum()) < 10:
        return out
    wisps = float((hair_p[sample] > 0.3).mean())
    return band if wisps < _FRONT_WISPS else out


_FRONT_DENSE = 0.8
_FRONT_SPAN = 0.55
"""Middle share of the line's width (about the span between the lateral canthi) where the
wisps ahead of the front are counted."""


def _head_box(marks: FaceLandmarks | None, head: _Ellipse) -> tuple[int, int, int, int] | None:
    """The square the hair model looks at (working pixels): the head ellipse's taller side
    and 10 % around it, centred on it; None without a face."""
    if marks is None or not marks.has("glabella", "menton", "right_canthus", "left_canthus"):
        return None
    side = max(8, round(2.2 * max(head.a, head.b)))
    x0 = round(float(head.centre[0]) - side / 2)
    y0 = round(float(head.centre[1]) - side / 2)
    return x0, y0, side, side


def _above_brows(marks: FaceLandmarks, shape: tuple[int, int], zoom: float) -> BoolArray:
    """Working pixels above the line through the glabella along the eyes' axis (and the
    tops of the brows where they are known): bald scalp is only ever above the brows."""
    points = [marks["glabella"]]
    points += [marks[n] for n in ("right_brow", "left_brow") if marks.has(n)]
    height = max(float(np.dot(p, marks.up)) for p in points)  # the highest brow point
    return np.asarray(_rise(marks, shape, zoom) > np.float32(height))


def _rise(marks: FaceLandmarks, shape: tuple[int, int], zoom: float) -> Float32Array:
    """Height of each working pixel along the face's up direction (photo pixels)."""
    rows, cols = shape
    y = np.arange(rows, dtype=np.float32)[:, None] / np.float32(zoom)
    x = np.arange(cols, dtype=np.float32)[None, :] / np.float32(zoom)
    return np.asarray(x * np.float32(marks.up[0]) + y * np.float32(marks.up[1]))


def _face_polygon(marks: FaceLandmarks | None, zoom: float) -> FloatArray | None:
    if marks is None:
        return None
    if marks.mesh is not None:
        return np.asarray(marks.mesh[list(FACE_OVAL)] * zoom, dtype=np.float64)
    if not marks.has("glabella", "menton", "right_canthus", "left_canthus"):
        return None
    g, m = marks["glabella"], marks["menton"]
    half = 0.62 * float(np.hypot(*(marks["left_canthus"] - marks["right_canthus"])))
    centre = (g + m) / 2.0
    tall = float(np.hypot(*(g - m))) * 0.55
    angle = np.linspace(0.0, 2.0 * math.pi, 36, endpoint=False)
    pts = centre + np.outer(np.cos(angle), marks.across) * half * 0.85
    pts += np.outer(np.sin(angle), marks.up) * tall
    return np.asarray(pts * zoom, dtype=np.float64)


@dataclass(frozen=True)
class _Ellipse:
    centre: FloatArray  # working pixels
    axis_u: FloatArray  # unit vector of the first axis
    a: float  # semi-axis along axis_u (working pixels)
    b: float  # semi-axis perpendicular to it


def _head_ellipse(
    marks: FaceLandmarks | None, photo: Photo, zoom: float, mm_per_px: float | None
) -> _Ellipse:
    """Where the head (with its hair) can be: from the face on frontal photos, the middle
    of the frame otherwise."""
    if marks is not None and marks.has("glabella", "menton", "right_canthus", "left_canthus"):
        g, m = marks["glabella"] * zoom, marks["menton"] * zoom
        drop = float(np.dot(g - m, marks.up))
        canthi = float(np.hypot(*(marks["left_canthus"] - marks["right_canthus"]))) * zoom
        centre = g + marks.up * 0.1 * drop
        if not _three_quarter(marks):
            return _Ellipse(centre, marks.across, 1.35 * canthi, 1.3 * drop)
        assert marks.pose is not None
        return _turned_head_ellipse(centre, marks.across, canthi, drop, marks.pose[0])
    rows, cols = photo.height * zoom, photo.width * zoom
    return _Ellipse(
        np.array([cols / 2.0, rows * 0.48]), np.array([1.0, 0.0]), 0.46 * cols, 0.47 * rows
    )


_SKULL_HALF_BREADTH = 0.835
_SKULL_HALF_LENGTH = 1.08
_GLABELLA_TO_CENTRE = 1.07
"""The skull's half breadth and half length and the glabella's distance in front of its
centre, in canthal widths (head M: 76, 98 and 97.5 mm for 91 mm between the lateral canthi);
a frontal head ellipse is 1.35 canthal widths across each way, the rest hair."""


def _turned_head_ellipse(
    centre: FloatArray, across: FloatArray, canthi: float, drop: float, yaw_deg: float
) -> _Ellipse:
    """The head ellipse of a three-quarter view turned ``yaw_deg``: the skull seen
    obliquely (its breadth foreshortened, its length showing) with the frontal ellipse's
    margin for hair, centred on the skull's centre, which lies behind the face. A turned
    face's eyes are foreshortened by ``cos(yaw)``, so the canthal width is taken back to the
    face's own. (Centred on the face, the ellipse of ``interfaces-040``, turned 59°, ended
    mid-temple: the skin behind it was called neck, and the recession was cut upright.)"""
    width = canthi / math.cos(math.radians(min(abs(yaw_deg), MAX_YAW_CORRECTED_DEG)))
    seen, back = oblique_skull(
        _SKULL_HALF_BREADTH * width,
        _SKULL_HALF_LENGTH * width,
        _GLABELLA_TO_CENTRE * width,
        yaw_deg,
    )
    half = seen + (1.35 - _SKULL_HALF_BREADTH) * width
    return _Ellipse(centre + across * back, across, half, 1.3 * drop)


def _guess_mm_per_px(head: _Ellipse, zoom: float) -> float:
    """Without a scale: the head ellipse is about 200 mm across (head with hair)."""
    return 200.0 / (2.0 * head.a / zoom)


def _ellipse_mask(shape: tuple[int, ...], e: _Ellipse, *, grow: float) -> BoolArray:
    rows, cols = shape
    dx = np.arange(cols, dtype=np.float32)[None, :] - np.float32(e.centre[0])
    dy = np.arange(rows, dtype=np.float32)[:, None] - np.float32(e.centre[1])
    u = (dx * np.float32(e.axis_u[0]) + dy * np.float32(e.axis_u[1])) / np.float32(e.a * grow)
    v = (-dx * np.float32(e.axis_u[1]) + dy * np.float32(e.axis_u[0])) / np.float32(e.b * grow)
    return np.asarray(u * u + v * v <= 1.0)


def _polygon_mask(shape: tuple[int, int], polygon: FloatArray) -> BoolArray:
    cv2 = opencv()

    out = np.zeros(shape, dtype=np.uint8)
    pts = np.round(polygon * 16.0).astype(np.int32).reshape(-1, 1, 2)
    cv2.fillPoly(out, [pts], 1, lineType=cv2.LINE_8, shift=4)
    return np.asarray(out > 0)


def _person(small: UInt8Array, face: FloatArray | None, head: _Ellipse) -> tuple[BoolArray, str]:
    """Person (head and body) against the background, and which model said so: the selfie
    segmenter where it sees the person around the head (:data:`_PERSON_AGREEMENT` of the
    face and the head's middle), else the colour model (:func:`_person_by_colour`)."""
    cv2 = opencv()

    rows, cols = small.shape[:2]
    fore = _ellipse_mask((rows, cols), head, grow=0.55)
    if face is not None:
        fore |= _polygon_mask((rows, cols), face)
    probability = person_probability(small)
    probability = _snap_to_edges(probability, small)
    trained = cv2.GaussianBlur(probability, (5, 5), 0) > 0.5
    if fore.any() and float(trained[fore].mean()) >= _PERSON_AGREEMENT:
        _, comp = cv2.connectedComponents(trained.astype(np.uint8), connectivity=8)
        seeds = np.unique(comp[fore & (comp > 0)])
        return np.asarray(np.isin(comp, seeds) & (comp > 0)), PERSON_MODEL
    return _person_by_colour(small, face, head, fore), "colour"


def _snap_to_edges(probability: Float32Array, small: UInt8Array) -> Float32Array:
    """The selfie segmenter's probability (soft: it sees the photo at 256 px) made to follow
    the photo's own edges at the working resolution: a fast guided filter (He and Sun,
    arXiv:1505.00996) with the colour image as guide, its linear coefficients fitted at the
    model's resolution (:data:`_GUIDE_SIDE`) over :data:`_GUIDE_RADIUS` of its pixels and
    applied at the working one, so the person's outline runs where the head's edge is."""
    cv2 = opencv()

    rows, cols = probability.shape
    scale = min(1.0, _GUIDE_SIDE / max(rows, cols))
    size = (max(1, round(cols * scale)), max(1, round(rows * scale)))
    guide = small.astype(np.float32) / np.float32(255.0)
    low = cv2.resize(guide, size, interpolation=cv2.INTER_AREA)
    p = cv2.resize(probability, size, interpolation=cv2.INTER_AREA)
    box = (2 * _GUIDE_RADIUS + 1, 2 * _GUIDE_RADIUS + 1)

    def mean(x: Float32Array) -> Float32Array:
        return np.asarray(cv2.boxFilter(x, -1, box, borderType=cv2.BORDER_REFLECT))

    mean_i, mean_p = mean(low), mean(p)
    cov = mean(low * p[:, :, None]) - mean_i * mean_p[:, :, None]
    pairs = ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))
    rr, rg, rb, gg, gb, bb = (
        mean(low[:, :, i] * low[:, :, j]) - mean_i[:, :, i] * mean_i[:, :, j] for i, j in pairs
    )
    eps = np.float32(_GUIDE_EPS)
    rr, gg, bb = rr + eps, gg + eps, bb + eps
    # the symmetric 3 × 3 covariance inverted by its cofactors, pixel by pixel
    c00, c01, c02 = gg * bb - gb * gb, rb * gb - rg * bb, rg * gb - rb * gg
    c11, c12, c22 = rr * bb - rb * rb, rg * rb - rr * gb, rr * gg - rg * rg
    det = rr * c00 + rg * c01 + rb * c02
    x, y, z = cov[:, :, 0], cov[:, :, 1], cov[:, :, 2]
    a = (
        np.stack(
            (c00 * x + c01 * y + c02 * z, c01 * x + c11 * y + c12 * z, c02 * x + c12 * y + c22 * z),
            axis=2,
        )
        / det[:, :, None]
    )
    b = mean_p - (a * mean_i).sum(axis=2)
    a = cv2.resize(mean(a), (cols, rows), interpolation=cv2.INTER_LINEAR)
    b = cv2.resize(mean(b), (cols, rows), interpolation=cv2.INTER_LINEAR)
    ones = np.ones((1, 3), dtype=np.float32)
    return np.asarray(cv2.transform(a * guide, ones) + b, dtype=np.float32)


_GUIDE_SIDE = 256
"""Longest side (pixels) at which the guided filter's coefficients are fitted: the selfie
segmenter's own input size."""
_GUIDE_RADIUS = 3
"""Radius of the guided filter's window, in pixels at :data:`_GUIDE_SIDE` (12 working pixels
on a 1024-px photo)."""
_GUIDE_EPS = 0.005
"""Regularisation of the guided filter (colour variance, RGB in 0–1): edges weaker than
about 0.07 in RGB do not move the outline. Radius and regularisation chosen on the
evaluation set (2026-12-07): radius 1–4 with 0.0025–0.02 tried; 3 and 0.005 gave the lowest
background FP (pooled 0.05 % end to end, worst 2.22 %; 2 and 0.01: 0.06 %, 2.39 %; without
the filter 0.09 %, 2.57 %) with parsing IoU 0.73, within 0.01 of the best on every photo."""


_PERSON_AGREEMENT = 0.6
"""Share of the face and the head's middle the selfie segmenter must call person for its
mask to be used (a top or back close-up it does not recognise falls back to colour)."""


def _person_by_colour(
    small: UInt8Array, face: FloatArray | None, head: _Ellipse, fore: BoolArray
) -> BoolArray:
    """Colour histograms of the frame's border (background) and of the face and the head's
    middle (person) give a likelihood ratio per colour; the result is smoothed and kept
    where it joins the head."""
    cv2 = opencv()

    rows, cols = small.shape[:2]
    q = (small // 16).astype(np.int32)
    index = (q[..., 0] * 16 + q[..., 1]) * 16 + q[..., 2]
    border = max(2, round(0.03 * max(rows, cols)))
    back = np.zeros((rows, cols), dtype=bool)
    back[:border, :] = back[:, :border] = back[:, -border:] = True
    back |= ~_ellipse_mask((rows, cols), head, grow=1.45)
    fore = fore & ~back
    h_back = np.bincount(index[back], minlength=4096).astype(np.float64)
    h_fore = np.bincount(index[fore], minlength=4096).astype(np.float64)
    h_back = cv2.GaussianBlur(h_back.reshape(16, 256), (0, 0), 0.8).ravel() / max(back.sum(), 1)
    h_fore = cv2.GaussianBlur(h_fore.reshape(16, 256), (0, 0), 0.8).ravel() / max(fore.sum(), 1)
    p_fore = (h_fore + 1e-6) / (h_fore + h_back + 2e-6)
    likely = cv2.GaussianBlur(p_fore[index].astype(np.float32), (5, 5), 0)
    person = (likely > 0.5) & _ellipse_mask((rows, cols), head, grow=1.3)
    person |= fore & (likely > 0.3)
    kernel = np.ones((3, 3), np.uint8)
    person = cv2.morphologyEx(person.astype(np.uint8), cv2.MORPH_OPEN, kernel)
    _, comp = cv2.connectedComponents(person, connectivity=8)
    seeds = np.unique(comp[fore & (comp > 0)])
    return np.asarray(np.isin(comp, seeds) & (comp > 0))


def _texture(light: Float32Array) -> Float32Array:
    """Local standard deviation of L* over 5 × 5 working pixels: hair is busy, skin smooth."""
    cv2 = opencv()

    mean = cv2.boxFilter(light, -1, (5, 5))
    square = cv2.boxFilter(light * light, -1, (5, 5))
    return np.asarray(np.sqrt(np.maximum(square - mean * mean, 0.0)), dtype=np.float32)


def _bare_smooth(light: Float32Array, near: BoolArray | None, skin_light: float) -> BoolArray:
    """Pixels much smoother than the client's face skin at the finest scale: bare skin,
    whatever its colour (the shiny crown of a dark bald head, whose highlight and shaded rim
    fall outside the skin's chromaticity, and which the hair model calls hair), since hair,
    even a buzz cut, has fine texture at the working resolution. The fine texture is the
    energy of L* less its Gaussian blur (:data:`_FINE_SIGMA`) over :data:`_FINE_WINDOW`;
    smooth is under :data:`_BARE_TEXTURE` of its median on the face's skin samples (so the
    photo's sharpness, noise and exposure cancel), and not much darker than the skin
    (:data:`_SKIN_DARKER`). Nothing without skin samples from a face."""
    cv2 = opencv()

    if near is None or int(near.sum()) < 10:
        return np.zeros(light.shape, dtype=bool)
    fine = light - cv2.GaussianBlur(light, (0, 0), _FINE_SIGMA)
    energy = cv2.boxFilter(fine * fine, -1, (_FINE_WINDOW, _FINE_WINDOW))
    level = np.float32(float(np.median(energy[near])) * _BARE_TEXTURE**2)
    return np.asarray((energy < level) & (light > np.float32(skin_light - _SKIN_DARKER)))


_FINE_SIGMA = 1.0
"""Gaussian blur (working pixels) whose residual is the fine texture of
:func:`_bare_smooth`: hair strands and a buzz cut's stubble, not a head's shading."""
_FINE_WINDOW = 9
"""Side of the window (working pixels) over which the fine texture's energy is averaged
(9 and 5 gave the same figures on the evaluation set)."""
_BARE_TEXTURE = 0.5
"""Fine texture (root mean square, as a share of its median on the face's skin samples)
under which a pixel is bare skin whatever the hair model says. Measured on the evaluation
set (2026-12-07): bald crowns a median 0.35–0.46 of the face's texture (pores, fine lines);
labelled hair with a hair probability above 0.5 is above 0.5 on all but 0.1 % of its pixels
on the colour photos (1.5 % on the blurred 115-px ``bryan``), but 16 % on the dark curly
hair of the 200 × 250 greyscale ``congress-b000911`` (none of it treated: the lightness test
and the head's zone keep it out). The thresholds 0.4, 0.5 and 0.6 gave the same parsing
figures (congress-c001072 0.41 → 0.58, no other photo changed), 0.3 gave 0.46."""


def _smooth_enough(texture: Float32Array, reference: BoolArray) -> BoolArray:
    """Pixels no busier than skin: below twice the skin's upper-quartile texture + 3 L*."""
    values = texture[reference]
    level = float(np.percentile(values, 75)) if len(values) >= 10 else 3.0
    return np.asarray(texture < 2.0 * level + 3.0)


def _sample_mask(
    marks: FaceLandmarks | None, shape: tuple[int, int], zoom: float
) -> BoolArray | None:
    """Discs on the cheeks, nose and forehead (working pixels), or None without a face."""
    centres: list[FloatArray] = []
    if marks is not None and marks.mesh is not None:
        centres = [marks.mesh[i] * zoom for i in SKIN_SAMPLES]
        radius = 0.04 * float(np.hypot(*(marks.mesh[454] - marks.mesh[234]))) * zoom
    elif marks is not None and marks.has("glabella", "subnasale", "right_canthus", "left_canthus"):
        g, n = marks["glabella"], marks["subnasale"]
        r, left = marks["right_canthus"], marks["left_canthus"]
        centres = [(g + n) / 2 * zoom, (r + n) / 2 * zoom, (left + n) / 2 * zoom]
        radius = 0.08 * float(np.hypot(*(left - r))) * zoom
    if not centres:
        return None
    cv2 = opencv()
    near = np.zeros(shape, dtype=np.uint8)
    r16 = round(max(radius, 1.5) * 16)
    for cx, cy in centres:
        cv2.circle(near, (round(cx * 16), round(cy * 16)), r16, 1, -1, cv2.LINE_8, 4)
    return np.asarray(near > 0)


def _skin_samples(
    near: BoolArray | None,
    lab: Float32Array,
    person: BoolArray,
    head: _Ellipse,
    hint: FloatArray | None,
) -> BoolArray:
    """Pixels that are almost certainly bare skin."""
    if near is not None and int(near.sum()) >= 10:
        return near
    return _skin_prior(lab, person, head, hint)


def _skin_prior(
    lab: Float32Array, person: BoolArray, head: _Ellipse, hint: FloatArray | None
) -> BoolArray:
    """Without a face: skin-coloured pixels in the middle of the head."""
    centre = _ellipse_mask(person.shape, head, grow=0.6) & person
    if int(centre.sum()) < 10:
        centre = np.ones(person.shape, dtype=bool)
    a, b = lab[:, :, 1], lab[:, :, 2]
    if hint is not None:
        near = (a - hint[1]) ** 2 + (b - hint[2]) ** 2 < 12.0**2
    else:  # skin chroma: reddish-yellow, moderately saturated (any skin tone)
        hue = np.degrees(np.arctan2(b, a))
        chroma = np.hypot(a, b)
        near = (hue > 15) & (hue < 85) & (chroma > 6) & (chroma < 55) & (lab[:, :, 0] > 15)
    picked = centre & near
    return picked if int(picked.sum()) >= 10 else centre


def _chromaticity(small: UInt8Array) -> Float32Array:
    """Linear-light chromaticity (r, g) = (R, G) / (R + G + B): the same for a skin in light
    and in shadow."""
    linear = _LINEAR[small]
    total = linear.sum(axis=2, keepdims=True) + np.float32(1e-4)
    return np.asarray(linear[:, :, :2] / total, dtype=np.float32)


def _skin(
    lab: Float32Array, chroma: Float32Array, sample: BoolArray, person: BoolArray
) -> tuple[BoolArray, FloatArray]:
    """Skin pixels by a Gaussian model of the sampled skin's chromaticity (robust to shading),
    and the skin's mean CIELAB."""
    cv2 = opencv()

    values = chroma[sample].astype(np.float64)
    mean = np.median(values, axis=0)
    mad = np.median(np.abs(values - mean), axis=0) * 1.4826
    cov = np.diag(np.maximum(mad, _MIN_CHROMA_STD) ** 2)
    for _ in range(3):  # trim outliers (a stray hair, an eyebrow, a fringe on the forehead)
        inv = np.linalg.inv(cov)
        d = values - mean
        keep = np.einsum("ni,ij,nj->n", d, inv, d) < 2.5**2
        if keep.sum() < 5:
            break
        mean = values[keep].mean(axis=0)
        cov = np.cov(values[keep].T) + np.eye(2) * (0.2 * _MIN_CHROMA_STD) ** 2
    inv = np.linalg.inv(cov + np.eye(2) * _MIN_CHROMA_STD**2)
    kept = lab[sample]
    light = float(np.median(kept[:, 0]))
    d = chroma - mean.astype(np.float32)
    d2 = (
        inv[0, 0] * d[..., 0] ** 2
        + 2 * inv[0, 1] * d[..., 0] * d[..., 1]
        + inv[1, 1] * d[..., 1] ** 2
    )
    skin = (d2 < _SKIN_SIGMA**2) & (lab[:, :, 0] > light - _SKIN_DARKER) & person
    # specular highlights: brighter and paler than the skin, its hue, enclosed by skin
    a, b = float(np.median(kept[:, 1])), float(np.median(kept[:, 2]))
    paler = np.hypot(lab[:, :, 1], lab[:, :, 2]) <= math.hypot(a, b) + 2.0
    glare = (lab[:, :, 0] > light + 5.0) & paler
    where = np.nonzero(glare)  # the hue only where it matters
    hue = np.degrees(np.arctan2(lab[:, :, 2][where], lab[:, :, 1][where]))
    glare[where] = np.abs(hue - math.degrees(math.atan2(b, a))) < 15.0
    closed = cv2.morphologyEx(skin.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    skin |= (closed > 0) & glare & person
    return np.asarray(skin), np.array([light, a, b])


def _scalp_zone(head_zone: BoolArray, view: str) -> BoolArray:
    """Without a hairline: which part of the head can be scalp (no face is treated).

    Top view: the whole head. Back: the upper 60 % of the head's height (not the neck).
    Left / right: the upper 55 %, without the front quarter (the face's side).
    """
    rows_any = np.flatnonzero(head_zone.any(axis=1))
    cols_any = np.flatnonzero(head_zone.any(axis=0))
    if view == "top" or len(rows_any) == 0:
        return head_zone
    top, bottom = rows_any[0], rows_any[-1]
    left, right = cols_any[0], cols_any[-1]
    zone = np.zeros_like(head_zone)
    share = 0.6 if view == "back" else 0.55
    zone[top : top + int(share * (bottom - top + 1))] = True
    quarter = int(0.25 * (right - left + 1))
    if view == "left":  # the client faces image left
        zone[:, : left + quarter] = False
    elif view == "right":
        zone[:, right - quarter + 1 :] = False
    return np.asarray(zone & head_zone)


def _tidy(labels: UInt8Array, window: int) -> UInt8Array:
    """Drop specks of scalp or thinning smaller than half the coverage window."""
    cv2 = opencv()

    out = labels.copy()
    scalp = (labels == SCALP) | (labels == THINNING)
    _, comp, stats, _ = cv2.connectedComponentsWithStats(scalp.astype(np.uint8), 8)
    small = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] < max(4, window * window // 2))
    small = small[small > 0]
    if len(small):
        out[np.isin(comp, small)] = HAIR
    return out
