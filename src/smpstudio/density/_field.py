"""Target impression density (impressions per cm²) on the scalp, session by session.

For a surface point the final density is::

    full × need(coverage) × hairline factor          (scar tissue: full × scar_overfill)

``need`` is 1 on bald scalp (coverage below ``coverage_bald_below``), 0 on hair-bearing scalp
(coverage from ``coverage_hair_from``) and falls linearly between: thinning scalp receives
dots between its hairs (density enhancement, "darkening the scalp"), which also feathers the
treated area into the remaining hair. The hairline factor is 0 below the hairline and in front
of the temporal points, rises across the transition zone and leaves a patchy band of sentinel
dots ahead of the line. Session ``k`` targets ``session_fractions[k-1]`` of the final density.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smpstudio._settings import Settings
from smpstudio._types import BoolArray, FloatArray
from smpstudio.hairline import Hairline
from smpstudio.head import VirtualHead
from smpstudio.loss import LossPattern, Scar, smoothstep

__all__ = ["ZONES", "DensityField", "FieldSample", "zone_names"]

ZONES: tuple[str, ...] = ("none", "body", "transition", "sentinel", "scar", "enhancement")
"""Zone of each point, by integer code (index into this tuple)."""

_Z = {name: code for code, name in enumerate(ZONES)}
_LIGHT_EDGE = 0.6  # pigment strength at the very front of the transition zone and for sentinels


@dataclass(frozen=True)
class FieldSample:
    """Everything the design says about a set of surface points."""

    coverage: FloatArray  # remaining hair, 0–1
    density: FloatArray  # final target, impressions/cm²
    zone: FloatArray  # integer codes into ZONES (stored as int64)
    tone: FloatArray  # relative pigment strength, 1 = body shade, lower = lighter
    hairline_mm: FloatArray  # signed distance to the hairline, positive behind it
    on_scalp: BoolArray  # inside the natural scalp or the designed region


@dataclass(frozen=True, eq=False)
class DensityField:
    """The design's target density, zones and coverage as functions of surface points.

    Examples
    --------
    >>> from smpstudio import design
    >>> field = design(pattern="norwood-7", hairline="soft").field
    >>> vertex, chin = np.array([[0.0, 94.0, 0.0], [0.0, -100.0, 50.0]])
    >>> field.density(np.array([vertex, chin])).tolist()
    [80.0, 0.0]
    >>> field.density(vertex[None], session=1).tolist()
    [48.0]
    """

    head: VirtualHead
    pattern: LossPattern
    hairline: Hairline
    scars: tuple[Scar, ...]
    settings: Settings

    @property
    def sessions(self) -> int:
        return len(self.settings.session_fractions)

    def coverage(self, points: FloatArray) -> FloatArray:
        """Remaining-hair coverage in [0, 1]; 0 on scar tissue."""
        points = np.asarray(points, dtype=np.float64)
        cov = self.pattern.coverage(points, edge_mm=self.settings.pattern_edge_mm)
        return np.where(self._scar_mask(points), 0.0, cov)

    def sample(self, points: FloatArray) -> FieldSample:
        """Coverage, final density, zone, tone and hairline distance at surface points."""
        s = self.settings
        pts = np.asarray(points, dtype=np.float64)
        scar = self._scar_mask(pts)
        cov = np.where(scar, 0.0, self.pattern.coverage(pts, edge_mm=s.pattern_edge_mm))
        need = np.clip(
            (s.coverage_hair_from - cov) / (s.coverage_hair_from - s.coverage_bald_below), 0, 1
        )
        line = self.hairline.sample(pts)
        factor, signed = line.factor, line.signed
        on_scalp = line.region | self.head.natural_scalp_mask(pts)
        density = s.density_full_per_cm2 * need * factor
        density = np.where(scar & on_scalp, s.density_full_per_cm2 * s.scar_overfill, density)
        zone = self._zones(density, cov, signed, scar & on_scalp)
        width = self.hairline.transition_mm
        tone = np.where(
            signed >= 0,
            _LIGHT_EDGE + (1 - _LIGHT_EDGE) * smoothstep(0.0, width, signed),
            _LIGHT_EDGE,
        )
        tone = np.where((zone == _Z["transition"]) | (zone == _Z["sentinel"]), tone, 1.0)
        tone = np.where(zone == _Z["none"], 0.0, tone)
        return FieldSample(cov, density, zone.astype(np.float64), tone, signed, on_scalp)

    def density(self, points: FloatArray, *, session: int | None = None) -> FloatArray:
        """Target impressions/cm² after ``session`` (1-based, cumulative); final if None."""
        final = self.sample(points).density
        return final * self.session_fraction(session)

    def zone(self, points: FloatArray) -> FloatArray:
        """Zone codes (see :data:`ZONES`)."""
        return self.sample(points).zone

    def session_fraction(self, session: int | None) -> float:
        if session is None:
            return 1.0
        if not 1 <= session <= self.sessions:
            raise ValueError(f"session must be 1–{self.sessions}, got {session}")
        return float(self.settings.session_fractions[session - 1])

    def _scar_mask(self, points: FloatArray) -> BoolArray:
        mask = np.zeros(points.shape[:-1], dtype=np.bool_)
        for scar in self.scars:
            mask |= scar.mask(points)
        return mask

    def _zones(
        self, density: FloatArray, cov: FloatArray, signed: FloatArray, scar: BoolArray
    ) -> FloatArray:
        s = self.settings
        zone = np.full(density.shape, _Z["body"], dtype=np.int64)
        zone = np.where(cov >= s.coverage_bald_below, _Z["enhancement"], zone)
        zone = np.where(signed < self.hairline.transition_mm, _Z["transition"], zone)
        zone = np.where(signed < 0, _Z["sentinel"], zone)
        zone = np.where(density <= 0, _Z["none"], zone)
        return np.where(scar, _Z["scar"], zone)


def zone_names(codes: FloatArray) -> list[str]:
    """Names of integer zone codes."""
    return [ZONES[int(c)] for c in np.asarray(codes).ravel()]
