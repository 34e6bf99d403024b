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
from typing import TypeAlias

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

LineArrays: TypeAlias = tuple[
    FloatArray,
    FloatArray,
    FloatArray,
    IntArray,
    IntArray,
    FloatArray,
    FloatArray,
    FloatArray,
    IntArray,
    IntArray,
    IntArray,
    FloatArray,
]
"""A hairline for the kernels: points, their azimuths and heights, the side index (bucket
starts and segment numbers), patchiness, base-line table, then its point hash (origin, dims,
starts, order, floor). Scalars ride in a float array: azimuth of the first bucket, bucket
width, span end, near distance, hash cell, and the "below" margin."""

PatternArrays: TypeAlias = tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]
"""Recession tables and levels, crowns, ovals, patches (see ``loss.pack_regions``)."""

ScarArrays: TypeAlias = tuple[
    FloatArray, FloatArray, FloatArray, FloatArray, IntArray, IntArray, IntArray
]
"""Scar points, radii, blending margins, then their hash (origin, dims, starts, order)."""
_DEG = math.pi / 180.0
_MAX_HASH_CELLS = 2_000_000


# --------------------------------------------------------------------------- spatial hash
class PointHash:
    """Dense 3-D grid over a point set: ``order[starts[c]:starts[c + 1]]`` lists cell ``c``.

    ``floor[c]`` is a lower bound of the distance from anywhere in cell ``c`` to the nearest
    point (filled by :func:`with_floor`; zeros mean "unknown").
    """

    def __init__(
        self, origin: FloatArray, dims: IntArray, cell: float, starts: IntArray, order: IntArray
    ):
        self.origin, self.dims, self.cell = origin, dims, cell
        self.starts, self.order = starts, order
        self.floor = np.zeros(int(np.prod(dims)))

    def as_tuple(self) -> tuple[FloatArray, IntArray, float, IntArray, IntArray]:
        return self.origin, self.dims, self.cell, self.starts, self.order


def with_floor(hashed: PointHash, points: FloatArray, reach: float) -> PointHash:
    """Fill ``hashed.floor`` with each cell's distance to the nearest of ``points``: exact
    where it is at most ``reach``, some value above ``reach`` elsewhere (enough to tell which
    cells hold nothing within ``reach``)."""
    hashed.floor = _cell_floor(
        np.ascontiguousarray(points), hashed.origin, hashed.dims, hashed.cell, reach
    )
    return hashed


@njit(cache=True, nogil=True)
def _cell_floor(
    points: FloatArray, origin: FloatArray, dims: IntArray, cell: float, reach: float
) -> FloatArray:
    out = np.full(dims[0] * dims[1] * dims[2], np.inf)
    span = math.ceil(reach / cell) + 1  # a point within reach of a cell is this close
    for q in range(points.shape[0]):
        px, py, pz = points[q, 0], points[q, 1], points[q, 2]
        ci = math.floor((px - origin[0]) / cell)
        cj = math.floor((py - origin[1]) / cell)
        ck = math.floor((pz - origin[2]) / cell)
        for i in range(max(ci - span, 0), min(ci + span, dims[0] - 1) + 1):
            lo0 = origin[0] + i * cell
            dx = max(lo0 - px, 0.0, px - lo0 - cell)
            for j in range(max(cj - span, 0), min(cj + span, dims[1] - 1) + 1):
                lo1 = origin[1] + j * cell
                dy = max(lo1 - py, 0.0, py - lo1 - cell)
                for k in range(max(ck - span, 0), min(ck + span, dims[2] - 1) + 1):
                    lo2 = origin[2] + k * cell
                    dz = max(lo2 - pz, 0.0, pz - lo2 - cell)
                    c = (i * dims[1] + j) * dims[2] + k
                    out[c] = min(out[c], dx * dx + dy * dy + dz * dz)
    for c in range(out.shape[0]):
        out[c] = math.sqrt(out[c])
    return out


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


@njit(cache=True, nogil=True)
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


