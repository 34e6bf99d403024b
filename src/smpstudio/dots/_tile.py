"""The progressive blue-noise tile behind every impression.

A tile is a maximal Poisson-disk set on the unit torus, ordered so that every prefix is itself
well spread: keeping the points of rank below ``f × M`` gives blue noise at the fraction ``f``
of the full density. Thresholding ranks against a local density therefore gives variable-
density blue noise, and thresholding the same ranks at increasing fractions gives nested
sessions.

Construction (deterministic for a seed):

1. levels of radii shrinking by 8 % from a handful of points down to the final radius ``r``;
   each level adds samples until the whole set is maximal at that level's radius, so the
   prefix ending at every level is a maximal Poisson-disk set and no prefix falls far below
   (hierarchical dart throwing, as in Dunbar & Humphreys, ACM TOG 2006, made maximal);
2. within a level: dart throwing on a background grid of cells of side ``r_k/√2`` (each
   holds at most one point), then gap filling: a point of the torus farther than ``r_k``
   from every sample would be the centre of a Delaunay triangle with circumradius above
   ``r_k``, so while such triangles exist darts are thrown into their circumcircles (the
   circumcentre as a last resort);
3. within a level the new samples are ranked farthest-first from everything ranked before
   (greedy permutation; Gonzalez 1985; Eldar et al., IEEE TIP 1997).

A maximal Poisson-disk set reaches the random sequential adsorption jamming packing (about
0.547), i.e. a relative radius ρ = sqrt(0.547 / 0.9069) ≈ 0.78 (Lagae & Dutré, Computer
Graphics Forum 2008).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
from numba import njit
from scipy.spatial import Delaunay, cKDTree

from smpstudio._types import FloatArray, IntArray

__all__ = ["TILE_SIZE", "Tile", "default_tile", "default_tiles", "make_tile"]

TILE_SIZE = 65536
JAMMING = 0.547
_DARTS_PER_POINT = 30
_LEVEL_RATIO = 0.92  # each level's radius is 8 % smaller than the previous one
_FIRST_LEVEL_POINTS = 4
_TILE_SEED = 20261123
_TILE_FILE = "bluenoise-tile-65536.npy"
EXTRA_TILE_SEEDS: tuple[int, ...] = (20261124, 20261125, 20261126)
"""Seeds of the other shipped tiles (``bluenoise-tile-65536-<seed>.npy``)."""


@dataclass(frozen=True, eq=False)
class Tile:
    """Points on the unit torus, ``points[k]`` having rank ``k``."""

    points: FloatArray  # (M, 2) in [0, 1)
    radius: float  # Poisson-disk radius on the torus

    @property
    def size(self) -> int:
        return int(self.points.shape[0])

    def digest(self) -> str:
        return hashlib.sha256(np.ascontiguousarray(self.points).tobytes()).hexdigest()


@cache
def default_tile() -> Tile:
    """The shipped tile (``make_tile(TILE_SIZE, seed=20261123)``, checked by a test)."""
    with resources.files("smpstudio.dots").joinpath("data", _TILE_FILE).open("rb") as handle:
        points = np.load(handle)
    return Tile(np.ascontiguousarray(points, dtype=np.float64), radius_for(len(points)))


@cache
def default_tiles() -> tuple[Tile, ...]:
    """Every shipped tile: the default one first, then the others (``make_tile(65536,
    seed=s)`` for the seeds in :data:`EXTRA_TILE_SEEDS`)."""
    extra = []
    for s in EXTRA_TILE_SEEDS:
        name = f"bluenoise-tile-65536-{s}.npy"
        with resources.files("smpstudio.dots").joinpath("data", name).open("rb") as handle:
            points = np.load(handle)
        extra.append(Tile(np.ascontiguousarray(points, dtype=np.float64), radius_for(len(points))))
    return (default_tile(), *extra)


def radius_for(count: int) -> float:
    """Poisson-disk radius whose maximal set on the unit torus has about ``count`` points."""
    return 2.0 * math.sqrt(JAMMING / (math.pi * count))


def make_tile(count: int, *, seed: int = _TILE_SEED) -> Tile:
    """Build a ranked, hierarchically maximal Poisson-disk tile of about ``count`` points.

    >>> tile = make_tile(1024, seed=1)
    >>> 950 < tile.size < 1150 and tile.points.min() >= 0.0 and tile.points.max() < 1.0
    True
    """
    radius = radius_for(count)
    rng = np.random.default_rng(seed)
    points = np.zeros((0, 2))
    for level_radius in _level_radii(radius):
        new = _fill_level(points, level_radius, rng)
        start = _nearest_distances(new, points)
        points = np.concatenate([points, new[_greedy_permutation(new, start)]])
    return Tile(np.ascontiguousarray(points), radius)


def _level_radii(final: float) -> list[float]:
    """Radii from a handful of points down to ``final``, shrinking by ``_LEVEL_RATIO``."""
    radii = [final]
    while radii[-1] < radius_for(_FIRST_LEVEL_POINTS):
        radii.append(radii[-1] / _LEVEL_RATIO)
    return radii[::-1]


def _fill_level(existing: FloatArray, radius: float, rng: np.random.Generator) -> FloatArray:
    """New samples making ``existing`` maximal at ``radius`` (existing points stay)."""
    cells, side = _grid(radius)
    grid = np.full((cells, cells), -1, dtype=np.int64)
    out = np.empty((cells * cells, 2))
    out[: len(existing)] = existing
    for k, p in enumerate(existing):
        grid[int(p[0] / side) % cells, int(p[1] / side) % cells] = k
    expected = JAMMING / (math.pi * radius * radius / 4.0)
    darts = rng.random((int(_DARTS_PER_POINT * max(expected - len(existing), 1.0)), 2))
    count = _insert_darts(darts, radius, grid, side, out, len(existing))
    for _ in range(50):
        centres, radii = _empty_circles(out[:count], radius)
        if len(centres) == 0:
            return out[len(existing) : count].copy()
        count = _insert_darts(
            _darts_in_circles(centres, radii, rng), radius, grid, side, out, count
        )
    raise RuntimeError("gap filling did not converge")  # pragma: no cover - never seen


def _nearest_distances(points: FloatArray, others: FloatArray) -> FloatArray:
    """Torus distance from each point to the nearest of ``others`` (inf if there are none)."""
    if len(others) == 0:
        return np.full(len(points), np.inf)
    d, _ = cKDTree(others, boxsize=1.0).query(np.mod(points, 1.0))
    return np.asarray(d, dtype=np.float64)


# --------------------------------------------------------------------------- darts
def _grid(radius: float) -> tuple[int, float]:
    cells = math.floor(math.sqrt(2.0) / radius)
    return cells, 1.0 / cells


@njit(cache=True, nogil=True)
def _torus_d2(ax: float, ay: float, bx: float, by: float) -> float:
    dx = abs(ax - bx)
    dy = abs(ay - by)
    dx = min(dx, 1.0 - dx)
    dy = min(dy, 1.0 - dy)
    return dx * dx + dy * dy


@njit(cache=True, nogil=True)
def _insert_darts(
    darts: FloatArray, radius: float, grid: IntArray, side: float, out: FloatArray, count: int
) -> int:
    """Insert each dart that keeps every pair at least ``radius`` apart; return the count."""
    cells = grid.shape[0]
    r2 = radius * radius
    for k in range(darts.shape[0]):
        x, y = darts[k, 0], darts[k, 1]
        cx, cy = int(x / side) % cells, int(y / side) % cells
        if grid[cx, cy] >= 0:
            continue
        ok = True
        for i in range(-2, 3):
            for j in range(-2, 3):
                q = grid[(cx + i) % cells, (cy + j) % cells]
                if q >= 0 and _torus_d2(x, y, out[q, 0], out[q, 1]) < r2:
                    ok = False
                    break
            if not ok:
                break
        if ok:
            out[count, 0], out[count, 1] = x, y
            grid[cx, cy] = count
            count += 1
    return count


def _empty_circles(points: FloatArray, radius: float) -> tuple[FloatArray, FloatArray]:
    """Circumcircles (centre, radius) of Delaunay triangles wider than ``radius`` (torus)."""
    shifts = np.array([[i, j] for i in (-1, 0, 1) for j in (-1, 0, 1)], dtype=np.float64)
    margin = 4.0 * radius
    copies = []
    for s in shifts:
        q = points + s
        keep = np.all((q > -margin) & (q < 1.0 + margin), axis=1)
        copies.append(q[keep])
    cloud = np.concatenate(copies)
    tri = Delaunay(cloud)
    a, b, c = (cloud[tri.simplices[:, k]] for k in range(3))
    centres, radii = _circumcircles(a, b, c)
    inside = np.all((centres >= 0.0) & (centres < 1.0), axis=1)
    wide = inside & (radii > radius * (1.0 + 1e-12))
    return centres[wide], radii[wide]


def _circumcircles(a: FloatArray, b: FloatArray, c: FloatArray) -> tuple[FloatArray, FloatArray]:
    d = 2.0 * (
        a[:, 0] * (b[:, 1] - c[:, 1])
        + b[:, 0] * (c[:, 1] - a[:, 1])
        + c[:, 0] * (a[:, 1] - b[:, 1])
    )
    sa, sb, sc = (np.sum(p * p, axis=1) for p in (a, b, c))
    ux = (sa * (b[:, 1] - c[:, 1]) + sb * (c[:, 1] - a[:, 1]) + sc * (a[:, 1] - b[:, 1])) / d
    uy = (sa * (c[:, 0] - b[:, 0]) + sb * (a[:, 0] - c[:, 0]) + sc * (b[:, 0] - a[:, 0])) / d
    centres = np.column_stack([ux, uy])
    return centres, np.linalg.norm(centres - a, axis=1)


def _darts_in_circles(
    centres: FloatArray, radii: FloatArray, rng: np.random.Generator
) -> FloatArray:
    """Twenty uniform darts in each circle, then the circle's centre."""
    tries = 20
    angle = rng.uniform(0.0, 2.0 * math.pi, (len(centres), tries))
    dist = radii[:, None] * np.sqrt(rng.random((len(centres), tries)))
    darts = centres[:, None, :] + np.stack([dist * np.cos(angle), dist * np.sin(angle)], axis=-1)
    darts = np.concatenate([darts, centres[:, None, :]], axis=1).reshape(-1, 2)
    return np.asarray(np.mod(darts, 1.0), dtype=np.float64)


