"""Laying ranked tiles over a plane: candidates, ranks and stable identities.

The plane is cut into square *patches* of the tile's side, on a lattice shifted by the seed.
Each patch shows a piece of the periodic tile pattern under its own transform, drawn from a
hash of the seed and the patch: which of the shipped tiles, a rotation by any angle and an
offset. No two patches are translated copies of each other, and another seed draws other
transforms for every patch, so outputs are neither periodic nor rotations of one another.

Every tile point falling in its patch is a *candidate* with a rank ``k`` (its index in the
tile) and a stable identity (its patch's lattice position and ``k``). A candidate at a place
whose target density is the fraction ``f`` of the tile's density survives when
``k < f × M``: a pure function of position, rank and density.

Seams. Inside a patch every prefix of the ranking is a Poisson-disk set; across a seam two
patches' points can come close. Near a seam, a candidate whose earlier-ranked neighbour in
another patch lies closer than ``SEAM_RHO`` × the hexagonal spacing of the candidate's own
prefix level gets a later rank — the level where that distance is acceptable. Ranks are
raised from the original ranks of the pair only, so a rank depends on the layout and the
candidate's neighbourhood, never on which box is asked for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numba import njit

from smpstudio._rng import rng_for
from smpstudio._types import BoolArray, FloatArray, IntArray
from smpstudio.dots._tile import Tile

__all__ = [
    "REACH",
    "SEAM_RHO",
    "Candidates",
    "RankLimits",
    "TileLayout",
    "TileSet",
    "candidates_in",
    "exact_counts",
    "layout_for",
]

_ID_SPAN = 1 << 20  # lattice coordinates are offset into [0, 2^20) for identities
_BUCKETS = 64  # tile buckets per side (about 15 points each)
SEAM_RHO = 0.75
"""Across a seam no two kept dots are closer than this × the hexagonal spacing of their
prefix level."""
_SEAM_REACH_CAP = 0.25  # of the patch side: ranks this sparse are not repaired (k < 10)
_HEX = math.sqrt(2.0 / math.sqrt(3.0))
REACH = 1.15
"""A count cell never takes a candidate with fractional rank at or above this."""


@dataclass(frozen=True, eq=False)
class TileSet:
    """Ranked tiles of one size, bucketed for laying: ``points[t]`` holds tile ``t``'s
    points sorted by bucket (``start[t, b] … start[t, b + 1]``), ``rank[t]`` their ranks and
    ``min_rank[t, b]`` each bucket's lowest rank."""

    tiles: tuple[Tile, ...]
    size: int
    points: FloatArray  # (T, M, 2)
    rank: IntArray  # (T, M)
    start: IntArray  # (T, B² + 1)
    min_rank: IntArray  # (T, B²)

    @property
    def count(self) -> int:
        return len(self.tiles)


@lru_cache(maxsize=8)
def tile_set(tiles: tuple[Tile, ...]) -> TileSet:
    """Tiles truncated to the smallest one's size (their last, most crowded ranks) and
    bucketed."""
    size = min(t.size for t in tiles)
    count = len(tiles)
    buckets = _BUCKETS * _BUCKETS
    points = np.empty((count, size, 2))
    rank = np.empty((count, size), dtype=np.int64)
    start = np.empty((count, buckets + 1), dtype=np.int64)
    min_rank = np.full((count, buckets), size, dtype=np.int64)
    for t, tile in enumerate(tiles):
        p = tile.points[:size]
        b = np.minimum((p * _BUCKETS).astype(np.int64), _BUCKETS - 1)
        bucket = b[:, 0] * _BUCKETS + b[:, 1]
        order = np.argsort(bucket, kind="stable")
        points[t], rank[t] = p[order], order
        start[t] = np.searchsorted(bucket[order], np.arange(buckets + 1))
        np.minimum.at(min_rank[t], bucket, np.arange(size))
    return TileSet(tiles, size, points, rank, start, min_rank)


