"""SMP on the photo: impressions placed at physical density and rendered into the photo.

**Placement.** The target density of the design (impressions/cm² on the skin) is evaluated
on the photo's working grid from the segmentation (bald and thinning scalp, hair coverage)
and the hairline (transition zone, sentinels ahead of it), exactly as the design's density
field does on the virtual head. A dome model of the skull (an ellipsoid the size of the
design's head, or fitted to the head's outline) gives the foreshortening ``cos θ`` of each
pixel, so a square millimetre of skin covers ``cos θ / (mm/px)²`` pixels: the density per
pixel is ``ρ / 100 · (mm/px)² / cos θ``. Impressions are drawn from the engine's flat
variable-density blue noise (:func:`smpstudio.dots.sample_plane_sessions`), nested by
session.

**Rendering** uses the virtual-head renderer's colour model (:mod:`smpstudio.colour`, as in
``render/_photo.py``): each impression is a Gaussian splat of its healed (or fresh, or faded)
diameter widened by dermal scattering, squeezed by the foreshortening, absorbing
``s · (1 − e^(−D))`` of the light per channel. The photo is its own lighting: in linear light
the dot multiplies the photographed skin, so a dot in shadow is as much darker as its skin.
Two things of the photo are kept on top: the specular sheen (white light reflected at the
surface never reaches the pigment; estimated per pixel by the dichromatic model from the
skin's own chromaticity) and hairs (darker than the local skin; pigment under them is hidden).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from smpstudio._errors import PhotoError
from smpstudio._types import BoolArray, Float32Array, FloatArray, IntArray, UInt8Array
from smpstudio.colour import SHAVED, FadeConditions, PigmentModel, srgb_to_linear
from smpstudio.dots import DilutionRule, sample_plane_sessions
from smpstudio.photo._cv import opencv
from smpstudio.photo._hairline import HairlineProposal
from smpstudio.photo._head_frame import oblique_skull
from smpstudio.photo._landmarks import TURNED_DEG
from smpstudio.photo._segment import EARS, FACE, SCALP, THINNING, Segmentation

if TYPE_CHECKING:
    from smpstudio._design import Design
    from smpstudio._settings import Settings
    from smpstudio.head import HeadShape

__all__ = [
    "SIDE_BY_SIDE_MAX_SIDE",
    "PhotoImpressions",
    "PhotoTreatment",
    "SkinMask",
    "place_on_photo",
    "render_on_photo",
    "side_by_side",
]

_ZONE_BODY, _ZONE_TRANSITION, _ZONE_SENTINEL, _ZONE_ENHANCEMENT = 1, 2, 3, 5
_SUBSURFACE_MM = SHAVED.dermal_spread_mm  # a dot's core spread in the dermis (σ, mm)
_DOT_HALO_MM = SHAVED.halo_mm  # the wide, faint shadow around each dot (σ, mm) …
_DOT_HALO_PEAK = SHAVED.halo_peak  # … and its peak coverage
_CAMERA_BLUR_PX = 0.45  # optics and demosaicing of a phone photo (σ, px) [U]
_MIN_COS = 0.2  # foreshortening is capped at 5× (the silhouette's edge)
_HAIR_DARKER = (0.18, 0.45)  # a pixel this much darker than the local skin is hair (ramp)
_LUT = np.asarray(srgb_to_linear(np.arange(256) / 255.0), dtype=np.float32)


@dataclass(frozen=True, kw_only=True)
class PhotoTreatment:
    """What the photo simulation takes from a design: density, sessions, hairline style,
    dot sizes, the head's size (for the dome) and the coverage thresholds.

    Build it with :meth:`from_design` (or :meth:`from_settings` without a design).
    """

    density_full_per_cm2: float = 80.0
    session_fractions: tuple[float, ...] = (0.6, 0.9, 1.0)
    coverage_bald_below: float = 0.2
    coverage_hair_from: float = 0.8
    transition_mm: float = 10.0
    sentinel_mm: float = 3.0
    scatter_mm: float = 0.0
    edge_fraction: float = 0.35
    sentinel_fraction: float = 0.18
    scatter_fraction: float = 0.0
    light_edge: float = 0.6
    dot_diameter_body_mm: float = 0.13
    dot_diameter_hairline_mm: float = 0.10
    dot_diameter_jitter_mm: float = 0.01
    macro_mm: float = 2.5
    macro_wavelength_mm: tuple[float, float] = (18.0, 40.0)
    micro_mm: float = 0.8
    micro_wavelength_mm: tuple[float, float] = (2.5, 6.0)
    head_breadth_mm: float = 152.0
    head_length_mm: float = 196.0
    vertex_above_glabella_mm: float = 115.0
    hairline_height_mm: float | None = None
    hairline_setback_mm: float = -20.4
    """How far the mid-frontal point lies in front of the glabella (mm; negative: behind,
    the forehead slopes back): head M at 75 mm, 20.4 mm behind."""
    head_profile_mm: tuple[tuple[float, float], ...] = ()
    """The design head's midline section above the glabella, ``(y, z)`` mm from it
    (:func:`~smpstudio.photo._design_height.sagittal_profile`); empty: head M's."""
    hairline_mm: tuple[tuple[float, float, float], ...] = ()
    """The design's hairline on its head, smooth (the style's irregularity is added on the
    photo): ``(x, y, z)`` mm from the glabella, x toward the client's left, y up, z forward,
    from the client's right end to the left; a turned face's photo shows it as its camera
    sees it (:mod:`._head_frame`). Empty: no design."""
    temporal_points_mm: tuple[tuple[float, float, float], ...] = ()
    """The design's temporal points (right, left), as :attr:`hairline_mm`."""
    hairline_rule: str = "thirds"
    temporal_rise_mm: float = 15.0
    hairline_shape: str = "rounded"
    widows_peak_mm: float = 8.0

    @classmethod
    def from_design(cls, design: Design) -> PhotoTreatment:
        """The treatment of a design; its hairline height is projected as a frontal photo
        sees it (the rise of the mid-frontal point above the glabella on the virtual head).

        >>> import smpstudio
        >>> t = PhotoTreatment.from_design(smpstudio.design(pattern="norwood-5", hairline="soft"))
        >>> t.hairline_rule, round(t.hairline_height_mm), t.transition_mm
        ('height', 75, 10.0)
        """
        s = design.settings
        line = design.hairline
        style = line.style
        head = design.head
        glabella = head.landmarks["glabella"]
        vertex = head.landmarks["vertex"]
        rule = "thirds" if line.rule == "thirds" else "height"
        right, left = line.temporal_points
        rise = (right[1] + left[1]) / 2.0 - line.mid_frontal_point[1]
        shape = line.shape if line.shape in ("rounded", "flat", "widows-peak") else "rounded"
        return cls(
            **_from_settings(s),
            transition_mm=line.transition_mm,
            sentinel_mm=line.sentinel_mm,
            scatter_mm=line.scatter_mm,
            edge_fraction=line.edge_fraction,
            sentinel_fraction=style.sentinel_fraction,
            scatter_fraction=style.scatter_fraction,
            macro_mm=style.macro_amplitude_mm,
            macro_wavelength_mm=style.macro_wavelength_mm,
            micro_mm=style.micro_amplitude_mm,
            micro_wavelength_mm=style.micro_wavelength_mm,
            head_breadth_mm=head.measures.breadth_mm,
            head_length_mm=head.measures.length_mm,
            vertex_above_glabella_mm=vertex[1] - glabella[1],
            hairline_height_mm=line.mid_frontal_point[1] - glabella[1],
            hairline_setback_mm=line.mid_frontal_point[2] - glabella[2],
            head_profile_mm=_profile(head.shape),
            hairline_mm=_from_glabella(line.base_polyline, glabella),
            temporal_points_mm=_from_glabella(np.asarray(line.temporal_points), glabella),
            hairline_rule=rule,
            temporal_rise_mm=max(rise, 0.0),
            hairline_shape=shape,
            widows_peak_mm=s.widows_peak_depth_mm,
        )

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> PhotoTreatment:
        """The default (soft) treatment with clinic settings.

        >>> PhotoTreatment.from_settings().density_full_per_cm2
        80.0
        """
        from smpstudio._settings import Settings

        s = settings or Settings()
        return cls(
            **_from_settings(s),
            transition_mm=s.transition_soft_mm,
            sentinel_mm=s.sentinel_band_mm,
            edge_fraction=s.transition_edge_fraction,
            temporal_rise_mm=s.hairline_temporal_rise_mm,
            widows_peak_mm=s.widows_peak_depth_mm,
        )


