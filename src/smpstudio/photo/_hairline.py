"""A hairline proposal on a frontal photo, from facial thirds and the lateral canthus lines.

The face's own axes are used (``across`` along the eye line, ``up`` perpendicular to it), so
a tilted head gets a tilted hairline. The mid-frontal point sits on the midline through the
glabella, one upper facial third above it — half the glabella–menton height, the mean of
the middle and lower thirds (domain reference §2.1) — or at a given height. The temporal
points stand on the vertical lines through the lateral canthi (the fronto-temporal angle
stays on the lateral epicanthal line, §2.2), ``temporal_rise_mm`` above the mid-frontal
level so the midpoint sits lower than the temples. The frontal curve joins them (rounded,
flat or with a widow's peak); the temporal hairline runs from each temporal point outward
and down toward the temple. Every point can be moved, or the whole line given by hand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from smpstudio._errors import PhotoError
from smpstudio._rng import rng_for
from smpstudio._types import Float32Array, FloatArray
from smpstudio.photo._cv import opencv
from smpstudio.photo._head_frame import HeadFrame
from smpstudio.photo._landmarks import FaceLandmarks

FOREHEAD_TOP_SHARE = 0.6
"""How far the client's natural hairline lies above the top of the face mesh's outline, as
a share of that top's height above the glabella (along the face's up direction, as the
photo sees it); see :func:`forehead_top`."""
UPPER_OVAL: tuple[int, ...] = (162, 21, 54, 103, 67, 109, 10, 338, 297, 332, 284, 251, 389)
"""Face-mesh vertices of the upper half of the face outline, client's right to left."""

__all__ = [
    "PHOTO_HAIRLINE_SHAPES",
    "HairlineProposal",
    "design_hairline_on_photo",
    "forehead_top",
    "hairline_from_points",
    "parse_points",
    "propose_hairline",
]

PHOTO_HAIRLINE_SHAPES = ("rounded", "flat", "widows-peak")
_FLAT_SHARE = 0.3  # a flat line keeps 30 % of the temporal rise, as on the virtual head
_STEP_PX = 1.0
_FAR = 1.0e5


def parse_points(text: str, *, what: str = "points") -> FloatArray:
    """``"x1,y1 x2,y2 …"`` (``;`` or spaces between points) → an ``(N, 2)`` array.

    >>> parse_points("10,20; 30,40 50,60").tolist()
    [[10.0, 20.0], [30.0, 40.0], [50.0, 60.0]]
    """
    chunks = [c for c in str(text).replace(";", " ").split() if c]
    try:
        values = [tuple(float(v) for v in c.split(",")) for c in chunks]
    except ValueError:
        values = []
    if not values or any(len(v) != 2 or not all(map(math.isfinite, v)) for v in values):
        raise PhotoError(
            f"{what} {text!r} are not x,y pairs in pixels separated by ';', e.g. "
            "'410,620; 520,598; 630,620'"
        )
    return np.asarray(values, dtype=np.float64)


