"""Hairline design: height, temporal points, shape, style, and the resulting line on the head.

The line is built in four steps:

1. the mid-frontal height above the glabella (along the skin) comes from an explicit value,
   the facial-thirds rule or the client's original hairline;
2. the frontal curve rises from the mid-frontal point to the two temporal points, which sit
   on the lateral canthus lines (the fronto-temporal angle stays on the lateral epicanthal
   line: Shapiro & Shapiro, Facial Plast Surg Clin N Am);
3. from each temporal point the temporal hairline runs down to the natural temple edge about
   1 cm lateral of the canthus line (the temple rebuilt: Nusbaum's temporal point ~1 cm from
   the canthus vertical) and follows that edge back past the temporal point's azimuth, so a
   receded temple lies behind the line;
4. seeded macro- and micro-irregularity displace the line along the skin, tapering to nothing
   where it joins the natural edge.

Distances to the line, along the skin, drive the transition zone, sentinels and scatter.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
from scipy.interpolate import PchipInterpolator

from smpstudio._errors import HairlineError
from smpstudio._kernels import LineArrays, build_hash, hairline_kernel, with_floor
from smpstudio._rng import rng_for
from smpstudio._settings import Settings
from smpstudio._types import BoolArray, FloatArray, IntArray, Vec3
from smpstudio.hairline._styles import HAIRLINE_SHAPES, HairlineStyle, hairline_style
from smpstudio.head import VirtualHead
from smpstudio.loss._primitives import smoothstep

__all__ = [
    "HEIGHT_RULES",
    "Hairline",
    "HairlineSample",
    "HeightRule",
    "PackedHairline",
    "design_hairline",
]

HeightRule = Literal["fixed", "thirds", "original"]
HEIGHT_RULES: tuple[str, ...] = ("fixed", "thirds", "original")

_FOLLOW_TO_DEG = 62.0  # the temporal hairline follows the natural edge down to the sideburn
_FOLLOW_PAST_DEG = 4.0  # and at least this far past the temporal point's azimuth
_FLAT_RISE = 0.3  # share of the temporal rise kept by the flat shape
_MAX_RISE_MM = 35.0
PROFILE_RANGE = (-0.3, 1.3)
"""Allowed values of each hairline control point (share of the temporal rise)."""
_PEAK_HALF_WIDTH = 0.25  # widow's peak half width, share of the temporal-point spacing
_STEP_MM = 0.5
_TOP_MARGIN_MM = 2.0  # temporal points stay this far below the top of the canthus lines
_TAPER_MM = 15.0  # irregularity fades out over this length where the line joins the edge
_NEAR_MM = 15.0  # beyond this, which side of the line a point is on comes from the base line
_BASE_TABLE_SIZE = 4097
_BUCKET = 0.004  # radians of azimuth per side-index bucket


@dataclass(frozen=True)
class PackedHairline:
    """A hairline as the kernels read it (:data:`smpstudio._kernels.LineArrays`)."""

    arrays: LineArrays
    scalars: FloatArray  # first bucket azimuth, bucket width, span end, near, cell, below
    params: FloatArray  # transition, sentinel, scatter (mm), edge, sentinel, scatter fractions


@dataclass(frozen=True)
class HairlineSample:
    """Relation of surface points to a hairline."""

    signed: FloatArray  # mm, positive behind the line; ±inf far from it, +inf beside its span
    factor: FloatArray  # density multiplier of the hairline
    region: BoolArray  # inside the designed hair-bearing region


@dataclass(frozen=True, eq=False)
class Hairline:
    """A designed hairline on a :class:`~smpstudio.head.VirtualHead`.

    ``polyline`` runs from the client's right (−x) end, where the temporal hairline meets the
    natural scalp edge, over the right temporal point, the mid-frontal point and the left
    temporal point to the left end, in steps of about 0.5 mm along the skin.
    """

    style: HairlineStyle
    shape: str
    rule: HeightRule
    height_cm: float
    seed: int
    transition_mm: float
    sentinel_mm: float
    scatter_mm: float
    edge_fraction: float
    polyline: FloatArray
    base_polyline: FloatArray
    arc_mm: FloatArray  # arc length of each polyline point from the right end
    temporal_points: tuple[Vec3, Vec3]  # (right, left)
    temporal_rise_mm: float  # skin on the canthus lines from the mid-frontal level (signed)
    mid_frontal_point: Vec3
    head: VirtualHead
    _base_phi: FloatArray
    _base_y: FloatArray

    @cached_property
    def _patchiness(self) -> FloatArray:
        """Seeded clustering of sentinel and scatter dots along the line, in [0.3, 1.7]."""
        rng = rng_for(self.seed, "hairline-patches")
        noise = _band_noise(self.arc_mm, rng, (6.0, 14.0), terms=8)
        return np.asarray(1.0 + 0.7 * _unit_peak(noise), dtype=np.float64)

    @property
    def near_mm(self) -> float:
        """Distance within which the line is located exactly (beyond it, only the side)."""
        return max(_NEAR_MM, self.transition_mm + 5.0, self.scatter_mm + 5.0)

    @cached_property
    def packed(self) -> PackedHairline:
        """The line as arrays for the compiled kernels."""
        phi_end = float(self._base_phi.max())
        grid = np.linspace(0.0, phi_end, _BASE_TABLE_SIZE)
        s = self.style
        line_phi = np.arctan2(self.polyline[:, 0], self.polyline[:, 2])
        b_start, b_items, phi_min = _side_index(line_phi)
        hashed = with_floor(build_hash(self.polyline, self.near_mm), self.polyline, self.near_mm)
        arrays: LineArrays = (
            np.ascontiguousarray(self.polyline),
            np.ascontiguousarray(line_phi),
            np.ascontiguousarray(self.polyline[:, 1]),
            b_start,
            b_items,
            np.ascontiguousarray(self._patchiness),
            np.ascontiguousarray(_lower_envelope(grid, self._base_phi, self._base_y)),
            hashed.origin,
            hashed.dims,
            hashed.starts,
            hashed.order,
            hashed.floor,
        )
        below = (
            s.macro_amplitude_mm
            + s.micro_amplitude_mm
            + max(self.sentinel_mm, self.scatter_mm)
            + 2.0
        )
        scalars = [phi_min, _BUCKET, phi_end, self.near_mm, hashed.cell, below]
        params = [
            self.transition_mm,
            self.sentinel_mm,
            self.scatter_mm,
            self.edge_fraction,
            s.sentinel_fraction,
            s.scatter_fraction,
        ]
        return PackedHairline(
            arrays, np.asarray(scalars, dtype=np.float64), np.asarray(params, dtype=np.float64)
        )

    def sample(self, points: FloatArray) -> HairlineSample:
        """Where points lie relative to the line, and the line's density factor there.

        Within :attr:`near_mm` the nearest point of the line gives the distance and, through
        its perpendicular, the side; farther points only need their side, which the base line
        in the (azimuth, height) chart tells. Beside the line's span (nearest point at an end)
        the natural scalp edge applies.
        """
        pts = np.ascontiguousarray(np.asarray(points, dtype=np.float64).reshape(-1, 3))
        k = self.packed
        signed, factor, region = hairline_kernel(
            pts, k.arrays, k.scalars, k.params, self.head.edge_table
        )
        shape = np.shape(points)[:-1]
        return HairlineSample(signed.reshape(shape), factor.reshape(shape), region.reshape(shape))

    def signed_distance(self, points: FloatArray) -> FloatArray:
        """Distance (mm) to the line, positive behind it; ±inf beyond :attr:`near_mm` and
        +inf beside the line's span."""
        return self.sample(points).signed

    def to_dict(self, *, decimals: int = 2) -> dict[str, object]:
        right, left = self.temporal_points
        return {
            "style": self.style.name,
            "shape": self.shape,
            "rule": self.rule,
            "height_cm": round(self.height_cm, 3),
            "transition_mm": self.transition_mm,
            "sentinel_mm": self.sentinel_mm,
            "scatter_mm": self.scatter_mm,
            "mid_frontal_point_mm": list(self.mid_frontal_point),
            "temporal_points_mm": {"right": list(right), "left": list(left)},
            "temporal_rise_mm": round(self.temporal_rise_mm, 2),
            "length_mm": round(float(self.arc_mm[-1]), 1),
            "polyline_mm": np.round(self.polyline, decimals).tolist(),
        }


