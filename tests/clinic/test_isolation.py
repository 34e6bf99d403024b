"""Clinics are fully isolated: in every query, and in the database's own keys."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from smpstudio.clinic import (
    AuditEntry,
    Booking,
    ClinicRecords,
    Database,
    PigmentUse,
    RecordNotFoundError,
    SessionRecord,
)

from .conftest import MONDAY, World, make_world

JPEG = b"\xff\xd8\xff\xe0" + bytes(64)


@pytest.fixture
def two(shared_db: Database) -> tuple[World, World]:
    a, b = make_world(shared_db), make_world(shared_db)
    pigment = PigmentUse("Carbon Black", "SHARED-BATCH", date(2032, 1, 1), water_ml=10.0)
    for w in (a, b):
        w.records.record_session(
            w.patient.id,
            practitioner_id=w.practitioner.id,
            performed_on=w.records.today(),
            duration_minutes=120,
            pigments=[pigment],
            needle_lots=["SHARED-LOT"],
            needles_opened_in_front_of_client=True,
            anaesthetic_offered=False,
            anaesthetic_used=False,
        )
    a.records.add_photo(a.patient.id, JPEG, kind="before")
    ink = a.records.add_stock_item("pigment", "Carbon Black", low_stock_at=1)
    a.records.receive_stock(ink.id, lot="SHARED-BATCH", expires_on=date(2032, 1, 1), quantity=5)
    a.records.book(
        a.patient.id,
        practitioner_id=a.practitioner.id,
        room_id=a.room.id,
        starts_at=datetime.combine(MONDAY, datetime.min.time(), ZoneInfo("Europe/London"))
        + timedelta(days=1, hours=10),
        duration=timedelta(hours=2),
    )
    return a, b


def _a_lot(a: World) -> int:
    return a.records.stock_items()[0].lots[0].id


def _a_booking(a: World) -> int:
    """Clinic a's booking, read without an audited read (a's chain must not grow)."""
    with a.db.transaction(readonly=True) as s:
        query = select(Booking.id).where(Booking.clinic_id == a.records.clinic_id)
        return int(s.scalars(query).one())


def _chain_length(w: World) -> int:
    with w.db.transaction(readonly=True) as s:
        query = select(func.count()).where(AuditEntry.chain == w.records.clinic_id)
        return int(s.scalar(query) or 0)


FOREIGN_CALLS: dict[str, Callable[[World, ClinicRecords], Any]] = {
    "patient": lambda a, b: b.patient(a.patient.id),
    "update_patient": lambda a, b: b.update_patient(a.patient.id, notes="x"),
    "consultations": lambda a, b: b.consultations(a.patient.id),
    "consent_status": lambda a, b: b.consent_status(a.patient.id, "treatment"),
    "record_consent": lambda a, b: b.record_consent(
        a.patient.id, b.consent_forms("treatment")[-1].id, decision="granted", signed_name="x"
    ),
    "consent_form_of_a": lambda a, b: b.record_consent(
        b.find_patients()[0].id,
        a.records.consent_forms("treatment")[-1].id,
        decision="granted",
        signed_name="x",
    ),
    "designs": lambda a, b: b.designs(a.patient.id),
    "plans": lambda a, b: b.plans(a.patient.id),
    "session_records": lambda a, b: b.session_records(a.patient.id),
    "photos": lambda a, b: b.photos(a.patient.id),
    "photo_bytes": lambda a, b: None,  # built in the test: the id lookup is a's own read
    "follow_ups": lambda a, b: b.follow_ups(patient_id=a.patient.id),
    "audit_trail": lambda a, b: b.audit_trail(patient_id=a.patient.id),
    "add_follow_up": lambda a, b: b.add_follow_up(
        a.patient.id, due_on=date(2027, 1, 1), kind="review"
    ),
    "book_patient": lambda a, b: b.book(
        a.patient.id,
        practitioner_id=b.practitioners()[0].id,
        room_id=b.rooms()[0].id,
        starts_at=datetime.combine(MONDAY, datetime.min.time(), ZoneInfo("Europe/London"))
        + timedelta(hours=9),
        duration=timedelta(hours=2),
    ),
    "book_room": lambda a, b: b.book(
        b.find_patients()[0].id,
        practitioner_id=b.practitioners()[0].id,
        room_id=a.room.id,
        starts_at=datetime.combine(MONDAY, datetime.min.time(), ZoneInfo("Europe/London"))
        + timedelta(hours=9),
        duration=timedelta(hours=2),
    ),
    "messages": lambda a, b: b.messages(a.patient.id),
    "message_opt_outs": lambda a, b: b.message_opt_outs(a.patient.id),
    "set_message_opt_out": lambda a, b: b.set_message_opt_out(
        a.patient.id, channel="email", opted_out=True
    ),
    "move_booking": lambda a, b: b.move_booking(
        _a_booking(a),
        starts_at=datetime.combine(MONDAY, datetime.min.time(), ZoneInfo("Europe/London"))
        + timedelta(days=2, hours=10),
    ),
    "adjust_stock": lambda a, b: b.adjust_stock(_a_lot(a), counted=0, reason="count"),
    "stock_movements": lambda a, b: b.stock_movements(_a_lot(a)),
    "receive_stock": lambda a, b: b.receive_stock(
        a.records.stock_items()[0].id, lot="X", expires_on=date(2032, 1, 1), quantity=1
    ),
    "practitioner": lambda a, b: b.add_availability(
        a.practitioner.id, weekday=6, start=datetime.min.time(), end=datetime.min.time()
    ),
    "export_client": lambda a, b: b.export_client(a.patient.id, io.BytesIO()),
    "erase_client": lambda a, b: b.erase_client(a.patient.id, confirm="Sam Lee"),
}


@pytest.mark.parametrize("call", sorted(FOREIGN_CALLS))
def test_another_clinics_records_do_not_exist(two: tuple[World, World], call: str) -> None:
    a, b = two
    call_it = FOREIGN_CALLS[call]
    if call == "photo_bytes":  # look the id up first (a's own audited read)
        photo_id = a.records.photos(a.patient.id)[0].id
        call_it = lambda a, b: b.photo_bytes(photo_id)  # noqa: E731
    before = _chain_length(a)
    with pytest.raises(RecordNotFoundError, match="in this clinic"):
        call_it(a, b.records)
    denied = b.records.audit_trail(limit=1)[0]
    assert (denied.outcome, denied.actor) == ("denied", "alex")
    assert denied.clinic_id == b.records.clinic_id
    assert _chain_length(a) == before  # nothing of b's attempt lands in a's chain


def test_lists_and_traces_never_cross_clinics(two: tuple[World, World]) -> None:
    a, b = two
    assert {p.id for p in b.records.find_patients()} == {b.patient.id}
    hits_b = b.records.clients_with_pigment_batch("SHARED-BATCH")
    assert [h.patient_id for h in hits_b] == [b.patient.id]
    assert [h.patient_id for h in b.records.sessions_with_needle_lot("SHARED-LOT")] == [
        b.patient.id
    ]
    assert [h.patient_id for h in a.records.sessions_with_needle_lot("SHARED-LOT")] == [
        a.patient.id
    ]
    assert {p.id for p in a.records.practitioners()} == {a.practitioner.id}
    assert {r.id for r in a.records.rooms()} == {a.room.id, a.room2.id}
    assert all(e.chain == b.records.clinic_id for e in b.records.audit_trail(limit=10_000))


def test_the_database_refuses_a_record_pointing_into_another_clinic(
    two: tuple[World, World],
) -> None:
    a, b = two
    row = {
        "clinic_id": b.records.clinic_id,
        "patient_id": a.patient.id,  # clinic a's client in a clinic b record
        "practitioner_id": b.practitioner.id,
        "performed_on": date(2026, 1, 1),
        "duration_minutes": 120,
        "anaesthetic_offered": False,
        "anaesthetic_used": False,
        "notes": "",
        "created_at": datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC")),
        "created_by": "intruder",
    }
    with pytest.raises(IntegrityError), b.db.transaction() as s:
        s.execute(insert(SessionRecord), [row])
