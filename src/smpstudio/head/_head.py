"""The virtual head: surface, natural scalp region and anatomical landmarks."""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cached_property

import numpy as np
from scipy.interpolate import PchipInterpolator
from scipy.optimize import brentq

from smpstudio._kernels import natural_kernel
from smpstudio._types import BoolArray, FloatArray, Vec3
from smpstudio.head._face import face_mesh
from smpstudio.head._measures import HeadMeasures
from smpstudio.head._mesh import SurfaceMesh, mesh_area, monte_carlo_area
from smpstudio.head._morphs import FaceMorphs
from smpstudio.head._surface import HeadShape

__all__ = ["LANDMARK_NAMES", "VirtualHead"]

LANDMARK_NAMES = (
    "glabella",
    "trichion",
    "vertex",
    "opisthocranion",
    "occipital_protuberance",
    "nape",
    "tragion_left",
    "tragion_right",
    "lateral_canthus_left",
    "lateral_canthus_right",
)

# Lower edge of the natural (pre-loss) scalp, as height y against azimuth |phi| in degrees.
# Values are ("front", offset mm from the trichion height), ("up", fraction of the vertex
# height) or ("down", fraction of the lower semi-axis). The outline follows the usual
# anatomy [U]: a level juvenile frontal hairline, the temporal hairline turning down at the
# temples to the sideburns, an arc over the ear, the mastoid region and the nape.
_NATURAL_OUTLINE: tuple[tuple[float, str, float], ...] = (
    (0.0, "front", 0.0),
    (14.0, "front", 1.0),
    (26.0, "front", -1.5),
    (36.0, "front", -14.0),
    (45.0, "up", 0.22),
    (54.0, "down", -0.06),
    (63.0, "down", -0.30),
    (70.0, "down", -0.33),
    (76.0, "down", -0.12),
    (83.0, "up", 0.03),
    (90.0, "up", 0.06),
    (97.0, "up", 0.03),
    (106.0, "down", -0.16),
    (118.0, "down", -0.42),
    (140.0, "down", -0.55),
    (162.0, "down", -0.60),
    (180.0, "down", -0.62),
)

_EDGE_TABLE_SIZE = 8193
_TRAGION_AZIMUTH_DEG = 82.0
_TRAGION_DROP = 0.20  # below the glabella plane, fraction of the lower semi-axis
_CANTHUS_DROP = 0.16
_INION_DROP = 0.18