@dataclass(frozen=True, eq=False)
class TileLayout:
    """Where patches lie (side length, lattice offset) and the key of their transforms."""

    tiles: TileSet
    side: float
    offset: tuple[float, float]
    key: int

    @property
    def tile(self) -> Tile:
        """The first tile (the shipped one by default)."""
        return self.tiles.tiles[0]

    @property
    def size(self) -> int:
        """Ranks per patch."""
        return self.tiles.size


@dataclass(frozen=True)
class Candidates:
    """Tile points falling in a rectangle: positions, (seam-repaired) ranks and stable
    identities."""

    xy: FloatArray
    rank: IntArray
    ident: IntArray


def layout_for(
    *,
    density_per_unit: float,
    tile: Tile | tuple[Tile, ...],
    seed: int,
    purpose: str = "dots-tile-layout",
) -> TileLayout:
    """Layout whose full tile density is ``density_per_unit`` points per unit area; the
    lattice offset and every patch's transform come from ``seed`` and ``purpose`` (hair
    follicles do not sit on impressions)."""
    tiles = tile_set(tile if isinstance(tile, tuple) else (tile,))
    side = math.sqrt(tiles.size / density_per_unit)
    rng = rng_for(seed, purpose)
    offset = rng.random(2) * side
    key = int(rng.integers(1, 1 << 62))
    return TileLayout(tiles, side, (float(offset[0]), float(offset[1])), key)


@dataclass(frozen=True)
class RankLimits:
    """Largest useful rank per block of a grid over the plane (candidates above it are never
    made): ``limits[i, j]`` covers ``[x0 + i·block, x0 + (i+1)·block) × [y0 + j·block, …)``."""

    limits: IntArray
    x0: float
    y0: float
    block: float


def candidates_in(
    layout: TileLayout, box: tuple[float, float, float, float], *, limits: RankLimits | None = None
) -> Candidates:
    """All candidates inside ``box = (x0, y0, x1, y1)``, optionally only those whose
    (repaired) rank is below the limit of their block."""
    ts = layout.tiles
    x0, y0, x1, y1 = box
    rl = limits or RankLimits(
        np.full((1, 1), ts.size, dtype=np.int64), x0, y0, max(x1 - x0, y1 - y0) + 1.0
    )
    top = int(min(rl.limits.max(initial=0), ts.size))
    main = _lay_box(layout, box, rl, top, neighbours=False)
    near = main.near
    if not near.any():
        return Candidates(main.xy, main.rank, main.ident)
    reach = _SEAM_REACH_CAP * layout.side
    grown = (x0 - reach, y0 - reach, x1 + reach, y1 + reach)
    seam = _lay_box(layout, grown, rl, top, neighbours=True, inner=box)
    rank = main.rank
    at = np.flatnonzero(near)
    new = _repaired_ranks(
        main.xy[at],
        rank[at],
        main.ident[at],
        main.patch[at],
        seam.xy,
        seam.rank,
        seam.ident,
        seam.patch,
        layout.side,
        ts.size,
    )
    raised = at[new > rank[at]]
    rank[at] = new
    limit = _limit_at(rl, main.xy[raised]) if rl.limits.size > 1 else top
    gone = raised[rank[raised] >= limit]
    if len(gone) == 0:
        return Candidates(main.xy, rank, main.ident)
    keep = np.ones(len(rank), dtype=bool)
    keep[gone] = False
    return Candidates(
        np.ascontiguousarray(main.xy[keep]), rank[keep], np.ascontiguousarray(main.ident[keep])
    )


@dataclass(frozen=True)
class _Laid:
    xy: FloatArray
    rank: IntArray
    ident: IntArray
    patch: IntArray
    near: BoolArray


