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
from functools import cached_property

import numpy as np

from smpstudio._kernels import field_kernel
from smpstudio._settings import Settings
from smpstudio._types import BoolArray, FloatArray, IntArray
from smpstudio.hairline import Hairline
from smpstudio.head import VirtualHead
from smpstudio.loss import LossPattern, Scar, ScarSet

__all__ = ["ZONES", "DensityField", "FieldSample", "zone_names"]

ZONES: tuple[str, ...] = ("none", "body", "transition", "sentinel", "scar", "enhancement")
"""Zone of each point, by integer code (index into this tuple)."""

_LIGHT_EDGE = 0.6  # pigment strength at the very front of the transition zone and for sentinels


@dataclass(frozen=True)
class FieldSample:
    """Everything the design says about a set of surface points."""

    coverage: FloatArray  # remaining hair, 0–1
    density: FloatArray  # final target, impressions/cm²
    zone: IntArray  # integer codes into ZONES
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

    @cached_property
    def _scars(self) -> ScarSet:
        return ScarSet(self.scars)

    def coverage(self, points: FloatArray) -> FloatArray:
        """Remaining-hair coverage in [0, 1]; 0 on scar tissue."""
        return self.sample(points).coverage

    def sample(
        self,
        points: FloatArray,
        *,
        lazy: bool = False,
        pattern_coverage: FloatArray | None = None,
        on_scar: BoolArray | None = None,
    ) -> FieldSample:
        """Coverage, final density, zone, tone and hairline distance at surface points.

        With ``lazy``, points that get no impression whatever the hairline (hair-bearing
        scalp without scars) skip the hairline: ``hairline_mm`` is NaN there.
        ``pattern_coverage`` (the loss pattern's coverage, as
        :meth:`~smpstudio.loss.LossPattern.coverage` gives it) and ``on_scar`` (as
        :meth:`~smpstudio.loss.ScarSet.mask` gives it), when given together, are used instead
        of evaluating the pattern and the scars again: they do not depend on the hairline.
        """
        pts = np.ascontiguousarray(np.asarray(points, dtype=np.float64).reshape(-1, 3))
        if (pattern_coverage is None) != (on_scar is None):
            raise ValueError("give both pattern_coverage and on_scar, or neither")
        if pattern_coverage is None or on_scar is None:
            known_cov, known_scar = np.empty(0), np.empty(0, dtype=np.bool_)
        else:
            known_cov = np.ascontiguousarray(pattern_coverage, dtype=np.float64).ravel()
            known_scar = np.ascontiguousarray(on_scar, dtype=np.bool_).ravel()
            if known_cov.shape[0] != pts.shape[0] or known_scar.shape[0] != pts.shape[0]:
                raise ValueError("pattern_coverage and on_scar need one value per point")
        s = self.settings
        reg = self.pattern.packed
        line = self.hairline.packed
        scars = self._scars
        params = np.array(
            [
                s.density_full_per_cm2,
                s.scar_overfill,
                s.coverage_bald_below,
                s.coverage_hair_from,
                _LIGHT_EDGE,
            ]
        )
        cov, density, zone, tone, signed, on_scalp = field_kernel(
            pts,
            self.head.edge_table,
            (reg.rec_tab, reg.rec_level, reg.crowns, reg.ovals, reg.patches),
            s.pattern_edge_mm,
            line.arrays,
            line.scalars,
            line.params,
            scars.arrays,
            np.array([scars.reach, scars.hash.cell]),
            params,
            lazy,
            known_cov,
            known_scar,
        )
        shape = np.shape(points)[:-1]
        return FieldSample(
            coverage=cov.reshape(shape),
            density=density.reshape(shape),
            zone=zone.reshape(shape),
            tone=tone.reshape(shape),
            hairline_mm=signed.reshape(shape),
            on_scalp=on_scalp.reshape(shape),
        )

    def density(self, points: FloatArray, *, session: int | None = None) -> FloatArray:
        """Target impressions/cm² after ``session`` (1-based, cumulative); final if None."""
        final = self.sample(points).density
        return final * self.session_fraction(session)

    def zone(self, points: FloatArray) -> IntArray:
        """Zone codes (see :data:`ZONES`)."""
        return self.sample(points).zone

    def session_fraction(self, session: int | None) -> float:
        if session is None:
            return 1.0
        if not 1 <= session <= self.sessions:
            raise ValueError(f"session must be 1–{self.sessions}, got {session}")
        return float(self.settings.session_fractions[session - 1])


def zone_names(codes: IntArray) -> list[str]:
    """Names of integer zone codes."""
    return [ZONES[int(c)] for c in np.asarray(codes).ravel()]