@dataclass(frozen=True)
class HairlineProposal:
    """A hairline on a photo, in pixels.

    Attributes
    ----------
    polyline : (N, 2) array
        The line from its end on the client's right (image left on a frontal photo) over the
        temporal points and the mid-frontal point to the client's left end.
    mid_frontal, temporal_right, temporal_left : (2,) arrays
        The key points (the temporal points are None for a line given by hand).
    rule : str
        ``thirds``, ``height`` (a given height), ``design`` or ``manual``.
    height_mm : float
        Height of the mid-frontal point above the glabella as seen on the photo (mm), NaN
        without a scale.
    """

    polyline: FloatArray
    mid_frontal: FloatArray
    temporal_right: FloatArray | None
    temporal_left: FloatArray | None
    rule: str
    height_mm: float
    across: FloatArray
    up: FloatArray

    def to_dict(self, *, decimals: int = 1) -> dict[str, object]:
        def pt(p: FloatArray | None) -> list[float] | None:
            return None if p is None else [round(float(v), decimals) for v in p]

        step = max(1, len(self.polyline) // 64)
        sampled = np.vstack([self.polyline[::step], self.polyline[-1:]])
        return {
            "rule": self.rule,
            "height_mm": None if math.isnan(self.height_mm) else round(self.height_mm, 1),
            "mid_frontal": pt(self.mid_frontal),
            "temporal_right": pt(self.temporal_right),
            "temporal_left": pt(self.temporal_left),
            "polyline": [pt(p) for p in sampled],
        }

    def irregular(
        self,
        *,
        mm_per_px: float,
        macro_mm: float,
        macro_wavelength_mm: tuple[float, float],
        micro_mm: float,
        micro_wavelength_mm: tuple[float, float],
        seed: int,
    ) -> HairlineProposal:
        """The line with seeded macro- and micro-irregularity along its normal (a hairline
        style's undulation; perfectly smooth lines look fake, §2.3)."""
        line = _resampled(self.polyline, _STEP_PX)
        arc = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(line, axis=0).T))]) * mm_per_px
        rng = rng_for(seed, "photo-hairline")
        offset = _waves(arc, rng, macro_mm, macro_wavelength_mm, 3) + _waves(
            arc, rng, micro_mm, micro_wavelength_mm, 5
        )
        tangent = np.gradient(line, axis=0)
        tangent /= np.maximum(np.hypot(*tangent.T), 1e-9)[:, None]
        normal = np.column_stack([tangent[:, 1], -tangent[:, 0]])  # left of travel: up
        normal *= np.sign(np.sum(normal * self.up, axis=1, keepdims=True) + 1e-12)
        return replace(self, polyline=line + normal * (offset / mm_per_px)[:, None])

    def signed_distance(self, shape: tuple[int, int], *, zoom: float = 1.0) -> Float32Array:
        """Distance to the line in pixels of a grid of ``shape`` (rows, cols) that samples
        the photo at ``zoom`` grid pixels per photo pixel: positive behind the line (the
        scalp side), negative in front (the forehead)."""
        cv2 = opencv()

        rows, cols = shape
        line = self.polyline * zoom
        far = _FAR * zoom
        first, last = line[0], line[-1]
        out_r, out_l = -self.across * far, self.across * far
        cap = [last + out_l, last + out_l + self.up * far, first + out_r + self.up * far]
        polygon = np.vstack([first + out_r, line, *cap])
        behind = np.zeros((rows, cols), dtype=np.uint8)
        cv2.fillPoly(behind, [_int_points(polygon)], 1, lineType=cv2.LINE_8, shift=4)
        track = np.full((rows, cols), 255, dtype=np.uint8)
        cv2.polylines(track, [_int_points(line)], False, 0, 1, lineType=cv2.LINE_8, shift=4)
        distance = cv2.distanceTransform(track, cv2.DIST_L2, cv2.DIST_MASK_5)
        signed = np.where(behind > 0, distance, -distance) / zoom
        return np.asarray(signed, dtype=np.float32)


def _int_points(points: FloatArray) -> npt.NDArray[np.int32]:
    clipped = np.clip(points, -1.0e6, 1.0e6) * 16.0  # 4 fractional bits (shift=4)
    return np.asarray(np.round(clipped).astype(np.int32).reshape(-1, 1, 2), dtype=np.int32)


def _waves(
    arc_mm: FloatArray,
    rng: np.random.Generator,
    amplitude: float,
    wavelengths: tuple[float, float],
    terms: int,
) -> FloatArray:
    if amplitude <= 0.0:
        return np.zeros_like(arc_mm)
    lam = rng.uniform(*wavelengths, size=terms)
    phase = rng.uniform(0.0, 2.0 * math.pi, size=terms)
    weight = rng.uniform(0.5, 1.0, size=terms)
    total = np.sin(2.0 * math.pi * arc_mm[:, None] / lam + phase) @ weight
    peak = max(float(np.max(np.abs(total))), 1e-9)
    return np.asarray(amplitude * total / peak, dtype=np.float64)


