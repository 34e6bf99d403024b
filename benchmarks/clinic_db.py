"""Clinic database: bookings per second and lot-recall time with 100,000 session records,
on SQLite (a file, WAL, synchronous=FULL) and on PostgreSQL (the server named by
SMPSTUDIO_BENCH_POSTGRES, default root@127.0.0.1:5432; a throw-away database is created
and dropped). Every booking and every recall is audited, as in production."""

from __future__ import annotations

import os
import secrets
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any
from zoneinfo import ZoneInfo

from smpstudio.clinic import BookingConflictError, ClinicRecords, open_database
from smpstudio.clinic._synthetic import batch_name, lot_name, seed_sessions

SESSIONS = 100_000
BOOKINGS = 600
PRACTITIONERS = 10
RECALLS = 20
ADMIN_URL = os.environ.get("SMPSTUDIO_BENCH_POSTGRES", "postgresql://root@127.0.0.1:5432/postgres")
ZONE = ZoneInfo("Europe/London")
FIRST_DAY = date(2031, 3, 3)  # a Monday


def run() -> dict[str, Any]:
    """Measure both back ends; a back end that cannot be reached is reported as skipped."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="smpstudio-bench-") as folder:
        results["sqlite"] = _measure(f"{folder}/clinic.sqlite3", folder)
    try:
        url, drop = _postgres_database()
    except Exception as exc:  # no server: say so in the report
        results["postgresql"] = {"skipped": " ".join(str(exc).split())[:200]}
        return results
    try:
        with tempfile.TemporaryDirectory(prefix="smpstudio-bench-") as folder:
            results["postgresql"] = _measure(url, folder)
    finally:
        drop()
    return results


def markdown(result: dict[str, Any]) -> str:
    """The results as the table of docs/performance.md."""
    rows = [
        "| back end | seed 100k sessions | bookings/s | refused booking + next slot | "
        "recall by pigment batch (median / max) | recall by needle lot (median / max) |",
        "|---|---|---|---|---|---|",
    ]
    for backend, r in result.items():
        if "skipped" in r:
            rows.append(f"| {backend} | skipped: {r['skipped']} | | | | |")
            continue
        rows.append(
            f"| {backend} | {r['seed_s']:.1f} s | {r['bookings_per_s']:.0f} | "
            f"{r['conflict_ms']:.1f} ms | {r['batch_ms'][0]:.1f} / {r['batch_ms'][1]:.1f} ms "
            f"({r['batch_hits']:.0f} sessions) | {r['lot_ms'][0]:.1f} / {r['lot_ms'][1]:.1f} ms "
            f"({r['lot_hits']:.0f} sessions) |"
        )
    return "\n".join(rows) + (
        f"\n\n{SESSIONS:,} session records (1–2 pigment batches and 1–3 needle lots each, "
        f"2,000 batches, 5,000 lots); {BOOKINGS} bookings made one after another by one client "
        "(each checks hours, day, room and spacing and appends to the audit chain in its own "
        "committed transaction); recall times include the audit entries they write.\n"
    )


def _postgres_database() -> tuple[str, Any]:
    import psycopg
    from psycopg import sql

    name = f"smpstudio_bench_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop() -> None:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    return f"{ADMIN_URL.rpartition('/')[0]}/{name}", drop


def _measure(url: str, data_dir: str) -> dict[str, Any]:
    with open_database(url, data_dir=data_dir) as db:
        db.upgrade()
        clinic = db.create_clinic("Benchmark", timezone=ZONE.key, actor="bench")
        start = time.perf_counter()
        seed_sessions(db, clinic.id, SESSIONS, seed=7)
        seed_s = time.perf_counter() - start
        records = db.clinic(clinic.id, actor="bench")
        bookings_per_s, conflict_ms = _bookings(records)
        batch = _recalls(lambda i: records.clients_with_pigment_batch(batch_name(i * 97)))
        lot = _recalls(lambda i: records.sessions_with_needle_lot(lot_name(i * 241)))
        assert db.verify_audit().ok
    return {
        "seed_s": seed_s,
        "bookings_per_s": bookings_per_s,
        "conflict_ms": conflict_ms,
        "batch_ms": batch[:2],
        "batch_hits": batch[2],
        "lot_ms": lot[:2],
        "lot_hits": lot[2],
    }


def _bookings(records: ClinicRecords) -> tuple[float, float]:
    practitioners, rooms = _staff(records)
    patients = [
        records.add_patient("Bench", f"Client {i}", date_of_birth=date(1980, 1, 1)).id
        for i in range(BOOKINGS)
    ]
    days = [d for d in (FIRST_DAY + timedelta(days=k) for k in range(200)) if d.weekday() < 6]
    start = time.perf_counter()
    for i, patient in enumerate(patients):
        day = days[i // PRACTITIONERS]
        records.book(
            patient,
            practitioner_id=practitioners[i % PRACTITIONERS],
            room_id=rooms[i % PRACTITIONERS],
            starts_at=datetime.combine(day, clock(9 + (i % 3)), tzinfo=ZONE),
            duration=timedelta(hours=3),
        )
    per_s = BOOKINGS / (time.perf_counter() - start)
    refused = []
    for i in range(20):  # the first days are full: each attempt is refused with a slot
        begin = time.perf_counter()
        try:
            records.book(
                patients[i], practitioner_id=practitioners[0], room_id=rooms[0],
                starts_at=datetime.combine(days[0], clock(9), tzinfo=ZONE),
                duration=timedelta(hours=3),
            )  # fmt: skip
        except BookingConflictError:
            refused.append(time.perf_counter() - begin)
    return per_s, statistics.median(refused) * 1e3


def _staff(records: ClinicRecords) -> tuple[list[int], list[int]]:
    practitioners, rooms = [], []
    for i in range(PRACTITIONERS):
        p = records.add_practitioner(
            f"Bench {i}", certification_body="Academy", certification_number=f"B{i}",
            certified_on=date(2020, 1, 1),
        )  # fmt: skip
        records.add_hygiene_attestation(p.id, kind="bbp", reference="R", issued_on=date(2020, 1, 1))
        for weekday in range(6):
            records.add_availability(p.id, weekday=weekday, start=clock(9), end=clock(18))
        practitioners.append(p.id)
        rooms.append(records.add_room(f"Room {i}").id)
    return practitioners, rooms


def _recalls(query: Any) -> tuple[float, float, float]:
    times, hits = [], []
    for i in range(RECALLS):
        begin = time.perf_counter()
        found = query(i)
        times.append(time.perf_counter() - begin)
        hits.append(len(found))
    return statistics.median(times) * 1e3, max(times) * 1e3, statistics.median(hits)


if __name__ == "__main__":
    print(markdown(run()))
