"""The scalp chart: a nearly conformal flat map of the head for laying blue noise.

Coordinates ``(u, v)``: ``u`` is the rotation about the ear-to-ear axis (0 at the vertex,
+π/2 straight ahead, −π/2 straight back) and ``v`` the Mercator ordinate of the lateral angle
``β`` (``sin β = tanh v``, 0 in the midline). A chart point maps to the unit direction
``d = (sin β, cos β cos u, cos β sin u)`` and then radially onto the head. Mercator is
conformal on the sphere; the radial step onto the head adds little anisotropy: the ratio of
the chart's principal stretches stays below 1.09 over the whole natural scalp of the M head
(measured, see docs/dots.md), so isotropic blue noise in the chart stays isotropic on the
skin. The cut at ``u = ±π`` runs under the ears, where there is no scalp.

Area factor: ``dA = r³ |∇H| dΩ`` (head) and ``dΩ = cos² β du dv`` (Mercator), so
``J(u, v) = r³ |∇H| cos² β`` mm² of skin per unit of chart area.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
from numba import njit, prange

from smpstudio._types import FloatArray
from smpstudio.head import HeadShape, VirtualHead
from smpstudio.head._kernels import _gauge_grad, shape_params

__all__ = ["ScalpChart", "chart_of", "to_chart"]

_TABLE_STEP = 0.01  # radians of chart per table step (about 1 mm on the skin at most)
_TABLE_U0 = -math.pi
_TABLE_V = 3.6  # |beta| up to 86°


def _table_size(span: float) -> int:
    return math.ceil(span / _TABLE_STEP) + 2


@njit(cache=True, parallel=True, nogil=True)
def _to_surface(uv: FloatArray, params: FloatArray) -> tuple[FloatArray, FloatArray]:
    n = uv.shape[0]
    points = np.empty((n, 3))
    jac = np.empty(n)
    for i in prange(n):
        u, v = uv[i, 0], uv[i, 1]
        sb = math.tanh(v)
        cb = 1.0 / math.cosh(v)
        dx, dy, dz = sb, cb * math.cos(u), cb * math.sin(u)
        g, gx, gy, gz = _gauge_grad(dx, dy, dz, params)
        r = 1.0 / g
        points[i, 0], points[i, 1], points[i, 2] = r * dx, r * dy, r * dz
        jac[i] = r * r * r * math.sqrt(gx * gx + gy * gy + gz * gz) * cb * cb
    return points, jac


@njit(cache=True, parallel=True, nogil=True)
def _lookup(
    uv: FloatArray, table: FloatArray, width: int, u0: float, v0: float, step: float
) -> FloatArray:
    """Bilinear read of the first ``width`` channels of ``table[u, v, channel]``."""
    n = uv.shape[0]
    out = np.empty((n, width))
    nu, nv = table.shape[0], table.shape[1]
    for i in prange(n):
        fu = min(max((uv[i, 0] - u0) / step, 0.0), nu - 1.000001)
        fv = min(max((uv[i, 1] - v0) / step, 0.0), nv - 1.000001)
        a, b = int(fu), int(fv)
        tu, tv = fu - a, fv - b
        w00, w10, w01, w11 = (1 - tu) * (1 - tv), tu * (1 - tv), (1 - tu) * tv, tu * tv
        for k in range(width):
            out[i, k] = (
                w00 * table[a, b, k]
                + w10 * table[a + 1, b, k]
                + w01 * table[a, b + 1, k]
                + w11 * table[a + 1, b + 1, k]
            )
    return out


def to_chart(points: FloatArray) -> FloatArray:
    """Chart coordinates ``(u, v)`` of points ``(N, 3)``."""
    p = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    r = np.linalg.norm(p, axis=1)
    u = np.arctan2(p[:, 2], p[:, 1])
    v = np.arctanh(np.clip(p[:, 0] / r, -0.999999, 0.999999))
    return np.column_stack([u, v])


@dataclass(frozen=True, eq=False)
class ScalpChart:
    """The chart of one head shape: maps, tables and the largest area factor."""

    shape: HeadShape

    @cached_property
    def params(self) -> FloatArray:
        return shape_params(self.shape)

    def to_surface(self, uv: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Surface points and area factors ``J`` (mm² per chart unit²) of chart points."""
        return _to_surface(np.ascontiguousarray(uv, dtype=np.float64), self.params)

    @cached_property
    def _tables(self) -> FloatArray:
        """Area factor J and the point's x, y, z on a chart grid: ``table[u, v, channel]``."""
        u = _TABLE_U0 + _TABLE_STEP * np.arange(_table_size(2.0 * math.pi))
        v = -_TABLE_V + _TABLE_STEP * np.arange(_table_size(2.0 * _TABLE_V))
        gu, gv = np.meshgrid(u, v, indexing="ij")
        points, jac = self.to_surface(np.column_stack([gu.ravel(), gv.ravel()]))
        stacked = np.column_stack([jac, points]).reshape(*gu.shape, 4)
        return np.ascontiguousarray(stacked)

    def area_factor_fast(self, uv: FloatArray) -> FloatArray:
        """Area factor ``J`` read from a table (relative error below 1e-4)."""
        uv = np.ascontiguousarray(uv, dtype=np.float64)
        return _lookup(uv, self._tables, 1, _TABLE_U0, -_TABLE_V, _TABLE_STEP)[:, 0]

    def to_surface_fast(self, uv: FloatArray) -> tuple[FloatArray, FloatArray]:
        """As :meth:`to_surface`, read from tables with 0.01 rad steps: positions within a few
        micrometres of the skin (project them for exact positions)."""
        uv = np.ascontiguousarray(uv, dtype=np.float64)
        out = _lookup(uv, self._tables, 4, _TABLE_U0, -_TABLE_V, _TABLE_STEP)
        return np.ascontiguousarray(out[:, 1:]), np.ascontiguousarray(out[:, 0])

    @cached_property
    def j_max(self) -> float:
        """Largest area factor over the chart: a coarse search, then a fine one around it."""
        u, v = np.meshgrid(np.linspace(-math.pi, math.pi, 361), np.linspace(-1.5, 1.5, 61))
        uv = np.column_stack([u.ravel(), v.ravel()])
        _, jac = self.to_surface(uv)
        best = uv[int(np.argmax(jac))]
        fu, fv = np.meshgrid(
            best[0] + np.linspace(-0.03, 0.03, 61), best[1] + np.linspace(-0.06, 0.06, 61)
        )
        _, fine = self.to_surface(np.column_stack([fu.ravel(), fv.ravel()]))
        return float(max(fine.max(), jac.max())) * 1.0005

    def anisotropy(self, uv: FloatArray, *, step: float = 1e-5) -> FloatArray:
        """Ratio of the chart's principal stretches at chart points (1 = conformal)."""
        uv = np.asarray(uv, dtype=np.float64)
        du, dv = np.array([step, 0.0]), np.array([0.0, step])
        pu = (self.to_surface(uv + du)[0] - self.to_surface(uv - du)[0]) / (2 * step)
        pv = (self.to_surface(uv + dv)[0] - self.to_surface(uv - dv)[0]) / (2 * step)
        e, f, g = (pu * pu).sum(1), (pu * pv).sum(1), (pv * pv).sum(1)
        half_trace, det = (e + g) / 2, e * g - f * f
        disc = np.sqrt(np.maximum(half_trace**2 - det, 0.0))
        return np.asarray(np.sqrt((half_trace + disc) / (half_trace - disc)), dtype=np.float64)


def chart_of(head: VirtualHead) -> ScalpChart:
    """The chart of ``head``; heads of equal shape share one chart and its tables."""
    return _chart_for_shape(head.shape)


@lru_cache(maxsize=16)
def _chart_for_shape(shape: HeadShape) -> ScalpChart:
    return ScalpChart(shape)
