"""Head measures and the S / M / L presets."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from smpstudio._errors import HeadMeasureError

__all__ = ["HEAD_PRESETS", "MEASURE_RANGES_MM", "HeadMeasures"]

# Accepted adult ranges (mm). Wider than the 5th–95th percentiles so that real clients fit,
# narrow enough to catch unit mistakes (cm for mm) and typos.
MEASURE_RANGES_MM: dict[str, tuple[float, float]] = {
    "circumference_mm": (480.0, 660.0),
    "length_mm": (160.0, 225.0),
    "breadth_mm": (125.0, 180.0),
    "forehead_height_mm": (40.0, 100.0),
    "vertex_height_mm": (80.0, 135.0),
    "canthal_width_mm": (75.0, 110.0),
    "face_height_mm": (105.0, 165.0),
}


@dataclass(frozen=True, kw_only=True)
class HeadMeasures:
    """Standard head measures of an adult client, in millimetres.

    Parameters
    ----------
    circumference_mm
        Tape around the head just above the brows and over the back of the head.
    length_mm
        Glabella to opisthocranion (most posterior point), in the midline.
    breadth_mm
        Maximum breadth above the ears.
    forehead_height_mm
        The client's natural (original) hairline above the glabella, along the skin.
    vertex_height_mm
        Height of the vertex above the plane through glabella and opisthocranion.
    canthal_width_mm
        Distance between the lateral canthi (ex–ex); the lateral canthus lines are the
        vertical lines through them.
    face_height_mm
        Glabella to soft-tissue menton; half of it is the upper facial third.

    Examples
    --------
    >>> HeadMeasures.preset("M").circumference_mm
    572.0
    >>> HeadMeasures.preset("M").replace(breadth_mm=150).breadth_mm
    150.0
    """

    circumference_mm: float
    length_mm: float
    breadth_mm: float
    forehead_height_mm: float
    vertex_height_mm: float
    canthal_width_mm: float
    face_height_mm: float

    def __post_init__(self) -> None:
        for name, (low, high) in MEASURE_RANGES_MM.items():
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise HeadMeasureError(f"head measure {name} must be a number of mm, got {value!r}")
            if not low <= value <= high:
                raise HeadMeasureError(
                    f"head measure {name}={value:g} mm is outside the adult range "
                    f"{low:g}–{high:g} mm (check the unit: millimetres)"
                )
            object.__setattr__(self, name, float(value))
        if self.breadth_mm >= self.length_mm:
            raise HeadMeasureError(
                f"head breadth {self.breadth_mm:g} mm must be smaller than head length "
                f"{self.length_mm:g} mm (did you swap them?)"
            )
        if self.canthal_width_mm >= self.breadth_mm * 0.75:
            raise HeadMeasureError(
                f"canthal width {self.canthal_width_mm:g} mm is too wide for a head "
                f"{self.breadth_mm:g} mm broad"
            )

    @classmethod
    def preset(cls, name: str) -> HeadMeasures:
        """Return the measures of preset ``S``, ``M`` or ``L``."""
        key = name.strip().upper()
        if key not in HEAD_PRESETS:
            raise HeadMeasureError(f"unknown head preset {name!r}: choose S, M or L")
        return HEAD_PRESETS[key]

    def replace(self, **changes: Any) -> HeadMeasures:
        """Return a copy with some measures changed (and validated)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)


# Sources: head length 50th percentile 195 mm (men) / 180 mm (women) and breadth 155 / 145 mm,
# British adults 19–65 (Pheasant, via personal.cityu.edu.hk/meachan/online anthropometry,
# Ch2-26/27); circumference 57.2 cm (men) / 55.2 cm (women) (Bushby et al., Arch Dis Child
# 1992;67:1286). M is the median man, S a small head (median woman), L a large man's head.
# Vertex height = head height (vertex–menton, about 230 mm in men [U]) minus face height
# (glabella–menton); forehead and canthal widths are typical values [U] (not sourced here).
HEAD_PRESETS: dict[str, HeadMeasures] = {
    "S": HeadMeasures(
        circumference_mm=550.0,
        length_mm=183.0,
        breadth_mm=146.0,
        forehead_height_mm=62.0,
        vertex_height_mm=88.0,
        canthal_width_mm=87.0,
        face_height_mm=128.0,
    ),
    "M": HeadMeasures(
        circumference_mm=572.0,
        length_mm=195.0,
        breadth_mm=155.0,
        forehead_height_mm=68.0,
        vertex_height_mm=94.0,
        canthal_width_mm=91.0,
        face_height_mm=136.0,
    ),
    "L": HeadMeasures(
        circumference_mm=598.0,
        length_mm=205.0,
        breadth_mm=163.0,
        forehead_height_mm=74.0,
        vertex_height_mm=100.0,
        canthal_width_mm=95.0,
        face_height_mm=144.0,
    ),
}