def propose_hairline(
    marks: FaceLandmarks,
    *,
    mm_per_px: float | None,
    rule: str = "thirds",
    height_mm: float | None = None,
    temporal_rise_mm: float = 15.0,
    shape: str = "rounded",
    widows_peak_mm: float = 8.0,
    mid_frontal: tuple[float, float] | None = None,
    temporal_right: tuple[float, float] | None = None,
    temporal_left: tuple[float, float] | None = None,
    frame: HeadFrame | None = None,
) -> HairlineProposal:
    """Propose a hairline from the face (see the module notes).

    Parameters
    ----------
    marks
        Landmarks with at least :data:`~smpstudio.photo.REQUIRED_LANDMARKS`.
    mm_per_px
        Scale of the photo; needed for ``height_mm``, the temporal rise and the widow's
        peak (without it the rise is 12 % of the glabella–menton height).
    rule
        ``thirds``: the upper facial third is half the glabella–menton height; ``height``:
        ``height_mm`` above the glabella, as seen on the photo.
    temporal_rise_mm
        How far the temporal points sit above the mid-frontal level (setting
        ``hairline_temporal_rise_mm``, 15 mm).
    shape
        ``rounded``, ``flat`` (30 % of the rise) or ``widows-peak``.
    mid_frontal, temporal_right, temporal_left
        Points moved by hand (pixels); the curve passes through them.
    frame
        The head's axes on a turned face (:class:`~smpstudio.photo._head_frame.HeadFrame`):
        the line is built on the head's surface and projected, and only its seen part is
        kept; ``mm_per_px`` is then the face's own scale (the turn taken out).

    Examples
    --------
    >>> marks = FaceLandmarks.manual({
    ...     "glabella": (500, 400), "subnasale": (500, 520), "menton": (500, 640),
    ...     "right_canthus": (455, 430), "left_canthus": (545, 430)})
    >>> line = propose_hairline(marks, mm_per_px=1.0)
    >>> line.mid_frontal.tolist(), line.temporal_left.tolist()
    ([500.0, 280.0], [545.0, 265.0])
    """
    if shape not in PHOTO_HAIRLINE_SHAPES:
        raise PhotoError(
            f"unknown hairline shape {shape!r}: choose one of {', '.join(PHOTO_HAIRLINE_SHAPES)}"
        )
    g = marks["glabella"]
    across, up = marks.across, marks.up
    drop = float(np.dot(g - marks["menton"], up))
    if drop <= 0:
        raise PhotoError("the menton is not below the glabella: check the landmarks")
    if rule == "thirds":
        mid_t = drop / 2.0
    elif rule == "height":
        if height_mm is None or mm_per_px is None:
            raise PhotoError("a hairline height needs the height and the photo's scale")
        mid_t = height_mm / mm_per_px
    else:
        raise PhotoError(f"unknown hairline rule {rule!r}: use thirds or height")
    rise = temporal_rise_mm / mm_per_px if mm_per_px else 0.12 * drop
    if shape == "flat":
        rise *= _FLAT_SHARE

    def head_point(p: FloatArray) -> tuple[float, float]:
        d = np.asarray(p, dtype=np.float64) - g
        if frame is not None:
            return frame.locate(d)
        return float(np.dot(d, across)), float(np.dot(d, up))

    s_right = head_point(marks["right_canthus"])[0]
    s_left = head_point(marks["left_canthus"])[0]
    if frame is not None:  # the far canthus lies behind the nose's line: the near one's mirror
        half = max(abs(s_right), abs(s_left))
        s_right, s_left = -half, half
    key = {
        "mid": (0.0, mid_t),
        "right": (s_right, mid_t + rise),
        "left": (s_left, mid_t + rise),
    }
    for name, moved in (("mid", mid_frontal), ("right", temporal_right), ("left", temporal_left)):
        if moved is not None:
            key[name] = head_point(np.asarray(moved, dtype=np.float64))
    peak = widows_peak_mm / mm_per_px if (shape == "widows-peak" and mm_per_px) else 0.0
    s, t = _face_curve(key, peak)
    shown: dict[str, FloatArray | None] = {}
    if frame is None:
        line = g + s[:, None] * across + t[:, None] * up
        for name, (a, b) in key.items():
            shown[name] = g + a * across + b * up
    else:
        offsets, seen = frame.project(s, t)
        line = g + offsets[_longest_run(seen)]
        for name, (a, b) in key.items():
            at, visible = frame.project(np.array([a]), np.array([b]))
            shown[name] = g + at[0] if bool(visible[0]) else None
    mid_point = shown["mid"]
    if mid_point is None:  # the middle is hidden: the seen line's highest point
        mid_point = line[int(np.argmax(line @ up))]

    height = key["mid"][1] * mm_per_px if mm_per_px else math.nan
    moved_any = any(p is not None for p in (mid_frontal, temporal_right, temporal_left))
    return HairlineProposal(
        polyline=_resampled(line, _STEP_PX),
        mid_frontal=np.asarray(mid_point, dtype=np.float64),
        temporal_right=_point(shown["right"]),
        temporal_left=_point(shown["left"]),
        rule="manual" if moved_any else rule,
        height_mm=height,
        across=across,
        up=up,
    )


