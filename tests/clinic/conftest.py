"""Fixtures: every test of the clinic layer runs on SQLite and on PostgreSQL.

PostgreSQL: the server named by SMPSTUDIO_TEST_POSTGRES (default: root on 127.0.0.1:5432).
Each test session (each xdist worker) creates throw-away databases with unique names and
drops them at the end. When the server is unreachable the PostgreSQL cases are skipped with
the reason, unless SMPSTUDIO_REQUIRE_POSTGRES=1 (CI), where they fail.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from smpstudio.clinic import (
    CONTRAINDICATION_KEYS,
    ClinicConfig,
    ClinicRecords,
    Database,
    PatchTest,
    Patient,
    Practitioner,
    Room,
    open_database,
)

ADMIN_URL = os.environ.get("SMPSTUDIO_TEST_POSTGRES", "postgresql://root@127.0.0.1:5432/postgres")
BACKENDS = ["sqlite", "postgresql"]

# A Monday far enough ahead that bookings are always in the future.
MONDAY = date(2031, 3, 3)
assert MONDAY.weekday() == 0


class PostgresServer:
    """Creates uniquely named throw-away databases and drops them all at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.prefix = f"smpstudio_test_{os.getpid()}_{secrets.token_hex(3)}"
        self.counter = itertools.count()
        self.created: list[str] = []

    def create(self) -> str:
        name = f"{self.prefix}_{next(self.counter)}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.created.append(name)
        base, _, _ = self.admin_url.rpartition("/")
        return f"{base}/{name}"

    def drop_all(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for name in self.created:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


def reachable_postgres() -> PostgresServer:
    """The test server of ``ADMIN_URL``; skips when unreachable, fails in CI."""
    try:
        with psycopg.connect(ADMIN_URL, connect_timeout=5, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        reason = f"PostgreSQL not reachable at {ADMIN_URL}: {' '.join(str(exc).split())}"
        if os.environ.get("SMPSTUDIO_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{reason} (SMPSTUDIO_REQUIRE_POSTGRES=1)", pytrace=False)
        print(f"\nskipping the PostgreSQL cases: {reason}")
        pytest.skip(reason)
    return PostgresServer(ADMIN_URL)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = reachable_postgres()
    yield server
    server.drop_all()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_config(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], ClinicConfig]:
    """A configuration for a new, empty database of the given back end."""
    counter = itertools.count()

    def make(kind: str) -> ClinicConfig:
        n = next(counter)
        data_dir = tmp_path / f"data{n}"
        if kind == "sqlite":
            return ClinicConfig.from_env(db=str(tmp_path / f"clinic{n}.sqlite3"), data_dir=data_dir)
        server: PostgresServer = request.getfixturevalue("postgres")
        return ClinicConfig.from_env(db=server.create(), data_dir=data_dir)

    return make


@pytest.fixture
def fresh_db(backend: str, make_config: Callable[[str], ClinicConfig]) -> Iterator[Database]:
    """An empty database at the head revision, for this test alone."""
    with open_database(make_config(backend)) as db:
        db.upgrade()
        yield db


@pytest.fixture(scope="session")
def shared_dbs() -> Iterator[dict[str, Database]]:
    """One migrated database per back end for the session; tests isolate by clinic."""
    opened: dict[str, Database] = {}
    yield opened
    for db in opened.values():
        db.close()


@pytest.fixture
def shared_db(
    backend: str,
    shared_dbs: dict[str, Database],
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Database:
    if backend not in shared_dbs:
        data_dir = tmp_path_factory.mktemp(f"shared-{backend}")
        if backend == "sqlite":
            config = ClinicConfig.from_env(db=str(data_dir / "clinic.sqlite3"), data_dir=data_dir)
        else:
            server: PostgresServer = request.getfixturevalue("postgres")
            config = ClinicConfig.from_env(db=server.create(), data_dir=data_dir)
        db = open_database(config)
        db.upgrade()
        shared_dbs[backend] = db
    return shared_dbs[backend]


@dataclass
class World:
    """A clinic with one certified practitioner (Mon–Sat 09:00–18:00), two rooms and a
    client who is a candidate and has granted treatment and photo consent."""

    db: Database
    records: ClinicRecords
    practitioner: Practitioner
    room: Room
    room2: Room
    patient: Patient

    def add_practitioner(self, name: str = "Robin Hale") -> Practitioner:
        return add_working_practitioner(self.records, name)

    def add_client(self, given: str = "Kim", family: str = "Roe") -> Patient:
        return add_candidate(self.records, given, family)


def no_contraindications() -> dict[str, bool]:
    return dict.fromkeys(CONTRAINDICATION_KEYS, False)


def add_working_practitioner(records: ClinicRecords, name: str) -> Practitioner:
    p = records.add_practitioner(
        name,
        certification_body="SMP Academy",
        certification_number="C-1",
        certified_on=date(2020, 1, 1),
    )
    records.add_hygiene_attestation(
        p.id, kind="bloodborne-pathogens", reference="BBP-1", issued_on=date(2024, 1, 1)
    )
    for weekday in range(6):
        records.add_availability(p.id, weekday=weekday, start=time(9), end=time(18))
    return p


def add_candidate(records: ClinicRecords, given: str, family: str) -> Patient:
    patient = records.add_patient(
        given, family, date_of_birth=date(1980, 5, 1), email="c@example.com"
    )
    records.record_consultation(
        patient.id,
        held_on=records.today() - timedelta(days=30),
        reasons=["pattern-loss"],
        stage="norwood-5",
        answers=no_contraindications(),
    )
    for kind in ("treatment", "photo"):
        forms = records.consent_forms(kind)
        form = (
            forms[-1]
            if forms
            else records.publish_consent_form(kind, title=kind, body=f"I agree to {kind}.")
        )
        records.record_consent(
            patient.id, form.id, decision="granted", signed_name=f"{given} {family}"
        )
    add_clean_patch_test(records, patient.id)
    return patient


def add_clean_patch_test(
    records: ClinicRecords, patient_id: int, *, brand: str = "Carbon Black", days_ago: int = 10
) -> PatchTest:
    """A patch test with ``brand`` applied ``days_ago`` days ago, read two days later: none."""
    practitioner = records.practitioners()[0].id
    applied = records.now() - timedelta(days=days_ago)
    test = records.record_patch_test(
        patient_id,
        practitioner_id=practitioner,
        applied_at=applied,
        brand=brand,
        batch="PT-1",
        expires_on=date(2032, 1, 1),
    )
    return records.read_patch_test(
        test.id,
        practitioner_id=practitioner,
        read_at=applied + timedelta(hours=48),
        reaction="none",
    )


def make_world(db: Database, name: str | None = None) -> World:
    clinic = db.create_clinic(
        name or f"Clinic {secrets.token_hex(4)}", timezone="Europe/London", actor="owner"
    )
    records = db.clinic(clinic.id, actor="alex")
    practitioner = add_working_practitioner(records, "Alex Doe")
    room, room2 = records.add_room("Room 1"), records.add_room("Room 2")
    return World(db, records, practitioner, room, room2, add_candidate(records, "Sam", "Lee"))


@pytest.fixture
def world(shared_db: Database) -> World:
    """A new clinic in the session's shared database."""
    return make_world(shared_db)


@pytest.fixture
def fresh_world(fresh_db: Database) -> World:
    """A clinic in a database of its own (for tests that inspect or damage the database)."""
    return make_world(fresh_db)