def design_hairline(
    head: VirtualHead,
    *,
    style: str,
    height_cm: float | None = None,
    rule: str = "fixed",
    shape: str | None = None,
    profile: Sequence[float] | None = None,
    temporal_rise_mm: float | None = None,
    seed: int = 0,
    settings: Settings | None = None,
) -> Hairline:
    """Design a hairline on ``head``.

    Parameters
    ----------
    head
        The virtual head.
    style
        ``soft``, ``broken``, ``medium`` or ``defined``.
    height_cm
        Mid-frontal height above the glabella along the skin (rule ``fixed``); the setting
        ``hairline_height_default_cm`` (8 cm) when omitted.
    rule
        ``fixed``; ``thirds`` (upper facial third equal to the mean of the middle and lower
        thirds, i.e. half the glabella–menton height, measured vertically as on a frontal
        photo); ``original`` (the client's own forehead height).
    shape
        ``rounded``, ``flat``, ``widows-peak`` or ``original``; the style's default when omitted.
    profile
        Three control points of the frontal curve (the designer's draggable points): its rise
        at 1/4, 1/2 and 3/4 of the way from the midline to the temporal point, as a share of
        the temporal rise (0 = the mid-frontal height, 1 = the temporal point's height;
        −0.3 to 1.3). The curve through them is monotone piecewise cubic; the shape is then
        ``custom``.
    temporal_rise_mm
        How much skin the temporal points sit above the mid-frontal level on the canthus
        lines (0–35 mm); the setting ``hairline_temporal_rise_mm`` when omitted.
    seed
        Seed of the irregularity.

    Examples
    --------
    >>> head = VirtualHead.preset("M")
    >>> line = design_hairline(head, style="defined", height_cm=8.0)
    >>> line.temporal_points[1][0] == head.measures.canthal_width_mm / 2  # on the canthus line
    True
    >>> design_hairline(head, style="soft", height_cm=4.9)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    smpstudio._errors.HairlineError: hairline height 4.9 cm is outside 5–11 cm above the ...
    """
    settings = settings or Settings()
    chosen = hairline_style(style)
    shape_name = (shape or chosen.default_shape).strip().lower()
    if shape_name not in HAIRLINE_SHAPES:
        raise HairlineError(
            f"unknown hairline shape {shape!r}: choose one of {', '.join(HAIRLINE_SHAPES)}"
        )
    controls = _check_profile(profile)
    if controls is not None:
        shape_name = "custom"
    rise = _check_rise(temporal_rise_mm, settings)
    rule_name = _check_rule(rule, height_cm)
    mid_arc = _mid_frontal_arc(head, rule_name, height_cm, settings)
    frontal_phi, frontal_y = _frontal_curve(head, shape_name, mid_arc, settings, rise, controls)
    temporal_phi, temporal_y = _temporal_curve(
        head, float(frontal_phi[-1]), float(frontal_y[-1]), settings.hairline_temporal_peak_mm
    )
    half_phi = np.concatenate([frontal_phi, temporal_phi[1:]])
    half_y = np.concatenate([frontal_y, temporal_y[1:]])
    base = _mirror_to_polyline(head, half_phi, half_y)
    base, arc = _resample(head, base, _STEP_MM)
    behind = _behind_directions(head, base)
    polyline, arc = _resample(head, _irregular(head, base, behind, arc, chosen, seed), _STEP_MM)
    t_left = head.shape.from_chart(frontal_phi[-1:], frontal_y[-1:])[0]
    t_right = t_left * np.array([-1.0, 1.0, 1.0])
    mid = head.shape.from_chart(np.zeros(1), frontal_y[:1])[0]
    return Hairline(
        style=chosen,
        shape=shape_name,
        rule=rule_name,
        height_cm=mid_arc / 10.0,
        seed=seed,
        transition_mm=chosen.transition_mm(settings),
        sentinel_mm=chosen.sentinel_mm(settings),
        scatter_mm=chosen.scatter_mm(settings),
        edge_fraction=settings.transition_edge_fraction,
        polyline=polyline,
        base_polyline=base,
        arc_mm=arc,
        temporal_points=(_vec(t_right), _vec(t_left)),
        temporal_rise_mm=_canthus_skin(head, float(frontal_y[0]), float(frontal_y[-1])),
        mid_frontal_point=_vec(mid),
        head=head,
        _base_phi=half_phi,
        _base_y=half_y,
    )


