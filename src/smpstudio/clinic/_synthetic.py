"""Synthetic session records in bulk, for the traceability test and ``make bench``.

Rows go straight to the driver (``COPY`` on PostgreSQL, ``executemany`` on SQLite) with
their ids reserved first, and one audit entry records the import, so that 100,000 sessions
with their pigment and needle lots load in seconds. Names, batches and lots are made up:
``PB-00042`` pigment batches, ``NL-000042`` needle lots.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from smpstudio.clinic._audit import AuditEvent, append_events
from smpstudio.clinic._database import Database

__all__ = ["SeedSummary", "batch_name", "lot_name", "seed_sessions"]

_GIVEN = ("Sam", "Alex", "Jordan", "Chris", "Robin", "Kim", "Lee", "Max", "Noor", "Ravi")
_FAMILY = ("Lee", "Khan", "Smith", "Garcia", "Novak", "Okafor", "Rossi", "Silva", "Tanaka")

_COLUMNS = {
    "practitioners": (
        "id clinic_id full_name certification_body certification_number certified_on "
        "active created_at"
    ),
    "patients": "id clinic_id given_name family_name date_of_birth notes created_at updated_at",
    "session_records": (
        "id clinic_id patient_id practitioner_id session_number performed_on duration_minutes "
        "anaesthetic_offered anaesthetic_used pain_score notes created_at created_by"
    ),
    "session_pigments": (
        "clinic_id session_id brand batch expires_on dilution_water_ml dilution_pigment_ml"
    ),
    "session_needle_lots": "clinic_id session_id lot cartridge opened_in_front_of_client",
}


@dataclass(frozen=True)
class SeedSummary:
    """How many rows the import wrote."""

    patients: int
    sessions: int
    pigments: int
    needle_lots: int


def batch_name(i: int) -> str:
    """The name of synthetic pigment batch ``i``.

    >>> batch_name(42)
    'PB-00042'
    """
    return f"PB-{i:05d}"


def lot_name(i: int) -> str:
    """The name of synthetic needle lot ``i``.

    >>> lot_name(42)
    'NL-000042'
    """
    return f"NL-{i:06d}"


def seed_sessions(
    db: Database,
    clinic_id: int,
    sessions: int,
    *,
    batches: int = 2000,
    lots: int = 5000,
    seed: int = 0,
    chunk: int = 20_000,
) -> SeedSummary:
    """Import ``sessions`` session records (one client per three sessions) into a clinic."""
    rng = random.Random(seed)
    with db.transaction() as s:
        out = _Writer(s)
        moment = db.clock.now()
        c, now = clinic_id, out.moment(moment)
        cert = out.day(date(2020, 1, 1))
        ids = out.reserve("practitioners", 10)
        out.write(
            "practitioners", [(i, c, f"P{i}", "Academy", f"S{i}", cert, out.yes, now) for i in ids]
        )
        births = [out.day(date(1950, 1, 1) + timedelta(days=d)) for d in range(0, 18_000, 7)]
        patients = out.reserve("patients", max(1, sessions // 3))
        out.write(
            "patients",
            [
                (i, c, rng.choice(_GIVEN), rng.choice(_FAMILY), rng.choice(births), "", now, now)
                for i in patients
            ],
        )
        today = moment.date()
        days = [out.day(today - timedelta(days=d)) for d in range(1, 5 * 365)]
        expiry = out.day(today + timedelta(days=365))
        counts = [0, 0]
        for start in range(0, sessions, chunk):
            session_ids = out.reserve("session_records", min(chunk, sessions - start))
            out.write(
                "session_records",
                [
                    (i, c, rng.choice(patients), rng.choice(ids), rng.randint(1, 3),
                     rng.choice(days), rng.randint(120, 240), out.yes, out.no,
                     rng.randint(0, 10), "", now, "synthetic")
                    for i in session_ids
                ],
            )  # fmt: skip
            pigments = [
                (c, i, "Synthetic Black", batch_name(rng.randrange(batches)), expiry, 10.0, 1.0)
                for i in session_ids
                for _ in range(rng.randint(1, 2))
            ]
            needles = [
                (c, i, lot_name(rng.randrange(lots)), "1RL", out.yes)
                for i in session_ids
                for _ in range(rng.randint(1, 3))
            ]
            out.write("session_pigments", pigments)
            out.write("session_needle_lots", needles)
            counts[0] += len(pigments)
            counts[1] += len(needles)
        summary = SeedSummary(len(patients), sessions, counts[0], counts[1])
        event = AuditEvent("create", "synthetic-import", None, detail=str(summary))
        append_events(
            s, chain=clinic_id, actor="synthetic", clinic_id=clinic_id, events=[event], at=moment
        )
    with db.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
    return summary


class _Writer:
    """Rows in storage format, straight to the driver: COPY or executemany."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self.yes: Any = True if self.postgres else 1
        self.no: Any = False if self.postgres else 0

    def day(self, value: date) -> Any:
        """A date as the back end stores it (SQLite: ISO text, as SQLAlchemy writes it)."""
        return value if self.postgres else value.isoformat()

    def moment(self, value: datetime) -> Any:
        """An aware datetime as naive UTC (SQLite: SQLAlchemy's text format)."""
        naive = value.astimezone(UTC).replace(tzinfo=None)
        return naive if self.postgres else naive.strftime("%Y-%m-%d %H:%M:%S.%f")

    def reserve(self, table: str, count: int) -> list[int]:
        """Ids for ``count`` new rows of ``table``."""
        if self.postgres:
            query = "SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"
            return list(self.session.scalars(text(query), {"t": table, "n": count}))
        # SQLite: this transaction holds the write lock, so max(id) cannot move under us.
        first = self.session.scalar(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}"))
        assert isinstance(first, int)
        return list(range(first + 1, first + 1 + count))

    def write(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert ``rows`` (tuples in the order of ``_COLUMNS[table]``)."""
        columns = ", ".join(_COLUMNS[table].split())
        raw = self.session.connection().connection.driver_connection
        assert raw is not None
        if self.postgres:
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(_COLUMNS[table].split()))
            raw.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
