"""A hairline redrawn on an analysed photo, fast enough to follow a drag.

:func:`prepare_live` does the slow part once per photo: it finds the face, crops the photo
to the head, scales the crop to :data:`PREVIEW_SIDE` on its long side and runs the whole
analysis (face mesh, scale, person, hair and skin models). :func:`redraw` then only draws
the hairline through the practitioner's points, finishes the segmentation for it
(:meth:`~smpstudio.photo.SegmentationBase.regions`), applies the painted corrections and
places and renders the impressions: the part a drag changes.

The points are in pixels of the working image; :meth:`LivePhoto.to_photo` and
:meth:`LivePhoto.to_work` convert to and from pixels of the stored photo.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from smpstudio._errors import PhotoError
from smpstudio._lru import Lru
from smpstudio._types import BoolArray, FloatArray, UInt8Array
from smpstudio.dots import DilutionRule
from smpstudio.photo._analysis import (
    PhotoAnalysis,
    _chromaticity_skin,
    analyze_with_base,
    simulate_photo,
)
from smpstudio.photo._cv import opencv
from smpstudio.photo._hairline import HairlineProposal, hairline_from_points
from smpstudio.photo._ingest import Photo
from smpstudio.photo._landmarks import FaceLandmarks, face_landmarks
from smpstudio.photo._live_dots import LivePool, lay_pool, place_from_pool, reach_mask
from smpstudio.photo._render import (
    PhotoImpressions,
    PhotoLayers,
    PhotoTreatment,
    SkinMask,
    head_dome,
    photo_layers,
    render_on_photo,
)
from smpstudio.photo._segment import (
    COVERAGE_WINDOW_MM,
    Correction,
    Segmentation,
    SegmentationBase,
)
from smpstudio.photo._work import downscaled

__all__ = [
    "MAX_HAIRLINE_POINTS",
    "PREVIEW_SIDE",
    "LivePhoto",
    "prepare_live",
    "redraw",
    "smooth_hairline",
]

PREVIEW_SIDE = 768
"""Long side of the working image (pixels): the preview's size."""
MAX_HAIRLINE_POINTS = 40
"""Most points a hairline drawn on the photo may have."""
_HANDLES = 9
"""Points of the proposed hairline offered for dragging."""
_CROP = (1.15, 1.3, 0.35)
"""The head's box around the face, in glabella–menton heights: half its width, how far it
reaches above the glabella and below the menton."""
POOLS_PER_PHOTO = 3
"""Candidate pools kept per photo (one per seed, sentinel fractions and dome; densities up
to :data:`POOL_DENSITY_PER_CM2` share one)."""
POOL_DENSITY_PER_CM2 = 150.0
"""Full density (impressions/cm²) the candidates are laid for, at least: the designer's
densest."""
_LAYER_MARGIN_PX = 24
"""The photo's render layers reach this far beyond the pixels that may carry dots (a
splat's reach, a fresh dot's halo) …"""
_LAYER_REACH_MM = 14.0
"""… and this far beyond the scalp's zone (sentinels, scatter and the line's irregularity
ahead of a line at the brows); a render that needs more makes its layers itself."""


class LiveCaches:
    """What a photo's drags share: its candidate pools (:func:`lay_pool`, at most
    :data:`POOLS_PER_PHOTO`) and its render layers (:func:`photo_layers`), made on first
    use."""

    def __init__(self) -> None:
        self.pools: Lru[tuple[object, ...], LivePool] = Lru(POOLS_PER_PHOTO)
        self._layers: PhotoLayers | None = None
        self._skin: FloatArray | None = None
        self._lock = threading.Lock()

    def layers(self, make: Any) -> tuple[PhotoLayers, FloatArray]:
        with self._lock:
            if self._layers is None or self._skin is None:
                self._layers, self._skin = make()
            return self._layers, self._skin

    def __reduce__(self) -> tuple[type[LiveCaches], tuple[()]]:
        """A photo sent to another process (a preview process) is sent without its caches:
        that process makes its own on first use (the same values: they depend only on the
        photo and the design)."""
        return LiveCaches, ()

    @property
    def nbytes(self) -> int:
        """Bytes held by the pools and layers made so far."""
        pools = sum(p.nbytes for p in self.pools.values())
        return pools + (0 if self._layers is None else self._layers.nbytes)