def _side_index(line_phi: FloatArray) -> tuple[IntArray, IntArray, float]:
    """Buckets of azimuth listing the segments that span them (for the side test)."""
    low = float(line_phi.min()) - _BUCKET
    first = np.floor((np.minimum(line_phi[:-1], line_phi[1:]) - low) / _BUCKET).astype(np.int64)
    last = np.floor((np.maximum(line_phi[:-1], line_phi[1:]) - low) / _BUCKET).astype(np.int64)
    buckets = int(last.max()) + 2
    spans = last - first + 1
    segments = np.repeat(np.arange(len(first)), spans)
    cells = (
        np.repeat(first, spans)
        + np.arange(int(spans.sum()))
        - np.repeat(np.cumsum(spans) - spans, spans)
    )
    order = np.argsort(cells, kind="stable")
    counts = np.bincount(cells, minlength=buckets)
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return starts, np.ascontiguousarray(segments[order].astype(np.int64)), low


def _check_rule(rule: str, height_cm: float | None) -> HeightRule:
    key = rule.strip().lower()
    if key not in HEIGHT_RULES:
        raise HairlineError(
            f"unknown hairline rule {rule!r}: choose one of {', '.join(HEIGHT_RULES)}"
        )
    if key != "fixed" and height_cm is not None:
        raise HairlineError(f"give either a hairline height or the rule {key!r}, not both")
    return key  # type: ignore[return-value]


