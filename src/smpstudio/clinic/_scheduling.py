"""Scheduling: availability, rooms, session length and spacing, conflicts and free slots.

Rules, all checked for every booking:

- a session lasts ``session_min_hours`` to ``session_max_hours`` (settings; 2–4 h);
- it lies inside one of the practitioner's weekly windows and outside their time off;
- a practitioner takes one SMP client per (clinic-local) day;
- a room holds one session at a time;
- a client's sessions are at least ``session_spacing_min_days`` apart (7 days).

A time conflict raises :class:`BookingConflictError` with the reason and the next free slot for
the same practitioner, room, client and duration. The database enforces the day rule (a
partial unique index) and the room rule (an exclusion constraint on PostgreSQL, triggers
on SQLite) as well, so two concurrent bookings can never both succeed.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smpstudio._errors import ClinicError
from smpstudio.clinic import _outbox, _rules
from smpstudio.clinic._audit import AuditEvent
from smpstudio.clinic._errors import BookingConflictError, Slot
from smpstudio.clinic._models import (
    AvailabilityWindow,
    Booking,
    HygieneAttestation,
    Message,
    Patient,
    Practitioner,
    Room,
    SessionRecord,
    TimeOff,
    TreatmentPlan,
)
from smpstudio.clinic._scope import Scope
from smpstudio.clinic._validate import check_aware, check_date, check_int

__all__ = ["BOOKING_SEARCH_DAYS", "SchedulingService"]

BOOKING_SEARCH_DAYS = 90
"""How far ahead the next free slot is searched."""

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass
class _Planner:
    """Everything that decides whether a practitioner, room and client are free."""

    zone: ZoneInfo
    duration: timedelta
    practitioner: str
    room: str
    windows: dict[int, list[tuple[int, int]]]
    time_off: list[tuple[datetime, datetime, str]]
    practitioner_days: set[date]
    room_busy: list[tuple[datetime, datetime]]
    client_days: list[date]
    min_spacing_days: float
    ids: tuple[int, int] = field(default=(0, 0))

    def conflict(self, start: datetime) -> str | None:
        """Why a session starting at ``start`` is impossible, or None when it fits."""
        end = start + self.duration
        local = start.astimezone(self.zone)
        day = local.date()
        return (
            self._outside_hours(local, end.astimezone(self.zone))
            or self._off(start, end)
            or self._day_taken(day)
            or self._room_taken(start, end)
            or self._too_close(day)
        )

    def next_free(self, after: datetime, days: int) -> Slot | None:
        """The earliest start at or after ``after`` where :meth:`conflict` finds nothing."""
        first_day = after.astimezone(self.zone).date()
        ends = [b for _, b in self.room_busy] + [b for _, b, _ in self.time_off]
        for offset in range(days):
            day = first_day + timedelta(days=offset)
            for first, last in self.windows.get(day.weekday(), []):
                start = self._at(day, first)
                window_end = self._at(day, last)
                # Candidates: the window's start, and every moment a room booking or time
                # off ends inside it.
                candidates = {max(start, after)}
                candidates.update(e for e in ends if start < e < window_end and e >= after)
                for candidate in sorted(candidates):
                    if self.conflict(candidate) is None:
                        pid, rid = self.ids
                        return Slot(candidate, candidate + self.duration, pid, rid, self.zone.key)
        return None

    def _at(self, day: date, minute: int) -> datetime:
        # Wall-clock arithmetic: aware datetimes in one zone add like naive ones.
        return datetime.combine(day, time(0), tzinfo=self.zone) + timedelta(minutes=minute)

    def _outside_hours(self, local: datetime, local_end: datetime) -> str | None:
        day = local.date()
        first = local.hour * 60 + local.minute + local.second / 60
        days = (local_end.date() - day).days
        last = days * 1440 + local_end.hour * 60 + local_end.minute + local_end.second / 60
        windows = self.windows.get(day.weekday(), [])
        if any(a <= first and last <= b for a, b in windows):
            return None
        hours = ", ".join(f"{_hm(a)}–{_hm(b)}" for a, b in windows) or "no hours"
        return (
            f"{self.practitioner} does not work {_WEEKDAYS[day.weekday()]} {day} "
            f"{local:%H:%M}–{local_end:%H:%M} (hours that day: {hours})"
        )

    def _off(self, start: datetime, end: datetime) -> str | None:
        for off_start, off_end, reason in self.time_off:
            if off_start < end and start < off_end:
                why = f" ({reason})" if reason else ""
                return f"{self.practitioner} is off {self._span(off_start, off_end)}{why}"
        return None

    def _day_taken(self, day: date) -> str | None:
        if day in self.practitioner_days:
            return f"{self.practitioner} already has an SMP client on {day}"
        return None

    def _room_taken(self, start: datetime, end: datetime) -> str | None:
        # A room's bookings never overlap (the database enforces it), so sorted by start
        # they are sorted by end too: only the last one starting before ``end`` can overlap.
        index = bisect.bisect_left(self.room_busy, (end,))
        if index and self.room_busy[index - 1][1] > start:
            busy_start, busy_end = self.room_busy[index - 1]
            return f"room {self.room} is booked {self._span(busy_start, busy_end)}"
        return None

    def _too_close(self, day: date) -> str | None:
        for other in self.client_days:
            if abs((day - other).days) < self.min_spacing_days:
                return (
                    f"the client has a session on {other}: sessions must be at least "
                    f"{self.min_spacing_days:g} days apart"
                )
        return None

    def _span(self, start: datetime, end: datetime) -> str:
        a, b = start.astimezone(self.zone), end.astimezone(self.zone)
        if a.date() == b.date():
            return f"{a:%Y-%m-%d %H:%M}–{b:%H:%M}"
        return f"{a:%Y-%m-%d %H:%M}–{b:%Y-%m-%d %H:%M}"


def _queued_event(queued: list[Message], patient_id: int) -> list[AuditEvent]:
    if not queued:
        return []
    kinds = ", ".join(dict.fromkeys(m.kind for m in queued))
    detail = f"{len(queued)} queued: {kinds}"
    return [AuditEvent("create", "message", None, patient_id, detail=detail)]


def _hm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


class SchedulingService(Scope):
    """Bookings of one clinic: the rules of a session's time, the next free slot."""

    def book(
        self,
        patient_id: int,
        *,
        practitioner_id: int,
        room_id: int,
        starts_at: datetime,
        duration: timedelta,
        plan_id: int | None = None,
        session_number: int | None = None,
    ) -> Booking:
        """Book a session, or raise :class:`BookingConflictError` with the next free slot.

        Raises
        ------
        BookingConflictError
            The time is taken or outside the rules; ``next_free`` holds the next slot.
        ClinicError
            The request itself is invalid (length out of range, practitioner not certified,
            a blocking contraindication …).
        """
        try:
            with self._unit("create", "booking", patient_id=patient_id) as s:
                return self._book(
                    s, patient_id, practitioner_id, room_id, starts_at, duration,
                    plan_id, session_number,
                )  # fmt: skip
        except IntegrityError:
            # A concurrent booking committed first: the database refused the overlap.
            with self._unit("create", "booking", patient_id=patient_id) as s:
                planner = self._planner(
                    s, patient_id, practitioner_id, room_id, starts_at, duration
                )
                reason = planner.conflict(starts_at) or "a concurrent booking took this slot"
                raise BookingConflictError(
                    reason, planner.next_free(starts_at, BOOKING_SEARCH_DAYS), BOOKING_SEARCH_DAYS
                ) from None

    def _book(
        self,
        s: Session,
        patient_id: int,
        practitioner_id: int,
        room_id: int,
        starts_at: datetime,
        duration: timedelta,
        plan_id: int | None,
        session_number: int | None,
    ) -> Booking:
        self._lock_patient(s, patient_id)
        self._lock_calendars(s, practitioner_id, [room_id])
        check_aware(starts_at, "starts_at")
        self._check_duration(duration)
        day = starts_at.astimezone(self.timezone).date()
        practitioner = self._get(s, Practitioner, practitioner_id, "practitioner")
        self._check_practitioner(s, practitioner, day)
        _rules.require_not_blocked(s, self.clinic_id, patient_id)
        if plan_id is not None:
            plan = self._get_owned(s, TreatmentPlan, plan_id, patient_id, "plan")
            if plan.status in ("completed", "cancelled"):
                raise ClinicError(f"the plan is {plan.status}")
        if session_number is not None:
            check_int(session_number, "session number", low=1, high=12)
        planner = self._planner(s, patient_id, practitioner_id, room_id, starts_at, duration)
        reason = planner.conflict(starts_at)
        if reason is not None:
            raise BookingConflictError(
                reason, planner.next_free(starts_at, BOOKING_SEARCH_DAYS), BOOKING_SEARCH_DAYS
            )
        row = Booking(
            clinic_id=self.clinic_id,
            patient_id=patient_id,
            practitioner_id=practitioner_id,
            room_id=room_id,
            plan_id=plan_id,
            session_number=session_number,
            starts_at=starts_at,
            ends_at=starts_at + duration,
            local_day=day,
            status="booked",
            created_at=self._now(),
            created_by=self.actor,
        )
        s.add(row)
        s.flush()
        queued = _outbox.queue_booking_reminders(s, self, row)
        self._log(
            s,
            AuditEvent("create", "booking", row.id, patient_id, detail=str(day)),
            *_queued_event(queued, patient_id),
        )
        return row

    def _lock_patient(self, s: Session, patient_id: int) -> None:
        """Serialise bookings of one client (PostgreSQL row lock; SQLite has one writer)."""
        query = select(Patient.id).where(
            Patient.clinic_id == self.clinic_id, Patient.id == patient_id
        )
        if s.scalar(query.with_for_update()) is None:
            self._get(s, Patient, patient_id, "patient")

    def _lock_calendars(self, s: Session, practitioner_id: int, room_ids: list[int]) -> None:
        """Serialise bookings that could overlap (PostgreSQL row locks; SQLite has one
        writer): the practitioner's row, then the rooms' in id order, always in that order
        after the client's, so two bookings never wait for each other in a circle. Without
        them, concurrent bookings of one room could both pass the planner and then meet in
        the database's exclusion constraint, where PostgreSQL may answer a deadlock instead
        of the overlap. ``FOR NO KEY UPDATE``: rows that merely refer to the practitioner or
        a room (a session record, a stock movement) take their key-share locks unhindered."""
        s.execute(
            select(Practitioner.id)
            .where(Practitioner.clinic_id == self.clinic_id, Practitioner.id == practitioner_id)
            .with_for_update(key_share=True)
        )
        s.execute(
            select(Room.id)
            .where(Room.clinic_id == self.clinic_id, Room.id.in_(sorted(set(room_ids))))
            .order_by(Room.id)
            .with_for_update(key_share=True)
        )

    def _check_duration(self, duration: object) -> None:
        if not isinstance(duration, timedelta):
            raise ClinicError(f"duration must be a timedelta, got {duration!r}")
        low, high = self.settings.session_min_hours, self.settings.session_max_hours
        if not timedelta(hours=low) <= duration <= timedelta(hours=high):
            minutes = duration.total_seconds() / 60
            raise ClinicError(
                f"a session lasts {low:g}–{high:g} h, got {minutes // 60:g} h "
                f"{minutes % 60:g} min: split a longer session"
            )

    def _check_practitioner(self, s: Session, practitioner: Practitioner, day: date) -> None:
        name = practitioner.full_name
        if not practitioner.active:
            raise ClinicError(f"{name} is not active")
        if practitioner.certification_expires_on is not None and (
            practitioner.certification_expires_on < day
        ):
            raise ClinicError(
                f"{name}'s certification expires on {practitioner.certification_expires_on}, "
                f"before {day}"
            )
        attestations = s.scalars(
            select(HygieneAttestation).where(
                HygieneAttestation.clinic_id == self.clinic_id,
                HygieneAttestation.practitioner_id == practitioner.id,
                HygieneAttestation.issued_on <= day,
            )
        )
        if not any(a.expires_on is None or a.expires_on >= day for a in attestations):
            raise ClinicError(f"{name} has no hygiene attestation valid on {day}")

    def _planner(
        self,
        s: Session,
        patient_id: int,
        practitioner_id: int,
        room_id: int,
        start: datetime,
        duration: timedelta,
    ) -> _Planner:
        practitioner = self._get(s, Practitioner, practitioner_id, "practitioner")
        room = self._get(s, Room, room_id, "room")
        if not room.active:
            raise ClinicError(f"room {room.name} is not in use")
        spacing = self.settings.session_spacing_min_days
        low = start - timedelta(days=spacing + 1)
        high = start + timedelta(days=BOOKING_SEARCH_DAYS + spacing + 1)
        return _Planner(
            zone=self.timezone,
            duration=duration,
            practitioner=practitioner.full_name,
            room=room.name,
            windows=self._windows(s, practitioner_id),
            time_off=self._time_off(s, practitioner_id, low, high),
            practitioner_days=self._practitioner_days(s, practitioner_id, low, high),
            room_busy=self._room_busy(s, room_id, low, high),
            client_days=self._client_days(s, patient_id, low, high),
            min_spacing_days=spacing,
            ids=(practitioner_id, room_id),
        )

    def _windows(self, s: Session, practitioner_id: int) -> dict[int, list[tuple[int, int]]]:
        windows: dict[int, list[tuple[int, int]]] = defaultdict(list)
        rows = s.scalars(
            select(AvailabilityWindow).where(
                AvailabilityWindow.clinic_id == self.clinic_id,
                AvailabilityWindow.practitioner_id == practitioner_id,
            )
        )
        for w in rows:
            windows[w.weekday].append((w.start_minute, w.end_minute))
        return {k: sorted(v) for k, v in windows.items()}

    def _time_off(
        self, s: Session, practitioner_id: int, low: datetime, high: datetime
    ) -> list[tuple[datetime, datetime, str]]:
        rows = s.scalars(
            select(TimeOff).where(
                TimeOff.clinic_id == self.clinic_id,
                TimeOff.practitioner_id == practitioner_id,
                TimeOff.ends_at > low,
                TimeOff.starts_at < high,
            )
        )
        return sorted((t.starts_at, t.ends_at, t.reason) for t in rows)

    def _practitioner_days(
        self, s: Session, practitioner_id: int, low: datetime, high: datetime
    ) -> set[date]:
        days = s.scalars(
            select(Booking.local_day).where(
                Booking.practitioner_id == practitioner_id,
                Booking.status != "cancelled",
                Booking.local_day >= low.astimezone(self.timezone).date(),
                Booking.local_day <= high.astimezone(self.timezone).date(),
            )
        )
        return set(days)

    def _room_busy(
        self, s: Session, room_id: int, low: datetime, high: datetime
    ) -> list[tuple[datetime, datetime]]:
        rows = s.execute(
            select(Booking.starts_at, Booking.ends_at).where(
                Booking.room_id == room_id,
                Booking.status != "cancelled",
                Booking.ends_at > low,
                Booking.starts_at < high,
            )
        )
        return sorted((a, b) for a, b in rows)

    def _client_days(
        self, s: Session, patient_id: int, low: datetime, high: datetime
    ) -> list[date]:
        first = low.astimezone(self.timezone).date()
        last = high.astimezone(self.timezone).date()
        booked = s.scalars(
            select(Booking.local_day).where(
                Booking.clinic_id == self.clinic_id,
                Booking.patient_id == patient_id,
                Booking.status != "cancelled",
                Booking.local_day.between(first, last),
            )
        )
        done = s.scalars(
            select(SessionRecord.performed_on).where(
                SessionRecord.clinic_id == self.clinic_id,
                SessionRecord.patient_id == patient_id,
                SessionRecord.booking_id.is_(None),
                SessionRecord.performed_on.between(first, last),
            )
        )
        return sorted(set(booked) | set(done))

    def next_free_slot(
        self,
        patient_id: int,
        *,
        practitioner_id: int,
        room_id: int,
        after: datetime,
        duration: timedelta,
    ) -> Slot | None:
        """The first slot at or after ``after`` for this client, practitioner and room."""
        with self._unit("read", "schedule", patient_id=patient_id) as s:
            self._get(s, Patient, patient_id, "patient")
            check_aware(after, "after")
            self._check_duration(duration)
            planner = self._planner(s, patient_id, practitioner_id, room_id, after, duration)
            slot = planner.next_free(after, BOOKING_SEARCH_DAYS)
            self._log(s, AuditEvent("read", "schedule", None, patient_id, detail="next free"))
            return slot

    def cancel_booking(self, booking_id: int) -> Booking:
        """Cancel a booking; its time, room and day become free again."""
        with self._unit("update", "booking") as s:
            row = self._get(s, Booking, booking_id, "booking")
            if row.status != "booked":
                raise ClinicError(f"the booking is {row.status}")
            row.status = "cancelled"
            row.cancelled_at = self._now()
            withdrawn = _outbox.withdraw_booking_messages(s, self, row.id, "booking cancelled")
            detail = f"cancelled; {withdrawn} unsent messages cancelled"
            self._log(s, AuditEvent("update", "booking", row.id, row.patient_id, detail=detail))
            return row

    def booking(self, booking_id: int) -> Booking:
        """One of the clinic's bookings (an audited read)."""
        with self._unit("read", "booking") as s:
            row = self._get(s, Booking, booking_id, "booking")
            self._log(s, AuditEvent("read", "booking", row.id, row.patient_id))
            return row

    def move_booking(
        self,
        booking_id: int,
        *,
        starts_at: datetime,
        duration: timedelta | None = None,
        practitioner_id: int | None = None,
        room_id: int | None = None,
    ) -> Booking:
        """Move a booked session to ``starts_at`` (same length, practitioner and room unless
        given), checked like a new booking (:class:`BookingConflictError` with the next free
        slot); its unsent reminders are cancelled and queued anew for the new time."""
        try:
            with self._unit("update", "booking") as s:
                return self._move(s, booking_id, starts_at, duration, practitioner_id, room_id)
        except IntegrityError:
            raise BookingConflictError(
                "a concurrent booking took this slot", None, BOOKING_SEARCH_DAYS
            ) from None

    def _move(
        self,
        s: Session,
        booking_id: int,
        starts_at: datetime,
        duration: timedelta | None,
        practitioner_id: int | None,
        room_id: int | None,
    ) -> Booking:
        row = self._get(s, Booking, booking_id, "booking")
        if row.status != "booked":
            raise ClinicError(f"the booking is {row.status}: only a booked one moves")
        self._lock_patient(s, row.patient_id)
        check_aware(starts_at, "starts_at")
        length = row.ends_at - row.starts_at if duration is None else duration
        self._check_duration(length)
        pid = practitioner_id or row.practitioner_id
        rid = room_id or row.room_id
        self._lock_calendars(s, pid, [rid])
        day = starts_at.astimezone(self.timezone).date()
        self._check_practitioner(s, self._get(s, Practitioner, pid, "practitioner"), day)
        old_day = row.local_day
        row.status = "cancelled"  # the booking's own time is no conflict for itself
        s.flush()
        planner = self._planner(s, row.patient_id, pid, rid, starts_at, length)
        reason = planner.conflict(starts_at)
        if reason is not None:
            raise BookingConflictError(
                reason, planner.next_free(starts_at, BOOKING_SEARCH_DAYS), BOOKING_SEARCH_DAYS
            )
        row.status, row.practitioner_id, row.room_id = "booked", pid, rid
        row.starts_at, row.ends_at, row.local_day = starts_at, starts_at + length, day
        s.flush()
        withdrawn = _outbox.withdraw_booking_messages(s, self, row.id, "booking moved")
        queued = _outbox.queue_booking_reminders(s, self, row)
        detail = f"moved from {old_day} to {day}; {withdrawn} unsent messages replaced"
        self._log(
            s,
            AuditEvent("update", "booking", row.id, row.patient_id, detail=detail),
            *_queued_event(queued, row.patient_id),
        )
        return row

    def schedule_course(
        self,
        patient_id: int,
        plan_id: int,
        starts: dict[int, datetime],
        *,
        durations: dict[int, timedelta],
        practitioner_id: int,
    ) -> list[Booking]:
        """Book or move the sessions of a plan (``starts``: session number → start) in one
        transaction: a session already booked is moved, the others are booked, each in the
        first room free at that time. Every rule of :meth:`book` holds for every session;
        one conflict refuses the whole course (:class:`BookingConflictError`, nothing
        written). What the client portal's self-booking uses."""
        try:
            with self._unit("update", "booking", patient_id=patient_id) as s:
                return self._schedule_course(
                    s, patient_id, plan_id, starts, durations, practitioner_id
                )
        except IntegrityError:
            raise BookingConflictError(
                "a concurrent booking took one of these times", None, BOOKING_SEARCH_DAYS
            ) from None

    def _schedule_course(
        self,
        s: Session,
        patient_id: int,
        plan_id: int,
        starts: dict[int, datetime],
        durations: dict[int, timedelta],
        practitioner_id: int,
    ) -> list[Booking]:
        self._lock_patient(s, patient_id)
        plan = self._get_owned(s, TreatmentPlan, plan_id, patient_id, "plan")
        if plan.status in ("completed", "cancelled"):
            raise ClinicError(f"the plan is {plan.status}")
        if not starts:
            raise ClinicError("choose a date for at least one session")
        _rules.require_not_blocked(s, self.clinic_id, patient_id)
        practitioner = self._get(s, Practitioner, practitioner_id, "practitioner")
        existing = {
            b.session_number: b
            for b in s.scalars(
                select(Booking).where(
                    Booking.clinic_id == self.clinic_id,
                    Booking.plan_id == plan_id,
                    Booking.status == "booked",
                )
            )
        }
        for number, start in starts.items():
            check_int(number, "session number", low=1, high=max(plan.sessions_planned, 1))
            check_aware(start, "starts_at")
            self._check_duration(durations[number])
            if start <= self._now():
                raise ClinicError(f"session {number}: choose a time in the future")
        moving = [existing[n] for n in starts if n in existing]
        for row in moving:  # their own times are no conflict for themselves
            row.status = "cancelled"
        s.flush()
        rooms = list(
            s.scalars(
                select(Room).where(Room.clinic_id == self.clinic_id, Room.active.is_(True))
                .order_by(Room.id)
            )
        )  # fmt: skip
        if not rooms:
            raise ClinicError("the clinic has no room in use")
        self._lock_calendars(s, practitioner.id, [room.id for room in rooms])
        done: list[Booking] = []
        events: list[AuditEvent] = []
        for number, start in sorted(starts.items(), key=lambda item: item[1]):
            day = start.astimezone(self.timezone).date()
            self._check_practitioner(s, practitioner, day)
            duration = durations[number]
            room, reason, planner = None, None, None
            for candidate in rooms:
                planner = self._planner(
                    s, patient_id, practitioner.id, candidate.id, start, duration
                )
                found = planner.conflict(start)
                if found is None:
                    room = candidate
                    break
                reason = reason or found
            if room is None:
                assert planner is not None
                assert reason is not None
                raise BookingConflictError(
                    f"session {number}: {reason}",
                    planner.next_free(start, BOOKING_SEARCH_DAYS),
                    BOOKING_SEARCH_DAYS,
                )
            found_row = existing.get(number)
            if found_row is None:
                row = Booking(
                    clinic_id=self.clinic_id, patient_id=patient_id,
                    practitioner_id=practitioner.id, room_id=room.id, plan_id=plan_id,
                    session_number=number, starts_at=start, ends_at=start + duration,
                    local_day=day, status="booked", created_at=self._now(),
                    created_by=self.actor,
                )  # fmt: skip
                s.add(row)
                s.flush()
                detail = f"session {number} on {day}"
                events.append(AuditEvent("create", "booking", row.id, patient_id, detail=detail))
            else:
                row = found_row
                old_day = row.local_day
                row.status, row.practitioner_id, row.room_id = "booked", practitioner.id, room.id
                row.starts_at, row.ends_at, row.local_day = start, start + duration, day
                s.flush()
                withdrawn = _outbox.withdraw_booking_messages(s, self, row.id, "booking moved")
                detail = (
                    f"session {number} moved from {old_day} to {day}; "
                    f"{withdrawn} unsent messages replaced"
                )
                events.append(AuditEvent("update", "booking", row.id, patient_id, detail=detail))
            queued = _outbox.queue_booking_reminders(s, self, row)
            events.extend(_queued_event(queued, patient_id))
            done.append(row)
        self._log(s, *events)
        return sorted(done, key=lambda b: b.starts_at)

    def booked_sessions(self, plan_id: int) -> set[int]:
        """Numbers of the plan's sessions that have a live booking (booked or done), audited;
        what the calendar file marks CONFIRMED rather than TENTATIVE."""
        with self._unit("read", "booking") as s:
            check_int(plan_id, "plan id", low=1, high=2**63 - 1)
            rows = list(
                s.scalars(
                    select(Booking).where(
                        Booking.clinic_id == self.clinic_id,
                        Booking.plan_id == plan_id,
                        Booking.status != "cancelled",
                    )
                )
            )
            self._log(s, *(AuditEvent("read", "booking", r.id, r.patient_id) for r in rows))
            return {r.session_number for r in rows if r.session_number is not None}

    def bookings(
        self, first_day: date, last_day: date, *, practitioner_id: int | None = None
    ) -> list[Booking]:
        """Live bookings from ``first_day`` to ``last_day`` (clinic-local days), audited."""
        with self._unit("read", "booking") as s:
            check_date(first_day, "first_day")
            check_date(last_day, "last_day")
            query = select(Booking).where(
                Booking.clinic_id == self.clinic_id,
                Booking.status != "cancelled",
                Booking.local_day.between(first_day, last_day),
            )
            if practitioner_id is not None:
                query = query.where(Booking.practitioner_id == practitioner_id)
            rows = list(s.scalars(query.order_by(Booking.starts_at, Booking.id)))
            self._log(s, *(AuditEvent("read", "booking", r.id, r.patient_id) for r in rows))
            return rows
