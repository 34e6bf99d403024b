"""Hairline design: height above the glabella, temporal points on the lateral canthus lines,
shape, and the soft / broken / medium / defined styles."""

from smpstudio.hairline._hairline import HEIGHT_RULES, Hairline, HeightRule, design_hairline
from smpstudio.hairline._styles import (
    HAIRLINE_SHAPES,
    HAIRLINE_STYLES,
    HairlineStyle,
    hairline_style,
)

__all__ = [
    "HAIRLINE_SHAPES",
    "HAIRLINE_STYLES",
    "HEIGHT_RULES",
    "Hairline",
    "HairlineStyle",
    "HeightRule",
    "design_hairline",
    "hairline_style",
]
