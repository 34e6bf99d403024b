"""Rasterising the head for photoreal views: a z-buffered orthographic triangle rasteriser.

The mesh is the head as a person (:func:`smpstudio.head._face.face_mesh`): the MakeHuman
face, ears and neck, its cranium snapped onto the design surface, where its vertices carry
the surface's exact normals. Each pixel receives the barycentric blend of its triangle's
positions and normals (a 3 mm triangle of the scalp departs from the surface by about
10 µm). Far faster than ray casting at 4096².
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
from numba import njit, prange

from smpstudio._types import BoolArray, Float32Array, FloatArray, IntArray
from smpstudio.head import HeadShape
from smpstudio.head._face import face_mesh
from smpstudio.head._views import View

Int32Array: TypeAlias = npt.NDArray[np.int32]

__all__ = ["Frame", "Geometry", "Visibility", "rasterise", "visibility"]


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


@dataclass(frozen=True)
class Visibility:
    """Which mesh triangle each pixel sees (a visibility buffer): 4 bytes a pixel instead of
    the 25 of :class:`Geometry`; the shading pass interpolates position and normal itself.

    ``triangle`` is the row of ``triangles`` seen through each pixel, -1 for none;
    ``screen`` the vertices' pixel column, row and depth; ``attributes`` the vertices' lip
    weight, distance from an eye's axis (mm, -1 off the eyes) and crease depth.
    """

    triangle: Int32Array  # (H, W)
    screen: FloatArray  # (V, 3)
    vertices: Float32Array  # (V, 3)
    normals: Float32Array  # (V, 3)
    triangles: IntArray  # (T, 3)
    attributes: Float32Array  # (V, 3)


def _mesh(shape: HeadShape) -> tuple[FloatArray, FloatArray, IntArray]:
    mesh = face_mesh(shape)
    return mesh.vertices, mesh.normals, mesh.triangles


@lru_cache(maxsize=4)
def _mesh32(shape: HeadShape) -> tuple[Float32Array, Float32Array, Float32Array]:
    mesh = face_mesh(shape)
    attributes = np.column_stack([mesh.lips, mesh.iris_mm, mesh.crease])
    return (
        mesh.vertices.astype(np.float32),
        mesh.normals.astype(np.float32),
        np.ascontiguousarray(attributes, dtype=np.float32),
    )


def visibility(shape: HeadShape, frame: Frame) -> Visibility:
    """The visibility buffer of the head in ``frame`` (z-buffered, front faces only)."""
    vertices, normals, triangles = _mesh(shape)
    vertices32, normals32, attributes = _mesh32(shape)
    col, row, depth = frame.project(vertices)
    screen = np.ascontiguousarray(np.column_stack([col, row, depth]))
    facing = normals @ np.asarray(frame.view.forward) < 0.0
    kept = np.ascontiguousarray(triangles[facing[triangles].any(axis=1)])
    seen = _visible(screen, kept, frame.size)
    return Visibility(seen, screen, vertices32, normals32, kept, attributes)


def rasterise(shape: HeadShape, frame: Frame) -> Geometry:
    """Rasterise the head into ``frame``: surface point and normal of every pixel."""
    v = visibility(shape, frame)
    position, normal = _resolve(v.triangle, v.screen, v.vertices, v.normals, v.triangles)
    return Geometry(position, normal, v.triangle >= 0)


@njit(cache=True, inline="always")
def barycentric(
    screen: FloatArray, a: int, b: int, c: int, px: int, py: int
) -> tuple[float, float, float]:
    """Barycentric weights of pixel centre (px, py) in triangle (a, b, c) (the rasteriser's
    arithmetic, so that a shading pass reproduces its values exactly)."""
    ax, ay, bx, by, cx, cy = (
        screen[a, 0],
        screen[a, 1],
        screen[b, 0],
        screen[b, 1],
        screen[c, 0],
        screen[c, 1],
    )
    area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
    inv = 1.0 / area
    sx, sy = px + 0.5, py + 0.5
    w0 = ((bx - sx) * (cy - sy) - (by - sy) * (cx - sx)) * inv
    w1 = ((cx - sx) * (ay - sy) - (cy - sy) * (ax - sx)) * inv
    return w0, w1, 1.0 - w0 - w1


@njit(cache=True, inline="always")
def surface_at(
    vertices: Float32Array,
    normals: Float32Array,
    a: int,
    b: int,
    c: int,
    w0: float,
    w1: float,
    w2: float,
) -> tuple[float, float, float, float, float, float]:
    """Interpolated position and unit normal, rounded to float32 as the rasteriser stores
    them."""
    nx = w0 * normals[a, 0] + w1 * normals[b, 0] + w2 * normals[c, 0]
    ny = w0 * normals[a, 1] + w1 * normals[b, 1] + w2 * normals[c, 1]
    nz = w0 * normals[a, 2] + w1 * normals[b, 2] + w2 * normals[c, 2]
    norm = math.sqrt(nx * nx + ny * ny + nz * nz)
    x = w0 * vertices[a, 0] + w1 * vertices[b, 0] + w2 * vertices[c, 0]
    y = w0 * vertices[a, 1] + w1 * vertices[b, 1] + w2 * vertices[c, 1]
    z = w0 * vertices[a, 2] + w1 * vertices[b, 2] + w2 * vertices[c, 2]
    return (
        float(np.float32(x)),
        float(np.float32(y)),
        float(np.float32(z)),
        float(np.float32(nx / norm)),
        float(np.float32(ny / norm)),
        float(np.float32(nz / norm)),
    )


_BAND_ROWS = 64


@njit(cache=True, parallel=True, nogil=True)
def _visible(screen: FloatArray, triangles: IntArray, size: int) -> Int32Array:
    """Z-buffer the triangles: the index of the nearest one covering each pixel centre.

    The frame is cut into bands of rows, each rasterised by one thread with the triangles
    overlapping it in their given order (the first of equally near triangles wins), so
    any thread count gives the same buffer."""
    n = triangles.shape[0]
    bands = (size + _BAND_ROWS - 1) // _BAND_ROWS
    counts = np.zeros(bands + 1, dtype=np.int64)
    rows = np.empty((n, 2), dtype=np.int64)
    for t in range(n):
        a, b, c = triangles[t, 0], triangles[t, 1], triangles[t, 2]
        y0 = max(math.floor(min(screen[a, 1], screen[b, 1], screen[c, 1])), 0)
        y1 = min(math.ceil(max(screen[a, 1], screen[b, 1], screen[c, 1])), size - 1)
        rows[t, 0], rows[t, 1] = y0, y1
        if y1 >= y0:
            for band in range(y0 // _BAND_ROWS, y1 // _BAND_ROWS + 1):
                counts[band + 1] += 1
    starts = np.cumsum(counts)
    fill = starts[:-1].copy()
    order = np.empty(starts[-1], dtype=np.int64)
    for t in range(n):
        if rows[t, 1] >= rows[t, 0]:
            for band in range(rows[t, 0] // _BAND_ROWS, rows[t, 1] // _BAND_ROWS + 1):
                order[fill[band]] = t
                fill[band] += 1
    seen = np.full((size, size), -1, dtype=np.int32)
    for band in prange(bands):
        top = band * _BAND_ROWS
        bottom = min(top + _BAND_ROWS, size) - 1
        zbuf = np.full((bottom - top + 1, size), np.inf, dtype=np.float32)
        for j in range(starts[band], starts[band + 1]):
            t = order[j]
            a, b, c = triangles[t, 0], triangles[t, 1], triangles[t, 2]
            ax, ay, bx, by, cx, cy = (
                screen[a, 0],
                screen[a, 1],
                screen[b, 0],
                screen[b, 1],
                screen[c, 0],
                screen[c, 1],
            )
            az, bz, cz = screen[a, 2], screen[b, 2], screen[c, 2]
            area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
            if area == 0.0:
                continue
            x0 = max(math.floor(min(ax, bx, cx)), 0)
            x1 = min(math.ceil(max(ax, bx, cx)), size - 1)
            inv = 1.0 / area
            for py in range(max(rows[t, 0], top), min(rows[t, 1], bottom) + 1):
                sy = py + 0.5
                for px in range(x0, x1 + 1):
                    sx = px + 0.5
                    w0 = ((bx - sx) * (cy - sy) - (by - sy) * (cx - sx)) * inv
                    if w0 < -1e-9:
                        continue
                    w1 = ((cx - sx) * (ay - sy) - (cy - sy) * (ax - sx)) * inv
                    w2 = 1.0 - w0 - w1
                    if w1 < -1e-9 or w2 < -1e-9:
                        continue
                    z = w0 * az + w1 * bz + w2 * cz
                    if z >= zbuf[py - top, px]:
                        continue
                    zbuf[py - top, px] = z
                    seen[py, px] = t
    return seen


@njit(cache=True, parallel=True, nogil=True)
def _resolve(
    seen: Int32Array,
    screen: FloatArray,
    vertices: Float32Array,
    normals: Float32Array,
    triangles: IntArray,
) -> tuple[Float32Array, Float32Array]:
    size = seen.shape[0]
    position = np.zeros((size, size, 3), dtype=np.float32)
    normal = np.zeros((size, size, 3), dtype=np.float32)
    for py in prange(size):
        for px in range(size):
            t = seen[py, px]
            if t < 0:
                continue
            a, b, c = triangles[t, 0], triangles[t, 1], triangles[t, 2]
            w0, w1, w2 = barycentric(screen, a, b, c, px, py)
            x, y, z, nx, ny, nz = surface_at(vertices, normals, a, b, c, w0, w1, w2)
            position[py, px, 0], position[py, px, 1], position[py, px, 2] = x, y, z
            normal[py, px, 0], normal[py, px, 1], normal[py, px, 2] = nx, ny, nz
    return position, normal
