"""Compiled kernels of the photoreal renderer: texture noise, splats, sRGB encoding.

All colour work is in linear sRGB. The skin's texture is a seeded value noise anchored on
the surface (pores and mottling), so the same head gives the same pixels from any view; the
skin, face and eyes are shaded in :mod:`._skin`. Impressions and hairs are anisotropic
Gaussian splats: the projected footprint of a disc or a short shaft on the skin, blurred by
the pixel.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from smpstudio._types import Float32Array, FloatArray, IntArray, UInt8Array

__all__ = [
    "BAND_ROWS",
    "absorb_bands",
    "cover_bands",
    "draw_bands",
    "encode_layers",
    "encode_srgb",
    "prepare_splats",
    "splat_absorb",
    "splat_tint",
]


@njit(cache=True, inline="always")
def _hash(i: int, j: int, k: int, seed: int) -> float:
    h = (i * 374761393 + j * 668265263 + k * 2147483647 + seed * 1274126177) & 0xFFFFFFFF
    h = ((h ^ (h >> 13)) * 1274126177) & 0xFFFFFFFF
    h = h ^ (h >> 16)
    return (h & 0xFFFFFF) / 16777216.0


@njit(cache=True, nogil=True)
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


_NO_CELL = -(2**62)


@njit(cache=True, inline="always")
def _corners(ix: int, iy: int, iz: int, seed: int, out: FloatArray) -> None:
    """The lattice values at the 8 corners of a noise cell, in :func:`_noise`'s order."""
    n = 0
    for a in (0, 1):
        for b in (0, 1):
            for c in (0, 1):
                out[n] = _hash(ix + a, iy + b, iz + c, seed)
                n += 1


@njit(cache=True, inline="always")
def _cached_noise(
    x: float, y: float, z: float, seed: int, cell: IntArray, corners: FloatArray
) -> float:
    """:func:`_noise` with the corner values of the last cell kept (neighbouring pixels
    mostly fall in the same cell): the same arithmetic, so the same bits."""
    ix, iy, iz = math.floor(x), math.floor(y), math.floor(z)
    if ix != cell[0] or iy != cell[1] or iz != cell[2]:
        _corners(ix, iy, iz, seed, corners)
        cell[0], cell[1], cell[2] = ix, iy, iz
    fx, fy, fz = x - ix, y - iy, z - iz
    ux, uy, uz = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy), fz * fz * (3 - 2 * fz)
    total = 0.0
    n = 0
    for a in (0, 1):
        for b in (0, 1):
            for c in (0, 1):
                w = (ux if a else 1 - ux) * (uy if b else 1 - uy) * (uz if c else 1 - uz)
                total += w * corners[n]
                n += 1
    return total


@njit(cache=True, inline="always")
def _footprint(inv00: float, inv01: float, inv11: float, dx: float, dy: float) -> float:
    return math.exp(-0.5 * (inv00 * dx * dx + 2 * inv01 * dx * dy + inv11 * dy * dy))


@njit(cache=True, inline="always")
def _inverse(c00: float, c01: float, c11: float) -> tuple[float, float, float, float]:
    det = c00 * c11 - c01 * c01
    return c11 / det, -c01 / det, c00 / det, det


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
def composite_absorbed(
    out: UInt8Array,
    linear: Float32Array,
    sheen: Float32Array,
    visible: Float32Array,
    transmit: Float32Array,
    table: UInt8Array,
) -> None:
    """Write into ``out`` (8-bit sRGB) the pixels a splat darkened: the diffuse light
    (``linear`` less the ``sheen``), where ``visible``, times the splats' absorption
    ``1 − transmit``, taken from the linear pixel; encoded with ``table``
    (:data:`SRGB_TABLE`). Pixels no splat reached keep their bytes."""
    height, width = out.shape[0], out.shape[1]
    for r in range(height):
        for c in range(width):
            if (
                transmit[r, c, 0] >= 1.0 - 1e-6
                and transmit[r, c, 1] >= 1.0 - 1e-6
                and transmit[r, c, 2] >= 1.0 - 1e-6
            ):
                continue
            for k in range(3):
                lin = linear[r, c, k]
                diffuse = max(lin - sheen[r, c], 0.0)
                v = lin - visible[r, c] * diffuse * (1.0 - transmit[r, c, k])
                v = min(max(v, 0.0), 1.0)
                out[r, c, k] = table[int(v * 65535.0 + 0.5)]


