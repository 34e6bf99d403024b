"""Virtual head: a parametric adult head surface in millimetres, its natural scalp and
landmarks.

Frame: origin at the centre of the head, +x toward the client's left, +y up, +z toward the
face.
"""

from smpstudio.head._head import LANDMARK_NAMES, VirtualHead
from smpstudio.head._measures import HEAD_PRESETS, MEASURE_RANGES_MM, HeadMeasures
from smpstudio.head._mesh import SurfaceMesh, mesh_area, monte_carlo_area
from smpstudio.head._morphs import AGE_RANGE_YEARS, MORPH_NAMES, SEXES, FaceMorphs
from smpstudio.head._surface import HeadShape

__all__ = [
    "AGE_RANGE_YEARS",
    "HEAD_PRESETS",
    "LANDMARK_NAMES",
    "MEASURE_RANGES_MM",
    "MORPH_NAMES",
    "SEXES",
    "FaceMorphs",
    "HeadMeasures",
    "HeadShape",
    "SurfaceMesh",
    "VirtualHead",
    "mesh_area",
    "monte_carlo_area",
]