def _mid_frontal_arc(
    head: VirtualHead, rule: HeightRule, height_cm: float | None, settings: Settings
) -> float:
    low, high = settings.hairline_height_min_cm, settings.hairline_height_max_cm
    if rule == "thirds":
        vertical = head.measures.face_height_mm / 2.0
        arc_cm = float(head.shape.meridian_arc(0.0, np.array([vertical]))[0]) / 10.0
        source = f"the facial-thirds rule ({vertical / 10:.1f} cm vertical)"
    elif rule == "original":
        arc_cm = head.measures.forehead_height_mm / 10.0
        source = "the client's forehead height"
    else:
        arc_cm = settings.hairline_height_default_cm if height_cm is None else height_cm
        source = ""
    if not isinstance(arc_cm, int | float) or not math.isfinite(arc_cm):
        raise HairlineError(f"hairline height must be a number of cm, got {arc_cm!r}")
    if not low <= arc_cm <= high:
        origin = f" (from {source})" if source else ""
        raise HairlineError(
            f"hairline height {arc_cm:g} cm{origin} is outside {low:g}–{high:g} cm above the "
            f"glabella; give a height between {low:g} and {high:g} cm"
        )
    return float(arc_cm) * 10.0


def _front_point(head: VirtualHead, x: FloatArray, y: FloatArray) -> FloatArray:
    """Points of the face-side surface with given x and y (NaN z where there is none)."""
    s = head.shape
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    n = s.n_front
    rest = s.section_scale(y) ** n - (np.abs(x) / s.a) ** n
    z = np.where(rest >= 0.0, s.c * np.abs(rest) ** (1.0 / n), np.nan)
    return np.stack([x, y, z], axis=-1)