def _lay_box(
    layout: TileLayout,
    box: tuple[float, float, float, float],
    rl: RankLimits,
    top: int,
    *,
    neighbours: bool,
    inner: tuple[float, float, float, float] | None = None,
) -> _Laid:
    ts, side = layout.tiles, layout.side
    x0, y0, x1, y1 = box
    i0 = math.floor((x0 - layout.offset[0]) / side)
    i1 = math.floor((x1 - layout.offset[0]) / side)
    j0 = math.floor((y0 - layout.offset[1]) / side)
    j1 = math.floor((y1 - layout.offset[1]) / side)
    xy, rank, ident, patch, near = _lay(
        ts.points,
        ts.rank,
        ts.start,
        ts.min_rank,
        rl.limits,
        rl.x0,
        rl.y0,
        rl.block,
        side,
        layout.offset[0],
        layout.offset[1],
        np.uint64(layout.key),
        np.array([i0, i1, j0, j1], dtype=np.int64),
        np.array(inner or box, dtype=np.float64),
        np.array(box, dtype=np.float64),
        ts.size,
        top,
        neighbours,
    )
    return _Laid(xy, rank, ident, patch, near)


def _limit_at(rl: RankLimits, xy: FloatArray) -> IntArray:
    nb0, nb1 = rl.limits.shape
    a = np.clip(((xy[:, 0] - rl.x0) / rl.block).astype(np.int64), 0, nb0 - 1)
    b = np.clip(((xy[:, 1] - rl.y0) / rl.block).astype(np.int64), 0, nb1 - 1)
    return np.asarray(rl.limits[a, b], dtype=np.int64)


