"""Compiled shading of the head as a person: skin, lips and eyes (Numba).

The skin is lit by a key, a fill and an ambient light with wrapped diffuse and a faint sheen,
and textured with pores and mottling (seeded value noise anchored on the surface).
On top of it, per vertex of the render mesh (:mod:`smpstudio.head._face`): lips, a darker
and redder skin; eyes, a sclera and an iris with its pupil drawn by the distance from the
eye's axis; and creases (eye corners, nostrils, the folds of the ear, the lips' seam) darkened
by the mesh's concavity.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from smpstudio._types import Float32Array, FloatArray, IntArray
from smpstudio.render._kernels import _NO_CELL, _cached_noise
from smpstudio.render._raster import Int32Array, surface_at

__all__ = ["PALETTE_ROWS", "shade_head"]

PALETTE_ROWS = 6
"""Rows of the palette: lip tint (multiplies the skin), sclera, iris, pupil (linear RGB),
(pupil radius mm, iris radius mm, crease depth) and the heights (mm) between which the neck
fades into the backdrop (from, to, 0)."""


@njit(cache=True, inline="always")
def _mix(
    a: Float32Array, i: int, j: int, k: int, w0: float, w1: float, w2: float, col: int
) -> float:
    return float(w0 * a[i, col] + w1 * a[j, col] + w2 * a[k, col])


@njit(cache=True, parallel=True, nogil=True)
def shade_head(
    seen: Int32Array,
    screen: FloatArray,
    vertices: Float32Array,
    normals: Float32Array,
    triangles: IntArray,
    attributes: Float32Array,
    skin: FloatArray,
    palette: FloatArray,
    lights: FloatArray,
    background: FloatArray,
    texture: FloatArray,
    seed: int,
) -> Float32Array:
    """Linear RGB of every pixel: the lit, textured head, a soft backdrop elsewhere.

    ``attributes`` columns per vertex: lip weight (0–1), distance from the eye's axis (mm,
    -1 off the eyes), crease (0 flat – 1 deep). ``lights`` rows: key direction (3) +
    intensity, fill direction + intensity, half vector of the key + specular strength, and
    (ambient, wrap, shininess, 0); ``texture`` = (pore scale mm, pore depth, mottle scale mm,
    mottle depth, redness depth). Rows are independent, so any thread count gives the same
    pixels.
    """
    height, width = seen.shape
    out = np.empty((height, width, 3), dtype=np.float32)
    ambient, wrap, shininess = lights[3, 0], lights[3, 1], lights[3, 2]
    pupil_mm, iris_mm, crease_depth = palette[4, 0], palette[4, 1], palette[4, 2]
    fade_from, fade_to = palette[5, 0], palette[5, 1]
    for r in prange(height):
        pore_cell = np.full(3, _NO_CELL, dtype=np.int64)
        mottle_cell = np.full(3, _NO_CELL, dtype=np.int64)
        pore_corners = np.zeros(8)
        mottle_corners = np.zeros(8)
        last = -1
        a = b = cc = 0
        ax = ay = bx = by = cx = cy = inv = 0.0
        for c in range(width):
            t = seen[r, c]
            if t < 0:
                shade = 1.0 - 0.25 * r / height
                for k in range(3):
                    out[r, c, k] = background[k] * shade
                continue
            if t != last:
                last = t
                a, b, cc = triangles[t, 0], triangles[t, 1], triangles[t, 2]
                ax, ay, bx, by = screen[a, 0], screen[a, 1], screen[b, 0], screen[b, 1]
                cx, cy = screen[cc, 0], screen[cc, 1]
                inv = 1.0 / ((bx - ax) * (cy - ay) - (by - ay) * (cx - ax))
            sx, sy = c + 0.5, r + 0.5
            w0 = ((bx - sx) * (cy - sy) - (by - sy) * (cx - sx)) * inv
            w1 = ((cx - sx) * (ay - sy) - (cy - sy) * (ax - sx)) * inv
            w2 = 1.0 - w0 - w1
            x, y, z, nx, ny, nz = surface_at(vertices, normals, a, b, cc, w0, w1, w2)
            key = nx * lights[0, 0] + ny * lights[0, 1] + nz * lights[0, 2]
            fill = nx * lights[1, 0] + ny * lights[1, 1] + nz * lights[1, 2]
            diffuse = lights[0, 3] * max((key + wrap) / (1 + wrap), 0.0) + lights[1, 3] * max(
                (fill + wrap) / (1 + wrap), 0.0
            )
            half = max(nx * lights[2, 0] + ny * lights[2, 1] + nz * lights[2, 2], 0.0)
            light = ambient + diffuse
            eye = _mix(attributes, a, b, cc, w0, w1, w2, 1)
            crease = _mix(attributes, a, b, cc, w0, w1, w2, 2)
            occlusion = 1.0 - crease_depth * min(max(crease, 0.0), 1.0)
            if eye >= 0.0:
                _eye(out, r, c, eye, pupil_mm, iris_mm, palette, light * occlusion, half)
                continue
            sheen = lights[2, 3] * half**shininess
            pores = _cached_noise(
                x / texture[0], y / texture[0], z / texture[0], seed, pore_cell, pore_corners
            )
            mottle = _cached_noise(
                x / texture[2],
                y / texture[2],
                z / texture[2],
                seed + 7,
                mottle_cell,
                mottle_corners,
            )
            tone = (1.0 + texture[1] * (pores - 0.5) + texture[3] * (mottle - 0.5)) * occlusion
            red = 1.0 + texture[4] * (mottle - 0.5)
            lip = min(max(_mix(attributes, a, b, cc, w0, w1, w2, 0), 0.0), 1.0)
            fade = min(max((y - fade_to) / (fade_from - fade_to), 0.0), 1.0)
            fade = fade * fade * (3.0 - 2.0 * fade)
            backdrop = 1.0 - 0.25 * r / height
            for k in range(3):
                tint = 1.0 - lip + lip * palette[0, k]
                hue = red if k == 0 else (2.0 - red if k == 2 else 1.0)
                lit = skin[k] * tint * tone * hue * light + sheen * (1.0 + lip)
                out[r, c, k] = lit * fade + background[k] * backdrop * (1.0 - fade)
    return out


@njit(cache=True, inline="always")
def _eye(
    out: Float32Array,
    r: int,
    c: int,
    radius: float,
    pupil_mm: float,
    iris_mm: float,
    palette: FloatArray,
    light: float,
    half: float,
) -> None:
    """Sclera, iris (darker at its rim, lighter fibres inside) and pupil, and a wet glint."""
    glint = 0.55 * half**60.0
    if radius < pupil_mm:
        row, shade = 3, 1.0
    elif radius < iris_mm:
        row = 2
        rim = (radius - pupil_mm) / (iris_mm - pupil_mm)
        shade = 1.25 - 0.6 * rim * rim
    else:
        row = 1
        shade = 1.0 - 0.35 * math.exp(-(radius - iris_mm) / 1.2)
    for k in range(3):
        out[r, c, k] = palette[row, k] * shade * (0.35 + 0.65 * light) + glint
