"""Scars on the scalp: a FUT donor strip, an FUE punctate field, or any polyline with a width.

A scar specification on the command line reads ``KIND[:FIELD=VALUE]...``:

``fut[:width=2][:length=240][:height=-9]``
    Linear donor-strip scar across the back of the head, ``width`` and ``length`` in mm,
    centred in the midline at ``height`` mm (y) — by default just above the occipital
    protuberance.
``fue[:count=1500][:punch=0.9]``
    ``count`` round punch scars of diameter ``punch`` mm spread over the donor area (back and
    sides), placed at random with the design's seed and at least 2.5 punch diameters apart.
``line:width=W:points=X,Y,Z;X,Y,Z[;...]``
    Any scar along the given points (mm, projected onto the scalp), ``width`` in mm.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np

from smpstudio._errors import ScarError
from smpstudio._kernels import PointHash, ScarArrays, build_hash, scar_kernel
from smpstudio._rng import rng_for
from smpstudio._types import BoolArray, FloatArray
from smpstudio.head import VirtualHead

__all__ = ["MAX_COORDINATE_MM", "SCAR_FIELDS", "Scar", "ScarSet", "parse_scar"]

ScarKind = Literal["fut", "fue", "line"]

# field -> (default, minimum, maximum); None default = required.
SCAR_FIELDS: dict[str, dict[str, tuple[float | None, float, float]]] = {
    "fut": {
        "width": (2.0, 0.5, 15.0),
        "length": (240.0, 40.0, 330.0),
        "height": (math.nan, -60.0, 40.0),
    },
    "fue": {"count": (1500.0, 1.0, 6000.0), "punch": (0.9, 0.5, 1.5)},
    "line": {"width": (None, 0.5, 30.0)},
}
MAX_COORDINATE_MM = 1000.0
"""Largest coordinate accepted for a scar point (a head is about ±100 mm)."""
_EXAMPLES = "e.g. fut:width=2, fue:count=1500, line:width=3:points=0,75,-60;25,70,-62"
_DENSIFY_MM = 0.25
_FUT_HEIGHT_DROP = 0.08  # default strip height below the glabella plane, × lower semi-axis
_FUE_SPACING = 2.5  # minimum centre spacing, × punch diameter


@dataclass(frozen=True, eq=False)
class Scar:
    """A scar as a set of centre points on the surface and a radius around them.

    ``centres`` are the densified polyline (``fut``, ``line``) or the punch centres (``fue``);
    a surface point belongs to the scar when it lies within ``radius_mm`` of a centre.
    """

    kind: ScarKind
    spec: str
    centres: FloatArray
    radius_mm: float
    length_mm: float = 0.0
    parameters: dict[str, float] = field(default_factory=dict)

    def mask(self, points: FloatArray) -> BoolArray:
        """True for surface points on the scar tissue."""
        return ScarSet((self,)).mask(points)

    def nominal_area_mm2(self) -> float:
        """Area from the scar's own dimensions (length × width, or count × punch disc)."""
        if self.kind == "fue":
            return len(self.centres) * math.pi * self.radius_mm**2
        return self.length_mm * 2.0 * self.radius_mm + math.pi * self.radius_mm**2

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "spec": self.spec,
            **self.parameters,
            "length_mm": round(self.length_mm, 2),
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
        parts = [np.full(len(s.centres), s.radius_mm) for s in self.scars] or [np.zeros(0)]
        return np.ascontiguousarray(np.concatenate(parts), dtype=np.float64)

    @property
    def reach(self) -> float:
        return float(self.radius.max()) if len(self.radius) else 0.0

    @cached_property
    def hash(self) -> PointHash:
        return build_hash(self.points, max(self.reach, 1.0))

    @property
    def arrays(self) -> ScarArrays:
        """Points, radii and hash for :func:`smpstudio._kernels.field_kernel`."""
        h = self.hash
        return (self.points, self.radius, h.origin, h.dims, h.starts, h.order)

    def mask(self, points: FloatArray) -> BoolArray:
        """True for surface points on any of the scars."""
        pts = np.ascontiguousarray(np.asarray(points, dtype=np.float64).reshape(-1, 3))
        hit = scar_kernel(pts, self.points, self.radius, self.reach, *self.hash.as_tuple())
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
    return Scar("line", spec, path, values["width"] / 2.0, length, {"width_mm": values["width"]})


def _fut(spec: str, head: VirtualHead, values: dict[str, float]) -> Scar:
    height = values["height"]
    if math.isnan(height):
        height = -_FUT_HEIGHT_DROP * head.shape.b_down
    phi = np.radians(np.linspace(90.0, 270.0, 3601))  # round the back, left to right
    ring = head.shape.from_chart(phi, np.full_like(phi, height))
    cum = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(ring, axis=0), axis=1))])
    centre = cum[len(cum) // 2]
    half = values["length"] / 2.0
    if half > centre:
        raise ScarError(
            f"scar {spec!r}: a {values['length']:g} mm strip does not fit between the ears "
            f"at this height (at most {2 * centre:.0f} mm)"
        )
    keep = np.abs(cum - centre) <= half
    path, length = _densify(head, ring[keep])
    params = {"width_mm": values["width"], "height_mm": round(height, 2)}
    return Scar("fut", spec, path, values["width"] / 2.0, length, params)


def _fue(spec: str, head: VirtualHead, values: dict[str, float], seed: int) -> Scar:
    count, punch = int(values["count"]), values["punch"]
    rng = rng_for(seed, "fue-scars")
    spacing = _FUE_SPACING * punch
    low, high = -0.5 * head.shape.b_down, 0.25 * head.shape.b_up
    candidates = _donor_candidates(head, rng, 4 * count, low, high)
    tree_points: list[FloatArray] = []
    grid: dict[tuple[int, int, int], list[int]] = {}
    for p in candidates:
        cell = tuple((p // spacing).astype(int))
        near = [
            j
            for dx in (-1, 0, 1)
            for dy in (-1, 0, 1)
            for dz in (-1, 0, 1)
            for j in grid.get((cell[0] + dx, cell[1] + dy, cell[2] + dz), [])
        ]
        if any(np.linalg.norm(tree_points[j] - p) < spacing for j in near):
            continue
        grid.setdefault((cell[0], cell[1], cell[2]), []).append(len(tree_points))
        tree_points.append(p)
        if len(tree_points) == count:
            break
    if len(tree_points) < count:
        raise ScarError(
            f"scar {spec!r}: {count} punches of {punch:g} mm do not fit in the donor area "
            f"{_FUE_SPACING:g} diameters apart (at most about {len(tree_points)})"
        )
    params = {"count": float(count), "punch_mm": punch}
    return Scar("fue", spec, np.asarray(tree_points), punch / 2.0, 0.0, params)


def _donor_candidates(
    head: VirtualHead, rng: np.random.Generator, n: int, low: float, high: float
) -> FloatArray:
    """Uniform points (by area) on the back and sides between heights ``low`` and ``high``."""
    out: list[FloatArray] = []
    got = 0
    while got < n:
        d = rng.standard_normal((4 * n, 3))
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        p = head.shape.project(d)
        phi, y = head.shape.to_chart(p)
        zone = (np.abs(phi) >= math.radians(95.0)) & (y >= low) & (y <= high)
        zone &= head.natural_scalp_mask(p)
        w = head.shape.area_density(d)
        keep = zone & (rng.random(len(d)) * w.max() * 1.05 < w)
        out.append(p[keep])
        got += int(keep.sum())
    return np.concatenate(out)[:n]
