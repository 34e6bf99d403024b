"""The whole photo pipeline: landmarks, scale, hairline, regions and skin; then SMP on it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from smpstudio._errors import PhotoError
from smpstudio._types import BoolArray, FloatArray, UInt8Array
from smpstudio.colour import (
    FITZPATRICK_NOTE,
    FadeConditions,
    PigmentModel,
    SkinTone,
    mean_linear_rgb,
    skin_tone,
    skin_tone_from_linear,
)
from smpstudio.dots import DilutionRule
from smpstudio.photo._cv import opencv
from smpstudio.photo._design_height import (
    MAX_YAW_CORRECTED_DEG,
    PITCH_LIMIT_DEG,
    DesignRise,
    default_profile,
    design_rise,
    head_top_px,
)
from smpstudio.photo._hair import load_hair_model
from smpstudio.photo._hairline import (
    HairlineProposal,
    design_hairline_on_photo,
    hairline_from_points,
    propose_hairline,
)
from smpstudio.photo._head_frame import HeadFrame
from smpstudio.photo._ingest import Photo
from smpstudio.photo._landmarks import (
    REQUIRED_LANDMARKS,
    TURNED_DEG,
    FaceLandmarks,
    face_landmarks,
    load_face_models,
)
from smpstudio.photo._lighting import Lighting, assess_lighting, sclera_pixels
from smpstudio.photo._person import load_person_model
from smpstudio.photo._png import encode_pngs
from smpstudio.photo._render import (
    SIDE_BY_SIDE_MAX_SIDE,
    PhotoImpressions,
    PhotoTreatment,
    SkinMask,
    place_on_photo,
    render_on_photo,
    side_by_side,
)
from smpstudio.photo._scale import (
    DEFAULT_IPD_MM,
    Scale,
    scale_from_calibration,
    scale_from_head_width,
    scale_from_landmarks,
    scale_given,
)
from smpstudio.photo._segment import (
    WORK_SIDE,
    Correction,
    Segmentation,
    SegmentationBase,
    segment_base,
)
from smpstudio.photo._stages import stage
from smpstudio.photo._work import downscaled

__all__ = [
    "PhotoAnalysis",
    "PhotoEdits",
    "PhotoSimulation",
    "analyze_photo",
    "analyze_with_base",
    "simulate_photo",
]

_MIN_SKIN_PX = 200  # working pixels of bare scalp needed to measure the skin there
_FACE_HEIGHT_MM = (85.0, 170.0)  # plausible glabella–menton heights (mm) [U]


@dataclass(frozen=True)
class PhotoEdits:
    """What the practitioner corrected by hand; every field is optional.

    Attributes
    ----------
    landmarks : dict
        Landmark name → ``(x, y)`` pixels, replacing detected points.
    ipd_mm : float
        The client's interpupillary distance (default 63 mm).
    mm_per_px : float, optional
        The scale, given directly.
    calibration : tuple, optional
        ``((x1, y1), (x2, y2), mm)``: two points a known distance apart.
    hairline : (N, 2) array, optional
        A hairline drawn by hand (pixels), replacing the proposal.
    hairline_rule : str, optional
        ``thirds`` or ``height`` (with ``hairline_height_mm``), instead of the design's.
    hairline_height_mm : float, optional
        Height of the mid-frontal point above the glabella as seen on the photo (mm).
    mid_frontal, temporal_right, temporal_left : tuple, optional
        Key points of the proposal moved by hand (pixels).
    corrections : tuple of Correction
        Region corrections (masks, polygons, brush strokes), applied in order.
    face : int, optional
        Which face of a photo of several people (1 = leftmost); the largest by default.
    """

    landmarks: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    ipd_mm: float = DEFAULT_IPD_MM
    mm_per_px: float | None = None
    calibration: tuple[tuple[float, float], tuple[float, float], float] | None = None
    hairline: FloatArray | None = None
    hairline_rule: str | None = None
    hairline_height_mm: float | None = None
    mid_frontal: tuple[float, float] | None = None
    temporal_right: tuple[float, float] | None = None
    temporal_left: tuple[float, float] | None = None
    corrections: tuple[Correction, ...] = ()
    face: int | None = None


@dataclass(frozen=True, eq=False)
class PhotoAnalysis:
    """Everything read from one photo (see :func:`analyze_photo`)."""

    photo: Photo
    landmarks: FaceLandmarks | None
    scale: Scale | None
    hairline: HairlineProposal | None
    segmentation: Segmentation
    skin: SkinTone | None
    skin_measured_on: str | None
    warnings: tuple[str, ...]
    lighting: Lighting | None = None
    skin_as_seen: SkinTone | None = None
    """The skin's colour as the photo shows it (uncorrected; also on greyscale photos)."""

    @property
    def mm_per_px(self) -> float | None:
        return None if self.scale is None else self.scale.mm_per_px

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``smpstudio analyze``."""
        photo = self.photo
        areas = self.segmentation.areas_px()
        marks = self.landmarks
        return {
            "image": {
                "width": photo.width,
                "height": photo.height,
                "view": photo.view,
                "format": photo.source_format,
                "orientation_applied": photo.orientation,
                "metadata_removed": list(photo.removed_metadata),
            },
            "landmarks_px": None if marks is None else marks.to_dict(),
            "landmarks_source": None
            if marks is None
            else {"detector": marks.detector, **{k: marks.source[k] for k in marks.to_dict()}},
            "mm_per_px": None if self.scale is None else round(self.scale.mm_per_px, 5),
            "scale": None if self.scale is None else self.scale.to_dict(),
            "hairline_proposal_px": None if self.hairline is None else self.hairline.to_dict(),
            "regions_px": areas,
            "regions_cm2": self._areas_cm2(areas),
            "person_from": self.segmentation.person_source,
            "hair_from": self.segmentation.hair_source,
            "faces_found": 0 if marks is None else marks.faces_found,
            "pose_deg": _pose_fields(marks),
            "skin": None if self.skin is None else _skin_fields(self.skin, self.skin_measured_on),
            "lighting": None if self.lighting is None else self.lighting.to_dict(),
            "warnings": list(self.warnings),
        }

    def _areas_cm2(self, areas: dict[str, int]) -> dict[str, float] | None:
        if self.scale is None:
            return None
        per = self.scale.mm_per_px**2 / 100.0
        return {name: round(value * per, 1) for name, value in areas.items()}


def _pose_fields(marks: FaceLandmarks | None) -> dict[str, float] | None:
    pose = None if marks is None else marks.pose
    if pose is None:
        return None
    return {"yaw": round(pose[0], 1), "camera_pitch": round(pose[1], 1)}


def _skin_fields(tone: SkinTone, where: str | None) -> dict[str, Any]:
    """The fields of ``smpstudio skin``, plus where on the photo the skin was measured."""
    return {
        "source": "photo",
        "measured_on": where,
        "hex": tone.hex,
        "L": round(tone.L, 2),
        "a": round(tone.a, 2),
        "b": round(tone.b, 2),
        "ita": round(tone.ita, 2),
        "ita_class": tone.ita_class,
        "monk": tone.monk,
        "monk_delta_e": round(tone.monk_delta_e, 2),
        "fitzpatrick_estimate": tone.fitzpatrick_estimate,
        "fitzpatrick_note": FITZPATRICK_NOTE,
    }


def analyze_photo(
    photo: Photo,
    *,
    edits: PhotoEdits | None = None,
    treatment: PhotoTreatment | None = None,
    detect: bool = True,
) -> PhotoAnalysis:
    """Landmarks, scale, hairline proposal, regions and skin tone of a photo.

    Parameters
    ----------
    photo
        An ingested photo (:func:`~smpstudio.photo.ingest_photo`).
    edits
        Hand corrections (landmarks, scale, hairline, region masks).
    treatment
        The design's treatment (hairline rule and height, head size, coverage
        thresholds); the default soft treatment when omitted.
    detect
        Run the face-landmark detector on frontal photos.

    Examples
    --------
    >>> from skimage import data
    >>> analysis = analyze_photo(Photo.from_array(data.astronaut()))
    >>> analysis.landmarks.detector, round(analysis.mm_per_px, 2)
    ('mediapipe-face-mesh', 1.46)
    >>> analysis.hairline.rule, analysis.skin.ita_class
    ('thirds', 'very light')
    """
    return analyze_with_base(photo, edits=edits, treatment=treatment, detect=detect)[0]


def analyze_with_base(
    photo: Photo,
    *,
    edits: PhotoEdits | None = None,
    treatment: PhotoTreatment | None = None,
    detect: bool = True,
) -> tuple[PhotoAnalysis, SegmentationBase]:
    """:func:`analyze_photo`, with the hairline-independent part of its segmentation (to
    finish it again for another hairline: :meth:`SegmentationBase.regions`)."""
    edits = edits or PhotoEdits()
    treatment = treatment or PhotoTreatment()
    notes: list[str] = []
    with stage("landmarks"):
        marks = face_landmarks(photo, overrides=edits.landmarks, detect=detect, face=edits.face)
    if marks is not None:
        notes += marks.notes
        notes += marks.pose_warnings()
    scale = _scale(marks, edits)
    with stage("segmentation"):
        base = segment_base(
            photo, landmarks=marks, mm_per_px=None if scale is None else scale.mm_per_px
        )
    hairline = _hairline(photo, marks, scale, edits, treatment, base)
    with stage("segmentation"):
        seg = base.regions(
            hairline=hairline,
            corrections=edits.corrections,
            coverage_bald_below=treatment.coverage_bald_below,
            coverage_hair_from=treatment.coverage_hair_from,
        )
    if scale is None:
        scale = _head_width_scale(seg, photo.view, treatment)
        if scale is not None:
            notes.append(
                "scale estimated from the head's width (no face): give --mm-per-px or a "
                "--calibrate ruler for a measured one"
            )
    notes += _plausibility(marks, scale)
    with stage("skin"):
        tone, where, light, as_seen = _measure_skin(photo, seg, marks)
    notes += light.notes
    if not seg.mask("scalp", "thinning").any():
        notes.append("no bald or thinning scalp found: correct the regions if there is some")
    analysis = PhotoAnalysis(
        photo, marks, scale, hairline, seg, tone, where, tuple(notes), light, as_seen
    )
    return analysis, base


def _scale(marks: FaceLandmarks | None, edits: PhotoEdits) -> Scale | None:
    if edits.calibration is not None:
        start, end, mm = edits.calibration
        return scale_from_calibration(start, end, mm)
    if edits.mm_per_px is not None:
        return scale_given(edits.mm_per_px)
    if marks is not None and marks.has("right_pupil", "left_pupil"):
        return scale_from_landmarks(marks, ipd_mm=edits.ipd_mm)
    return None


def _head_width_scale(seg: Segmentation, view: str, treatment: PhotoTreatment) -> Scale | None:
    head = seg.mask("scalp", "thinning", "hair")
    cols = np.flatnonzero(head.any(axis=0))
    if len(cols) < 10:
        return None
    width_px = (cols[-1] - cols[0] + 1) / seg.zoom
    across = treatment.head_length_mm if view in ("left", "right") else treatment.head_breadth_mm
    try:
        return scale_from_head_width(width_px, width_mm=across)
    except PhotoError:
        return None


def _hairline(
    photo: Photo,
    marks: FaceLandmarks | None,
    scale: Scale | None,
    edits: PhotoEdits,
    treatment: PhotoTreatment,
    base: SegmentationBase,
) -> HairlineProposal | None:
    mm = None if scale is None else scale.mm_per_px
    if edits.hairline is not None:
        return hairline_from_points(edits.hairline, marks=marks, mm_per_px=mm, size=photo.size)
    if marks is None or not marks.has(*REQUIRED_LANDMARKS):
        if photo.view == "frontal" and marks is not None:
            missing = [n for n in REQUIRED_LANDMARKS if n not in marks.points]
            raise PhotoError(
                f"the hairline proposal needs {', '.join(missing)}: place them by hand "
                "(--landmark NAME=X,Y) or draw the hairline (--hairline-px X,Y;X,Y;…)"
            )
        return None
    rule = edits.hairline_rule or treatment.hairline_rule
    height = edits.hairline_height_mm
    head = _turned_head_frame(photo, marks, scale, treatment)
    if head is not None and mm is not None:
        return _turned_hairline(marks, head, mm, edits, treatment, rule=rule, height=height)
    stretch = 1.0  # the design's millimetres as this photo shows them (module notes)
    if height is None and rule == "height" and treatment.hairline_height_mm is not None:
        if scale is not None and mm is not None and photo.view == "frontal":
            rise = _design_rise(marks, mm, treatment, base)
            height = rise.px * mm
            stretch = height / treatment.hairline_height_mm
        else:
            height = treatment.hairline_height_mm
    if rule == "height" and (height is None or mm is None):
        rule, height = "thirds", None
    return propose_hairline(
        marks,
        mm_per_px=mm,
        rule=rule,
        height_mm=height,
        temporal_rise_mm=treatment.temporal_rise_mm * stretch,
        shape=treatment.hairline_shape,
        widows_peak_mm=treatment.widows_peak_mm * stretch,
        mid_frontal=edits.mid_frontal,
        temporal_right=edits.temporal_right,
        temporal_left=edits.temporal_left,
    )


def _turned_hairline(
    marks: FaceLandmarks,
    head: HeadFrame,
    mm: float,
    edits: PhotoEdits,
    treatment: PhotoTreatment,
    *,
    rule: str,
    height: float | None,
) -> HairlineProposal:
    """The hairline of a turned face, built on the head: the design's own line as the
    camera sees it (scaled to a height given as seen on the photo), or — without a design,
    or with key points moved by hand — the proposal's construction in the head's axes."""
    moved = (edits.mid_frontal, edits.temporal_right, edits.temporal_left)
    if rule == "height" and treatment.hairline_mm and all(p is None for p in moved):
        return design_hairline_on_photo(
            marks,
            head,
            line_mm=np.asarray(treatment.hairline_mm, dtype=np.float64),
            temporal_mm=np.asarray(treatment.temporal_points_mm, dtype=np.float64),
            mm_per_px=mm,
            seen_rise_px=None if height is None else height / mm,
        )
    if height is None and rule == "height":
        height = treatment.hairline_height_mm
    return propose_hairline(
        marks,
        mm_per_px=mm,
        rule="height" if height is not None else "thirds",
        height_mm=height,
        temporal_rise_mm=treatment.temporal_rise_mm,
        shape=treatment.hairline_shape,
        widows_peak_mm=treatment.widows_peak_mm,
        mid_frontal=edits.mid_frontal,
        temporal_right=edits.temporal_right,
        temporal_left=edits.temporal_left,
        frame=head,
    )


def _turned_head_frame(
    photo: Photo, marks: FaceLandmarks, scale: Scale | None, treatment: PhotoTreatment
) -> HeadFrame | None:
    """On a frontal photo of a face turned more than :data:`TURNED_DEG`, the head's axes at
    the face's scale (the pupils' foreshortening is out of it, :mod:`._scale`), so the
    hairline is built on the head and projected (:mod:`._head_frame`); None otherwise."""
    pose = marks.pose
    if photo.view != "frontal" or pose is None or scale is None or abs(pose[0]) <= TURNED_DEG:
        return None
    yaw = float(np.clip(pose[0], -MAX_YAW_CORRECTED_DEG, MAX_YAW_CORRECTED_DEG))
    pitch = float(np.clip(pose[1], -PITCH_LIMIT_DEG, PITCH_LIMIT_DEG))
    return HeadFrame.from_pose(
        yaw_deg=yaw,
        pitch_deg=pitch,
        across_px=marks.across,
        up_px=marks.up,
        mm_per_px=scale.mm_per_px,
        breadth_mm=treatment.head_breadth_mm,
        length_mm=treatment.head_length_mm,
        profile_mm=_profile_of(treatment),
    )


def _profile_of(treatment: PhotoTreatment) -> FloatArray:
    """The design head's midline section (head M's when the treatment has none)."""
    if treatment.head_profile_mm:
        return np.asarray(treatment.head_profile_mm, dtype=np.float64)
    return default_profile()


def _design_rise(
    marks: FaceLandmarks,
    mm_per_px: float,
    treatment: PhotoTreatment,
    base: SegmentationBase,
) -> DesignRise:
    """The design's mid-frontal point on this frontal photo of a face that is not turned
    (:mod:`._design_height`; a turned face's line is built on the head,
    :func:`_turned_hairline`)."""
    assert treatment.hairline_height_mm is not None
    pose = marks.pose
    return design_rise(
        height_mm=treatment.hairline_height_mm,
        setback_mm=treatment.hairline_setback_mm,
        mm_per_px=mm_per_px,
        pitch_deg=None if pose is None else pose[1],
        top_px=head_top_px(base.person, zoom=base.zoom, marks=marks),
        profile=_profile_of(treatment),
    )


def _plausibility(marks: FaceLandmarks | None, scale: Scale | None) -> list[str]:
    if marks is None or scale is None or not marks.has("glabella", "menton"):
        return []
    height = float(np.hypot(*(marks["glabella"] - marks["menton"]))) * scale.mm_per_px
    lo, hi = _FACE_HEIGHT_MM
    if lo <= height <= hi:
        return []
    return [
        f"the scale makes the face {height:.0f} mm from glabella to chin (adults: about "
        f"{lo:.0f}–{hi:.0f}): check the pupils, the interpupillary distance or the calibration"
    ]


def _measure_skin(
    photo: Photo,
    seg: Segmentation,
    marks: FaceLandmarks | None,
) -> tuple[SkinTone | None, str | None, Lighting, SkinTone | None]:
    """Skin tone on the forehead and cheeks of the face mesh, away from highlights and
    shadows (the middle 60 % of the samples by luminance), corrected for the light (read on
    the whites of the eyes of a frontal view and the white patch); without a face mesh on
    the bare scalp, then the forehead or face. Also the skin's colour as the photo shows
    it, uncorrected (what the rendering matches)."""
    small, _ = downscaled(photo, WORK_SIDE)
    samples, where, cheeks = _skin_samples(photo, seg, marks)
    client_skin = seg.mask("face", "scalp", "thinning", "ears")
    if seg.skin is not None:
        client_skin |= seg.skin
    eyes = None
    if photo.view == "frontal" and marks is not None and marks.mesh is not None:
        eyes = sclera_pixels(photo.pixels, marks.mesh)  # a side view may show one eye only
    light = assess_lighting(
        small, skin=samples, cheeks_l=cheeks, not_reference=client_skin, sclera=eyes
    )
    if samples is None:
        return None, None, light, None
    seen = mean_linear_rgb(samples)
    as_seen = skin_tone_from_linear(seen)
    if not light.measurable:
        return None, None, light, as_seen
    tone = skin_tone_from_linear(light.correct(seen))
    hue = math.degrees(math.atan2(tone.b, tone.a))
    if math.hypot(tone.a, tone.b) >= _HUE_MIN_CHROMA and hue < SKIN_HUE_MIN_DEG:
        note = (
            f"the skin reads pink-violet (hue {hue:.0f}°, skin reads {SKIN_HUE_MIN_DEG:.0f}° "
            "and more): a colour cast or filter the whites of the eyes did not show; its "
            "skin tone cannot be measured: retake it in daylight without a filter, or choose "
            "the tone by hand"
        )
        light = replace(light, flags=(*light.flags, "colour-cast"), notes=(*light.notes, note))
        return None, None, light, as_seen
    return tone, where, light, as_seen


SKIN_HUE_MIN_DEG = 25.0
"""CIELAB hue angle (``atan2(b*, a*)``) under which a skin reading is not skin's colour but
the photo's: skin reads red-yellow (melanin and haemoglobin), and 45 colour photos here (the
evaluation set, the buzz-cut portraits, the astronaut; two under casts after correction)
read 31–63°. The IBM asset ``luciano`` reads 15° (its forehead pixels bluer than green), a
magenta tint within the eyes' gate (:mod:`._lighting`): it was given Monk 2, ITA 77°."""
_HUE_MIN_CHROMA = 6.0
"""CIELAB chroma under which the hue is not read (the darkest skins are nearly neutral:
Monk 10's swatch has a chroma of 3.8)."""


