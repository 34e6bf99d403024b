"""The clinic's own details, edited by its owner: checked, audited, on both back ends."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from smpstudio import ClinicError

from .conftest import MONDAY, World


def test_name_contact_and_hours_change_and_are_audited(world: World) -> None:
    db, cid = world.db, world.records.clinic_id
    clinic = db.update_clinic(
        cid,
        actor="user:1",
        name=f"Soho SMP {cid}",
        address="12 Greek Street\nLondon W1D 4DH",
        phone="+44 20 7946 0000",
        email="hello@soho-smp.example",
        opening_hours="Mon–Fri 9:00–18:00, Sat 10:00–16:00",
    )
    assert (clinic.name, clinic.phone) == (f"Soho SMP {cid}", "+44 20 7946 0000")
    assert clinic.address == "12 Greek Street\nLondon W1D 4DH"
    entry = world.records.audit_trail(limit=1)[0]
    assert (entry.action, entry.object_type, entry.actor) == ("update", "clinic", "user:1")
    assert entry.detail == "changed name, address, phone, email, opening_hours"
    db.update_clinic(cid, actor="user:1", phone="")
    assert next(c for c in db.clinics() if c.id == cid).phone == ""
    assert db.verify_audit().ok


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"email": "not an address"}, "clinic e-mail 'not an address' is not an e-mail address"),
        ({"phone": "call me"}, "clinic phone 'call me' is not a phone number"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ({"name": " "}, "clinic name is required"),
        ({"opening_hours": "x" * 501}, "opening hours is 501 characters long; at most 500"),
    ],
)
def test_bad_details_are_refused_and_nothing_changes(
    world: World, change: dict[str, str], message: str
) -> None:
    db, cid = world.db, world.records.clinic_id
    before = next(c for c in db.clinics() if c.id == cid)
    with pytest.raises(ClinicError, match=message):
        db.update_clinic(cid, actor="user:1", address="changed?", **change)
    after = next(c for c in db.clinics() if c.id == cid)
    assert (after.name, after.address, after.timezone) == (
        before.name,
        before.address,
        before.timezone,
    )


def test_the_time_zone_changes_only_while_nothing_is_booked_ahead(world: World) -> None:
    db, r = world.db, world.records
    booking = r.book(
        world.patient.id,
        practitioner_id=world.practitioner.id,
        room_id=world.room.id,
        starts_at=datetime.combine(MONDAY, datetime.min.time(), ZoneInfo("Europe/London"))
        + timedelta(hours=10),
        duration=timedelta(hours=3),
    )
    with pytest.raises(ClinicError, match=r"1 session\(s\) are booked from today on"):
        db.update_clinic(r.clinic_id, actor="user:1", timezone="Europe/Paris")
    r.cancel_booking(booking.id)
    assert db.update_clinic(r.clinic_id, actor="user:1", timezone="Europe/Paris").timezone == (
        "Europe/Paris"
    )


def test_a_name_taken_by_another_clinic_is_refused(world: World) -> None:
    other = world.db.create_clinic(f"Taken {world.records.clinic_id}", timezone="UTC", actor="o")
    with pytest.raises(ClinicError, match="exists already"):
        world.db.update_clinic(world.records.clinic_id, actor="user:1", name=other.name)
