"""Void-and-cluster dither mask (Ulichney, "The void-and-cluster method for dither array
generation", SPIE 1913, 1993): a reference implementation for the tile/mask peer of the
dots benchmark. No maintained, installable implementation exists on PyPI (searched
2026-12-07), so it lives here, in the benchmarks only.

A ``size × size`` toroidal mask of ranks: thresholding it at a grey level ``g`` turns on
about ``g × size²`` pixels spread as blue noise. As a point sampler, the mask is tiled over
a pixel grid whose densest place sits at ``LEVEL`` grey, with a seeded offset, and every
pixel centre whose density share exceeds its threshold is a point.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache

import numpy as np

SIZE = 128
SIGMA = 1.5
LEVEL = 0.5  # grey level of the densest place (a full mask would be a square grid)
_INITIAL = 0.1


def _kernel(size: int, sigma: float) -> np.ndarray:
    d = np.minimum(np.arange(size), size - np.arange(size)).astype(np.float64)
    g = np.exp(-(d[:, None] ** 2 + d[None, :] ** 2) / (2 * sigma**2))
    return g


class _Energy:
    def __init__(self, pattern: np.ndarray, kernel: np.ndarray) -> None:
        self.kernel = kernel
        self.k_hat = np.fft.rfft2(kernel)
        self.value = np.fft.irfft2(
            np.fft.rfft2(pattern.astype(np.float64)) * self.k_hat, s=pattern.shape
        )

    def add(self, y: int, x: int, sign: float) -> None:
        self.value += sign * np.roll(np.roll(self.kernel, y, axis=0), x, axis=1)


def _tightest(energy: _Energy, pattern: np.ndarray, value: bool) -> tuple[int, int]:
    masked = np.where(pattern == value, energy.value, -np.inf if value else np.inf)
    flat = np.argmax(masked) if value else np.argmin(masked)
    return int(flat // pattern.shape[1]), int(flat % pattern.shape[1])


@cache
def mask(size: int = SIZE, seed: int = 1) -> np.ndarray:
    """Thresholds in (0, 1): ``(rank + 0.5) / size²``."""
    rng = np.random.default_rng(seed)
    kernel = _kernel(size, SIGMA)
    pattern = np.zeros((size, size), dtype=bool)
    ones = int(_INITIAL * size * size)
    pattern.flat[rng.choice(size * size, ones, replace=False)] = True
    energy = _Energy(pattern, kernel)
    while True:  # spread the initial pattern: move the tightest cluster to the largest void
        y, x = _tightest(energy, pattern, True)
        pattern[y, x] = False
        energy.add(y, x, -1.0)
        vy, vx = _tightest(energy, pattern, False)
        pattern[vy, vx] = True
        energy.add(vy, vx, 1.0)
        if (vy, vx) == (y, x):
            break
    rank = np.zeros((size, size), dtype=np.int64)
    start = pattern.copy()
    work, e = start.copy(), _Energy(start, kernel)
    for r in range(ones - 1, -1, -1):  # phase 1: remove tightest clusters
        y, x = _tightest(e, work, True)
        work[y, x] = False
        e.add(y, x, -1.0)
        rank[y, x] = r
    work, e = start.copy(), _Energy(start, kernel)
    for r in range(ones, size * size):  # phases 2 and 3: fill the largest voids
        y, x = _tightest(e, work, False)
        work[y, x] = True
        e.add(y, x, 1.0)
        rank[y, x] = r
    return (rank + 0.5) / (size * size)


def sample(
    density: Callable[[np.ndarray], np.ndarray] | None,
    n: int,
    seed: int,
    *,
    mean: float = 1.0,
    peak: float = 1.0,
) -> np.ndarray:
    """About ``n`` points: the tiled mask thresholded against the density's share."""
    thresholds = mask()
    res = max(1, round(math.sqrt(n * peak / (mean * LEVEL))))
    rng = np.random.default_rng(seed)
    oy, ox = rng.integers(SIZE, size=2)
    iy, ix = np.divmod(np.arange(res * res), res)
    t = thresholds[(iy + oy) % SIZE, (ix + ox) % SIZE]
    if density is None:
        keep = t < LEVEL
        return np.column_stack([ix[keep] + 0.5, iy[keep] + 0.5]) / res
    centres = np.column_stack([ix + 0.5, iy + 0.5]) / res
    keep = t < LEVEL * density(centres) / peak
    return centres[keep]