_FOREHEAD = (151, 108, 337)
_RIGHT_CHEEK = (50, 101, 205)
_LEFT_CHEEK = (280, 330, 425)


def _skin_samples(
    photo: Photo, seg: Segmentation, marks: FaceLandmarks | None
) -> tuple[UInt8Array | None, str | None, tuple[float, float] | None]:
    if marks is not None and marks.mesh is not None:
        mesh = marks.mesh
        radius = max(1.5, 0.04 * float(np.hypot(*(mesh[454] - mesh[234]))))
        right = _discs(photo.pixels, mesh[list(_RIGHT_CHEEK)], radius)
        left = _discs(photo.pixels, mesh[list(_LEFT_CHEEK)], radius)
        forehead = _discs(photo.pixels, mesh[list(_FOREHEAD)], radius)
        chosen = _middle(np.concatenate([forehead, right, left]))
        if len(chosen) >= 20:
            cheeks = (_lightness(_middle(right)), _lightness(_middle(left)))
            return chosen, "forehead and cheeks", cheeks
    scalp = seg.mask("scalp")
    if int(scalp.sum()) >= _MIN_SKIN_PX:
        return _middle(_pixels_of(photo.pixels, scalp)), "scalp", None
    face = seg.mask("face")
    if seg.skin is not None:
        face &= seg.skin
    if marks is not None and marks.has("right_brow", "left_brow", "glabella"):
        forehead_mask = face & _above_brows(marks, face.shape, seg.zoom)
        if int(forehead_mask.sum()) >= 20:
            return _middle(_pixels_of(photo.pixels, forehead_mask)), "forehead", None
    if int(face.sum()) >= 20:
        return _middle(_pixels_of(photo.pixels, face)), "face", None
    return None, None, None