def _from_glabella(
    points: FloatArray, glabella: Sequence[float]
) -> tuple[tuple[float, float, float], ...]:
    """Design-head points as millimetres from its glabella, rounded to a micrometre (cached
    by value: the studio's photo designer builds a treatment for every preview)."""
    pts = np.ascontiguousarray(points, dtype=np.float64)
    return _relative(pts.tobytes(), tuple(float(v) for v in glabella))


@lru_cache(maxsize=64)
def _relative(points: bytes, glabella: tuple[float, ...]) -> tuple[tuple[float, float, float], ...]:
    rel = np.round(np.frombuffer(points).reshape(-1, 3) - np.asarray(glabella), 3)
    return tuple((float(x), float(y), float(z)) for x, y, z in rel)


@lru_cache(maxsize=16)
def _profile(shape: HeadShape) -> tuple[tuple[float, float], ...]:
    """The head's midline section as the treatment keeps it; cached by head (0.6 ms to
    compute, and the studio's photo designer builds a treatment for every preview)."""
    from smpstudio.photo._design_height import sagittal_profile

    return tuple((round(float(y), 3), round(float(z), 3)) for y, z in sagittal_profile(shape))


def _from_settings(s: Settings) -> dict[str, Any]:
    return {
        "density_full_per_cm2": s.density_full_per_cm2,
        "session_fractions": tuple(s.session_fractions),
        "coverage_bald_below": s.coverage_bald_below,
        "coverage_hair_from": s.coverage_hair_from,
        "dot_diameter_body_mm": s.dot_diameter_body_mm,
        "dot_diameter_hairline_mm": s.dot_diameter_hairline_mm,
        "dot_diameter_jitter_mm": s.dot_diameter_jitter_mm,
    }