@njit(cache=True, inline="always")
def _natural(phi: float, y: float, edge_table: FloatArray) -> bool:
    """On the natural scalp, given the point's ``|azimuth|`` and height."""
    return y >= _table(edge_table, math.pi / (edge_table.shape[0] - 1), phi)


@njit(cache=True, inline="always")
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
    sin_beta = min(abs(x) / r, 1.0) if r > 0.0 else 0.0
    alpha = math.atan2(z, y) / _DEG
    loss = 0.0
    step = 1.0 / (rec_tab.shape[1] - 1) if rec_tab.shape[1] > 1 else 1.0
    for k in range(rec_tab.shape[0]):
        threshold = _table(rec_tab[k], step, sin_beta)
        signed = (threshold - alpha) * _DEG * math.sqrt(y * y + z * z)
        loss = max(loss, _edge_loss(signed, edge, rec_level[k]))
    if crowns.shape[0] == 0 and ovals.shape[0] == 0 and patches.shape[0] == 0:
        return min(max(loss, 0.0), 1.0)
    beta = math.copysign(math.asin(sin_beta), x) / _DEG
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


@njit(cache=True, inline="always")
def _line_side(
    phi: float,
    y: float,
    line_phi: FloatArray,
    line_y: FloatArray,
    b_start: IntArray,
    b_items: IntArray,
    phi_min: float,
    b_width: float,
) -> float:
    """+1 behind the hairline (the hair side), -1 in front of it.

    In the (azimuth, height) chart the hair lies above the line: count the line's segments
    crossing the vertical above the point; an even count means the point is above. Exact at
    the temporal corners and where the irregular line folds.
    """
    b = math.floor((phi - phi_min) / b_width)
    if b < 0 or b >= b_start.shape[0] - 1:
        return 1.0
    crossings = 0
    for m in range(b_start[b], b_start[b + 1]):
        k = b_items[m]
        p0, p1 = line_phi[k], line_phi[k + 1]
        if (p0 <= phi < p1) or (p1 <= phi < p0):
            t = (phi - p0) / (p1 - p0)
            if line_y[k] + t * (line_y[k + 1] - line_y[k]) > y:
                crossings += 1
    return 1.0 if crossings % 2 == 0 else -1.0


@njit(cache=True, inline="always")
def _locate_line(
    x: float, y: float, z: float, phi: float, lk: LineArrays, ls: FloatArray
) -> tuple[float, int, bool]:
    """Signed distance to the hairline (±inf far away), nearest index (-1 if far), in span.

    ``phi`` is the signed azimuth; ``lk`` and ``ls`` are the line's arrays and scalars
    (see :class:`smpstudio.hairline.PackedHairline`). A hash cell whose floor distance
    exceeds ``near`` answers "far" at once; the side comes from :func:`_line_side`.
    """
    line, line_phi, line_y, b_start, b_items = lk[0], lk[1], lk[2], lk[3], lk[4]
    origin, dims, starts, order, floor = lk[7], lk[8], lk[9], lk[10], lk[11]
    phi_min, b_width, phi_end, near, cell = ls[0], ls[1], ls[2], ls[3], ls[4]
    idx, dist = -1, math.inf
    cx = math.floor((x - origin[0]) / cell)
    cy = math.floor((y - origin[1]) / cell)
    cz = math.floor((z - origin[2]) / cell)
    inside = 0 <= cx < dims[0] and 0 <= cy < dims[1] and 0 <= cz < dims[2]
    if not inside or floor[(cx * dims[1] + cy) * dims[2] + cz] <= near:
        idx, dist = _nearest(x, y, z, line, origin, dims, cell, starts, order, near)
    sign = _line_side(phi, y, line_phi, line_y, b_start, b_items, phi_min, b_width)
    if idx < 0:
        return sign * math.inf, -1, abs(phi) <= phi_end
    in_span = idx > 0 and idx < line.shape[0] - 1
    return sign * dist, idx, in_span


@njit(cache=True, inline="always")
def _below_line(phi: float, y: float, lk: LineArrays, ls: FloatArray) -> bool:
    """Beside the line's span, or more than ``below`` mm under its base line (``phi`` is the
    absolute azimuth)."""
    base_table, phi_end, below = lk[6], ls[2], ls[5]
    if phi > phi_end:
        return True
    return bool(y < _table(base_table, phi_end / (base_table.shape[0] - 1), phi) - below)


