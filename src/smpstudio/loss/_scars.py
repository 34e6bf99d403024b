"""Scars on the scalp: a FUT donor strip, an FUE punctate field, or any polyline with a width.

A scar specification on the command line reads ``KIND[:FIELD=VALUE]...``:

``fut[:width=2][:length=240][:height=-9][:rise=20][:margin=4]``
    The donor-strip scar: a crescent across the back of the head that follows the occipital
    contour — centred in the midline at ``height`` mm (y; by default just above the occipital
    protuberance), rising ``rise`` mm toward its ends above the ears — ``length`` mm long and
    ``width`` mm wide in the middle, tapering to 40 % of that at its ends. A feathered
    ``margin`` mm wide (3–5 mm blends a strip scar into the hair around it) takes dots between
    the hairs, their density falling from the scar's to nothing.
``fue[:count=1500][:punch=0.9][:spacing=1.8][:margin=0]``
    ``count`` round punch scars of diameter ``punch`` mm spread evenly, as a harvest is, over
    the safe donor zone — the hair a Norwood 7 keeps, 10 mm inside its edge, from 15 mm above
    the natural nape and sideburn edge, behind the front of the ears — at least ``spacing`` mm
    apart (centre to centre; about one punch of intact skin between punches). Placed with
    the design's seed.
``line:width=W:points=X,Y,Z;X,Y,Z[;...][:margin=4]``
    Any scar along the given points (mm, projected onto the scalp), ``width`` in mm.
"""

from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Literal

import numpy as np
from scipy.spatial import cKDTree

from smpstudio._errors import ScarError
from smpstudio._kernels import PointHash, ScarArrays, build_hash, scar_kernel
from smpstudio._rng import rng_for
from smpstudio._types import BoolArray, FloatArray
from smpstudio.head import VirtualHead
from smpstudio.loss._patterns import loss_pattern

__all__ = ["MAX_COORDINATE_MM", "SCAR_FIELDS", "Scar", "ScarSet", "parse_scar"]

ScarKind = Literal["fut", "fue", "line"]

# field -> (default, minimum, maximum); None default = required.
SCAR_FIELDS: dict[str, dict[str, tuple[float | None, float, float]]] = {
    "fut": {
        "width": (2.0, 0.5, 15.0),
        "length": (240.0, 40.0, 330.0),
        "height": (math.nan, -60.0, 40.0),
        "rise": (20.0, 0.0, 40.0),
        "margin": (4.0, 0.0, 10.0),
    },
    "fue": {
        "count": (1500.0, 1.0, 8000.0),
        "punch": (0.9, 0.5, 1.5),
        "spacing": (math.nan, 1.0, 10.0),
        "margin": (0.0, 0.0, 5.0),
    },
    "line": {"width": (None, 0.5, 30.0), "margin": (4.0, 0.0, 10.0)},
}
MAX_COORDINATE_MM = 1000.0
"""Largest coordinate accepted for a scar point (a head is about ±100 mm)."""
_EXAMPLES = "e.g. fut:width=2, fue:count=1500, line:width=3:points=0,75,-60;25,70,-62"
_DENSIFY_MM = 0.25
_FUT_HEIGHT_DROP = 0.08  # default strip height below the glabella plane, × lower semi-axis
_FUT_END_WIDTH = 0.4  # width at the ends of the crescent, share of its width in the middle [U]
_FUE_GAP = 1.0  # default intact skin between punch centres: spacing = punch + gap [U]
_SDZ_INSIDE_MM = 10.0  # the safe donor zone stays this far inside the Norwood 7 wreath [U]
_SDZ_ABOVE_EDGE_MM = 15.0  # and this far above the natural nape and sideburn edge [U]
_SDZ_AZIMUTH_DEG = 60.0  # and behind this azimuth (about the front of the ears) [U]
_FUE_CANDIDATES = 5  # candidates per punch before sample elimination
_RELAX_ROUNDS = 30
_FUE_SPARE = 1.04  # place this many more, then thin back to the count
_RELAX_REACH = 1.15  # relaxation pushes apart centres closer than this × spacing (or the
# hexagonal packing's spacing if smaller), so a small harvest keeps its irregular spread
_NORWOOD_7 = loss_pattern("norwood-7")


