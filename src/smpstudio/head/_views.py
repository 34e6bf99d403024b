"""Orthographic views of the head: exact ray casting of the implicit surface.

The head's gauge function is convex, so along any ray it is convex too, and Newton's method
started outside the head (where the ray enters its bounding box) converges monotonically to
the first intersection, or proves a miss when the gauge stops decreasing above 1. The loop is
compiled (:mod:`smpstudio.head._kernels`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from smpstudio._types import BoolArray, FloatArray
from smpstudio.head import HeadShape
from smpstudio.head._kernels import intersect_rays, shape_params

__all__ = ["VIEW_NAMES", "View", "ViewHits", "cast_view", "view"]

VIEW_NAMES = ("front", "top", "left", "right", "back", "three-quarter")


@dataclass(frozen=True)
class View:
    """An orthographic camera: unit ``forward`` (into the scene), ``up`` and ``right``."""

    name: str
    forward: tuple[float, float, float]
    up: tuple[float, float, float]

    @property
    def right(self) -> FloatArray:
        r = np.cross(np.asarray(self.forward), np.asarray(self.up))
        return np.asarray(r / np.linalg.norm(r) + 0.0, dtype=np.float64)


def view(name: str) -> View:
    """The named view. ``left`` looks at the client's left side; ``top`` has the face up.

    >>> view("front").right.tolist()     # the client's left appears on the image's right
    [1.0, 0.0, 0.0]
    """
    c, s = math.cos(math.radians(35.0)), math.sin(math.radians(35.0))
    table = {
        "front": ((0.0, 0.0, -1.0), (0.0, 1.0, 0.0)),
        "back": ((0.0, 0.0, 1.0), (0.0, 1.0, 0.0)),
        "left": ((-1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
        "right": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
        "top": ((0.0, -1.0, 0.0), (0.0, 0.0, 1.0)),
        "three-quarter": ((-s, 0.0, -c), (0.0, 1.0, 0.0)),
    }
    if name not in table:
        raise ValueError(f"unknown view {name!r}: choose one of {', '.join(VIEW_NAMES)}")
    forward, up = table[name]
    return View(name, forward, up)


@dataclass(frozen=True)
class ViewHits:
    """Surface points seen through each pixel of an orthographic image."""

    points: FloatArray  # (H, W, 3), NaN where the ray misses
    hit: BoolArray  # (H, W)
    mm_per_px: float
    origin_uv: tuple[float, float]  # image-plane coordinates (mm) of pixel (0, 0)'s centre
    view: View

    def project(self, points: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Pixel column, row and depth of 3-D points."""
        v = self.view
        p = np.asarray(points, dtype=np.float64)
        u = p @ v.right
        w = p @ np.asarray(v.up)
        col = (u - self.origin_uv[0]) / self.mm_per_px
        row = (self.origin_uv[1] - w) / self.mm_per_px
        return col, row, p @ np.asarray(v.forward)


def cast_view(
    shape: HeadShape,
    which: View,
    *,
    size: int,
    centre: tuple[float, float] = (0.0, 0.0),
    half_extent_mm: float | None = None,
    iterations: int = 40,
) -> ViewHits:
    """Cast one ray per pixel of a ``size`` × ``size`` orthographic image.

    ``centre`` is the image-plane point (mm along ``right`` and ``up``) at the image centre and
    ``half_extent_mm`` half the image width; by default the whole head fits.
    """
    half = half_extent_mm or 1.08 * shape.bounding_radius
    mm_per_px = 2.0 * half / size
    coords = (np.arange(size) + 0.5) * mm_per_px - half
    u = centre[0] + coords
    w = centre[1] - coords
    right, up, fwd = which.right, np.asarray(which.up), np.asarray(which.forward)
    uu, ww = np.meshgrid(u, w)
    origins = uu[..., None] * right + ww[..., None] * up
    pts, hit = _intersect(shape, origins.reshape(-1, 3), fwd, iterations)
    points = np.where(hit[:, None], pts, np.nan).reshape(size, size, 3)
    return ViewHits(points, hit.reshape(size, size), mm_per_px, (float(u[0]), float(w[0])), which)


def _intersect(
    shape: HeadShape, origins: FloatArray, direction: FloatArray, iterations: int
) -> tuple[FloatArray, BoolArray]:
    t, hit = intersect_rays(
        np.ascontiguousarray(origins),
        np.ascontiguousarray(direction),
        shape_params(shape),
        iterations,
    )
    return origins + t[:, None] * direction, hit
