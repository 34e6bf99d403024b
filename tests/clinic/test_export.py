"""A client's data exported and erased on request, on both back ends: the export holds every
record and photo; the erasure removes every row and file in one transaction, keeps the
clinic's stock ledger, audits itself with counts only, refuses a wrong confirmation or a
session still booked, leaves everything as it was when it fails midway, and finishes the
removal of files after a crash between the commit and the files."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pypdf
import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError

from smpstudio._errors import ClinicError
from smpstudio.clinic import (
    EXPORT_FORMAT,
    AuditEntry,
    Database,
    NoShow,
    Payment,
    PigmentUse,
    StockMovement,
    _export,
    check_database,
    finish_pending_erasures,
    open_database,
)
from smpstudio.clinic._export import (
    CLIENT_TABLE_NAMES,
    CLIENT_TABLES,
    DETACHED,
    KEPT,
    _condition,
)
from smpstudio.clinic._models import Base
from tests.clinic.conftest import World

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
LONDON = ZoneInfo("Europe/London")


def _treated_client(w: World) -> tuple[int, int, int]:
    """Sam with a photo, a session drawing from stock, a follow-up, a booking ahead
    and the messages they queue; returns (client id, stock lot id, booking id)."""
    r, sam = w.records, w.patient
    item = r.add_stock_item("pigment", "Carbon Black", low_stock_at=1)
    lot = r.receive_stock(item.id, lot="B-1", expires_on=date(2032, 1, 1), quantity=10)
    session = r.record_session(
        sam.id,
        practitioner_id=w.practitioner.id,
        performed_on=r.today(),
        duration_minutes=150,
        pigments=[PigmentUse("Carbon Black", "B-1", date(2032, 1, 1), water_ml=4, used_ml=2.5)],
        needle_lots=["N-1"],
        needles_opened_in_front_of_client=True,
        anaesthetic_offered=False,
        anaesthetic_used=False,
    )
    r.add_photo(sam.id, PNG, kind="session", session_id=session.id)
    r.add_follow_up(sam.id, due_on=r.today() + timedelta(days=30), kind="healing-check")
    booking = r.book(
        sam.id,
        practitioner_id=w.practitioner.id,
        room_id=w.room.id,
        starts_at=datetime.combine(date(2030, 7, 15), time(10), LONDON),
        duration=timedelta(hours=3),
    )
    return sam.id, lot.id, booking.id


def _zip(r: Any, pid: int) -> bytes:
    out = io.BytesIO()
    r.export_client(pid, out)
    return out.getvalue()


def _rows_of(db: Database, clinic_id: int, patient_id: int) -> dict[str, int]:
    with db.transaction(readonly=True) as s:
        return {
            t.name: len(s.execute(select(t).where(_condition(t, clinic_id, patient_id))).all())
            for t in CLIENT_TABLES
        }


def test_every_table_pointing_at_a_client_is_declared() -> None:
    """A new table that points at a client fails here until it is declared: erased with the
    client (CLIENT_TABLE_NAMES) or the clinic's, its link cleared (DETACHED)."""
    assert len(CLIENT_TABLES) == len(CLIENT_TABLE_NAMES)
    client = set(CLIENT_TABLE_NAMES)
    for table in Base.metadata.sorted_tables:
        points = "patient_id" in table.c or any(
            fk.column.table.name in client for fk in table.foreign_keys
        )
        if points and table.name not in client:
            assert table.name in {*DETACHED, *KEPT, "audit_log"}, (
                f"{table.name} points at a client's records: add it to CLIENT_TABLE_NAMES "
                "(exported and erased with the client), DETACHED (the clinic's, its link "
                "cleared) or KEPT (the clinic must keep them: erasure refused while any exist)"
            )


def test_the_export_holds_every_record_and_photo(fresh_world: World) -> None:
    r = fresh_world.records
    pid, _, _ = _treated_client(fresh_world)
    buffer = io.BytesIO()
    summary = r.export_client(pid, buffer)
    archive = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    document = json.loads(archive.read("client.json"))
    assert document["format"] == EXPORT_FORMAT
    assert document["client"]["given_name"] == "Sam"
    counts = _rows_of(fresh_world.db, r.clinic_id, pid)
    for table, n in counts.items():
        assert len(document["records"][table]) == n, table
    assert counts["session_pigments"] == counts["photos"] == counts["bookings"] == 1
    assert counts["messages"] >= 2
    assert counts["consents"] == 2
    assert [f["kind"] for f in document["records"]["consent_forms"]] == ["treatment", "photo"]
    photo = document["records"]["photos"][0]
    assert document["photos"] == [f"photos/{photo['id']}.png"]
    assert archive.read(document["photos"][0]) == PNG
    pdf = pypdf.PdfReader(io.BytesIO(archive.read("summary.pdf")))
    words = " ".join((page.extract_text() or "") for page in pdf.pages)
    assert "Data kept about Sam Lee" in words
    assert "Sessions (1)" in words
    assert "treatment v1" in words
    assert any(e["object"] == "photo" for e in document["audit"])
    assert summary.photos == 1
    assert summary.bytes == len(buffer.getvalue())
    entry = r.audit_trail(limit=1)[0]
    assert (entry.action, entry.object_type, entry.patient_id) == ("read", "export", pid)


