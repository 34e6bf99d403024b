"""Where the design's hairline lies on a frontal photo: its rise above the glabella as this
camera sees this head.

A design puts the mid-frontal point of the hairline ``h`` mm above the glabella and ``s`` mm
behind it (the forehead slopes back: 20 mm behind at 75 mm on head M). A frontal photo shows
it at ``h cos p + s sin p`` above the glabella for a camera ``p`` degrees below the face
(orthographic), which the scale from the eyes turns into pixels. Two things make that alone
miss on real photos: the interpupillary distance is assumed (63 mm; a wider-eyed client's
head comes out small) and the pitch shortens the forehead. On the evaluation set the top of a
bald head lay only 62–106 mm above the glabella by the eyes' scale, so a design line at
75 mm lay at or above the top of six of eleven bald heads, and nothing was treated.

The head's outline measures the head itself: the top of the silhouette above the glabella
is the highest point of the design head's midline section seen at the same pitch. So the
line is also placed at the share of the client's visible rise (glabella to the top of the
outline) that the design's line takes on the design head at that pitch; of the two, the
lower wins, since hair on top raises the outline above the skull (the scale from the eyes
is then the better one), while a short head or a camera from below lowers it. On renders of
the virtual head from known cameras the outline share is within 3 % of the truth at pitch
−30, 0 and 20° (tests/photo/test_design_height.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from smpstudio._types import BoolArray, FloatArray
from smpstudio.photo._landmarks import FaceLandmarks

if TYPE_CHECKING:
    from smpstudio.head import HeadShape

__all__ = [
    "MAX_YAW_CORRECTED_DEG",
    "OUTLINE_RAYS",
    "PITCH_LIMIT_DEG",
    "DesignRise",
    "default_profile",
    "design_rise",
    "head_top_px",
    "sagittal_profile",
    "seen_rise",
]

MAX_YAW_CORRECTED_DEG = 60.0
"""On a face turned more than :data:`~smpstudio.photo._landmarks.TURNED_DEG` the pupils lie
side by side at one depth, so the turn shortens their distance on the photo by ``cos(yaw)``:
the scale from the eyes takes that out up to this yaw (the pose's calibration range;
:func:`~smpstudio.photo._scale.scale_from_landmarks`), and the outline is not used (above a
turned face's glabella it is not the head's top). On renders of the virtual head turned 35°
either way the line then lies within 4 mm of the truth (the pose reads 38–40°), where it was
13–17 mm low; on the three-quarter evaluation photo (turned 59°) the face measured 206 mm
from glabella to chin, and 107 mm with the turn taken out."""
PITCH_LIMIT_DEG = 30.0
"""Estimated camera pitches are used up to this (the pose calibration's range, renders at
−30…30°); beyond it the photo is far from frontal and the pitch is clipped."""
OUTLINE_RAYS = 9
"""Rays cast upward from the glabella across the middle fifth of the eye span; the median
length is the head's visible rise (one ray can stop at a hole in the person mask)."""
_MIN_TOP_SHARE = 0.35  # a visible rise under 35 % of the glabella–menton height is not a head top
_PROFILE_POINTS = 181


@dataclass(frozen=True)
class DesignRise:
    """The design's mid-frontal point on a photo: ``px`` above the glabella (photo pixels,
    along the face's up direction) and what set it: ``scale`` (the eyes' scale and the
    camera's pitch) or ``outline`` (the head's visible rise)."""

    px: float
    source: str
    pitch_deg: float
    top_px: float | None


def sagittal_profile(shape: HeadShape, *, points: int = _PROFILE_POINTS) -> FloatArray:
    """``(N, 2)`` midline section of a design head above the glabella plane, ``(y, z)`` in
    mm relative to the glabella, front (the glabella) over the vertex to the back."""
    y = np.linspace(0.0, shape.b_up, points)
    front = shape.from_chart(np.zeros_like(y), y)
    back = shape.from_chart(np.full_like(y, math.pi), y[::-1])
    section = np.vstack([front, back[1:]])[:, 1:]
    glabella = section[0].copy()
    return np.asarray(section - glabella, dtype=np.float64)


@lru_cache(maxsize=1)
def default_profile() -> FloatArray:
    """The midline section of head M (the design default)."""
    from smpstudio.head import HeadMeasures, HeadShape

    profile = sagittal_profile(HeadShape.from_measures(HeadMeasures.preset("M")))
    profile.setflags(write=False)
    return profile


def seen_rise(yz: FloatArray, pitch_deg: float) -> FloatArray:
    """Height above the glabella of points ``(y, z)`` (mm, relative to the glabella) as a
    camera ``pitch_deg`` below the face sees them (orthographic)."""
    p = math.radians(pitch_deg)
    pts = np.asarray(yz, dtype=np.float64).reshape(-1, 2)
    return np.asarray(pts[:, 0] * math.cos(p) + pts[:, 1] * math.sin(p), dtype=np.float64)


def head_top_px(person: BoolArray, *, zoom: float, marks: FaceLandmarks) -> float | None:
    """The head's visible rise: how far above the glabella (photo pixels, along the face's
    up direction) the person's outline ends, as the median of :data:`OUTLINE_RAYS` rays
    cast from the glabella's level across the middle fifth of the eye span. None when a ray
    leaves the photo (the head is cut off) or the rise is implausibly short."""
    if not marks.has("glabella", "menton", "right_canthus", "left_canthus"):
        return None
    up, across = marks.up, marks.across
    g = marks["glabella"]
    span = float(np.dot(marks["left_canthus"] - marks["right_canthus"], across))
    drop = float(np.dot(g - marks["menton"], up))
    rows, cols = person.shape
    limit = int(3.0 * drop * zoom) + 2
    steps = np.arange(1, limit, dtype=np.float64)
    lengths = []
    for offset in np.linspace(-0.1 * span, 0.1 * span, OUTLINE_RAYS):
        start = (g + offset * across) * zoom
        xs = np.round(start[0] + steps * up[0]).astype(np.int64)
        ys = np.round(start[1] + steps * up[1]).astype(np.int64)
        inside = (xs >= 0) & (xs < cols) & (ys >= 0) & (ys < rows)
        if not inside.all():
            first_out = int(np.argmin(inside))
            xs, ys = xs[:first_out], ys[:first_out]
        on = person[ys, xs]
        if on.all():
            return None  # the ray left the photo on the person: the head is cut off
        lengths.append(float(np.argmin(on)) / zoom)
    top = float(np.median(lengths))
    return top if top >= _MIN_TOP_SHARE * drop else None


def design_rise(
    *,
    height_mm: float,
    setback_mm: float,
    mm_per_px: float,
    pitch_deg: float | None,
    top_px: float | None,
    profile: FloatArray,
) -> DesignRise:
    """Where a design's mid-frontal point (``height_mm`` above the glabella, ``setback_mm``
    in front of it: negative behind) lies on a frontal photo (see the module notes)."""
    pitch = float(np.clip(pitch_deg or 0.0, -PITCH_LIMIT_DEG, PITCH_LIMIT_DEG))
    point = np.array([[height_mm, setback_mm]])
    rise_mm = float(seen_rise(point, pitch)[0])
    by_scale = rise_mm / mm_per_px
    if top_px is None:
        return DesignRise(by_scale, "scale", pitch, None)
    top_mm = float(np.max(seen_rise(profile, pitch)))
    by_outline = rise_mm / top_mm * top_px
    if by_outline < by_scale:
        return DesignRise(by_outline, "outline", pitch, top_px)
    return DesignRise(by_scale, "scale", pitch, top_px)
