"""Triangle mesh of the head surface and surface-area integrals computed two ways."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from smpstudio._types import FloatArray, IntArray
from smpstudio.head._surface import HeadShape

__all__ = ["PointWeight", "SurfaceMesh", "cube_sphere_directions", "mesh_area", "monte_carlo_area"]

PointWeight = Callable[[FloatArray], FloatArray]
"""Maps surface points ``(N, 3)`` to weights ``(N,)`` in [0, 1] (1 = inside a region)."""

_CUBE_FACES = (  # (normal axis, sign): six faces of the cube
    (0, 1.0),
    (0, -1.0),
    (1, 1.0),
    (1, -1.0),
    (2, 1.0),
    (2, -1.0),
)


def cube_sphere_directions(subdivisions: int) -> tuple[FloatArray, IntArray]:
    """Unit directions of a cube-sphere grid and its triangles (faces are not welded).

    The face grid is warped with ``tan`` so that cells subtend nearly equal solid angles.
    """
    m = subdivisions
    s = np.tan(np.linspace(-math.pi / 4, math.pi / 4, m + 1))
    u, v = np.meshgrid(s, s, indexing="ij")
    blocks = []
    for axis, sign in _CUBE_FACES:
        d = np.empty((m + 1, m + 1, 3))
        d[..., axis] = sign
        others = [i for i in range(3) if i != axis]
        d[..., others[0]] = u * sign
        d[..., others[1]] = v
        blocks.append(d.reshape(-1, 3))
    dirs = np.concatenate(blocks)
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    i, j = np.meshgrid(np.arange(m), np.arange(m), indexing="ij")
    a = (i * (m + 1) + j).ravel()
    b, c, d_ = a + (m + 1), a + (m + 2), a + 1
    face_tris = np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d_], 1)])
    offsets = np.arange(6)[:, None, None] * (m + 1) ** 2
    tris = (face_tris[None] + offsets).reshape(-1, 3)
    return dirs, tris.astype(np.int64)


@dataclass(frozen=True)
class SurfaceMesh:
    """Triangulated head surface (vertices on the exact surface)."""

    vertices: FloatArray
    triangles: IntArray

    @classmethod
    def of(cls, shape: HeadShape, *, subdivisions: int = 160) -> SurfaceMesh:
        dirs, tris = cube_sphere_directions(subdivisions)
        return cls(vertices=shape.project(dirs), triangles=tris)

    @cached_property
    def triangle_areas(self) -> FloatArray:
        p = self.vertices[self.triangles]
        cross = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
        return np.asarray(0.5 * np.linalg.norm(cross, axis=1), dtype=np.float64)

    @cached_property
    def centroids(self) -> FloatArray:
        """Triangle centroids (slightly inside the surface; project before evaluating fields)."""
        return np.asarray(self.vertices[self.triangles].mean(axis=1), dtype=np.float64)


def mesh_area(shape: HeadShape, weight: PointWeight, *, subdivisions: int = 160) -> float:
    """Area (mm²) of a weighted region: the sum of triangle areas times the weight at each
    triangle's centroid projected onto the surface."""
    mesh = SurfaceMesh.of(shape, subdivisions=subdivisions)
    w = weight(shape.project(mesh.centroids))
    return float(np.dot(mesh.triangle_areas, w))


def monte_carlo_area(
    shape: HeadShape, weight: PointWeight, *, samples: int = 1_000_000, seed: int = 0
) -> tuple[float, float]:
    """Area (mm²) of a weighted region by Monte Carlo over uniform random directions.

    Each direction ``d`` carries ``4 pi dA/dOmega(d) / samples`` of area. Returns the
    estimate and its standard error.
    """
    rng = np.random.default_rng(seed)
    total, sq, done = 0.0, 0.0, 0
    while done < samples:
        k = min(250_000, samples - done)
        d = rng.standard_normal((k, 3))
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        contrib = 4.0 * math.pi * shape.area_density(d) * weight(shape.project(d))
        total += float(contrib.sum())
        sq += float(np.square(contrib).sum())
        done += k
    mean = total / samples
    var = max(sq / samples - mean * mean, 0.0)
    return mean, math.sqrt(var / samples)