def test_erasure_removes_every_row_and_file_and_keeps_the_stock_ledger(
    fresh_world: World,
) -> None:
    db, r = fresh_world.db, fresh_world.records
    pid, lot_id, booking_id = _treated_client(fresh_world)
    kim = fresh_world.add_client("Kim", "Roe")
    photo_path = db.config.photos_dir / r.photos(pid)[0].path
    assert photo_path.exists()

    with pytest.raises(ClinicError, match="the name typed does not match the client's record"):
        r.erase_client(pid, confirm="Sam Leigh")
    with pytest.raises(ClinicError, match=r"not erased: the client has 1 session\(s\) booked"):
        r.erase_client(pid, confirm="sam  LEE")
    assert sum(_rows_of(db, r.clinic_id, pid).values()) > 10
    r.cancel_booking(booking_id)

    summary = r.erase_client(pid, confirm=" Sam Lee ")
    assert set(_rows_of(db, r.clinic_id, pid).values()) == {0}
    assert summary.rows["patients"] == 1
    assert summary.rows["session_records"] == 1
    assert summary.photos == 1
    assert summary.detached == 1
    assert not photo_path.exists()
    assert not list((db.config.data_dir / "erasures").glob("*.json"))
    assert sum(_rows_of(db, r.clinic_id, kim.id).values()) > 5  # another client untouched
    lot = next(lot for item in r.stock_items() for lot in item.lots if lot.id == lot_id)
    assert lot.quantity == 7.5  # the ledger keeps what the session took
    with db.transaction(readonly=True) as s:
        moves = list(s.scalars(select(StockMovement).where(StockMovement.lot_id == lot_id)))
        erased = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "erase", AuditEntry.outcome == "ok")
        ).one()
    assert [m.session_id for m in moves] == [None, None]
    assert erased.detail.startswith("erased on request: ")
    assert "1 patients" in erased.detail
    assert "Sam" not in erased.detail
    assert "Lee" not in erased.detail
    refusals = [e for e in r.audit_trail() if e.action == "erase" and e.outcome == "refused"]
    assert len(refusals) == 2
    assert all("Sam" not in e.detail for e in refusals)
    report = check_database(db)
    assert report.ok, report.problems
    with pytest.raises(DBAPIError, match="append-only"), db.transaction() as s:
        s.execute(text("DELETE FROM consents WHERE patient_id = :p"), {"p": kim.id})
    with pytest.raises(ClinicError, match="no patient"):
        r.export_client(pid, io.BytesIO())


