"""Building blocks of hair-loss patterns: regions of lost hair with soft edges.

Regions are written in two head angles (degrees), both independent of head size:

* ``alpha`` — rotation about the ear-to-ear (x) axis: 0 at the vertex, +90 straight ahead at
  the glabella plane, -90 straight back;
* ``beta`` — lateral angle from the midsagittal plane: 0 in the midline, ±90 at the ears.

Each region gives a *loss* in [0, 1] (1 = no hair left); a pattern's remaining-hair coverage
is ``1 - max(losses)``. The regions are declarations: :func:`pack_regions` turns them into the
arrays the compiled kernel (:mod:`smpstudio._kernels`) evaluates.

* :class:`Recession` — bald where ``alpha > A(|beta|)``; the signed distance to the edge is
  the angle difference times the distance from the ear-to-ear axis.
* :class:`Crown` — elliptical bald spot; distance ``(relative radius - 1) × smaller radius``.
* :class:`Oval` — graded thinning, ``level × (1 - smoothstep(plateau, 1, relative radius))``.
* :class:`Patch` — round alopecia areata patch, distance from the centre minus the radius.

Edges are soft: the loss goes from its level to 0 across ``edge_mm`` (Hermite smoothstep).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import PchipInterpolator

from smpstudio._types import FloatArray

__all__ = [
    "Crown",
    "Oval",
    "PackedRegions",
    "Patch",
    "Recession",
    "Region",
    "head_angles",
    "pack_regions",
    "smoothstep",
]

BETA_TABLE_SIZE = 8193  # |sin beta| = 0 … 1
_NO_RECESSION = 150.0  # an alpha threshold that no point reaches


def head_angles(points: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return ``(alpha, beta)`` in degrees for points ``(N, 3)``.

    >>> a, b = head_angles(np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]))
    >>> a.round(6).tolist(), b.round(6).tolist()
    ([0.0, 90.0, 0.0], [0.0, 0.0, 90.0])
    """
    p = np.asarray(points, dtype=np.float64)
    r = np.linalg.norm(p, axis=-1)
    alpha = np.degrees(np.arctan2(p[..., 2], p[..., 1]))
    beta = np.degrees(np.arcsin(np.clip(p[..., 0] / np.where(r > 0, r, 1.0), -1.0, 1.0)))
    return alpha, beta


def smoothstep(edge0: float | FloatArray, edge1: float | FloatArray, x: FloatArray) -> FloatArray:
    """Hermite step from 0 (x <= edge0) to 1 (x >= edge1)."""
    t = np.clip((np.asarray(x) - edge0) / (np.asarray(edge1) - edge0), 0.0, 1.0)
    return np.asarray(t * t * (3.0 - 2.0 * t), dtype=np.float64)


@dataclass(frozen=True)
class Recession:
    """Hair lost in front of a receding line: bald where ``alpha > A(|beta|)``.

    ``table`` gives ``(|beta|, A)`` pairs, joined by a monotone cubic; past the last
    ``|beta|`` nothing recedes. Frontal recession of Norwood 2–5, and with ``A`` far behind
    the vertex the whole top of Norwood 6–7 down to the side fringe.
    """

    table: tuple[tuple[float, float], ...]
    level: float = 1.0

    def thresholds(self, beta_abs: FloatArray) -> FloatArray:
        """``A(|beta|)`` in degrees."""
        betas = np.array([b for b, _ in self.table] + [self.table[-1][0] + 6.0])
        limits = np.array([a for _, a in self.table] + [_NO_RECESSION])
        values = PchipInterpolator(betas, limits, extrapolate=False)(beta_abs)
        return np.asarray(np.where(np.isnan(values), _NO_RECESSION, values), dtype=np.float64)


@dataclass(frozen=True)
class Crown:
    """Elliptical bald spot at the crown, centred in the midline at ``alpha``.

    ``radius_deg`` runs front to back, ``radius_deg * aspect`` side to side.
    """

    alpha: float
    radius_deg: float
    aspect: float = 0.85
    level: float = 1.0


@dataclass(frozen=True)
class Oval:
    """Graded thinning over an oval: loss ``level`` on the plateau (relative radius below
    ``plateau``), falling smoothly to 0 at the oval's edge (Ludwig, diffuse thinning)."""

    alpha: float
    radius_deg: float
    width_deg: float
    level: float
    plateau: float = 0.0


@dataclass(frozen=True)
class Patch:
    """Alopecia areata patch: round, sharply bordered, centred on a surface point."""

    centre: tuple[float, float, float]
    radius_mm: float
    border_mm: float = 3.0


Region = Recession | Crown | Oval | Patch


@dataclass(frozen=True)
class PackedRegions:
    """Regions as kernel arrays (see :func:`smpstudio._kernels.coverage_kernel`)."""

    rec_tab: FloatArray  # (n, BETA_TABLE_SIZE) alpha thresholds over |sin beta| = 0 … 1
    rec_level: FloatArray  # (n,)
    crowns: FloatArray  # (n, 4) alpha, radius front-back, radius side-side, level
    ovals: FloatArray  # (n, 5) alpha, radius, width, level, plateau
    patches: FloatArray  # (n, 5) x, y, z, radius, border


def pack_regions(regions: tuple[Region, ...]) -> PackedRegions:
    """Turn region declarations into the flat arrays the kernel reads."""
    betas = np.degrees(np.arcsin(np.linspace(0.0, 1.0, BETA_TABLE_SIZE)))
    recs = [r for r in regions if isinstance(r, Recession)]
    crowns = [r for r in regions if isinstance(r, Crown)]
    ovals = [r for r in regions if isinstance(r, Oval)]
    patches = [r for r in regions if isinstance(r, Patch)]
    return PackedRegions(
        rec_tab=_rows([r.thresholds(betas) for r in recs], BETA_TABLE_SIZE),
        rec_level=np.array([r.level for r in recs], dtype=np.float64),
        crowns=_rows(
            [[c.alpha, c.radius_deg, c.radius_deg * c.aspect, c.level] for c in crowns], 4
        ),
        ovals=_rows([[o.alpha, o.radius_deg, o.width_deg, o.level, o.plateau] for o in ovals], 5),
        patches=_rows([[*p.centre, p.radius_mm, p.border_mm] for p in patches], 5),
    )


def _rows(rows: list[FloatArray] | list[list[float]], width: int) -> FloatArray:
    if not rows:
        return np.zeros((0, width))
    return np.ascontiguousarray(np.asarray(rows, dtype=np.float64).reshape(len(rows), width))
