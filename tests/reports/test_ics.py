"""aftercare.ics read back with an independent parser (vobject), and checked line by line."""

from __future__ import annotations

import datetime as dt

import pytest
import vobject

from smpstudio import PlanError
from smpstudio.plan import record_session
from smpstudio.reports import plan_ics
from tests.plan.cases import plan_of

ISSUED = dt.datetime(2026, 2, 1, 9, 30, tzinfo=dt.UTC)
NAME = "ZZTESTPATIENT"


def _events(ics: bytes) -> list[vobject.base.Component]:
    calendar = vobject.readOne(ics.decode("utf-8"))
    return list(calendar.vevent_list)


def test_every_event_has_a_uid_and_the_issued_dtstamp() -> None:
    plan = plan_of()
    events = _events(plan_ics(plan, issued=ISSUED))
    assert len(events) == len(plan.sessions) + len(plan.aftercare) + 1
    uids = [e.uid.value for e in events]
    assert len(set(uids)) == len(uids)
    assert all(e.dtstamp.value == ISSUED for e in events)
    sessions = [e for e in events if e.summary.value.startswith("Appointment")]
    assert [e.dtstart.value for e in sessions] == [s.date for s in plan.sessions]
    assert all(isinstance(e.dtstart.value, dt.date) for e in sessions)
    touch = [e for e in events if e.summary.value.startswith("Book a touch-up")]
    assert [e.dtstart.value for e in touch] == [plan.touch_up.date]
    dry = [e for e in events if "keep the scalp dry" in e.summary.value]
    first = next(a for a in plan.aftercare if a.kind == "dry")
    assert dry[0].dtstart.value == first.date
    assert first.until is not None
    assert dry[0].dtend.value == first.until + dt.timedelta(days=1)


def test_uids_are_stable_across_exports_and_reschedules() -> None:
    plan = plan_of()
    first = [e.uid.value for e in _events(plan_ics(plan, issued=ISSUED))]
    again = [e.uid.value for e in _events(plan_ics(plan_of(), issued=ISSUED + dt.timedelta(1)))]
    moved = plan_of(start=dt.date(2026, 4, 6))
    later = [e.uid.value for e in _events(plan_ics(moved, issued=ISSUED))]
    assert first == again
    assert set(first) == set(later)
    recorded = record_session(plan, index=1, retention={"body": 95})
    assert {e.uid.value for e in _events(plan_ics(recorded, issued=ISSUED))} == set(first)
    other = plan_of(reference="case 2")
    assert not set(first) & {e.uid.value for e in _events(plan_ics(other, issued=ISSUED))}


def test_same_plan_and_issued_give_the_same_bytes() -> None:
    assert plan_ics(plan_of(), issued=ISSUED) == plan_ics(plan_of(), issued=ISSUED)
    naive = plan_ics(plan_of(), issued=ISSUED.replace(tzinfo=None))
    assert naive == plan_ics(plan_of(), issued=ISSUED)


