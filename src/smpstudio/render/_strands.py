"""Long hair: the client's remaining hair at its length, combed from a central parting.

Each remaining follicular unit (the same roots as the shaved stubble, :mod:`._hair`) grows
one strand for its 1–4 hairs, a polyline along the scalp: it leaves the skin, bends over
and lies on the hair below it, combed away from a central parting that runs from the
frontal hairline to the crown whorl, swept back from the forehead and falling under its
weight; where the scalp turns under (below the widest section of the head) the hair leaves
it and hangs straight down. Neighbouring hairs are drawn together into locks by a smooth
noise field, and each hair keeps a slight curl of its own.

A view draws every strand segment as an antialiased line as wide as its unit's hairs
(75 µm a hair, Wolfram 2003, domain reference §4), near to far, hidden where the head is
in front of it, lit as hair is: the diffuse light of the hair mass and the specular band
of a shaft (Kajiya and Kay 1989). Where hairs are sparse — a widened parting, a thinning
crown — the scalp, and the impressions on it, show between them.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from numba import njit, prange

from smpstudio._rng import rng_for
from smpstudio._types import Float32Array, FloatArray, IntArray
from smpstudio.head._kernels import _gauge_grad, shape_params
from smpstudio.render._hair import LONG_FROM_MM, Stubble
from smpstudio.render._kernels import BAND_ROWS, _noise
from smpstudio.render._raster import Frame, Int32Array, Visibility, barycentric

if TYPE_CHECKING:
    from smpstudio._design import Design
    from smpstudio.head import HeadShape

__all__ = ["LONG_FROM_MM", "Strands", "depth_map", "draw_strands", "rooted_like", "strands"]

_STEP_MM = 4.0  # length of a strand segment (at most _MAX_STEPS segments a hair)
_MAX_STEPS = 72
_SHAFT_MM = 0.075
_LIFT_MM = (0.9, 4.0, 0.018, 1.2)  # rise off the skin, over (mm), per mm of length, layers [U]
_LOCK_MM = 10.0  # size of the locks the noise field combs hairs into [U]
_LOCK_TURN = 0.25  # how far the lock field turns a hair (radians at full swing) [U]
_CURL = 0.035  # spread of each hair's own curl (radians per step) [U]
_STIFF = 0.6  # share of its direction a hair keeps from one step to the next [U]
_EMERGE_RAD = 0.3  # spread of the angle a hair leaves the skin at, off the combing [U]
_HAIR_LIGHT = (0.18, 0.9, 0.25, 0.06, 60.0)  # ambient, key, fill, specular, exponent [U]
_OPACITY = 0.95
_DEPTH_SLACK_MM = 0.6  # a hair this far behind the skin it crosses is still drawn (its root)
_HIDDEN = 1.0 / 4096.0  # a pixel letting less light through than this takes no more hair


@dataclass(frozen=True)
class Strands:
    """Hairs as polylines, one a follicular unit (its hairs run together; at any render
    scale below 4096 px they are less than a pixel apart): ``points`` ``(N, K + 1, 3)``
    from the root, the outward normal of the hair mass at each vertex, each vertex's height
    above the skin (mm), and each strand's brightness and number of hairs."""

    points: Float32Array
    normals: Float32Array
    heights: Float32Array
    tone: FloatArray
    hairs: FloatArray
    key: tuple[object, ...]
    width_mm: float = _SHAFT_MM


def rooted_like(hair: Stubble, grown: Strands) -> Stubble:
    """The stubble with each hair's shaft pointing where its strand leaves the skin, so
    the shaft seen through the skin at the root continues the hair above it."""
    counts = hair.counts if hair.counts is not None else np.ones(len(hair.roots), np.int64)
    first = (grown.points[:, 1] - grown.points[:, 0]).astype(np.float64)
    normals = grown.normals[:, 0].astype(np.float64)
    first -= np.sum(first * normals, axis=1, keepdims=True) * normals
    first /= np.maximum(np.linalg.norm(first, axis=1, keepdims=True), 1e-9)
    return replace(hair, directions=np.repeat(first, counts, axis=0))


