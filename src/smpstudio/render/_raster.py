"""Rasterising the head for photoreal views: a z-buffered orthographic triangle rasteriser.

The head mesh's vertices lie on the exact surface and carry its exact normals; each pixel
receives the barycentric blend of its triangle's positions and normals (a 1 mm triangle
departs from the surface by a few micrometres). Far faster than ray casting at 4096².
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numba import njit

from smpstudio._types import BoolArray, Float32Array, FloatArray, IntArray
from smpstudio.head import HeadShape
from smpstudio.head._mesh import cube_sphere_directions
from smpstudio.head._views import View

__all__ = ["Frame", "Geometry", "rasterise"]

_MESH_SUBDIVISIONS = 160


@dataclass(frozen=True)
class Frame:
    """What an image shows: the view, the image-plane centre (mm) and half width (mm)."""

    view: View
    centre: tuple[float, float]
    half_extent_mm: float
    size: int

    @property
    def mm_per_px(self) -> float:
        return 2.0 * self.half_extent_mm / self.size

    def project(self, points: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Pixel column and row (continuous, pixel centres at .5) and depth of 3-D points."""
        p = np.asarray(points, dtype=np.float64)
        u = p @ self.view.right
        w = p @ np.asarray(self.view.up)
        col = (u - (self.centre[0] - self.half_extent_mm)) / self.mm_per_px
        row = ((self.centre[1] + self.half_extent_mm) - w) / self.mm_per_px
        return col, row, p @ np.asarray(self.view.forward)


@dataclass(frozen=True)
class Geometry:
    """Per-pixel surface position and unit normal (float32), and coverage of the head."""

    position: Float32Array  # (H, W, 3) float32
    normal: Float32Array  # (H, W, 3) float32
    hit: BoolArray  # (H, W)


@lru_cache(maxsize=4)
def _mesh(shape: HeadShape) -> tuple[FloatArray, FloatArray, IntArray]:
    directions, triangles = cube_sphere_directions(_MESH_SUBDIVISIONS)
    vertices = shape.project(directions)
    return vertices, shape.normal(vertices), triangles


def rasterise(shape: HeadShape, frame: Frame) -> Geometry:
    """Rasterise the head into ``frame``."""
    vertices, normals, triangles = _mesh(shape)
    col, row, depth = frame.project(vertices)
    screen = np.ascontiguousarray(np.column_stack([col, row, depth]))
    facing = normals @ np.asarray(frame.view.forward) < 0.0
    keep = facing[triangles].any(axis=1)
    position, normal, hit = _rasterise(
        screen,
        vertices.astype(np.float32),
        normals.astype(np.float32),
        np.ascontiguousarray(triangles[keep]),
        frame.size,
    )
    return Geometry(position, normal, hit)


@njit(cache=True)
def _rasterise(
    screen: FloatArray,
    vertices: Float32Array,
    normals: Float32Array,
    triangles: IntArray,
    size: int,
) -> tuple[Float32Array, Float32Array, BoolArray]:
    zbuf = np.full((size, size), np.inf, dtype=np.float32)
    position = np.zeros((size, size, 3), dtype=np.float32)
    normal = np.zeros((size, size, 3), dtype=np.float32)
    for t in range(triangles.shape[0]):
        a, b, c = triangles[t, 0], triangles[t, 1], triangles[t, 2]
        ax, ay, bx, by, cx, cy = (
            screen[a, 0],
            screen[a, 1],
            screen[b, 0],
            screen[b, 1],
            screen[c, 0],
            screen[c, 1],
        )
        area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
        if area == 0.0:
            continue
        x0 = max(math.floor(min(ax, bx, cx)), 0)
        x1 = min(math.ceil(max(ax, bx, cx)), size - 1)
        y0 = max(math.floor(min(ay, by, cy)), 0)
        y1 = min(math.ceil(max(ay, by, cy)), size - 1)
        inv = 1.0 / area
        for py in range(y0, y1 + 1):
            sy = py + 0.5
            for px in range(x0, x1 + 1):
                sx = px + 0.5
                w0 = ((bx - sx) * (cy - sy) - (by - sy) * (cx - sx)) * inv
                w1 = ((cx - sx) * (ay - sy) - (cy - sy) * (ax - sx)) * inv
                w2 = 1.0 - w0 - w1
                if w0 < -1e-9 or w1 < -1e-9 or w2 < -1e-9:
                    continue
                z = w0 * screen[a, 2] + w1 * screen[b, 2] + w2 * screen[c, 2]
                if z >= zbuf[py, px]:
                    continue
                zbuf[py, px] = z
                nx = w0 * normals[a, 0] + w1 * normals[b, 0] + w2 * normals[c, 0]
                ny = w0 * normals[a, 1] + w1 * normals[b, 1] + w2 * normals[c, 1]
                nz = w0 * normals[a, 2] + w1 * normals[b, 2] + w2 * normals[c, 2]
                norm = math.sqrt(nx * nx + ny * ny + nz * nz)
                normal[py, px, 0], normal[py, px, 1], normal[py, px, 2] = (
                    nx / norm,
                    ny / norm,
                    nz / norm,
                )
                for k in range(3):
                    position[py, px, k] = (
                        w0 * vertices[a, k] + w1 * vertices[b, k] + w2 * vertices[c, k]
                    )
    return position, normal, zbuf < np.inf
