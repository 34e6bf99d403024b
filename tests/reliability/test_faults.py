"""Faults (issue 9, item 5) on the real ``smpstudio serve`` process.

1. The server is SIGKILLed while a signed-in client creates clients through HTTP (staff
   creation: the public consultation form is rate-limited per address). Every creation the
   server acknowledged (a 303 to the new record) must survive; after each kill
   ``smpstudio db check`` passes, then the server is restarted and the writing goes on.
   20 kills with ``SMPSTUDIO_RELIABILITY_FULL=1``, 3 otherwise.
2. ``smpstudio db backup`` taken while clients are created as fast as the server accepts
   them restores (``smpstudio db restore``) into a fresh data directory, passes
   ``smpstudio db check`` and holds every record acknowledged before the backup started.
3. The same backup while writers paced at 150 clients/s go through the clinic API (the
   issue's "backup under 100 writes/s", which one HTTP server on two vCPUs cannot feed).

The PostgreSQL cases use a throw-away database on the server of SMPSTUDIO_TEST_POSTGRES
(skipped when unreachable, failed when SMPSTUDIO_REQUIRE_POSTGRES=1); the PostgreSQL server
itself is never restarted here.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from smpstudio.clinic import Patient, open_database
from tests.clinic.conftest import PostgresServer, reachable_postgres

from ._server import Creator, Server, sign_in_owner, smpstudio

FULL = os.environ.get("SMPSTUDIO_RELIABILITY_FULL") == "1"
KILLS = 20 if FULL else 3
BACKUP_WRITERS = 4


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    server = reachable_postgres()
    yield server
    server.drop_all()


@pytest.fixture
def make_db(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Callable[[str, str], tuple[str, Path]]:
    """A new, empty database of a back end and its data directory: (``--db``, data dir)."""

    def make(backend: str, name: str) -> tuple[str, Path]:
        data_dir = tmp_path / name
        data_dir.mkdir()
        if backend == "sqlite":
            return str(data_dir / "clinic.sqlite3"), data_dir
        server: PostgresServer = request.getfixturevalue("postgres")
        return server.create(), data_dir

    return make


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.kill()


def _stored(db: str, data_dir: Path, ids: set[int]) -> dict[int, str]:
    """The family names of the given clients as the database holds them (reopened, as
    after a crash)."""
    with (
        open_database(db, data_dir=data_dir, create=False) as database,
        database.transaction(readonly=True) as s,
    ):
        rows = s.execute(select(Patient.id, Patient.family_name).where(Patient.id.in_(ids)))
        return {int(pid): str(name) for pid, name in rows}


def _check(db: str, data_dir: Path) -> None:
    result = smpstudio("db", "check", "--db", db, "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stdout + result.stderr


def _wait_for(creator: Creator, acks: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(creator.acked) < acks:
        assert not creator.failures, creator.failures
        assert time.monotonic() < deadline, "the client stopped making progress"
        time.sleep(0.002)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sigkilled_server_loses_no_acknowledged_client(
    backend: str,
    make_db: Callable[[str, str], tuple[str, Path]],
    servers: list[Server],
) -> None:
    db, data_dir = make_db(backend, "data")
    server = Server(db, data_dir)
    servers.append(server)
    server.start()
    session = sign_in_owner(server)
    rng = random.Random(20261202)
    acked: dict[int, str] = {}
    started = time.monotonic()
    for _ in range(KILLS):
        creator = Creator(server.base, session, ids=server.ids())
        thread = threading.Thread(target=creator.run_until_gone, daemon=True)
        thread.start()
        target = rng.randint(5, 40)
        _wait_for(creator, target)
        time.sleep(rng.uniform(0, 0.05))  # land the kill anywhere in a request
        server.kill()
        thread.join(timeout=30)
        assert not thread.is_alive()
        creator.close()
        assert not creator.failures, creator.failures
        acked |= creator.acked
        _check(db, data_dir)
        assert _stored(db, data_dir, set(acked)) == acked  # none lost, none altered
        server.start()
    elapsed = time.monotonic() - started
    print(
        f"\n{backend}: {KILLS} SIGKILLs of `smpstudio serve`, {len(acked)} acknowledged "
        f"clients, 0 lost, `db check` passed after every kill ({elapsed:.0f} s)"
    )
    assert len(acked) >= 5 * KILLS


@pytest.mark.slow
def test_backup_under_load_restores_and_checks(
    make_db: Callable[[str, str], tuple[str, Path]],
    servers: list[Server],
    tmp_path: Path,
) -> None:
    db, data_dir = make_db("sqlite", "live")
    server = Server(db, data_dir)
    servers.append(server)
    server.start()
    session = sign_in_owner(server)
    creators = [Creator(server.base, session, ids=server.ids()) for _ in range(BACKUP_WRITERS)]
    tokens = [c.csrf() for c in creators]
    stop = threading.Event()

    def write(creator: Creator, token: str) -> None:
        while not stop.is_set():
            creator.create_one(token)

    threads = [
        threading.Thread(target=write, args=pair, daemon=True)
        for pair in zip(creators, tokens, strict=True)
    ]
    for t in threads:
        t.start()

    def total() -> int:
        return sum(len(c.acked) for c in creators)

    try:
        time.sleep(0.5)  # warm up
        warm_count, warm_t = total(), time.monotonic()
        time.sleep(2.0)  # the rate without a backup, for comparison
        before: dict[int, str] = {}
        for c in creators:
            before |= dict(c.acked)
        count0, t0 = total(), time.monotonic()
        idle_rate = (count0 - warm_count) / (t0 - warm_t)
        result = smpstudio("db", "backup", str(tmp_path / "backup"), "--db", db)
        count1, t1 = total(), time.monotonic()
        time.sleep(0.5)  # writes go on after the snapshot
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    for c in creators:
        c.close()
        assert not c.failures, c.failures
    server.kill()
    assert result.returncode == 0, result.stdout + result.stderr
    rate = (count1 - count0) / (t1 - t0)

    target_db, target_dir = make_db("sqlite", "restored")
    restored = smpstudio(
        "db", "restore", str(tmp_path / "backup"), "--db", target_db, "--data-dir", str(target_dir)
    )
    assert restored.returncode == 0, restored.stdout + restored.stderr
    _check(target_db, target_dir)
    assert _stored(target_db, target_dir, set(before)) == before
    print(
        f"\nbackup under load: {count1 - count0} clients created during a {t1 - t0:.2f} s "
        f"backup ({rate:.0f} writes/s, {BACKUP_WRITERS} clients; {idle_rate:.0f} writes/s "
        f"without a backup); {len(before)} acknowledged "
        "before it began, all restored; restore and `db check` passed"
    )
    # Writers must not be blocked by the backup; the rate itself is a figure
    # (docs/reliability.md), not asserted: it depends on the machine's load.
    assert count1 > count0, "no write completed while the backup ran"


BACKUP_RATE = 150  # writes/s asked of the writers below (the issue: a backup under 100/s)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_backup_at_over_100_writes_per_second_restores_and_checks(
    backend: str, make_db: Callable[[str, str], tuple[str, Path]], tmp_path: Path
) -> None:
    """Writers paced at 150 clients/s through the clinic API (one process may reach that; one
    HTTP server on two vCPUs does not, see above) while ``smpstudio db backup`` runs."""
    db, data_dir = make_db(backend, "live")
    database = open_database(db, data_dir=data_dir, create=True)
    database.upgrade()
    clinics = [
        database.create_clinic(f"Clinic {k}", timezone="UTC", actor="test").id for k in (1, 2)
    ]
    acked: list[dict[int, str]] = [{}, {}]
    failures: list[BaseException] = []
    stop = threading.Event()

    def write(k: int) -> None:
        records = database.clinic(clinics[k], actor="test")
        start, n = time.monotonic(), 0
        try:
            while not stop.is_set():
                name = f"W{k}-{n}"
                patient = records.add_patient("Backup", name, date_of_birth=date(1980, 1, 1))
                acked[k][patient.id] = name
                n += 1
                time.sleep(max(0.0, start + n * len(clinics) / BACKUP_RATE - time.monotonic()))
        except BaseException as exc:  # reported by the test thread
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(k,), daemon=True) for k in (0, 1)]
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)
        before = {pid: name for a in acked for pid, name in list(a.items())}
        count0, t0 = sum(len(a) for a in acked), time.monotonic()
        result = smpstudio("db", "backup", str(tmp_path / "backup"), "--db", db)
        count1, t1 = sum(len(a) for a in acked), time.monotonic()
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
        database.close()
    assert not failures, failures
    assert result.returncode == 0, result.stdout + result.stderr
    target_db, target_dir = make_db(backend, "restored")
    restored = smpstudio(
        "db", "restore", str(tmp_path / "backup"), "--db", target_db, "--data-dir", str(target_dir)
    )
    assert restored.returncode == 0, restored.stdout + restored.stderr
    _check(target_db, target_dir)
    assert _stored(target_db, target_dir, set(before)) == before
    rate = (count1 - count0) / (t1 - t0)
    print(
        f"\nbackup at {BACKUP_RATE} writes/s asked ({backend}): {count1 - count0} clients "
        f"created during a {t1 - t0:.2f} s backup ({rate:.0f} writes/s); {len(before)} "
        "acknowledged before it began, all restored; restore and `db check` passed"
    )
    assert count1 > count0, "no write completed while the backup ran"
