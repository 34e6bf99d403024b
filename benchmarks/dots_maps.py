"""Density maps for the dots benchmarks: the shared ramp + bump, and a scalp-shaped map.

The scalp map is what SMP designs look like in the unit square (front at y = 0): bare skin
before a sharp, wavy hairline; a feathered band behind it rising from 45 % to full density;
full density over most of the area; a crown at 60 %; and a zero-density scar line (a strip
about one impression spacing wide at 10^5 points). Most of its mass is at the maximum.
"""

from __future__ import annotations

import numpy as np

SCAR_HALF_WIDTH = 0.0015


def ramp_bump(xy: np.ndarray) -> np.ndarray:
    """Linear ramp in x plus a radial Gaussian bump (max/min about 8.8)."""
    x, y = xy[:, 0], xy[:, 1]
    return 0.25 + 0.75 * x + 1.5 * np.exp(-((x - 0.62) ** 2 + (y - 0.58) ** 2) / (2 * 0.11**2))


def hairline_y(x: np.ndarray) -> np.ndarray:
    """The wavy hairline: y of the step at each x."""
    return 0.12 + 0.025 * np.sin(2 * np.pi * 2.5 * x) + 0.008 * np.sin(2 * np.pi * 11 * x + 1.0)


def scalp(xy: np.ndarray) -> np.ndarray:
    """Scalp-shaped relative density in [0, 1] (1 = full density)."""
    x, y = xy[:, 0], xy[:, 1]
    depth = y - hairline_y(x)
    feather = np.clip(0.45 + 0.55 * depth / 0.08, 0.45, 1.0)
    out = np.where(depth < 0.0, 0.0, feather)
    crown = (x - 0.55) ** 2 + (y - 0.78) ** 2 < 0.11**2
    out = np.where(crown, 0.6, out)
    # a scar line from (0.15, 0.55) to (0.85, 0.42)
    ax, ay, bx, by = 0.15, 0.55, 0.85, 0.42
    t = np.clip(
        ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2), 0, 1
    )
    dist = np.hypot(x - (ax + t * (bx - ax)), y - (ay + t * (by - ay)))
    return np.asarray(np.where(dist < SCAR_HALF_WIDTH, 0.0, out), dtype=np.float64)


SCALP_MAX = 1.0
RAMP_MAX = 1.05 * float(
    ramp_bump(
        np.column_stack(
            [
                np.repeat((np.arange(512) + 0.5) / 512, 512),
                np.tile((np.arange(512) + 0.5) / 512, 512),
            ]
        )
    ).max()
)
