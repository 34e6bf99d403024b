"""Quality measures of dot sets, flat and on the head.

* relative radius ρ = d_min / d_max with d_max = sqrt(2 A / (√3 N)), the spacing of the
  hexagonal packing of N points in area A (Lagae & Dutré, "A comparison of methods for
  generating Poisson disk distributions", Computer Graphics Forum 27(1), 2008): about 0.75
  for maximal Poisson-disk sets, 1 for a hexagonal lattice, near 0 for white noise;
* its local form on the skin: each dot's nearest-neighbour distance over the hexagonal
  spacing of the target density, taking the denser of the two dots;
* coefficient of variation of nearest-neighbour distances;
* relative L1 density error: Σ |count − target| / N over cells;
* radially averaged power spectrum (periodogram on the integer frequencies of the unit
  square, as in the shared peer benchmark).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.spatial import cKDTree

from smpstudio._types import FloatArray

if TYPE_CHECKING:
    from smpstudio._design import Design

__all__ = [
    "LocalSpacing",
    "density_error",
    "local_spacing",
    "most_repeated_translation",
    "nn_cv",
    "radial_spectrum",
    "relative_radius",
    "surface_density_error",
]


def _hex_spacing(count: int, area: float) -> float:
    return math.sqrt(2.0 * area / (math.sqrt(3.0) * count))


def relative_radius(points: FloatArray, *, area: float = 1.0) -> float:
    """ρ = d_min / d_max of a flat set (``area`` of its domain, the unit square by default).

    >>> side = np.arange(10) / 10.0
    >>> grid = np.column_stack([np.repeat(side, 10), np.tile(side, 10)])
    >>> round(relative_radius(grid), 3)        # a square grid: 0.1 / 0.1075
    0.931
    """
    pts = np.asarray(points, dtype=np.float64)
    if len(pts) < 2:
        return float("nan")
    d, _ = cKDTree(pts).query(pts, k=2)
    return float(d[:, 1].min() / _hex_spacing(len(pts), area))


def nn_cv(points: FloatArray) -> float:
    """Coefficient of variation (std / mean) of nearest-neighbour distances."""
    pts = np.asarray(points, dtype=np.float64)
    d, _ = cKDTree(pts).query(pts, k=2)
    nn = d[:, 1]
    return float(nn.std() / nn.mean())


@dataclass(frozen=True)
class LocalSpacing:
    """Per-dot relative radius on the skin, and its summary."""

    rho: FloatArray  # nearest-neighbour distance / hexagonal spacing of the target density

    @property
    def minimum(self) -> float:
        return float(self.rho.min()) if len(self.rho) else float("nan")

    @property
    def p01(self) -> float:
        return float(np.percentile(self.rho, 1)) if len(self.rho) else float("nan")

    @property
    def median(self) -> float:
        return float(np.median(self.rho)) if len(self.rho) else float("nan")


def local_spacing(positions: FloatArray, density_per_cm2: FloatArray) -> LocalSpacing:
    """Local relative radius of dots on the skin for a target density at each dot.

    Each dot's nearest-neighbour distance (mm) is divided by the hexagonal spacing of the
    denser target of the pair, so a dot beside a denser zone is judged by that zone.

    >>> a = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    >>> local_spacing(a, np.array([100.0, 100.0])).rho.round(3).tolist()  # 1 mm at 1/mm²
    [0.931, 0.931]
    """
    pts = np.asarray(positions, dtype=np.float64)
    if len(pts) < 2:
        return LocalSpacing(np.zeros(0))
    d, idx = cKDTree(pts).query(pts, k=2)
    density = np.maximum(density_per_cm2, density_per_cm2[idx[:, 1]]) / 100.0
    hex_spacing = np.sqrt(2.0 / (math.sqrt(3.0) * density))
    return LocalSpacing(np.asarray(d[:, 1] / hex_spacing, dtype=np.float64))


def density_error(
    points: FloatArray,
    density: Callable[[FloatArray], FloatArray],
    *,
    bins: int = 32,
    fine: int = 32,
) -> float:
    """Relative L1 error of a flat set against a density on the unit square:
    ``Σ |count − N × share| / N`` over ``bins × bins`` cells, each target share integrated
    on a ``fine × fine`` grid inside the cell."""
    pts = np.asarray(points, dtype=np.float64)
    n = len(pts)
    c = (np.arange(bins * fine) + 0.5) / (bins * fine)
    gx, gy = np.meshgrid(c, c)
    grid = np.asarray(density(np.column_stack([gx.ravel(), gy.ravel()])), dtype=np.float64)
    share = grid.reshape(bins, fine, bins, fine).mean(axis=(1, 3))
    share /= share.sum()
    clipped = np.clip(pts, 0.0, 1.0 - 1e-12)
    counts, _, _ = np.histogram2d(clipped[:, 1], clipped[:, 0], bins=bins, range=[[0, 1], [0, 1]])
    return float(np.abs(counts - n * share).sum() / n)


def radial_spectrum(
    points: FloatArray, *, max_frequency: float = 1.6
) -> tuple[FloatArray, FloatArray]:
    """Radially averaged periodogram of a set in the unit square.

    ``P(k) = |Σ exp(−2πi k·x)|² / N`` on integer frequencies, averaged over rings of width 1;
    returns the ring frequencies in units of √N (1 ≈ the mean spacing) and the mean power
    (white noise ≈ 1; blue noise is low below 1 and peaks just above it).
    """
    pts = np.asarray(points, dtype=np.float64)
    n = len(pts)
    scale = math.sqrt(n)
    k_max = int(max_frequency * scale) + 2
    kx = np.arange(-k_max, k_max + 1)
    ky = np.arange(0, k_max + 1)
    ex = np.exp(-2j * np.pi * np.outer(kx, pts[:, 0] - 0.5))
    ey = np.exp(-2j * np.pi * np.outer(pts[:, 1] - 0.5, ky))
    power = np.abs(ex @ ey) ** 2 / n
    gx, gy = np.meshgrid(kx, ky, indexing="ij")
    radius = np.hypot(gx, gy)
    half = (gy > 0) | ((gy == 0) & (gx > 0))
    ring = np.floor(radius[half]).astype(np.int64)
    sums = np.bincount(ring, power[half])
    counts = np.bincount(ring)
    keep = (counts > 0) & (np.arange(len(counts)) > 0)
    freq = np.arange(len(counts))[keep] / scale
    spectrum = sums[keep] / counts[keep]
    inside = freq <= max_frequency
    return np.asarray(freq[inside], dtype=np.float64), np.asarray(
        spectrum[inside], dtype=np.float64
    )


def surface_density_error(
    positions: FloatArray, design: Design, *, share: float = 1.0, cell: float = 0.1
) -> float:
    """Relative L1 error of dots on the head against ``share`` × the design's final density.

    Dots are binned in squares of the scalp chart (``cell`` chart units, about 1 cm at the
    vertex); each square's target is the density integrated over it with an 8 × 8 midpoint
    rule through the chart's area factor.
    """
    from smpstudio.dots._chart import chart_of, to_chart

    chart = chart_of(design.head)
    uv = to_chart(positions)
    low = np.floor(uv.min(axis=0) / cell) - 2
    high = np.ceil(uv.max(axis=0) / cell) + 2
    n_u, n_v = int(high[0] - low[0]), int(high[1] - low[1])
    sub = 8
    offsets = (np.arange(sub) + 0.5) / sub
    gu = (low[0] + np.arange(n_u)[:, None] + offsets[None, :]).ravel() * cell
    gv = (low[1] + np.arange(n_v)[:, None] + offsets[None, :]).ravel() * cell
    mu, mv = np.meshgrid(gu, gv, indexing="ij")
    points, jac = chart.to_surface(np.column_stack([mu.ravel(), mv.ravel()]))
    rate = design.field.sample(points, lazy=True).density / 100.0 * jac * share
    expected = rate.reshape(n_u, sub, n_v, sub).sum(axis=(1, 3)) * (cell / sub) ** 2
    iu = np.clip((np.floor(uv[:, 0] / cell) - low[0]).astype(np.int64), 0, n_u - 1)
    iv = np.clip((np.floor(uv[:, 1] / cell) - low[1]).astype(np.int64), 0, n_v - 1)
    counts = np.bincount(iu * n_v + iv, minlength=n_u * n_v).reshape(n_u, n_v)
    return float(np.abs(counts - expected).sum() / max(len(positions), 1))


def most_repeated_translation(points: FloatArray, *, probes: int = 200, reach: float) -> int:
    """How many of ``probes`` points (drawn with a fixed seed) share one exact translation,
    to 1e-8, to another point within ``reach``: about ``probes`` for a periodic set, a few
    for an aperiodic one."""
    rng = np.random.default_rng(0)
    tree = cKDTree(points)
    keys = []
    for p in points[rng.choice(len(points), probes, replace=False)]:
        near = points[tree.query_ball_point(p, reach)] - p
        k = np.round(near * 1e8).astype(np.int64)
        keys.append((k[:, 0] << 31) + k[:, 1])
    flat = np.concatenate(keys)
    _, counts = np.unique(flat[flat != 0], return_counts=True)
    return int(counts.max())
