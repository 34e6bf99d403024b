"""What a treatment plan is made of: sessions, costs, aftercare and the touch-up."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

__all__ = [
    "AftercareEvent",
    "CostEstimate",
    "DesignFacts",
    "Session",
    "SessionStatus",
    "TouchUp",
    "TransplantEstimate",
    "WorkItem",
]

SessionStatus: TypeAlias = Literal["planned", "provisional", "done"]
"""``planned``; ``provisional`` (to confirm after a trial session); ``done`` (recorded)."""


@dataclass(frozen=True, kw_only=True)
class WorkItem:
    """Impressions of one session that share a zone, a needle and a dilution.

    ``redo`` of them re-work impressions that did not hold after an earlier session.
    """

    zone: str
    needle: str
    ml_water: float
    impressions: int
    redo: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "zone": self.zone,
            "needle": self.needle,
            "ml_water": self.ml_water,
            "impressions": self.impressions,
            "redo": self.redo,
        }


@dataclass(frozen=True, kw_only=True)
class Session:
    """One appointment of the plan.

    Attributes
    ----------
    index : int
        Appointment number, 1-based, in date order.
    date : datetime.date
    stage : int
        The design session whose impressions it lays (1 base, 2 shading and definition, the
        last adjustments); a stage past the design's is a 4th session or a top-up.
    part, parts : int
        A stage that would exceed the longest session is split into ``parts`` appointments.
    purpose : str
        What the session does, for the client.
    status : {"planned", "provisional", "done"}
    work : tuple of WorkItem
        Impressions by zone, needle and dilution.
    setup_h, work_h, duration_h : float
        Estimated setup, needle time and their sum (hours).
    booked_h : float
        Time to book: the duration rounded up to a quarter hour, at least the shortest
        session and never more than the longest.
    density_per_cm2 : float
        Target density on bald scalp once the stage is complete (impressions/cm²).
    retention : mapping of str to float
        Share of the session's impressions that held, per zone (percent), once recorded.
    """

    index: int
    date: dt.date
    stage: int
    part: int
    parts: int
    purpose: str
    status: SessionStatus
    work: tuple[WorkItem, ...]
    setup_h: float
    work_h: float
    duration_h: float
    booked_h: float
    density_per_cm2: float
    retention: Mapping[str, float] = field(default_factory=dict)

    @property
    def impressions(self) -> int:
        """Every impression of the session."""
        return sum(w.impressions for w in self.work)

    @property
    def redo(self) -> int:
        """Impressions that re-work what did not hold after an earlier session."""
        return sum(w.redo for w in self.work)

    @property
    def zones(self) -> dict[str, int]:
        """Impressions per zone."""
        return _tally((w.zone, w.impressions) for w in self.work)

    @property
    def needles(self) -> dict[str, int]:
        """Impressions per needle configuration (1RL, 3RL)."""
        return _tally((w.needle, w.impressions) for w in self.work)

    @property
    def dilutions(self) -> dict[float, int]:
        """Impressions per shade (mL of water per mL of pigment), lightest last."""
        counts = _tally((w.ml_water, w.impressions) for w in self.work)
        return {k: counts[k] for k in sorted(counts)}

    def to_dict(self) -> dict[str, Any]:
        """The session's entry in ``plan.json``."""
        cups = [
            {
                "ml_water": ml,
                "impressions": n,
                "zones": sorted({w.zone for w in self.work if w.ml_water == ml}),
            }
            for ml, n in self.dilutions.items()
        ]
        return {
            "index": self.index,
            "date": self.date.isoformat(),
            "stage": self.stage,
            "part": self.part,
            "parts": self.parts,
            "status": self.status,
            "purpose": self.purpose,
            "impressions": self.impressions,
            "redo": self.redo,
            "zones": self.zones,
            "needles": self.needles,
            "dilution": cups,
            "work": [w.to_dict() for w in self.work],
            "setup_h": round(self.setup_h, 3),
            "work_h": round(self.work_h, 3),
            "duration_h": round(self.duration_h, 2),
            "booked_h": self.booked_h,
            "density_per_cm2": round(self.density_per_cm2, 3),
            "retention_percent": dict(self.retention),
        }


@dataclass(frozen=True, kw_only=True)
class CostEstimate:
    """The SMP price range and what it rests on."""

    low: float
    high: float
    currency: str
    basis: str
    band: str
    area_equivalent_cm2: float
    extra_sessions: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "low": self.low,
            "high": self.high,
            "currency": self.currency,
            "basis": self.basis,
            "band": self.band,
            "area_equivalent_cm2": round(self.area_equivalent_cm2, 1),
            "extra_sessions": self.extra_sessions,
        }


@dataclass(frozen=True, kw_only=True)
class TransplantEstimate:
    """A hair-transplant comparison: grafts by Norwood class times a cost per graft."""

    norwood: str
    grafts_low: int
    grafts_high: int
    low: float
    high: float
    currency: str
    basis: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "norwood": self.norwood,
            "grafts": [self.grafts_low, self.grafts_high],
            "low": self.low,
            "high": self.high,
            "currency": self.currency,
            "basis": self.basis,
        }


@dataclass(frozen=True, kw_only=True)
class AftercareEvent:
    """One aftercare instruction on a date (``until``: the last day a restriction holds)."""

    date: dt.date
    session: int
    kind: str
    text: str
    until: dt.date | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            "session": self.session,
            "kind": self.kind,
            "text": self.text,
        }


@dataclass(frozen=True, kw_only=True)
class TouchUp:
    """When the healed dots will have faded enough for a touch-up, and why."""

    date: dt.date
    years: float
    ml_water: float
    zone: str
    basis: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "years": round(self.years, 2),
            "ml_water": self.ml_water,
            "zone": self.zone,
            "basis": self.basis,
        }


@dataclass(frozen=True, kw_only=True)
class DesignFacts:
    """What the plan documents say about the design."""

    pattern: str
    hairline_style: str
    hairline_shape: str
    hairline_height_cm: float
    head: str
    seed: int
    scars: tuple[str, ...]
    areata: int
    treated_area_cm2: float
    density_full_per_cm2: float
    session_fractions: tuple[float, ...]
    restores_hairline: bool = True  # False: Ludwig, diffuse, scars only — density, no hairline

    def to_dict(self) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "hairline": {
                "style": self.hairline_style,
                "shape": self.hairline_shape,
                "height_cm": self.hairline_height_cm,
                "restored": self.restores_hairline,
            },
            "head": self.head,
            "seed": self.seed,
            "scars": list(self.scars),
            "areata_patches": self.areata,
            "treated_area_cm2": round(self.treated_area_cm2, 2),
            "density_full_per_cm2": self.density_full_per_cm2,
            "session_fractions": list(self.session_fractions),
        }


def _tally(pairs: Any) -> dict[Any, int]:
    counts: Counter[Any] = Counter()
    for key, n in pairs:
        counts[key] += n
    return dict(counts)
