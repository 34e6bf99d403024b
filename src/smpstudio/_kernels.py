"""Compiled field kernels (Numba): the one implementation of coverage, hairline and density.

The declarative pieces of a design (pattern regions, hairline polyline, scars, the natural
scalp outline) are packed into flat arrays once (``pack_*`` in their modules); the kernels
below evaluate them at many surface points in parallel. Python-side methods such as
``LossPattern.coverage`` and ``DensityField.sample`` are thin wrappers around these kernels.

Tables replace smooth interpolants: a monotone cubic sampled every 0.01–0.02° and read back
linearly differs from it by far less than a micrometre on the head.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from smpstudio._types import BoolArray, FloatArray, IntArray

__all__ = [
    "ZONE_BODY",
    "ZONE_ENHANCEMENT",
    "ZONE_NONE",
    "ZONE_SCAR",
    "ZONE_SENTINEL",
    "ZONE_TRANSITION",
    "PointHash",
    "build_hash",
    "coverage_kernel",
    "field_kernel",
    "hairline_kernel",
    "natural_kernel",
    "scar_kernel",
]

ZONE_NONE, ZONE_BODY, ZONE_TRANSITION, ZONE_SENTINEL, ZONE_SCAR, ZONE_ENHANCEMENT = range(6)
_DEG = math.pi / 180.0
_MAX_HASH_CELLS = 2_000_000


# --------------------------------------------------------------------------- spatial hash
class PointHash:
    """Dense 3-D grid over a point set: ``order[starts[c]:starts[c + 1]]`` lists cell ``c``."""

    def __init__(
        self, origin: FloatArray, dims: IntArray, cell: float, starts: IntArray, order: IntArray
    ):
        self.origin, self.dims, self.cell, self.starts, self.order = (
            origin,
            dims,
            cell,
            starts,
            order,
        )

    def as_tuple(self) -> tuple[FloatArray, IntArray, float, IntArray, IntArray]:
        return self.origin, self.dims, self.cell, self.starts, self.order


def build_hash(points: FloatArray, cell: float) -> PointHash:
    """Bucket points in cubes of side ``cell`` (mm), coarsened if the grid would be huge."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    if len(pts) == 0:
        pts = np.zeros((1, 3)) + 1e9  # a point no query will ever reach
    low = pts.min(axis=0) - cell
    span = pts.max(axis=0) + cell - low
    while np.prod(np.ceil(span / cell) + 1) > _MAX_HASH_CELLS:
        cell *= 1.5
    dims = (np.ceil(span / cell) + 1).astype(np.int64)
    idx = np.floor((pts - low) / cell).astype(np.int64)
    flat = (idx[:, 0] * dims[1] + idx[:, 1]) * dims[2] + idx[:, 2]
    order = np.argsort(flat, kind="stable").astype(np.int64)
    counts = np.bincount(flat, minlength=int(np.prod(dims)))
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return PointHash(low.astype(np.float64), dims, float(cell), starts, order)


@njit(cache=True)
def _nearest(
    x: float,
    y: float,
    z: float,
    pts: FloatArray,
    origin: FloatArray,
    dims: IntArray,
    cell: float,
    starts: IntArray,
    order: IntArray,
    reach: float,
) -> tuple[int, float]:
    """Index of the nearest point within ``reach`` (-1 if none) and its distance."""
    cx = math.floor((x - origin[0]) / cell)
    cy = math.floor((y - origin[1]) / cell)
    cz = math.floor((z - origin[2]) / cell)
    span = math.ceil(reach / cell)
    best, best_d2 = -1, reach * reach
    for i in range(max(cx - span, 0), min(cx + span, dims[0] - 1) + 1):
        for j in range(max(cy - span, 0), min(cy + span, dims[1] - 1) + 1):
            for k in range(max(cz - span, 0), min(cz + span, dims[2] - 1) + 1):
                c = (i * dims[1] + j) * dims[2] + k
                for m in range(starts[c], starts[c + 1]):
                    q = order[m]
                    dx, dy, dz = x - pts[q, 0], y - pts[q, 1], z - pts[q, 2]
                    d2 = dx * dx + dy * dy + dz * dz
                    if d2 < best_d2 or (d2 == best_d2 and q < best):
                        best, best_d2 = q, d2
    return best, math.sqrt(best_d2) if best >= 0 else math.inf