def strands(design: Design, hair: Stubble, *, seed: int) -> Strands:
    """The design's remaining hair at ``design.hair_length_mm``, grown from the follicular
    units of ``hair`` (its stubble). Kept for the last few designs, like the stubble."""
    key = (*hair.key, "strands", design.hair_length_mm)
    found = _GROWN.get(key)
    if found is None:
        counts = hair.counts if hair.counts is not None else np.ones(len(hair.roots), np.int64)
        first = np.asarray(np.cumsum(counts) - counts, dtype=np.int64)
        roots = np.asarray(hair.roots[first], dtype=np.float64)
        found = _grow(design.head.shape, roots, counts, design.hair_length_mm, seed, key)
        _GROWN[key] = found
        while len(_GROWN) > _GROWN_KEPT:
            _GROWN.popitem(last=False)
    _GROWN.move_to_end(key)
    return found


_GROWN: OrderedDict[tuple[object, ...], Strands] = OrderedDict()
_GROWN_KEPT = 4


def _grow(
    shape: HeadShape,
    roots: FloatArray,
    counts: IntArray,
    length: float,
    seed: int,
    key: tuple[object, ...],
) -> Strands:
    n = len(roots)
    steps = max(4, min(_MAX_STEPS, math.ceil(length / _STEP_MM)))
    rng = rng_for(seed, "hair-strands")
    own = np.column_stack(
        [
            rng.normal(0.0, _CURL, size=n),
            rng.uniform(0.0, _LIFT_MM[3], size=n),
            rng.normal(0.0, _EMERGE_RAD, size=n),
        ]
    )
    tone = rng.uniform(0.82, 1.18, size=n)
    points = np.empty((n, steps + 1, 3), dtype=np.float32)
    normals = np.empty_like(points)
    heights = np.empty((n, steps + 1), dtype=np.float32)
    _march(
        np.ascontiguousarray(roots),
        own,
        shape_params(shape),
        length / steps,
        np.array([-0.5 * shape.c, shape.c, *_LIFT_MM, _LOCK_MM, _LOCK_TURN, _STIFF]),
        seed,
        points,
        normals,
        heights,
    )
    return Strands(points, normals, heights, tone, counts.astype(np.float64), key)


@njit(cache=True, inline="always")
def _on_head(
    x: float, y: float, z: float, shape: FloatArray
) -> tuple[float, float, float, float, float, float]:
    """The surface point radially under (x, y, z) and its outward unit normal."""
    g, gx, gy, gz = _gauge_grad(x, y, z, shape)
    size = math.sqrt(gx * gx + gy * gy + gz * gz)
    return x / g, y / g, z / g, gx / size, gy / size, gz / size


@njit(cache=True, inline="always")
def _along_skin(
    vx: float, vy: float, vz: float, nx: float, ny: float, nz: float
) -> tuple[float, float, float, float]:
    """``v`` projected on the tangent plane, as a unit vector, and its length before."""
    dot = vx * nx + vy * ny + vz * nz
    tx, ty, tz = vx - dot * nx, vy - dot * ny, vz - dot * nz
    size = math.sqrt(tx * tx + ty * ty + tz * tz)
    if size < 1e-9:
        return 0.0, 0.0, 0.0, 0.0
    return tx / size, ty / size, tz / size, size


@njit(cache=True, inline="always")
def _flow(
    x: float, z: float, nx: float, ny: float, nz: float, whorl_z: float, c: float
) -> tuple[float, float, float]:
    """Where hair is combed at a surface point: away from the central parting (from the
    front to the crown whorl; behind the whorl hair falls straight), back from the
    forehead (up and over where the skin faces forward, never down over the face), and
    down."""
    side = (1.0 if x >= 0.0 else -1.0) * min(max(1.0 + (z - whorl_z) / 30.0, 0.0), 1.0)
    front = min(max(z / (0.5 * c), 0.0), 1.0)
    back = 1.4 * front
    down = 1.0 - 1.6 * front * max(nz, 0.0)
    tx, ty, tz, size = _along_skin(side, -down, -back, nx, ny, nz)
    if size < 1e-6:
        tx, ty, tz, size = _along_skin(side, 0.0, -1.0, nx, ny, nz)
    return tx, ty, tz