def design_hairline_on_photo(
    marks: FaceLandmarks,
    frame: HeadFrame,
    *,
    line_mm: FloatArray,
    temporal_mm: FloatArray,
    mm_per_px: float,
    seen_rise_px: float | None = None,
) -> HairlineProposal:
    """A design's own hairline (``line_mm``: ``(x, y, z)`` mm from its glabella, x toward
    the client's left, y up, z forward; ``temporal_mm`` its two temporal points) as the
    camera of a turned face sees it: on the head's axes (``frame``) at the face's scale
    ``mm_per_px``, its hidden part left out. ``seen_rise_px`` scales the design (about its
    glabella) so that its mid-frontal point rises that far above the glabella on the photo:
    a height carried from another photo of the client."""
    g = marks["glabella"]
    pts = np.asarray(line_mm, dtype=np.float64).reshape(-1, 3) / mm_per_px
    temporal = np.asarray(temporal_mm, dtype=np.float64).reshape(-1, 3) / mm_per_px
    middle = int(np.argmin(np.abs(pts[:, 0])))
    if seen_rise_px is not None:
        at, _ = frame.project(
            pts[middle : middle + 1, 0],
            pts[middle : middle + 1, 1],
            depth=pts[middle : middle + 1, 2],
        )
        rise = float(np.dot(at[0], marks.up))
        if rise > 0:
            pts, temporal = pts * (seen_rise_px / rise), temporal * (seen_rise_px / rise)
    offsets, seen = frame.project(pts[:, 0], pts[:, 1], depth=pts[:, 2])
    line = g + offsets[_longest_run(seen)]
    keys, key_seen = frame.project(temporal[:, 0], temporal[:, 1], depth=temporal[:, 2])
    shown = [g + k if v else None for k, v in zip(keys, key_seen.tolist(), strict=True)]
    mid = g + offsets[middle] if bool(seen[middle]) else line[int(np.argmax(line @ marks.up))]
    return HairlineProposal(
        polyline=_resampled(line, _STEP_PX),
        mid_frontal=np.asarray(mid, dtype=np.float64),
        temporal_right=_point(shown[0]) if shown else None,
        temporal_left=_point(shown[-1]) if len(shown) > 1 else None,
        rule="height",
        height_mm=float(np.dot(mid - g, marks.up)) * mm_per_px,
        across=marks.across,
        up=marks.up,
    )


def _point(p: FloatArray | None) -> FloatArray | None:
    return None if p is None else np.asarray(p, dtype=np.float64).reshape(2)


def _longest_run(seen: npt.NDArray[np.bool_]) -> slice:
    """The longest stretch of consecutive seen points (all of them when none is seen, so
    a line always has points)."""
    best, start, best_slice = 0, -1, slice(0, len(seen))
    for i, flag in enumerate([*seen.tolist(), False]):
        if flag and start < 0:
            start = i
        elif not flag and start >= 0:
            if i - start > best:
                best, best_slice = i - start, slice(start, i)
            start = -1
    return best_slice


def _face_curve(key: dict[str, tuple[float, float]], peak: float) -> tuple[FloatArray, FloatArray]:
    """The hairline in face coordinates (s across, t up), right end to left end."""
    s_m, t_m = key["mid"]
    parts_s, parts_t = [], []
    for side in ("right", "left"):
        s_t, t_t = key[side]
        u = np.linspace(0.0, 1.0, 200)
        s = s_m + (s_t - s_m) * u
        t = t_m + (t_t - t_m) * u**2
        if peak > 0:
            t = t - peak * np.clip(1.0 - u / 0.3, 0.0, 1.0) ** 2
        # temporal hairline: outward and down from the temporal point toward the temple
        width = abs(s_t - s_m)
        sign = 1.0 if s_t >= s_m else -1.0
        v = np.linspace(0.0, 1.0, 120)[1:]
        control = (s_t + sign * 0.45 * width, t_t)
        end = (s_t + sign * 0.5 * width, t_m * 0.2 + (t_t - t_m) * 0.2)
        bs = (1 - v) ** 2 * s_t + 2 * (1 - v) * v * control[0] + v**2 * end[0]
        bt = (1 - v) ** 2 * t_t + 2 * (1 - v) * v * control[1] + v**2 * end[1]
        half_s = np.concatenate([s, bs])
        half_t = np.concatenate([t, bt])
        parts_s.append(half_s)
        parts_t.append(half_t)
    right_s, right_t = parts_s[0][::-1], parts_t[0][::-1]
    return np.concatenate([right_s, parts_s[1][1:]]), np.concatenate([right_t, parts_t[1][1:]])


