"""Compiled kernels of the photoreal renderer: skin shading, splats, sRGB encoding.

All colour work is in linear sRGB. Skin is lit by a key, a fill and an ambient term with
wrapped diffuse (light bleeding through skin) and a faint specular sheen; its texture is a
seeded value noise anchored on the surface (pores and mottling), so the same head gives the
same pixels from any view. Impressions and hairs are anisotropic Gaussian splats: the
projected footprint of a disc or a short shaft on the skin, blurred by the pixel.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from smpstudio._types import BoolArray, Float32Array, FloatArray, UInt8Array

__all__ = ["encode_srgb", "shade_skin", "splat_absorb", "splat_cover", "splat_tint"]


@njit(cache=True, inline="always")
def _hash(i: int, j: int, k: int, seed: int) -> float:
    h = (i * 374761393 + j * 668265263 + k * 2147483647 + seed * 1274126177) & 0xFFFFFFFF
    h = ((h ^ (h >> 13)) * 1274126177) & 0xFFFFFFFF
    h = h ^ (h >> 16)
    return (h & 0xFFFFFF) / 16777216.0


@njit(cache=True)
def _noise(x: float, y: float, z: float, seed: int) -> float:
    """Smooth value noise in [0, 1] on a unit lattice."""
    ix, iy, iz = math.floor(x), math.floor(y), math.floor(z)
    fx, fy, fz = x - ix, y - iy, z - iz
    ux, uy, uz = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy), fz * fz * (3 - 2 * fz)
    total = 0.0
    for a in (0, 1):
        for b in (0, 1):
            for c in (0, 1):
                w = (ux if a else 1 - ux) * (uy if b else 1 - uy) * (uz if c else 1 - uz)
                total += w * _hash(ix + a, iy + b, iz + c, seed)
    return total


@njit(cache=True, parallel=True)
def shade_skin(
    position: Float32Array,
    normal: Float32Array,
    hit: BoolArray,
    skin: FloatArray,
    lights: FloatArray,
    background: FloatArray,
    texture: FloatArray,
    seed: int,
) -> Float32Array:
    """Linear RGB of every pixel: lit, textured skin on the head, a soft backdrop elsewhere.

    ``lights`` rows: key direction (3) + intensity, fill direction + intensity, half vector
    of the key + specular strength, and (ambient, wrap, shininess, 0). ``texture`` =
    (pore scale mm, pore depth, mottle scale mm, mottle depth, redness depth).
    """
    height, width = hit.shape
    out = np.empty((height, width, 3), dtype=np.float32)
    ambient, wrap, shininess = lights[3, 0], lights[3, 1], lights[3, 2]
    for r in prange(height):
        for c in range(width):
            if not hit[r, c]:
                shade = 1.0 - 0.25 * r / height
                for k in range(3):
                    out[r, c, k] = background[k] * shade
                continue
            nx, ny, nz = normal[r, c, 0], normal[r, c, 1], normal[r, c, 2]
            key = nx * lights[0, 0] + ny * lights[0, 1] + nz * lights[0, 2]
            fill = nx * lights[1, 0] + ny * lights[1, 1] + nz * lights[1, 2]
            diffuse = lights[0, 3] * max((key + wrap) / (1 + wrap), 0.0) + lights[1, 3] * max(
                (fill + wrap) / (1 + wrap), 0.0
            )
            half = max(nx * lights[2, 0] + ny * lights[2, 1] + nz * lights[2, 2], 0.0)
            sheen = lights[2, 3] * half**shininess
            x, y, z = position[r, c, 0], position[r, c, 1], position[r, c, 2]
            pores = _noise(x / texture[0], y / texture[0], z / texture[0], seed)
            mottle = _noise(x / texture[2], y / texture[2], z / texture[2], seed + 7)
            tone = 1.0 + texture[1] * (pores - 0.5) + texture[3] * (mottle - 0.5)
            red = 1.0 + texture[4] * (mottle - 0.5)
            light = ambient + diffuse
            out[r, c, 0] = skin[0] * tone * red * light + sheen
            out[r, c, 1] = skin[1] * tone * light + sheen
            out[r, c, 2] = skin[2] * tone * (2.0 - red) * light + sheen
    return out


@njit(cache=True, inline="always")
def _footprint(inv00: float, inv01: float, inv11: float, dx: float, dy: float) -> float:
    return math.exp(-0.5 * (inv00 * dx * dx + 2 * inv01 * dx * dy + inv11 * dy * dy))


@njit(cache=True, inline="always")
def _inverse(c00: float, c01: float, c11: float) -> tuple[float, float, float, float]:
    det = c00 * c11 - c01 * c01
    return c11 / det, -c01 / det, c00 / det, det


@njit(cache=True)
def splat_absorb(
    image: Float32Array,
    centres: FloatArray,
    cov: FloatArray,
    area: FloatArray,
    strength: FloatArray,
) -> None:
    """Darken ``image`` in place: each splat multiplies the pixels it covers by
    ``1 - covered × strength`` per channel (pigment seen through the skin)."""
    height, width = image.shape[0], image.shape[1]
    for i in range(centres.shape[0]):
        inv00, inv01, inv11, det = _inverse(cov[i, 0], cov[i, 1], cov[i, 2])
        norm = area[i] / (2.0 * math.pi * math.sqrt(det))
        reach = 3.0 * math.sqrt(max(cov[i, 0], cov[i, 2]))
        cx, cy = centres[i, 0], centres[i, 1]
        for r in range(max(int(cy - reach), 0), min(int(cy + reach) + 1, height)):
            for c in range(max(int(cx - reach), 0), min(int(cx + reach) + 1, width)):
                covered = min(
                    norm * _footprint(inv00, inv01, inv11, c + 0.5 - cx, r + 0.5 - cy), 1.0
                )
                for k in range(3):
                    image[r, c, k] *= 1.0 - covered * strength[i, k]


@njit(cache=True)
def splat_cover(
    image: Float32Array,
    centres: FloatArray,
    cov: FloatArray,
    area: FloatArray,
    colour: FloatArray,
    opacity: float,
) -> None:
    """Paint over ``image`` in place: each splat blends the pixels it covers toward its
    colour (hair shafts lie on the skin)."""
    height, width = image.shape[0], image.shape[1]
    for i in range(centres.shape[0]):
        inv00, inv01, inv11, det = _inverse(cov[i, 0], cov[i, 1], cov[i, 2])
        norm = area[i] / (2.0 * math.pi * math.sqrt(det))
        reach = 3.0 * math.sqrt(max(cov[i, 0], cov[i, 2]))
        cx, cy = centres[i, 0], centres[i, 1]
        for r in range(max(int(cy - reach), 0), min(int(cy + reach) + 1, height)):
            for c in range(max(int(cx - reach), 0), min(int(cx + reach) + 1, width)):
                a = opacity * min(
                    norm * _footprint(inv00, inv01, inv11, c + 0.5 - cx, r + 0.5 - cy), 1.0
                )
                for k in range(3):
                    image[r, c, k] = image[r, c, k] * (1.0 - a) + colour[i, k] * a


@njit(cache=True)
def splat_tint(
    image: Float32Array,
    centres: FloatArray,
    radius_px: FloatArray,
    tint: FloatArray,
    strength: float,
) -> None:
    """Multiply pixels around each centre by a tint, fading with a Gaussian of the given
    radius (redness around fresh punctures)."""
    height, width = image.shape[0], image.shape[1]
    for i in range(centres.shape[0]):
        s = radius_px[i]
        reach = 2.5 * s
        cx, cy = centres[i, 0], centres[i, 1]
        for r in range(max(int(cy - reach), 0), min(int(cy + reach) + 1, height)):
            for c in range(max(int(cx - reach), 0), min(int(cx + reach) + 1, width)):
                dx, dy = c + 0.5 - cx, r + 0.5 - cy
                w = strength * math.exp(-0.5 * (dx * dx + dy * dy) / (s * s))
                for k in range(3):
                    image[r, c, k] *= 1.0 - w * (1.0 - tint[k])


_LUT_STEPS = 65535


def _srgb_table() -> UInt8Array:
    v = np.arange(_LUT_STEPS + 1, dtype=np.float64) / _LUT_STEPS
    s = np.where(v <= 0.0031308, 12.92 * v, 1.055 * v ** (1 / 2.4) - 0.055)
    return np.asarray(np.floor(s * 255.0 + 0.5), dtype=np.uint8)


SRGB_TABLE = _srgb_table()
"""8-bit sRGB (IEC 61966-2-1) of linear values k / 65535: a table lookup is exact to the
8-bit output and ten times faster than the power law per pixel."""


def encode_srgb(image: Float32Array) -> UInt8Array:
    """Linear RGB to 8-bit sRGB, clipped to [0, 1]."""
    return _encode(image, SRGB_TABLE)


@njit(cache=True, parallel=True)
def _encode(image: Float32Array, table: UInt8Array) -> UInt8Array:
    height, width = image.shape[0], image.shape[1]
    out = np.empty((height, width, 3), dtype=np.uint8)
    for r in prange(height):
        for c in range(width):
            for k in range(3):
                v = min(max(image[r, c, k], 0.0), 1.0)
                out[r, c, k] = table[int(v * 65535.0 + 0.5)]
    return out