def _above_brows(marks: FaceLandmarks, shape: tuple[int, ...], zoom: float) -> BoolArray:
    brows = max(
        float(np.dot(marks[n] - marks["glabella"], marks.up)) for n in ("right_brow", "left_brow")
    )
    rows, cols = shape
    yy, xx = np.mgrid[0:rows, 0:cols]
    g = marks["glabella"] * zoom
    t = (xx - g[0]) * marks.up[0] + (yy - g[1]) * marks.up[1]
    s = (xx - g[0]) * marks.across[0] + (yy - g[1]) * marks.across[1]
    half = 0.5 * float(np.hypot(*(marks["left_canthus"] - marks["right_canthus"]))) * zoom
    return np.asarray((t > (brows + 4.0) * zoom) & (np.abs(s) < half))


def _discs(pixels: UInt8Array, centres: FloatArray, radius: float) -> UInt8Array:
    """The photo's pixels within ``radius`` of any of ``centres`` (inside the photo)."""
    height, width = pixels.shape[:2]
    found = []
    r = int(np.ceil(radius))
    offsets = np.mgrid[-r : r + 1, -r : r + 1].reshape(2, -1).T
    offsets = offsets[np.hypot(offsets[:, 0], offsets[:, 1]) <= radius]
    for cx, cy in centres:
        ys = np.round(cy).astype(int) + offsets[:, 0]
        xs = np.round(cx).astype(int) + offsets[:, 1]
        inside = (ys >= 0) & (ys < height) & (xs >= 0) & (xs < width)
        found.append(pixels[ys[inside], xs[inside]])
    return np.concatenate(found) if found else np.zeros((0, 3), np.uint8)