@dataclass(frozen=True, eq=False)
class PhotoImpressions:
    """Impressions on a photo: parallel arrays, positions in photo pixels.

    ``zone`` uses the codes of :data:`smpstudio.density.ZONES`; ``cos`` is the
    foreshortening at each dot and ``tilt`` the image direction in which it is squeezed.
    """

    xy: FloatArray
    session: IntArray
    zone: IntArray
    tone: FloatArray
    diameter_mm: FloatArray
    dilution: FloatArray
    cos: FloatArray
    tilt: FloatArray
    target_per_cm2: float

    def __len__(self) -> int:
        return int(self.xy.shape[0])

    def upto(self, session: int) -> PhotoImpressions:
        keep = self.session <= session
        fields = ("xy", "session", "zone", "tone", "diameter_mm", "dilution", "cos", "tilt")
        values = {name: getattr(self, name)[keep] for name in fields}
        return PhotoImpressions(**values, target_per_cm2=self.target_per_cm2)


@dataclass(frozen=True)
class _Dome:
    """An ellipsoidal skull seen along its z axis: centre, unit axis, semi-axes (photo px)."""

    centre: FloatArray
    axis: FloatArray
    a: float
    b: float

    def cos_and_tilt(self, xy: FloatArray) -> tuple[FloatArray, FloatArray]:
        d = xy - self.centre
        u = (d @ self.axis) / self.a
        v = (d @ np.array([-self.axis[1], self.axis[0]])) / self.b
        r2 = u * u + v * v
        cos = np.sqrt(np.clip(1.0 - r2, _MIN_COS**2, 1.0))
        grad = np.outer(u / self.a, self.axis) + np.outer(v / self.b, [-self.axis[1], self.axis[0]])
        norm = np.maximum(np.hypot(grad[:, 0], grad[:, 1]), 1e-12)
        return cos, grad / norm[:, None]

    def cos_grid(self, rows: int, cols: int, zoom: float) -> FloatArray:
        """The foreshortening at the centres of a ``rows × cols`` grid of ``zoom`` grid
        pixels per photo pixel (as :meth:`cos_and_tilt`, without the full-grid temporaries)."""
        dx = (np.arange(cols, dtype=np.float64) + 0.5) / zoom - self.centre[0]
        dy = (np.arange(rows, dtype=np.float64)[:, None] + 0.5) / zoom - self.centre[1]
        ax, ay = float(self.axis[0]), float(self.axis[1])
        u = (dx * (ax / self.a))[None, :] + dy * (ay / self.a)
        v = (dx * (-ay / self.b))[None, :] + dy * (ax / self.b)
        r2: FloatArray = u * u
        r2 += v * v
        np.subtract(1.0, r2, out=r2)
        np.clip(r2, _MIN_COS**2, 1.0, out=r2)
        np.sqrt(r2, out=r2)
        return r2


def head_dome(
    glabella: FloatArray,
    across: FloatArray,
    mm_per_px: float,
    treatment: PhotoTreatment,
    *,
    yaw_deg: float = 0.0,
) -> _Dome:
    """The dome of a photo with a face: the design head's skull, as wide as its breadth and
    as tall as its vertex above the glabella, centred on the glabella. A face turned more
    than :data:`~smpstudio.photo._landmarks.TURNED_DEG` shows the skull obliquely — its
    breadth foreshortened, its length showing — centred half a head length behind the
    face: on the three-quarter evaluation photo (turned 59°) the frontal dome put the bare
    temple beyond the head's edge, foreshortened to the limit, and laid three times the
    density there."""
    half = treatment.head_breadth_mm / 2.0 / mm_per_px
    tall = treatment.vertex_above_glabella_mm / mm_per_px
    g = np.asarray(glabella, dtype=np.float64)
    axis = np.asarray(across, dtype=np.float64)
    if abs(yaw_deg) <= TURNED_DEG:
        return _Dome(g, axis, half, tall)
    length = treatment.head_length_mm / 2.0 / mm_per_px
    seen, back = oblique_skull(half, length, length, yaw_deg)
    return _Dome(g + axis * back, axis, seen, tall)


def _dome(
    seg: Segmentation,
    hairline: HairlineProposal | None,
    glabella: FloatArray | None,
    mm_per_px: float,
    treatment: PhotoTreatment,
    yaw_deg: float,
) -> _Dome:
    if hairline is not None and glabella is not None:
        return head_dome(glabella, hairline.across, mm_per_px, treatment, yaw_deg=yaw_deg)
    head = seg.mask("scalp", "thinning", "hair")
    rows, cols = np.nonzero(head)
    if len(rows) < 10:
        centre = np.array(seg.photo_size, dtype=np.float64) / 2.0
        return _Dome(centre, np.array([1.0, 0.0]), centre[0], centre[1])
    pts = np.column_stack([cols, rows]).astype(np.float64) / seg.zoom
    centre = pts.mean(axis=0)
    values, vectors = np.linalg.eigh(np.cov(pts.T))
    axis = vectors[:, 1]
    return _Dome(centre, axis, 2.0 * math.sqrt(values[1]), 2.0 * math.sqrt(values[0]))