def forehead_top(marks: FaceLandmarks, *, mm_per_px: float | None) -> HairlineProposal | None:
    """Where the client's forehead ends: the natural (original) hairline, the line between
    face and scalp, on a frontal photo with a face mesh (None without one).

    This is not the hairline the SMP will draw (:func:`propose_hairline`, which a design
    puts at its own height, with the temporal points raised 15 mm into an M): it is the
    edge of the client's own forehead, which on a bald head still shows where the hair once
    grew. The face mesh's upper outline follows the forehead's curve — a dome on a frontal
    photo, highest in the middle and falling toward the temples — and stops short of the
    hairline; the line is that outline raised by :data:`FOREHEAD_TOP_SHARE` of its top's
    height above the glabella (no scale needed). Beyond the outline's ends (beside the
    eyes) the line runs straight outward.
    """
    if marks.mesh is None or not marks.has("right_canthus", "left_canthus"):
        return None
    up = marks.up
    oval = marks.mesh[list(UPPER_OVAL)]
    g = marks["glabella"] if marks.has("glabella") else marks.mesh[9]
    rise = max(0.0, float(np.max((oval - g) @ up)))
    line = oval + up * (FOREHEAD_TOP_SHARE * rise)
    across = marks.across
    if float(np.dot(line[-1] - line[0], across)) < 0:
        line = line[::-1]
    top = int(np.argmax(line @ up))
    height = float(np.dot(line[top] - g, up)) * mm_per_px if mm_per_px else math.nan
    return HairlineProposal(
        polyline=_resampled(np.asarray(line, dtype=np.float64), _STEP_PX),
        mid_frontal=np.asarray(line[top], dtype=np.float64),
        temporal_right=None,
        temporal_left=None,
        rule="forehead",
        height_mm=height,
        across=across,
        up=np.asarray(up, dtype=np.float64),
    )


def hairline_from_points(
    points: Sequence[Sequence[float]] | FloatArray,
    *,
    marks: FaceLandmarks | None,
    mm_per_px: float | None,
    size: tuple[int, int],
) -> HairlineProposal:
    """A hairline drawn by hand: at least two points, from the client's right end to the
    left end (left to right on a frontal photo), in pixels.

    >>> line = hairline_from_points([(10, 50), (50, 30), (90, 50)], marks=None,
    ...                             mm_per_px=None, size=(100, 100))
    >>> line.rule, line.mid_frontal.tolist()
    ('manual', [50.0, 30.0])
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(pts) < 2:
        raise PhotoError("a hairline drawn by hand needs at least two points")
    width, height = size
    if (
        np.any(pts < -0.5 * max(size))
        or np.any(pts[:, 0] > 1.5 * width)
        or np.any(pts[:, 1] > 1.5 * height)
    ):
        raise PhotoError(f"hairline points lie far outside the {width}×{height} photo")
    if marks is not None and marks.has("right_canthus", "left_canthus"):
        across, up = marks.across, marks.up
    else:
        across, up = np.array([1.0, 0.0]), np.array([0.0, -1.0])
    if float(np.dot(pts[-1] - pts[0], across)) < 0:
        pts = pts[::-1]
    top = int(np.argmax(pts @ up))
    height_mm = math.nan
    if marks is not None and marks.has("glabella") and mm_per_px:
        height_mm = float(np.dot(pts[top] - marks["glabella"], up)) * mm_per_px
    return HairlineProposal(
        polyline=_resampled(pts, _STEP_PX),
        mid_frontal=pts[_middle(pts, across)],
        temporal_right=None,
        temporal_left=None,
        rule="manual",
        height_mm=height_mm,
        across=np.asarray(across, dtype=np.float64),
        up=np.asarray(up, dtype=np.float64),
    )


def _middle(points: FloatArray, across: FloatArray) -> int:
    s = points @ across
    return int(np.argmin(np.abs(s - (s.min() + s.max()) / 2.0)))


def _resampled(line: FloatArray, step: float) -> FloatArray:
    seg = np.hypot(*np.diff(line, axis=0).T)
    arc = np.concatenate([[0.0], np.cumsum(seg)])
    if arc[-1] <= 0:
        return np.asarray(line[:1].repeat(2, axis=0), dtype=np.float64)
    n = max(2, math.ceil(arc[-1] / step) + 1)
    at = np.linspace(0.0, arc[-1], n)
    return np.column_stack([np.interp(at, arc, line[:, 0]), np.interp(at, arc, line[:, 1])])