def _middle(samples: UInt8Array) -> UInt8Array:
    """The samples between the 20th and 80th percentile of luminance: no highlights (oil,
    flash) and no shadows (pores, brows, hair strands)."""
    if len(samples) < 10:
        return samples
    light = samples.astype(np.float64) @ np.array([0.2126, 0.7152, 0.0722])
    lo, hi = np.percentile(light, [20, 80])
    return np.asarray(samples[(light >= lo) & (light <= hi)], dtype=np.uint8)


def _lightness(samples: UInt8Array) -> float:
    if len(samples) == 0:
        return float("nan")
    return float(skin_tone_from_linear(mean_linear_rgb(samples)).L)


def _pixels_of(pixels: UInt8Array, work_mask: BoolArray) -> UInt8Array:
    """The photo's pixels under a mask at the working resolution."""
    cv2 = opencv()

    height, width = pixels.shape[:2]
    rows, cols = work_mask.shape
    # the photo pixels of the working mask, as a nearest-neighbour upscale picks them
    # (OpenCV's own row and column maps), gathered only inside the mask's bounding box
    row_of = cv2.resize(
        np.arange(rows, dtype=np.float32)[:, None], (1, height), interpolation=cv2.INTER_NEAREST
    )[:, 0].astype(np.int64)
    col_of = cv2.resize(
        np.arange(cols, dtype=np.float32)[None, :], (width, 1), interpolation=cv2.INTER_NEAREST
    )[0].astype(np.int64)
    keep_rows = np.flatnonzero(work_mask.any(axis=1)[row_of])
    keep_cols = np.flatnonzero(work_mask.any(axis=0)[col_of])
    inside = work_mask[np.ix_(row_of[keep_rows], col_of[keep_cols])]
    return np.asarray(pixels[np.ix_(keep_rows, keep_cols)][inside], dtype=np.uint8)