def place_on_photo(
    seg: Segmentation,
    *,
    hairline: HairlineProposal | None,
    glabella: tuple[float, float] | FloatArray | None,
    mm_per_px: float,
    treatment: PhotoTreatment,
    dilution: DilutionRule,
    seed: int = 0,
    yaw_deg: float = 0.0,
) -> PhotoImpressions:
    """Place every impression in the photo's treatment region at physical density.

    Parameters
    ----------
    seg
        The segmentation (bald and thinning scalp, coverage, face).
    hairline
        The hairline on the photo (None: every bald or thinning pixel is body).
    glabella
        The glabella (pixels) for the dome of a frontal photo; None fits the dome to the head.
    mm_per_px
        The photo's scale.
    treatment
        Density, sessions, style and sizes (:meth:`PhotoTreatment.from_design`).
    dilution
        Dilution of each dot from its zone, session and tone.
    seed
        Seed of the blue noise and of the per-dot variation.
    yaw_deg
        The face's turn (the pose's yaw), for the dome of a turned face.
    """
    zoom = seg.zoom
    rows, cols = seg.labels.shape
    g = None if glabella is None else np.asarray(glabella, dtype=np.float64)
    dome = _dome(seg, hairline, g, mm_per_px, treatment, yaw_deg)
    cos = dome.cos_grid(rows, cols, zoom)
    per_cm2, zone, tone = _target(seg, hairline, cos, mm_per_px, treatment, seed)
    per_px = per_cm2 / 100.0 * mm_per_px**2 / cos  # photo pixels
    live = per_px > 0
    if not live.any():
        return _empty(treatment)
    r_idx, c_idx = np.nonzero(live)
    x0, y0 = c_idx.min() / zoom, r_idx.min() / zoom
    side = max((c_idx.max() + 1) / zoom - x0, (r_idx.max() + 1) / zoom - y0)
    expected = float(per_px.sum()) / zoom**2

    def lookup(unit: FloatArray) -> tuple[IntArray, IntArray]:
        px = unit * side + np.array([x0, y0])
        c = np.clip((px[:, 0] * zoom).astype(np.int64), 0, cols - 1)
        r = np.clip((px[:, 1] * zoom).astype(np.int64), 0, rows - 1)
        return r, c

    def density(unit: FloatArray) -> FloatArray:
        r, c = lookup(unit)
        inside = (unit[:, 0] * side + x0 < seg.photo_size[0]) & (
            unit[:, 1] * side + y0 < seg.photo_size[1]
        )
        return np.asarray(np.where(inside, per_px[r, c], 0.0), dtype=np.float64)

    peak = float(per_px.max())
    unit, session = sample_plane_sessions(
        density,
        max(1, round(expected)),
        shares=treatment.session_fractions,
        seed=seed,
        density_max=peak,
    )
    r, c = lookup(unit)
    xy = unit * side + np.array([x0, y0])
    z, t = zone[r, c].astype(np.int64), tone[r, c]
    keep = z > 0
    xy, session, z, t = xy[keep], session[keep], z[keep], t[keep]
    dot_cos, tilt = dome.cos_and_tilt(xy)
    return PhotoImpressions(
        xy=xy,
        session=session.astype(np.int64),
        zone=z,
        tone=t,
        diameter_mm=_diameters(z, t, treatment, seed),
        dilution=np.asarray(dilution(z, session, t), dtype=np.float64),
        cos=dot_cos,
        tilt=tilt,
        target_per_cm2=treatment.density_full_per_cm2,
    )


def _empty(treatment: PhotoTreatment) -> PhotoImpressions:
    z = np.zeros(0)
    return PhotoImpressions(
        xy=np.zeros((0, 2)),
        session=z.astype(np.int64),
        zone=z.astype(np.int64),
        tone=z,
        diameter_mm=z,
        dilution=z,
        cos=z,
        tilt=np.zeros((0, 2)),
        target_per_cm2=treatment.density_full_per_cm2,
    )