@dataclass(frozen=True, eq=False)
class Scar:
    """A scar as a set of centre points on the surface and a radius around each.

    ``centres`` are the densified polyline (``fut``, ``line``) or the punch centres (``fue``);
    a surface point belongs to the scar when it lies within its centre's radius (``radii``,
    or ``radius_mm`` for all) of a centre, and to its blending margin within ``margin_mm``
    beyond that.
    """

    kind: ScarKind
    spec: str
    centres: FloatArray
    radius_mm: float
    length_mm: float = 0.0
    parameters: dict[str, float] = field(default_factory=dict)
    radii: FloatArray | None = None
    margin_mm: float = 0.0

    @property
    def centre_radii(self) -> FloatArray:
        """The radius around each centre (mm)."""
        if self.radii is not None:
            return self.radii
        return np.full(len(self.centres), self.radius_mm)

    def mask(self, points: FloatArray, *, margin: bool = False) -> BoolArray:
        """True for surface points on the scar tissue (and its blending margin with
        ``margin``)."""
        return ScarSet((self,)).mask(points, margin=margin)

    def nominal_area_mm2(self) -> float:
        """Area from the scar's own dimensions (the width along its length, or count × punch
        disc)."""
        radii = self.centre_radii
        if self.kind == "fue":
            return float(np.sum(math.pi * radii**2))
        step = self.length_mm / max(len(radii) - 1, 1)
        ends = math.pi * (radii[0] ** 2 + radii[-1] ** 2) / 2.0
        return float(np.sum(2.0 * radii) * step + ends)

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "spec": self.spec,
            **self.parameters,
            "length_mm": round(self.length_mm, 2),
            "margin_mm": self.margin_mm,
        }


@dataclass(frozen=True, eq=False)
class ScarSet:
    """Several scars bucketed together for the compiled kernels."""

    scars: tuple[Scar, ...]

    @cached_property
    def points(self) -> FloatArray:
        parts = [s.centres for s in self.scars] or [np.zeros((0, 3))]
        return np.ascontiguousarray(np.concatenate(parts), dtype=np.float64)

    @cached_property
    def radius(self) -> FloatArray:
        parts = [s.centre_radii for s in self.scars] or [np.zeros(0)]
        return np.ascontiguousarray(np.concatenate(parts), dtype=np.float64)

    @cached_property
    def margin(self) -> FloatArray:
        parts = [np.full(len(s.centres), s.margin_mm) for s in self.scars] or [np.zeros(0)]
        return np.ascontiguousarray(np.concatenate(parts), dtype=np.float64)

    @property
    def reach(self) -> float:
        """Farthest a scar or its margin reaches from a centre (mm)."""
        return float((self.radius + self.margin).max()) if len(self.radius) else 0.0

    @cached_property
    def hash(self) -> PointHash:
        return build_hash(self.points, max(self.reach, 1.0))

    @property
    def arrays(self) -> ScarArrays:
        """Points, radii and hash for :func:`smpstudio._kernels.field_kernel`."""
        h = self.hash
        return (self.points, self.radius, self.margin, h.origin, h.dims, h.starts, h.order)

    def mask(self, points: FloatArray, *, margin: bool = True) -> BoolArray:
        """True for surface points on any of the scars or, with ``margin`` (the default: where
        a scar asks for dots), in their blending margins."""
        pts = np.ascontiguousarray(np.asarray(points, dtype=np.float64).reshape(-1, 3))
        hit = scar_kernel(
            pts,
            self.points,
            self.radius,
            self.margin,
            self.reach,
            *self.hash.as_tuple(),
            margin,
        )
        return np.asarray(hit.reshape(np.shape(points)[:-1]), dtype=np.bool_)