def _temporal_height(head: VirtualHead, y_mid: float, rise_mm: float) -> float:
    """Height of the left temporal point on the canthus plane: ``rise_mm`` of skin above the
    level of the mid-frontal point.

    A very high hairline leaves little skin above it on the canthus lines, which curve over
    the top of the head; the rise then shrinks to half of what is left, and when the canthus
    lines end below the mid-frontal level the temporal points sit just below their top.
    """
    x_c = head.measures.canthal_width_mm / 2.0
    ys = np.linspace(0.0, head.shape.b_up, 8000)
    pts = _front_point(head, np.full_like(ys, x_c), ys)
    ok = ~np.isnan(pts[:, 2])
    y_top = float(ys[ok].max())
    if y_top <= y_mid:
        return y_top - _TOP_MARGIN_MM
    keep = ok & (ys >= y_mid)
    run = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts[keep], axis=0), axis=1))])
    return float(np.interp(min(rise_mm, 0.5 * run[-1]), run, ys[keep]))


def _canthus_skin(head: VirtualHead, y0: float, y1: float) -> float:
    """Signed skin length along the left canthus line between heights ``y0`` and ``y1``."""
    x_c = head.measures.canthal_width_mm / 2.0
    ys = np.linspace(y0, y1, 2000)
    pts = _front_point(head, np.full_like(ys, x_c), ys)
    pts = pts[~np.isnan(pts[:, 2])]
    length = float(np.linalg.norm(np.diff(pts, axis=0), axis=1).sum()) if len(pts) > 1 else 0.0
    return length if y1 >= y0 else -length


def _shape_profile(shape: str, u: FloatArray, controls: FloatArray | None) -> FloatArray:
    """Rise of the frontal curve from the midline (u = 0) to a temporal point (u = 1) as a
    share of the temporal rise; the widow's peak adds its depth in mm separately."""
    if controls is not None:
        knots = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
        share = np.concatenate([[0.0], controls, [1.0]])
        return np.asarray(PchipInterpolator(knots, share)(u), dtype=np.float64)
    if shape == "flat":
        return np.asarray(u**4, dtype=np.float64)
    return np.asarray(u**2, dtype=np.float64)


def _check_profile(profile: Sequence[float] | None) -> FloatArray | None:
    if profile is None:
        return None
    try:
        values = np.asarray([float(v) for v in profile], dtype=np.float64)
    except (TypeError, ValueError):
        values = np.full(1, np.nan)
    low, high = PROFILE_RANGE
    if values.shape != (3,) or not np.all((values >= low) & (values <= high)):
        raise HairlineError(
            f"hairline profile {list(profile)!r} must be three numbers from {low} to {high} "
            "(the rise at 1/4, 1/2 and 3/4 of the way to the temporal point)"
        )
    return values


def _check_rise(rise_mm: float | None, settings: Settings) -> float:
    if rise_mm is None:
        return settings.hairline_temporal_rise_mm
    if isinstance(rise_mm, bool) or not (
        isinstance(rise_mm, int | float) and 0.0 <= rise_mm <= _MAX_RISE_MM
    ):
        raise HairlineError(
            f"temporal rise {rise_mm!r} mm is outside 0–{_MAX_RISE_MM:g} mm above the "
            "mid-frontal level"
        )
    return float(rise_mm)


