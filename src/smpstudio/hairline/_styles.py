"""Hairline styles and shapes.

Sources (domain reference §1.10, §2.3, §2.4): real hairlines are 1- and 2-hair groupings with
less density and lighter pigment at the front; a hairline is a transition zone (TZ) in front
of a defined zone, with macro-irregularity (undulation over centimetres) and
micro-irregularity (zig-zags of a few mm), and sentinel hairs 1–3 mm ahead of the line;
perfectly symmetric or straight lines look fake. Soft and broken styles have the widest and
most irregular transition, broken scatters isolated dots further ahead; medium follows the
client's original hairline; defined is the "lined-up", edge-up line: straight across (its
default shape is ``flat``, not rounded) with a crisp edge within about 1–2 mm, at most half
the soft style's transition.
"""

from __future__ import annotations

from dataclasses import dataclass

from smpstudio._errors import HairlineError
from smpstudio._settings import Settings

__all__ = ["HAIRLINE_SHAPES", "HAIRLINE_STYLES", "HairlineStyle", "hairline_style"]

HAIRLINE_SHAPES = ("rounded", "flat", "widows-peak", "original")
"""``rounded``: temporal points higher than the mid-frontal point (mature, convex);
``flat``: nearly level across; ``widows-peak``: a central V; ``original``: the outline of the
client's natural hairline, moved to the chosen height."""


@dataclass(frozen=True)
class HairlineStyle:
    """Edge character of a hairline style (amplitudes and wavelengths in mm)."""

    name: str
    macro_amplitude_mm: float
    macro_wavelength_mm: tuple[float, float]
    micro_amplitude_mm: float
    micro_wavelength_mm: tuple[float, float]
    sentinel_fraction: float
    scatter_fraction: float
    default_shape: str

    def transition_mm(self, settings: Settings) -> float:
        value: float = getattr(settings, f"transition_{self.name}_mm")
        return value

    def sentinel_mm(self, settings: Settings) -> float:
        return settings.sentinel_band_mm if self.sentinel_fraction > 0 else 0.0

    def scatter_mm(self, settings: Settings) -> float:
        return settings.broken_scatter_mm if self.scatter_fraction > 0 else 0.0


HAIRLINE_STYLES: dict[str, HairlineStyle] = {
    "soft": HairlineStyle("soft", 2.5, (18.0, 40.0), 0.8, (2.5, 6.0), 0.18, 0.0, "rounded"),
    "broken": HairlineStyle("broken", 3.0, (18.0, 40.0), 1.6, (2.0, 5.0), 0.22, 0.07, "rounded"),
    "medium": HairlineStyle("medium", 1.5, (20.0, 45.0), 0.5, (3.0, 7.0), 0.10, 0.0, "original"),
    "defined": HairlineStyle("defined", 0.4, (40.0, 80.0), 0.1, (3.0, 8.0), 0.0, 0.0, "flat"),
}


def hairline_style(name: str) -> HairlineStyle:
    key = name.strip().lower()
    if key not in HAIRLINE_STYLES:
        raise HairlineError(
            f"unknown hairline style {name!r}: choose one of {', '.join(HAIRLINE_STYLES)}"
        )
    return HAIRLINE_STYLES[key]