@njit(cache=True, nogil=True)
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


BAND_ROWS = 32
"""Height of the row bands the banded kernels work in: each band is written by one thread,
its splats applied in their given order, so any thread count gives the same bits."""

_REC = 9  # per splat and band: coverage and ratios at the first pixel, steps, values


@njit(cache=True, parallel=True, nogil=True)
def prepare_splats(
    centres: FloatArray,
    cov: FloatArray,
    norm: FloatArray,
    values: FloatArray,
    reach_sigmas: FloatArray,
    height: int,
    width: int,
) -> tuple[FloatArray, IntArray, IntArray]:
    """Screen Gaussian splats sorted into bands of :data:`BAND_ROWS` rows for the banded
    kernels.

    Splat ``i`` covers ``min(norm[i] × exp(-d' cov[i]⁻¹ d / 2), 1)`` of a pixel at offset
    ``d`` from its centre, within ``reach_sigmas[i]`` standard deviations of its wider axis;
    ``values[i]`` (3) is what it applies (strength or colour). Returns, per splat and band
    it touches — band by band, in the splats' order (``starts[b]:starts[b + 1]``) — a
    record and its pixel box ``(row0, row1, col0, col1)`` in the band (ends excluded).

    A Gaussian is a geometric sequence with geometric ratios along rows and columns, so the
    record holds its coverage at the box's first pixel, the ratios to the next pixel and
    the next row, and their constant steps: the kernels then need no exponential per
    pixel, only multiplications.
    """
    n = centres.shape[0]
    box = np.empty((n, 4), dtype=np.int64)
    first = np.empty((n, 6))  # at the box's first pixel: coverage, ratios; then the steps
    for i in prange(n):
        cx, cy = centres[i, 0], centres[i, 1]
        reach = reach_sigmas[i] * math.sqrt(max(cov[i, 0], cov[i, 2]))
        r0 = max(int(cy - reach), 0)
        r1 = min(int(cy + reach) + 1, height)
        c0 = max(int(cx - reach), 0)
        c1 = min(int(cx + reach) + 1, width)
        if r1 <= r0 or c1 <= c0:
            r1 = r0
        box[i, 0], box[i, 1], box[i, 2], box[i, 3] = r0, r1, c0, c1
        ia, ib, ic, _ = _inverse(cov[i, 0], cov[i, 1], cov[i, 2])
        dy = r0 + 0.5 - cy
        dx = c0 + 0.5 - cx
        first[i, 0] = norm[i] * math.exp(-0.5 * (ia * dx * dx + 2.0 * ib * dx * dy + ic * dy * dy))
        first[i, 1] = math.exp(-0.5 * (ia * (2.0 * dx + 1.0) + 2.0 * ib * dy))
        first[i, 2] = math.exp(-0.5 * (ic * (2.0 * dy + 1.0) + 2.0 * ib * dx))
        first[i, 3], first[i, 4], first[i, 5] = math.exp(-ia), math.exp(-ib), math.exp(-ic)
    bands = (height + BAND_ROWS - 1) // BAND_ROWS
    counts = np.zeros(bands + 1, dtype=np.int64)
    for i in range(n):
        if box[i, 1] > box[i, 0]:
            for b in range(box[i, 0] // BAND_ROWS, (box[i, 1] - 1) // BAND_ROWS + 1):
                counts[b + 1] += 1
    starts = np.cumsum(counts)
    fill = starts[:-1].copy()
    owner = np.empty(starts[-1], dtype=np.int64)
    top = np.empty(starts[-1], dtype=np.int64)
    for i in range(n):
        if box[i, 1] > box[i, 0]:
            for b in range(box[i, 0] // BAND_ROWS, (box[i, 1] - 1) // BAND_ROWS + 1):
                owner[fill[b]] = i
                top[fill[b]] = max(box[i, 0], b * BAND_ROWS)
                fill[b] += 1
    m = owner.shape[0]
    rec = np.empty((m, _REC))
    rbox = np.empty((m, 4), dtype=np.int64)
    for j in prange(m):
        i = owner[j]
        g, along, down = first[i, 0], first[i, 1], first[i, 2]
        for _ in range(box[i, 0], top[j]):  # a later band: step down to its first row
            g *= down
            down *= first[i, 5]
            along *= first[i, 4]
        rec[j, 0], rec[j, 1], rec[j, 2] = g, along, down
        rec[j, 3], rec[j, 4], rec[j, 5] = first[i, 3], first[i, 4], first[i, 5]
        rec[j, 6], rec[j, 7], rec[j, 8] = values[i, 0], values[i, 1], values[i, 2]
        rbox[j, 0], rbox[j, 2], rbox[j, 3] = top[j], box[i, 2], box[i, 3]
        rbox[j, 1] = min(box[i, 1], (top[j] // BAND_ROWS + 1) * BAND_ROWS)
    return rec, rbox, starts


@njit(cache=True, parallel=True, nogil=True)
def absorb_bands(image: Float32Array, rec: FloatArray, rbox: IntArray, starts: IntArray) -> None:
    """Darken ``image`` in place: each splat multiplies the pixels it covers by
    ``1 - covered × value`` per channel (pigment, or a hair shaft, under the skin)."""
    for band in prange(starts.shape[0] - 1):
        for j in range(starts[band], starts[band + 1]):
            g_row, along_row, down = rec[j, 0], rec[j, 1], rec[j, 2]
            step, step_row, step_down = rec[j, 3], rec[j, 4], rec[j, 5]
            s0, s1, s2 = rec[j, 6], rec[j, 7], rec[j, 8]
            c0, c1 = rbox[j, 2], rbox[j, 3]
            for r in range(rbox[j, 0], rbox[j, 1]):
                g, along = g_row, along_row
                for c in range(c0, c1):
                    w = min(g, 1.0)
                    g *= along
                    along *= step
                    image[r, c, 0] *= 1.0 - w * s0
                    image[r, c, 1] *= 1.0 - w * s1
                    image[r, c, 2] *= 1.0 - w * s2
                g_row *= down
                down *= step_down
                along_row *= step_row


@njit(cache=True, parallel=True, nogil=True)
def cover_bands(
    image: Float32Array,
    layer: Float32Array,
    rec: FloatArray,
    rbox: IntArray,
    starts: IntArray,
    opacity: float,
) -> None:
    """Lay opaque splats (cut hair on the skin; values: colour) over ``image`` as a layer.

    Blending the splats in order over a pixel ``x`` gives ``x × P + Q``; ``image`` is
    multiplied by ``P`` in place and ``layer`` (zeros) receives ``Q``, so that what later only
    darkens the skin under the hair (the impressions) is still drawn under it."""
    height, width = image.shape[0], image.shape[1]
    for band in prange(starts.shape[0] - 1):
        top = band * BAND_ROWS
        rows = min(top + BAND_ROWS, height) - top
        lo, hi = _spans(rbox, starts, band, rows, width)
        keep = np.empty((rows, width))
        over = np.empty((rows, width, 3))
        for r in range(rows):
            keep[r, lo[r] : hi[r]] = 1.0
            over[r, lo[r] : hi[r]] = 0.0
        for j in range(starts[band], starts[band + 1]):
            g_row, along_row, down = rec[j, 0], rec[j, 1], rec[j, 2]
            step, step_row, step_down = rec[j, 3], rec[j, 4], rec[j, 5]
            s0, s1, s2 = rec[j, 6], rec[j, 7], rec[j, 8]
            c0, c1 = rbox[j, 2], rbox[j, 3]
            for r in range(rbox[j, 0] - top, rbox[j, 1] - top):
                g, along = g_row, along_row
                for c in range(c0, c1):
                    a = opacity * min(g, 1.0)
                    g *= along
                    along *= step
                    keep[r, c] *= 1.0 - a
                    over[r, c, 0] = over[r, c, 0] * (1.0 - a) + s0 * a
                    over[r, c, 1] = over[r, c, 1] * (1.0 - a) + s1 * a
                    over[r, c, 2] = over[r, c, 2] * (1.0 - a) + s2 * a
                g_row *= down
                down *= step_down
                along_row *= step_row
        for r in range(rows):
            for c in range(lo[r], hi[r]):
                for k in range(3):
                    image[top + r, c, k] *= keep[r, c]
                    layer[top + r, c, k] = over[r, c, k]


@njit(cache=True, inline="always")
def _spans(
    rbox: IntArray, starts: IntArray, band: int, rows: int, width: int
) -> tuple[IntArray, IntArray]:
    """First and last + 1 column any splat of the band reaches, per row (lo ≥ hi: none)."""
    top = band * BAND_ROWS
    lo = np.full(rows, width, dtype=np.int64)
    hi = np.zeros(rows, dtype=np.int64)
    for j in range(starts[band], starts[band + 1]):
        for r in range(rbox[j, 0] - top, rbox[j, 1] - top):
            lo[r] = min(lo[r], rbox[j, 2])
            hi[r] = max(hi[r], rbox[j, 3])
    return lo, hi


@njit(cache=True, inline="always")
def _encode_one(v: float, table: UInt8Array) -> int:
    return int(table[int(min(max(v, 0.0), 1.0) * 65535.0 + 0.5)])


@njit(cache=True, parallel=True, nogil=True)
def encode_layers(image: Float32Array, layer: Float32Array, table: UInt8Array) -> UInt8Array:
    """8-bit sRGB of ``image + layer`` (both linear float32)."""
    height, width = image.shape[0], image.shape[1]
    out = np.empty((height, width, 3), dtype=np.uint8)
    for r in prange(height):
        for c in range(width):
            for k in range(3):
                out[r, c, k] = _encode_one(image[r, c, k] + layer[r, c, k], table)
    return out


@njit(cache=True, parallel=True, nogil=True)
def draw_bands(
    image: Float32Array,
    layer: Float32Array,
    encoded: UInt8Array,
    rec: FloatArray,
    rbox: IntArray,
    starts: IntArray,
    table: UInt8Array,
) -> UInt8Array:
    """8-bit sRGB of ``image`` darkened by the splats (as :func:`absorb_bands`) plus
    ``layer``, without changing ``image``.

    ``encoded``, when not empty, is :func:`encode_layers` of the two: pixels no splat
    reaches are copied from it (the splats' column span is tracked per row).
    """
    height, width = image.shape[0], image.shape[1]
    out = np.empty((height, width, 3), dtype=np.uint8)
    known = encoded.shape[0] == height
    for band in prange(starts.shape[0] - 1):
        top = band * BAND_ROWS
        rows = min(top + BAND_ROWS, height) - top
        lo, hi = _spans(rbox, starts, band, rows, width)
        if not known:
            lo[:] = 0
            hi[:] = width
        buf = np.empty((rows, width, 3), dtype=np.float32)
        flat = buf.reshape(rows, width * 3)
        for r in range(rows):
            source = image[top + r].reshape(width * 3)
            for x in range(3 * lo[r], 3 * hi[r]):
                flat[r, x] = source[x]
        for j in range(starts[band], starts[band + 1]):
            g_row, along_row, down = rec[j, 0], rec[j, 1], rec[j, 2]
            step, step_row, step_down = rec[j, 3], rec[j, 4], rec[j, 5]
            s0, s1, s2 = rec[j, 6], rec[j, 7], rec[j, 8]
            c0, c1 = rbox[j, 2], rbox[j, 3]
            for r in range(rbox[j, 0] - top, rbox[j, 1] - top):
                g, along = g_row, along_row
                for c in range(c0, c1):
                    w = min(g, 1.0)
                    g *= along
                    along *= step
                    buf[r, c, 0] *= 1.0 - w * s0
                    buf[r, c, 1] *= 1.0 - w * s1
                    buf[r, c, 2] *= 1.0 - w * s2
                g_row *= down
                down *= step_down
                along_row *= step_row
        for r in range(rows):
            rr = top + r
            into = out[rr].reshape(width * 3)
            if known:
                kept = encoded[rr].reshape(width * 3)
                for x in range(3 * lo[r]):
                    into[x] = kept[x]
                for x in range(3 * max(hi[r], lo[r]), 3 * width):
                    into[x] = kept[x]
            over = layer[rr].reshape(width * 3)
            for x in range(3 * lo[r], 3 * hi[r]):
                into[x] = _encode_one(flat[r, x] + over[x], table)
    return out


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


@njit(cache=True, parallel=True, nogil=True)
def _encode(image: Float32Array, table: UInt8Array) -> UInt8Array:
    height, width = image.shape[0], image.shape[1]
    out = np.empty((height, width, 3), dtype=np.uint8)
    for r in prange(height):
        for c in range(width):
            for k in range(3):
                v = min(max(image[r, c, k], 0.0), 1.0)
                out[r, c, k] = table[int(v * 65535.0 + 0.5)]
    return out