@dataclass(frozen=True, eq=False)
class LivePhoto:
    """An analysed working image of a photo, ready for :func:`redraw`.

    Attributes
    ----------
    analysis : PhotoAnalysis
        The analysis of the working image (the head cropped from the photo and scaled).
    base : SegmentationBase
        Its segmentation's hairline-independent part.
    origin : (2,) array
        The working image's top-left corner in photo pixels.
    factor : float
        Working pixels per photo pixel.
    handles : (N, 2) array
        The proposed hairline's draggable points (working pixels), client's right to left.
    """

    analysis: PhotoAnalysis
    base: SegmentationBase
    origin: FloatArray
    factor: float
    handles: FloatArray
    scalp_box: tuple[int, int, int, int]
    """Where bald scalp can be found (x0, y0, x1, y1): the head above the brows."""
    caches: LiveCaches = field(default_factory=LiveCaches, repr=False)
    """Candidate pools and render layers shared by the drags."""

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` of the working image."""
        return self.analysis.photo.size

    def to_photo(self, points: FloatArray) -> FloatArray:
        """Working pixels → photo pixels."""
        return np.asarray(np.asarray(points) / self.factor + self.origin, dtype=np.float64)

    def to_work(self, points: FloatArray) -> FloatArray:
        """Photo pixels → working pixels."""
        return np.asarray((np.asarray(points) - self.origin) * self.factor, dtype=np.float64)


def prepare_live(
    photo: Photo, *, side: int = PREVIEW_SIDE, treatment: PhotoTreatment | None = None
) -> LivePhoto:
    """Crop ``photo`` to the head, scale it to ``side`` and analyse it (about a second).

    A photo without a face is used whole; the analysis says what it could not find
    (:class:`~smpstudio.PhotoError` when it needs a face it has not got).
    """
    origin, crop = _head_crop(photo)
    cv2 = opencv()
    pixels = photo.pixels[crop[1] : crop[3], crop[0] : crop[2]]
    height, width = pixels.shape[:2]
    factor = side / max(width, height)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    smooth = cv2.INTER_AREA if factor < 1.0 else cv2.INTER_CUBIC
    work = cv2.resize(np.ascontiguousarray(pixels), size, interpolation=smooth)
    working = Photo.from_array(work, view=photo.view)
    analysis, base = analyze_with_base(working, treatment=treatment)
    if analysis.hairline is None:
        raise PhotoError(
            "no hairline can be proposed on this photo: it needs a frontal photo with the "
            "client's face visible"
        )
    if analysis.scale is None:
        raise PhotoError("the photo's scale could not be found (no pupils visible)")
    factor = size[0] / width
    return LivePhoto(analysis, base, origin, factor, _handles(analysis), _scalp_box(base))


def _scalp_zone(base: SegmentationBase) -> BoolArray:
    """Where bald scalp can be found: the head above the brows."""
    return base.head_zone if base.above_brows is None else base.head_zone & base.above_brows


def _scalp_box(base: SegmentationBase) -> tuple[int, int, int, int]:
    zone = _scalp_zone(base)
    rows = np.flatnonzero(zone.any(axis=1))
    cols = np.flatnonzero(zone.any(axis=0))
    if len(rows) == 0:
        return 0, 0, *base.photo_size
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _head_crop(photo: Photo) -> tuple[FloatArray, tuple[int, int, int, int]]:
    """The head's box (x0, y0, x1, y1, photo pixels) from the face found on the working
    copy; the whole photo without a face."""
    whole = (0, 0, photo.width, photo.height)
    small, zoom = downscaled(photo, 1024)
    try:
        marks = face_landmarks(Photo.from_array(small, view=photo.view))
    except PhotoError:
        marks = None
    if marks is None or not marks.has("glabella", "menton"):
        return np.zeros(2), whole
    g, m = marks["glabella"] / zoom, marks["menton"] / zoom
    drop = float(np.hypot(*(g - m)))
    half, above, below = (k * drop for k in _CROP)
    x0 = max(0, math.floor(g[0] - half))
    x1 = min(photo.width, math.ceil(g[0] + half))
    y0 = max(0, math.floor(g[1] - above))
    y1 = min(photo.height, math.ceil(m[1] + below))
    if x1 - x0 < 16 or y1 - y0 < 16:
        return np.zeros(2), whole
    return np.array([float(x0), float(y0)]), (x0, y0, x1, y1)


def _handles(analysis: PhotoAnalysis) -> FloatArray:
    """Nine points on the proposed line: its ends, the temporal points, the mid-frontal
    point and the points halfway between them along the line."""
    line = analysis.hairline
    assert line is not None
    poly = line.polyline
    keys = [0, len(poly) - 1]
    for p in (line.temporal_right, line.mid_frontal, line.temporal_left):
        if p is not None:
            keys.append(int(np.argmin(np.hypot(*(poly - p).T))))
    keys = sorted(set(keys))
    picked = []
    for a, b in itertools.pairwise(keys):
        picked += [a, (a + b) // 2]
    picked.append(keys[-1])
    if len(picked) < _HANDLES:
        picked = [round(v) for v in np.linspace(0, len(poly) - 1, _HANDLES)]
    return np.round(poly[picked], 1)


def smooth_hairline(points: FloatArray, *, step: float = 2.0) -> FloatArray:
    """A smooth curve through ``points`` (a Catmull–Rom spline, about ``step`` px between
    its samples): the hairline the points shape."""
    pts = np.asarray(points, dtype=np.float64)
    if len(pts) < 3:
        return pts
    padded = np.vstack([2 * pts[0] - pts[1], pts, 2 * pts[-1] - pts[-2]])
    out = [pts[:1]]
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1 : i + 3]
        n = max(2, math.ceil(float(np.hypot(*(p2 - p1))) / step))
        t = np.linspace(0.0, 1.0, n + 1)[1:, None]
        out.append(
            0.5
            * (
                2 * p1
                + (p2 - p0) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                + (3 * p1 - p0 - 3 * p2 + p3) * t**3
            )
        )
    return np.vstack(out)


def check_points(points: FloatArray, size: tuple[int, int]) -> FloatArray:
    """The hairline's points, refused with one message when there are too few or too many,
    or one lies outside the image."""
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 2:
        raise PhotoError("the hairline needs at least two points, each [x, y] in pixels")
    if len(pts) > MAX_HAIRLINE_POINTS:
        raise PhotoError(
            f"the hairline has {len(pts)} points: at most {MAX_HAIRLINE_POINTS} are accepted"
        )
    width, height = size
    if not np.isfinite(pts).all():
        raise PhotoError("the hairline's points must be numbers")
    outside = (pts[:, 0] < 0) | (pts[:, 0] > width) | (pts[:, 1] < 0) | (pts[:, 1] > height)
    if outside.any():
        k = int(np.flatnonzero(outside)[0])
        raise PhotoError(
            f"hairline point {k + 1} ({pts[k, 0]:g}, {pts[k, 1]:g}) lies outside the "
            f"{width}×{height} image"
        )
    return pts


def redraw(
    live: LivePhoto,
    *,
    points: FloatArray,
    corrections: Sequence[Correction] = (),
    treatment: PhotoTreatment,
    dilution: DilutionRule,
    seed: int = 7,
    state: str = "healed",
    years: float = 0.0,
) -> UInt8Array:
    """The working image with the SMP of a hairline through ``points`` (working pixels)
    and the painted ``corrections``: the same bytes for the same inputs.

    Only the window that can carry impressions is worked on: the head above the brows, the
    line and the painted strokes, with a margin wider than the coverage window, the
    transition zone and the sentinels; the rest of the image is the photo's own pixels.
    """
    analysis = live.analysis
    placed = _placed(
        live,
        check_points(points, live.size),
        corrections,
        treatment=treatment,
        dilution=dilution,
        seed=seed,
    )
    if placed.dots is None:
        return _redraw_whole(
            live,
            analysis,
            placed.seg,
            placed.box,
            treatment,
            dilution,
            seed=seed,
            state=state,
            years=years,
        )
    layers, skin = live.caches.layers(lambda: _layers(live))
    x0, y0 = placed.box[:2]
    return render_on_photo(
        analysis.photo.pixels,
        placed.dots,
        mm_per_px=placed.mm_per_px,
        skin_linear=skin,
        state=state,
        years=years,
        layers=layers,
        skin=SkinMask.of(placed.seg, origin=(float(x0), float(y0))),
    )


@dataclass(frozen=True, eq=False)
class _Placed:
    """A drag's window (x0, y0, x1, y1), its segmentation, its irregular hairline (window
    pixels) and its impressions (working pixels; None without a glabella for the dome)."""

    box: tuple[int, int, int, int]
    seg: Segmentation
    line: HairlineProposal | None
    dots: PhotoImpressions | None
    mm_per_px: float


def _placed(
    live: LivePhoto,
    pts: FloatArray,
    corrections: Sequence[Correction],
    *,
    treatment: PhotoTreatment,
    dilution: DilutionRule,
    seed: int,
) -> _Placed:
    """The segmentation of the drag's window and its impressions from the photo's pool."""
    analysis = live.analysis
    mm = analysis.mm_per_px
    assert mm is not None
    assert live.base.zoom == 1.0  # the working image is ≤ WORK_SIDE
    line = hairline_from_points(
        smooth_hairline(pts), marks=analysis.landmarks, mm_per_px=mm, size=live.size
    )
    x0, y0, x1, y1 = _window(live, line.polyline, corrections, mm, treatment)
    off = np.array([float(x0), float(y0)])
    shifted = [_shift(c, off) for c in corrections]
    seg = _cut(live.base, x0, y0, x1, y1).regions(
        hairline=replace(line, polyline=line.polyline - off, mid_frontal=line.mid_frontal - off),
        corrections=shifted,
        coverage_bald_below=treatment.coverage_bald_below,
        coverage_hair_from=treatment.coverage_hair_from,
    )
    box = (x0, y0, x1, y1)
    marks = analysis.landmarks
    if marks is None or not marks.has("glabella") or seg.boundary is None:
        return _Placed(box, seg, None, None, mm)
    line_here = seg.boundary.irregular(
        mm_per_px=mm,
        macro_mm=treatment.macro_mm,
        macro_wavelength_mm=treatment.macro_wavelength_mm,
        micro_mm=treatment.micro_mm,
        micro_wavelength_mm=treatment.micro_wavelength_mm,
        seed=seed,
    )
    pool = _pool(live, marks["glabella"], line.across, treatment, seed)
    dots = place_from_pool(
        pool,
        seg,
        origin=(x0, y0),
        hairline=line_here,
        mm_per_px=mm,
        treatment=treatment,
        dilution=dilution,
        seed=seed,
    )
    return _Placed(box, seg, line_here, dots, mm)


def _reach_px(live: LivePhoto, treatment: PhotoTreatment) -> int:
    """How far beyond the head's outline a dot may go (pixels): the sentinels ahead of the
    line and the line's irregularity."""
    mm = live.analysis.mm_per_px
    assert mm is not None
    reach_mm = max(treatment.sentinel_mm, treatment.scatter_mm) + treatment.macro_mm
    return math.ceil((reach_mm + treatment.micro_mm + 4.0) / mm) + 4


def _pool(
    live: LivePhoto, glabella: FloatArray, across: FloatArray, treatment: PhotoTreatment, seed: int
) -> LivePool:
    """The photo's candidates for this design density, seed and dome (laid on first use)."""
    mm = live.analysis.mm_per_px
    assert mm is not None
    g = np.asarray(glabella, dtype=np.float64)
    a = np.asarray(across, dtype=np.float64)
    margin = _reach_px(live, treatment)
    pose = live.analysis.landmarks.pose if live.analysis.landmarks is not None else None
    yaw = 0.0 if pose is None else pose[0]
    # Laid for the densest design the designer offers, so the density slider thresholds
    # the same candidates (laying takes ~0.1 s; a drag ~1 ms of it).
    laid = replace(
        treatment,
        density_full_per_cm2=max(treatment.density_full_per_cm2, POOL_DENSITY_PER_CM2),
    )
    key = (
        laid.density_full_per_cm2,
        treatment.sentinel_fraction,
        treatment.scatter_fraction,
        treatment.head_breadth_mm,
        treatment.head_length_mm,
        treatment.vertex_above_glabella_mm,
        yaw,
        seed,
        margin,
        g.tobytes(),
        a.tobytes(),
    )
    return live.caches.pools.get_or_make(
        key,
        lambda: lay_pool(
            reach_mask(_scalp_zone(live.base), margin),
            dome=head_dome(g, a, mm, laid, yaw_deg=yaw),
            mm_per_px=mm,
            treatment=laid,
            seed=seed,
        ),
    )


def _layers(live: LivePhoto) -> tuple[PhotoLayers, FloatArray]:
    """The photo's render layers over the head's outline with a margin, and the skin colour
    (linear sRGB) that tells sheen from skin."""
    mm = live.analysis.mm_per_px
    assert mm is not None
    zone = _scalp_zone(live.base)
    rows = np.flatnonzero(zone.any(axis=1))
    cols = np.flatnonzero(zone.any(axis=0))
    width, height = live.size
    if len(rows) == 0:
        box = (0, 0, width, height)
    else:
        grow = _LAYER_MARGIN_PX + math.ceil(_LAYER_REACH_MM / mm)
        box = (
            max(0, int(cols[0]) - grow),
            max(0, int(rows[0]) - grow),
            min(width, int(cols[-1]) + 1 + grow),
            min(height, int(rows[-1]) + 1 + grow),
        )
    skin = _chromaticity_skin(live.analysis, None)
    layers = photo_layers(live.analysis.photo.pixels, box=box, mm_per_px=mm, skin_linear=skin)
    return layers, skin


def _redraw_whole(
    live: LivePhoto,
    analysis: PhotoAnalysis,
    seg: Segmentation,
    box: tuple[int, int, int, int],
    treatment: PhotoTreatment,
    dilution: DilutionRule,
    *,
    seed: int,
    state: str,
    years: float,
) -> UInt8Array:
    """The window simulated as a photo of its own (no glabella for the dome: it is fitted
    to the head, so no pool can be laid before the line is known)."""
    x0, y0, x1, y1 = box
    off = np.array([float(x0), float(y0)])
    marks = analysis.landmarks
    cut = replace(
        analysis,
        photo=Photo.from_array(analysis.photo.pixels[y0:y1, x0:x1], view=analysis.photo.view),
        landmarks=None if marks is None else _shifted(marks, off),
        hairline=seg.boundary,
        segmentation=seg,
    )
    sim = simulate_photo(
        cut, treatment=treatment, dilution=dilution, seed=seed, state=state, years=years
    )
    out = np.array(analysis.photo.pixels, dtype=np.uint8, copy=True)
    out[y0:y1, x0:x1] = sim.after
    return out


def _window(
    live: LivePhoto,
    line: FloatArray,
    corrections: Sequence[Correction],
    mm_per_px: float,
    treatment: PhotoTreatment,
) -> tuple[int, int, int, int]:
    """The part of the working image a redraw can change (x0, y0, x1, y1)."""
    reach_mm = max(treatment.sentinel_mm, treatment.scatter_mm) + treatment.macro_mm
    margin = (max(reach_mm, COVERAGE_WINDOW_MM) + treatment.micro_mm + 4.0) / mm_per_px + 4.0
    boxes = [np.asarray(live.scalp_box, dtype=np.float64)]
    boxes.append(np.concatenate([line.min(axis=0) - margin, line.max(axis=0) + margin]))
    for c in corrections:
        if c.stroke is not None:
            r = c.radius_px + margin
            boxes.append(np.concatenate([c.stroke.min(axis=0) - r, c.stroke.max(axis=0) + r]))
        elif c.polygon is not None:
            boxes.append(np.concatenate([c.polygon.min(axis=0), c.polygon.max(axis=0)]))
        else:
            boxes.append(np.array([0.0, 0.0, *live.size]))
    box = np.vstack(boxes)
    width, height = live.size
    x0 = max(0, math.floor(box[:, 0].min()))
    y0 = max(0, math.floor(box[:, 1].min()))
    x1 = min(width, math.ceil(box[:, 2].max()))
    y1 = min(height, math.ceil(box[:, 3].max()))
    return x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)


def _shifted(marks: FaceLandmarks, off: FloatArray) -> FaceLandmarks:
    points = {k: (v[0] - float(off[0]), v[1] - float(off[1])) for k, v in marks.points.items()}
    mesh = None if marks.mesh is None else marks.mesh - off
    return replace(marks, points=points, mesh=mesh)


def _shift(c: Correction, off: FloatArray) -> Correction:
    if c.stroke is not None:
        return replace(c, stroke=c.stroke - off)
    if c.polygon is not None:
        return replace(c, polygon=c.polygon - off)
    return c  # a whole-image mask is not offered by the designer


_ARRAYS = (
    "person",
    "skin",
    "head_zone",
    "hair",
    "hair_p",
    "raw_p",
    "hair_share",
    "face_mask",
    "above_brows",
    "ears_band",
)


def _cut(base: SegmentationBase, x0: int, y0: int, x1: int, y1: int) -> SegmentationBase:
    """The segmentation base of a window of the working image."""
    parts: dict[str, Any] = {}
    for name in _ARRAYS:
        value = getattr(base, name)
        parts[name] = None if value is None else value[y0:y1, x0:x1]
    return replace(base, photo_size=(x1 - x0, y1 - y0), landmarks=None, **parts)