def test_an_erasure_that_fails_midway_leaves_everything_as_it_was(
    fresh_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, r = fresh_world.db, fresh_world.records
    pid, _, booking_id = _treated_client(fresh_world)
    r.cancel_booking(booking_id)
    before = _rows_of(db, r.clinic_id, pid)
    photo_path = db.config.photos_dir / r.photos(pid)[0].path

    def disk_full(*args: object) -> None:
        raise ClinicError("no space left on the device (simulated)")

    monkeypatch.setattr(_export, "_write_pending", disk_full)
    with pytest.raises(ClinicError, match="no space left"):
        r.erase_client(pid, confirm="Sam Lee")
    assert _rows_of(db, r.clinic_id, pid) == before
    assert photo_path.exists()
    report = check_database(db)
    assert report.ok, report.problems  # the triggers are back, the chains intact
    assert r.audit_trail(limit=1)[0].outcome == "refused"


_CRASH = """
import os, sys
from smpstudio.clinic import open_database, _export
_export._remove_listed = lambda db, listed: os._exit(9)  # die after the commit
with open_database(sys.argv[1], data_dir=sys.argv[2]) as db:
    db.clinic(int(sys.argv[3]), actor="owner").erase_client(int(sys.argv[4]), confirm="Sam Lee")
"""


def test_a_crash_between_the_commit_and_the_files_is_finished_later(fresh_world: World) -> None:
    db, r = fresh_world.db, fresh_world.records
    pid, _, booking_id = _treated_client(fresh_world)
    r.cancel_booking(booking_id)
    photo_path = db.config.photos_dir / r.photos(pid)[0].path
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    url = db.config.database_url
    args = [str(url), str(db.config.data_dir), str(r.clinic_id), str(pid)]
    done = subprocess.run(
        [sys.executable, "-c", _CRASH, *args], env=env, capture_output=True, timeout=120
    )
    assert done.returncode == 9, done.stderr.decode()
    assert set(_rows_of(db, r.clinic_id, pid).values()) == {0}  # committed
    assert photo_path.exists()  # not yet removed
    assert len(list((db.config.data_dir / "erasures").glob("*.json"))) == 1
    assert finish_pending_erasures(db) == 1
    assert not photo_path.exists()
    assert not list((db.config.data_dir / "erasures").glob("*.json"))
    report = check_database(db)
    assert report.ok, report.problems


def test_a_pending_list_of_a_failed_transaction_keeps_the_files(fresh_world: World) -> None:
    db, r = fresh_world.db, fresh_world.records
    pid, _, _ = _treated_client(fresh_world)
    photo = r.photos(pid)[0]
    listed = _export._write_pending(db, [photo.path])
    assert listed is not None
    assert finish_pending_erasures(db) == 0  # the row still references it: kept
    assert (db.config.photos_dir / photo.path).exists()
    assert not listed.exists()
    assert isinstance(Path(listed), Path)


def test_an_export_with_a_missing_photo_is_refused_whole(fresh_world: World) -> None:
    db, r = fresh_world.db, fresh_world.records
    pid, _, _ = _treated_client(fresh_world)
    (db.config.photos_dir / r.photos(pid)[0].path).unlink()
    out = io.BytesIO()
    with pytest.raises(ClinicError, match=r"photo \d+ is missing from the photo store"):
        r.export_client(pid, out)
    entry = r.audit_trail(limit=1)[0]
    assert (entry.object_type, entry.outcome, entry.patient_id) == ("export", "refused", pid)


def test_an_erasure_by_a_role_that_does_not_own_the_tables_is_refused(
    fresh_world: World, backend: str
) -> None:
    """PostgreSQL: lifting the append-only triggers needs the tables' owner; another role
    gets one clear message, and nothing is erased."""
    if backend != "postgresql":
        pytest.skip("a PostgreSQL role matter")
    db, r = fresh_world.db, fresh_world.records
    pid, _, booking_id = _treated_client(fresh_world)
    r.cancel_booking(booking_id)
    before = _rows_of(db, r.clinic_id, pid)
    role = f"smp_clerk_{os.getpid()}_{r.clinic_id}"
    with db.engine.connect() as c:
        c.execute(text(f"DROP ROLE IF EXISTS {role}"))
        c.execute(text(f"CREATE ROLE {role} LOGIN"))
        c.execute(text(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}"))
        c.execute(text(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}"))
        c.commit()
    url = db.engine.url.set(username=role)
    clerk = open_database(url.render_as_string(hide_password=False), data_dir=db.config.data_dir)
    try:
        records = clerk.clinic(r.clinic_id, actor="clerk")
        with pytest.raises(ClinicError, match="erase as the role that owns the tables"):
            records.erase_client(pid, confirm="Sam Lee")
        assert records.audit_trail(limit=1)[0].outcome == "refused"
    finally:
        clerk.close()
        with db.engine.connect() as c:
            c.execute(text(f"REASSIGN OWNED BY {role} TO CURRENT_USER"))
            c.execute(text(f"DROP OWNED BY {role}"))
            c.execute(text(f"DROP ROLE {role}"))
            c.commit()
    assert _rows_of(db, r.clinic_id, pid) == before


def test_a_client_with_financial_records_is_not_erased(fresh_world: World) -> None:
    """Payments and invoices are the clinic's accounts (numbered without gaps): kept, so a
    client who has any is refused, nothing erased."""
    db, r = fresh_world.db, fresh_world.records
    pid, _, booking_id = _treated_client(fresh_world)
    r.cancel_booking(booking_id)
    now = r.now()
    with db.transaction() as s:
        no_show = s.execute(
            insert(NoShow).values(
                clinic_id=r.clinic_id,
                patient_id=pid,
                booking_id=booking_id,
                starts_at=now,
                notice_hours=2,
                fee=5000,
                currency="USD",
                created_at=now,
                created_by="t",
            )
        ).inserted_primary_key[0]
        s.execute(
            insert(Payment).values(
                clinic_id=r.clinic_id, patient_id=pid, number=1, kind="payment", method="cash",
                amount=5000, currency="USD", no_show_id=no_show, created_at=now, created_by="t",
            )
        )  # fmt: skip
    before = _rows_of(db, r.clinic_id, pid)
    with pytest.raises(ClinicError, match="the client has 1 payments and refunds, which the"):
        r.erase_client(pid, confirm="Sam Lee")
    assert _rows_of(db, r.clinic_id, pid) == before
    document = json.loads(zipfile.ZipFile(io.BytesIO(_zip(r, pid))).read("client.json"))
    assert len(document["records"]["no_shows"]) == 1


def test_a_client_who_owes_a_no_show_fee_is_not_erased(fresh_world: World) -> None:
    db, r = fresh_world.db, fresh_world.records
    pid, _, booking_id = _treated_client(fresh_world)
    r.cancel_booking(booking_id)
    now = r.now()
    with db.transaction() as s:
        s.execute(
            insert(NoShow).values(
                clinic_id=r.clinic_id, patient_id=pid, booking_id=booking_id, starts_at=now,
                notice_hours=2, fee=5000, currency="USD", created_at=now, created_by="t",
            )
        )  # fmt: skip
    with pytest.raises(ClinicError, match=r"account is not settled \(50.00 left to pay, or a"):
        r.erase_client(pid, confirm="Sam Lee")
    assert r.patient(pid).id == pid
