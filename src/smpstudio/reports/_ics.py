"""``aftercare.ics``: the plan's sessions, aftercare and touch-up as an iCalendar file."""

from __future__ import annotations

import datetime as dt
import unicodedata
import uuid
import zoneinfo
from collections.abc import Collection

import icalendar

from smpstudio import __version__
from smpstudio._errors import PlanError
from smpstudio.plan import AftercareEvent, Plan, Session, touch_up_story

__all__ = ["ICS_PRODID", "event_uid", "plan_ics"]

ICS_PRODID = f"-//smpstudio//smpstudio {__version__}//EN"
_UID_NAMESPACE = uuid.UUID("0b7f7d0e-52a4-5d6b-8a8f-1d3c8f5e2c90")
_SUMMARIES = {
    "shower": "Shower before the appointment",
    "dry": "Aftercare: keep the scalp dry",
    "sun": "Aftercare: limit sun, cap on",
    "swim": "Aftercare: no swimming, sauna or steam",
    "exercise": "Aftercare: no heavy exercise",
    "until-next": "Aftercare until the next session",
    "shave": "Aftercare: you may shave again (electric foil shaver)",
    "moisturise": "Aftercare: moisturise daily from today",
}
# Reminders (VALARM TRIGGER, relative to the event's start; all-day events start at midnight).
_REMIND_TIMED_SESSION = dt.timedelta(days=-1)  # the day before, at the appointment's time
_REMIND_ALL_DAY_SESSION = dt.timedelta(hours=-15)  # 09:00 the day before
_REMIND_SHOWER = dt.timedelta(hours=-6)  # 18:00 the evening before
_REMIND_ON_THE_DAY = dt.timedelta(hours=8)  # 08:00 on the day


def event_uid(plan_id: str, kind: str, index: int) -> str:
    """A UID that stays the same across re-exports of the same plan.

    >>> event_uid("6d3f0c3e-0000-5000-8000-000000000000", "session", 1)
    '0d5f6f83-1b3a-55d3-97f0-a6ce923cfd90@smpstudio'
    """
    return f"{uuid.uuid5(_UID_NAMESPACE, f'{plan_id}/{kind}/{index}')}@smpstudio"


def plan_ics(
    plan: Plan,
    *,
    issued: dt.datetime,
    clinic: str | None = None,
    client_name: str | None = None,
    name_in_events: bool = False,
    booked: Collection[int] = (),
) -> bytes:
    """The plan as an iCalendar (RFC 5545) file: sessions, aftercare milestones, touch-up.

    Parameters
    ----------
    plan
        The treatment plan.
    issued
        When the file is written (DTSTAMP of every event; timezone-aware, or taken as UTC),
        so the same plan and ``issued`` give the same bytes.
    clinic
        Shown in session titles and as their location.
    client_name
        Put in event titles only when ``name_in_events`` is true: by default no event
        carries the client's name.
    name_in_events
        See ``client_name``.
    booked
        Numbers of the sessions the clinic has booked: they, and sessions already done, are
        CONFIRMED; every other appointment is TENTATIVE until it is booked.

    Every event carries a reminder (VALARM): sessions the day before, aftercare on its
    first morning (the shower the evening before), the touch-up on its day. Sessions are
    timed events in the plan's time zone when the plan has an appointment time (with a
    VTIMEZONE), all-day events otherwise; restrictions span the days they hold, milestones
    and the touch-up are all-day events. UIDs derive from the plan identity, the event kind
    and its number, so re-importing an updated plan updates the events.

    Examples
    --------
    >>> import datetime as dt, smpstudio
    >>> from smpstudio.dots import dilution_rule, place_impressions
    >>> from smpstudio.plan import build_plan
    >>> d = smpstudio.design(pattern="norwood-3", hairline="soft", seed=1)
    >>> dots = place_impressions(d, dilution=dilution_rule("#d7bd96", "black"))
    >>> plan = build_plan(d, dots, start=dt.date(2026, 3, 2), skin="#d7bd96")
    >>> ics = plan_ics(plan, issued=dt.datetime(2026, 2, 1, tzinfo=dt.timezone.utc))
    >>> ics.count(b"BEGIN:VEVENT"), ics.count(b"BEGIN:VALARM"), ics.count(b"STATUS:TENTATIVE")
    (25, 25, 3)
    """
    stamp = _utc(issued)
    clinic, client_name = _one_line(clinic), _one_line(client_name)
    cal = icalendar.Calendar()
    cal.add("prodid", ICS_PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"Treatment plan{f' – {clinic}' if clinic else ''}")
    who = f" – {client_name}" if (client_name and name_in_events) else ""
    for session in plan.sessions:
        cal.add_component(_session_event(plan, session, stamp, clinic, who, booked))
    for item in plan.aftercare:
        cal.add_component(_aftercare_event(plan, item, stamp, who))
    cal.add_component(_touch_up_event(plan, stamp, clinic, who))
    if plan.timezone:
        first = min(s.date for s in plan.sessions) - dt.timedelta(days=1)
        last = max(s.date for s in plan.sessions) + dt.timedelta(days=2)
        cal.add_missing_timezones(first_date=first, last_date=last)
    data: bytes = cal.to_ical()
    return data