def _frontal_curve(
    head: VirtualHead,
    shape: str,
    mid_arc: float,
    settings: Settings,
    rise_mm: float,
    controls: FloatArray | None,
) -> tuple[FloatArray, FloatArray]:
    """Azimuths and heights from the mid-frontal point to the left temporal point.

    The curve is drawn as on a frontal photo: a height for every x between the canthus lines.
    """
    x_c = head.measures.canthal_width_mm / 2.0
    y_mid = float(head.shape.height_at_arc(0.0, np.array([mid_arc]))[0])
    x = np.linspace(0.0, x_c, 400)
    if shape == "original":
        phis = np.radians(np.linspace(0.0, 60.0, 1201))
        edge = head.shape.from_chart(phis, head.natural_edge_height(phis))
        y = np.interp(x, edge[:, 0], edge[:, 1]) - edge[0, 1] + y_mid
    else:
        rise = rise_mm * (_FLAT_RISE if shape == "flat" else 1.0)
        y_t = _temporal_height(head, y_mid, rise)
        y = y_mid + (y_t - y_mid) * _shape_profile(shape, x / x_c, controls)
        if shape == "widows-peak":
            lift = settings.widows_peak_depth_mm * smoothstep(0.0, _PEAK_HALF_WIDTH * x_c, x)
            y = _lift_along_skin(head, x, y, lift)
    pts = _front_point(head, x, y)
    if np.isnan(pts[:, 2]).any():
        raise HairlineError("the frontal hairline runs off the forehead: lower the hairline")
    phi, _ = head.shape.to_chart(pts)
    return phi, y


def _lift_along_skin(
    head: VirtualHead, x: FloatArray, y: FloatArray, lift_mm: FloatArray
) -> FloatArray:
    """Heights ``lift_mm`` of skin above ``y`` along lines x = const (first-order)."""
    dy = 0.5
    lower, upper = _front_point(head, x, y - dy), _front_point(head, x, y + dy)
    skin_per_y = np.linalg.norm(upper - lower, axis=1) / (2.0 * dy)
    return np.asarray(y + lift_mm / skin_per_y, dtype=np.float64)


def _temporal_curve(
    head: VirtualHead, phi_t: float, y_t: float, peak_mm: float
) -> tuple[FloatArray, FloatArray]:
    """From the left temporal point down to the temple, then along the natural edge.

    The line runs straight (as seen from the front) from the temporal point to the natural
    temple edge ``peak_mm`` lateral of the temporal point's x, and follows the edge down to
    the sideburn (:data:`_FOLLOW_TO_DEG`, or :data:`_FOLLOW_PAST_DEG` past the temporal
    point's azimuth if that is further), so its end does not move with the hairline.
    Everything lateral of it on the natural scalp — the temple — lies behind the line. When
    the temporal point already sits under the natural edge there, the line follows the edge
    from the point's azimuth.
    """
    x_t = float(head.shape.from_chart(np.array([phi_t]), np.array([y_t]))[0, 0])
    phis = np.radians(np.linspace(0.0, 100.0, 4001))
    edge = head.shape.from_chart(phis, head.natural_edge_height(phis))
    lateral = np.flatnonzero(edge[:, 0] >= x_t + peak_mm)
    peak = int(lateral[0]) if lateral.size else len(phis) - 1
    end = max(phi_t + math.radians(_FOLLOW_PAST_DEG), math.radians(_FOLLOW_TO_DEG))
    if edge[peak, 1] >= y_t or phis[peak] >= end:
        follow = phis[(phis > phi_t) & (phis <= end)]
        return (
            np.concatenate([[phi_t], follow]),
            np.concatenate([[y_t], np.minimum(head.natural_edge_height(follow), y_t)]),
        )
    ys = np.linspace(y_t, float(edge[peak, 1]), 200)
    xs = x_t + (float(edge[peak, 0]) - x_t) * (y_t - ys) / (y_t - ys[-1])
    descent = _front_point(head, xs, ys)
    if np.isnan(descent[:, 2]).any():
        raise HairlineError("the temporal hairline runs off the temple: lower the hairline")
    descent_phi, _ = head.shape.to_chart(descent)
    follow = phis[(phis > phis[peak]) & (phis <= end)]
    return (
        np.concatenate([descent_phi, follow]),
        np.concatenate([ys, head.natural_edge_height(follow)]),
    )


