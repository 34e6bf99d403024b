"""The week's schedule, booking a session (a refused time shows why and the next free slot,
one click away; from a plan, filled from its session), moving and cancelling one."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smpstudio._errors import InputError
from smpstudio.clinic import BookingConflictError, ClinicRecords
from smpstudio.web._clients import parse_date, patient_id
from smpstudio.web._http import (
    FormInput,
    form_id,
    form_input,
    page,
    records_for,
    redirect,
    staff,
    studio_of,
)
from smpstudio.web._ids import form_rid, rid
from smpstudio.web._plans import find_plan
from smpstudio.web._state import blocking

__all__ = ["routes"]


FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(9998, 12, 31)
"""Days the studio books and shows (a week's links and a booking's end stay in the calendar)."""


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@staff()
async def schedule(request: Request) -> Response:
    records = records_for(request)
    text = request.query_params.get("week", "")
    try:
        start = _monday(dt.date.fromisoformat(text)) if text else _monday(records.today())
    except (ValueError, OverflowError):  # OverflowError: the week before 0001-01-01
        start = _monday(records.today())
    if not FIRST_DAY <= start <= LAST_DAY:  # the week, and the links to the next and last
        start = _monday(records.today())
    context = await blocking(_week, records, start)
    return page(request, "schedule.html", context)


def _week(records: ClinicRecords, start: dt.date) -> dict[str, Any]:
    end = start + dt.timedelta(days=6)
    bookings = records.bookings(start, end)
    names: dict[int, str] = {}
    for pid in sorted({b.patient_id for b in bookings}):
        p = records.patient(pid)
        names[pid] = f"{p.given_name} {p.family_name}"
    days = [start + dt.timedelta(days=i) for i in range(7)]
    return {
        "title": "Schedule",
        "days": [(d, [b for b in bookings if b.local_day == d]) for d in days],
        "names": names,
        "rooms": {r.id: r.name for r in records.rooms()},
        "practitioners": {p.id: p.full_name for p in records.practitioners()},
        "zone": records.timezone,
        "today": records.today(),
        "previous": (start - dt.timedelta(days=7)).isoformat(),
        "next": (start + dt.timedelta(days=7)).isoformat(),
        "start": start,
    }


def _book_context(records: ClinicRecords, pid: int, clinical: bool) -> dict[str, Any]:
    plans = records.plans(pid) if clinical else []
    return {
        "title": "Book a session",
        "patient": records.patient(pid),
        "practitioners": [p for p in records.practitioners() if p.active],
        "rooms": [r for r in records.rooms() if r.active],
        "plans": [p for p in plans if p.status in ("draft", "accepted")],
    }


def _clinical(request: Request) -> bool:
    return bool(request.state.signed.user.role != "front-desk")


@staff()
async def book_form(request: Request) -> Response:
    records = records_for(request)
    pid = patient_id(request)
    context = await blocking(_book_context, records, pid, _clinical(request))
    day = records.today() + dt.timedelta(days=7)
    context["values"] = {"date": day.isoformat(), "time": "10:00", "hours": "3"}
    query = request.query_params
    plan_id, number = form_rid(query.get("plan", "")), query.get("session", "")
    if plan_id is not None and number and _clinical(request):
        context["values"] = await blocking(_from_plan, records, pid, plan_id, number)
        context["from_plan"] = context["values"]["session_number"]
    return page(request, "book.html", context)


def _from_plan(records: ClinicRecords, pid: int, plan_id: int, number: str) -> dict[str, str]:
    """The booking form filled from session ``number`` of a plan: its date, the plan's
    appointment time, the hours it books, the plan and the session."""
    _, content = find_plan(records, pid, plan_id)
    session = next((s for s in content["sessions"] if str(s["index"]) == number), None)
    if session is None:
        raise InputError(f"the plan has no session {number[:12]!r}")
    return {
        "date": str(session["date"]),
        "time": str(content.get("appointment_time") or "10:00"),
        "hours": f"{float(session['booked_h']):g}",
        "plan_id": rid(plan_id),
        "session_number": str(session["index"]),
    }


@staff()
async def book(request: Request) -> Response:
    records = records_for(request)
    pid = patient_id(request)
    form = await form_input(request)
    conflict: BookingConflictError | None = None
    error = None
    try:
        fields = _booking_fields(form, records.timezone)
        await blocking(records.book, pid, **fields)
    except BookingConflictError as exc:
        conflict = exc
    except InputError as exc:
        error = str(exc)[:1].upper() + str(exc)[1:]
    else:
        studio_of(request).flash(request.state.signed.session.token_hash, "Session booked.")
        return redirect(f"/studio/patients/{rid(pid)}")
    context = await blocking(_book_context, records, pid, _clinical(request))
    context.update(values=form.values(), error=error, conflict=conflict, zone=records.timezone)
    context["offer"] = _offer(conflict, records.timezone)
    return page(request, "book.html", context, status=409 if conflict else 422)


def _offer(conflict: BookingConflictError | None, zone: ZoneInfo) -> dict[str, str] | None:
    """The next free slot of a refused time, as the form's hidden fields and its label."""
    if conflict is None or conflict.next_free is None:
        return None
    slot = conflict.next_free
    local = slot.starts_at.astimezone(zone)
    return {
        "date": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "practitioner_id": rid(slot.practitioner_id),
        "room_id": rid(slot.room_id),
        "label": str(slot),
    }


