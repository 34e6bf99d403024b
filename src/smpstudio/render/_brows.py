"""The client's eyebrows: short hairs in his hair colour lying on the brow ridge.

Brow hairs (about 220 a cm² where the brow is full, drawn 7–10 mm long and 0.1 mm thick so
that the brow reads at page scale) grow up and out at the head of the brow and lie flatter
toward its tail, pointing away from the midline [U].
They are drawn like the cut stubble (:func:`~._kernels.cover_bands`), but into the skin:
nothing is ever placed on a brow.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from smpstudio._rng import rng_for
from smpstudio._types import BoolArray, Float32Array, FloatArray, IntArray
from smpstudio.head import HeadShape
from smpstudio.head._face import face_mesh
from smpstudio.render._kernels import cover_bands, prepare_splats
from smpstudio.render._raster import Frame, Visibility

__all__ = ["draw_brows"]

_DENSITY_PER_MM2 = 2.2
_LENGTH_MM = (7.0, 10.0)
_WIDTH_MM = 0.1
_OPACITY = 0.9
_PIECE_PX = 3.0
_GRAZING_COS = 0.25


@lru_cache(maxsize=8)
def brow_hairs(
    shape: HeadShape, seed: int
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Roots, unit directions along the skin, lengths (mm) and skin normals of the brow
    hairs."""
    mesh = face_mesh(shape)
    tri = mesh.triangles
    density = mesh.brow[tri].mean(axis=1)
    a, b, c = (mesh.vertices[tri[:, k]] for k in range(3))
    area = 0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1)
    expected = _DENSITY_PER_MM2 * area * density
    rng = rng_for(seed, "brows")
    counts = rng.poisson(expected)
    which = np.repeat(np.arange(len(tri)), counts)
    u, v = rng.random(len(which)), rng.random(len(which))
    flip = u + v > 1.0
    u, v = np.where(flip, 1.0 - u, u), np.where(flip, 1.0 - v, v)
    roots = a[which] + u[:, None] * (b - a)[which] + v[:, None] * (c - a)[which]
    normals = _normals_at(mesh.normals, tri[which], u, v)
    lateral = np.abs(roots[:, 0])
    medial = np.exp(-np.clip(lateral - 8.0, 0.0, None) / 10.0)  # the brow's head points up
    jitter = rng.normal(0.0, 0.18, len(which))
    angle = np.radians(10.0) + medial * np.radians(40.0) + jitter
    want = np.column_stack(
        [np.sign(roots[:, 0]) * np.cos(angle), np.sin(angle), np.zeros(len(which))]
    )
    along = want - np.sum(want * normals, axis=1, keepdims=True) * normals
    along /= np.maximum(np.linalg.norm(along, axis=1, keepdims=True), 1e-9)
    lengths = rng.uniform(*_LENGTH_MM, len(which)) * (0.6 + 0.4 * mesh.brow[tri[which]].mean(1))
    return roots, along, lengths, normals


_OCCLUSION_MM = 1.5  # a root this far behind the skin seen at its pixel is hidden


def _unoccluded(roots: FloatArray, frame: Frame, seen: Visibility) -> BoolArray:
    col, row, depth = frame.project(roots)
    size = seen.triangle.shape[0]
    inside = (col >= 0) & (col < size) & (row >= 0) & (row < size)
    c = np.clip(col.astype(np.int64), 0, size - 1)
    r = np.clip(row.astype(np.int64), 0, size - 1)
    triangle = seen.triangle[r, c]
    skin_depth = seen.screen[seen.triangles[np.maximum(triangle, 0)], 2].mean(axis=1)
    return np.asarray(inside & (triangle >= 0) & (depth <= skin_depth + _OCCLUSION_MM))


def _normals_at(normals: FloatArray, tri: IntArray, u: FloatArray, v: FloatArray) -> FloatArray:
    n = (
        (1.0 - u - v)[:, None] * normals[tri[:, 0]]
        + u[:, None] * normals[tri[:, 1]]
        + v[:, None] * normals[tri[:, 2]]
    )
    return np.asarray(n / np.linalg.norm(n, axis=1, keepdims=True), dtype=np.float64)


def draw_brows(
    image: Float32Array,
    frame: Frame,
    shape: HeadShape,
    hair_linear: FloatArray,
    seed: int,
    *,
    seen: Visibility | None = None,
) -> None:
    """Draw the brows into ``image`` (linear RGB, in place) in the hair colour; with the
    view's visibility buffer ``seen``, hairs hidden behind the head (the far brow seen from
    the side, both from the top) are left out."""
    roots, along, lengths, normals = brow_hairs(shape, seed)
    fwd, up, right = np.asarray(frame.view.forward), np.asarray(frame.view.up), frame.view.right
    facing = normals @ fwd < -_GRAZING_COS  # seen edge-on a brow is a dark line
    if seen is not None:
        facing &= _unoccluded(roots, frame, seen)
    if not facing.any():
        return
    px = frame.mm_per_px
    # Each hair as pieces of at most _PIECE_PX pixels: the banded kernels step a Gaussian
    # from its box's corner, which underflows for a long, thin, diagonal splat.
    pieces = max(1, math.ceil(float(lengths[facing].max()) / px / _PIECE_PX))
    step = (lengths[facing] / pieces)[:, None] * along[facing]
    offsets = (np.arange(pieces) + 0.5)[None, :, None] * step[:, None, :]
    mid = (roots[facing][:, None, :] + offsets).reshape(-1, 3)
    direction = np.repeat(along[facing], pieces, axis=0)
    piece_mm = np.repeat(lengths[facing] / pieces, pieces)
    col, row, _ = frame.project(mid)
    t = np.column_stack([direction @ right, -(direction @ up)])
    t_len = np.maximum(np.linalg.norm(t, axis=1), 1e-9)
    tu = t / t_len[:, None]
    long = (piece_mm * t_len) ** 2 / 12.0 / px**2
    across = _WIDTH_MM**2 / 12.0 / px**2
    cov = np.column_stack(
        [
            long * tu[:, 0] ** 2 + across * (1 - tu[:, 0] ** 2) + 1.0 / 12.0,
            (long - across) * tu[:, 0] * tu[:, 1],
            long * tu[:, 1] ** 2 + across * (1 - tu[:, 1] ** 2) + 1.0 / 12.0,
        ]
    )
    area = piece_mm * _WIDTH_MM / px**2
    norm = area / (2.0 * math.pi * np.sqrt(cov[:, 0] * cov[:, 2] - cov[:, 1] ** 2))
    colour = np.ascontiguousarray(np.broadcast_to(hair_linear, (len(area), 3)))
    layer = np.zeros_like(image)
    prepared = prepare_splats(
        np.ascontiguousarray(np.column_stack([col, row])),
        np.ascontiguousarray(cov),
        np.ascontiguousarray(norm),
        colour,
        np.full(len(area), 3.0),
        image.shape[0],
        image.shape[1],
    )
    cover_bands(image, layer, *prepared, _OPACITY)
    image += layer