def _target(
    seg: Segmentation,
    hairline: HairlineProposal | None,
    cos: FloatArray,
    mm_per_px: float,
    t: PhotoTreatment,
    seed: int,
) -> tuple[FloatArray, IntArray, FloatArray]:
    """Final density (impressions/cm² of skin), zone and tone on the working grid."""
    labels = seg.labels
    rows, cols = labels.shape
    span = t.coverage_hair_from - t.coverage_bald_below
    need = np.clip((t.coverage_hair_from - seg.coverage) / span, 0.0, 1.0)
    bare = seg.skin if seg.skin is not None else np.ones(labels.shape, dtype=bool)
    scalp = (labels == SCALP) | ((labels == THINNING) & bare)  # between hairs: on skin
    skin = scalp | (labels == FACE)
    density = np.zeros((rows, cols))
    zone = np.zeros((rows, cols), dtype=np.int64)
    tone = np.ones((rows, cols))
    enhancement = seg.coverage >= t.coverage_bald_below
    if hairline is None:
        density[scalp] = t.density_full_per_cm2 * need[scalp]
        zone[scalp] = np.where(enhancement[scalp], _ZONE_ENHANCEMENT, _ZONE_BODY)
        return density, zone, tone
    signed_px = hairline.signed_distance((rows, cols), zoom=seg.zoom).astype(np.float64)
    d = signed_px * mm_per_px / cos  # along the skin, roughly
    behind = scalp & (d >= 0)
    ramp = _smoothstep(d / max(t.transition_mm, 1e-6))
    factor = t.edge_fraction + (1.0 - t.edge_fraction) * ramp
    to_face = face_behind_mm(labels, signed_px >= 0, seg.zoom, mm_per_px, t) / cos
    factor = np.minimum(factor, _smoothstep(to_face / max(t.transition_mm, 1e-6)))
    density[behind] = (t.density_full_per_cm2 * need * factor)[behind]
    in_band = behind & (d < t.transition_mm)
    zone[behind] = np.where(enhancement[behind], _ZONE_ENHANCEMENT, _ZONE_BODY)
    zone[in_band] = _ZONE_TRANSITION
    tone[in_band] = (t.light_edge + (1.0 - t.light_edge) * ramp)[in_band]
    ahead = skin & (d < 0)
    band = ahead & (d >= -max(t.sentinel_mm, t.scatter_mm))
    patch = _patchiness(seg, hairline, mm_per_px, seed, band)
    sentinel = ahead & (d >= -t.sentinel_mm) if t.sentinel_mm > 0 else np.zeros_like(ahead)
    scatter = ahead & (d < -t.sentinel_mm) & (d >= -t.scatter_mm) if t.scatter_mm > 0 else None
    density[sentinel] = (t.density_full_per_cm2 * t.sentinel_fraction * patch)[sentinel]
    zone[sentinel] = _ZONE_SENTINEL
    tone[sentinel] = t.light_edge
    if scatter is not None:
        density[scatter] = (t.density_full_per_cm2 * t.scatter_fraction * patch)[scatter]
        zone[scatter] = _ZONE_SENTINEL
        tone[scatter] = t.light_edge
    return density, zone, tone


def face_behind_mm(
    labels: UInt8Array,
    behind_line: BoolArray,
    zoom: float,
    mm_per_px: float,
    t: PhotoTreatment,
) -> Float32Array:
    """Distance (mm on the photo, before foreshortening) of each grid pixel to the nearest
    pixel of the client's face or the skin beside it (the ears' band) that lies behind the
    design's line, within the style's transition at the steepest foreshortening of them
    (the transform runs on that box only); far elsewhere and when there is none.

    The density fades to nothing over the style's transition toward those pixels: there
    the treatment ends at the face, not at the line, and without the fade the dots stopped
    at full density in a hard edge — across the temple of a three-quarter view, whose
    design temporal line runs down the side of the head below the forehead's edge, and
    level with the brows above the near ear. Face in front of the line (a line drawn by
    hand is the face's edge itself) does not fade anything: the line keeps its own
    transition, which starts at ``edge_fraction``."""
    cv2 = opencv()

    face = ((labels == FACE) | (labels == EARS)) & behind_line
    out = np.full(labels.shape, np.float32(_FAR_PX), dtype=np.float32)
    rows = np.flatnonzero(face.any(axis=1))
    if len(rows) == 0:
        return out
    cols = np.flatnonzero(face.any(axis=0))
    grow = math.ceil(t.transition_mm / mm_per_px * zoom / _MIN_COS) + 1
    r0, r1 = max(0, rows[0] - grow), min(face.shape[0], rows[-1] + grow + 1)
    c0, c1 = max(0, cols[0] - grow), min(face.shape[1], cols[-1] + grow + 1)
    box = (~face[r0:r1, c0:c1]).astype(np.uint8)
    out[r0:r1, c0:c1] = cv2.distanceTransform(box, cv2.DIST_L2, cv2.DIST_MASK_5)
    return np.asarray(out / zoom * mm_per_px, dtype=np.float32)


_FAR_PX = 1.0e6


def _smoothstep(x: FloatArray) -> FloatArray:
    u = np.clip(x, 0.0, 1.0)
    return np.asarray(u * u * (3.0 - 2.0 * u), dtype=np.float64)


def _patchiness(
    seg: Segmentation, hairline: HairlineProposal, mm_per_px: float, seed: int, where: BoolArray
) -> FloatArray:
    """Seeded clustering of sentinel dots along the line, in [0.3, 1.7], with wavelengths of
    6–14 mm along the eye line (as the design's sentinels on the head); evaluated only
    ``where`` it is needed (1 elsewhere)."""
    from smpstudio._rng import rng_for

    out = np.ones(seg.labels.shape)
    rows, cols = np.nonzero(where)
    if len(rows) == 0:
        return out
    across = hairline.across
    s_mm = ((cols + 0.5) * across[0] + (rows + 0.5) * across[1]) / seg.zoom * mm_per_px
    rng = rng_for(seed, "photo-hairline-patches")
    lam = rng.uniform(6.0, 14.0, size=8)
    phase = rng.uniform(0.0, 2.0 * math.pi, size=8)
    grid = np.linspace(-400.0, 400.0, 8001)  # ±40 cm of eye line, 0.1 mm steps
    waves = np.sin(2.0 * math.pi * grid[:, None] / lam + phase).sum(axis=1)
    waves /= max(float(np.abs(waves).max()), 1e-9)
    out[rows, cols] = 1.0 + 0.7 * np.interp(s_mm, grid, waves)
    return out