@njit(cache=True, inline="always")
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


@njit(cache=True, inline="always")
def _scar_reach(
    x: float,
    y: float,
    z: float,
    pts: FloatArray,
    radius: FloatArray,
    margin: FloatArray,
    reach: float,
    origin: FloatArray,
    dims: IntArray,
    cell: float,
    starts: IntArray,
    order: IntArray,
) -> tuple[bool, float]:
    """On scar tissue (within a centre's radius), and the blending weight of the margins
    around it: 1 at the scar's edge falling smoothly to 0 a margin away (0 where none)."""
    if pts.shape[0] == 0:
        return False, 0.0
    cx = math.floor((x - origin[0]) / cell)
    cy = math.floor((y - origin[1]) / cell)
    cz = math.floor((z - origin[2]) / cell)
    span = math.ceil(reach / cell)
    blend = 0.0
    for i in range(max(cx - span, 0), min(cx + span, dims[0] - 1) + 1):
        for j in range(max(cy - span, 0), min(cy + span, dims[1] - 1) + 1):
            for k in range(max(cz - span, 0), min(cz + span, dims[2] - 1) + 1):
                c = (i * dims[1] + j) * dims[2] + k
                for m in range(starts[c], starts[c + 1]):
                    q = order[m]
                    dx, dy, dz = x - pts[q, 0], y - pts[q, 1], z - pts[q, 2]
                    d2 = dx * dx + dy * dy + dz * dz
                    if d2 <= radius[q] * radius[q]:
                        return True, 1.0
                    if margin[q] > 0.0:
                        beyond = math.sqrt(d2) - radius[q]
                        if beyond < margin[q]:
                            blend = max(blend, 1.0 - _smoothstep(0.0, margin[q], beyond))
    return False, blend


# --------------------------------------------------------------------------- parallel kernels
@njit(cache=True, parallel=True, nogil=True)
def natural_kernel(points: FloatArray, edge_table: FloatArray) -> BoolArray:
    n = points.shape[0]
    out = np.empty(n, dtype=np.bool_)
    for i in prange(n):
        phi = abs(math.atan2(points[i, 0], points[i, 2]))
        out[i] = _natural(phi, points[i, 1], edge_table)
    return out


@njit(cache=True, parallel=True, nogil=True)
def scar_kernel(
    points: FloatArray,
    pts: FloatArray,
    radius: FloatArray,
    margin: FloatArray,
    reach: float,
    origin: FloatArray,
    dims: IntArray,
    cell: float,
    starts: IntArray,
    order: IntArray,
    with_margin: bool,
) -> BoolArray:
    """True on scar tissue, and with ``with_margin`` also in the scars' blending margins."""
    n = points.shape[0]
    out = np.empty(n, dtype=np.bool_)
    for i in prange(n):
        on, blend = _scar_reach(
            points[i, 0],
            points[i, 1],
            points[i, 2],
            pts,
            radius,
            margin,
            reach,
            origin,
            dims,
            cell,
            starts,
            order,
        )
        out[i] = on or (with_margin and blend > 0.0)
    return out


@njit(cache=True, parallel=True, nogil=True)
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