def _one_line(name: str | None) -> str | None:
    r"""A name as calendars show it: line breaks and runs of white space become one space,
    other control characters go (RFC 5545 text allows none); None when nothing is left.

    >>> _one_line("Soho\r\nStudio\x00 ")
    'Soho Studio'
    """
    if name is None:
        return None
    text = "".join(c for c in " ".join(name.split()) if unicodedata.category(c) != "Cc")
    return text or None


def _utc(issued: dt.datetime) -> dt.datetime:
    if not isinstance(issued, dt.datetime):
        raise PlanError(f"issued must be a date and time, got {issued!r}")
    if issued.tzinfo is None:
        issued = issued.replace(tzinfo=dt.UTC)
    return issued.astimezone(dt.UTC).replace(microsecond=0)


def _base(plan: Plan, kind: str, index: int, stamp: dt.datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", event_uid(plan.plan_id, kind, index))
    event.add("dtstamp", stamp)
    event.add("sequence", 0)
    event.add("transp", "TRANSPARENT" if kind != "session" else "OPAQUE")
    return event


def _alarm(event: icalendar.Event, trigger: dt.timedelta, text: str) -> icalendar.Event:
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", trigger)
    alarm.add("description", text)
    event.add_component(alarm)
    return event


def _session_event(
    plan: Plan,
    session: Session,
    stamp: dt.datetime,
    clinic: str | None,
    who: str,
    booked: Collection[int],
) -> icalendar.Event:
    event = _base(plan, "session", session.index, stamp)
    total = len(plan.sessions)
    title = f"Appointment {session.index} of {total}"
    if clinic:
        title += f" – {clinic}"
    if session.status == "provisional":
        title += " (provisional)"
    event.add("summary", title + who)
    if plan.time is not None:
        zone = zoneinfo.ZoneInfo(plan.timezone) if plan.timezone else None
        begin = dt.datetime.combine(session.date, plan.time, tzinfo=zone)
        event.add("dtstart", begin)
        event.add("dtend", begin + dt.timedelta(hours=session.booked_h))
    else:
        event.add("dtstart", session.date)
        event.add("dtend", session.date + dt.timedelta(days=1))
    if clinic:
        event.add("location", clinic)
    confirmed = session.status == "done" or session.index in booked
    event.add(
        "description",
        f"{session.purpose}. About {session.duration_h:.1f} h (booked "
        f"{session.booked_h:g} h). Shower and wash your scalp before you come; see the "
        "aftercare events that follow."
        + ("" if confirmed else " Not booked yet: the clinic confirms the date and time."),
    )
    event.add("status", "CONFIRMED" if confirmed else "TENTATIVE")
    timed = plan.time is not None
    return _alarm(
        event,
        _REMIND_TIMED_SESSION if timed else _REMIND_ALL_DAY_SESSION,
        f"Tomorrow: appointment {session.index} of {total}"
        + (f" at {clinic}" if clinic else "")
        + ". Shower and wash your scalp beforehand.",
    )


def _aftercare_event(
    plan: Plan, item: AftercareEvent, stamp: dt.datetime, who: str
) -> icalendar.Event:
    event = _base(plan, f"aftercare-{item.kind}", item.session, stamp)
    event.add("summary", f"{_SUMMARIES.get(item.kind, 'Aftercare')}{who}")
    last = item.until or item.date
    event.add("dtstart", item.date)
    event.add("dtend", last + dt.timedelta(days=1))
    event.add("description", item.text)
    trigger = _REMIND_SHOWER if item.kind == "shower" else _REMIND_ON_THE_DAY
    return _alarm(event, trigger, item.text)


def _touch_up_event(
    plan: Plan, stamp: dt.datetime, clinic: str | None, who: str
) -> icalendar.Event:
    event = _base(plan, "touch-up", 1, stamp)
    title = "Book a touch-up" + (f" – {clinic}" if clinic else "")
    event.add("summary", title + who)
    event.add("dtstart", plan.touch_up.date)
    event.add("dtend", plan.touch_up.date + dt.timedelta(days=1))
    story = touch_up_story(plan.touch_up, contrast_drop=plan.settings.plan_touch_up_contrast_drop)
    event.add("description", f"{story} Basis: {plan.touch_up.basis}.")
    with_clinic = f" with {clinic}" if clinic else ""
    return _alarm(event, _REMIND_ON_THE_DAY, f"Time to book your touch-up{with_clinic}.")
