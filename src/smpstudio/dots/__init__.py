"""Impression engine: every SMP dot placed as variable-density, session-progressive blue noise.

:func:`place_impressions` lays ranked, hierarchically maximal Poisson-disk tiles — in
patches that each take a tile, an angle and an offset from the seed, so nothing repeats —
over a nearly conformal chart of the scalp and keeps, at every place, the share of the tiles
that the design's density asks for — exactly counted where the density is smooth — session
by session. :func:`sample_plane` does the same in the unit square, with exact counts
everywhere. Metrics (relative radius, local spacing, density error, spectrum) and writers
(``dots.csv``, SVG stencils) are here too; bad requests raise :class:`DotsError`.
"""

from smpstudio.dots._chart import ScalpChart, chart_of, to_chart
from smpstudio.dots._dilution import TONE_STEP, blend_for, dilution_rule, shaved_optics
from smpstudio.dots._engine import (
    NEEDLES,
    DilutionRule,
    Impressions,
    place_impressions,
    sample_on_head,
)
from smpstudio.dots._errors import DotsError
from smpstudio.dots._io import CSV_HEADER, impressions_csv, stencil_svg
from smpstudio.dots._metrics import (
    LocalSpacing,
    density_error,
    local_spacing,
    nn_cv,
    radial_spectrum,
    relative_radius,
    surface_density_error,
)
from smpstudio.dots._plane import (
    HEADROOM,
    MAX_MEMORY_MB,
    max_points,
    sample_plane,
    sample_plane_sessions,
)
from smpstudio.dots._tile import TILE_SIZE, Tile, default_tile, default_tiles, make_tile

__all__ = [
    "CSV_HEADER",
    "HEADROOM",
    "MAX_MEMORY_MB",
    "NEEDLES",
    "TILE_SIZE",
    "TONE_STEP",
    "DilutionRule",
    "DotsError",
    "Impressions",
    "LocalSpacing",
    "ScalpChart",
    "Tile",
    "blend_for",
    "chart_of",
    "default_tile",
    "default_tiles",
    "density_error",
    "dilution_rule",
    "impressions_csv",
    "local_spacing",
    "make_tile",
    "max_points",
    "nn_cv",
    "place_impressions",
    "radial_spectrum",
    "relative_radius",
    "sample_on_head",
    "sample_plane",
    "sample_plane_sessions",
    "shaved_optics",
    "stencil_svg",
    "surface_density_error",
    "to_chart",
]
