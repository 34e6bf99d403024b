"""Fixtures of the web studio's tests: a real database (SQLite, and PostgreSQL where the
server is reachable — as in tests/clinic), two clinics with their staff, and signed-in
clients that speak HTTPS to the app in-process.

Clinic A ("Soho") has an owner, a practitioner (linked to a certified practitioner with
hours Mon–Sat 09:00–18:00), a front-desk account, two rooms, the default consent forms and
a client who is a candidate with treatment and photo consent. Clinic B ("Leeds") has an
owner and one client. Passwords are hashed with argon2's cheapest profile here only.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path
from time import monotonic, sleep

import psycopg
import pytest
import uvicorn
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from benchmarks.web import CHROMIUM, CHROMIUM_ARGS
from playwright.sync_api import Browser, sync_playwright
from psycopg import sql
from starlette.applications import Starlette
from starlette.testclient import TestClient

from smpstudio.clinic import (
    CONTRAINDICATION_KEYS,
    Accounts,
    ClinicConfig,
    ClinicRecords,
    Database,
    RecordIds,
    open_database,
)
from smpstudio.web import WebConfig, create_app
from smpstudio.web._defaults import publish_default_consent_forms

ADMIN_URL = os.environ.get("SMPSTUDIO_TEST_POSTGRES", "postgresql://root@127.0.0.1:5432/postgres")
PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
MONDAY = date(2031, 3, 3)
# The shared worlds keep every booking, and a practitioner takes one SMP client a day: each
# test that books in them has Mondays of its own (the clock reads 2030-06-12, tests/conftest.py).
BOOKING_DAYS = {
    "browser": date(2030, 9, 2),
    "pages-conflict": date(2030, 9, 16),
    "pages-schedule": date(2030, 10, 7),
    "security-404": date(2030, 11, 4),
    "authz-matrix": date(2031, 4, 7),  # and the Mondays after it
    "api-contract": date(2031, 5, 5),  # and the Mondays after it
    "plan-booking": date(2033, 1, 3),  # a plan's sessions, every 14 days from it
    "move-booking": date(2030, 12, 2),  # and two Mondays after (the record lists a year)
}
HASHER = PasswordHasher.from_parameters(CHEAPEST)


class PostgresServer:
    """Throw-away databases with unique names, dropped at the end of the session."""

    def __init__(self) -> None:
        self.prefix = f"smpstudio_webtest_{os.getpid()}_{secrets.token_hex(3)}"
        self.counter = itertools.count()
        self.created: list[str] = []

    def create(self) -> str:
        name = f"{self.prefix}_{next(self.counter)}"
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.created.append(name)
        return f"{ADMIN_URL.rpartition('/')[0]}/{name}"

    def drop_all(self) -> None:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            for name in self.created:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    try:
        with psycopg.connect(ADMIN_URL, connect_timeout=5, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        reason = f"PostgreSQL not reachable at {ADMIN_URL}: {' '.join(str(exc).split())}"
        if os.environ.get("SMPSTUDIO_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{reason} (SMPSTUDIO_REQUIRE_POSTGRES=1)", pytrace=False)
        pytest.skip(reason)
    server = PostgresServer()
    yield server
    server.drop_all()


def no_contraindications() -> dict[str, bool]:
    return dict.fromkeys(CONTRAINDICATION_KEYS, False)


@dataclass
class Clinic:
    """One clinic of the test world: its id, records and staff e-mails by role."""

    id: int
    records: ClinicRecords
    staff: dict[str, str]
    patient_id: int
    practitioner_id: int | None = None
    room_ids: list[int] = field(default_factory=list)


@dataclass
class World:
    db: Database
    accounts: Accounts
    app: Starlette
    a: Clinic
    b: Clinic
    tmp: Path
    _clients: list[TestClient] = field(default_factory=list)

    def client(self) -> TestClient:
        """A browser without a session (HTTPS, so that __Host- cookies are kept)."""
        c = TestClient(self.app, base_url="https://testserver")
        c.__enter__()
        self._clients.append(c)
        return c

    def sign_in(self, email: str, password: str = PASSWORD) -> TestClient:
        c = self.client()
        token = csrf_of(c.get("/studio/sign-in").text)
        r = c.post(
            "/studio/sign-in",
            data={"csrf_token": token, "email": email, "password": password, "next": "/studio"},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        return c

    def as_role(self, role: str, clinic: str = "a") -> TestClient:
        target = self.a if clinic == "a" else self.b
        return self.sign_in(target.staff[role])

    def new_patient(self, clinic: str = "a", *, consents: bool = True) -> int:
        target = self.a if clinic == "a" else self.b
        return add_candidate(target.records, consents=consents)

    def close(self) -> None:
        for c in self._clients:
            c.__exit__(None, None, None)


def _ids(owner: World | TestClient | Starlette) -> RecordIds:
    app = owner.app if isinstance(owner, (World, TestClient)) else owner
    ids: RecordIds = app.state.record_ids  # type: ignore[union-attr]
    return ids


def rid(owner: World | TestClient | Starlette, record_id: int) -> str:
    """The token of ``record_id`` in the URLs of ``owner``'s deployment (its database's key,
    ``smpstudio.clinic.RecordIds``): every test that builds a URL from a record id goes
    through this."""
    return _ids(owner).encode(record_id)


def unrid(owner: World | TestClient | Starlette, token: str) -> int:
    """The record id of a token read from a page or a redirect (``rid``'s inverse)."""
    record_id = _ids(owner).decode(token)
    assert record_id is not None, f"{token!r} is not a record token of this deployment"
    return record_id


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def add_candidate(records: ClinicRecords, *, consents: bool = True) -> int:
    n = secrets.token_hex(3)
    patient = records.add_patient(
        f"Sam{n}", "Lee", date_of_birth=date(1980, 5, 1), email=f"sam{n}@example.com"
    )
    records.record_consultation(
        patient.id,
        held_on=records.today() - timedelta(days=30),
        reasons=["pattern-loss"],
        stage="norwood-5",
        answers=no_contraindications(),
    )
    if consents:
        for kind in ("treatment", "photo"):
            form = records.consent_forms(kind)[-1]
            records.record_consent(patient.id, form.id, decision="granted", signed_name="Sam Lee")
        add_clean_patch_test(records, patient.id)
    return patient.id


PATCH_TESTED_PIGMENT = "Ink Co Carbon"


def add_clean_patch_test(records: ClinicRecords, patient_id: int) -> None:
    """A patch test with PATCH_TESTED_PIGMENT ten days ago, read clean two days later."""
    practitioner = records.practitioners()[0].id
    applied = records.now() - timedelta(days=10)
    test = records.record_patch_test(
        patient_id,
        practitioner_id=practitioner,
        applied_at=applied,
        brand=PATCH_TESTED_PIGMENT,
        batch="PT-1",
        expires_on=date(2099, 1, 1),
    )
    records.read_patch_test(
        test.id, practitioner_id=practitioner, read_at=applied + timedelta(days=2), reaction="none"
    )


def _clinic(db: Database, accounts: Accounts, name: str, roles: tuple[str, ...]) -> Clinic:
    tag = secrets.token_hex(3)
    owner_email = f"owner-{tag}@{name.lower()}.example"
    if accounts.user_count() == 0:
        clinic, _, _ = accounts.create_first_owner(
            clinic_name=name,
            timezone="Europe/London",
            full_name=f"{name} Owner",
            email=owner_email,
            password=PASSWORD,
        )
    else:
        clinic = db.create_clinic(name, timezone="Europe/London", actor="test")
        accounts.add_user(
            clinic.id,
            actor="test",
            full_name=f"{name} Owner",
            email=owner_email,
            role="owner",
            password=PASSWORD,
        )
    records = db.clinic(clinic.id, actor="test")
    publish_default_consent_forms(records)
    staff = {"owner": owner_email}
    practitioner = records.add_practitioner(
        "Alex Doe",
        certification_body="SMP Academy",
        certification_number="C-1",
        certified_on=date(2020, 1, 1),
    )
    records.add_hygiene_attestation(
        practitioner.id, kind="bloodborne-pathogens", reference="BBP-1", issued_on=date(2024, 1, 1)
    )
    for weekday in range(6):
        records.add_availability(practitioner.id, weekday=weekday, start=time(9), end=time(18))
    rooms = [records.add_room("Room 1").id, records.add_room("Room 2").id]
    for role in roles:
        email = f"{role}-{tag}@{name.lower()}.example"
        accounts.add_user(
            clinic.id,
            actor="test",
            full_name=f"{role.title()} Person",
            email=email,
            role=role,
            password=PASSWORD,
            practitioner_id=practitioner.id if role == "practitioner" else None,
        )
        staff[role] = email
    return Clinic(clinic.id, records, staff, add_candidate(records), practitioner.id, rooms)


def make_world(config: ClinicConfig, tmp: Path, web: WebConfig | None = None) -> World:
    db = open_database(config)
    db.upgrade()
    accounts = Accounts(db, hasher=HASHER)
    a = _clinic(db, accounts, "Soho", ("practitioner", "front-desk"))
    b = _clinic(db, accounts, "Leeds", ("practitioner",))
    app = create_app(db, accounts=accounts, config=web or WebConfig(public_clinic_id=a.id))
    return World(db, accounts, app, a, b, tmp)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _config(backend: str, tmp: Path, request: pytest.FixtureRequest) -> ClinicConfig:
    if backend == "sqlite":
        return ClinicConfig.from_env(db=str(tmp / "clinic.sqlite3"), data_dir=tmp)
    server: PostgresServer = request.getfixturevalue("postgres")
    return ClinicConfig.from_env(db=server.create(), data_dir=tmp)


_WORLDS: dict[str, World] = {}


@pytest.fixture
def world_on(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> World:
    """The shared world of a back end (made once per test session and worker)."""
    if backend not in _WORLDS:
        tmp = tmp_path_factory.mktemp(f"web-{backend}")
        _WORLDS[backend] = make_world(_config(backend, tmp, request), tmp)
    return _WORLDS[backend]


@pytest.fixture
def world(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> World:
    """The shared SQLite world."""
    if "sqlite" not in _WORLDS:
        tmp = tmp_path_factory.mktemp("web-sqlite")
        _WORLDS["sqlite"] = make_world(_config("sqlite", tmp, request), tmp)
    return _WORLDS["sqlite"]


@pytest.fixture
def fresh_world(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[World]:
    """A world of its own (for tests that count audit rows or exhaust limits)."""
    w = make_world(_config("sqlite", tmp_path, request), tmp_path)
    yield w
    w.close()
    w.db.close()


@pytest.fixture(scope="session", autouse=True)
def _close_worlds() -> Iterator[None]:
    yield
    for w in _WORLDS.values():
        w.close()
        w.db.close()


Signer = Callable[[str], TestClient]


# --- a real browser and a live server (tests/web/test_browser*.py) --------------------------
# Playwright drives Debian's Chromium against a real uvicorn server on loopback. The fixtures
# are module-scoped: each test module has its own world, server and browser.

ARGS = CHROMIUM_ARGS  # the benchmark's browsers run with the same flags
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make installs it)"
)
"""A browser test module's ``pytestmark``."""


class LiveServer:
    def __init__(self, world: World) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        config = uvicorn.Config(world.app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = monotonic() + 30
        while not self.server.started and monotonic() < deadline:
            sleep(0.02)
        assert self.server.started
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, LiveServer]]:
    """A world of the module's own, served by uvicorn on loopback (with the clinic's
    address, phone and e-mail set, as the public pages show them)."""
    tmp = tmp_path_factory.mktemp("browser")
    world = make_world(ClinicConfig.from_env(db=str(tmp / "c.sqlite3"), data_dir=tmp), tmp)
    world.app = create_app(
        world.db,
        accounts=world.accounts,
        config=WebConfig(
            public_clinic_id=world.a.id,
            clinic_address="12 Greek Street, London W1D 4DH",
            clinic_phone="+44 20 7946 0000",
            clinic_email="hello@soho-smp.example",
        ),
    )
    with LiveServer(world) as server:
        yield world, server
    world.close()
    world.db.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Screenshots: $SMPSTUDIO_SCREENSHOTS (docs/screenshots when refreshing the docs)."""
    target = os.environ.get("SMPSTUDIO_SCREENSHOTS")
    folder = Path(target) if target else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