@njit(cache=True, parallel=True, nogil=True)
def _march(
    roots: FloatArray,
    own: FloatArray,
    shape: FloatArray,
    ds: float,
    knobs: FloatArray,
    seed: int,
    points: Float32Array,
    normals: Float32Array,
    heights: Float32Array,
) -> None:
    """Grow every strand from its root, one independent strand a thread at a time.

    ``own``: each strand's curl (radians a step), extra layer height (mm) and the angle it
    leaves the skin at, off the combing direction (radians); ``knobs``:
    whorl z, head half length c, the lift (rise, over, per mm, layers), lock size, lock turn
    and stiffness."""
    whorl_z, c = knobs[0], knobs[1]
    rise, over, per_mm = knobs[2], knobs[3], knobs[4]
    lock, turn, stiff = knobs[6], knobs[7], knobs[8]
    steps = points.shape[1] - 1
    for i in prange(roots.shape[0]):
        x, y, z, nx, ny, nz = _on_head(roots[i, 0], roots[i, 1], roots[i, 2], shape)
        dx, dy, dz = _flow(x, z, nx, ny, nz, whorl_z, c)
        co, si = math.cos(own[i, 2]), math.sin(own[i, 2])
        ax, ay, az = ny * dz - nz * dy, nz * dx - nx * dz, nx * dy - ny * dx
        dx, dy, dz = co * dx + si * ax, co * dy + si * ay, co * dz + si * az
        hanging = ny < -0.05
        hx, hy, hz = x, y, z
        lx, ly, lz, fallen = nx, ny, nz, 0.0  # the skin's normal where it left, and how far
        for k in range(steps + 1):
            s = k * ds
            height = (
                rise * (1.0 - math.exp(-s / over)) + per_mm * s + own[i, 1] * min(1.0, s / 20.0)
            )
            heights[i, k] = height
            if hanging:
                ox, oz = hx, hz
                size = max(math.sqrt(ox * ox + oz * oz), 1e-9)
                ox, oz = ox / size, oz / size
                points[i, k, 0], points[i, k, 1], points[i, k, 2] = hx, hy, hz
                w = math.exp(-fallen / 30.0)  # the mass turns from the skin's to hanging
                mx, my, mz = w * lx + (1.0 - w) * ox, w * ly, w * lz + (1.0 - w) * oz
                size = max(math.sqrt(mx * mx + my * my + mz * mz), 1e-9)
                normals[i, k, 0], normals[i, k, 1] = mx / size, my / size
                normals[i, k, 2] = mz / size
                hx, hy, hz = hx + 0.06 * ds * ox, hy - ds, hz + 0.06 * ds * oz
                fallen += ds
                continue
            vx, vy, vz = x + nx * height, y + ny * height, z + nz * height
            points[i, k, 0], points[i, k, 1], points[i, k, 2] = vx, vy, vz
            normals[i, k, 0], normals[i, k, 1], normals[i, k, 2] = nx, ny, nz
            fx, fy, fz = _flow(x, z, nx, ny, nz, whorl_z, c)
            dx, dy, dz, size = _along_skin(
                stiff * dx + (1.0 - stiff) * fx,
                stiff * dy + (1.0 - stiff) * fy,
                stiff * dz + (1.0 - stiff) * fz,
                nx,
                ny,
                nz,
            )
            if size < 1e-9:
                dx, dy, dz = fx, fy, fz
            angle = turn * (2.0 * _noise(x / lock, y / lock, z / lock, seed + 101) - 1.0)
            angle += own[i, 0]
            ax, ay, az = ny * dz - nz * dy, nz * dx - nx * dz, nx * dy - ny * dx
            co, si = math.cos(angle), math.sin(angle)
            dx, dy, dz, size = _along_skin(
                co * dx + si * ax, co * dy + si * ay, co * dz + si * az, nx, ny, nz
            )
            if size < 1e-9:
                dx, dy, dz = fx, fy, fz
            qx, qy, qz, mx, my, mz = _on_head(x + dx * ds, y + dy * ds, z + dz * ds, shape)
            if my < -0.05:  # the scalp turns under: the hair leaves it and hangs
                hanging = True
                hx, hy, hz = vx, vy - ds, vz
                lx, ly, lz, fallen = nx, ny, nz, ds
            else:
                x, y, z, nx, ny, nz = qx, qy, qz, mx, my, mz


