"""A client's data exported and erased on request, on both back ends: the export holds every
record and photo; the erasure removes every row and file in one transaction, keeps the
clinic's stock ledger, audits itself with counts only, refuses a wrong confirmation or a
session still booked, leaves everything as it was when it fails midway, and finishes the
removal of files after a crash between the commit and the files. Every record id the export
writes (keys, links, file names, audit actors) is a record token of the database's key, never
the integer (issue 19): the tests walk all of ``client.json`` and decode every token back."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pypdf
import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError

from smpstudio import DESIGN_SCHEMA
from smpstudio._errors import ClinicError
from smpstudio.clinic import (
    EXPORT_FORMAT,
    TOKEN_PATTERN,
    AuditEntry,
    ClinicConfig,
    Database,
    NoShow,
    Payment,
    PigmentUse,
    RecordIds,
    StockMovement,
    _export,
    backup_database,
    check_database,
    finish_pending_erasures,
    open_database,
    restore_database,
)
from smpstudio.clinic._export import (
    CLIENT_TABLE_NAMES,
    CLIENT_TABLES,
    DETACHED,
    KEPT,
    _condition,
)
from smpstudio.clinic._models import Base
from tests.clinic.conftest import World, make_world

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
LONDON = ZoneInfo("Europe/London")
PLAN = Path(__file__).parent.parent / "data" / "billing" / "plan-3.json"
DESIGN = {"schema": DESIGN_SCHEMA, "inputs": {"pattern": "norwood-5", "hairline": "soft"}}


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
    ids = RecordIds(fresh_world.db.record_id_key())
    assert ids.decode(photo["id"]) == r.photos(pid)[0].id  # a token of the photo's row


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
    photo = r.photos(pid)[0]
    (db.config.photos_dir / photo.path).unlink()
    out = io.BytesIO()
    uploaded = photo.created_at.astimezone(LONDON).date().isoformat()
    with pytest.raises(ClinicError) as refused:
        r.export_client(pid, out)
    assert str(refused.value) == (
        f"the session photo uploaded on {uploaded} is missing from the photo store, so nothing "
        "was exported: ask whoever runs the studio to put its file back from the latest backup "
        "('smpstudio db check' names the file; a backup keeps it under photos/), then export "
        "again"
    )
    entry = r.audit_trail(limit=1)[0]
    assert (entry.object_type, entry.outcome, entry.patient_id) == ("export", "refused", pid)


def test_a_missing_or_damaged_photo_is_named_by_its_view_and_day(fresh_world: World) -> None:
    """Not ``photo 12``: the view, the kind and the day taken (the clinic's day), and what to
    do — for the photo read alone and for the export that needs it."""
    db, r = fresh_world.db, fresh_world.records
    pid = fresh_world.patient.id
    taken = datetime(2026, 11, 3, 23, 30, tzinfo=ZoneInfo("America/New_York"))  # the 4th in London
    photo = r.add_photo(pid, PNG, kind="before", view="front", taken_at=taken)
    path = db.config.photos_dir / photo.path
    path.write_bytes(PNG + b"tampered")
    name = "the front-view before photo taken on 2026-11-04"
    with pytest.raises(ClinicError) as damaged:
        r.photo_bytes(photo.id)
    assert str(damaged.value).startswith(f"{name} is damaged (its SHA-256 no longer matches): ask")
    with pytest.raises(ClinicError) as refused:
        r.export_client(pid, io.BytesIO())
    assert str(refused.value).startswith(f"{name} is damaged (its SHA-256 no longer matches), so")
    path.unlink()
    with pytest.raises(ClinicError) as missing:
        r.photo_bytes(photo.id)
    assert str(missing.value).startswith(f"{name} is missing from the photo store: ask whoever")
    for message in (damaged, refused, missing):
        assert f"photo {photo.id} " not in str(message.value)
        assert str(db.config.photos_dir) not in str(message.value)  # no server path either


# --- record ids: tokens, never the database's integers ---

_ACTOR_DIGITS = re.compile(r"\b(user|client):[0-9]+\b")  # a token may start with 2-7


def _no_show_fee_paid(db: Database, r: Any, pid: int, booking_id: int, *, created_by: str) -> None:
    """The booking cancelled late: a no-show with its USD 50 fee, paid in cash."""
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
                created_by=created_by,
            )
        ).inserted_primary_key[0]
        s.execute(
            insert(Payment).values(
                clinic_id=r.clinic_id, patient_id=pid, number=1, kind="payment", method="cash",
                amount=5000, currency="USD", no_show_id=no_show, created_at=now,
                created_by=created_by,
            )
        )  # fmt: skip


def _client_with_everything(w: World, r: Any) -> int:
    """The treated client, plus a design, a plan made from it, a front photo with its time
    taken, a no-show and its fee paid: rows of most client tables, linked to each other."""
    pid, _, booking_id = _treated_client(w)
    design = r.save_design(pid, DESIGN)
    r.save_plan(pid, json.loads(PLAN.read_text()), design_version_id=design.id)
    r.add_photo(
        pid, PNG, kind="before", view="front", taken_at=datetime(2026, 11, 3, 9, 0, tzinfo=LONDON)
    )
    _no_show_fee_paid(w.db, r, pid, booking_id, created_by="user:4242")
    return pid


def _under_id_keys(value: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    """Every value, anywhere in ``value``, under a key ``id`` or ``…_id`` (not ``paid``)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "id" or str(key).endswith("_id"):
                yield f"{where}.{key}", inner
            yield from _under_id_keys(inner, f"{where}.{key}")
    elif isinstance(value, list):
        for n, inner in enumerate(value):
            yield from _under_id_keys(inner, f"{where}[{n}]")


def test_the_export_carries_record_tokens_never_database_ids(fresh_world: World) -> None:
    """client.json, the photo file names, the audit's actors and the summary: no integer id
    anywhere; every token is of the exported database's key and names the right row."""
    db = fresh_world.db
    r = db.clinic(fresh_world.records.clinic_id, actor="user:4242")  # as the studio acts
    pid = _client_with_everything(fresh_world, r)
    archive = zipfile.ZipFile(io.BytesIO(_zip(r, pid)))
    text_of_json = archive.read("client.json").decode()
    document = json.loads(text_of_json)
    assert document["format"] == "smpstudio-client-export/2"
    ids = RecordIds(db.record_id_key())  # the exported database's key

    found = list(_under_id_keys(document))
    assert len(found) > 50
    for where, value in found:
        assert not isinstance(value, int | float), f"{where} is a number: {value}"
        if isinstance(value, str) and re.fullmatch(TOKEN_PATTERN, value):
            assert ids.decode(value) is not None, (where, value)
    tokens = [v for _, v in found if isinstance(v, str) and re.fullmatch(TOKEN_PATTERN, v)]
    assert len(tokens) > 50  # the plan's own plan_id (a UUID of the plan) is the rest

    records = document["records"]
    with db.transaction(readonly=True) as s:
        for table in (*CLIENT_TABLES, *(Base.metadata.tables[name] for name in KEPT)):
            query = select(table).where(_condition(table, r.clinic_id, pid))
            rows = [dict(row) for row in s.execute(query.order_by(table.c.id)).mappings()]
            assert len(records[table.name]) == len(rows), table.name
            for exported, row in zip(records[table.name], rows, strict=True):
                for column, stored in row.items():
                    if column == "id" or column.endswith("_id"):
                        back = None if exported[column] is None else ids.decode(exported[column])
                        assert back == stored, (table.name, column)
    filled = {t for t, rows in records.items() if rows}
    assert {"design_versions", "treatment_plans", "no_shows", "payments", "photos"} <= filled
    assert records["payments"][0]["no_show_id"] == records["no_shows"][0]["id"]
    assert records["treatment_plans"][0]["design_version_id"] == records["design_versions"][0]["id"]
    assert records["patients"][0]["clinic_id"] == ids.encode(r.clinic_id)
    forms = {f["id"] for f in records["consent_forms"]}
    assert forms == {c["form_id"] for c in records["consents"]}

    photos = {ids.decode(p["id"]): p for p in records["photos"]}
    names = sorted(n for n in archive.namelist() if n.startswith("photos/"))
    assert names == sorted(document["photos"])
    assert {ids.decode(n.removeprefix("photos/").removesuffix(".png")) for n in names} == set(
        photos
    )

    leak = _ACTOR_DIGITS.search(text_of_json)
    assert leak is None, text_of_json[leak.start() - 300 : leak.end() + 50]
    assert f"user:{ids.encode(4242)}" in {e["actor"] for e in document["audit"]}
    assert records["no_shows"][0]["created_by"] == f"user:{ids.encode(4242)}"
    objects = [e["object_id"] for e in document["audit"] if e["object_id"] is not None]
    assert not [o for o in objects if o.isdigit()]
    assert [ids.decode(o) for o in objects if re.fullmatch(TOKEN_PATTERN, o)].count(None) == 0
    assert len([o for o in objects if re.fullmatch(TOKEN_PATTERN, o)]) > 5

    pdf = pypdf.PdfReader(io.BytesIO(archive.read("summary.pdf")))
    words = " ".join((page.extract_text() or "") for page in pdf.pages)
    assert re.search(r"2026-11-03\s+front\s+before", words)  # the photo: day, view, kind
    assert not re.search(r"[a-z2-7]{26}", words)  # no token either: a summary for people


def test_a_restored_backup_exports_the_same_tokens(
    backend: str, make_config: Callable[[str], ClinicConfig], tmp_path: Path
) -> None:
    """The key travels with the backup: the restored database writes the same export."""
    with open_database(make_config(backend)) as db:
        db.upgrade()
        w = make_world(db)
        pid = _client_with_everything(w, w.records)
        before = json.loads(zipfile.ZipFile(io.BytesIO(_zip(w.records, pid))).read("client.json"))
        backup_database(db, tmp_path / "backup")
        clinic_id = w.records.clinic_id
    target = make_config(backend)
    with open_database(target) as empty:
        report = restore_database(empty, tmp_path / "backup")
        assert report.ok, report.problems
    with open_database(target) as restored:
        again = restored.clinic(clinic_id, actor="owner")
        archive = zipfile.ZipFile(io.BytesIO(_zip(again, pid)))
    after = json.loads(archive.read("client.json"))
    assert after["records"] == before["records"]
    assert after["photos"] == before["photos"]
    assert archive.read(after["photos"][0]) == PNG


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
    _no_show_fee_paid(db, r, pid, booking_id, created_by="t")
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