def test_crlf_and_folding_as_rfc_5545() -> None:
    ics = plan_ics(plan_of("norwood-7", ("fut",), sessions=4), issued=ISSUED, clinic="A" * 90)
    assert ics.endswith(b"\r\n")
    lines = ics.split(b"\r\n")[:-1]
    assert b"\n" not in b"".join(lines)
    assert all(len(line) <= 75 for line in lines)
    assert any(line.startswith(b" ") for line in lines)  # long lines were folded
    assert ics.startswith(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")


def test_no_client_name_in_events_by_default() -> None:
    plan = plan_of()
    quiet = plan_ics(plan, issued=ISSUED, client_name=NAME)
    assert NAME.encode() not in quiet
    named = plan_ics(plan, issued=ISSUED, client_name=NAME, name_in_events=True)
    assert all(NAME in e.summary.value for e in _events(named))
    summaries = [e.summary.value for e in _events(quiet)]
    assert "Appointment 1 of 3" in summaries


def test_timed_sessions_across_a_dst_change() -> None:
    plan = plan_of(start=dt.date(2026, 3, 16), time=dt.time(10, 0), timezone="Europe/London")
    ics = plan_ics(plan, issued=ISSUED, clinic="Clinic")
    assert b"BEGIN:VTIMEZONE" in ics
    assert b"TZID:Europe/London" in ics
    sessions = [e for e in _events(ics) if e.summary.value.startswith("Appointment")]
    starts = [e.dtstart.value for e in sessions]
    assert [s.date() for s in starts] == [s.date for s in plan.sessions]
    # 16 March is GMT, 30 March (after 29 March 2026) is BST
    assert [s.utcoffset() for s in starts] == [dt.timedelta(0), dt.timedelta(hours=1)] + [
        dt.timedelta(hours=1)
    ] * (len(starts) - 2)
    assert [s.astimezone(dt.UTC).hour for s in starts[:2]] == [10, 9]
    for event, session in zip(sessions, plan.sessions, strict=True):
        assert event.dtend.value - event.dtstart.value == dt.timedelta(hours=session.booked_h)
        assert event.location.value == "Clinic"


def _statuses(ics: bytes) -> list[str]:
    return [e.status.value for e in _events(ics) if e.summary.value.startswith("Appointment")]


def test_appointments_are_tentative_until_booked() -> None:
    """Issue 18: a draft plan's dates are not appointments yet."""
    plan = plan_of()
    assert _statuses(plan_ics(plan, issued=ISSUED)) == ["TENTATIVE"] * 3
    assert _statuses(plan_ics(plan, issued=ISSUED, booked={1, 3})) == [
        "CONFIRMED",
        "TENTATIVE",
        "CONFIRMED",
    ]
    draft = next(e for e in _events(plan_ics(plan, issued=ISSUED)) if "Appointment" in str(e))
    assert "Not booked yet" in draft.description.value
    done = record_session(plan, index=1, retention={"body": 95})
    assert _statuses(plan_ics(done, issued=ISSUED)) == ["CONFIRMED", "TENTATIVE", "TENTATIVE"]
    trial = plan_of(trial=True)
    assert _statuses(plan_ics(trial, issued=ISSUED, booked={1, 2, 3}))[0] == "CONFIRMED"


def test_every_event_has_a_reminder() -> None:
    plan = plan_of()
    events = _events(plan_ics(plan, issued=ISSUED, clinic="Example Clinic"))
    for event in events:
        alarms = event.contents.get("valarm", [])
        assert len(alarms) == 1, event.summary.value
        alarm = alarms[0]
        assert alarm.action.value == "DISPLAY"
        assert alarm.description.value
    trigger = {e.summary.value.split(" – ")[0]: e.valarm.trigger.value for e in events}
    assert trigger["Appointment 1 of 3"] == dt.timedelta(hours=-15)  # 09:00 the day before
    assert trigger["Shower before the appointment"] == dt.timedelta(hours=-6)
    assert trigger["Aftercare: keep the scalp dry"] == dt.timedelta(hours=8)
    assert trigger["Book a touch-up"] == dt.timedelta(hours=8)
    timed = _events(plan_ics(plan_of(time=dt.time(10, 0)), issued=ISSUED))
    first = next(e for e in timed if e.summary.value.startswith("Appointment"))
    assert first.valarm.trigger.value == dt.timedelta(days=-1)
    assert "Tomorrow: appointment 1 of 3" in first.valarm.description.value


def test_the_touch_up_event_tells_the_one_story() -> None:
    plan = plan_of()
    touch = next(
        e
        for e in _events(plan_ics(plan, issued=ISSUED))
        if e.summary.value.startswith("Book a touch-up")
    )
    text = touch.description.value
    assert "can last 7 to 10 years" in text
    assert "usually 3 to 5 years after healing" in text
    assert f"around {plan.touch_up.date:%B %Y}" in text


def test_issued_must_be_a_datetime() -> None:
    with pytest.raises(PlanError, match="issued"):
        plan_ics(plan_of(), issued=dt.date(2026, 2, 1))  # type: ignore[arg-type]
