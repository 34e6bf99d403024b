"""Placing every impression of a design on the head.

1. The ranked tiles are laid over the scalp chart at the density that serves the densest
   place (full density × scar over-fill where the chart's area factor is largest), in
   patches that each take a tile, an angle and an offset from the seed (no period).
2. Each candidate maps to the skin; its target density ``ρ`` (impressions/cm²) and area
   factor ``J`` give the fraction ``f = ρ J / (100 B)`` of the tile it should keep there.
3. In chart cells where the density is smooth, exactly the expected number of candidates is
   kept (lowest fractional rank first); elsewhere — at the hairline, scars, the edges of the
   treated area — plain thresholding ``rank < f M`` applies.
4. Session ``k`` is the set with fractional rank below the session's cumulative share, so
   sessions are nested and each is a prefix of the tile at its own density.

A dot's fate depends only on its position, rank and the density there: moving the hairline
re-places dots near the old and new lines only.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from smpstudio._kernels import ZONE_NONE, ZONE_SCAR, ZONE_SENTINEL, ZONE_TRANSITION
from smpstudio._lru import Lru
from smpstudio._settings import Settings
from smpstudio._types import BoolArray, FloatArray, IntArray
from smpstudio.density import ZONES
from smpstudio.dots._chart import ScalpChart, chart_of, to_chart
from smpstudio.dots._errors import DotsError
from smpstudio.dots._placement import (
    Candidates,
    RankLimits,
    TileLayout,
    candidates_in,
    exact_counts,
    layout_for,
)
from smpstudio.dots._tile import Tile, default_tiles
from smpstudio.head import VirtualHead
from smpstudio.loss import ScarSet

if TYPE_CHECKING:
    from smpstudio._design import Design

__all__ = ["NEEDLES", "Impressions", "place_impressions", "sample_on_head"]

NEEDLES: tuple[str, ...] = ("1RL", "3RL")
"""Needle configurations: single round-liner for the hairline and fine work, three-point
round-liner for filling (domain reference §1.2)."""

FINE_ZONES = (ZONE_TRANSITION, ZONE_SENTINEL, ZONE_SCAR)
_CELL_DOTS = 32.0  # expected dots per count-correction cell at the densest place
_SMOOTH = 0.02  # a cell is smooth when its corner densities agree within 2 %
_SPARE = 1.3  # candidates up to this multiple of the threshold take part in exact counts
_CHART_MARGIN = 0.03
_BLOCK = 0.04  # chart units per rank-limit block (about 4 mm at the vertex)

DilutionRule = Callable[[IntArray, IntArray, FloatArray], FloatArray]
"""Maps zone codes, sessions and tones of dots to dilutions (mL water per mL pigment)."""


@dataclass(frozen=True, eq=False)
class Impressions:
    """Every dot of a design, sorted by stable identity.

    Attributes are parallel arrays: ``positions`` (mm, on the skin), ``session`` (1-based),
    ``zone`` (codes into :data:`smpstudio.density.ZONES`), ``diameter_mm`` (healed),
    ``needle`` (codes into :data:`NEEDLES`), ``dilution`` (mL water per mL pigment),
    ``tone`` (relative pigment strength), ``target`` (the design's final density there,
    impressions/cm²) and ``ident`` (stable across re-placements with the same seed).
    """

    positions: FloatArray
    session: IntArray
    zone: IntArray
    diameter_mm: FloatArray
    needle: IntArray
    dilution: FloatArray
    tone: FloatArray
    target: FloatArray
    ident: IntArray
    sessions: int
    session_fractions: tuple[float, ...] = field(default=())

    def __len__(self) -> int:
        return int(self.positions.shape[0])

    def upto(self, session: int) -> Impressions:
        """The cumulative set after ``session``."""
        return self.subset(self.session <= session)

    def subset(self, mask: BoolArray) -> Impressions:
        """The dots selected by ``mask``."""
        return replace(
            self,
            **{name: getattr(self, name)[mask] for name in _PER_DOT},
        )

    @cached_property
    def counts(self) -> dict[int, dict[str, int]]:
        """Number of new dots per session and zone."""
        out: dict[int, dict[str, int]] = {}
        for k in range(1, self.sessions + 1):
            in_k = self.session == k
            out[k] = {ZONES[z]: int(np.sum(in_k & (self.zone == z))) for z in range(1, len(ZONES))}
        return out


_PER_DOT = (
    "positions",
    "session",
    "zone",
    "diameter_mm",
    "needle",
    "dilution",
    "tone",
    "target",
    "ident",
)


def place_impressions(
    design: Design,
    *,
    seed: int | None = None,
    dilution: DilutionRule,
    tile: Tile | None = None,
) -> Impressions:
    """Place every impression of ``design``.

    Parameters
    ----------
    design
        The design (its density field, sessions and settings).
    seed
        Seed of the tile layout; the design's seed by default.
    dilution
        Rule giving each dot's dilution from its zone, session and tone.
    tile
        A ranked tile to use alone (the shipped tiles by default).
    """
    seed = design.inputs["seed"] if seed is None else seed
    chart = chart_of(design.head)
    s = design.settings
    tile_density = _density_cap(s) * chart.j_max  # stable: independent of hairline and scars
    tiles = (tile,) if tile is not None else default_tiles()
    layout = layout_for(density_per_unit=tile_density, tile=tiles, seed=seed)
    box = _chart_box(design)
    pool = _pool_for(design, chart, layout, box, tile_density)
    points = pool.points
    sample = design.field.sample(
        points, lazy=True, pattern_coverage=pool.coverage, on_scar=pool.on_scar
    )
    live = np.flatnonzero(sample.density > 0)
    cand = Candidates(pool.xy[live], pool.rank[live], pool.ident[live])
    fraction = sample.density[live] / 100.0 * pool.jac[live] / tile_density
    session_all = _assign_sessions(
        design, pool.cell[live], pool.cells, fraction, cand.rank / layout.size, seed
    )
    keep = np.flatnonzero(session_all > 0)
    keep = keep[np.argsort(cand.ident[keep], kind="stable")]
    at = live[keep]  # index into the sample
    session, zone, tone, ident = (
        session_all[keep],
        sample.zone[at],
        sample.tone[at],
        cand.ident[keep],
    )
    return Impressions(
        positions=design.head.shape.project(points[at]),
        session=session,
        zone=zone,
        diameter_mm=_diameters(zone, tone, ident, s),
        needle=np.where(np.isin(zone, FINE_ZONES), 0, 1).astype(np.int64),
        dilution=np.asarray(dilution(zone, session, tone), dtype=np.float64),
        tone=tone,
        target=sample.density[at],
        ident=ident,
        sessions=len(s.session_fractions),
        session_fractions=tuple(s.session_fractions),
    )


def sample_on_head(
    head: VirtualHead,
    density: Callable[[FloatArray], FloatArray],
    *,
    cap_per_cm2: float,
    seed: int,
    purpose: str = "sample-on-head",
    tile: Tile | None = None,
) -> tuple[FloatArray, IntArray]:
    """Blue-noise points on the natural scalp following ``density`` (per cm², at most
    ``cap_per_cm2``), by thresholding the ranked tile: no sessions, no exact counts.

    Returns the points (on the skin) and their stable identities. Used for things that are
    not impressions, such as the follicles of the remaining hair.

    Raises :class:`~smpstudio.dots.DotsError` for a cap that is not a positive finite
    number or a density that is negative, NaN or of the wrong shape.
    """
    if not (math.isfinite(cap_per_cm2) and cap_per_cm2 > 0):
        raise DotsError(f"cap_per_cm2 must be a positive finite density, got {cap_per_cm2!r}")
    chart = chart_of(head)
    tile_density = cap_per_cm2 / 100.0 * chart.j_max
    tiles = (tile,) if tile is not None else default_tiles()
    layout = layout_for(density_per_unit=tile_density, tile=tiles, seed=seed, purpose=purpose)
    uv = to_chart(head.natural_edge_polyline())
    low, high = uv.min(axis=0) - _CHART_MARGIN, uv.max(axis=0) + _CHART_MARGIN
    box = (
        float(max(low[0], -math.pi)),
        float(min(low[1], -_CHART_MARGIN)),
        float(min(high[0], math.pi)),
        float(max(high[1], _CHART_MARGIN)),
    )
    size = layout.size
    limits = _rank_limits(chart, box, size / tile_density * cap_per_cm2 / 100.0, size)
    cand = candidates_in(layout, box, limits=limits)
    points, jac = chart.to_surface_fast(cand.xy)
    values = np.asarray(density(points))
    if values.shape != (len(points),) or not np.all(np.isfinite(values)) or np.any(values < 0):
        raise DotsError(
            "density must return one finite, non-negative value per point "
            f"(shape ({len(points)},)); it returned shape {values.shape}"
            + ("" if values.shape != (len(points),) else " with NaN, inf or negative values")
        )
    wanted = values.astype(np.float64) / 100.0 * jac / tile_density
    keep = cand.rank < wanted * size
    return head.shape.project(points[keep]), cand.ident[keep]


@dataclass(frozen=True, eq=False)
class _Pool:
    """Candidates that may receive a dot whatever the hairline, in laying order, with their
    skin points and area factors: those on scalp that needs dots (coverage below
    ``coverage_hair_from``) or on a scar."""

    xy: FloatArray
    rank: IntArray
    ident: IntArray
    points: FloatArray
    jac: FloatArray
    coverage: FloatArray
    on_scar: BoolArray
    cell: IntArray  # count-correction cell of each candidate
    cells: _Cells


@dataclass(frozen=True, eq=False)
class _Cells:
    """The count-correction cells holding pool candidates (see :func:`_assign_sessions`):
    their numbers, and at their four corners — (0, 0), (0, 1), (1, 0), (1, 1) in chart
    steps — the skin points, area factors, pattern coverage and scar flags."""

    side: float
    ids: IntArray
    points: FloatArray  # (4, cells, 3)
    jac: FloatArray  # (4, cells)
    coverage: FloatArray  # (4, cells)
    on_scar: BoolArray  # (4, cells)


_POOLS: Lru[tuple[object, ...], _Pool] = Lru(6)


def _pool_for(
    design: Design,
    chart: ScalpChart,
    layout: TileLayout,
    box: tuple[float, float, float, float],
    tile_density: float,
) -> _Pool:
    """The candidate pool of ``design``, shared by designs that differ only in their
    hairline (the designer's drag): the tile is laid, mapped to the skin and tested against
    the loss pattern and scars once, and each hairline then only samples the pool."""
    return _POOLS.get_or_make(
        _pool_key(design, layout, box),
        lambda: _make_pool(design, chart, layout, box, tile_density),
    )


def _pool_key(
    design: Design, layout: TileLayout, box: tuple[float, float, float, float]
) -> tuple[object, ...]:
    """Everything the pool depends on, by value (designs are rebuilt for every drag)."""
    digest = hashlib.blake2b(digest_size=16)
    packed = design.pattern.packed
    for array in (packed.rec_tab, packed.rec_level, packed.crowns, packed.ovals, packed.patches):
        digest.update(np.ascontiguousarray(array).tobytes())
        digest.update(str(array.shape).encode())
    scars = ScarSet(design.scars)
    digest.update(scars.points.tobytes())
    digest.update(scars.radius.tobytes())
    return (
        digest.hexdigest(),
        design.head.shape,
        design.settings,
        # The tiles themselves (hashed by identity), not id() of their set: the key keeps
        # them alive, so a later tile set cannot take a freed one's id() and get its pool.
        layout.tiles.tiles,
        layout.size,
        layout.side,
        layout.offset,
        layout.key,
        box,
    )


def _make_pool(
    design: Design,
    chart: ScalpChart,
    layout: TileLayout,
    box: tuple[float, float, float, float],
    tile_density: float,
) -> _Pool:
    s = design.settings
    most = (s.density_full_per_cm2 * (s.scar_overfill if design.scars else 1.0)) / 100.0
    per_area = _SPARE * layout.size * most / tile_density
    cand = candidates_in(layout, box, limits=_rank_limits(chart, box, per_area, layout.size))
    points, jac = chart.to_surface_fast(cand.xy)
    cov, scar, possible = _may_get_dots(design, points)
    keep = np.flatnonzero(possible)
    xy = np.ascontiguousarray(cand.xy[keep])
    side = math.sqrt(_CELL_DOTS / tile_density)
    nv = max(1, math.ceil((box[3] - box[1]) / side))
    iu = ((xy[:, 0] - box[0]) / side).astype(np.int64)
    iv = ((xy[:, 1] - box[1]) / side).astype(np.int64)
    cell = iu * nv + iv
    return _Pool(
        xy,
        cand.rank[keep],
        cand.ident[keep],
        np.ascontiguousarray(points[keep]),
        jac[keep],
        cov[keep],
        scar[keep],
        cell,
        _cells_of(design, chart, np.unique(cell), box, side, nv),
    )


def _may_get_dots(design: Design, points: FloatArray) -> tuple[FloatArray, BoolArray, BoolArray]:
    """The loss pattern's coverage and the scar flag at ``points``, and where a dot may go
    whatever the hairline: scalp that needs dots (coverage below ``coverage_hair_from``) or a
    scar; everywhere else the field's density is 0 for any hairline."""
    s = design.settings
    cov = design.pattern.coverage(points, edge_mm=s.pattern_edge_mm)
    need = np.clip(
        (s.coverage_hair_from - cov) / (s.coverage_hair_from - s.coverage_bald_below), 0.0, 1.0
    )
    scar = ScarSet(design.scars).mask(points) if design.scars else np.zeros(len(cov), bool)
    return cov, scar, (need > 0.0) | scar


def _cells_of(
    design: Design,
    chart: ScalpChart,
    ids: IntArray,
    box: tuple[float, float, float, float],
    side: float,
    nv: int,
) -> _Cells:
    cu, cv = ids // nv, ids % nv
    corner_uv = np.stack(
        [
            np.stack([box[0] + (cu + a) * side, box[1] + (cv + b) * side], axis=1)
            for a in (0, 1)
            for b in (0, 1)
        ]
    ).reshape(-1, 2)
    points, jac = chart.to_surface_fast(corner_uv)
    s = design.settings
    cov = design.pattern.coverage(points, edge_mm=s.pattern_edge_mm)
    scar = ScarSet(design.scars).mask(points) if design.scars else np.zeros(len(cov), bool)
    return _Cells(
        side,
        ids,
        points.reshape(4, -1, 3),
        jac.reshape(4, -1),
        cov.reshape(4, -1),
        scar.reshape(4, -1),
    )


def _density_cap(settings: Settings) -> float:
    """Densest target any place can have (impressions per mm²)."""
    return (
        max(settings.density_full_per_cm2 * settings.scar_overfill, settings.density_full_per_cm2)
        / 100.0
    )


def _rank_limits(
    chart: ScalpChart,
    box: tuple[float, float, float, float],
    per_area: float,
    size: int,
) -> RankLimits:
    """Per chart block, the rank below which a candidate might be kept: ``per_area`` × the
    block's largest area factor (from its corners and centre, with 5 % to spare)."""
    nu = max(1, math.ceil((box[2] - box[0]) / _BLOCK))
    nv = max(1, math.ceil((box[3] - box[1]) / _BLOCK))
    half = np.arange(2 * max(nu, nv) + 1) * (_BLOCK / 2)
    gu, gv = np.meshgrid(box[0] + half[: 2 * nu + 1], box[1] + half[: 2 * nv + 1], indexing="ij")
    jac = chart.area_factor_fast(np.column_stack([gu.ravel(), gv.ravel()])).reshape(gu.shape)
    peak = np.maximum.reduce(
        [jac[a : a + 2 * nu : 2, b : b + 2 * nv : 2] for a in range(3) for b in range(3)]
    )
    limits = np.minimum(np.ceil(per_area * 1.05 * peak), size).astype(np.int64)
    return RankLimits(np.ascontiguousarray(limits), box[0], box[1], _BLOCK)


def _chart_box(design: Design) -> tuple[float, float, float, float]:
    """Chart rectangle holding the natural scalp, the hairline and the scars."""
    parts = [design.head.natural_edge_polyline(), design.hairline.polyline]
    parts += [scar.centres for scar in design.scars]
    uv = to_chart(np.concatenate(parts))
    low, high = uv.min(axis=0) - _CHART_MARGIN, uv.max(axis=0) + _CHART_MARGIN
    low = np.minimum(low, [-_CHART_MARGIN, -_CHART_MARGIN])  # the vertex is inside
    high = np.maximum(high, [_CHART_MARGIN, _CHART_MARGIN])
    return float(max(low[0], -math.pi)), float(low[1]), float(min(high[0], math.pi)), float(high[1])


def _assign_sessions(
    design: Design,
    cell: IntArray,
    cells: _Cells,
    fraction: FloatArray,
    rank_fraction: FloatArray,
    seed: int,
) -> IntArray:
    """Session of every candidate (0 = none): exact counts in smooth chart cells,
    thresholding elsewhere.

    Cells are squares of the chart holding about 32 dots where the tile is densest; a cell
    is smooth when the target density at its four corners agrees within 2 % (the area
    factor varies smoothly, so the corners' mean integrates the rate). Only cells that can
    receive dots are examined.
    """
    shares = design.settings.session_fractions
    live = np.flatnonzero(np.bincount(cell[fraction > 0], minlength=int(cell.max(initial=0)) + 1))
    at = np.searchsorted(cells.ids, live)
    density = design.field.sample(
        cells.points[:, at].reshape(-1, 3),
        lazy=True,
        pattern_coverage=cells.coverage[:, at].ravel(),
        on_scar=cells.on_scar[:, at].ravel(),
    ).density.reshape(4, -1)
    low, high = density.min(axis=0), density.max(axis=0)
    smooth = (low > 0) & (high - low <= _SMOOTH * high)
    rate = density / 100.0 * cells.jac[:, at]  # J is smooth: corners integrate it
    expected = np.where(smooth, rate.mean(axis=0) * cells.side * cells.side, np.nan)
    slot = np.minimum(np.searchsorted(live, cell), max(len(live) - 1, 0))
    return exact_counts(rank_fraction, fraction, slot, expected, seed=seed, shares=shares)


def _diameters(zone: IntArray, tone: FloatArray, ident: IntArray, settings: Settings) -> FloatArray:
    """Healed diameter: smaller toward the front of the hairline, with a little variation."""
    body = settings.dot_diameter_body_mm
    fine = settings.dot_diameter_hairline_mm
    jitter = settings.dot_diameter_jitter_mm
    depth = np.clip((tone - 0.6) / 0.4, 0.0, 1.0)
    base = np.where(
        np.isin(zone, (ZONE_TRANSITION, ZONE_SENTINEL)), fine + (body - fine) * depth, body
    )
    wobble = _unit_hash(ident) * 2.0 - 1.0
    size = np.clip(base + jitter * wobble, 0.06, 0.25)
    return np.asarray(np.where(zone == ZONE_NONE, 0.0, np.round(size, 4)), dtype=np.float64)


def _unit_hash(ident: IntArray) -> FloatArray:
    """Deterministic value in [0, 1) per identity (splitmix64)."""
    x = ident.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    return np.asarray((x >> np.uint64(11)).astype(np.float64) / float(1 << 53), dtype=np.float64)