# ------------------------------------------------------------------------------ drawing


def draw_strands(
    image: Float32Array,
    frame: Frame,
    visible: Visibility,
    hair: Strands,
    hair_linear: FloatArray,
    lights: FloatArray,
) -> Float32Array:
    """Lay the hairs over the lit skin ``image`` (changed in place: times the light the
    hair lets through) and return the hair's own light as a layer to add."""
    layer = np.zeros_like(image)
    if hair.points.shape[0] == 0:
        return layer
    view = frame.view
    camera = np.array(
        [
            [*view.forward, frame.half_extent_mm],
            [*view.right, frame.centre[0]],
            [*view.up, frame.centre[1]],
            [frame.mm_per_px, hair.width_mm / frame.mm_per_px, _OPACITY, 0.0],
        ]
    )
    seg = _segments(
        hair.points,
        hair.normals,
        hair.heights,
        hair.tone,
        hair.hairs,
        camera,
        np.asarray(hair_linear, dtype=np.float64),
        lights,
        np.array(_HAIR_LIGHT),
    )
    order = _near_to_far(seg)
    owner, starts = _band_lists(seg, order, image.shape[0], image.shape[1])
    _line_bands(
        image,
        layer,
        depth_map(visible.triangle, visible.screen, visible.triangles),
        seg,
        owner,
        starts,
        _DEPTH_SLACK_MM,
    )
    return layer


def _near_to_far(seg: FloatArray) -> IntArray:
    """Segments sorted from the nearest to the farthest (stable: ties keep their order)."""
    mid = 0.5 * (seg[:, 2] + seg[:, 5])
    shown = np.isfinite(mid)
    low, high = float(mid[shown].min(initial=0.0)), float(mid[shown].max(initial=1.0))
    far = np.round((np.where(shown, mid, high) - low) / max(high - low, 1e-9) * 65000.0)
    return np.asarray(np.argsort(far.astype(np.uint16), kind="stable"))  # a radix sort


@njit(cache=True, parallel=True, nogil=True)
def _segments(
    points: Float32Array,
    normals: Float32Array,
    heights: Float32Array,
    tone: FloatArray,
    hairs: FloatArray,
    camera: FloatArray,
    hair: FloatArray,
    lights: FloatArray,
    look: FloatArray,
) -> FloatArray:
    """Every strand segment on the screen: ``(x0, y0, d0, x1, y1, d1, r, g, b, cover)``
    (pixels, depth mm, linear RGB, coverage across the line in pixels × opacity). Its
    colour is the hair's lit as the mass it lies in (wrapped diffuse, darker deep in the
    hair, a little more light across the shaft) plus the specular band of a shaft
    (Kajiya–Kay). Segments whose hair mass faces away from the camera get NaN depths."""
    n, k1 = points.shape[0], points.shape[1]
    out = np.empty((n * (k1 - 1), 10))
    half, px = camera[0, 3], camera[3, 0]
    left, top = camera[1, 3] - half, camera[2, 3] + half
    ambient, key_k, fill_k, spec_k, shininess = look[0], look[1], look[2], look[3], look[4]
    wrap = 0.4
    for i in prange(n):
        for k in range(k1 - 1):
            j = i * (k1 - 1) + k
            mx = 0.5 * (normals[i, k, 0] + normals[i, k + 1, 0])
            my = 0.5 * (normals[i, k, 1] + normals[i, k + 1, 1])
            mz = 0.5 * (normals[i, k, 2] + normals[i, k + 1, 2])
            for e in range(2):
                p0, p1, p2 = points[i, k + e, 0], points[i, k + e, 1], points[i, k + e, 2]
                u = p0 * camera[1, 0] + p1 * camera[1, 1] + p2 * camera[1, 2]
                w = p0 * camera[2, 0] + p1 * camera[2, 1] + p2 * camera[2, 2]
                out[j, 3 * e] = (u - left) / px
                out[j, 3 * e + 1] = (top - w) / px
                out[j, 3 * e + 2] = p0 * camera[0, 0] + p1 * camera[0, 1] + p2 * camera[0, 2]
            if mx * camera[0, 0] + my * camera[0, 1] + mz * camera[0, 2] > 0.3:
                out[j, 2] = np.nan
                out[j, 5] = np.nan
            tx = points[i, k + 1, 0] - points[i, k, 0]
            ty = points[i, k + 1, 1] - points[i, k, 1]
            tz = points[i, k + 1, 2] - points[i, k, 2]
            size = max(math.sqrt(tx * tx + ty * ty + tz * tz), 1e-9)
            tx, ty, tz = tx / size, ty / size, tz / size
            nk = mx * lights[0, 0] + my * lights[0, 1] + mz * lights[0, 2]
            nf = mx * lights[1, 0] + my * lights[1, 1] + mz * lights[1, 2]
            tk = tx * lights[0, 0] + ty * lights[0, 1] + tz * lights[0, 2]
            th = tx * lights[2, 0] + ty * lights[2, 1] + tz * lights[2, 2]
            diffuse = key_k * max((nk + wrap) / (1.0 + wrap), 0.0)
            diffuse *= 0.55 + 0.45 * math.sqrt(max(1.0 - tk * tk, 0.0))
            diffuse += fill_k * max((nf + wrap) / (1.0 + wrap), 0.0)
            h = 0.5 * (heights[i, k] + heights[i, k + 1])
            shade = (ambient + diffuse) * (0.55 + 0.45 * min(max(h / 2.0, 0.0), 1.0)) * tone[i]
            shine = math.sqrt(max(1.0 - th * th, 0.0)) ** shininess
            shine *= spec_k * min(max(nk + 0.2, 0.0), 1.0)
            for c in range(3):
                out[j, 6 + c] = shade * hair[c] + shine * (0.55 + 0.45 * hair[c])
            out[j, 9] = camera[3, 1] * hairs[i] * camera[3, 2]
    return out


