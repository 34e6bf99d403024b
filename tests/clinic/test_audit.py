"""The audit log: every read and write lands in it; it is append-only; verify() pinpoints
the first broken entry after an edit, a deletion, a swap or a truncated tail."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from smpstudio import ClinicError
from smpstudio.clinic import ClinicConfig, Database, PigmentUse, open_database

from .conftest import World, make_world


def _entries(w: World) -> int:
    with w.db.transaction(readonly=True) as s:
        query = text("SELECT count(*) FROM audit_log WHERE chain = :c")
        return int(s.scalar(query, {"c": w.records.clinic_id}) or 0)


def test_every_read_and_write_appends_one_entry(world: World) -> None:
    r, p = world.records, world.patient
    for action in (
        lambda: r.patient(p.id),
        lambda: r.update_patient(p.id, notes="n"),
        lambda: r.consultations(p.id),
        lambda: r.consent_status(p.id, "photo"),
        lambda: r.photos(p.id),
        lambda: r.session_records(p.id),
    ):
        before = _entries(world)
        action()
        assert _entries(world) == before + 1
    last = r.audit_trail(patient_id=p.id, limit=1)[0]
    assert (last.actor, last.patient_id, last.action, last.outcome) == ("alex", p.id, "read", "ok")
    assert last.at.tzinfo is not None


def test_a_refused_write_is_audited_with_its_reason(world: World) -> None:
    with pytest.raises(ClinicError):
        world.records.update_patient(world.patient.id, email="nope")
    entry = world.records.audit_trail(limit=1)[0]
    assert (entry.action, entry.outcome, entry.patient_id) == (
        "update",
        "refused",
        world.patient.id,
    )
    assert "not an e-mail address" in entry.detail


def test_a_lot_recall_logs_each_client_it_reveals(world: World) -> None:
    r = world.records
    other = world.add_client("Ivo", "Marsh")
    for patient in (world.patient, other):
        r.record_session(
            patient.id,
            practitioner_id=world.practitioner.id,
            performed_on=r.today(),
            duration_minutes=120,
            pigments=[PigmentUse("Carbon Black", "RECALL-1", date(2032, 1, 1), water_ml=1.0)],
            needle_lots=["L"],
            needles_opened_in_front_of_client=True,
            anaesthetic_offered=False,
            anaesthetic_used=False,
        )
    before = _entries(world)
    hits = r.clients_with_pigment_batch("RECALL-1")
    assert {h.patient_id for h in hits} == {world.patient.id, other.id}
    assert _entries(world) == before + 2
    assert {e.patient_id for e in r.audit_trail(limit=3)[:2]} == {world.patient.id, other.id}


APPEND_ONLY_SQL = [
    ("UPDATE audit_log SET actor = 'mallory'", "audit_log"),
    ("DELETE FROM audit_log", "audit_log"),
    ("UPDATE consents SET decision = 'granted'", "consents"),
    ("DELETE FROM consents", "consents"),
    ("UPDATE consent_forms SET body = 'other text'", "consent_forms"),
]


@pytest.mark.parametrize(("statement", "table"), APPEND_ONLY_SQL)
def test_append_only_tables_refuse_changes(world: World, statement: str, table: str) -> None:
    with pytest.raises(DBAPIError, match=f"{table} is append-only"), world.db.transaction() as s:
        s.execute(text(statement))


def test_lot_records_refuse_changes(world: World) -> None:
    r = world.records
    r.record_session(
        world.patient.id,
        practitioner_id=world.practitioner.id,
        performed_on=r.today(),
        duration_minutes=120,
        pigments=[PigmentUse("Carbon Black", "B", date(2032, 1, 1), water_ml=1.0)],
        needle_lots=["L"],
        needles_opened_in_front_of_client=True,
        anaesthetic_offered=False,
        anaesthetic_used=False,
    )
    for table in ("session_records", "session_pigments", "session_needle_lots"):
        with pytest.raises(DBAPIError, match="append-only"), world.db.transaction() as s:
            s.execute(text(f"DELETE FROM {table}"))


def test_truncate_is_refused_on_postgresql(make_config: Callable[[str], ClinicConfig]) -> None:
    with open_database(make_config("postgresql")) as db:  # SQLite has no TRUNCATE
        db.upgrade()
        make_world(db)
        for table in ("audit_log", "consents", "session_records"):
            with pytest.raises(DBAPIError, match="append-only"), db.transaction() as s:
                s.execute(text(f"TRUNCATE {table} CASCADE"))


@contextmanager
def _without_triggers(db: Database) -> Iterator[Connection]:
    """An attacker with database access: the append-only triggers are switched off."""
    with db.engine.begin() as conn:
        if db.backend == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        else:
            conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
        yield conn


def _seed(w: World, n: int = 12) -> None:
    for _ in range(n):
        w.records.patient(w.patient.id)


def _chain(w: World) -> int:
    return w.records.clinic_id


def test_an_edited_entry_is_pinpointed(fresh_world: World) -> None:
    _seed(fresh_world)
    assert fresh_world.db.verify_audit().ok
    with _without_triggers(fresh_world.db) as conn:
        conn.execute(
            text("UPDATE audit_log SET actor = 'mallory' WHERE chain = :c AND seq = 7"),
            {"c": _chain(fresh_world)},
        )
    report = fresh_world.db.verify_audit()
    first = report.first_problem
    assert first is not None
    assert (first.chain, first.seq) == (_chain(fresh_world), 7)
    assert "edited" in first.message
    assert len(report.problems) == 1


def test_a_deleted_entry_is_pinpointed(fresh_world: World) -> None:
    _seed(fresh_world)
    with _without_triggers(fresh_world.db) as conn:
        conn.execute(
            text("DELETE FROM audit_log WHERE chain = :c AND seq = 5"), {"c": _chain(fresh_world)}
        )
    first = fresh_world.db.verify_audit().first_problem
    assert first is not None
    assert (first.seq, first.message) == (6, "entries 5–5 are missing (deleted)")


def test_swapped_entries_are_pinpointed(fresh_world: World) -> None:
    _seed(fresh_world)
    c = _chain(fresh_world)
    with _without_triggers(fresh_world.db) as conn:
        for old, new in ((4, -1), (9, 4), (-1, 9)):
            conn.execute(
                text("UPDATE audit_log SET seq = :new WHERE chain = :c AND seq = :old"),
                {"c": c, "old": old, "new": new},
            )
    report = fresh_world.db.verify_audit()
    assert report.first_problem is not None
    assert (report.first_problem.chain, report.first_problem.seq) == (c, 4)
    assert {p.seq for p in report.problems} <= {4, 5, 9, 10}


def test_a_truncated_tail_is_found(fresh_world: World) -> None:
    _seed(fresh_world)
    c = _chain(fresh_world)
    with _without_triggers(fresh_world.db) as conn:
        last = conn.execute(
            text("SELECT max(seq) FROM audit_log WHERE chain = :c"), {"c": c}
        ).scalar_one()
        conn.execute(
            text("DELETE FROM audit_log WHERE chain = :c AND seq >= :s"), {"c": c, "s": last - 1}
        )
    first = fresh_world.db.verify_audit().first_problem
    assert first is not None
    assert first.seq == last - 1
    assert "truncated" in first.message


def test_concurrent_writers_never_fork_the_chain(fresh_db: Database) -> None:
    w = make_world(fresh_db)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            records = fresh_db.clinic(w.records.clinic_id, actor=threading.current_thread().name)
            for i in range(15):
                records.add_patient("Par", f"Allel{i}", date_of_birth=date(1980, 1, 1))
                records.patient(w.patient.id)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, name=f"writer-{i}") for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = fresh_db.verify_audit()
    assert report.ok, report.problems
    with fresh_db.transaction(readonly=True) as s:
        seqs = list(
            s.scalars(
                text("SELECT seq FROM audit_log WHERE chain = :c ORDER BY seq"),
                {"c": w.records.clinic_id},
            )
        )
    assert seqs == list(range(1, len(seqs) + 1))
