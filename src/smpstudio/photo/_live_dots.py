"""The designer's fast placement and render on an analysed photo (see :mod:`._live`).

The head's engine is followed (:mod:`smpstudio.dots._engine`): the ranked blue-noise tiles
are laid **once** per photo, design density and seed over the part of the working image that
can carry dots (the head's outline, with a margin), each candidate with its fractional rank,
its foreshortening ``cos θ`` on the photo's dome (the dome's axis is the face's eye line, so
it does not move with the hairline) and its stable identity. A drag then only evaluates the
target density at the candidates inside its window and keeps those whose fractional rank is
below the fraction of the tile the place needs: ``rank/M < ρ (mm/px)² / (100 cos θ B)``
where ``B`` is the tile's density in dots per pixel. Session ``k`` keeps the ranks below its
cumulative share of that fraction, so sessions are nested. The ranked tile is blue noise at
every prefix, so thresholding gives the target density on average without a per-cell count
correction (the flat sampler's exact counts cost most of a drag's placement).

Rendering keeps what does not depend on the dots per photo (``_render.PhotoLayers``: the
working image in linear light, its specular sheen and the share of each pixel hidden by
hair); a drag only splats its dots and composites them.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from smpstudio._types import BoolArray, Float32Array, FloatArray, IntArray
from smpstudio.dots import DilutionRule
from smpstudio.dots._engine import _unit_hash
from smpstudio.dots._placement import RankLimits, candidates_in, layout_for
from smpstudio.dots._tile import default_tiles
from smpstudio.photo._cv import opencv
from smpstudio.photo._hairline import HairlineProposal
from smpstudio.photo._render import (
    _MIN_COS,
    _ZONE_BODY,
    _ZONE_ENHANCEMENT,
    _ZONE_SENTINEL,
    _ZONE_TRANSITION,
    PhotoImpressions,
    PhotoTreatment,
    _diameters,
    _Dome,
    _empty,
    _smoothstep,
    face_behind_mm,
)
from smpstudio.photo._segment import FACE, SCALP, THINNING, Segmentation

__all__ = ["LivePool", "lay_pool", "place_from_pool", "reach_mask"]

_BLOCK_PX = 16
"""Side of the rank-limit blocks (working pixels)."""
_SPARE = 1.05
"""Candidates are laid up to this multiple of the densest fraction a block can need."""
_PATCH_BOOST = 1.7
"""Largest patchiness factor of the sentinels (see ``_render._patchiness``)."""
_PURPOSE = "photo-live-dots"
_MAY_CARRY = np.zeros(256, dtype=bool)
_MAY_CARRY[[SCALP, THINNING, FACE]] = True
"""Region codes a dot may land on (bald or thinning scalp; the forehead's sentinels)."""


@dataclass(frozen=True, eq=False)
class LivePool:
    """Candidates of a photo for one design density and seed (working pixels).

    ``rank_fraction`` is the candidate's rank over the tile's size; a candidate is kept
    where the target needs a fraction of the tile above it. ``per_px`` is the tile's density
    (candidates per pixel at rank fraction 1).
    """

    xy: Float32Array
    rank_fraction: Float32Array
    ident: IntArray
    cos: Float32Array
    tilt: Float32Array
    bound: FloatArray
    """Ascending: the least ratio of a design's peak density to :attr:`peak_per_cm2` at
    which the candidate can be kept (so a design uses a prefix of the pool)."""
    per_px: float
    peak_per_cm2: float

    def __len__(self) -> int:
        return int(self.xy.shape[0])

    @property
    def nbytes(self) -> int:
        arrays = (self.xy, self.rank_fraction, self.ident, self.cos, self.tilt, self.bound)
        return sum(a.nbytes for a in arrays)


def peak_per_cm2(treatment: PhotoTreatment) -> float:
    """The densest target any place of the photo can have (impressions/cm² of skin)."""
    edge = _PATCH_BOOST * max(treatment.sentinel_fraction, treatment.scatter_fraction)
    return treatment.density_full_per_cm2 * max(1.0, edge)


def lay_pool(
    reach: BoolArray,
    *,
    dome: _Dome,
    mm_per_px: float,
    treatment: PhotoTreatment,
    seed: int,
) -> LivePool:
    """Lay the ranked tiles over the pixels of ``reach`` (the pixels that may carry dots).

    The tile's density serves the densest target at the steepest foreshortening; each
    block of :data:`_BLOCK_PX` pixels keeps only the ranks it can need there (from the
    dome's ``cos θ`` at the block's corners and centre).
    """
    rows, cols = reach.shape
    unit = peak_per_cm2(treatment) / 100.0 * mm_per_px**2  # dots per pixel at cos θ = 1
    per_px = unit / _MIN_COS
    tiles = default_tiles()
    layout = layout_for(density_per_unit=per_px, tile=tiles, seed=seed, purpose=_PURPOSE)
    nu, nv = math.ceil(cols / _BLOCK_PX), math.ceil(rows / _BLOCK_PX)
    limits = _limits(reach, dome, nu, nv, layout.size)
    box = (0.0, 0.0, float(cols), float(rows))
    cand = candidates_in(layout, box, limits=RankLimits(limits, 0.0, 0.0, float(_BLOCK_PX)))
    r = np.clip(cand.xy[:, 1].astype(np.int64), 0, rows - 1)
    c = np.clip(cand.xy[:, 0].astype(np.int64), 0, cols - 1)
    inside = reach[r, c]
    xy = np.ascontiguousarray(cand.xy[inside])
    cos, tilt = dome.cos_and_tilt(xy)
    rank = (cand.rank[inside] / float(layout.size)).astype(np.float32)
    cos32 = cos.astype(np.float32)
    # Kept only where rank < ρ (mm/px)² / (100 cos B) ≤ (ρ_peak / peak) × cos_min / cos.
    bound = rank.astype(np.float64) * cos32.astype(np.float64) / _MIN_COS
    order = np.argsort(bound, kind="stable")
    return LivePool(  # single precision: a pool per photo stays a few MB
        xy=np.ascontiguousarray(xy[order], dtype=np.float32),
        rank_fraction=rank[order],
        ident=np.ascontiguousarray(cand.ident[inside][order]),
        cos=cos32[order],
        tilt=np.ascontiguousarray(tilt[order], dtype=np.float32),
        bound=bound[order],
        per_px=per_px,
        peak_per_cm2=peak_per_cm2(treatment),
    )


def _limits(reach: BoolArray, dome: _Dome, nu: int, nv: int, size: int) -> IntArray:
    """Per block (x index, y index): the rank below which a candidate may be kept."""
    rows, cols = reach.shape
    padded = np.zeros((nv * _BLOCK_PX, nu * _BLOCK_PX), dtype=bool)
    padded[:rows, :cols] = reach
    used = padded.reshape(nv, _BLOCK_PX, nu, _BLOCK_PX).any(axis=(1, 3)).T  # (nu, nv)
    half = _BLOCK_PX / 2.0
    gx, gy = np.meshgrid(np.arange(2 * nu + 1) * half, np.arange(2 * nv + 1) * half, indexing="ij")
    cos, _ = dome.cos_and_tilt(np.column_stack([gx.ravel(), gy.ravel()]))
    cos = cos.reshape(gx.shape)
    low = np.minimum.reduce(
        [cos[a : a + 2 * nu : 2, b : b + 2 * nv : 2] for a in range(3) for b in range(3)]
    )
    fraction = np.minimum(_SPARE * _MIN_COS / np.maximum(low, _MIN_COS), 1.0)
    limits = np.where(used, np.ceil(fraction * size), 0)
    return np.ascontiguousarray(np.minimum(limits, size).astype(np.int64))


def place_from_pool(
    pool: LivePool,
    seg: Segmentation,
    *,
    origin: tuple[int, int],
    hairline: HairlineProposal | None,
    mm_per_px: float,
    treatment: PhotoTreatment,
    dilution: DilutionRule,
    seed: int,
) -> PhotoImpressions:
    """The impressions of ``seg`` (a window of the working image whose top-left corner is
    ``origin``; ``hairline`` in the window's pixels) from the photo's candidate pool.
    Positions are in pixels of the working image."""
    x0, y0 = origin
    rows, cols = seg.labels.shape
    share = peak_per_cm2(treatment) / pool.peak_per_cm2
    usable = int(np.searchsorted(pool.bound, share * (1.0 + 1e-9), side="right"))
    x = pool.xy[:usable, 0] - np.float32(x0)
    y = pool.xy[:usable, 1] - np.float32(y0)
    at = np.flatnonzero((x >= 0) & (y >= 0) & (x < cols) & (y < rows))
    if len(at) == 0:
        return _empty(treatment)
    r, c = y[at].astype(np.int64), x[at].astype(np.int64)
    on_skin = _MAY_CARRY[seg.labels[r, c]]
    at, r, c = at[on_skin], r[on_skin], c[on_skin]
    cos = pool.cos[at].astype(np.float64)
    xy = pool.xy[at].astype(np.float64)
    per_cm2, zone, tone = _target_at(seg, r, c, xy, cos, hairline, mm_per_px, treatment, seed)
    need = per_cm2 / 100.0 * mm_per_px**2 / cos / pool.per_px  # fraction of the tile
    rank = pool.rank_fraction[at].astype(np.float64)
    shares = np.asarray(treatment.session_fractions, dtype=np.float64)
    session = _sessions(rank, need, shares)
    keep = (session > 0) & (zone > 0)
    idx = at[keep]
    kept = np.flatnonzero(keep)
    z, t, s = zone[keep], tone[keep], session[keep]
    wobble = _unit_hash(pool.ident[idx]) * 2.0 - 1.0
    return PhotoImpressions(
        xy=np.ascontiguousarray(xy[kept]),
        session=s,
        zone=z,
        tone=t,
        diameter_mm=_diameters(z, t, treatment, seed, wobble=wobble),
        dilution=np.asarray(dilution(z, s, t), dtype=np.float64),
        cos=cos[kept],
        tilt=np.ascontiguousarray(pool.tilt[idx], dtype=np.float64),
        target_per_cm2=treatment.density_full_per_cm2,
    )


def _sessions(rank: FloatArray, need: FloatArray, shares: FloatArray) -> IntArray:
    """Session of each candidate (1-based; 0 = not kept): the first whose cumulative share
    of ``need`` is above the candidate's fractional rank."""
    session = np.zeros(len(rank), dtype=np.int64)
    for k in range(len(shares) - 1, -1, -1):
        session[rank < shares[k] * need] = k + 1
    return session


def _target_at(
    seg: Segmentation,
    r: IntArray,
    c: IntArray,
    xy: FloatArray,
    cos: FloatArray,
    hairline: HairlineProposal | None,
    mm_per_px: float,
    t: PhotoTreatment,
    seed: int,
) -> tuple[FloatArray, IntArray, FloatArray]:
    """Target density (impressions/cm² of skin), zone and tone at candidates on the
    window's pixels ``(r, c)``: ``_render._target`` evaluated at points."""
    labels = seg.labels[r, c]
    coverage = seg.coverage[r, c]
    span = t.coverage_hair_from - t.coverage_bald_below
    need = np.clip((t.coverage_hair_from - coverage) / span, 0.0, 1.0)
    bare = seg.skin[r, c] if seg.skin is not None else np.ones(len(r), dtype=bool)
    scalp = (labels == SCALP) | ((labels == THINNING) & bare)
    skin = scalp | (labels == FACE)
    density = np.zeros(len(r))
    zone = np.zeros(len(r), dtype=np.int64)
    tone = np.ones(len(r))
    enhancement = coverage >= t.coverage_bald_below
    body = np.where(enhancement, _ZONE_ENHANCEMENT, _ZONE_BODY)
    if hairline is None:
        density[scalp] = t.density_full_per_cm2 * need[scalp]
        zone[scalp] = body[scalp]
        return density, zone, tone
    grid = hairline.signed_distance((len(seg.labels), seg.labels.shape[1]), zoom=seg.zoom)
    d = grid[r, c].astype(np.float64) * mm_per_px / cos
    behind = scalp & (d >= 0)
    ramp = _smoothstep(d / max(t.transition_mm, 1e-6))
    factor = t.edge_fraction + (1.0 - t.edge_fraction) * ramp
    to_face = face_behind_mm(seg.labels, grid >= 0, seg.zoom, mm_per_px, t)[r, c] / cos
    factor = np.minimum(factor, _smoothstep(to_face / max(t.transition_mm, 1e-6)))
    density[behind] = (t.density_full_per_cm2 * need * factor)[behind]
    in_band = behind & (d < t.transition_mm)
    zone[behind] = body[behind]
    zone[in_band] = _ZONE_TRANSITION
    tone[in_band] = (t.light_edge + (1.0 - t.light_edge) * ramp)[in_band]
    ahead = skin & (d < 0)
    if t.sentinel_mm <= 0 and t.scatter_mm <= 0:
        return density, zone, tone
    band = ahead & (d >= -max(t.sentinel_mm, t.scatter_mm))
    patch = np.ones(len(r))
    patch[band] = _patchiness_at(xy[band], hairline.across, mm_per_px, seed)
    sentinel = ahead & (d >= -t.sentinel_mm) if t.sentinel_mm > 0 else np.zeros_like(ahead)
    density[sentinel] = (t.density_full_per_cm2 * t.sentinel_fraction * patch)[sentinel]
    zone[sentinel] = _ZONE_SENTINEL
    tone[sentinel] = t.light_edge
    if t.scatter_mm > 0:
        scatter = ahead & (d < -t.sentinel_mm) & (d >= -t.scatter_mm)
        density[scatter] = (t.density_full_per_cm2 * t.scatter_fraction * patch)[scatter]
        zone[scatter] = _ZONE_SENTINEL
        tone[scatter] = t.light_edge
    return density, zone, tone


def _patchiness_at(xy: FloatArray, across: FloatArray, mm_per_px: float, seed: int) -> FloatArray:
    """``_render._patchiness`` at points of the working image (its pixels, so the clusters
    stay where they are when the window moves)."""
    s_mm = (xy @ np.asarray(across, dtype=np.float64)) * mm_per_px
    grid, waves = _waves(seed)
    return np.asarray(1.0 + 0.7 * np.interp(s_mm, grid, waves), dtype=np.float64)


@functools.lru_cache(maxsize=8)
def _waves(seed: int) -> tuple[FloatArray, FloatArray]:
    """The sentinels' clustering along ±40 cm of eye line in 0.1 mm steps (read only)."""
    from smpstudio._rng import rng_for

    rng = rng_for(seed, "photo-hairline-patches")
    lam = rng.uniform(6.0, 14.0, size=8)
    phase = rng.uniform(0.0, 2.0 * math.pi, size=8)
    grid = np.linspace(-400.0, 400.0, 8001)
    waves = np.sin(2.0 * math.pi * grid[:, None] / lam + phase).sum(axis=1)
    waves /= max(float(np.abs(waves).max()), 1e-9)
    grid.setflags(write=False)
    waves.setflags(write=False)
    return grid, waves


def reach_mask(head_zone: BoolArray, margin_px: int) -> BoolArray:
    """The pixels that may carry dots: the head's outline grown by ``margin_px``."""
    cv2 = opencv()
    size = 2 * max(1, margin_px) + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    grown = cv2.dilate(head_zone.astype(np.uint8), kernel)
    return np.asarray(grown > 0, dtype=bool)