def parse_scar(spec: str, head: VirtualHead, *, seed: int = 0) -> Scar:
    """Build a :class:`Scar` from its text specification (see the module docstring)."""
    kind, fields, points_text = _split(spec)
    values = _numbers(spec, kind, fields)
    if kind == "fut":
        return _fut(spec, head, values)
    if kind == "fue":
        return _fue(spec, head, values, seed)
    if points_text is None:
        raise ScarError(f"scar {spec!r}: a line needs points=X,Y,Z;X,Y,Z ({_EXAMPLES})")
    return _line(spec, head, values, _points(spec, points_text))


def _split(spec: str) -> tuple[ScarKind, dict[str, str], str | None]:
    parts = [p.strip() for p in spec.strip().split(":")]
    kind = parts[0].lower()
    if kind not in SCAR_FIELDS:
        raise ScarError(
            f"scar {spec!r}: unknown kind {parts[0]!r}; use fut, fue or line ({_EXAMPLES})"
        )
    fields: dict[str, str] = {}
    points_text = None
    for part in parts[1:]:
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or not key:
            raise ScarError(f"scar {spec!r}: {part!r} is not FIELD=VALUE ({_EXAMPLES})")
        if kind == "line" and key == "points":
            points_text = value
            continue
        if key not in SCAR_FIELDS[kind]:
            allowed = ", ".join([*SCAR_FIELDS[kind], *(["points"] if kind == "line" else [])])
            raise ScarError(f"scar {spec!r}: unknown field {key!r} for {kind} (fields: {allowed})")
        if key in fields:
            raise ScarError(f"scar {spec!r}: field {key!r} is given twice")
        fields[key] = value
    return kind, fields, points_text  # type: ignore[return-value]


def _numbers(spec: str, kind: str, fields: dict[str, str]) -> dict[str, float]:
    values: dict[str, float] = {}
    for key, (default, low, high) in SCAR_FIELDS[kind].items():
        if key not in fields:
            if default is None:
                raise ScarError(f"scar {spec!r}: {kind} needs {key}=... in mm ({_EXAMPLES})")
            values[key] = default
            continue
        try:
            value = float(fields[key])
        except ValueError:
            raise ScarError(f"scar {spec!r}: {key} must be a number, got {fields[key]!r}") from None
        if not (math.isfinite(value) and low <= value <= high):
            raise ScarError(f"scar {spec!r}: {key}={fields[key]} is outside {low:g}–{high:g}")
        if key == "count" and value != int(value):
            raise ScarError(f"scar {spec!r}: count must be a whole number, got {fields[key]!r}")
        values[key] = value
    return values


def _points(spec: str, text: str) -> FloatArray:
    rows = []
    for i, chunk in enumerate(filter(None, (c.strip() for c in text.split(";"))), start=1):
        try:
            xyz = [float(v) for v in chunk.split(",")]
        except ValueError:
            xyz = []
        if len(xyz) != 3 or not all(math.isfinite(v) for v in xyz):
            raise ScarError(f"scar {spec!r}: point {i} {chunk!r} is not X,Y,Z in mm")
        if max(abs(v) for v in xyz) > MAX_COORDINATE_MM:
            raise ScarError(
                f"scar {spec!r}: point {i} {chunk!r} is more than {MAX_COORDINATE_MM:g} mm "
                "from the head centre on an axis: give millimetres in the head frame"
            )
        rows.append(xyz)
    if len(rows) < 2:
        raise ScarError(f"scar {spec!r}: a line needs at least two points X,Y,Z;X,Y,Z")
    return np.asarray(rows, dtype=np.float64)


def _densify(head: VirtualHead, corners: FloatArray) -> tuple[FloatArray, float]:
    pieces = []
    for a, b in itertools.pairwise(corners):
        steps = max(2, math.ceil(np.linalg.norm(b - a) / _DENSIFY_MM) + 1)
        t = np.linspace(0.0, 1.0, steps)[:, None]
        pieces.append(head.shape.project(a + t * (b - a)))
    path = np.concatenate([pieces[0], *[p[1:] for p in pieces[1:]]])
    return path, float(np.linalg.norm(np.diff(path, axis=0), axis=1).sum())