# --------------------------------------------------------------------------- ranking
@njit(cache=True, nogil=True)
def _heap_push(keys: FloatArray, vals: IntArray, size: int, key: float, val: int) -> int:
    i = size
    keys[i], vals[i] = key, val
    while i > 0:
        parent = (i - 1) // 2
        if keys[parent] > keys[i] or (keys[parent] == keys[i] and vals[parent] <= vals[i]):
            break
        keys[parent], keys[i] = keys[i], keys[parent]
        vals[parent], vals[i] = vals[i], vals[parent]
        i = parent
    return size + 1


@njit(cache=True, nogil=True)
def _heap_pop(keys: FloatArray, vals: IntArray, size: int) -> tuple[float, int, int]:
    key, val = keys[0], vals[0]
    size -= 1
    keys[0], vals[0] = keys[size], vals[size]
    i = 0
    while True:
        left, right, best = 2 * i + 1, 2 * i + 2, i
        for c in (left, right):
            if c < size and (
                keys[c] > keys[best] or (keys[c] == keys[best] and vals[c] < vals[best])
            ):
                best = c
        if best == i:
            break
        keys[best], keys[i] = keys[i], keys[best]
        vals[best], vals[i] = vals[i], vals[best]
        i = best
    return key, val, size


@njit(cache=True, nogil=True)
def _greedy_permutation_kernel(points: FloatArray, start: FloatArray, cells: int) -> IntArray:
    n = points.shape[0]
    side = 1.0 / cells
    counts = np.zeros(cells * cells + 1, dtype=np.int64)
    cell_of = np.empty(n, dtype=np.int64)
    for k in range(n):
        c = (int(points[k, 0] / side) % cells) * cells + int(points[k, 1] / side) % cells
        cell_of[k] = c
        counts[c + 1] += 1
    starts = np.cumsum(counts)
    members = np.empty(n, dtype=np.int64)
    fill = starts[:-1].copy()
    for k in range(n):
        members[fill[cell_of[k]]] = k
        fill[cell_of[k]] += 1
    dist = start.copy()
    taken = np.zeros(n, dtype=np.bool_)
    cap = 64 * n + 16
    keys = np.empty(cap)
    vals = np.empty(cap, dtype=np.int64)
    size = 0
    for k in range(n):
        size = _heap_push(keys, vals, size, dist[k], k)
    order = np.empty(n, dtype=np.int64)
    for rank in range(n):
        while True:
            key, i, size = _heap_pop(keys, vals, size)
            if not taken[i] and key == dist[i]:
                break
        taken[i] = True
        order[rank] = i
        reach = min(dist[i], 0.75)  # the first point (dist inf) reaches the whole torus
        span = min(math.ceil(reach / side), cells // 2)
        cx, cy = int(points[i, 0] / side) % cells, int(points[i, 1] / side) % cells
        for a in range(-span, span + 1):
            for b in range(-span, span + 1):
                c = ((cx + a) % cells) * cells + (cy + b) % cells
                for m in range(starts[c], starts[c + 1]):
                    q = members[m]
                    if taken[q]:
                        continue
                    d = math.sqrt(_torus_d2(points[i, 0], points[i, 1], points[q, 0], points[q, 1]))
                    if d < dist[q]:
                        dist[q] = d
                        if size >= cap:  # pragma: no cover - the heap is sized generously
                            raise RuntimeError("heap overflow")
                        size = _heap_push(keys, vals, size, d, q)
    return order


def _greedy_permutation(points: FloatArray, start: FloatArray) -> IntArray:
    """Farthest-first order of ``points`` given each one's distance to points ranked before."""
    cells = max(1, int(math.sqrt(len(points) / 4.0)))
    return _greedy_permutation_kernel(
        np.ascontiguousarray(points), np.ascontiguousarray(start), cells
    )
