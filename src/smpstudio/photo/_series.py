"""Several photos of one client, one consistent result set.

Each photo of a series is analysed as on its own (:func:`~smpstudio.photo.analyze_photo`);
then the series agrees on what belongs to the client rather than to the photo:

**One skin reading.** Every photo whose light lets the skin be measured votes with its
light-corrected tone; greyscale and colour-cast photos (no tone) do not vote. A vote weighs
the skin it saw (the face's area, full weight from :data:`FULL_FACE_PX` photo pixels) times
the exposure (the brightest 1 % of the photo against :data:`EXPOSED_LUMINANCE`) times a
factor per lighting flag (:data:`FLAG_WEIGHTS`) times ``(cos yaw · cos pitch)²`` of the
face's pose (a turned face shows its skin obliquely, one cheek in its own shadow). The
heaviest vote is the reference; the votes within :data:`SKIN_TOLERANCE_DE` (CIEDE2000)
and :data:`SKIN_TOLERANCE_MONK` Monk steps of it are pooled (weighted mean in linear RGB);
the others are named and left out, and the series says the readings disagree — different
light, or a different person.

**One design in physical units.** The most frontal photo with a face and a scale is the
reference. The hairline's height above the glabella (mm, as the reference photo shows it)
is the design's line placed on that photo for its camera and head
(:mod:`~smpstudio.photo._design_height`), or drawn by hand on a frontal photo, or (the
thirds rule) the proposal on the reference. Every other photo with a face gets the same anatomical
height through its own landmarks: the height is carried in units of the face's own
glabella–menton height, which a turn of the head does not shorten; a camera above or below
shortens the forehead and the face differently (the hairline lies behind the glabella, the
chin behind it too but less), which :func:`_pitch_factor` corrects from the estimated pitch
with the depths of the virtual head (:data:`FOREHEAD_SETBACK`, :data:`CHIN_SETBACK`). A turned
face (more than
:data:`~smpstudio.photo._landmarks.TURNED_DEG` of yaw) foreshortens the interpupillary
distance, so its scale is taken from its face height against the reference's instead.
Density, style and dot sizes come from one treatment; each photo's seed is derived from the
series seed (:func:`photo_seed`). The same photos and options give byte-identical results.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from smpstudio._errors import PhotoError
from smpstudio._rng import rng_for
from smpstudio._types import FloatArray, UInt8Array
from smpstudio.colour import (
    DilutionTable,
    SkinTone,
    delta_e,
    lab_to_srgb,
    recommend_dilution,
    skin_tone_from_linear,
    srgb_to_linear,
)
from smpstudio.dots import DilutionRule, blend_for, dilution_rule
from smpstudio.photo._analysis import (
    PhotoAnalysis,
    PhotoEdits,
    PhotoSimulation,
    analyze_photo,
    simulate_photo,
)
from smpstudio.photo._ingest import Photo
from smpstudio.photo._landmarks import TURNED_DEG
from smpstudio.photo._render import PhotoTreatment, side_by_side
from smpstudio.photo._work import downscaled

if TYPE_CHECKING:
    from smpstudio._settings import Settings

__all__ = [
    "EXPOSED_LUMINANCE",
    "FLAG_WEIGHTS",
    "FULL_FACE_PX",
    "SKIN_TOLERANCE_DE",
    "SKIN_TOLERANCE_MONK",
    "PhotoSeries",
    "SeriesDesign",
    "SeriesPigment",
    "SeriesSimulation",
    "SeriesSkin",
    "SkinVote",
    "analyze_series",
    "contact_sheet",
    "photo_seed",
    "series_pigment",
    "simulate_series",
]

SKIN_TOLERANCE_DE = 8.0
"""CIEDE2000 between two skin readings above which they disagree: the renders of one virtual
head from five cameras, in one light, read within 7.7 of each other; the poor-light
variants of the evaluation photos 17–33 from their originals (docs/photo.md)."""
SKIN_TOLERANCE_MONK = 1
"""Monk steps between two readings above which they disagree."""
FULL_FACE_PX = 10_000
"""Face pixels (of the photo) from which a skin vote has its full weight."""
EXPOSED_LUMINANCE = 0.6
"""Linear luminance the brightest 1 % of a well exposed photo reaches (full weight; a dimmer
photo's vote weighs the square of the share it reaches)."""
FLAG_WEIGHTS = {"under-exposed": 0.25, "over-exposed": 0.5, "uneven": 0.5, "cast-corrected": 0.7}
"""How much a lighting flag leaves of a skin vote's weight."""
FOREHEAD_SETBACK = -0.272
"""Depth over height of the hairline's mid-frontal point behind the glabella (virtual head M,
hairline 75 mm: 20.4 mm back): a camera below the face sees the hairline lower."""
CHIN_SETBACK = 0.094
"""Depth over height of the glabella in front of the menton (virtual head M: 12.7 mm over
136 mm)."""
_SAME_HEIGHT_MM = 0.05


@dataclass(frozen=True)
class SkinVote:
    """One photo's skin reading and what the series made of it.

    ``used`` says whether it went into the pooled tone; ``reason`` why not (or ``""``)."""

    index: int
    tone: SkinTone | None
    weight: float
    used: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        tone = self.tone
        return {
            "photo": self.index + 1,
            "hex": None if tone is None else tone.hex,
            "ita": None if tone is None else round(tone.ita, 1),
            "monk": None if tone is None else tone.monk,
            "weight": round(self.weight, 3),
            "used": self.used,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class SeriesSkin:
    """The client's one skin reading, pooled from the photos (see the module notes).

    ``spread_delta_e`` and ``spread_monk`` are the largest differences of any reading from
    the pooled tone; ``disagree`` is set when a reading was left out for differing."""

    tone: SkinTone | None
    votes: tuple[SkinVote, ...]
    spread_delta_e: float
    spread_monk: int
    disagree: bool

    @property
    def used(self) -> tuple[int, ...]:
        """Indices of the photos whose readings were pooled."""
        return tuple(v.index for v in self.votes if v.used)

    def to_dict(self) -> dict[str, Any]:
        tone = self.tone
        return {
            "hex": None if tone is None else tone.hex,
            "L": None if tone is None else round(tone.L, 2),
            "ita": None if tone is None else round(tone.ita, 2),
            "ita_class": None if tone is None else tone.ita_class,
            "monk": None if tone is None else tone.monk,
            "from_photos": [i + 1 for i in self.used],
            "spread_delta_e": round(self.spread_delta_e, 2),
            "spread_monk": self.spread_monk,
            "disagree": self.disagree,
            "tolerance": {"delta_e": SKIN_TOLERANCE_DE, "monk": SKIN_TOLERANCE_MONK},
            "votes": [v.to_dict() for v in self.votes],
        }


@dataclass(frozen=True)
class SeriesDesign:
    """The one design of the series in physical units, and how each photo carries it.

    Attributes
    ----------
    hairline_height_mm : float or None
        Height of the mid-frontal point above the glabella (mm) as the reference photo sees
        it; None when no photo shows a face.
    height_from : str
        ``design``, ``drawn`` (a hand-drawn line on a frontal photo) or ``thirds``.
    reference : int or None
        Index of the reference photo (the most frontal with a face and a scale).
    heights_seen_mm : tuple
        Per photo: the height as that photo sees it (its own mm), None without a face.
    seeds : tuple of int
        Per photo: the seed of its impressions (:func:`photo_seed`).
    """

    hairline_height_mm: float | None
    height_from: str
    reference: int | None
    heights_seen_mm: tuple[float | None, ...]
    seeds: tuple[int, ...]
    seed: int

    def to_dict(self) -> dict[str, Any]:
        height = self.hairline_height_mm
        return {
            "hairline_height_mm": None if height is None else round(height, 1),
            "height_from": self.height_from,
            "reference_photo": None if self.reference is None else self.reference + 1,
            "seed": self.seed,
        }


@dataclass(frozen=True, eq=False)
class PhotoSeries:
    """The analyses of a series and what they share (:func:`analyze_series`)."""

    analyses: tuple[PhotoAnalysis, ...]
    skin: SeriesSkin
    design: SeriesDesign
    notes: tuple[tuple[str, ...], ...]
    """Per photo: what the series changed on it and why (the scale, the hairline)."""

    def to_dict(self) -> dict[str, Any]:
        """The series as JSON: the shared reading and design, and each photo's part."""
        photos = []
        for i, analysis in enumerate(self.analyses):
            pose = analysis.landmarks.pose if analysis.landmarks is not None else None
            seen = self.design.heights_seen_mm[i]
            photos.append(
                {
                    "photo": i + 1,
                    "view": analysis.photo.view,
                    "pose_deg": None if pose is None else [round(pose[0], 1), round(pose[1], 1)],
                    "mm_per_px": None
                    if analysis.mm_per_px is None
                    else round(analysis.mm_per_px, 4),
                    "hairline_height_seen_mm": None if seen is None else round(seen, 1),
                    "seed": self.design.seeds[i],
                    "notes": list(self.notes[i]),
                    "warnings": list(analysis.warnings),
                }
            )
        return {"skin": self.skin.to_dict(), "design": self.design.to_dict(), "photos": photos}


def photo_seed(seed: int, index: int) -> int:
    """The seed of photo ``index`` (0-based) of a series seeded ``seed``.

    >>> photo_seed(7, 0) == photo_seed(7, 0) != photo_seed(7, 1)
    True
    """
    return int(rng_for(seed, f"photo-series-{index}").integers(0, 2**31 - 1))


def analyze_series(
    photos: Sequence[Photo],
    *,
    edits: Sequence[PhotoEdits | None] = (),
    treatment: PhotoTreatment | None = None,
    seed: int = 0,
    detect: bool = True,
) -> PhotoSeries:
    """Analyse several photos of one client and agree on the skin and the design.

    Parameters
    ----------
    photos
        The client's photos (at least one), each ingested with its view.
    edits
        Hand corrections per photo (shorter than ``photos``: the rest have none). A
        hand-drawn hairline on a frontal photo sets the height for all the others.
    treatment
        The design's treatment (hairline rule and height, density, style).
    seed
        The series seed; each photo's is :func:`photo_seed` of it.
    detect
        Run the face-landmark detector.
    """
    if not photos:
        raise PhotoError("a photo series needs at least one photo")
    if len(edits) > len(photos):
        raise PhotoError("more photo corrections than photos")
    treatment = treatment or PhotoTreatment()
    given = [e or PhotoEdits() for e in edits] + [PhotoEdits()] * (len(photos) - len(edits))
    first = [
        analyze_photo(p, edits=e, treatment=treatment, detect=detect)
        for p, e in zip(photos, given, strict=True)
    ]
    skin = pool_skin(first)
    reference, drawn = _reference(first, given)
    height, height_from = _shared_height(first, reference, drawn, treatment)
    analyses, seen, notes = list(first), [], []
    for i, analysis in enumerate(first):
        plan = _carry(analysis, first, reference, height, mine=drawn == i)
        seen.append(plan.height_seen)
        notes.append(plan.notes)
        if plan.changed:
            edit = replace(
                given[i],
                hairline_rule="height",
                hairline_height_mm=plan.height_seen,
                mm_per_px=plan.mm_per_px,
                calibration=None if plan.mm_per_px is not None else given[i].calibration,
            )
            analyses[i] = analyze_photo(photos[i], edits=edit, treatment=treatment, detect=detect)
    design = SeriesDesign(
        hairline_height_mm=height,
        height_from=height_from,
        reference=reference,
        heights_seen_mm=tuple(seen),
        seeds=tuple(photo_seed(seed, i) for i in range(len(photos))),
        seed=seed,
    )
    return PhotoSeries(tuple(analyses), skin, design, tuple(notes))


# --- the skin -------------------------------------------------------------------------


def pool_skin(analyses: Sequence[PhotoAnalysis]) -> SeriesSkin:
    """One skin reading from the analyses' tones (see the module notes)."""
    weights = [_skin_weight(a) for a in analyses]
    measured = [i for i, a in enumerate(analyses) if a.skin is not None]
    if not measured:
        empty = tuple(SkinVote(i, None, 0.0, False, _no_tone(a)) for i, a in enumerate(analyses))
        return SeriesSkin(None, empty, 0.0, 0, False)
    best = max(measured, key=lambda i: (weights[i], -i))
    anchor = _tone(analyses[best])
    agree = {i for i in measured if _close(_tone(analyses[i]), anchor)}
    pooled = _weighted_tone(
        [_tone(analyses[i]) for i in sorted(agree)], [weights[i] for i in sorted(agree)]
    )
    votes: list[SkinVote] = []
    for i, analysis in enumerate(analyses):
        tone = analysis.skin
        if tone is None:
            votes.append(SkinVote(i, None, 0.0, False, _no_tone(analysis)))
        elif i in agree:
            votes.append(SkinVote(i, tone, weights[i], True, ""))
        else:
            far = float(delta_e(tone.lab, anchor.lab))
            why = (
                f"differs from photo {best + 1} by ΔE {far:.1f}, Monk {tone.monk} vs {anchor.monk}"
            )
            votes.append(SkinVote(i, tone, weights[i], False, why))
    spread = max(float(delta_e(_tone(analyses[i]).lab, pooled.lab)) for i in measured)
    steps = max(abs(_tone(analyses[i]).monk - pooled.monk) for i in measured)
    return SeriesSkin(pooled, tuple(votes), spread, steps, len(agree) < len(measured))


def _tone(analysis: PhotoAnalysis) -> SkinTone:
    if analysis.skin is None:
        raise PhotoError("no skin tone on this photo")
    return analysis.skin


def _no_tone(analysis: PhotoAnalysis) -> str:
    light = analysis.lighting
    if light is not None and not light.measurable:
        return "its light hides the skin tone (" + ", ".join(light.flags) + ")"
    return "no skin found on it"


def _close(tone: SkinTone, anchor: SkinTone) -> bool:
    near = float(delta_e(tone.lab, anchor.lab)) <= SKIN_TOLERANCE_DE
    return near and abs(tone.monk - anchor.monk) <= SKIN_TOLERANCE_MONK


def _skin_weight(analysis: PhotoAnalysis) -> float:
    """How much a photo's skin reading counts: face area × exposure × lighting flags."""
    if analysis.skin is None:
        return 0.0
    seg = analysis.segmentation
    face_px = seg.areas_px().get("face", 0)
    area = min(1.0, face_px / FULL_FACE_PX)
    weight = area * _exposure(analysis.photo)
    flags = () if analysis.lighting is None else analysis.lighting.flags
    for flag in flags:
        weight *= FLAG_WEIGHTS.get(flag, 1.0)
    marks = analysis.landmarks
    pose = None if marks is None else marks.pose
    if pose is not None:  # a turned face shows its skin obliquely, one cheek in shadow
        weight *= (math.cos(math.radians(pose[0])) * math.cos(math.radians(pose[1]))) ** 2
    return max(weight, 1e-6)


def _exposure(photo: Photo) -> float:
    """The brightest 1 % of the photo's linear luminance against a well exposed photo's."""
    small, _ = downscaled(photo, 512)
    linear = np.asarray(srgb_to_linear(small.reshape(-1, 3) / 255.0), dtype=np.float64)
    luminance = linear @ np.array([0.2126, 0.7152, 0.0722])
    return min(1.0, float(np.percentile(luminance, 99)) / EXPOSED_LUMINANCE) ** 2


def _weighted_tone(tones: Sequence[SkinTone], weights: Sequence[float]) -> SkinTone:
    linear = np.array([_linear(t) for t in tones])
    w = np.asarray(weights, dtype=np.float64)
    mean: FloatArray = (linear * w[:, None]).sum(axis=0) / float(w.sum())
    return skin_tone_from_linear(mean)


def _linear(tone: SkinTone) -> FloatArray:
    return np.asarray(srgb_to_linear(lab_to_srgb(tone.lab)), dtype=np.float64)


# --- the hairline ---------------------------------------------------------------------


def _face_height_px(analysis: PhotoAnalysis) -> float | None:
    """The glabella–menton height in pixels along the face's up direction, if known."""
    marks = analysis.landmarks
    if marks is None or analysis.scale is None or not marks.has("glabella", "menton"):
        return None
    if not marks.has("right_canthus", "left_canthus"):
        return None
    height = float(np.dot(marks["glabella"] - marks["menton"], marks.up))
    return height if height > 0 else None


def _turn(analysis: PhotoAnalysis) -> float:
    """How far from a frontal view at eye level (|yaw| + |pitch|, degrees; 0 unknown)."""
    marks = analysis.landmarks
    pose = None if marks is None else marks.pose
    return 0.0 if pose is None else abs(pose[0]) + abs(pose[1])


def _yaw(analysis: PhotoAnalysis) -> float:
    marks = analysis.landmarks
    pose = None if marks is None else marks.pose
    return 0.0 if pose is None else abs(pose[0])


def _pitch_factor(analysis: PhotoAnalysis) -> float:
    """How the hairline's height above the glabella, over the face's height, is seen from
    the photo's camera pitch against a camera at eye level (orthographic, virtual head M):
    ``(cos p + s_h sin p) / (cos p + s_c sin p)``, 1 without a pose."""
    marks = analysis.landmarks
    pose = None if marks is None else marks.pose
    if pose is None:
        return 1.0
    p = math.radians(pose[1])
    hair = math.cos(p) + FOREHEAD_SETBACK * math.sin(p)
    chin = math.cos(p) + CHIN_SETBACK * math.sin(p)
    return hair / chin


def _reference(
    analyses: Sequence[PhotoAnalysis], edits: Sequence[PhotoEdits]
) -> tuple[int | None, int | None]:
    """The reference photo and the photo whose hand-drawn hairline sets the height."""
    faces = [i for i, a in enumerate(analyses) if _face_height_px(a) is not None]
    drawn = [
        i
        for i in faces
        if edits[i].hairline is not None
        and analyses[i].photo.view == "frontal"
        and not math.isnan(_hairline_height(analyses[i]))
    ]
    if drawn:
        return drawn[0], drawn[0]
    if not faces:
        return None, None
    return min(faces, key=lambda i: (_turn(analyses[i]), i)), None


def _hairline_height(analysis: PhotoAnalysis) -> float:
    line = analysis.hairline
    return math.nan if line is None else float(line.height_mm)


def _shared_height(
    analyses: Sequence[PhotoAnalysis],
    reference: int | None,
    drawn: int | None,
    treatment: PhotoTreatment,
) -> tuple[float | None, str]:
    if reference is None:
        return None, "none"
    if drawn is not None:
        return _hairline_height(analyses[drawn]), "drawn"
    height = _hairline_height(analyses[reference])
    if treatment.hairline_rule == "height" and treatment.hairline_height_mm is not None:
        # the design's line as the reference photo shows it (its camera's pitch, its head)
        return (float(treatment.hairline_height_mm) if math.isnan(height) else height), "design"
    return (None, "none") if math.isnan(height) else (height, "thirds")


@dataclass(frozen=True)
class _Carry:
    height_seen: float | None
    mm_per_px: float | None
    changed: bool
    notes: tuple[str, ...]


def _carry(
    analysis: PhotoAnalysis,
    analyses: Sequence[PhotoAnalysis],
    reference: int | None,
    height: float | None,
    *,
    mine: bool,
) -> _Carry:
    """How the shared height reaches one photo: its height as seen, and its scale."""
    face = _face_height_px(analysis)
    if reference is None or height is None or face is None or analysis.scale is None:
        why = "no face found: the hairline is not on this photo; the density applies"
        return _Carry(None, None, False, (why,) if analysis.landmarks is None else ())
    ref = analyses[reference]
    ref_face, ref_scale = _face_height_px(ref), ref.scale
    if mine or analysis is ref or ref_face is None or ref_scale is None:
        return _Carry(_hairline_height(analysis) if mine else height, None, False, ())
    notes: list[str] = []
    mm = analysis.scale.mm_per_px
    new_scale = None
    turned = _yaw(analysis) > TURNED_DEG and _yaw(ref) <= TURNED_DEG
    if turned and analysis.scale.source == "interpupillary":
        new_scale = ref_scale.mm_per_px * ref_face / face
        notes.append(
            f"the face is turned {_yaw(analysis):.0f}°: scale {new_scale:.3f} mm/px from its "
            f"face height against photo {reference + 1} (the eyes are foreshortened)"
        )
        mm = new_scale
    tilt = _pitch_factor(analysis) / _pitch_factor(ref)
    seen = height * tilt * (face * mm) / (ref_face * ref_scale.mm_per_px)
    notes.append(
        f"hairline {seen:.1f} mm above the glabella as seen here ({height:.1f} mm frontal)"
    )
    changed = new_scale is not None or abs(_hairline_height(analysis) - seen) > _SAME_HEIGHT_MM
    if analysis.hairline is not None and analysis.hairline.rule == "manual":
        changed = new_scale is not None
        notes[-1] = "its hairline was drawn by hand and is kept"
        seen = _hairline_height(analysis)
    return _Carry(seen, new_scale, changed, tuple(notes))


# --- the pigment and the simulation -----------------------------------------------------


@dataclass(frozen=True, eq=False)
class SeriesPigment:
    """The one pigment choice of a series: the dilution rule for every photo, the body
    shade (mL water per mL pigment) and the healed dot's colour."""

    rule: DilutionRule
    skin: SkinTone
    body_ml_water: float
    healed_dot_hex: str
    monk: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "skin_hex": self.skin.hex,
            "monk": self.monk,
            "body_ml_water": self.body_ml_water,
            "healed_dot_hex": self.healed_dot_hex,
        }


def series_pigment(
    skin: SkinTone,
    hair: str,
    *,
    table: DilutionTable | None = None,
    settings: Settings | None = None,
) -> SeriesPigment:
    """The pigment of a series from its one skin reading and the hair colour."""
    advice = recommend_dilution(skin, hair, zone="body", table=table)
    body = advice.ml_water
    if settings is not None:
        body = blend_for(skin, hair, settings, table=table).ml_water
    rule = dilution_rule(skin, hair, table=table, settings=settings)
    return SeriesPigment(rule, skin, float(body), advice.dot_hex, advice.monk)


@dataclass(frozen=True, eq=False)
class SeriesSimulation:
    """Before and after of every photo of a series, with the one pigment."""

    series: PhotoSeries
    pigment: SeriesPigment
    simulations: tuple[PhotoSimulation, ...]

    def contact_sheet(self, *, row_height: int = 512) -> UInt8Array:
        """Every photo's before | after, one row each (:func:`contact_sheet`)."""
        return contact_sheet([(s.before, s.after) for s in self.simulations], row_height=row_height)


def simulate_series(
    series: PhotoSeries,
    *,
    treatment: PhotoTreatment,
    pigment: SeriesPigment,
    state: str = "healed",
    years: float = 0.0,
    session: int | None = None,
) -> SeriesSimulation:
    """SMP on every photo of the series: one treatment, one pigment, each photo's seed."""
    sims = tuple(
        simulate_photo(
            analysis,
            treatment=treatment,
            dilution=pigment.rule,
            seed=series.design.seeds[i],
            state=state,
            years=years,
            session=session,
            skin=pigment.skin,
        )
        for i, analysis in enumerate(series.analyses)
    )
    return SeriesSimulation(series, pigment, sims)


def contact_sheet(
    pairs: Sequence[tuple[UInt8Array, UInt8Array]], *, row_height: int = 512, gap: int = 16
) -> UInt8Array:
    """Before | after of each photo (:func:`~smpstudio.photo.side_by_side`, at most
    ``row_height`` px high), one row each, on a dark sheet.

    >>> a = np.zeros((10, 8, 3), np.uint8)
    >>> contact_sheet([(a, a), (a, a)]).shape
    (36, 32, 3)
    """
    rows = [side_by_side(b, a, max_height=row_height) for b, a in pairs]
    width = max(r.shape[1] for r in rows)
    height = sum(r.shape[0] for r in rows) + gap * (len(rows) - 1)
    sheet = np.full((height, width, 3), 24, dtype=np.uint8)
    top = 0
    for row in rows:
        sheet[top : top + row.shape[0], : row.shape[1]] = row
        top += row.shape[0] + gap
    return sheet
