"""The aftercare timeline: every rule a clinic setting, dated for each session."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from smpstudio._settings import Settings
from smpstudio.plan._model import AftercareEvent, Session

__all__ = ["AFTERCARE_KINDS", "aftercare_events", "long_date"]

AFTERCARE_KINDS: tuple[str, ...] = (
    "shower",
    "dry",
    "sun",
    "swim",
    "exercise",
    "until-next",
    "moisturise",
)
"""Aftercare rules, in the order they are listed on a day (``until-next``: several rules cut
short by the next session, e.g. the next part of a split session)."""


def long_date(day: dt.date) -> str:
    """A date as a client reads it.

    >>> long_date(dt.date(2026, 3, 6))
    '6 March 2026'
    """
    return f"{day.day} {day.strftime('%B %Y')}"


def aftercare_events(sessions: Sequence[Session], settings: Settings) -> tuple[AftercareEvent, ...]:
    """Dated aftercare for every session (docs/plan.md §4).

    A rule "for N days" holds on the session day and the N days after it; a restriction that
    would run into the next session stops the day before it (that session's aftercare takes
    over), and a rule starting on or after the next session is left out.

    Examples
    --------
    >>> from smpstudio import Settings
    >>> from smpstudio.plan import Session
    >>> day = dt.date(2026, 3, 2)
    >>> one = Session(index=1, date=day, stage=1, part=1, parts=1, purpose="", status="planned",
    ...               work=(), setup_h=0.75, work_h=1.0, duration_h=1.75, booked_h=2.0,
    ...               density_per_cm2=48.0)
    >>> [(e.kind, e.until) for e in aftercare_events([one], Settings())][:3]
    [('shower', None), ('dry', datetime.date(2026, 3, 6)), ('sun', datetime.date(2026, 3, 6))]
    """
    ordered = sorted(sessions, key=lambda s: (s.date, s.index))
    events: list[AftercareEvent] = []
    for k, session in enumerate(ordered):
        following = ordered[k + 1].date if k + 1 < len(ordered) else None
        events.extend(_session_events(session, following, settings))
    order = {kind: n for n, kind in enumerate(AFTERCARE_KINDS)}
    return tuple(sorted(events, key=lambda e: (e.date, e.session, order[e.kind])))


def _session_events(
    session: Session, following: dt.date | None, s: Settings
) -> list[AftercareEvent]:
    day0, n = session.date, session.index
    events: list[AftercareEvent] = []
    if s.aftercare_shower_before_hours > 0:
        events.append(
            AftercareEvent(
                date=day0,
                session=n,
                kind="shower",
                text=f"Before session {n}: shower and wash your scalp in the "
                f"{s.aftercare_shower_before_hours:g} hours before the appointment, since it "
                "must stay dry afterwards; come with no hair products.",
            )
        )
    sun = f"sun at most {s.aftercare_sun_hours:g} h a day, with a cap on"
    restrictions = (
        ("dry", s.aftercare_dry_days, "keep your scalp dry of water and sweat"),
        ("sun", s.aftercare_sun_days, sun),
        ("swim", s.aftercare_no_swim_days, "no swimming, sauna or steam room"),
        ("exercise", s.aftercare_no_exercise_days, "no heavy exercise"),
    )
    cut: list[str] = []
    for kind, days, rule in restrictions:
        if days <= 0:
            continue
        until = day0 + dt.timedelta(days=math.ceil(days))
        if following is not None and until >= following:
            cut.append(rule)
            continue
        tail = " Don't pick the scabs." if kind == "dry" else ""
        events.append(
            AftercareEvent(
                date=day0,
                until=until,
                session=n,
                kind=kind,
                text=f"After session {n}: {rule} until {long_date(until)}.{tail}",
            )
        )
    if following is not None and cut:
        kinds = [k for k, d, r in restrictions if r in cut]
        events.append(
            AftercareEvent(
                date=day0,
                until=following - dt.timedelta(days=1),
                session=n,
                kind=kinds[0] if len(kinds) == 1 else "until-next",
                text=f"After session {n}: {'; '.join(cut)} until session {n + 1} on "
                f"{long_date(following)}, whose aftercare then applies.",
            )
        )
    if s.aftercare_moisturise_from_day > 0:
        start = day0 + dt.timedelta(days=math.ceil(s.aftercare_moisturise_from_day))
        if following is None or start < following:
            events.append(
                AftercareEvent(
                    date=start,
                    session=n,
                    kind="moisturise",
                    text=f"Day {math.ceil(s.aftercare_moisturise_from_day)} after session {n}: "
                    "moisturise your scalp daily from today (unscented).",
                )
            )
    return events