def _diameters(
    zone: IntArray,
    tone: FloatArray,
    t: PhotoTreatment,
    seed: int,
    *,
    wobble: FloatArray | None = None,
) -> FloatArray:
    """Healed diameters; ``wobble`` (in [-1, 1] per dot) is drawn from the seed unless given
    (the designer's drag gives one per candidate, so a dot keeps its size)."""
    fine = np.isin(zone, (_ZONE_TRANSITION, _ZONE_SENTINEL))
    depth = np.clip((tone - 0.6) / 0.4, 0.0, 1.0)
    base = np.where(
        fine,
        t.dot_diameter_hairline_mm + (t.dot_diameter_body_mm - t.dot_diameter_hairline_mm) * depth,
        t.dot_diameter_body_mm,
    )
    from smpstudio._rng import rng_for

    if wobble is None:
        wobble = rng_for(seed, "photo-dot-size").uniform(-1.0, 1.0, size=len(zone))
    return np.asarray(np.clip(base + t.dot_diameter_jitter_mm * wobble, 0.06, 0.25), np.float64)


def render_on_photo(
    pixels: UInt8Array,
    dots: PhotoImpressions,
    *,
    mm_per_px: float,
    skin_linear: FloatArray,
    state: str = "healed",
    years: float = 0.0,
    model: PigmentModel | None = None,
    conditions: FadeConditions | None = None,
    hair_occludes: bool = True,
    layers: PhotoLayers | None = None,
    skin: SkinMask | None = None,
) -> UInt8Array:
    """The photo with the impressions rendered into it (see the module notes).

    Parameters
    ----------
    pixels
        The photo (8-bit sRGB).
    dots
        Impressions from :func:`place_on_photo`.
    mm_per_px
        The photo's scale.
    skin_linear
        The client's skin colour in linear sRGB (its chromaticity tells diffuse from
        specular light).
    state
        ``healed``, ``fresh`` (day 0: darker, twice the size, red halos) or ``year``
        (``years`` after healing, faded).
    layers
        The photo's own layers made before (:func:`photo_layers`), used where they cover
        the dots' box (the designer's drag): only the splats and the composite are made.
    skin
        Where the dots' shadows may fall (:meth:`SkinMask.of`): the background, ears and
        clothing never change, however near a dot lies to them. Everywhere when None.
    """
    from smpstudio.render._kernels import (
        SRGB_TABLE,
        composite_absorbed,
        encode_srgb,
        splat_absorb,
        splat_tint,
    )

    out = np.array(pixels, dtype=np.uint8, copy=True)
    if len(dots) == 0:
        return out
    model = model or PigmentModel()
    conditions = conditions or FadeConditions()
    if state not in ("healed", "fresh", "year"):
        raise PhotoError(f"unknown state {state!r}: use healed, fresh or year")
    strength, diameter = model.splat(
        dots.dilution, dots.diameter_mm, state=state, years=years, speed=conditions.speed
    )
    strength = np.ascontiguousarray(strength)
    cov, area = _footprints(dots, diameter, _SUBSURFACE_MM, mm_per_px)
    wide, wide_area = _footprints(dots, diameter, _DOT_HALO_MM, mm_per_px)
    reach = 3.0 * math.sqrt(float(wide[:, [0, 2]].max())) + 2.0
    if state == "fresh":
        reach = max(reach, 2.5 * model.halo_radius_mm / mm_per_px + 2.0)
    height, width = out.shape[:2]
    x0 = max(int(dots.xy[:, 0].min() - reach), 0)
    y0 = max(int(dots.xy[:, 1].min() - reach), 0)
    x1 = min(int(dots.xy[:, 0].max() + reach) + 1, width)
    y1 = min(int(dots.xy[:, 1].max() + reach) + 1, height)
    crop = out[y0:y1, x0:x1]
    linear, sheen, visible = _own_layers(
        crop, (x0, y0, x1, y1), layers, skin_linear, mm_per_px, hair_occludes=hair_occludes
    )
    if skin is not None:
        visible = np.asarray(visible * skin.sample((x0, y0, x1, y1)), dtype=np.float32)
    transmit = np.ones_like(linear)
    centres = np.ascontiguousarray(dots.xy - np.array([x0, y0]))
    splat_absorb(transmit, centres, np.ascontiguousarray(cov), np.ascontiguousarray(area), strength)
    halo_area = np.ascontiguousarray(_DOT_HALO_PEAK * wide_area)
    splat_absorb(transmit, centres, np.ascontiguousarray(wide), halo_area, strength)
    if state != "fresh":  # only the pixels a dot darkens, in one pass
        composite_absorbed(crop, linear, sheen, visible, transmit, SRGB_TABLE)
        return out
    diffuse = np.maximum(linear - sheen[..., None], 0.0)
    result = linear - (visible[..., None] * diffuse * (1.0 - transmit))
    if state == "fresh":
        tint = np.ones_like(linear)
        radius = np.full(len(dots), model.halo_radius_mm / mm_per_px)
        red = np.asarray(model.erythema_transmittance, dtype=np.float64)
        splat_tint(tint, centres, radius, red, 1.0)
        result = result - visible[..., None] * (result - sheen[..., None]) * (1.0 - tint)
        transmit = transmit * tint
    changed = (transmit < 1.0 - 1e-6).any(axis=2)
    encoded = encode_srgb(np.ascontiguousarray(result, dtype=np.float32))
    crop[changed] = encoded[changed]
    return out