def _line(spec: str, head: VirtualHead, values: dict[str, float], raw: FloatArray) -> Scar:
    if np.any(np.linalg.norm(raw, axis=1) < 1.0):
        raise ScarError(
            f"scar {spec!r}: a point at the head centre cannot be projected onto the scalp"
        )
    corners = head.shape.project(raw)
    on_scalp = head.natural_scalp_mask(corners)
    if not on_scalp.all():
        i = int(np.argmin(on_scalp))
        x, y, z = raw[i]
        raise ScarError(
            f"scar {spec!r}: point {i + 1} ({x:g}, {y:g}, {z:g}) lies off the scalp; "
            "give points on the hair-bearing scalp (mm, head frame)"
        )
    path, length = _densify(head, corners)
    params = {"width_mm": values["width"]}
    return Scar(
        "line", spec, path, values["width"] / 2.0, length, params, margin_mm=values["margin"]
    )


def _fut(spec: str, head: VirtualHead, values: dict[str, float]) -> Scar:
    height, rise = values["height"], values["rise"]
    if math.isnan(height):
        height = -_FUT_HEIGHT_DROP * head.shape.b_down
    phi = np.radians(np.linspace(90.0, 270.0, 3601))  # round the back, left to right
    ring = head.shape.from_chart(phi, np.full_like(phi, height))
    cum = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(ring, axis=0), axis=1))])
    centre = cum[len(cum) // 2]
    half = values["length"] / 2.0
    for _ in range(3):  # the rise lengthens the path: shorten the span until it is right
        if half > centre:
            raise ScarError(
                f"scar {spec!r}: a {values['length']:g} mm strip does not fit between the ears "
                f"at this height (at most about {2 * centre:.0f} mm)"
            )
        path, u = _crescent(head, phi, cum, centre, half, height, rise)
        length = float(np.linalg.norm(np.diff(path, axis=0), axis=1).sum())
        half *= values["length"] / length
    if not head.natural_scalp_mask(path).all():
        raise ScarError(
            f"scar {spec!r}: the strip leaves the scalp at its ends; give a lower rise or "
            "height, or a shorter length"
        )
    radii = values["width"] / 2.0 * (_FUT_END_WIDTH + (1.0 - _FUT_END_WIDTH) * np.sqrt(1 - u**2))
    params = {"width_mm": values["width"], "height_mm": round(height, 2), "rise_mm": rise}
    return Scar(
        "fut",
        spec,
        path,
        values["width"] / 2.0,
        length,
        params,
        radii=np.ascontiguousarray(radii),
        margin_mm=values["margin"],
    )


def _crescent(
    head: VirtualHead,
    phi: FloatArray,
    cum: FloatArray,
    centre: float,
    half: float,
    height: float,
    rise: float,
) -> tuple[FloatArray, FloatArray]:
    """Points every ~0.25 mm along the crescent and their position ``u`` (−1 … 1) on it: the
    ring's azimuth at each arc length, lifted ``rise × u²`` toward the ends."""
    n = max(3, math.ceil(2.0 * half / _DENSIFY_MM) + 1)
    u = np.linspace(-1.0, 1.0, n)
    azimuth = np.interp(centre + u * half, cum, phi)
    path = head.shape.from_chart(azimuth, height + rise * u**2)
    return head.shape.project(path), u


def _fue(spec: str, head: VirtualHead, values: dict[str, float], seed: int) -> Scar:
    count, punch = int(values["count"]), values["punch"]
    spacing = values["spacing"]
    if math.isnan(spacing):
        spacing = punch + _FUE_GAP
    if spacing < punch:
        raise ScarError(
            f"scar {spec!r}: spacing={spacing:g} mm is less than the punch ({punch:g} mm): "
            "punches would overlap"
        )
    zone_cm2 = _donor_zone_area(head)
    packed = math.floor(zone_cm2 * 100.0 / (spacing**2 * math.sqrt(3.0) / 2.0))
    if count > packed:  # more than even a hexagonal packing holds: refused before any work
        raise ScarError(
            f"scar {spec!r}: {count} punches do not fit in the safe donor zone "
            f"({zone_cm2:.0f} cm²) at least {spacing:g} mm apart (a perfect packing holds "
            f"{packed}, a surgeon's spread about 40 % of that); give fewer punches or a "
            "smaller spacing"
        )
    centres, area_cm2 = _harvest(head, count, spacing, seed)
    if len(centres) < count:
        raise ScarError(
            f"scar {spec!r}: {count} punches do not fit in the safe donor zone "
            f"({area_cm2:.0f} cm²) at least {spacing:g} mm apart (at most about "
            f"{len(centres)}); give fewer punches or a smaller spacing"
        )
    params = {
        "count": float(count),
        "punch_mm": punch,
        "spacing_mm": round(spacing, 3),
        "donor_zone_cm2": round(area_cm2, 1),
    }
    return Scar("fue", spec, centres, punch / 2.0, 0.0, params, margin_mm=values["margin"])


@lru_cache(maxsize=16)
def _harvest(head: VirtualHead, count: int, spacing: float, seed: int) -> tuple[FloatArray, float]:
    """Punch centres spread evenly over the safe donor zone, and the zone's area (cm²).

    Candidates uniform by area (``_FUE_CANDIDATES`` per punch) are thinned by weighted
    sample elimination (Yuksel, Computer Graphics Forum 2015): the most crowded candidate goes
    first, until a few more than ``count`` remain; rounds of relaxation then push apart those
    closer than a little over ``spacing`` (at most a hexagonal packing's spacing), any still
    closer than ``spacing`` are dropped, and elimination thins the rest to ``count``. That
    spreads them evenly and irregularly, as a surgeon spreads a harvest. Fewer than
    ``count`` centres come back when they cannot stay ``spacing`` apart.
    """
    area_cm2 = _donor_zone_area(head)
    rng = rng_for(seed, "fue-scars")
    target = math.ceil(_FUE_SPARE * count)
    candidates = _donor_candidates(head, rng, _FUE_CANDIDATES * target)
    lattice = _lattice(area_cm2, target)
    reach = min(lattice, _RELAX_REACH * spacing)
    kept = _relax(head, _eliminate(candidates, target, lattice), reach)
    if cKDTree(kept).query_pairs(spacing * (1 - 1e-9)):
        kept = _greedy_subset(kept, spacing)
    if len(kept) > count:  # thinning keeps the spacing and the even spread
        kept = _eliminate(kept, count, _lattice(area_cm2, count))
    return np.ascontiguousarray(kept), area_cm2


def _lattice(area_cm2: float, count: int) -> float:
    """Spacing (mm) of ``count`` points in a hexagonal packing of ``area_cm2``."""
    return 2.0 * math.sqrt(area_cm2 * 100.0 / (2.0 * math.sqrt(3.0) * count))


def _eliminate(points: FloatArray, keep: int, reach: float) -> FloatArray:
    """Weighted sample elimination down to ``keep`` points (weights (1 − d / reach)^8)."""
    if len(points) <= keep:
        return points
    tree = cKDTree(points)
    pairs = tree.query_pairs(reach, output_type="ndarray")
    d = np.linalg.norm(points[pairs[:, 0]] - points[pairs[:, 1]], axis=1)
    w = (1.0 - d / reach) ** 8
    weight = np.bincount(pairs[:, 0], w, len(points)) + np.bincount(pairs[:, 1], w, len(points))
    order = np.argsort(np.concatenate([pairs[:, 0], pairs[:, 1]]), kind="stable")
    other = np.concatenate([pairs[:, 1], pairs[:, 0]])[order]
    wpair = np.concatenate([w, w])[order]
    starts = np.searchsorted(
        np.concatenate([pairs[:, 0], pairs[:, 1]])[order], np.arange(len(points) + 1)
    )
    alive = np.ones(len(points), dtype=bool)
    heap = [(-float(weight[i]), i) for i in range(len(points))]
    heapq.heapify(heap)
    remaining = len(points)
    while remaining > keep:
        neg, i = heapq.heappop(heap)
        if not alive[i] or -neg != weight[i]:
            continue  # removed, or a stale entry
        alive[i] = False
        remaining -= 1
        for k in range(starts[i], starts[i + 1]):
            j = int(other[k])
            if alive[j]:
                weight[j] -= wpair[k]
                heapq.heappush(heap, (-float(weight[j]), j))
    return np.asarray(points[alive], dtype=np.float64)


def _relax(head: VirtualHead, points: FloatArray, lattice: float) -> FloatArray:
    """Rounds of pushing apart centres closer than ``lattice``, each move kept on the surface
    and in the donor zone."""
    pts = points.copy()
    for _ in range(_RELAX_ROUNDS):
        pairs = cKDTree(pts).query_pairs(lattice, output_type="ndarray")
        if not len(pairs):
            break
        gap = pts[pairs[:, 1]] - pts[pairs[:, 0]]
        dist = np.maximum(np.linalg.norm(gap, axis=1, keepdims=True), 1e-9)
        push = 0.25 * (lattice - dist) * gap / dist
        shift = np.zeros_like(pts)
        np.add.at(shift, pairs[:, 0], -push)
        np.add.at(shift, pairs[:, 1], push)
        moved = head.shape.project(pts + shift)
        inside = _in_donor_zone(head, moved)
        pts[inside] = moved[inside]
    return pts


def _greedy_subset(points: FloatArray, spacing: float) -> FloatArray:
    """The points, in order, that keep ``spacing`` from every one kept before them."""
    close = cKDTree(points).query_pairs(spacing * (1 - 1e-9), output_type="ndarray")
    drop = np.zeros(len(points), dtype=bool)
    for i, j in sorted(map(tuple, np.sort(close, axis=1).tolist())):
        if not drop[i]:
            drop[j] = True
    return points[~drop]


def _in_donor_zone(head: VirtualHead, points: FloatArray) -> BoolArray:
    """The safe donor zone: natural scalp that a Norwood 7 keeps, ``_SDZ_INSIDE_MM`` inside
    its edge, ``_SDZ_ABOVE_EDGE_MM`` above the natural nape and sideburn edge, behind
    ``_SDZ_AZIMUTH_DEG`` of azimuth (about the front of the ears)."""
    phi, y = head.shape.to_chart(points)
    wreath = _NORWOOD_7.coverage(points, edge_mm=2.0 * _SDZ_INSIDE_MM) >= 0.999
    above = y >= head.natural_edge_height(phi) + _SDZ_ABOVE_EDGE_MM
    behind = np.abs(phi) >= math.radians(_SDZ_AZIMUTH_DEG)
    return np.asarray(wreath & above & behind & head.natural_scalp_mask(points), dtype=np.bool_)


@lru_cache(maxsize=8)
def _donor_zone_area(head: VirtualHead) -> float:
    mesh = head.mesh
    inside = _in_donor_zone(head, head.shape.project(mesh.centroids))
    return float(mesh.triangle_areas[inside].sum()) / 100.0


def _donor_candidates(head: VirtualHead, rng: np.random.Generator, n: int) -> FloatArray:
    """Uniform points (by area) in the safe donor zone."""
    out: list[FloatArray] = []
    got = 0
    while got < n:
        d = rng.standard_normal((4 * n, 3))
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        p = head.shape.project(d)
        w = head.shape.area_density(d)
        keep = _in_donor_zone(head, p) & (rng.random(len(d)) * w.max() * 1.05 < w)
        out.append(p[keep])
        got += int(keep.sum())
    return np.concatenate(out)[:n]