@njit(cache=True, nogil=True)
def _mix(x: np.uint64) -> np.uint64:
    """splitmix64 finaliser."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@njit(cache=True, nogil=True)
def _unit(x: np.uint64) -> float:
    return float(x >> np.uint64(11)) / 9007199254740992.0


@njit(cache=True, nogil=True)
def _patch_transform(key: np.uint64, i: int, j: int, tiles: int) -> tuple[int, float, float, float]:
    """Tile index, angle and offset (tile units) of patch ``(i, j)``."""
    h = _mix(key ^ _mix(np.uint64(i + (1 << 40)) * np.uint64(0x100000001B3) + np.uint64(j)))
    a = _mix(h)
    b = _mix(a)
    c = _mix(b)
    return int(h % np.uint64(tiles)), 2.0 * math.pi * _unit(a), _unit(b), _unit(c)


@njit(cache=True, nogil=True)
def _reach(k: int, side: float) -> float:
    """Distance below which a candidate of rank ``k`` conflicts with an earlier one."""
    return min(_SEAM_REACH_CAP * side, SEAM_RHO * _HEX * side / math.sqrt(k + 1.0))


@njit(cache=True, nogil=True)
def _lay(
    points: FloatArray,
    ranks: IntArray,
    start: IntArray,
    min_rank: IntArray,
    limits: IntArray,
    lx: float,
    ly: float,
    block: float,
    side: float,
    ox: float,
    oy: float,
    key: np.uint64,
    span: IntArray,
    box: FloatArray,
    outer: FloatArray,
    tile_size: int,
    top: int,
    neighbours: bool,
) -> tuple[FloatArray, IntArray, IntArray, IntArray, BoolArray]:
    """Candidates of the patches ``span``: inside ``box`` below their block's limit, or
    (``neighbours``) near-seam points within their reach of ``box`` (and inside ``outer``)."""
    tiles, g = points.shape[0], int(math.sqrt(start.shape[1] - 1))
    nb0, nb1 = limits.shape[0], limits.shape[1]
    half_diag = side * math.sqrt(2.0) / (2.0 * g)
    cap_reach = _SEAM_REACH_CAP * side
    hex2 = (SEAM_RHO * _HEX * side) ** 2
    area = max(0.0, min(outer[2] - outer[0], (span[1] - span[0] + 1) * side)) * max(
        0.0, min(outer[3] - outer[1], (span[3] - span[2] + 1) * side)
    )
    cap = 1024 + int(1.05 * area / (side * side) * top) if not neighbours else 1024
    xy = np.empty((cap, 2))
    rank = np.empty(cap, dtype=np.int64)
    ident = np.empty(cap, dtype=np.int64)
    patch = np.empty(cap, dtype=np.int64)
    near = np.empty(cap, dtype=np.bool_)
    count = 0
    for i in range(span[0], span[1] + 1):
        for j in range(span[2], span[3] + 1):
            t, angle, px, py = _patch_transform(key, i, j, tiles)
            cs, sn = math.cos(angle), math.sin(angle)
            cx, cy = ox + (i + 0.5) * side, oy + (j + 0.5) * side
            extent = 0.5 * (abs(cs) + abs(sn)) + 1.0 / g
            ident_base = ((i + _ID_SPAN // 2) * _ID_SPAN + (j + _ID_SPAN // 2)) * tile_size
            pid = (i + _ID_SPAN // 2) * _ID_SPAN + (j + _ID_SPAN // 2)
            for bx in range(math.floor((px - extent) * g), math.floor((px + extent) * g) + 1):
                for by in range(math.floor((py - extent) * g), math.floor((py + extent) * g) + 1):
                    # bucket centre in the plane
                    ux, uy = (bx + 0.5) / g - px, (by + 0.5) / g - py
                    bcx = cx + side * (cs * ux - sn * uy)
                    bcy = cy + side * (sn * ux + cs * uy)
                    edge = 0.5 * side - max(abs(bcx - cx), abs(bcy - cy))
                    if edge < -half_diag:
                        continue  # outside the patch
                    wx, wy = bx % g, by % g
                    nx, ny = (bx - wx) // g, (by - wy) // g
                    b = wx * g + wy
                    low = min_rank[t, b]
                    if low >= top:
                        continue
                    margin = half_diag
                    if neighbours:
                        r0 = _reach(low, side)
                        if edge - half_diag > r0:
                            continue  # every point of the bucket is far from the seam
                        margin += r0
                    if (
                        bcx < box[0] - margin
                        or bcx >= box[2] + margin
                        or bcy < box[1] - margin
                        or bcy >= box[3] + margin
                    ):
                        continue
                    for m in range(start[t, b], start[t, b + 1]):
                        k = ranks[t, m]
                        if k >= top:
                            continue
                        vx = points[t, m, 0] + nx - px
                        vy = points[t, m, 1] + ny - py
                        x = cx + side * (cs * vx - sn * vy)
                        y = cy + side * (sn * vx + cs * vy)
                        dx, dy = x - cx, y - cy
                        if not (-0.5 * side <= dx < 0.5 * side and -0.5 * side <= dy < 0.5 * side):
                            continue
                        to_seam = 0.5 * side - max(abs(dx), abs(dy))
                        is_near = to_seam < cap_reach and to_seam * to_seam * (k + 1.0) < hex2
                        if neighbours:
                            if not is_near:
                                continue
                            r = _reach(k, side)
                            if not (outer[0] <= x < outer[2] and outer[1] <= y < outer[3]):
                                continue
                            if (
                                x < box[0] - r
                                or x >= box[2] + r
                                or y < box[1] - r
                                or y >= box[3] + r
                            ):
                                continue
                        else:
                            if not (box[0] <= x < box[2] and box[1] <= y < box[3]):
                                continue
                            a = min(max(int((x - lx) / block), 0), nb0 - 1)
                            c = min(max(int((y - ly) / block), 0), nb1 - 1)
                            if k >= limits[a, c]:
                                continue
                        if count == cap:
                            cap *= 2
                            xy = _grow2(xy, cap)
                            rank = _grow1(rank, cap)
                            ident = _grow1(ident, cap)
                            patch = _grow1(patch, cap)
                            near = _grow_bool(near, cap)
                        xy[count, 0], xy[count, 1] = x, y
                        rank[count] = k
                        ident[count] = ident_base + k
                        patch[count] = pid
                        near[count] = is_near
                        count += 1
    return (
        xy[:count].copy(),
        rank[:count].copy(),
        ident[:count].copy(),
        patch[:count].copy(),
        near[:count].copy(),
    )


@njit(cache=True, nogil=True)
def _grow2(a: FloatArray, cap: int) -> FloatArray:
    out = np.empty((cap, 2))
    out[: a.shape[0]] = a
    return out


@njit(cache=True, nogil=True)
def _grow1(a: IntArray, cap: int) -> IntArray:
    out = np.empty(cap, dtype=np.int64)
    out[: a.shape[0]] = a
    return out


@njit(cache=True, nogil=True)
def _grow_bool(a: BoolArray, cap: int) -> BoolArray:
    out = np.empty(cap, dtype=np.bool_)
    out[: a.shape[0]] = a
    return out


@njit(cache=True, nogil=True)
def _repaired_ranks(
    xy: FloatArray,
    rank: IntArray,
    ident: IntArray,
    patch: IntArray,
    sxy: FloatArray,
    srank: IntArray,
    sident: IntArray,
    spatch: IntArray,
    side: float,
    tile_size: int,
) -> IntArray:
    """Raised rank of each near-seam candidate: the level at which its nearest conflicting
    earlier neighbour (by original rank, then identity) in another patch is far enough."""
    n = sxy.shape[0]
    cell = _reach(tile_size, side) * 2.0
    x0, y0 = sxy[:, 0].min(), sxy[:, 1].min()
    nx = int((sxy[:, 0].max() - x0) / cell) + 1
    ny = int((sxy[:, 1].max() - y0) / cell) + 1
    cid = np.empty(n, dtype=np.int64)
    counts = np.zeros(nx * ny + 1, dtype=np.int64)
    for m in range(n):
        c = int((sxy[m, 0] - x0) / cell) * ny + int((sxy[m, 1] - y0) / cell)
        cid[m] = c
        counts[c + 1] += 1
    starts = np.cumsum(counts)
    members = np.empty(n, dtype=np.int64)
    fill = starts[:-1].copy()
    for m in range(n):
        members[fill[cid[m]]] = m
        fill[cid[m]] += 1
    out = rank.copy()
    scale = (SEAM_RHO * _HEX * side) ** 2
    for q in range(xy.shape[0]):
        k = rank[q]
        r = _reach(k, side)
        a0 = max(int((xy[q, 0] - r - x0) / cell), 0)
        a1 = min(int((xy[q, 0] + r - x0) / cell), nx - 1)
        b0 = max(int((xy[q, 1] - r - y0) / cell), 0)
        b1 = min(int((xy[q, 1] + r - y0) / cell), ny - 1)
        for a in range(a0, a1 + 1):
            for b in range(b0, b1 + 1):
                c = a * ny + b
                for s in range(starts[c], starts[c + 1]):
                    m = members[s]
                    if spatch[m] == patch[q]:
                        continue
                    if srank[m] > k or (srank[m] == k and sident[m] >= ident[q]):
                        continue
                    dx, dy = sxy[m, 0] - xy[q, 0], sxy[m, 1] - xy[q, 1]
                    d2 = dx * dx + dy * dy
                    if d2 >= r * r:
                        continue
                    need = math.ceil(scale / max(d2, 1e-300)) - 1
                    out[q] = max(out[q], min(need, tile_size))
    return out


def exact_counts(
    rank_fraction: FloatArray,
    fraction: FloatArray,
    cell: IntArray,
    expected: FloatArray,
    *,
    seed: int,
    salt: int = 0,
    shares: tuple[float, ...] = (1.0,),
    reach: float = REACH,
) -> IntArray:
    """Session of each candidate (0 = not kept), with exact counts where it is safe.

    Thresholding ranks keeps ``rank < share × fraction × M``, whose count in a cell fluctuates
    with the tile. Where a cell can afford it, its candidates are instead ordered by
    *fractional rank* ``q = rank / (fraction × M)`` and handed out in turn: the first
    ``round(share_1 × expected)`` to session 1, then up to ``round(share_2 × expected)``, and so
    on, so every session's count follows the density integral while the sessions stay nested
    and each is a prefix of the same order. A session never takes a candidate with
    ``q ≥ reach × share`` (a far-ranked dot would crowd its neighbours): a short cell stays
    short. Cells whose ``expected`` is NaN, or whose densest candidate has no spare ranks
    (``fraction × reach > 1``), are thresholded. Rounding is random, shared by the sessions of
    a cell: unbiased and monotone. Places with ``fraction`` 0 never receive a dot.
    """
    cell = np.ascontiguousarray(cell, dtype=np.int64)
    q, densest = _fractional_ranks(
        np.ascontiguousarray(rank_fraction, dtype=np.float64),
        np.ascontiguousarray(fraction, dtype=np.float64),
        cell,
        len(expected),
    )
    counted = np.isfinite(expected) & (densest * reach <= 1.0)
    rng = rng_for(seed, f"dots-rounding-{salt}")
    jitter = rng.random(len(expected))
    target = np.where(counted, expected, 0.0)
    quotas = np.stack([np.floor(share * target + jitter) for share in shares], axis=1)
    return _sessions_per_cell(
        q,
        cell,
        quotas.astype(np.int64),
        counted,
        np.asarray(shares, dtype=np.float64),
        reach,
    )


@njit(cache=True, nogil=True)
def _fractional_ranks(
    rank_fraction: FloatArray, fraction: FloatArray, cell: IntArray, cells: int
) -> tuple[FloatArray, FloatArray]:
    """``q = rank_fraction / fraction`` (inf where the fraction is 0) and each cell's
    largest fraction."""
    q = np.empty(fraction.shape[0])
    densest = np.zeros(cells)
    for i in range(fraction.shape[0]):
        f = fraction[i]
        q[i] = rank_fraction[i] / f if f > 0 else np.inf
        densest[cell[i]] = max(densest[cell[i]], f)
    return q, densest


@njit(cache=True, nogil=True)
def _sessions_per_cell(
    q: FloatArray,
    cell: IntArray,
    quotas: IntArray,
    counted: BoolArray,
    shares: FloatArray,
    reach: float,
) -> IntArray:
    """Hand out session quotas in order of ``q`` in counted cells; threshold the others."""
    cells, sessions = quotas.shape[0], quotas.shape[1]
    out = np.zeros(q.shape[0], dtype=np.int64)
    useful = max(reach * shares[sessions - 1], shares[sessions - 1])
    starts = np.zeros(cells + 1, dtype=np.int64)
    for i in range(cell.shape[0]):
        if q[i] < useful:
            starts[cell[i] + 1] += 1
    for c in range(cells):
        starts[c + 1] += starts[c]
    members = np.empty(starts[cells], dtype=np.int64)
    fill = starts[:-1].copy()
    for i in range(cell.shape[0]):
        if q[i] < useful:
            members[fill[cell[i]]] = i
            fill[cell[i]] += 1
    for c in range(cells):
        idx = members[starts[c] : starts[c + 1]]
        if idx.shape[0] == 0:
            continue
        if not counted[c]:
            for i in idx:
                for k in range(sessions):
                    if q[i] < shares[k]:
                        out[i] = k + 1
                        break
            continue
        ordered = idx[np.argsort(q[idx], kind="mergesort")]
        position = 0
        for k in range(sessions):
            cap = reach * shares[k]
            while (
                position < ordered.shape[0]
                and position < quotas[c, k]
                and q[ordered[position]] < cap
            ):
                out[ordered[position]] = k + 1
                position += 1
    return out