@dataclass(frozen=True, eq=False)
class SkinMask:
    """Where on a photo the dots' shadows may fall, on the segmentation's grid: ``grid``
    (rows, cols, float32) is 1 on skin and hair, 0 elsewhere, seen at ``zoom`` grid cells a
    photo pixel, its cell (0, 0) at photo pixel ``origin``."""

    grid: Float32Array
    zoom: float
    origin: tuple[float, float] = (0.0, 0.0)

    @classmethod
    def of(cls, seg: Segmentation, origin: tuple[float, float] = (0.0, 0.0)) -> SkinMask:
        """Everything but the background, ears and clothing of ``seg``."""
        skin = ~seg.mask("background", "ears", "clothing")
        return cls(np.ascontiguousarray(skin, dtype=np.float32), seg.zoom, origin)

    def sample(self, box: tuple[int, int, int, int]) -> Float32Array:
        """The mask on the photo pixels of ``box`` (x0, y0, x1, y1), bilinear between
        the grid's cells: 1 on skin, 0 off it, a soft step at the outline."""
        cv2 = opencv()

        x0, y0, x1, y1 = box
        cols = ((np.arange(x0, x1) + 0.5 - self.origin[0]) * self.zoom - 0.5).astype(np.float32)
        rows = ((np.arange(y0, y1) + 0.5 - self.origin[1]) * self.zoom - 0.5).astype(np.float32)
        shape = (y1 - y0, x1 - x0)
        found = cv2.remap(
            self.grid,
            np.ascontiguousarray(np.broadcast_to(cols[None, :], shape)),
            np.ascontiguousarray(np.broadcast_to(rows[:, None], shape)),
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0.0,
        )
        return np.asarray(found, dtype=np.float32)


def _footprints(
    dots: PhotoImpressions, diameter: FloatArray, spread_mm: float, mm_per_px: float
) -> tuple[FloatArray, FloatArray]:
    """Covariances (px²: xx, xy, yy) and areas (px²) of the dots' discs spread by
    ``spread_mm`` (σ) and squeezed by the foreshortening, at peak coverage 1."""
    sigma2 = ((diameter / 4.0) ** 2 + spread_mm**2) / mm_per_px**2
    squeeze = 1.0 - dots.cos**2
    m = dots.tilt
    extra = _CAMERA_BLUR_PX**2 + 1.0 / 12.0
    cov = np.column_stack(
        [
            sigma2 * (1.0 - squeeze * m[:, 0] ** 2) + extra,
            -sigma2 * squeeze * m[:, 0] * m[:, 1],
            sigma2 * (1.0 - squeeze * m[:, 1] ** 2) + extra,
        ]
    )
    return cov, 2.0 * math.pi * sigma2 * dots.cos


def _own_layers(
    crop: UInt8Array,
    box: tuple[int, int, int, int],
    layers: PhotoLayers | None,
    skin_linear: FloatArray,
    mm_per_px: float,
    *,
    hair_occludes: bool,
) -> tuple[Float32Array, Float32Array, Float32Array]:
    """The crop in linear light, its sheen and how visible each pixel is (float32): from
    ``layers`` where they cover ``box``, made here otherwise."""
    if layers is not None and hair_occludes and layers.covers(box):
        linear, sheen, visible = layers.crop(box)
        return linear, sheen, visible
    linear = _LUT[crop]
    sheen = _specular(linear, skin_linear)
    if hair_occludes:
        visible = np.asarray(1.0 - _hair(linear, mm_per_px), dtype=np.float32)
    else:
        visible = np.ones(crop.shape[:2], dtype=np.float32)
    return linear, sheen, visible


def _specular(linear: Float32Array, skin: FloatArray) -> Float32Array:
    """White light reflected at the skin's surface, per pixel (dichromatic model): the
    skin's diffuse colour has the skin's chromaticity, the sheen adds equally to R, G, B."""
    cv2 = opencv()

    s = np.asarray(skin, dtype=np.float64)
    s = s / max(float(s.max()), 1e-9)
    red, blue = float(s[0]), float(s[2])
    gap = 1.0 / max(blue, 1e-3) - 1.0 / max(red, 1e-3)
    if gap < 0.25:  # a nearly neutral skin: sheen and skin cannot be told apart
        return np.zeros(linear.shape[:2], dtype=np.float32)
    sheen = (linear[..., 2] / blue - linear[..., 0] / red) / gap
    sheen = np.clip(sheen, 0.0, None).astype(np.float32)
    sheen = cv2.GaussianBlur(sheen, (0, 0), 1.0)
    return np.asarray(np.minimum(sheen, linear.min(axis=2)), dtype=np.float32)


