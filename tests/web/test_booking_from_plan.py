"""A plan's session booked from the plan: the form filled from the session, then marked."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.web.conftest import BOOKING_DAYS, World, csrf_of, rid


def _plan(world: World, pid: int, start: str) -> int:
    from smpstudio.web._plans import build_saved_plan
    from smpstudio.web._preview import PreviewParams

    records = world.a.records
    params = PreviewParams.parse({"pattern": "norwood-5", "hairline": "soft", "height_cm": 7.8})
    design = world.app.state.studio.preview.design(params)
    version = records.save_design(pid, design.to_dict() | {"studio": {"skin": params.skin}})
    inputs = {
        "design_version_id": version.id,
        "start": start,
        "sessions": 3,
        "trial": False,
        "spacing_days": 14.0,
        "time": "11:30",
        "timezone": "Europe/London",
        "skin": params.skin,
        "hair": params.hair,
        "reference": "r1",
        "issued": "2031-01-01T00:00:00+00:00",
    }
    plan = build_saved_plan(version.content, inputs)
    saved = records.save_plan(
        pid, plan.to_dict() | {"inputs": inputs}, design_version_id=version.id
    )
    return saved.id


def test_a_session_is_booked_from_its_plan_and_the_plan_says_so(world: World) -> None:
    c = world.as_role("practitioner")
    pid = world.new_patient()
    start = BOOKING_DAYS["plan-booking"].isoformat()  # a Monday of this test's own
    plan_id = _plan(world, pid, start)
    plan_page = c.get(f"/studio/patients/{rid(world, pid)}/plans/{rid(world, plan_id)}").text
    link = f"/studio/patients/{rid(world, pid)}/book?plan={rid(world, plan_id)}&amp;session=1"
    assert f'href="{link}">Book session 1</a>' in plan_page
    form = c.get(link.replace("&amp;", "&"))
    assert form.status_code == 200
    assert "Filled in from session 1 of the plan" in form.text
    assert f'name="date" type="date" required value="{start}"' in form.text
    assert 'name="time" type="time" required value="11:30"' in form.text
    hours = re.search(r'name="hours"[^>]*value="([^"]+)"', form.text)
    assert hours is not None
    assert float(hours[1]) >= 2.0
    assert f'<option value="{rid(world, plan_id)}" selected>' in form.text
    assert 'name="session_number" type="number" min="1" max="12" value="1"' in form.text
    r = c.post(
        f"/studio/patients/{rid(world, pid)}/book",
        data={
            "csrf_token": csrf_of(form.text),
            "practitioner_id": rid(world, world.a.practitioner_id),
            "room_id": rid(world, world.a.room_ids[0]),
            "date": start,
            "time": "11:30",
            "hours": hours[1],
            "plan_id": rid(world, plan_id),
            "session_number": "1",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert world.a.records.booked_sessions(plan_id) == {1}
    plan_page = c.get(f"/studio/patients/{rid(world, pid)}/plans/{rid(world, plan_id)}").text
    assert "Book session 1</a>" not in plan_page
    assert "Book session 2</a>" in plan_page
    assert "<td>booked</td>" in plan_page


def test_a_session_the_plan_does_not_have_is_refused(world: World) -> None:
    c = world.as_role("practitioner")
    pid = world.new_patient()
    plan_id = _plan(world, pid, BOOKING_DAYS["plan-booking"].isoformat())
    r = c.get(f"/studio/patients/{rid(world, pid)}/book?plan={rid(world, plan_id)}&session=9")
    assert r.status_code == 422
    assert "The plan has no session &#39;9&#39;" in r.text
    other = world.new_patient()
    assert (
        c.get(
            f"/studio/patients/{rid(world, other)}/book?plan={rid(world, plan_id)}&session=1"
        ).status_code
        == 404
    )


def _book(world: World, pid: int, day: str, at: str = "10:00") -> int:
    from datetime import date, datetime, time, timedelta

    records = world.a.records
    starts = datetime.combine(date.fromisoformat(day), time.fromisoformat(at), records.timezone)
    booking = records.book(
        pid,
        practitioner_id=world.a.practitioner_id,
        room_id=world.a.room_ids[0],
        starts_at=starts,
        duration=timedelta(hours=3),
    )
    return booking.id


def test_a_booked_session_is_moved_under_the_booking_rules(world: World) -> None:
    c = world.as_role("front-desk")
    pid, other = world.new_patient(), world.new_patient()
    first = BOOKING_DAYS["move-booking"]
    week, fortnight = first + timedelta(weeks=1), first + timedelta(weeks=2)
    booking = _book(world, pid, first.isoformat())
    _book(world, other, week.isoformat())  # the practitioner's SMP client of that day
    record = c.get(f"/studio/patients/{rid(world, pid)}").text
    assert f'href="/studio/bookings/{rid(world, booking)}/move">Move' in record
    form = c.get(f"/studio/bookings/{rid(world, booking)}/move")
    assert form.status_code == 200
    assert f'name="date" type="date" required value="{first}"' in form.text
    fields = {
        "csrf_token": csrf_of(form.text),
        "practitioner_id": rid(world, world.a.practitioner_id),
        "room_id": rid(world, world.a.room_ids[0]),
        "time": "10:00",
        "hours": "3",
    }
    taken = c.post(
        f"/studio/bookings/{rid(world, booking)}/move", data=fields | {"date": week.isoformat()}
    )
    assert taken.status_code == 409
    assert "That time is not free" in taken.text
    assert "Next free slot" in taken.text
    row = world.a.records.booking(booking)
    assert row.local_day == first  # nothing moved
    bad = c.post(
        f"/studio/bookings/{rid(world, booking)}/move", data=fields | {"date": "next week"}
    )
    assert bad.status_code == 422
    moved = c.post(
        f"/studio/bookings/{rid(world, booking)}/move",
        data=fields | {"date": fortnight.isoformat(), "time": "11:00"},
        follow_redirects=False,
    )
    assert moved.status_code == 303, moved.text
    assert f"Moved to {fortnight:%a %d %b %Y}, 11:00." in c.get(moved.headers["location"]).text
    row = world.a.records.booking(booking)
    assert row.local_day == fortnight
    assert row.starts_at.astimezone(world.a.records.timezone).strftime("%H:%M") == "11:00"
    world.a.records.cancel_booking(booking)
    gone = c.get(f"/studio/bookings/{rid(world, booking)}/move")
    assert gone.status_code == 422
    assert "only a booked session moves" in gone.text
    assert (
        world.as_role("practitioner", clinic="b")
        .get(f"/studio/bookings/{rid(world, booking)}/move")
        .status_code
        == 404
    )