@njit(cache=True, parallel=True, nogil=True)
def depth_map(seen: Int32Array, screen: FloatArray, triangles: IntArray) -> Float32Array:
    """Depth (mm along the view) of the skin each pixel sees, +inf where none."""
    height, width = seen.shape
    out = np.full((height, width), np.inf, dtype=np.float32)
    for r in prange(height):
        for c in range(width):
            t = seen[r, c]
            if t >= 0:
                a, b, cc = triangles[t, 0], triangles[t, 1], triangles[t, 2]
                w0, w1, w2 = barycentric(screen, a, b, cc, c, r)
                out[r, c] = w0 * screen[a, 2] + w1 * screen[b, 2] + w2 * screen[cc, 2]
    return out


@njit(cache=True, nogil=True)
def _band_lists(
    seg: FloatArray, order: IntArray, height: int, width: int
) -> tuple[IntArray, IntArray]:
    """Segments per band of :data:`BAND_ROWS` rows, in drawing order; off-frame ones left out."""
    bands = (height + BAND_ROWS - 1) // BAND_ROWS
    counts = np.zeros(bands + 1, dtype=np.int64)
    span = np.full((seg.shape[0], 2), -1, dtype=np.int64)
    for i in range(seg.shape[0]):
        x0, y0, x1, y1 = seg[i, 0], seg[i, 1], seg[i, 3], seg[i, 4]
        if math.isnan(seg[i, 2]) or max(x0, x1) < -1.0 or min(x0, x1) > width + 1.0:
            continue
        r0 = max(math.floor(min(y0, y1) - 1.0), 0)
        r1 = min(math.floor(max(y0, y1) + 1.0), height - 1)
        if r1 < r0:
            continue
        span[i, 0], span[i, 1] = r0 // BAND_ROWS, r1 // BAND_ROWS
        for b in range(span[i, 0], span[i, 1] + 1):
            counts[b + 1] += 1
    starts = np.cumsum(counts)
    fill = starts[:-1].copy()
    owner = np.empty(starts[-1], dtype=np.int64)
    for j in range(order.shape[0]):
        i = order[j]
        if span[i, 0] >= 0:
            for b in range(span[i, 0], span[i, 1] + 1):
                owner[fill[b]] = i
                fill[b] += 1
    return owner, starts


