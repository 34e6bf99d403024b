"""Variable-density blue noise in the unit square (the flat case of the engine).

Counts are exact everywhere, including where the density is at its maximum:

* **headroom** — the tiles are laid at :data:`HEADROOM` × the density of the densest place,
  so even there only a prefix of the ranking is used and a cell can take a few more or
  fewer candidates than thresholding would;
* **dyadic count cells** — the square is cut into a quadtree; the expected count of every
  node is the density integrated on a grid of about one sample per impression spacing at
  the densest place, and a node holding fewer than ``4 × 32`` expected points is a *count
  cell* (so count cells hold about 32–128 points, smaller where the density changes);
* **top-down rounding** — the total is ``n_target``; every node's integer count is split
  among its four children by systematic rounding with a random offset, so every node at
  every level — every 1/2ᵏ square above the count cells — holds its integral within ±1;
* inside a count cell, candidates are handed out in order of fractional rank (see
  :func:`~smpstudio.dots._placement.exact_counts`).
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from smpstudio._rng import rng_for
from smpstudio._types import FloatArray, IntArray
from smpstudio.dots._errors import DotsError
from smpstudio.dots._placement import (
    REACH,
    RankLimits,
    TileLayout,
    candidates_in,
    exact_counts,
    layout_for,
)
from smpstudio.dots._tile import Tile, default_tiles

__all__ = [
    "HEADROOM",
    "MAX_MEMORY_MB",
    "DotsError",
    "max_points",
    "sample_plane",
    "sample_plane_sessions",
]

HEADROOM = 1.25
"""The tiles are laid at this multiple of the densest place's density."""
MAX_MEMORY_MB = 1024
"""Memory budget of one call of the flat sampler (its output and working arrays)."""
_BYTES_PER_POINT = 64  # output (24 B), its concatenated copy, bands and plan: 63 B measured at 10^7
_GRID = 256
_FINE_GRID = 2048
_CELL_POINTS = 32  # a quadtree node splits when it expects 4 × this many points
_UNIFORM_CELL_POINTS = 512  # … this many when the density is uniform
_FLAT = 1e-9  # the density is uniform when every finest cell's mean agrees within this
_FINE_POINTS = 16  # expected points of a finest cell at the densest place (at least)
_SAMPLES = 4  # least integration samples per finest cell side
_BAND_CANDIDATES = 1_000_000  # candidates handled at once (bounds peak memory)
_EVAL_CHUNK = 1 << 20  # density samples evaluated at once
_ROUGH = 0.02  # a second difference above this × the bound marks an edge
_REFINE = 4  # edge cells are integrated on a grid this much finer


def max_points() -> int:
    """Largest ``n_target`` the flat sampler accepts within :data:`MAX_MEMORY_MB`."""
    return MAX_MEMORY_MB * 1024 * 1024 // _BYTES_PER_POINT


def sample_plane(
    density: Callable[[FloatArray], FloatArray] | None,
    n_target: int,
    *,
    seed: int = 0,
    density_max: float | None = None,
    tile: Tile | None = None,
) -> FloatArray:
    """``n_target`` blue-noise points in [0, 1)² following ``density``, counted exactly
    but for count cells whose tiles run short (they stay short: about 0.03 % of the points
    at 10^6, up to 0.2 % at 10^4).

    Parameters
    ----------
    density
        Relative density: a function of an ``(M, 2)`` array of points returning ``(M,)``
        finite, non-negative values, not all zero; ``None`` for uniform.
    n_target
        Number of points (a whole number, 0 ≤ n ≤ :func:`max_points`).
    seed
        Seed of the layout: patch lattice offset, and each patch's tile, angle and offset.
    density_max
        Upper bound of ``density`` (found on the integration grid if omitted; places above
        it are served at this bound).
    tile
        A ranked tile to use alone (the shipped tiles by default).

    Returns
    -------
    (N, 2) array
        Points, ordered by band and patch; the same inputs give the same points.

    Raises
    ------
    DotsError
        A count that is negative, not whole or over the memory budget; a density that is
        negative, NaN, infinite, all zero or of the wrong shape; a bad ``density_max``.

    Examples
    --------
    >>> pts = sample_plane(None, 10_000, seed=3)
    >>> 9_980 <= len(pts) <= 10_000
    True
    >>> ramp = sample_plane(lambda p: p[:, 0], 10_000, seed=3)
    >>> bool((ramp[:, 0] > 0.5).mean() > 0.7)
    True
    """
    points, _ = sample_plane_sessions(
        density, n_target, shares=(1.0,), seed=seed, density_max=density_max, tile=tile
    )
    return points