class VirtualHead:
    """A parametric adult head in millimetres with its natural scalp region.

    Parameters
    ----------
    measures
        Head measures; ``VirtualHead.preset("M")`` uses the M preset.
    sex, age_years, morphs
        The face drawn under the scalp (:class:`~smpstudio.head.FaceMorphs`): ``male`` or
        ``female``, 18–90 years, and weights 0–1 of the morphs in
        :data:`~smpstudio.head.MORPH_NAMES`. No design number depends on them.

    Examples
    --------
    >>> head = VirtualHead.preset("M")
    >>> head.landmarks["glabella"]
    (0.0, 0.0, 97.5)
    >>> head.landmarks["tragion_left"][0] > 0     # +x is the client's left
    True
    >>> 500 < head.scalp_area_cm2 < 775
    True
    """

    def __init__(
        self,
        measures: HeadMeasures,
        *,
        sex: str = "male",
        age_years: float = 35.0,
        morphs: Mapping[str, float] | None = None,
    ) -> None:
        self.measures = measures
        self.face = FaceMorphs(sex=sex, age_years=age_years, morphs=dict(morphs or {}))
        self.shape = HeadShape.from_measures(measures, face=self.face)

    @classmethod
    def preset(cls, name: str) -> VirtualHead:
        return cls(HeadMeasures.preset(name))

    @cached_property
    def face_landmarks(self) -> dict[str, Vec3]:
        """Landmarks of the drawn face (mm): glabella, vertex, opisthocranion, menton,
        lateral canthi and tragia as the MakeHuman mesh fitted to the measures puts them
        (the design uses :attr:`landmarks`; docs/design-model.md compares the two)."""
        return dict(face_mesh(self.shape).landmarks)

    # ------------------------------------------------------------------ natural scalp
    @cached_property
    def trichion_height(self) -> float:
        """Height y of the natural hairline in the midline (forehead height along the skin)."""
        return float(self.shape.height_at_arc(0.0, np.array([self.measures.forehead_height_mm]))[0])

    @cached_property
    def _outline(self) -> PchipInterpolator:
        heights = []
        for _, kind, value in _NATURAL_OUTLINE:
            if kind == "front":
                heights.append(self.trichion_height + value)
            elif kind == "up":
                heights.append(value * self.shape.b_up)
            else:
                heights.append(value * self.shape.b_down)
        phis = np.radians([row[0] for row in _NATURAL_OUTLINE])
        return PchipInterpolator(phis, np.asarray(heights))

    def natural_edge_height(self, phi: FloatArray) -> FloatArray:
        """Height y of the lower edge of the natural scalp at azimuth ``phi`` (radians)."""
        return np.asarray(
            self._outline(np.abs(np.asarray(phi, dtype=np.float64))), dtype=np.float64
        )

    @cached_property
    def edge_table(self) -> FloatArray:
        """The natural edge height sampled at ``|phi|`` = 0 … pi in 8,192 steps (for kernels)."""
        phi = np.linspace(0.0, math.pi, _EDGE_TABLE_SIZE)
        return np.ascontiguousarray(self.natural_edge_height(phi))

    def natural_scalp_mask(self, points: FloatArray) -> BoolArray:
        """True for surface points on the natural (pre-loss) hair-bearing scalp."""
        pts = np.ascontiguousarray(np.asarray(points, dtype=np.float64).reshape(-1, 3))
        mask = natural_kernel(pts, self.edge_table)
        return np.asarray(mask.reshape(np.shape(points)[:-1]), dtype=np.bool_)

    def natural_edge_polyline(self, *, step_deg: float = 0.5) -> FloatArray:
        """Closed outline of the natural scalp as surface points, from the front round."""
        phi = np.radians(np.arange(-180.0, 180.0 + step_deg / 2, step_deg))
        return self.shape.from_chart(phi, self.natural_edge_height(phi))

    # ------------------------------------------------------------------ areas
    @cached_property
    def mesh(self) -> SurfaceMesh:
        return SurfaceMesh.of(self.shape)

    def _scalp_weight(self, points: FloatArray) -> FloatArray:
        return self.natural_scalp_mask(points).astype(np.float64)

    @cached_property
    def scalp_area_cm2(self) -> float:
        """Natural scalp area from the mesh sum (cm²)."""
        return mesh_area(self.shape, self._scalp_weight) / 100.0

    def scalp_area_monte_carlo_cm2(
        self, *, samples: int = 1_000_000, seed: int = 0
    ) -> tuple[float, float]:
        """Natural scalp area by Monte Carlo (cm²) and its standard error."""
        area, err = monte_carlo_area(self.shape, self._scalp_weight, samples=samples, seed=seed)
        return area / 100.0, err / 100.0

    # ------------------------------------------------------------------ landmarks
    def point_at_arc(self, phi: float, arc_mm: float) -> FloatArray:
        """Surface point ``arc_mm`` of skin above the glabella plane at azimuth ``phi``."""
        y = self.shape.height_at_arc(phi, np.array([arc_mm]))
        return np.asarray(self.shape.from_chart(np.array([phi]), y)[0], dtype=np.float64)

    def canthus_line_azimuth(self, y: float, *, side: int = 1) -> float:
        """Azimuth at which the lateral canthus line (x = ±canthal/2) meets height ``y``."""
        x_target = self.measures.canthal_width_mm / 2.0

        def gap(phi: float) -> float:
            return float(self.shape.from_chart(np.array([phi]), np.array([y]))[0, 0]) - x_target

        if gap(math.pi / 2) < 0:
            raise ValueError(f"the canthus line does not reach height {y:.1f} mm on this head")
        return side * float(brentq(gap, 0.0, math.pi / 2, xtol=1e-12))

    @cached_property
    def landmarks(self) -> dict[str, Vec3]:
        """Anatomical landmarks on the surface (mm), keyed by :data:`LANDMARK_NAMES`."""
        s = self.shape
        down = s.b_down

        def at(phi_deg: float, y: float) -> FloatArray:
            point = s.from_chart(np.radians(np.array([phi_deg])), np.array([y]))
            return np.asarray(point[0], dtype=np.float64)

        canthus_y = -_CANTHUS_DROP * down
        canthus_phi = math.degrees(self.canthus_line_azimuth(canthus_y))
        points = {
            "glabella": at(0.0, 0.0),
            "trichion": at(0.0, self.trichion_height),
            "vertex": np.array([0.0, s.b_up, 0.0]),
            "opisthocranion": at(180.0, 0.0),
            "occipital_protuberance": at(180.0, -_INION_DROP * down),
            "nape": at(180.0, float(self.natural_edge_height(np.array([math.pi]))[0])),
            "tragion_left": at(_TRAGION_AZIMUTH_DEG, -_TRAGION_DROP * down),
            "tragion_right": at(-_TRAGION_AZIMUTH_DEG, -_TRAGION_DROP * down),
            "lateral_canthus_left": at(canthus_phi, canthus_y),
            "lateral_canthus_right": at(-canthus_phi, canthus_y),
        }
        return {name: _vec3(points[name]) for name in LANDMARK_NAMES}


def _vec3(p: FloatArray) -> Vec3:
    clean = [0.0 if abs(v) < 1e-9 else round(float(v), 6) for v in p]
    return (clean[0], clean[1], clean[2])
