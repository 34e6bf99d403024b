"""Hair-loss patterns as fields of remaining-hair coverage in [0, 1] on the scalp, alopecia
areata patches and scars."""

from smpstudio.loss._patterns import PATTERN_NAMES, LossPattern, loss_pattern
from smpstudio.loss._primitives import (
    Crown,
    Oval,
    Patch,
    Recession,
    Region,
    head_angles,
    smoothstep,
)
from smpstudio.loss._scars import MAX_COORDINATE_MM, SCAR_FIELDS, Scar, ScarSet, parse_scar

__all__ = [
    "MAX_COORDINATE_MM",
    "PATTERN_NAMES",
    "SCAR_FIELDS",
    "Crown",
    "LossPattern",
    "Oval",
    "Patch",
    "Recession",
    "Region",
    "Scar",
    "ScarSet",
    "head_angles",
    "loss_pattern",
    "parse_scar",
    "smoothstep",
]