def _hair(linear: Float32Array, mm_per_px: float) -> Float32Array:
    """How much of each pixel is hair: darker than the local skin around it (the brightest
    surroundings within about 0.6 mm, smoothed)."""
    cv2 = opencv()

    luma = (linear @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)).astype(np.float32)
    reach = max(1, round(0.6 / mm_per_px))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))
    local = cv2.GaussianBlur(cv2.dilate(luma, kernel), (0, 0), reach)
    darker = 1.0 - luma / np.maximum(local, 1e-4)
    lo, hi = _HAIR_DARKER
    return np.asarray(np.clip((darker - lo) / (hi - lo), 0.0, 1.0), dtype=np.float32)


@dataclass(frozen=True, eq=False)
class PhotoLayers:
    """What the render of a photo owes to the photo alone, on a box of it (x0, y0, x1, y1):
    the pixels in linear light, the specular sheen and how much of each pixel is visible
    (not hidden by hair)."""

    box: tuple[int, int, int, int]
    linear: Float32Array
    sheen: Float32Array
    visible: Float32Array

    @property
    def nbytes(self) -> int:
        return int(self.linear.nbytes + self.sheen.nbytes + self.visible.nbytes)

    def covers(self, box: tuple[int, int, int, int]) -> bool:
        x0, y0, x1, y1 = self.box
        return box[0] >= x0 and box[1] >= y0 and box[2] <= x1 and box[3] <= y1

    def crop(
        self, box: tuple[int, int, int, int]
    ) -> tuple[Float32Array, Float32Array, Float32Array]:
        """The layers on ``box`` (image pixels; :meth:`covers` it)."""
        x0, y0 = self.box[:2]
        rows = slice(box[1] - y0, box[3] - y0)
        cols = slice(box[0] - x0, box[2] - x0)
        return self.linear[rows, cols], self.sheen[rows, cols], self.visible[rows, cols]


def photo_layers(
    pixels: UInt8Array,
    *,
    box: tuple[int, int, int, int],
    mm_per_px: float,
    skin_linear: FloatArray,
) -> PhotoLayers:
    """The layers of ``pixels`` (8-bit sRGB) on ``box`` (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box
    linear = np.ascontiguousarray(_LUT[pixels[y0:y1, x0:x1]])
    sheen = np.ascontiguousarray(_specular(linear, skin_linear))
    visible = np.asarray(1.0 - _hair(linear, mm_per_px), dtype=np.float32)
    return PhotoLayers(box, linear, sheen, visible)


SIDE_BY_SIDE_MAX_SIDE = 4096
"""Widest ``side-by-side.png`` (pixels): a 4K screen is 3840 px wide, so the pair is seen
whole at full size there; the full-resolution ``after-photo.png`` is for zooming into dots."""


def side_by_side(
    before: UInt8Array,
    after: UInt8Array,
    *,
    max_height: int = 2048,
    max_side: int = SIDE_BY_SIDE_MAX_SIDE,
    gap: int = 16,
) -> UInt8Array:
    """Before and after next to each other on a dark strip, at most ``max_height`` pixels
    high and ``max_side`` wide.

    Larger photos are reduced by the smallest whole factor ``k`` that fits: each output
    pixel is the rounded mean of a ``k × k`` block (an exact box filter, no resampling
    phase; at most ``k − 1`` trailing rows and columns are dropped), and the gap shrinks
    with them.

    >>> side_by_side(np.zeros((10, 8, 3), np.uint8), np.zeros((10, 8, 3), np.uint8)).shape
    (10, 32, 3)
    >>> side_by_side(np.zeros((3000, 4000, 3), np.uint8), np.zeros((3000, 4000, 3), np.uint8)).shape
    (1500, 4008, 3)
    """
    if before.shape != after.shape:
        raise PhotoError("before and after photos differ in size")
    height, width = before.shape[:2]
    k = _reduction(height, width, gap, max_height, max_side)
    if k > 1:
        before, after = _box_reduce(before, k), _box_reduce(after, k)
        gap = max(2, round(gap / k))
    h, w = before.shape[:2]
    strip = np.empty((h, 2 * w + gap, 3), dtype=np.uint8)
    strip[:, :w] = before
    strip[:, w : w + gap] = 24
    strip[:, w + gap :] = after
    return strip


def _reduction(height: int, width: int, gap: int, max_height: int, max_side: int) -> int:
    """The smallest whole reduction that fits the pair in ``max_height`` × ``max_side``."""
    k = 1
    while k < min(height, width):
        h, w = height // k, width // k
        wide = 2 * w + (gap if k == 1 else max(2, round(gap / k)))
        if h <= max_height and wide <= max_side:
            break
        k += 1
    return k


def _box_reduce(pixels: UInt8Array, k: int) -> UInt8Array:
    """Rounded means of ``k × k`` blocks (OpenCV's area resize at a whole factor)."""
    cv2 = opencv()

    h, w = pixels.shape[0] // k, pixels.shape[1] // k
    block = np.ascontiguousarray(pixels[: h * k, : w * k])
    return np.asarray(cv2.resize(block, (w, h), interpolation=cv2.INTER_AREA), dtype=np.uint8)
