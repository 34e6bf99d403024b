"""Laying the ranked tile over a plane: candidates, ranks and stable identities.

The tile is repeated over the plane at a scale fixed by the densest place to be served,
shifted and turned by the seed (a random offset and one of the eight symmetries of the
square, which keep the torus seamless). Every copy of every tile point is a *candidate* with
a rank ``k`` (its index in the tile) and a stable identity (its copy's lattice position and
``k``). A candidate at a place whose target density is the fraction ``f`` of the tile's
density survives when ``k < f × M``: a pure function of position, rank and density, so
candidates elsewhere keep their fate when a design changes somewhere else.
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
    "Candidates",
    "RankLimits",
    "TileLayout",
    "candidates_in",
    "exact_counts",
    "layout_for",
]

_ID_SPAN = 1 << 20  # lattice coordinates are offset into [0, 2^20) for identities
_BANDS = 64


@dataclass(frozen=True, eq=False)
class TileLayout:
    """Where tile copies lie: side length, offset and symmetry (0–7) of a tile."""

    tile: Tile
    side: float
    offset: tuple[float, float]
    symmetry: int

    @property
    def oriented(self) -> tuple[FloatArray, IntArray]:
        """The tile's points turned by the layout's symmetry, in spatial order (bands of
        1/64 of the tile, then x) so that neighbouring candidates are made together, with
        their ranks."""
        return _spatial_order(self.tile, self.symmetry)


@dataclass(frozen=True)
class Candidates:
    """Tile points falling in a rectangle: positions, ranks and stable identities."""

    xy: FloatArray
    rank: IntArray
    ident: IntArray


def layout_for(
    *, density_per_unit: float, tile: Tile, seed: int, purpose: str = "dots-tile-layout"
) -> TileLayout:
    """Layout whose full tile density is ``density_per_unit`` points per unit area; the
    offset and symmetry come from ``seed`` and ``purpose`` (hair follicles do not sit on
    impressions)."""
    side = math.sqrt(tile.size / density_per_unit)
    rng = rng_for(seed, purpose)
    offset = rng.random(2) * side
    return TileLayout(tile, side, (float(offset[0]), float(offset[1])), int(rng.integers(8)))


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
    """All candidates inside ``box = (x0, y0, x1, y1)``, optionally only those whose rank is
    below the limit of their block."""
    tile = layout.tile
    x0, y0, x1, y1 = box
    side = layout.side
    i0 = math.floor((x0 - layout.offset[0]) / side)
    i1 = math.floor((x1 - layout.offset[0]) / side)
    j0 = math.floor((y0 - layout.offset[1]) / side)
    j1 = math.floor((y1 - layout.offset[1]) / side)
    rl = limits or RankLimits(
        np.full((1, 1), tile.size, dtype=np.int64), x0, y0, max(x1 - x0, y1 - y0) + 1.0
    )
    pts, ranks = layout.oriented
    xy, rank, ident = _lay(
        pts,
        ranks,
        rl.limits,
        rl.x0,
        rl.y0,
        rl.block,
        side,
        layout.offset[0],
        layout.offset[1],
        i0,
        i1,
        j0,
        j1,
        x0,
        y0,
        x1,
        y1,
        tile.size,
    )
    return Candidates(xy, rank, ident)


@lru_cache(maxsize=32)
def _spatial_order(tile: Tile, symmetry: int) -> tuple[FloatArray, IntArray]:
    points = _oriented(tile.points, symmetry)
    order = np.lexsort((points[:, 0], np.floor(points[:, 1] * _BANDS)))
    return np.ascontiguousarray(points[order]), np.ascontiguousarray(order.astype(np.int64))


def _oriented(points: FloatArray, symmetry: int) -> FloatArray:
    p = points.copy()
    if symmetry & 1:
        p[:, 0] = np.mod(1.0 - p[:, 0], 1.0)
    if symmetry & 2:
        p[:, 1] = np.mod(1.0 - p[:, 1], 1.0)
    if symmetry & 4:
        p = p[:, ::-1].copy()
    return np.ascontiguousarray(p)


@njit(cache=True, nogil=True)
def _lay(
    pts: FloatArray,
    ranks: IntArray,
    limits: IntArray,
    lx: float,
    ly: float,
    block: float,
    side: float,
    ox: float,
    oy: float,
    i0: int,
    i1: int,
    j0: int,
    j1: int,
    x0: float,
    y0: float,
    x1: float,
    y1: float,
    tile_size: int,
) -> tuple[FloatArray, IntArray, IntArray]:
    n = pts.shape[0]
    copies = (i1 - i0 + 1) * (j1 - j0 + 1)
    xy = np.empty((n * copies, 2))
    rank = np.empty(n * copies, dtype=np.int64)
    ident = np.empty(n * copies, dtype=np.int64)
    nb0, nb1 = limits.shape[0], limits.shape[1]
    count = 0
    for i in range(i0, i1 + 1):
        for j in range(j0, j1 + 1):
            bx, by = ox + i * side, oy + j * side
            cell = ((i + _ID_SPAN // 2) * _ID_SPAN + (j + _ID_SPAN // 2)) * tile_size
            for m in range(n):
                x = bx + pts[m, 0] * side
                y = by + pts[m, 1] * side
                if not (x0 <= x < x1 and y0 <= y < y1):
                    continue
                k = ranks[m]
                a = min(max(int((x - lx) / block), 0), nb0 - 1)
                b = min(max(int((y - ly) / block), 0), nb1 - 1)
                if k >= limits[a, b]:
                    continue
                xy[count, 0], xy[count, 1] = x, y
                rank[count] = k
                ident[count] = cell + k
                count += 1
    return xy[:count].copy(), rank[:count].copy(), ident[:count].copy()


def exact_counts(
    rank_fraction: FloatArray,
    fraction: FloatArray,
    cell: IntArray,
    expected: FloatArray,
    *,
    seed: int,
    salt: int = 0,
    shares: tuple[float, ...] = (1.0,),
    reach: float = 1.15,
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
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(fraction > 0, rank_fraction / fraction, np.inf)
    densest = np.zeros(len(expected))
    np.maximum.at(densest, cell, fraction)
    counted = np.isfinite(expected) & (densest * reach <= 1.0)
    rng = rng_for(seed, f"dots-rounding-{salt}")
    jitter = rng.random(len(expected))
    target = np.where(counted, expected, 0.0)
    quotas = np.stack([np.floor(share * target + jitter) for share in shares], axis=1)
    return _sessions_per_cell(
        q,
        cell.astype(np.int64),
        quotas.astype(np.int64),
        counted,
        np.asarray(shares, dtype=np.float64),
        reach,
    )


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
    starts = np.zeros(cells + 1, dtype=np.int64)
    for c in cell:
        starts[c + 1] += 1
    for c in range(cells):
        starts[c + 1] += starts[c]
    members = np.empty(cell.shape[0], dtype=np.int64)
    fill = starts[:-1].copy()
    for i in range(cell.shape[0]):
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
