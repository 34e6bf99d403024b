"""Building blocks of hair-loss patterns: regions of lost hair with soft edges.

Regions are written in two head angles (degrees), both independent of head size:

* ``alpha`` — rotation about the ear-to-ear (x) axis: 0 at the vertex, +90 straight ahead at
  the glabella plane, -90 straight back;
* ``beta`` — lateral angle from the midsagittal plane: 0 in the midline, ±90 at the ears.

Each primitive returns a *loss* in [0, 1] (1 = no hair left). A pattern's remaining-hair
coverage is ``1 - max(losses)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.interpolate import PchipInterpolator

from smpstudio._types import FloatArray

__all__ = ["Crown", "Oval", "Patch", "Recession", "head_angles", "smoothstep"]

_DEG = math.pi / 180.0


def head_angles(points: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return ``(alpha, beta)`` in degrees for points ``(N, 3)``.

    >>> a, b = head_angles(np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]))
    >>> a.round(6).tolist(), b.round(6).tolist()
    ([0.0, 90.0, 0.0], [0.0, 0.0, 90.0])
    """
    p = np.asarray(points, dtype=np.float64)
    r = np.linalg.norm(p, axis=-1)
    alpha = np.degrees(np.arctan2(p[..., 2], p[..., 1]))
    beta = np.degrees(np.arcsin(np.clip(p[..., 0] / np.where(r > 0, r, 1.0), -1.0, 1.0)))
    return alpha, beta


def smoothstep(edge0: float | FloatArray, edge1: float | FloatArray, x: FloatArray) -> FloatArray:
    """Hermite step from 0 (x <= edge0) to 1 (x >= edge1)."""
    t = np.clip((np.asarray(x) - edge0) / (np.asarray(edge1) - edge0), 0.0, 1.0)
    return np.asarray(t * t * (3.0 - 2.0 * t), dtype=np.float64)


def _edge_loss(signed_mm: FloatArray, edge_mm: float, level: float) -> FloatArray:
    """Loss across a soft edge: ``level`` well inside (negative distance), 0 well outside."""
    return level * (1.0 - smoothstep(-edge_mm / 2.0, edge_mm / 2.0, signed_mm))


@dataclass(frozen=True)
class Recession:
    """Hair lost in front of a receding line: bald where ``alpha > A(|beta|)``.

    ``table`` gives ``(|beta|, A)`` pairs; past the last ``|beta|`` nothing recedes. Frontal
    recession of Norwood 2–5, and with ``A`` far behind the vertex the whole top of
    Norwood 6–7 down to the side fringe.
    """

    table: tuple[tuple[float, float], ...]
    level: float = 1.0

    def loss(self, points: FloatArray, edge_mm: float) -> FloatArray:
        alpha, beta = head_angles(points)
        betas = np.array([b for b, _ in self.table] + [self.table[-1][0] + 6.0])
        limits = np.array([a for _, a in self.table] + [150.0])
        threshold = PchipInterpolator(betas, limits, extrapolate=False)(np.abs(beta))
        threshold = np.where(np.isnan(threshold), 150.0, threshold)
        radius = np.hypot(points[..., 1], points[..., 2])
        signed = (threshold - alpha) * _DEG * radius
        return _edge_loss(signed, edge_mm, self.level)


@dataclass(frozen=True)
class Crown:
    """Elliptical bald spot at the crown, centred in the midline at ``alpha``.

    ``radius_deg`` runs front to back, ``radius_deg * aspect`` side to side.
    """

    alpha: float
    radius_deg: float
    aspect: float = 0.85
    level: float = 1.0

    def loss(self, points: FloatArray, edge_mm: float) -> FloatArray:
        alpha, beta = head_angles(points)
        ra, rb = self.radius_deg, self.radius_deg * self.aspect
        rel = np.hypot((alpha - self.alpha) / ra, beta / rb)
        signed = (rel - 1.0) * min(ra, rb) * _DEG * np.linalg.norm(points, axis=-1)
        return _edge_loss(signed, edge_mm, self.level)


@dataclass(frozen=True)
class Oval:
    """Graded thinning over an oval: loss ``level`` on the plateau (relative radius below
    ``plateau``), falling smoothly to 0 at the oval's edge (Ludwig, diffuse thinning)."""

    alpha: float
    radius_deg: float
    width_deg: float
    level: float
    plateau: float = 0.0

    def loss(self, points: FloatArray, edge_mm: float) -> FloatArray:
        alpha, beta = head_angles(points)
        rel = np.hypot((alpha - self.alpha) / self.radius_deg, beta / self.width_deg)
        return np.asarray(self.level * (1.0 - smoothstep(self.plateau, 1.0, rel)), dtype=np.float64)


@dataclass(frozen=True)
class Patch:
    """Alopecia areata patch: round, sharply bordered, centred on a surface point."""

    centre: tuple[float, float, float]
    radius_mm: float
    border_mm: float = 3.0

    def loss(self, points: FloatArray, edge_mm: float) -> FloatArray:
        d = np.linalg.norm(points - np.asarray(self.centre), axis=-1)
        return _edge_loss(d - self.radius_mm, self.border_mm, 1.0)