@dataclass(frozen=True, eq=False)
class PhotoSimulation:
    """Before and after images of a photo and the impressions drawn on it."""

    before: UInt8Array
    after: UInt8Array
    impressions: PhotoImpressions
    hairline: HairlineProposal | None

    def side_by_side(
        self, *, max_height: int = 2048, max_side: int = SIDE_BY_SIDE_MAX_SIDE
    ) -> UInt8Array:
        """Before and after next to each other (see :func:`~smpstudio.photo.side_by_side`)."""
        return side_by_side(self.before, self.after, max_height=max_height, max_side=max_side)

    def png_files(self, *, max_height: int = 2048) -> dict[str, bytes]:
        """``before-photo.png``, ``after-photo.png`` (full size) and ``side-by-side.png``,
        encoded together: the after photo re-deflates only the rows the dots changed."""
        with stage("side-by-side"):
            both = self.side_by_side(max_height=max_height)
        with stage("png"):
            encoded = encode_pngs((self.before, self.after, both))
        names = ("before-photo.png", "after-photo.png", "side-by-side.png")
        return dict(zip(names, encoded, strict=True))


def simulate_photo(
    analysis: PhotoAnalysis,
    *,
    treatment: PhotoTreatment,
    dilution: DilutionRule,
    seed: int = 0,
    state: str = "healed",
    years: float = 0.0,
    session: int | None = None,
    skin: str | SkinTone | None = None,
    model: PigmentModel | None = None,
    conditions: FadeConditions | None = None,
) -> PhotoSimulation:
    """Place the impressions in the photo's treatment region and render them.

    Parameters
    ----------
    analysis
        The photo's analysis; it needs a scale.
    treatment
        Density, sessions, hairline style and dot sizes (:meth:`PhotoTreatment.from_design`).
    dilution
        Each dot's dilution from its zone, session and tone
        (:func:`smpstudio.dots.dilution_rule`).
    seed
        Seed of the blue noise, the hairline's irregularity and the dot sizes.
    state
        ``healed`` (default), ``fresh`` or ``year`` (with ``years``).
    session
        Show the result after this session (cumulative); after the last by default.
    skin
        The skin colour whose chromaticity separates sheen from skin; the measured one by
        default.

    Examples
    --------
    >>> from smpstudio.dots import dilution_rule
    >>> yy, xx = np.mgrid[0:200, 0:200]
    >>> crown = (xx - 100) ** 2 + (yy - 100) ** 2 < 80**2          # a bald crown from above
    >>> pixels = np.where(crown[..., None], [200, 160, 128], [40, 42, 48]).astype(np.uint8)
    >>> analysis = analyze_photo(Photo.from_array(pixels, view="top"),
    ...                          edits=PhotoEdits(mm_per_px=0.5))
    >>> sim = simulate_photo(analysis, treatment=PhotoTreatment(),
    ...                      dilution=dilution_rule(analysis.skin, "brown"), seed=1)
    >>> 6000 < len(sim.impressions) < 8000, sim.after.shape  # 50 cm² seen; more on the dome
    (True, (200, 200, 3))
    """
    if analysis.scale is None:
        raise PhotoError(
            "SMP on a photo needs its scale: give --mm-per-px, a --calibrate ruler, or a "
            "frontal photo where the pupils are found"
        )
    mm = analysis.scale.mm_per_px
    line = analysis.hairline
    if line is not None:
        line = line.irregular(
            mm_per_px=mm,
            macro_mm=treatment.macro_mm,
            macro_wavelength_mm=treatment.macro_wavelength_mm,
            micro_mm=treatment.micro_mm,
            micro_wavelength_mm=treatment.micro_wavelength_mm,
            seed=seed,
        )
    marks = analysis.landmarks
    glabella = marks["glabella"] if marks is not None and marks.has("glabella") else None
    with stage("placement"):
        dots = place_on_photo(
            analysis.segmentation,
            hairline=line,
            glabella=glabella,
            mm_per_px=mm,
            treatment=treatment,
            dilution=dilution,
            seed=seed,
            yaw_deg=0.0 if marks is None or marks.pose is None else marks.pose[0],
        )
    if session is not None:
        if not 1 <= session <= len(treatment.session_fractions):
            raise PhotoError(
                f"session {session} does not exist: the plan has "
                f"{len(treatment.session_fractions)} sessions"
            )
        dots = dots.upto(session)
    tone = _chromaticity_skin(analysis, skin)
    with stage("render"):
        after = render_on_photo(
            analysis.photo.pixels,
            dots,
            mm_per_px=mm,
            skin_linear=tone,
            state=state,
            years=years,
            model=model,
            conditions=conditions,
            skin=SkinMask.of(analysis.segmentation),
        )
    return PhotoSimulation(np.asarray(analysis.photo.pixels), after, dots, line)


def _chromaticity_skin(analysis: PhotoAnalysis, skin: str | SkinTone | None) -> FloatArray:
    from smpstudio.colour import lab_to_srgb, srgb_to_linear

    if analysis.skin_as_seen is not None:
        tone = analysis.skin_as_seen
    elif skin is not None:
        tone = skin_tone(skin) if isinstance(skin, str) else skin
    else:
        tone = skin_tone("#d7bd96")
    return np.asarray(srgb_to_linear(lab_to_srgb(tone.lab)), dtype=np.float64)


def load_models() -> None:
    """Load the photo models (face detector, face mesh, person segmenter) now: once per
    process, about 1.3 s of CPU the first time, nothing later. A server calls it outside
    a request's CPU budget."""
    load_face_models()
    load_person_model()
    load_hair_model()