def _lower_envelope(grid: FloatArray, phi: FloatArray, y: FloatArray) -> FloatArray:
    """Lowest height of a (possibly folded) line in the (azimuth, height) chart at each
    ``grid`` azimuth: the line is cut into runs of monotone azimuth, each interpolated."""
    step = np.sign(np.diff(phi))
    turns = np.flatnonzero(step[1:] * step[:-1] < 0) + 1
    lowest = np.full(grid.shape, np.inf)
    for start, stop in itertools.pairwise([0, *turns.tolist(), len(phi) - 1]):
        run_phi, run_y = phi[start : stop + 1], y[start : stop + 1]
        if run_phi[-1] < run_phi[0]:
            run_phi, run_y = run_phi[::-1], run_y[::-1]
        inside = (grid >= run_phi[0]) & (grid <= run_phi[-1])
        lowest[inside] = np.minimum(lowest[inside], np.interp(grid[inside], run_phi, run_y))
    return np.asarray(np.where(np.isfinite(lowest), lowest, y[0]), dtype=np.float64)


def _mirror_to_polyline(head: VirtualHead, half_phi: FloatArray, half_y: FloatArray) -> FloatArray:
    phi = np.concatenate([-half_phi[::-1], half_phi[1:]])
    y = np.concatenate([half_y[::-1], half_y[1:]])
    return head.shape.from_chart(phi, y)


def _resample(head: VirtualHead, line: FloatArray, step: float) -> tuple[FloatArray, FloatArray]:
    seg = np.linalg.norm(np.diff(line, axis=0), axis=1)
    keep = np.concatenate([[True], seg > 1e-9])
    line = line[keep]
    cum = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(line, axis=0), axis=1))])
    n = max(2, round(cum[-1] / step) + 1)
    s = np.linspace(0.0, cum[-1], n)
    pts = np.stack([np.interp(s, cum, line[:, k]) for k in range(3)], axis=1)
    pts = head.shape.project(pts)
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    return pts, arc


def _behind_directions(head: VirtualHead, line: FloatArray) -> FloatArray:
    """Unit vectors in the skin, perpendicular to the line, pointing to the hair side."""
    tangent = np.gradient(line, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    normal = head.shape.normal(line)
    side = np.cross(normal, tangent)  # the line runs right (−x) to left (+x): this points up/back
    side /= np.linalg.norm(side, axis=1, keepdims=True)
    return np.asarray(side, dtype=np.float64)


def _band_noise(
    s: FloatArray, rng: np.random.Generator, wavelengths: tuple[float, float], *, terms: int
) -> FloatArray:
    """Zero-mean sum of sines with random wavelengths in a band and random phases."""
    lam = rng.uniform(*wavelengths, size=terms)
    phase = rng.uniform(0.0, 2.0 * math.pi, size=terms)
    weight = rng.uniform(0.5, 1.0, size=terms)
    waves = weight[:, None] * np.sin(2.0 * math.pi * s[None, :] / lam[:, None] + phase[:, None])
    return np.asarray(waves.sum(axis=0), dtype=np.float64)


def _irregular(
    head: VirtualHead,
    base: FloatArray,
    behind: FloatArray,
    arc: FloatArray,
    style: HairlineStyle,
    seed: int,
) -> FloatArray:
    macro = _band_noise(arc, rng_for(seed, "hairline-macro"), style.macro_wavelength_mm, terms=4)
    micro = _band_noise(arc, rng_for(seed, "hairline-micro"), style.micro_wavelength_mm, terms=12)
    offset = style.macro_amplitude_mm * _unit_peak(macro) + style.micro_amplitude_mm * _unit_peak(
        micro
    )
    taper = smoothstep(0.0, _TAPER_MM, arc) * smoothstep(0.0, _TAPER_MM, arc[-1] - arc)
    moved = head.shape.project(base + (offset * taper)[:, None] * behind)
    return np.asarray(moved, dtype=np.float64)


def _unit_peak(values: FloatArray) -> FloatArray:
    """Scale noise so that its largest excursion is 1 (amplitudes are peak values)."""
    return np.asarray(values / max(1e-12, float(np.abs(values).max())), dtype=np.float64)


def _vec(p: FloatArray) -> Vec3:
    x, y, z = (round(float(v), 4) + 0.0 for v in p)
    return (x, y, z)
