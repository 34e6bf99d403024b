"""Compiled kernels for the head surface (Numba): ray intersection for rendering.

The gauge here is the scalar twin of :meth:`HeadShape.gauge_gradient`; a test checks the two
agree to 1e-12.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from smpstudio._types import BoolArray, FloatArray

__all__ = ["intersect_rays", "shape_params"]


def shape_params(shape: object) -> FloatArray:
    """Pack a :class:`HeadShape` for the kernels."""
    names = ("a", "c", "n_front", "n_back", "b_up", "b_down", "e_up", "e_down")
    return np.array([float(getattr(shape, n)) for n in names], dtype=np.float64)


@njit(cache=True, inline="always")
def _gauge_grad(x: float, y: float, z: float, p: FloatArray) -> tuple[float, float, float, float]:
    a, c = p[0], p[1]
    n = p[2] if z >= 0.0 else p[3]
    b = p[4] if y >= 0.0 else p[5]
    e = p[6] if y >= 0.0 else p[7]
    ax, az, ay = abs(x) / a, abs(z) / c, abs(y) / b
    q = ax**n + az**n
    h = q ** (1.0 / n) if q > 0.0 else 0.0
    f = h**e + ay**e
    if f <= 0.0:
        return 0.0, 0.0, 0.0, 0.0
    common = q ** (1.0 / n - 1.0) * h ** (e - 1.0) if q > 0.0 else 0.0
    scale = f ** (1.0 / e - 1.0)
    gx = common * ax ** (n - 1.0) * math.copysign(1.0, x) / a if x != 0.0 else 0.0
    gz = common * az ** (n - 1.0) * math.copysign(1.0, z) / c if z != 0.0 else 0.0
    gy = ay ** (e - 1.0) * math.copysign(1.0, y) / b if y != 0.0 else 0.0
    return f ** (1.0 / e), gx * scale, gy * scale, gz * scale


@njit(cache=True, parallel=True, nogil=True)
def intersect_rays(
    origins: FloatArray, direction: FloatArray, params: FloatArray, iterations: int
) -> tuple[FloatArray, BoolArray]:
    """First intersection of rays ``origins + t * direction`` with the head (convex Newton)."""
    n_rays = origins.shape[0]
    t_out = np.zeros(n_rays)
    hit = np.zeros(n_rays, dtype=np.bool_)
    low = np.array([-params[0], -params[5], -params[1]]) * (1.0 + 1e-6)
    high = np.array([params[0], params[4], params[1]]) * (1.0 + 1e-6)
    for i in prange(n_rays):
        t_near, t_far = -1e300, 1e300
        for k in range(3):
            d = direction[k]
            o = origins[i, k]
            if d == 0.0:
                if o < low[k] or o > high[k]:
                    t_near, t_far = 1.0, 0.0
            else:
                t1 = (low[k] - o) / d
                t2 = (high[k] - o) / d
                t_near = max(t_near, min(t1, t2))
                t_far = min(t_far, max(t1, t2))
        if t_near >= t_far:
            continue
        t = t_near
        for _ in range(iterations):
            x = origins[i, 0] + t * direction[0]
            y = origins[i, 1] + t * direction[1]
            z = origins[i, 2] + t * direction[2]
            g, gx, gy, gz = _gauge_grad(x, y, z, params)
            excess = g - 1.0
            if abs(excess) < 1e-9:
                hit[i] = True
                break
            slope = gx * direction[0] + gy * direction[1] + gz * direction[2]
            if slope >= 0.0:
                break
            t -= excess / slope
        t_out[i] = t
    return t_out, hit
