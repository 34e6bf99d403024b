"""What goes into the message outbox, and when: plain functions over the caller's transaction.

Scheduling calls them when a session is booked, moved or cancelled, and the session service
when a session is recorded, so the messages change in the same transaction as what they are
about (no service imports another: ``_records``)::

    booked            reminder_48h, reminder_24h          48 h and 24 h before the start
    moved/cancelled   the booking's unsent messages are cancelled (and queued anew if moved)
    session recorded  aftercare_day0 … (the plan's aftercare calendar, smpstudio.plan),
                      touch_up_recall after the plan's last session (the plan's date)

One message per channel the client has an address for (e-mail, phone); an opt-out is
honoured when the message is due (the message service).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from smpstudio.clinic._models import Booking, Message, Patient, SessionRecord, TreatmentPlan
from smpstudio.clinic._scope import Scope

if TYPE_CHECKING:
    from smpstudio.plan import AftercareEvent

__all__ = [
    "CHANNELS",
    "MESSAGE_KINDS",
    "MESSAGE_STATUSES",
    "REMINDER_HOURS",
    "queue_booking_reminders",
    "queue_session_messages",
    "withdraw_booking_messages",
]

CHANNELS: tuple[str, ...] = ("email", "sms")
MESSAGE_STATUSES: tuple[str, ...] = ("queued", "sent", "failed", "skipped", "cancelled")
REMINDER_HOURS: tuple[int, ...] = (48, 24)
"""Appointment reminders: this many hours before the session starts."""

MESSAGE_KINDS: tuple[str, ...] = (
    "reminder_48h",
    "reminder_24h",
    "aftercare_day0",
    "aftercare_shave",
    "aftercare_moisturise",
    "touch_up_recall",
    "portal_link",
    "consent_copy",
)
"""Every kind of message the outbox holds (aftercare: one message per day with a rule)."""

_TOUCH_UP_FALLBACK_YEARS = 3
"""Recall this many years after healing when the plan gives no touch-up date (§1.8: 3–5)."""


@dataclass(frozen=True)
class Draft:
    """A message to queue: its kind, when it is due, what it says (plain text)."""

    kind: str
    due_at: datetime
    subject: str
    body: str
    sms: str


def queue_booking_reminders(s: Session, scope: Scope, booking: Booking) -> list[Message]:
    """Queue the 48 h and 24 h reminders of a booking (those not already past)."""
    patient = _patient(s, scope, booking.patient_id)
    local = booking.starts_at.astimezone(scope.timezone)
    when = f"{_long_day(local.date())} at {local:%H:%M}"
    drafts = []
    for hours in REMINDER_HOURS:
        due = booking.starts_at - timedelta(hours=hours)
        if due <= scope.now():
            continue
        drafts.append(
            Draft(
                kind=f"reminder_{hours}h",
                due_at=due,
                subject=f"Reminder: your session at {scope.clinic_name} on {when}",
                body=_letter(
                    patient,
                    scope,
                    f"This is a reminder of your scalp micropigmentation session at "
                    f"{scope.clinic_name} on {when} ({scope.timezone.key}).\n\n"
                    "Before you come: shower and wash your scalp, since it must stay dry "
                    "for a few days afterwards, and come with no hair products.\n\n"
                    "To move or cancel the session, please contact the clinic.",
                ),
                sms=f"{scope.clinic_name}: reminder of your SMP session {when}. Shower and "
                "wash your scalp before, no hair products.",
            )
        )
    return _queue(s, scope, patient, drafts, booking_id=booking.id)


def withdraw_booking_messages(s: Session, scope: Scope, booking_id: int, why: str) -> int:
    """Cancel the booking's messages not sent yet; returns how many."""
    result = s.execute(
        update(Message)
        .where(
            Message.clinic_id == scope.clinic_id,
            Message.booking_id == booking_id,
            Message.status.in_(("queued", "failed")),
        )
        .values(status="cancelled", next_attempt_at=None, last_error=why, updated_at=scope.now())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def queue_session_messages(s: Session, scope: Scope, record: SessionRecord) -> list[Message]:
    """Queue the aftercare of a recorded session and, after the plan's last session, the
    touch-up recall."""
    from smpstudio.plan import Session as PlanSession
    from smpstudio.plan import aftercare_events

    patient = _patient(s, scope, record.patient_id)
    number = record.session_number or 1
    visit = PlanSession(
        index=number, date=record.performed_on, stage=1, part=1, parts=1, purpose="",
        status="done", work=(), setup_h=0.0, work_h=0.0, duration_h=0.0, booked_h=0.0,
        density_per_cm2=0.0,
    )  # fmt: skip
    following = _next_session_day(s, scope, record.patient_id, record.performed_on)
    events = aftercare_events([visit], scope.settings)
    drafts = _aftercare_drafts(
        patient, scope, record.performed_on, following, [e for e in events if e.kind != "shower"]
    )
    recall = _touch_up_draft(s, scope, patient, record, number)
    drafts += [recall] if recall is not None else []
    return _queue(s, scope, patient, drafts, session_id=record.id)


def _aftercare_drafts(
    patient: Patient,
    scope: Scope,
    day0: date,
    following: date | None,
    events: Iterable[AftercareEvent],
) -> list[Draft]:
    by_day: dict[date, list[AftercareEvent]] = {}
    for event in events:
        if following is not None and event.date >= following:
            continue  # the next session's own aftercare takes over
        by_day.setdefault(event.date, []).append(event)
    drafts = []
    for day, todays in sorted(by_day.items()):
        kind = "aftercare_day0" if day == day0 else f"aftercare_{todays[0].kind}"
        rules = "\n".join(f"- {e.text}" for e in todays)
        drafts.append(
            Draft(
                kind=kind,
                due_at=_at_send_hour(scope, day),
                subject=f"Aftercare for your scalp, {_long_day(day)}",
                body=_letter(patient, scope, f"Your aftercare from today:\n\n{rules}"),
                sms=f"{scope.clinic_name} aftercare: " + " ".join(e.text for e in todays),
            )
        )
    return drafts


def _touch_up_draft(
    s: Session, scope: Scope, patient: Patient, record: SessionRecord, number: int
) -> Draft | None:
    if record.plan_id is None:
        return None
    plan = s.get(TreatmentPlan, record.plan_id)
    if plan is None or number < plan.sessions_planned:
        return None
    day = _plan_touch_up_day(plan)
    if day is None:
        healed = record.performed_on + timedelta(
            days=math.ceil(scope.settings.plan_healed_after_days)
        )
        day = healed.replace(year=healed.year + _TOUCH_UP_FALLBACK_YEARS)
    return Draft(
        kind="touch_up_recall",
        due_at=_at_send_hour(scope, day),
        subject=f"Time to refresh your scalp micropigmentation at {scope.clinic_name}",
        body=_letter(
            patient,
            scope,
            "The pigment of scalp micropigmentation fades slowly over the years. By now a "
            "touch-up session would bring the dots back to their healed darkness and "
            "crispness.\n\nContact the clinic to book your touch-up.",
        ),
        sms=f"{scope.clinic_name}: it is time for your SMP touch-up. Contact us to book.",
    )


def _plan_touch_up_day(plan: TreatmentPlan) -> date | None:
    try:
        touch_up = json.loads(plan.content).get("touch_up") or {}
        return date.fromisoformat(str(touch_up["date"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _queue(
    s: Session,
    scope: Scope,
    patient: Patient,
    drafts: list[Draft],
    *,
    booking_id: int | None = None,
    session_id: int | None = None,
) -> list[Message]:
    now = scope.now()
    rows = []
    for draft in drafts:
        for channel in _channels(patient):
            rows.append(
                Message(
                    clinic_id=scope.clinic_id,
                    patient_id=patient.id,
                    booking_id=booking_id,
                    session_id=session_id,
                    kind=draft.kind,
                    channel=channel,
                    subject=draft.subject[:200],
                    body=draft.body if channel == "email" else draft.sms,
                    due_at=draft.due_at,
                    next_attempt_at=draft.due_at,
                    status="queued",
                    attempts=0,
                    last_error="",
                    recipient="",
                    created_at=now,
                    updated_at=now,
                )
            )
    s.add_all(rows)
    s.flush()
    return rows


def _channels(patient: Patient) -> list[str]:
    return [c for c, address in (("email", patient.email), ("sms", patient.phone)) if address]


def _patient(s: Session, scope: Scope, patient_id: int) -> Patient:
    return s.scalars(
        select(Patient).where(Patient.clinic_id == scope.clinic_id, Patient.id == patient_id)
    ).one()


def _next_session_day(s: Session, scope: Scope, patient_id: int, after: date) -> date | None:
    return s.scalar(
        select(Booking.local_day)
        .where(
            Booking.clinic_id == scope.clinic_id,
            Booking.patient_id == patient_id,
            Booking.status == "booked",
            Booking.local_day > after,
        )
        .order_by(Booking.local_day)
        .limit(1)
    )


def _at_send_hour(scope: Scope, day: date) -> datetime:
    """``day`` at the clinic-local send hour, or now when that is past."""
    hour = math.floor(scope.settings.message_send_hour)
    return max(datetime.combine(day, time(hour), scope.timezone), scope.now())


def _letter(patient: Patient, scope: Scope, text: str) -> str:
    return f"Hello {patient.given_name},\n\n{text}\n\n{scope.clinic_name}\n"


def _long_day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%B %Y}"
