"""The head surface: a piecewise superellipsoid fitted to standard head measures.

Frame (millimetres): origin at the centre of the head (middle of the glabella–opisthocranion
line), +x toward the client's left, +y up, +z toward the face.

The surface is the unit level set of a gauge function ``H`` (positive, homogeneous of
degree 1, convex)::

    h(x, z) = (|x/a|**n + |z/c|**n) ** (1/n)         n = n_front if z >= 0 else n_back
    H(p)    = (h**e + |y/b|**e) ** (1/e)              e, b = (e_up, b_up) if y >= 0 else down

Every direction from the origin meets the surface once, at ``d / H(d)``; the horizontal
section at height ``y`` is the superellipse ``h = (1 - |y/b|**e) ** (1/e)``. The pieces meet
with continuous tangent planes. ``a`` is half the breadth, ``c`` half the length, and the
exponents ``n`` are solved so that the section through glabella and opisthocranion has the
measured circumference: the back of a head is boxier than the forehead, so
``n_back = n_front + 0.5``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache

import numpy as np
from scipy.optimize import brentq

from smpstudio._errors import HeadMeasureError
from smpstudio._types import FloatArray
from smpstudio.head._measures import HeadMeasures
from smpstudio.head._morphs import Face, FaceMorphs

__all__ = ["HeadShape", "superellipse_perimeter"]

BACK_EXTRA_EXPONENT = 0.5
E_UP = 3.0
E_DOWN = 2.0
B_DOWN_RATIO = 1.15
N_SEARCH = (1.4, 8.0)


def superellipse_perimeter(a: float, c: float, n_front: float, n_back: float) -> float:
    """Perimeter of two half superellipses ``|x/a|**n + |z/c|**n = 1`` (front z>0, back z<0).

    >>> round(superellipse_perimeter(1.0, 1.0, 2.0, 2.0), 6) == round(2 * math.pi, 6)
    True
    """
    return _half_perimeter(a, c, n_front) + _half_perimeter(a, c, n_back)


def _half_perimeter(a: float, c: float, n: float, samples: int = 20001) -> float:
    t = np.linspace(0.0, math.pi, samples)
    cos_t, sin_t = np.cos(t), np.sin(t)
    x = a * np.sign(cos_t) * np.abs(cos_t) ** (2.0 / n)
    z = c * np.abs(sin_t) ** (2.0 / n)
    return float(np.hypot(np.diff(x), np.diff(z)).sum())


@dataclass(frozen=True)
class HeadShape:
    """Implicit head surface fitted to :class:`HeadMeasures`.

    Examples
    --------
    >>> shape = HeadShape.from_measures(HeadMeasures.preset("M"))
    >>> p = shape.project(np.array([[0.0, 0.0, 1.0]]))   # straight ahead: the glabella
    >>> p.round(6).tolist()
    [[0.0, 0.0, 97.5]]
    >>> round(float(shape.gauge(p)[0]), 12)
    1.0
    """

    a: float
    c: float
    n_front: float
    n_back: float
    b_up: float
    b_down: float
    e_up: float = E_UP
    e_down: float = E_DOWN
    face: Face = field(default_factory=Face)
    """The face drawn under the scalp (:mod:`smpstudio.head._face`); no design number
    depends on it."""

    @classmethod
    def from_measures(cls, measures: HeadMeasures, *, face: FaceMorphs | None = None) -> HeadShape:
        """The surface fitted to ``measures``, drawn with the face ``face`` (a man of 35 of
        mixed ancestry by default)."""
        shape = _shape_for(measures)
        return shape if face is None or face == shape.face.morphs else _with_face(shape, face)

    # ------------------------------------------------------------------ implicit function
    def _pieces(self, p: FloatArray) -> tuple[FloatArray, ...]:
        x, y, z = p[..., 0], p[..., 1], p[..., 2]
        n = np.where(z >= 0.0, self.n_front, self.n_back)
        e = np.where(y >= 0.0, self.e_up, self.e_down)
        b = np.where(y >= 0.0, self.b_up, self.b_down)
        ax, az, ay = np.abs(x) / self.a, np.abs(z) / self.c, np.abs(y) / b
        q = ax**n + az**n
        h = q ** (1.0 / n)
        f = h**e + ay**e
        return x, y, z, n, e, b, ax, az, ay, q, h, f

    def gauge(self, p: FloatArray) -> FloatArray:
        """Gauge ``H(p)``: 1 on the surface, below 1 inside, homogeneous of degree 1."""
        *_, e, _b, _ax, _az, _ay, _q, _h, f = self._pieces(np.asarray(p, dtype=np.float64))
        return np.asarray(f ** (1.0 / e), dtype=np.float64)

    def gauge_gradient(self, p: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Return ``(H(p), grad H(p))`` with the gradient as ``(..., 3)``."""
        x, y, z, n, e, b, ax, az, ay, q, h, f = self._pieces(np.asarray(p, dtype=np.float64))
        safe_q = np.where(q > 0.0, q, 1.0)
        dh_common = np.where(q > 0.0, safe_q ** (1.0 / n - 1.0), 0.0) * h ** (e - 1.0)
        gx = dh_common * ax ** (n - 1.0) * np.sign(x) / self.a
        gz = dh_common * az ** (n - 1.0) * np.sign(z) / self.c
        gy = ay ** (e - 1.0) * np.sign(y) / b
        scale = f ** (1.0 / e - 1.0)
        grad = np.stack([gx * scale, gy * scale, gz * scale], axis=-1)
        return np.asarray(f ** (1.0 / e), dtype=np.float64), grad

    # ------------------------------------------------------------------ points and normals
    def project(self, p: FloatArray) -> FloatArray:
        """Project points (or directions) radially onto the surface."""
        p = np.asarray(p, dtype=np.float64)
        g = self.gauge(p)
        if np.any(g <= 0.0):
            raise HeadMeasureError("cannot project the head centre (0, 0, 0) onto the surface")
        return np.asarray(p / g[..., None], dtype=np.float64)

    def normal(self, p: FloatArray) -> FloatArray:
        """Outward unit normal at surface points ``p``."""
        _, grad = self.gauge_gradient(p)
        return np.asarray(grad / np.linalg.norm(grad, axis=-1, keepdims=True), dtype=np.float64)

    def area_density(self, directions: FloatArray) -> FloatArray:
        """Surface area per steradian of direction: ``dA/dOmega = r**3 |grad H|``.

        From ``p = r d`` on the surface and Euler's relation ``p . grad H = H = 1``.
        """
        d = np.asarray(directions, dtype=np.float64)
        d = d / np.linalg.norm(d, axis=-1, keepdims=True)
        r = 1.0 / self.gauge(d)
        _, grad = self.gauge_gradient(d * r[..., None])
        return np.asarray(r**3 * np.linalg.norm(grad, axis=-1), dtype=np.float64)

    # ------------------------------------------------------------------ cylindrical chart
    def section_scale(self, y: FloatArray) -> FloatArray:
        """Scale of the horizontal section at height ``y`` (1 at y = 0, 0 at the poles)."""
        y = np.asarray(y, dtype=np.float64)
        e = np.where(y >= 0.0, self.e_up, self.e_down)
        b = np.where(y >= 0.0, self.b_up, self.b_down)
        t = np.clip(1.0 - (np.abs(y) / b) ** e, 0.0, 1.0)
        return np.asarray(t ** (1.0 / e), dtype=np.float64)

    def from_chart(self, phi: FloatArray, y: FloatArray) -> FloatArray:
        """Surface point at azimuth ``phi`` (radians, 0 = face, +pi/2 = client's left) and
        height ``y`` (mm)."""
        phi, y = np.broadcast_arrays(
            np.asarray(phi, dtype=np.float64), np.asarray(y, dtype=np.float64)
        )
        sx, cz = np.sin(phi), np.cos(phi)
        unit = np.stack([sx, np.zeros_like(sx), cz], axis=-1)
        rho = self.section_scale(y) / self.gauge(unit)
        return np.stack([rho * sx, y, rho * cz], axis=-1)

    @staticmethod
    def to_chart(p: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Azimuth (radians) and height (mm) of points."""
        p = np.asarray(p, dtype=np.float64)
        return np.arctan2(p[..., 0], p[..., 2]), p[..., 1].copy()

    def meridian_arc(self, phi: float, y: FloatArray, *, steps: int = 4000) -> FloatArray:
        """Arc length along the skin from height 0 to height ``y`` at azimuth ``phi``.

        Negative for points below the glabella plane.
        """
        grid, cum = _meridian_table(self, float(phi), steps)
        return np.asarray(np.interp(np.asarray(y, dtype=np.float64), grid, cum), dtype=np.float64)

    def height_at_arc(self, phi: float, arc: FloatArray, *, steps: int = 4000) -> FloatArray:
        """Inverse of :meth:`meridian_arc`: height ``y`` reached after ``arc`` mm of skin."""
        grid, cum = _height_table(self, float(phi), steps)
        arc = np.asarray(arc, dtype=np.float64)
        if np.any(arc > cum[-1]) or np.any(arc < 0):
            raise HeadMeasureError(
                f"an arc of {float(np.max(arc)):.0f} mm from the glabella plane does not fit on "
                f"this head (at most {cum[-1]:.0f} mm up to the vertex)"
            )
        return np.asarray(np.interp(arc, cum, grid), dtype=np.float64)

    @cached_property
    def bounding_radius(self) -> float:
        return float(math.hypot(max(self.a, self.c), max(self.b_up, self.b_down)))

    def section_perimeter(self) -> float:
        """Perimeter of the glabella–opisthocranion section (the measured circumference)."""
        return superellipse_perimeter(self.a, self.c, self.n_front, self.n_back)


@lru_cache(maxsize=32)
def _shape_for(measures: HeadMeasures) -> HeadShape:
    """Fit the exponents once per set of measures (a root search over perimeters)."""
    a = measures.breadth_mm / 2.0
    c = measures.length_mm / 2.0

    def excess(n: float) -> float:
        return superellipse_perimeter(a, c, n, n + BACK_EXTRA_EXPONENT) - measures.circumference_mm

    low, high = N_SEARCH
    if excess(low) > 0 or excess(high) < 0:
        lo_c = excess(low) + measures.circumference_mm
        hi_c = excess(high) + measures.circumference_mm
        raise HeadMeasureError(
            f"head circumference {measures.circumference_mm:g} mm does not fit a head "
            f"{measures.length_mm:g} mm long and {measures.breadth_mm:g} mm broad "
            f"(possible: {lo_c:.0f}–{hi_c:.0f} mm); check the three measures"
        )
    n = float(brentq(excess, low, high, xtol=1e-10))
    b_up = measures.vertex_height_mm
    return HeadShape(
        a=a,
        c=c,
        n_front=n,
        n_back=n + BACK_EXTRA_EXPONENT,
        b_up=b_up,
        b_down=B_DOWN_RATIO * b_up,
        face=Face(FaceMorphs(), measures.face_height_mm, measures.canthal_width_mm),
    )


@lru_cache(maxsize=32)
def _with_face(shape: HeadShape, face: FaceMorphs) -> HeadShape:
    return replace(shape, face=replace(shape.face, morphs=face))


@lru_cache(maxsize=64)
def _meridian_table(shape: HeadShape, phi: float, steps: int) -> tuple[FloatArray, FloatArray]:
    """Heights and the skin arc from height 0 to each along the meridian at ``phi`` (the
    hairline asks for the same meridians for every design on a head)."""
    top = shape.b_up * (1.0 - 1e-9)
    bottom = -shape.b_down * (1.0 - 1e-9)
    grid = np.concatenate([np.linspace(bottom, 0.0, steps), np.linspace(0.0, top, steps)[1:]])
    pts = shape.from_chart(np.full_like(grid, phi), grid)
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    cum -= cum[steps - 1]
    return _frozen(grid), _frozen(cum)


@lru_cache(maxsize=64)
def _height_table(shape: HeadShape, phi: float, steps: int) -> tuple[FloatArray, FloatArray]:
    """Heights from 0 to the vertex and the skin arc up to each (for :meth:`height_at_arc`)."""
    grid = np.linspace(0.0, shape.b_up * (1.0 - 1e-9), steps)
    return _frozen(grid), _frozen(shape.meridian_arc(phi, grid, steps=steps))


def _frozen(a: FloatArray) -> FloatArray:
    a = np.asarray(a, dtype=np.float64)
    a.flags.writeable = False
    return a