def sample_plane_sessions(
    density: Callable[[FloatArray], FloatArray] | None,
    n_target: int,
    *,
    shares: tuple[float, ...],
    seed: int = 0,
    density_max: float | None = None,
    tile: Tile | None = None,
) -> tuple[FloatArray, IntArray]:
    """As :func:`sample_plane`, with nested sessions: each point's session (1-based) such that
    the points of sessions up to ``k`` are a blue-noise set of ``shares[k-1] × n_target``.

    >>> pts, session = sample_plane_sessions(None, 10_000, shares=(0.3, 0.7, 1.0), seed=1)
    >>> [round(float(np.mean(session <= k)), 2) for k in (1, 2, 3)]
    [0.3, 0.7, 1.0]
    """
    n = _checked_count(n_target)
    _check_shares(shares)
    if n == 0:
        return np.zeros((0, 2)), np.zeros(0, dtype=np.int64)
    field = _Field(density, n, density_max)
    plan = _count_plan(field, n, seed)
    tiles = (tile,) if tile is not None else default_tiles()
    per_unit = n * field.peak / field.mean * HEADROOM
    layout = layout_for(density_per_unit=per_unit, tile=tiles, seed=seed)
    points, sessions = [], []
    for first, last in plan.bands(per_unit):
        xy, session = _band(field, layout, plan, first, last, seed, shares)
        points.append(xy)
        sessions.append(session)
    return np.ascontiguousarray(np.concatenate(points)), np.concatenate(sessions)


def _checked_count(n_target: object) -> int:
    if isinstance(n_target, bool) or not isinstance(n_target, numbers.Integral):
        raise DotsError(
            f"n_target must be a whole number of points, got {n_target!r}; "
            "round it, e.g. n_target=round(x)"
        )
    n = int(n_target)
    if n < 0:
        raise DotsError(f"n_target must be 0 or more, got {n}")
    if n > max_points():
        raise DotsError(
            f"n_target {n:,} needs more than the {MAX_MEMORY_MB} MB memory budget of one call "
            f"(at most {max_points():,} points); sample the area in parts"
        )
    return n


def _check_shares(shares: tuple[float, ...]) -> None:
    s = np.asarray(shares, dtype=np.float64)
    if s.ndim != 1 or len(s) == 0 or not np.all(np.isfinite(s)) or np.any(np.diff(s) <= 0):
        raise DotsError(f"shares must be increasing fractions ending at 1.0, got {shares!r}")
    if s[0] <= 0 or s[-1] != 1.0:
        raise DotsError(f"shares must be increasing fractions ending at 1.0, got {shares!r}")


