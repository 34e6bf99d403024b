"""Variable-density blue noise in the unit square (the flat case of the engine)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from smpstudio._types import FloatArray, IntArray
from smpstudio.dots._placement import candidates_in, exact_counts, layout_for
from smpstudio.dots._tile import Tile, default_tile

__all__ = ["sample_plane", "sample_plane_sessions"]

_GRID = 256
_CELL_POINTS = 32  # expected points per count-correction cell
_BAND_CANDIDATES = 1_000_000  # candidates handled at once (bounds peak memory)


def sample_plane(
    density: Callable[[FloatArray], FloatArray] | None,
    n_target: int,
    *,
    seed: int = 0,
    density_max: float | None = None,
    tile: Tile | None = None,
) -> FloatArray:
    """About ``n_target`` blue-noise points in [0, 1)² following ``density``.

    Parameters
    ----------
    density
        Relative density: a function of an ``(M, 2)`` array of points returning ``(M,)``
        non-negative values; ``None`` for uniform.
    n_target
        Expected number of points.
    seed
        Seed of the tile's offset and orientation.
    density_max
        Upper bound of ``density`` (estimated on a 256 × 256 grid if omitted; places above
        it are served at this bound).
    tile
        The ranked tile (the shipped one by default).

    Returns
    -------
    (N, 2) array
        Points, ordered by tile copy and rank; the same inputs give the same points.

    Examples
    --------
    >>> pts = sample_plane(None, 10_000, seed=3)
    >>> 9_700 < len(pts) < 10_300
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
    tile = tile or default_tile()
    mean, peak = _mean_and_max(density)
    peak = density_max or peak
    if n_target <= 0 or peak <= 0.0:
        return np.zeros((0, 2)), np.zeros(0, dtype=np.int64)
    density_per_unit = n_target * peak / mean
    layout = layout_for(density_per_unit=density_per_unit, tile=tile, seed=seed)
    cells = max(1, round(math.sqrt(n_target / _CELL_POINTS)))
    if density is None:  # the whole tile at its own density: nothing to count
        expected = np.full((cells, cells), np.nan)
    else:
        expected = _cell_means(density, cells) * (n_target / mean / cells**2)
    rows = max(1, min(cells, int(cells * _BAND_CANDIDATES / density_per_unit)))
    points, sessions = [], []
    for first in range(0, cells, rows):
        last = min(cells, first + rows)
        cand = candidates_in(layout, (0.0, first / cells, 1.0, last / cells))
        if density is None:
            fraction = np.ones(len(cand.rank))
        else:
            fraction = np.asarray(density(cand.xy), dtype=np.float64) / peak
        grid = np.minimum((cand.xy * cells).astype(np.int64), cells - 1)
        cell = (grid[:, 1] - first) * cells + grid[:, 0]
        quota = expected[first:last].ravel()
        session = exact_counts(
            cand.rank / tile.size, fraction, cell, quota, seed=seed, salt=first, shares=shares
        )
        kept = session > 0
        points.append(cand.xy[kept])
        sessions.append(session[kept])
    return np.ascontiguousarray(np.concatenate(points)), np.concatenate(sessions)


def _cell_means(density: Callable[[FloatArray], FloatArray], cells: int) -> FloatArray:
    """Mean density of each cell, indexed [row, column] (2 × 2 midpoint rule)."""
    c = (np.arange(2 * cells) + 0.5) / (2 * cells)
    gx, gy = np.meshgrid(c, c)
    values = np.asarray(density(np.column_stack([gx.ravel(), gy.ravel()])), dtype=np.float64)
    return np.asarray(values.reshape(cells, 2, cells, 2).mean(axis=(1, 3)), dtype=np.float64)


def _mean_and_max(density: Callable[[FloatArray], FloatArray] | None) -> tuple[float, float]:
    if density is None:
        return 1.0, 1.0
    c = (np.arange(_GRID) + 0.5) / _GRID
    gx, gy = np.meshgrid(c, c)
    values = np.asarray(density(np.column_stack([gx.ravel(), gy.ravel()])), dtype=np.float64)
    if np.any(values < 0) or not np.all(np.isfinite(values)):
        raise ValueError("density must be finite and non-negative")
    return float(values.mean()), float(values.max())
