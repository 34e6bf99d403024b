"""Build a treatment plan from a design and its impressions, and re-plan after a session."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import uuid
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

from smpstudio import __version__
from smpstudio._errors import PlanError, SettingError
from smpstudio._settings import Settings
from smpstudio._types import FloatArray, IntArray
from smpstudio.colour import (
    ZONE_NAMES,
    DilutionTable,
    FadeConditions,
    PigmentModel,
    SkinTone,
    skin_tone,
    touch_up_years,
)
from smpstudio.density import ZONES
from smpstudio.dots import NEEDLES, Impressions, blend_for
from smpstudio.plan._aftercare import aftercare_events
from smpstudio.plan._cost import smp_cost, transplant_cost
from smpstudio.plan._dots import FINE_NEEDLE, DotWork, darker, hash_rank, shade_lookup, tone_steps
from smpstudio.plan._model import (
    AftercareEvent,
    CostEstimate,
    DesignFacts,
    Session,
    SessionStatus,
    TouchUp,
    TransplantEstimate,
    WorkItem,
)
from smpstudio.plan._tables import GraftTable, PriceTable

if TYPE_CHECKING:
    from smpstudio._design import Design

__all__ = ["PLAN_SCHEMA", "Plan", "build_plan", "plan_settings", "record_session"]

PLAN_SCHEMA = "smpstudio/plan@1"
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)
_NAMESPACE = uuid.UUID("6f1c8a52-3d0e-5b7a-9c44-2b8f0e6d51a7")
_SCAR = ZONES.index("scar")
_BODY = ZONES.index("body")
_PLAN_PREFIXES = ("plan_", "aftercare_", "session_spacing_", "session_min_", "session_max_")


def plan_settings(settings: Settings) -> dict[str, float]:
    """The settings a plan uses (scheduling, rates, prices, aftercare), by name.

    >>> sorted(plan_settings(Settings()))[:3]
    ['aftercare_dry_days', 'aftercare_moisturise_from_day', 'aftercare_no_exercise_days']
    """
    return {k: v for k, v in settings.to_dict().items() if k.startswith(_PLAN_PREFIXES)}


@dataclass(frozen=True, eq=False, kw_only=True)
class _Context:
    """Everything a plan was built from, kept for re-planning."""

    plan_id: str
    facts: DesignFacts
    settings: Settings
    skin: SkinTone
    hair: str
    start: dt.date
    spacing_days: int
    trial: bool
    shades: tuple[float, ...]
    prices: PriceTable
    grafts: GraftTable
    fade: FadeConditions
    time: dt.time | None
    timezone: str | None
    design_stages: int
    design_impressions: int
    extra_stage: bool
    lookup: Mapping[tuple[int, int, int], float]
    darker: Mapping[int, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False, kw_only=True)
class Plan:
    """A treatment plan: dated sessions, time, cost, aftercare and the touch-up.

    Build it with :func:`build_plan`; record a session with :func:`record_session`.
    ``to_dict()`` is the content of ``plan.json``.
    """

    plan_id: str
    design: DesignFacts
    skin: SkinTone
    hair: str
    start: dt.date
    time: dt.time | None
    timezone: str | None
    sessions: tuple[Session, ...]
    cost: CostEstimate
    transplant: TransplantEstimate | None
    aftercare: tuple[AftercareEvent, ...]
    touch_up: TouchUp
    notes: tuple[str, ...]
    warnings: tuple[str, ...]
    settings: Settings
    _context: _Context = field(repr=False)
    _work: tuple[DotWork, ...] = field(repr=False)

    @property
    def impressions(self) -> int:
        """Every impression the plan lays (re-worked ones included)."""
        return sum(s.impressions for s in self.sessions)

    @property
    def treated_area_cm2(self) -> float:
        return self.design.treated_area_cm2

    @property
    def currency(self) -> str:
        return self.cost.currency

    @property
    def final_shade(self) -> tuple[str, float]:
        """Zone and shade (mL water per mL pigment) of the final design session: the body's
        most used shade, or that of the zone with the most impressions when there is no body.
        """
        last = len(self.design.session_fractions)
        items = [w for x in self.sessions if x.stage == last for w in x.work]
        items = items or [w for x in self.sessions for w in x.work]
        if not items:
            return "body", 0.0
        zones: dict[str, int] = {}
        for w in items:
            zones[w.zone] = zones.get(w.zone, 0) + w.impressions
        zone = "body" if "body" in zones else max(sorted(zones), key=lambda z: zones[z])
        shades: dict[float, int] = {}
        for w in items:
            if w.zone == zone:
                shades[w.ml_water] = shades.get(w.ml_water, 0) + w.impressions
        return zone, max(sorted(shades), key=lambda ml: shades[ml])

    def session_work(self, index: int) -> DotWork:
        """The per-impression work of session ``index`` (1-based)."""
        return self._work[index - 1]

    def to_dict(self) -> dict[str, Any]:
        """The content of ``plan.json``."""
        s = self.settings
        return {
            "schema": PLAN_SCHEMA,
            "smpstudio_version": __version__,
            "plan_id": self.plan_id,
            "design": self.design.to_dict(),
            "client": {
                "skin_hex": self.skin.hex,
                "skin_monk": self.skin.monk,
                "skin_ita_class": self.skin.ita_class,
                "fitzpatrick_estimate": self.skin.fitzpatrick_estimate,
                "hair": self.hair,
            },
            "start": self.start.isoformat(),
            "appointment_time": None if self.time is None else self.time.strftime("%H:%M"),
            "timezone": self.timezone,
            "treated_area_cm2": round(self.treated_area_cm2, 2),
            "impressions_total": self.impressions,
            "duration_total_h": round(sum(x.duration_h for x in self.sessions), 2),
            "sessions": [x.to_dict() for x in self.sessions],
            "cost_estimate": self.cost.to_dict(),
            "transplant_estimate": None if self.transplant is None else self.transplant.to_dict(),
            "aftercare": [e.to_dict() for e in self.aftercare],
            "touch_up": self.touch_up.to_dict(),
            "rates": {
                "body_3rl_per_hour": s.plan_rate_body_per_hour,
                "fine_1rl_per_hour": s.plan_rate_fine_per_hour,
                "setup_first_min": s.plan_setup_first_minutes,
                "setup_min": s.plan_setup_minutes,
                "session_min_h": s.session_min_hours,
                "session_max_h": s.session_max_hours,
                "spacing_days": self._context.spacing_days,
            },
            "notes": list(self.notes),
            "warnings": list(self.warnings),
            "settings": plan_settings(s),
        }


def build_plan(
    design: Design,
    impressions: Impressions,
    *,
    start: dt.date,
    skin: SkinTone | str,
    hair: str = "dark-brown",
    sessions: int | None = None,
    trial: bool = False,
    spacing_days: float | None = None,
    settings: Settings | None = None,
    price_table: PriceTable | None = None,
    graft_table: GraftTable | None = None,
    currency: str | None = None,
    shades: Sequence[float] | None = None,
    fade: FadeConditions | None = None,
    time: dt.time | None = None,
    timezone: str | None = None,
    reference: str = "",
) -> Plan:
    """Plan the sessions, time, cost, aftercare and touch-up of a design.

    Parameters
    ----------
    design
        The design (:func:`smpstudio.design` or :func:`smpstudio.load_design`).
    impressions
        Its impressions, ``place_impressions(design, dilution=dilution_rule(skin, hair))``;
        each dot's session, zone, needle and dilution are used as they are.
    start
        Date of the first session.
    skin
        The client's skin (``#rrggbb`` or a :class:`~smpstudio.colour.SkinTone`), for the
        touch-up date.
    hair
        The hair colour the dilutions were chosen for (recorded in the plan). When the
        healed scalp cannot take the hair's tone within the dilution table's natural limits
        (:func:`smpstudio.dots.blend_for`), the plan's warnings say so.
    sessions
        The design's session count (default), or one more: a 4th session for scars,
        alopecia or difficult skin that re-works the scars and a share of the rest
        (setting ``plan_extra_session_share``).
    trial
        "Start with one session and see": sessions after the first are provisional until
        the first is recorded with :func:`record_session`.
    spacing_days
        Days between sessions (setting ``session_spacing_days`` by default); never under
        ``session_spacing_min_days``, a warning past ``session_spacing_max_days``.
    settings
        Rates, session limits, prices and aftercare rules (the design's settings by default).
    price_table, graft_table
        The clinic's SMP prices and the transplant graft figures (shipped defaults).
    currency
        ISO 4217 code; must be the price table's (prices are never converted).
    shades
        The clinic's dilution chart, mL of water per mL of pigment (for re-planning darker).
    fade
        Sun and care conditions for the touch-up (typical by default).
    time, timezone
        Appointment start time and IANA time zone, for timed calendar events.
    reference
        A case reference mixed into the plan identity (calendar UIDs), so that two clients
        with identical designs get different UIDs; never printed.

    Examples
    --------
    >>> import datetime as dt, smpstudio
    >>> from smpstudio.dots import dilution_rule, place_impressions
    >>> d = smpstudio.design(pattern="norwood-5", hairline="soft", seed=7)
    >>> dots = place_impressions(d, dilution=dilution_rule("#d7bd96", "dark-brown"))
    >>> plan = build_plan(d, dots, start=dt.date(2026, 3, 2), skin="#d7bd96")
    >>> [(s.index, s.date.isoformat(), s.impressions) for s in plan.sessions]
    [(1, '2026-03-02', 6536), (2, '2026-03-16', 3315), (3, '2026-03-30', 1062)]
    >>> plan.cost.low, plan.cost.high, plan.touch_up.date.year
    (2000.0, 3500.0, 2030)
    """
    s = settings or design.settings
    check_plan_settings(s)
    n_design = len(design.settings.session_fractions)
    if impressions.sessions != n_design:
        raise PlanError(
            f"the impressions were placed for {impressions.sessions} sessions but the design "
            f"has {n_design}: place them again for this design"
        )
    if len(impressions) == 0:
        raise PlanError(
            "the design has no impressions to plan: give a hair-loss pattern, hairline or scar "
            "that needs treatment"
        )
    stages = _stage_count(sessions, n_design)
    start = check_date(start, "start date")
    spacing, warnings = _spacing(spacing_days, s)
    prices = price_table or PriceTable.default()
    _check_currency(currency, prices)
    tone = skin_tone(skin) if isinstance(skin, str) else skin
    blend = blend_for(tone, hair, design.settings).notice
    if blend is not None:  # the healed scalp cannot take the hair's tone (docs/render.md)
        warnings.append(blend)
    _check_time(time, timezone)
    work = DotWork.of(impressions)
    lookup = shade_lookup(impressions)
    stage_work = [work.take(impressions.session == k) for k in range(1, n_design + 1)]
    if stages > n_design:
        stage_work.append(_reinforcement(work, lookup, n_design, s))
    ctx = _Context(
        plan_id=_plan_id(design, tone, hair, stages, reference),
        facts=_facts(design),
        settings=s,
        skin=tone,
        hair=hair,
        start=start,
        spacing_days=spacing,
        trial=trial,
        shades=tuple(sorted(shades or DilutionTable.default().shades_ml_water)),
        prices=prices,
        grafts=graft_table or GraftTable.default(),
        fade=fade or FadeConditions(),
        time=time,
        timezone=timezone,
        design_stages=n_design,
        design_impressions=len(impressions),
        extra_stage=stages > n_design,
        lookup=lookup,
        notes=_notes(design, stages, n_design, trial),
        warnings=tuple(warnings),
    )
    groups = [(k + 1, _split(ctx, k + 1, w)) for k, w in enumerate(stage_work)]
    return _assemble(ctx, (), (), groups)


def record_session(
    plan: Plan,
    *,
    index: int,
    retention: Mapping[str, float],
    date: dt.date | None = None,
) -> Plan:
    """Record how a session held and re-plan the sessions after it.

    Parameters
    ----------
    plan
        The plan so far; sessions are recorded in order.
    index
        The session just done (the first one not yet recorded).
    retention
        Share of the session's impressions that held, per zone, in percent (0–100); zones
        left out held fully. Lost impressions are re-worked in the next stage (one more
        session after the last if a zone kept less than ``plan_retention_ok_percent``); a
        zone under ``plan_retention_darker_below`` gets one shade darker from then on.
    date
        The day it took place (the planned date by default); later sessions move with it.

    Examples
    --------
    >>> import datetime as dt, smpstudio
    >>> from smpstudio.dots import dilution_rule, place_impressions
    >>> d = smpstudio.design(pattern="norwood-5", hairline="soft", seed=7)
    >>> dots = place_impressions(d, dilution=dilution_rule("#d7bd96", "dark-brown"))
    >>> plan = build_plan(d, dots, start=dt.date(2026, 3, 2), skin="#d7bd96", trial=True)
    >>> [s.status for s in plan.sessions]
    ['planned', 'provisional', 'provisional']
    >>> after = record_session(plan, index=1, retention={"body": 70})
    >>> [s.status for s in after.sessions], after.sessions[1].redo
    (['done', 'planned', 'planned'], 1405)
    """
    ctx = plan._context
    s = ctx.settings
    pending = [x for x in plan.sessions if x.status != "done"]
    if not pending or index != pending[0].index:
        expected = "every session is recorded" if not pending else f"next is {pending[0].index}"
        raise PlanError(f"session {index} cannot be recorded now ({expected}): record in order")
    done = plan.sessions[: index - 1]
    session = plan.sessions[index - 1]
    when = check_date(session.date if date is None else date, "session date")
    if done:
        _check_recorded_gap(done[-1], session, when, s)
    shares = _retention(retention)
    lost, new_steps = _losses(plan.session_work(index), shares, s)
    darker_steps = dict(ctx.darker)
    for zone in new_steps:
        darker_steps[zone] = darker_steps.get(zone, 0) + 1
    ctx = replace(ctx, trial=False, darker=darker_steps)
    groups = _remaining(plan, index, new_steps)
    ctx, groups = _place_redo(ctx, groups, lost, session.stage, shares)
    recorded = replace(
        session,
        status="done",
        date=when,
        retention={ZONES[z]: shares[z] for z in sorted(shares)},
    )
    done_work = (*plan._work[: index - 1], plan.session_work(index))
    warnings = ctx.warnings
    if done and (when - done[-1].date).days > s.session_spacing_max_days:
        warnings += (
            f"session {index} took place {(when - done[-1].date).days} days after the previous "
            f"one, more than session_spacing_max_days ({s.session_spacing_max_days:g})",
        )
    ctx = replace(ctx, warnings=warnings)
    return _assemble(ctx, (*done, recorded), done_work, groups)


# --- checks -----------------------------------------------------------------------------


def check_date(value: Any, what: str) -> dt.date:
    """A calendar date between 2000 and 2100 (a datetime is refused: give the day).

    >>> check_date(dt.date(2026, 3, 2), "start date")
    datetime.date(2026, 3, 2)
    >>> check_date(dt.date(1999, 3, 2), "start date")
    Traceback (most recent call last):
    ...
    smpstudio._errors.PlanError: the start date 1999-03-02 is outside 2000–2100: check the year
    """
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise PlanError(f"the {what} must be a calendar date such as 2026-03-02, got {value!r}")
    if not EARLIEST <= value <= LATEST:
        raise PlanError(
            f"the {what} {value.isoformat()} is outside {EARLIEST.year}–{LATEST.year}: "
            "check the year"
        )
    return value


def check_plan_settings(s: Settings) -> None:
    """Relations between plan settings that their ranges alone cannot check."""
    if s.plan_cost_per_graft_low > s.plan_cost_per_graft_high:
        raise SettingError("plan_cost_per_graft_low must not exceed plan_cost_per_graft_high")
    longest_setup = max(s.plan_setup_first_minutes, s.plan_setup_minutes) / 60.0
    if longest_setup >= s.session_max_hours:
        raise SettingError(
            f"a setup of {longest_setup * 60:g} min leaves no time in a session of at most "
            f"{s.session_max_hours:g} h: raise session_max_hours or lower plan_setup_*"
        )


def _stage_count(sessions: int | None, n_design: int) -> int:
    if sessions is None:
        return n_design
    if isinstance(sessions, bool) or not isinstance(sessions, int):
        raise PlanError(f"the number of sessions must be a whole number, got {sessions!r}")
    if sessions not in (n_design, n_design + 1):
        raise PlanError(
            f"the design lays its density in {n_design} sessions: plan {n_design}, or "
            f"{n_design + 1} with an extra session for scars, alopecia or difficult skin "
            f"(got {sessions}); for another count, design again with --sessions PLAN"
        )
    return sessions


def _spacing(days: float | None, s: Settings) -> tuple[int, list[str]]:
    value = s.session_spacing_days if days is None else days
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PlanError(f"the spacing between sessions must be a number of days, got {value!r}")
    spacing = math.ceil(value - 1e-9)
    least = math.ceil(s.session_spacing_min_days - 1e-9)
    if spacing < least:
        raise PlanError(
            f"sessions {spacing} days apart are too close: the skin needs at least {least} "
            "days to heal (session_spacing_min_days; never under 7)"
        )
    if spacing > 365:
        raise PlanError(f"sessions {spacing} days apart are not one treatment: at most 365")
    warnings = []
    if spacing > s.session_spacing_max_days:
        warnings.append(
            f"sessions {spacing} days apart exceed session_spacing_max_days "
            f"({s.session_spacing_max_days:g}): the pigment of one session settles long before "
            "the next builds on it"
        )
    return spacing, warnings


def _check_currency(currency: str | None, prices: PriceTable) -> None:
    if currency is not None and currency.upper() != prices.currency:
        raise PlanError(
            f"the price table is in {prices.currency}, not {currency}: give a price table in "
            f"{currency} (prices are never converted)"
        )


def _check_time(time: dt.time | None, timezone: str | None) -> None:
    if time is not None and not isinstance(time, dt.time):
        raise PlanError(f"the appointment time must be a time of day such as 10:00, got {time!r}")
    if timezone is not None:
        if time is None:
            raise PlanError("a time zone needs an appointment time too (e.g. 10:00)")
        try:
            zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise PlanError(
                f"unknown time zone {timezone!r}: give an IANA name such as Europe/London"
            ) from None


def _check_recorded_gap(previous: Session, session: Session, when: dt.date, s: Settings) -> None:
    gap = (when - previous.date).days
    if session.stage == previous.stage:
        if gap < 1:
            raise PlanError(
                f"session {session.index} cannot be on {when.isoformat()}: the previous part "
                f"was on {previous.date.isoformat()}"
            )
        return
    least = math.ceil(s.session_spacing_min_days - 1e-9)
    if gap < least:
        raise PlanError(
            f"session {session.index} on {when.isoformat()} is only {gap} days after session "
            f"{previous.index}: sessions need at least {least} days between them"
        )


def _retention(retention: Mapping[str, float]) -> dict[int, float]:
    if not isinstance(retention, Mapping):
        raise PlanError("retention is a mapping of zone to percent, e.g. {'body': 85}")
    shares: dict[int, float] = {}
    for name, value in retention.items():
        if name not in ZONE_NAMES:
            raise PlanError(f"unknown zone {name!r} in the retention: use {', '.join(ZONE_NAMES)}")
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not (math.isfinite(value) and 0.0 <= value <= 100.0):
            raise PlanError(f"retention of {name} must be a percentage 0–100, got {value!r}")
        shares[ZONES.index(name)] = float(value)
    return shares


# --- building blocks --------------------------------------------------------------------


def _plan_id(design: Design, skin: SkinTone, hair: str, stages: int, reference: str) -> str:
    key = json.dumps(
        {
            "design": design.inputs,
            "skin": skin.hex,
            "hair": hair,
            "stages": stages,
            "reference": reference,
        },
        sort_keys=True,
        ensure_ascii=True,
    )
    return str(uuid.uuid5(_NAMESPACE, key))


def _facts(design: Design) -> DesignFacts:
    line = design.hairline
    return DesignFacts(
        pattern=design.pattern.name,
        hairline_style=line.style.name,
        hairline_shape=line.shape,
        hairline_height_cm=round(line.height_cm, 2),
        head=str(design.inputs["head"]),
        seed=int(design.inputs["seed"]),
        scars=tuple(str(x) for x in design.inputs["scars"]),
        areata=len(design.inputs["areata"]),
        treated_area_cm2=design.summary.treatment_cm2,
        density_full_per_cm2=design.settings.density_full_per_cm2,
        session_fractions=tuple(design.settings.session_fractions),
        restores_hairline=design.pattern.recedes_hairline,
    )


def _notes(design: Design, stages: int, n_design: int, trial: bool) -> tuple[str, ...]:
    notes = []
    if stages == n_design and (design.scars or design.inputs["areata"]):
        notes.append(
            "Scars and alopecia hold pigment less evenly: a further session is often needed "
            f"(plan {n_design + 1} sessions to book it now)."
        )
    if trial:
        notes.append(
            "Trial start: the first session shows how the skin carries the pigment; the "
            "later sessions are provisional until it has healed and been reviewed."
        )
    return tuple(notes)


def _reinforcement(
    work: DotWork, lookup: Mapping[tuple[int, int, int], float], n_design: int, s: Settings
) -> DotWork:
    """A 4th session: every scar impression and a share of the others, in the final shades."""
    scar = work.zone == _SCAR
    rank = hash_rank(work.ident, 4)
    others = np.flatnonzero(~scar)
    count = round(s.plan_extra_session_share * len(others))
    chosen = others[np.argsort(rank[others], kind="stable")[:count]]
    keep = np.sort(np.concatenate([np.flatnonzero(scar), chosen]))
    if keep.size == 0:
        raise PlanError(
            "an extra session would have nothing to do (no scars and "
            "plan_extra_session_share=0): plan the design's sessions or raise the share"
        )
    extra = work.take(keep)
    return extra.with_shades(_final_shades(extra, lookup, n_design))


def _final_shades(
    work: DotWork, lookup: Mapping[tuple[int, int, int], float], stage: int
) -> FloatArray:
    steps = tone_steps(work.tone)
    out = work.ml_water.copy()
    for k, (z, t) in enumerate(zip(work.zone.tolist(), steps.tolist(), strict=True)):
        out[k] = lookup.get((z, stage, t), out[k])
    return out


def _split(ctx: _Context, stage: int, work: DotWork) -> list[tuple[int, int, DotWork]]:
    """Cut a stage into the fewest appointments that fit the longest session, front first."""
    s = ctx.settings
    if len(work) == 0:
        return [(1, 1, work)]
    order = np.lexsort((work.ident, -work.front))
    work = work.take(order)
    seconds = np.where(
        work.needle == FINE_NEEDLE,
        3600.0 / s.plan_rate_fine_per_hour,
        3600.0 / s.plan_rate_body_per_hour,
    )
    total = np.cumsum(seconds)
    first = _setup_h(s, stage, 1) * 3600.0
    later = s.plan_setup_minutes * 60.0
    longest = s.session_max_hours * 3600.0
    packed = _packed_bounds(total, first=first, later=later, longest=longest)
    for parts in range(1, len(packed) + 1):
        bounds = _balanced_bounds(total, parts, first=first, later=later, longest=longest)
        if bounds is not None:
            break
    else:
        bounds = packed
    return [(k + 1, len(bounds), work.take(np.arange(a, b))) for k, (a, b) in enumerate(bounds)]


def _balanced_bounds(
    total: FloatArray, parts: int, *, first: float, later: float, longest: float
) -> list[tuple[int, int]] | None:
    """Cut into ``parts`` appointments of equal length, or None when one would not fit."""
    setups = np.array([first] + [later] * (parts - 1))
    share = (total[-1] + setups.sum()) / parts - setups
    cuts = np.searchsorted(total, np.cumsum(share)[:-1] + 1e-9, side="right")
    edges = np.concatenate([[0], cuts, [len(total)]])
    bounds = list(pairwise(int(e) for e in edges))
    if not all(b > a for a, b in bounds):
        return None
    spans = [(total[b - 1] if b else 0.0) - (total[a - 1] if a else 0.0) for a, b in bounds]
    fits = all(x + y <= longest + 1e-6 for x, y in zip(spans, setups, strict=True))
    return bounds if fits else None


def _packed_bounds(
    total: FloatArray, *, first: float, later: float, longest: float
) -> list[tuple[int, int]]:
    """Fill each appointment in turn: the fewest appointments, though of unequal length.

    Balanced cuts can miss that count when the first appointment's setup is much longer
    than the later ones'; filling greedily never does.
    """
    bounds: list[tuple[int, int]] = []
    start, done = 0, 0.0
    while start < len(total):
        room = longest - (first if not bounds else later)
        end = int(np.searchsorted(total, done + room + 1e-6, side="right"))
        if end <= start:
            raise PlanError(
                "a single impression does not fit in a session after its setup: raise "
                "session_max_hours or lower plan_setup_minutes"
            )
        bounds.append((start, end))
        start, done = end, float(total[end - 1])
    return bounds


def _setup_h(s: Settings, stage: int, part: int) -> float:
    first = stage == 1 and part == 1
    return (s.plan_setup_first_minutes if first else s.plan_setup_minutes) / 60.0


def _remaining(
    plan: Plan, index: int, new_steps: set[int]
) -> list[tuple[int, list[tuple[int, int, DotWork]]]]:
    """The sessions after ``index``: later parts of its stage kept, later stages re-split."""
    ctx = plan._context
    current = plan.sessions[index - 1].stage
    same: list[tuple[int, int, DotWork]] = []
    later: dict[int, list[DotWork]] = {}
    for session in plan.sessions[index:]:
        work = plan.session_work(session.index)
        if session.stage == current:
            same.append((session.part, session.parts, work))
        else:
            later.setdefault(session.stage, []).append(_darken(work, new_steps, ctx.shades))
    groups: list[tuple[int, list[tuple[int, int, DotWork]]]] = []
    if same:
        groups.append((current, same))
    for stage, works in sorted(later.items()):
        groups.append((stage, [(0, 0, DotWork.concat(works))]))
    return groups


def _darken(work: DotWork, zones: set[int], shades: Sequence[float]) -> DotWork:
    if not zones or len(work) == 0:
        return work
    ml = work.ml_water.copy()
    for zone in zones:
        at = work.zone == zone
        ml[at] = darker(ml[at], 1, shades)
    return work.with_shades(ml)


def _losses(work: DotWork, shares: Mapping[int, float], s: Settings) -> tuple[DotWork, set[int]]:
    """Impressions that did not hold (a reproducible share per zone) and zones to darken."""
    rank = hash_rank(work.ident, 11)
    lost: list[IntArray] = []
    darken: set[int] = set()
    for zone, kept in shares.items():
        members = np.flatnonzero(work.zone == zone)
        if members.size == 0:
            continue
        count = round(members.size * (1.0 - kept / 100.0))
        lost.append(members[np.argsort(rank[members], kind="stable")[:count]])
        if kept < s.plan_retention_darker_below:
            darken.add(zone)
    index = np.sort(np.concatenate(lost)) if lost else np.zeros(0, dtype=np.int64)
    return work.take(index), darken


def _place_redo(
    ctx: _Context,
    groups: list[tuple[int, list[tuple[int, int, DotWork]]]],
    lost: DotWork,
    stage: int,
    shares: Mapping[int, float],
) -> tuple[_Context, list[tuple[int, list[tuple[int, int, DotWork]]]]]:
    """Add the lost impressions to the next stage (a new top-up stage after the last)."""
    if len(lost) == 0:
        return ctx, groups
    later = [g for g in groups if g[0] > stage]
    s = ctx.settings
    if later:
        target = later[0][0]
    elif any(v < s.plan_retention_ok_percent for v in shares.values()):
        target = max([stage] + [g[0] for g in groups]) + 1
    else:
        note = (
            f"Session {stage} held at least {s.plan_retention_ok_percent:g} % in every zone: "
            "no further session needed."
        )
        return replace(ctx, notes=(*ctx.notes, note)), groups
    shade_stage = min(target, ctx.design_stages)
    ml = _final_shades(lost, ctx.lookup, shade_stage)
    for zone, steps in ctx.darker.items():
        at = lost.zone == zone
        ml[at] = darker(ml[at], steps, ctx.shades)
    redo = lost.with_shades(ml, redo=True)
    out = [g for g in groups if g[0] != target]
    existing = [w for g in groups if g[0] == target for _, _, w in g[1]]
    out.append((target, [(0, 0, DotWork.concat([*existing, redo]))]))
    return ctx, sorted(out, key=lambda g: g[0])


def _assemble(
    ctx: _Context,
    done: tuple[Session, ...],
    done_work: tuple[DotWork, ...],
    groups: list[tuple[int, list[tuple[int, int, DotWork]]]],
) -> Plan:
    s = ctx.settings
    sessions, works = list(done), list(done_work)
    last = done[-1] if done else None
    for stage, parts in groups:
        if len(parts) == 1 and parts[0][1] == 0:
            parts = _split(ctx, stage, parts[0][2])
        for part, count, work in parts:
            if last is None:
                when = ctx.start
            elif last.stage == stage:
                when = last.date + dt.timedelta(days=math.ceil(s.plan_split_gap_days - 1e-9))
            else:
                when = last.date + dt.timedelta(days=ctx.spacing_days)
            check_date(when, "session date")
            status: SessionStatus = "provisional" if ctx.trial and stage > 1 else "planned"
            last = _session(ctx, len(sessions) + 1, when, stage, part, count, work, status)
            sessions.append(last)
            works.append(work)
    extra = len({x.stage for x in sessions if x.stage > ctx.design_stages})
    touch = _touch_up(ctx, sessions, works)
    return Plan(
        plan_id=ctx.plan_id,
        design=ctx.facts,
        skin=ctx.skin,
        hair=ctx.hair,
        start=ctx.start,
        time=ctx.time,
        timezone=ctx.timezone,
        sessions=tuple(sessions),
        cost=smp_cost(
            treated_area_cm2=ctx.facts.treated_area_cm2,
            impressions=ctx.design_impressions,
            sessions=ctx.design_stages,
            extra_sessions=extra,
            prices=ctx.prices,
        ),
        transplant=transplant_cost(
            ctx.facts.pattern, settings=s, grafts=ctx.grafts, currency=ctx.prices.currency
        ),
        aftercare=aftercare_events(sessions, s),
        touch_up=touch,
        notes=ctx.notes,
        warnings=ctx.warnings,
        settings=s,
        _context=ctx,
        _work=tuple(works),
    )


def _session(
    ctx: _Context,
    index: int,
    when: dt.date,
    stage: int,
    part: int,
    parts: int,
    work: DotWork,
    status: SessionStatus,
) -> Session:
    s = ctx.settings
    fine = int(np.sum(work.needle == FINE_NEEDLE))
    body = len(work) - fine
    work_h = fine / s.plan_rate_fine_per_hour + body / s.plan_rate_body_per_hour
    setup_h = _setup_h(s, stage, part)
    duration = setup_h + work_h
    quarter = math.ceil(duration * 4.0 - 1e-9) / 4.0
    booked = min(s.session_max_hours, max(s.session_min_hours, quarter))
    fractions = ctx.facts.session_fractions
    full = ctx.facts.density_full_per_cm2
    density = full * (fractions[stage - 1] if stage <= len(fractions) else 1.0)
    return Session(
        index=index,
        date=when,
        stage=stage,
        part=part,
        parts=parts,
        purpose=_purpose(ctx, stage, part, parts),
        status=status,
        work=_work_items(work),
        setup_h=setup_h,
        work_h=work_h,
        duration_h=duration,
        booked_h=booked,
        density_per_cm2=density,
    )


def _work_items(work: DotWork) -> tuple[WorkItem, ...]:
    if len(work) == 0:
        return ()
    keys = np.stack(
        [work.zone, work.needle, np.round(work.ml_water * 1000).astype(np.int64)], axis=1
    )
    unique, inverse, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    redo = np.bincount(inverse.ravel(), weights=work.redo.astype(np.float64), minlength=len(unique))
    return tuple(
        WorkItem(
            zone=ZONES[z],
            needle=NEEDLES[n],
            ml_water=ml / 1000.0,
            impressions=int(c),
            redo=int(r),
        )
        for (z, n, ml), c, r in zip(unique.tolist(), counts.tolist(), redo.tolist(), strict=True)
    )


def _purpose(ctx: _Context, stage: int, part: int, parts: int) -> str:
    n = ctx.design_stages
    fractions = ctx.facts.session_fractions
    if stage == 1 and n == 1:
        text = "The whole treatment in one session: every impression, in the final shade"
    elif stage == 1:
        most = " (most of the pigment)" if fractions[0] >= 0.5 else ""
        text = (
            f"Base: spaced first dots over the whole area, {fractions[0] * 100:.0f} % of the "
            f"impressions{most}, in a light shade"
        )
    elif stage < n:
        defined = "the hairline is defined" if ctx.facts.restores_hairline else "density evened"
        text = (
            f"Shading and definition: dots between the first ones, to "
            f"{fractions[stage - 1] * 100:.0f} %, a shade darker; {defined}"
        )
    elif stage == n:
        finished = "hairline and blending" if ctx.facts.restores_hairline else "blending"
        text = (
            f"Adjustments: the last gaps filled, to 100 %, in the final shade; {finished} finished"
        )
    elif stage == n + 1 and ctx.extra_stage:
        text = "Reinforcement: scars and areas that hold pigment less well are worked again"
    else:
        text = "Top-up: impressions that did not hold are worked again"
    if parts > 1:
        text += f" (part {part} of {parts}: {_region(part, parts)})"
    return text


def _region(part: int, parts: int) -> str:
    if parts == 2:
        return ("front", "back")[part - 1]
    if parts == 3:
        return ("front", "middle", "back")[part - 1]
    return f"area {part} of {parts}, front to back"


def _touch_up(ctx: _Context, sessions: Sequence[Session], works: Sequence[DotWork]) -> TouchUp:
    """When the final shade will have faded by ``plan_touch_up_contrast_drop``."""
    s = ctx.settings
    final = [w for x, w in zip(sessions, works, strict=True) if x.stage == ctx.design_stages]
    work = DotWork.concat(final) if final else DotWork.concat(list(works))
    if len(work) == 0:
        work = DotWork.concat(list(works))
    model = PigmentModel(touch_up_contrast_drop=s.plan_touch_up_contrast_drop)
    candidates = [_zone_years(ctx, work, _main_zone(work), ctx.fade, model)]
    if np.any(work.zone == _SCAR):
        scarred = dataclasses.replace(ctx.fade, scarred=True)
        candidates.append(_zone_years(ctx, work, _SCAR, scarred, model))
    zone, ml, years, conditions = min(candidates, key=lambda c: c[2])
    healed = max(x.date for x in sessions) + dt.timedelta(
        days=math.ceil(s.plan_healed_after_days - 1e-9)
    )
    when = healed + dt.timedelta(days=round(years * 365.25))
    basis = (
        f"the final {ZONES[zone]} shade ({ml:g} mL water per mL pigment) on this skin "
        f"(Monk {ctx.skin.monk}, {ctx.skin.hex}) loses {s.plan_touch_up_contrast_drop:.0%} of "
        f"its contrast {years:.1f} years after healing ({conditions}), counted from "
        f"{healed.isoformat()}, {math.ceil(s.plan_healed_after_days - 1e-9)} days after the "
        "last session"
    )
    return TouchUp(date=min(when, LATEST), years=years, ml_water=ml, zone=ZONES[zone], basis=basis)


def _main_zone(work: DotWork) -> int:
    if np.any(work.zone == _BODY):
        return _BODY
    counts = np.bincount(work.zone, minlength=len(ZONES))
    return int(np.argmax(counts))


def _zone_years(
    ctx: _Context, work: DotWork, zone: int, fade: FadeConditions, model: PigmentModel
) -> tuple[int, float, float, str]:
    values, counts = np.unique(work.ml_water[work.zone == zone], return_counts=True)
    ml = float(values[int(np.argmax(counts))])
    years = touch_up_years(ctx.skin, ml, conditions=fade, model=model)
    years = min(years, 15.0)  # no visible contrast at all: look again in 15 years
    words = [f"{fade.sun} sun"]
    if fade.moisturised:
        words.append("moisturised")
    if fade.scarred:
        words.append("scar tissue")
    return zone, ml, years, ", ".join(words)