class _Field:
    """The density, checked, with its mean and bound (from the 256² grid, refined by the
    integration grid)."""

    def __init__(
        self, fn: Callable[[FloatArray], FloatArray] | None, n: int, bound: float | None
    ) -> None:
        self.fn = fn
        if bound is not None and not (math.isfinite(bound) and bound > 0):
            raise DotsError(f"density_max must be a positive finite number, got {bound!r}")
        self.given = bound
        if fn is None:
            self.mean, self.peak = 1.0, 1.0
            return
        for res in (_GRID, _FINE_GRID):  # a feature finer than the first grid: look closer
            self.mean, top = self._grid_mean_and_max(res)
            if top > 0.0:
                break
        else:
            raise DotsError(
                f"the density is zero everywhere (on a {_FINE_GRID}² grid): "
                "there is nowhere to put points"
            )
        self.peak = float(bound) if bound is not None else top

    def _grid_mean_and_max(self, res: int) -> tuple[float, float]:
        c = (np.arange(res) + 0.5) / res
        total, top = 0.0, 0.0
        rows = max(1, _EVAL_CHUNK // res)
        for r0 in range(0, res, rows):
            gx, gy = np.meshgrid(c, c[r0 : r0 + rows])
            values = self(np.column_stack([gx.ravel(), gy.ravel()]))
            total, top = total + float(values.sum()), max(top, float(values.max()))
        return total / (res * res), top

    def __call__(self, points: FloatArray) -> FloatArray:
        if self.fn is None:
            return np.ones(len(points))
        values = np.asarray(self.fn(points))
        if values.shape != (len(points),):
            raise DotsError(
                f"density must return one value per point, shape ({len(points)},); "
                f"it returned shape {values.shape}"
            )
        values = values.astype(np.float64, copy=False)
        if not np.all(np.isfinite(values)):
            raise DotsError("density must be finite and non-negative: it returned NaN or inf")
        if np.any(values < 0):
            raise DotsError(
                f"density must be finite and non-negative: it returned {float(values.min()):g}"
            )
        return values

    def refine(self, mean: float, peak: float) -> None:
        """Mean and bound from the integration grid (it sees features the 256² grid misses)."""
        if mean <= 0.0:
            raise DotsError("the density is zero everywhere: there is nowhere to put points")
        self.mean = mean
        if self.given is None:
            self.peak = max(self.peak, peak)


@dataclass(frozen=True)
class _Plan:
    """Count cells: ``leaf[iy, ix]`` is the count cell of each finest cell; ``quota`` the
    integer count of each count cell; ``band_level`` the quadtree level below which count
    cells lie (bands are rows of nodes of that level)."""

    size: int  # finest cells per side (2^levels)
    leaf: IntArray
    quota: FloatArray
    band_level: int
    high: FloatArray  # largest density sample of each finest cell and its 8 neighbours

    def rank_limits(self, peak: float, tile_size: int) -> RankLimits:
        """Per finest cell, the rank below which a candidate may be kept (fractional rank
        below :data:`REACH` at the cell's largest density, 5 % to spare)."""
        share = np.minimum(self.high, peak) / (peak * HEADROOM)
        limits = np.minimum(np.ceil(REACH * 1.05 * share * tile_size) + 1, tile_size)
        return RankLimits(
            np.ascontiguousarray(limits.T.astype(np.int64)), 0.0, 0.0, 1.0 / self.size
        )

    def bands(self, per_unit: float) -> list[tuple[int, int]]:
        """Rows of finest cells handled at once: whole band-level nodes, about
        :data:`_BAND_CANDIDATES` candidates each."""
        rows = 1 << self.band_level
        per_band = max(1, int(rows * _BAND_CANDIDATES / per_unit))
        step = self.size // rows
        edges = [*range(0, rows, per_band), rows]
        return [(a * step, b * step) for a, b in itertools.pairwise(edges)]


def _count_plan(field: _Field, n: int, seed: int) -> _Plan:
    per_unit = n * field.peak / field.mean  # points per unit area at the densest place
    levels = max(0, math.floor(0.5 * math.log2(max(per_unit / _FINE_POINTS, 1.0))))
    size = 1 << levels
    samples = max(_SAMPLES, math.ceil(math.sqrt(per_unit) / size))  # ≤ 1 spacing apart
    means, high = _cell_means(field, size, samples)
    field.refine(float(means.mean()), float(high.max()))
    pyramid = [means * (n / means.sum())]  # finest first, [row = y, column = x]
    while pyramid[-1].shape[0] > 1:
        e = pyramid[-1]
        h = e.shape[0] // 2
        pyramid.append(e.reshape(h, 2, h, 2).sum(axis=(1, 3)))
    pyramid.reverse()  # root first
    counts = _round_top_down(pyramid, n, rng_for(seed, "dots-count-rounding"))
    band_level = min(levels, max(0, math.ceil(math.log2(max(n * HEADROOM / _BAND_CANDIDATES, 1)))))
    leaf, quota = _leaves(pyramid, counts, band_level)
    return _Plan(size, leaf, quota, band_level, _neighbourhood_max(high))


def _neighbourhood_max(high: FloatArray) -> FloatArray:
    """Largest value over each cell and its eight neighbours."""
    padded = np.pad(high, 1, mode="edge")
    n = high.shape[0]
    return np.asarray(
        np.max([padded[a : a + n, b : b + n] for a in range(3) for b in range(3)], axis=0)
    )


def _round_top_down(
    pyramid: list[FloatArray], n: int, rng: np.random.Generator
) -> list[FloatArray]:
    """Integer counts of every quadtree node: the root holds ``n``; each node's count is
    split among its children by systematic rounding of their expectations (scaled to the
    node's count) with a random offset, so each child gets the floor or ceiling."""
    counts = [np.full((1, 1), float(n))]
    for level in range(1, len(pyramid)):
        parent, expect = counts[-1], pyramid[level]
        h = parent.shape[0]
        total = expect.reshape(h, 2, h, 2).sum(axis=(1, 3))
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(total > 0, parent / total, 0.0)
        share = (expect.reshape(h, 2, h, 2) * scale[:, None, :, None]).transpose(0, 2, 1, 3)
        share = share.reshape(h, h, 4)
        cum = np.cumsum(share, axis=2)
        cum[..., -1] = parent  # exact: no round-off in the last child
        offset = rng.random((h, h, 1))
        edges = np.floor(cum + offset)
        child = np.diff(np.concatenate([np.floor(offset), edges], axis=2), axis=2)
        counts.append(child.reshape(h, h, 2, 2).transpose(0, 2, 1, 3).reshape(2 * h, 2 * h))
    return counts


def _leaves(
    pyramid: list[FloatArray], counts: list[FloatArray], band_level: int
) -> tuple[IntArray, FloatArray]:
    """The count cell of each finest cell: its coarsest ancestor at or below ``band_level``
    that expects fewer than ``4 × 32`` points — ``4 × 512`` when the density is uniform
    (its tiles need no local counting there, and larger cells force fewer far-ranked
    candidates) — or the finest cell itself."""
    finest = len(pyramid) - 1
    size = 1 << finest
    means = pyramid[-1]
    uniform = bool(means.max() <= means.min() * (1.0 + _FLAT))
    cell_points = _UNIFORM_CELL_POINTS if uniform else _CELL_POINTS
    leaf = np.full((size, size), -1, dtype=np.int64)
    quotas: list[FloatArray] = []
    base = 0
    for level in range(band_level, finest + 1):
        small = (pyramid[level] < 4 * cell_points) | (level == finest)
        rep = size >> level
        up = np.repeat(np.repeat(small, rep, axis=0), rep, axis=1)
        node = np.arange(4**level).reshape(1 << level, 1 << level)
        ids = np.repeat(np.repeat(node, rep, axis=0), rep, axis=1) + base
        fresh = up & (leaf < 0)
        leaf[fresh] = ids[fresh]
        quotas.append(counts[level].ravel())
        base += 4**level
    return leaf, np.concatenate(quotas)


def _cell_means(field: _Field, size: int, samples: int) -> tuple[FloatArray, FloatArray]:
    """Mean and largest sample of the density in each finest cell, indexed [row, column].

    Every cell is integrated with ``samples²`` midpoints (at most one impression spacing
    apart at the densest place); cells where the samples are not smooth — a second
    difference above :data:`_ROUGH` × the bound, i.e. an edge, a line or a step — are
    integrated again with ``(samples × _REFINE)²`` midpoints."""
    res = size * samples
    c = (np.arange(res) + 0.5) / res
    rows_per_chunk = max(samples, (_EVAL_CHUNK // res) // samples * samples)
    out = np.empty((size, size))
    high = np.empty((size, size))
    bend = np.zeros((size, size))
    for r0 in range(0, res, rows_per_chunk):
        r1 = min(res, r0 + rows_per_chunk)
        gx, gy = np.meshgrid(c, c[r0:r1])
        values = field(np.column_stack([gx.ravel(), gy.ravel()])).reshape(r1 - r0, res)
        cells = values.reshape((r1 - r0) // samples, samples, size, samples)
        out[r0 // samples : r1 // samples] = cells.mean(axis=(1, 3))
        high[r0 // samples : r1 // samples] = cells.max(axis=(1, 3))
        bend[r0 // samples : r1 // samples] = _bends(values, size, samples)
    iy, ix = np.nonzero(bend > _ROUGH * float(high.max()))
    if len(iy):
        out[iy, ix], high[iy, ix] = _fine_means(field, size, samples * _REFINE, iy, ix)
    return out, high


def _bends(values: FloatArray, size: int, samples: int) -> FloatArray:
    """Largest absolute second difference of the samples of each cell (along x and y,
    across cell borders too), per cell of a chunk of sample rows."""
    bend = np.zeros_like(values)
    d2x = np.abs(values[:, :-2] - 2.0 * values[:, 1:-1] + values[:, 2:])
    bend[:, 1:-1] = d2x
    bend[:, :-2] = np.maximum(bend[:, :-2], d2x)
    bend[:, 2:] = np.maximum(bend[:, 2:], d2x)
    if values.shape[0] > 2:
        d2y = np.abs(values[:-2] - 2.0 * values[1:-1] + values[2:])
        bend[1:-1] = np.maximum(bend[1:-1], d2y)
        bend[:-2] = np.maximum(bend[:-2], d2y)
        bend[2:] = np.maximum(bend[2:], d2y)
    rows = values.shape[0] // samples
    return np.asarray(bend.reshape(rows, samples, size, samples).max(axis=(1, 3)))


def _fine_means(
    field: _Field, size: int, k: int, iy: IntArray, ix: IntArray
) -> tuple[FloatArray, FloatArray]:
    """Means and largest samples of the cells ``(iy, ix)`` on ``k²`` midpoints each."""
    offsets = (np.arange(k) + 0.5) / k
    ox, oy = np.meshgrid(offsets, offsets)
    sub = np.column_stack([ox.ravel(), oy.ravel()])
    per_chunk = max(1, _EVAL_CHUNK // (k * k))
    means, high = np.empty(len(iy)), np.empty(len(iy))
    for a in range(0, len(iy), per_chunk):
        b = min(len(iy), a + per_chunk)
        corner = np.column_stack([ix[a:b], iy[a:b]]).astype(np.float64)
        pts = ((corner[:, None, :] + sub[None, :, :]) / size).reshape(-1, 2)
        values = field(pts).reshape(b - a, k * k)
        means[a:b], high[a:b] = values.mean(axis=1), values.max(axis=1)
    return means, high


def _band(
    field: _Field,
    layout: TileLayout,
    plan: _Plan,
    first: int,
    last: int,
    seed: int,
    shares: tuple[float, ...],
) -> tuple[FloatArray, IntArray]:
    size = plan.size
    box = (0.0, first / size, 1.0, last / size)
    cand = candidates_in(layout, box, limits=plan.rank_limits(field.peak, layout.size))
    fraction = np.minimum(field(cand.xy), field.peak) / (field.peak * HEADROOM)
    gx = np.minimum((cand.xy[:, 0] * size).astype(np.int64), size - 1)
    gy = np.minimum((cand.xy[:, 1] * size).astype(np.int64), size - 1)
    leaf = plan.leaf[gy, gx]
    session = exact_counts(
        cand.rank / layout.size,
        fraction,
        leaf,
        plan.quota,
        seed=seed,
        salt=first,
        shares=shares,
    )
    kept = session > 0
    return cand.xy[kept], session[kept]
