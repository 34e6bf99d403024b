"""Scale of a photo in millimetres per pixel.

From the face (the interpupillary distance, 63 mm by default, is the most stable adult face
measure a photo shows), from a calibration (two points a known distance apart, such as the
ends of a ruler held against the head), given directly, or — for views without a face —
from the width of the head's outline and the head breadth of the design's virtual head.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from smpstudio._errors import PhotoError
from smpstudio.photo._design_height import MAX_YAW_CORRECTED_DEG
from smpstudio.photo._landmarks import TURNED_DEG, FaceLandmarks

__all__ = [
    "DEFAULT_IPD_MM",
    "IPD_RANGE_MM",
    "MM_PER_PX_RANGE",
    "Scale",
    "parse_calibration",
    "scale_from_calibration",
    "scale_from_head_width",
    "scale_from_landmarks",
    "scale_given",
]

DEFAULT_IPD_MM = 63.0
"""Adult interpupillary distance used when the client's is not measured (mm; adult means
are about 61–64 mm, women a little less than men [U: no primary source retrieved])."""

IPD_RANGE_MM = (45.0, 80.0)
"""Interpupillary distances accepted (mm)."""

MM_PER_PX_RANGE = (0.005, 5.0)
"""Scales accepted (mm per pixel): from a macro photo to a thumbnail."""


@dataclass(frozen=True)
class Scale:
    """Millimetres per pixel and where the number came from.

    ``source`` is ``interpupillary``, ``calibration``, ``given`` or ``head-width``.

    >>> scale_given(0.125).px(10.0)
    80.0
    """

    mm_per_px: float
    source: str
    detail: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        lo, hi = MM_PER_PX_RANGE
        if not (math.isfinite(self.mm_per_px) and lo <= self.mm_per_px <= hi):
            raise PhotoError(
                f"scale {self.mm_per_px:g} mm/px ({self.source}) is outside {lo:g}–{hi:g} "
                "mm/px: check the landmarks or the calibration"
            )

    def px(self, mm: float) -> float:
        """A length in millimetres, in pixels."""
        return mm / self.mm_per_px

    def to_dict(self) -> dict[str, object]:
        return {
            "mm_per_px": round(self.mm_per_px, 5),
            "source": self.source,
            **{k: round(v, 3) for k, v in self.detail.items()},
        }


def scale_given(mm_per_px: float) -> Scale:
    """A scale given by the user."""
    return Scale(float(mm_per_px), "given")


def scale_from_landmarks(marks: FaceLandmarks, *, ipd_mm: float = DEFAULT_IPD_MM) -> Scale:
    """Scale from the distance between the pupils.

    >>> marks = FaceLandmarks.manual({"right_pupil": (100, 200), "left_pupil": (226, 200)})
    >>> scale_from_landmarks(marks).mm_per_px
    0.5
    """
    lo, hi = IPD_RANGE_MM
    if not (math.isfinite(ipd_mm) and lo <= ipd_mm <= hi):
        raise PhotoError(f"interpupillary distance {ipd_mm:g} mm is outside {lo:g}–{hi:g} mm")
    if not marks.has("right_pupil", "left_pupil"):
        raise PhotoError(
            "the scale needs both pupils: place them (--landmark right_pupil=X,Y "
            "--landmark left_pupil=X,Y), or give --mm-per-px or a --calibrate ruler"
        )
    pixels = float(np.hypot(*(marks["left_pupil"] - marks["right_pupil"])))
    if pixels < 4.0:
        raise PhotoError(
            f"the pupils are {pixels:.1f} px apart: the face is too small in the photo to "
            "measure; come closer (see the capture guide) or give --mm-per-px"
        )
    detail = {"ipd_mm": ipd_mm, "ipd_px": pixels}
    pose = marks.pose
    if pose is not None and abs(pose[0]) > TURNED_DEG:
        # the pupils of a turned face lie side by side at one depth: the turn shortens
        # their distance on the photo by cos(yaw), not the face's height
        turn = math.radians(min(abs(pose[0]), MAX_YAW_CORRECTED_DEG))
        detail["yaw_deg"] = round(pose[0], 1)
        return Scale(ipd_mm * math.cos(turn) / pixels, "interpupillary", detail)
    return Scale(ipd_mm / pixels, "interpupillary", detail)


def parse_calibration(text: str) -> tuple[tuple[float, float], tuple[float, float], float]:
    """``"x1,y1,x2,y2,mm"`` → the two points and the distance between them.

    >>> parse_calibration("10,20,110,20,50")
    ((10.0, 20.0), (110.0, 20.0), 50.0)
    """
    try:
        x1, y1, x2, y2, mm = (float(v) for v in str(text).replace(" ", "").split(","))
    except ValueError:
        raise PhotoError(
            f"calibration {text!r} is not x1,y1,x2,y2,mm: two points in pixels and their "
            "distance in millimetres, e.g. 120,900,620,905,50"
        ) from None
    return (x1, y1), (x2, y2), mm


def scale_from_calibration(
    start: tuple[float, float], end: tuple[float, float], length_mm: float
) -> Scale:
    """Scale from two points ``length_mm`` apart (a ruler in the photo).

    >>> scale_from_calibration((0, 0), (300, 400), 50).mm_per_px
    0.1
    """
    pixels = math.hypot(end[0] - start[0], end[1] - start[1])
    if not (math.isfinite(length_mm) and length_mm > 0):
        raise PhotoError(f"calibration length {length_mm:g} mm must be a positive number")
    if not math.isfinite(pixels) or pixels < 10.0:
        raise PhotoError(
            f"the calibration points are {pixels:.1f} px apart: mark points at least 10 px "
            "apart (the longer the ruler, the better)"
        )
    return Scale(length_mm / pixels, "calibration", {"length_mm": length_mm, "length_px": pixels})


def scale_from_head_width(width_px: float, *, width_mm: float) -> Scale:
    """Scale from the width of the head's outline and the head's breadth (or length, for a
    side view) in millimetres: an estimate for views without a face.

    >>> scale_from_head_width(600, width_mm=150).mm_per_px
    0.25
    """
    if not (width_px >= 10.0):
        raise PhotoError(
            "the head's outline is too small to estimate the scale: give --mm-per-px or a "
            "--calibrate ruler"
        )
    return Scale(width_mm / width_px, "head-width", {"width_mm": width_mm, "width_px": width_px})