# --------------------------------------------------------------------------- small pieces
@njit(cache=True, inline="always")
def _smoothstep(e0: float, e1: float, x: float) -> float:
    t = (x - e0) / (e1 - e0)
    t = min(max(t, 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


@njit(cache=True, inline="always")
def _table(values: FloatArray, step: float, x: float) -> float:
    """Linear read of a table sampled at 0, step, 2 step, ...; clamped at the ends."""
    t = x / step
    if t <= 0.0:
        return float(values[0])
    n = values.shape[0]
    if t >= n - 1:
        return float(values[n - 1])
    i = int(t)
    f = t - i
    return float(values[i] * (1.0 - f) + values[i + 1] * f)


@njit(cache=True, inline="always")
def _edge_loss(signed: float, edge: float, level: float) -> float:
    return level * (1.0 - _smoothstep(-edge / 2.0, edge / 2.0, signed))


@njit(cache=True)
def _natural(x: float, y: float, z: float, edge_table: FloatArray) -> bool:
    phi = abs(math.atan2(x, z))
    return y >= _table(edge_table, math.pi / (edge_table.shape[0] - 1), phi)


@njit(cache=True)
def _pattern_loss(
    x: float,
    y: float,
    z: float,
    rec_tab: FloatArray,
    rec_level: FloatArray,
    crowns: FloatArray,
    ovals: FloatArray,
    patches: FloatArray,
    edge: float,
) -> float:
    r = math.sqrt(x * x + y * y + z * z)
    alpha = math.atan2(z, y) / _DEG
    beta = math.asin(min(max(x / r, -1.0), 1.0)) / _DEG if r > 0.0 else 0.0
    loss = 0.0
    step = 90.0 / (rec_tab.shape[1] - 1) if rec_tab.shape[1] > 1 else 1.0
    for k in range(rec_tab.shape[0]):
        threshold = _table(rec_tab[k], step, abs(beta))
        signed = (threshold - alpha) * _DEG * math.sqrt(y * y + z * z)
        loss = max(loss, _edge_loss(signed, edge, rec_level[k]))
    for k in range(crowns.shape[0]):
        a0, ra, rb, level = crowns[k, 0], crowns[k, 1], crowns[k, 2], crowns[k, 3]
        rel = math.hypot((alpha - a0) / ra, beta / rb)
        signed = (rel - 1.0) * min(ra, rb) * _DEG * r
        loss = max(loss, _edge_loss(signed, edge, level))
    for k in range(ovals.shape[0]):
        a0, ra, rb, level, plateau = ovals[k, 0], ovals[k, 1], ovals[k, 2], ovals[k, 3], ovals[k, 4]
        rel = math.hypot((alpha - a0) / ra, beta / rb)
        loss = max(loss, level * (1.0 - _smoothstep(plateau, 1.0, rel)))
    for k in range(patches.shape[0]):
        d = math.sqrt(
            (x - patches[k, 0]) ** 2 + (y - patches[k, 1]) ** 2 + (z - patches[k, 2]) ** 2
        )
        loss = max(loss, _edge_loss(d - patches[k, 3], patches[k, 4], 1.0))
    return min(max(loss, 0.0), 1.0)


@njit(cache=True)
def _locate_line(
    x: float,
    y: float,
    z: float,
    line: FloatArray,
    behind: FloatArray,
    base_table: FloatArray,
    phi_end: float,
    near: float,
    origin: FloatArray,
    dims: IntArray,
    cell: float,
    starts: IntArray,
    order: IntArray,
) -> tuple[float, int, bool]:
    """Signed distance to the hairline (±inf far away), nearest index (-1 if far), in span."""
    idx, dist = _nearest(x, y, z, line, origin, dims, cell, starts, order, near)
    phi = abs(math.atan2(x, z))
    far_sign = 1.0 if y >= _table(base_table, phi_end / (base_table.shape[0] - 1), phi) else -1.0
    if idx < 0:
        return far_sign * math.inf, -1, phi <= phi_end
    dot = (
        (x - line[idx, 0]) * behind[idx, 0]
        + (y - line[idx, 1]) * behind[idx, 1]
        + (z - line[idx, 2]) * behind[idx, 2]
    )
    sign = far_sign if dot == 0.0 else (1.0 if dot > 0.0 else -1.0)
    in_span = idx > 0 and idx < line.shape[0] - 1
    return sign * dist, idx, in_span


@njit(cache=True)
def _line_factor(signed: float, patch: float, hp: FloatArray) -> float:
    """Hairline density multiplier; ``hp`` = transition, sentinel, scatter (mm), edge fraction,
    sentinel fraction, scatter fraction."""
    width, sentinel, scatter, edge_fraction, f_sentinel, f_scatter = (
        hp[0],
        hp[1],
        hp[2],
        hp[3],
        hp[4],
        hp[5],
    )
    if signed >= 0.0:
        return float(edge_fraction + (1.0 - edge_fraction) * _smoothstep(0.0, width, signed))
    if sentinel > 0.0 and signed >= -sentinel:
        return float(f_sentinel * patch)
    if scatter > 0.0 and signed < -sentinel and signed >= -scatter:
        return float(f_scatter * patch)
    return 0.0


@njit(cache=True)
def _on_scar(
    x: float,
    y: float,
    z: float,
    pts: FloatArray,
    radius: FloatArray,
    reach: float,
    origin: FloatArray,
    dims: IntArray,
    cell: float,
    starts: IntArray,
    order: IntArray,
) -> bool:
    if pts.shape[0] == 0:
        return False
    cx = math.floor((x - origin[0]) / cell)
    cy = math.floor((y - origin[1]) / cell)
    cz = math.floor((z - origin[2]) / cell)
    span = math.ceil(reach / cell)
    for i in range(max(cx - span, 0), min(cx + span, dims[0] - 1) + 1):
        for j in range(max(cy - span, 0), min(cy + span, dims[1] - 1) + 1):
            for k in range(max(cz - span, 0), min(cz + span, dims[2] - 1) + 1):
                c = (i * dims[1] + j) * dims[2] + k
                for m in range(starts[c], starts[c + 1]):
                    q = order[m]
                    dx, dy, dz = x - pts[q, 0], y - pts[q, 1], z - pts[q, 2]
                    if dx * dx + dy * dy + dz * dz <= radius[q] * radius[q]:
                        return True
    return False


# --------------------------------------------------------------------------- parallel kernels
@njit(cache=True, parallel=True)
def natural_kernel(points: FloatArray, edge_table: FloatArray) -> BoolArray:
    n = points.shape[0]
    out = np.empty(n, dtype=np.bool_)
    for i in prange(n):
        out[i] = _natural(points[i, 0], points[i, 1], points[i, 2], edge_table)
    return out


@njit(cache=True, parallel=True)
def scar_kernel(
    points: FloatArray,
    pts: FloatArray,
    radius: FloatArray,
    reach: float,
    origin: FloatArray,
    dims: IntArray,
    cell: float,
    starts: IntArray,
    order: IntArray,
) -> BoolArray:
    n = points.shape[0]
    out = np.empty(n, dtype=np.bool_)
    for i in prange(n):
        out[i] = _on_scar(
            points[i, 0],
            points[i, 1],
            points[i, 2],
            pts,
            radius,
            reach,
            origin,
            dims,
            cell,
            starts,
            order,
        )
    return out


@njit(cache=True, parallel=True)
def coverage_kernel(
    points: FloatArray,
    rec_tab: FloatArray,
    rec_level: FloatArray,
    crowns: FloatArray,
    ovals: FloatArray,
    patches: FloatArray,
    edge: float,
) -> FloatArray:
    n = points.shape[0]
    out = np.empty(n)
    for i in prange(n):
        x, y, z = points[i, 0], points[i, 1], points[i, 2]
        out[i] = 1.0 - _pattern_loss(x, y, z, rec_tab, rec_level, crowns, ovals, patches, edge)
    return out


@njit(cache=True, parallel=True)
def hairline_kernel(
    points: FloatArray,
    line: FloatArray,
    behind: FloatArray,
    patch: FloatArray,
    base_table: FloatArray,
    phi_end: float,
    near: float,
    hp: FloatArray,
    edge_table: FloatArray,
    origin: FloatArray,
    dims: IntArray,
    cell: float,
    starts: IntArray,
    order: IntArray,
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Signed distance (+inf beside the span), density factor, designed region."""
    n = points.shape[0]
    signed_out, factor_out = np.empty(n), np.empty(n)
    region_out = np.empty(n, dtype=np.bool_)
    for i in prange(n):
        x, y, z = points[i, 0], points[i, 1], points[i, 2]
        signed, idx, in_span = _locate_line(
            x, y, z, line, behind, base_table, phi_end, near, origin, dims, cell, starts, order
        )
        natural = _natural(x, y, z, edge_table)
        if in_span:
            p = patch[idx] if idx >= 0 else 1.0
            signed_out[i] = signed
            factor_out[i] = _line_factor(signed, p, hp)
            region_out[i] = signed >= 0.0
        else:
            signed_out[i] = math.inf
            factor_out[i] = 1.0 if natural else 0.0
            region_out[i] = natural
    return signed_out, factor_out, region_out


@njit(cache=True, parallel=True)
def field_kernel(
    points: FloatArray,
    edge_table: FloatArray,
    rec_tab: FloatArray,
    rec_level: FloatArray,
    crowns: FloatArray,
    ovals: FloatArray,
    patches: FloatArray,
    pattern_edge: float,
    line: FloatArray,
    behind: FloatArray,
    patch: FloatArray,
    base_table: FloatArray,
    phi_end: float,
    near: float,
    hp: FloatArray,
    l_origin: FloatArray,
    l_dims: IntArray,
    l_cell: float,
    l_starts: IntArray,
    l_order: IntArray,
    scar_pts: FloatArray,
    scar_radius: FloatArray,
    scar_reach: float,
    s_origin: FloatArray,
    s_dims: IntArray,
    s_cell: float,
    s_starts: IntArray,
    s_order: IntArray,
    sp: FloatArray,
) -> tuple[FloatArray, FloatArray, IntArray, FloatArray, FloatArray, BoolArray]:
    """Coverage, final density, zone, tone, hairline distance and on-scalp flag.

    ``sp`` = full density, scar overfill, bald-below, hair-from, light edge tone.
    """
    n = points.shape[0]
    cov_o, dens_o, tone_o, signed_o = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    zone_o = np.empty(n, dtype=np.int64)
    scalp_o = np.empty(n, dtype=np.bool_)
    full, overfill, bald_below, hair_from, light = sp[0], sp[1], sp[2], sp[3], sp[4]
    width = hp[0]
    for i in prange(n):
        x, y, z = points[i, 0], points[i, 1], points[i, 2]
        natural = _natural(x, y, z, edge_table)
        signed, idx, in_span = _locate_line(
            x,
            y,
            z,
            line,
            behind,
            base_table,
            phi_end,
            near,
            l_origin,
            l_dims,
            l_cell,
            l_starts,
            l_order,
        )
        if in_span:
            factor = _line_factor(signed, patch[idx] if idx >= 0 else 1.0, hp)
            region = signed >= 0.0
        else:
            signed = math.inf
            factor = 1.0 if natural else 0.0
            region = natural
        on_scalp = region or natural
        scar = on_scalp and _on_scar(
            x, y, z, scar_pts, scar_radius, scar_reach, s_origin, s_dims, s_cell, s_starts, s_order
        )
        cov = (
            0.0
            if scar
            else 1.0
            - _pattern_loss(x, y, z, rec_tab, rec_level, crowns, ovals, patches, pattern_edge)
        )
        need = min(max((hair_from - cov) / (hair_from - bald_below), 0.0), 1.0)
        density = full * overfill if scar else full * need * factor
        if scar:
            zone = ZONE_SCAR
        elif density <= 0.0:
            zone = ZONE_NONE
        elif signed < 0.0:
            zone = ZONE_SENTINEL
        elif signed < width:
            zone = ZONE_TRANSITION
        elif cov >= bald_below:
            zone = ZONE_ENHANCEMENT
        else:
            zone = ZONE_BODY
        if zone == ZONE_TRANSITION:
            tone = light + (1.0 - light) * _smoothstep(0.0, width, signed)
        elif zone == ZONE_SENTINEL:
            tone = light
        elif zone == ZONE_NONE:
            tone = 0.0
        else:
            tone = 1.0
        cov_o[i], dens_o[i], zone_o[i], tone_o[i] = cov, density, zone, tone
        signed_o[i], scalp_o[i] = signed, on_scalp
    return cov_o, dens_o, zone_o, tone_o, signed_o, scalp_o