def _booking_fields(form: FormInput, zone: ZoneInfo) -> dict[str, Any]:
    day = parse_date(form.get("date"), "the date")
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InputError(f"the date must be between {FIRST_DAY} and {LAST_DAY}")
    try:
        at = dt.time.fromisoformat(form.get("time").strip())
    except ValueError:
        raise InputError("the start time must be like 10:00") from None
    try:
        hours = float(form.get("hours").replace(",", "."))
    except ValueError:
        raise InputError("the length must be a number of hours, e.g. 3 or 2.5") from None
    if not 0 < hours <= 24:
        raise InputError("the length must be a number of hours, e.g. 3 or 2.5")
    practitioner, room = form_rid(form.get("practitioner_id")), form_rid(form.get("room_id"))
    if practitioner is None or room is None:
        raise InputError("choose the practitioner and the room")
    return {
        "practitioner_id": practitioner,
        "room_id": room,
        "starts_at": dt.datetime.combine(day, at, tzinfo=zone),
        "duration": dt.timedelta(minutes=round(hours * 60)),
        "plan_id": form_rid(form.get("plan_id")),
        "session_number": form_id(form.get("session_number")),
    }


def _move_context(records: ClinicRecords, booking_id: int) -> dict[str, Any]:
    row = records.booking(booking_id)
    if row.status != "booked":
        raise InputError(f"the booking is {row.status}: only a booked session moves")
    zone = records.timezone
    start = row.starts_at.astimezone(zone)
    hours = (row.ends_at - row.starts_at).total_seconds() / 3600
    return {
        "title": "Move a session",
        "booking": row,
        "patient": records.patient(row.patient_id),
        "practitioners": [p for p in records.practitioners() if p.active],
        "rooms": [r for r in records.rooms() if r.active],
        "was": start,
        "values": {
            "date": start.date().isoformat(),
            "time": start.strftime("%H:%M"),
            "hours": f"{hours:g}",
            "practitioner_id": rid(row.practitioner_id),
            "room_id": rid(row.room_id),
        },
    }


@staff()
async def move_form(request: Request) -> Response:
    booking_id: int = request.path_params["booking_id"]
    context = await blocking(_move_context, records_for(request), booking_id)
    return page(request, "move.html", context)


@staff()
async def move(request: Request) -> Response:
    booking_id: int = request.path_params["booking_id"]
    records = records_for(request)
    form = await form_input(request)
    context = await blocking(_move_context, records, booking_id)
    conflict: BookingConflictError | None = None
    error = None
    try:
        fields = _booking_fields(form, records.timezone)
        row = await blocking(
            records.move_booking,
            booking_id,
            starts_at=fields["starts_at"],
            duration=fields["duration"],
            practitioner_id=fields["practitioner_id"],
            room_id=fields["room_id"],
        )
    except BookingConflictError as exc:
        conflict = exc
    except InputError as exc:
        error = str(exc)[:1].upper() + str(exc)[1:]
    else:
        moved = row.starts_at.astimezone(records.timezone).strftime("%a %d %b %Y, %H:%M")
        studio_of(request).flash(request.state.signed.session.token_hash, f"Moved to {moved}.")
        return redirect(f"/studio/patients/{rid(row.patient_id)}")
    context.update(values=form.values(), error=error, conflict=conflict)
    context["offer"] = _offer(conflict, records.timezone)
    return page(request, "move.html", context, status=409 if conflict else 422)


@staff()
async def cancel(request: Request) -> Response:
    booking_id: int = request.path_params["booking_id"]
    row = await blocking(records_for(request).cancel_booking, booking_id)
    studio_of(request).flash(request.state.signed.session.token_hash, "Booking cancelled.")
    return redirect(f"/studio/schedule?week={_monday(row.local_day).isoformat()}")


routes = [
    Route("/studio/schedule", schedule, methods=["GET"]),
    Route("/studio/patients/{patient_id:rid}/book", book_form, methods=["GET"]),
    Route("/studio/patients/{patient_id:rid}/book", book, methods=["POST"]),
    Route("/studio/bookings/{booking_id:rid}/cancel", cancel, methods=["POST"]),
    Route("/studio/bookings/{booking_id:rid}/move", move_form, methods=["GET"]),
    Route("/studio/bookings/{booking_id:rid}/move", move, methods=["POST"]),
]