@njit(cache=True, parallel=True, nogil=True)
def _line_bands(
    image: Float32Array,
    layer: Float32Array,
    skin_depth: Float32Array,
    seg: FloatArray,
    owner: IntArray,
    starts: IntArray,
    slack: float,
) -> None:
    """Composite antialiased hair segments over ``image``, band by band, near to far (each
    pixel keeps the light the hair in front lets through and adds each hair's share of
    it; one that lets less than :data:`_HIDDEN` through takes no more): ``image`` is
    multiplied by the light they let through and ``layer`` receives theirs."""
    height, width = image.shape[0], image.shape[1]
    for band in prange(starts.shape[0] - 1):
        top = band * BAND_ROWS
        rows = min(top + BAND_ROWS, height) - top
        keep = np.ones((rows, width), dtype=np.float32)
        over = np.zeros((rows, width, 3), dtype=np.float32)
        for j in range(starts[band], starts[band + 1]):
            _line(keep, over, skin_depth, seg[owner[j]], top, slack)
        for r in range(rows):
            for c in range(width):
                for k in range(3):
                    image[top + r, c, k] *= keep[r, c]
                    layer[top + r, c, k] = over[r, c, k]


@njit(cache=True, inline="always")
def _blend(
    keep: Float32Array,
    over: Float32Array,
    skin_depth: Float32Array,
    s: FloatArray,
    top: int,
    r: int,
    c: int,
    cover: float,
    depth: float,
    slack: float,
) -> None:
    rr = r - top
    if rr < 0 or rr >= keep.shape[0] or c < 0 or c >= keep.shape[1] or cover <= 0.0:
        return
    through = keep[rr, c]
    if through < _HIDDEN or depth > skin_depth[r, c] + slack:  # hidden, or behind the head
        return
    a = min(cover, 1.0)
    keep[rr, c] = through * (1.0 - a)
    for k in range(3):
        over[rr, c, k] += through * a * s[6 + k]


@njit(cache=True, nogil=True)
def _line(
    keep: Float32Array,
    over: Float32Array,
    skin_depth: Float32Array,
    s: FloatArray,
    top: int,
    slack: float,
) -> None:
    """One segment ``(x0, y0, d0, x1, y1, d1, r, g, b, cover)`` as a line: along
    its major axis, each pixel column (or row) shares its coverage between the two pixels
    nearest the line (a tent filter); a segment shorter than a pixel lands on one pixel."""
    x0, y0, d0, x1, y1, d1 = s[0], s[1], s[2], s[3], s[4], s[5]
    dx, dy = x1 - x0, y1 - y0
    long_side = max(abs(dx), abs(dy))
    if long_side < 1.0:
        length = math.sqrt(dx * dx + dy * dy)
        xm, ym = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
        cover = s[9] * max(length, 0.25)
        _blend(
            keep,
            over,
            skin_depth,
            s,
            top,
            math.floor(ym),
            math.floor(xm),
            cover,
            0.5 * (d0 + d1),
            slack,
        )
        return
    steep = abs(dy) > abs(dx)
    if steep:  # walk rows: swap the roles of x and y
        x0, y0, x1, y1 = y0, x0, y1, x1
        dx, dy = dy, dx
    if dx < 0.0:
        x0, y0, d0, x1, y1, d1 = x1, y1, d1, x0, y0, d0
        dx, dy = -dx, -dy
    slope = dy / dx
    cover = s[9] * math.sqrt(1.0 + slope * slope)
    first = math.ceil(x0 - 0.5)
    last = math.floor(x1 - 0.5)
    if steep:  # only the rows of this band
        first = max(first, top)
        last = min(last, top + keep.shape[0] - 1)
    else:
        first = max(first, 0)
        last = min(last, keep.shape[1] - 1)
    for u in range(first, last + 1):
        t = (u + 0.5 - x0) / dx
        v = y0 + slope * (u + 0.5 - x0)
        depth = d0 + (d1 - d0) * t
        base = math.floor(v - 0.5)
        w1 = (v - 0.5) - base
        if steep:
            _blend(keep, over, skin_depth, s, top, u, base, cover * (1.0 - w1), depth, slack)
            _blend(keep, over, skin_depth, s, top, u, base + 1, cover * w1, depth, slack)
        else:
            _blend(keep, over, skin_depth, s, top, base, u, cover * (1.0 - w1), depth, slack)
            _blend(keep, over, skin_depth, s, top, base + 1, u, cover * w1, depth, slack)