@njit(cache=True, parallel=True, nogil=True)
def hairline_kernel(
    points: FloatArray, lk: LineArrays, ls: FloatArray, hp: FloatArray, edge_table: FloatArray
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Signed distance (+inf beside the span), density factor, designed region."""
    n = points.shape[0]
    patch = lk[5]
    signed_out, factor_out = np.empty(n), np.empty(n)
    region_out = np.empty(n, dtype=np.bool_)
    for i in prange(n):
        x, y, z = points[i, 0], points[i, 1], points[i, 2]
        phi = math.atan2(x, z)
        signed, idx, in_span = _locate_line(x, y, z, phi, lk, ls)
        natural = _natural(abs(phi), y, edge_table)
        if in_span:
            signed_out[i] = signed
            factor_out[i] = _line_factor(signed, patch[idx] if idx >= 0 else 1.0, hp)
            region_out[i] = signed >= 0.0
        else:
            signed_out[i] = math.inf
            factor_out[i] = 1.0 if natural else 0.0
            region_out[i] = natural
    return signed_out, factor_out, region_out


@njit(cache=True, parallel=True, nogil=True)
def field_kernel(
    points: FloatArray,
    edge_table: FloatArray,
    pk: PatternArrays,
    pattern_edge: float,
    lk: LineArrays,
    ls: FloatArray,
    hp: FloatArray,
    sk: ScarArrays,
    ss: FloatArray,
    sp: FloatArray,
    lazy: bool,
    known_cov: FloatArray,
    known_scar: BoolArray,
) -> tuple[FloatArray, FloatArray, IntArray, FloatArray, FloatArray, BoolArray]:
    """Coverage, final density, zone, tone, hairline distance and on-scalp flag.

    ``pk``: pattern arrays; ``lk``, ``ls``, ``hp``: the hairline's arrays, scalars and
    density parameters; ``sk``, ``ss``: the scars' arrays and (reach, cell); ``sp`` = full
    density, scar overfill, bald-below, hair-from, light edge tone. With ``lazy``, points
    whose density is certainly zero skip the hairline — hair-bearing scalp without scars,
    and skin off the natural scalp well under the base hairline or beside its span: their
    distance is NaN and their on-scalp flag the natural one. ``known_cov`` and
    ``known_scar``, when they hold one value per point (else they are empty), are the loss
    pattern's coverage and the scar flag there (on a scar or in its blending margin), which
    do not depend on the hairline. In a scar's blending margin the density is at least the
    scar's times the blending weight (zone enhancement: dots between the hairs).
    """
    n = points.shape[0]
    known = known_cov.shape[0] == n and known_scar.shape[0] == n
    cov_o, dens_o, tone_o, signed_o = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    zone_o = np.empty(n, dtype=np.int64)
    scalp_o = np.empty(n, dtype=np.bool_)
    full, overfill, bald_below, hair_from, light = sp[0], sp[1], sp[2], sp[3], sp[4]
    width, patch = hp[0], lk[5]
    rec_tab, rec_level, crowns, ovals, patches = pk[0], pk[1], pk[2], pk[3], pk[4]
    for i in prange(n):
        x, y, z = points[i, 0], points[i, 1], points[i, 2]
        phi = math.atan2(x, z)
        natural = _natural(abs(phi), y, edge_table)
        scar, blend = False, 0.0
        if not known or known_scar[i]:
            scar, blend = _scar_reach(
                x, y, z, sk[0], sk[1], sk[2], ss[0], sk[3], sk[4], ss[1], sk[5], sk[6]
            )
        if known:
            pattern_cov = known_cov[i]
        else:
            pattern_cov = 1.0 - _pattern_loss(
                x, y, z, rec_tab, rec_level, crowns, ovals, patches, pattern_edge
            )
        cov = 0.0 if scar else pattern_cov
        need = min(max((hair_from - cov) / (hair_from - bald_below), 0.0), 1.0)
        if (
            lazy
            and not scar
            and blend <= 0.0
            and (need <= 0.0 or (not natural and _below_line(abs(phi), y, lk, ls)))
        ):
            cov_o[i], dens_o[i], zone_o[i], tone_o[i] = cov, 0.0, ZONE_NONE, 0.0
            signed_o[i], scalp_o[i] = math.nan, natural
            continue
        signed, idx, in_span = _locate_line(x, y, z, phi, lk, ls)
        if in_span:
            factor = _line_factor(signed, patch[idx] if idx >= 0 else 1.0, hp)
            region = signed >= 0.0
        else:
            signed = math.inf
            factor = 1.0 if natural else 0.0
            region = natural
        on_scalp = region or natural
        if scar and not on_scalp:  # scar tissue counts only on the scalp
            scar = False
            cov = pattern_cov
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
        if not scar and on_scalp and full * overfill * blend > density:
            density, zone = full * overfill * blend, ZONE_ENHANCEMENT
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
