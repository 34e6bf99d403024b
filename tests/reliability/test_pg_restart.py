"""PostgreSQL goes away under write load and comes back (issue 9, item 5).

The real ``smpstudio serve`` process on PostgreSQL; two signed-in client threads create
clients through ``POST /studio/patients/new`` and one reads a record, without pause, while
the database disappears and returns. The server is never restarted. Required:

- every answer during the outage is a clear ``503`` with ``Retry-After`` (no 500, no
  dropped HTTP connection, no traceback in the server's log);
- after the database is back, writes succeed again by themselves;
- every acknowledged creation (a 303 to the new record) is in the database, and
  ``smpstudio db check`` passes.

Two ways to take PostgreSQL away:

- **proxy** (every run): the app reaches PostgreSQL through a small TCP proxy
  (``_proxy.py``) that cuts every connection and refuses new ones for 2 s. The shared
  PostgreSQL server itself is not touched.
- **restart** (``SMPSTUDIO_RELIABILITY_FULL=1`` only): ``pg_ctlcluster 15 main restart``
  restarts the real server (every other client of that server sees it too). Skipped with
  the reason when ``pg_ctlcluster`` is missing, the cluster is not the one of
  ``SMPSTUDIO_TEST_POSTGRES``, or the restart is not permitted.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx2 as httpx
import psycopg
import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import select

from smpstudio.clinic import Patient, RecordIds, database_unavailable, open_database
from tests.clinic.conftest import ADMIN_URL, PostgresServer, reachable_postgres

from ._proxy import TcpProxy
from ._server import CSRF, NEW_CLIENT, Server, sign_in_owner, smpstudio

FULL = os.environ.get("SMPSTUDIO_RELIABILITY_FULL") == "1"
WRITERS = 2
PROXY_OUTAGE_S = 2.0
CLUSTER = ("15", "main")


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    server = reachable_postgres()
    yield server
    _wait_for_postgres(60)
    server.drop_all()


@dataclass(frozen=True)
class Attempt:
    """One request: when it was sent and answered (monotonic s) and what came back."""

    kind: str  # "write" or "read"
    started: float
    ended: float
    status: int | str  # the HTTP status, or the transport error's class name
    retry_after: str | None = None
    pid: int | None = None
    family: str = ""


@dataclass
class Load:
    """Writers and a reader that keep going through the outage, recording every answer."""

    base: str
    session: str
    ids: RecordIds
    attempts: list[Attempt] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, read_pid: int) -> None:
        for n in range(WRITERS):
            self._threads.append(threading.Thread(target=self._write, args=(n,), daemon=True))
        self._threads.append(threading.Thread(target=self._read, args=(read_pid,), daemon=True))
        for t in self._threads:
            t.start()

    def finish(self) -> None:
        self.stop.set()
        for t in self._threads:
            t.join(timeout=60)
            assert not t.is_alive()

    def wait_for(self, what: str, done: Callable[[Attempt], bool], *, timeout: float) -> None:
        """Block until an attempt satisfies ``done`` (a loaded machine may take seconds to
        answer the first writes; the outage must come after some were acknowledged)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if any(done(a) for a in self.attempts):
                    return
            time.sleep(0.05)
        raise AssertionError(f"no {what} within {timeout:.0f} s")

    def _client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=60, headers={"cookie": self.session})

    def _record(self, attempt: Attempt) -> None:
        with self._lock:
            self.attempts.append(attempt)

    def _write(self, writer: int) -> None:
        with self._client() as client:
            page = client.get("/studio/patients/new")
            token = CSRF.search(page.text)
            assert token, page.status_code
            n = 0
            while not self.stop.is_set():
                n += 1
                family = f"Restart{writer}-{n}"
                started = time.monotonic()
                data = {
                    "csrf_token": token.group(1),
                    "given_name": "Outage",
                    "family_name": family,
                    "date_of_birth": "1980-01-01",
                }
                try:
                    r = client.post("/studio/patients/new", data=data)
                except httpx.TransportError as exc:
                    self._record(Attempt("write", started, time.monotonic(), type(exc).__name__))
                    continue
                match = NEW_CLIENT.match(r.headers.get("location", ""))
                pid = self.ids.decode(match.group(1)) if r.status_code == 303 and match else None
                self._record(
                    Attempt(
                        "write",
                        started,
                        time.monotonic(),
                        r.status_code,
                        r.headers.get("retry-after"),
                        pid,
                        family,
                    )
                )
                if r.status_code != 303:
                    time.sleep(0.05)  # a browser's user would not hammer either

    def _read(self, pid: int) -> None:
        with self._client() as client:
            while not self.stop.is_set():
                started = time.monotonic()
                try:
                    r = client.get(f"/studio/patients/{self.ids.encode(pid)}")
                except httpx.TransportError as exc:
                    self._record(Attempt("read", started, time.monotonic(), type(exc).__name__))
                    continue
                self._record(
                    Attempt(
                        "read",
                        started,
                        time.monotonic(),
                        r.status_code,
                        r.headers.get("retry-after"),
                    )
                )
                if r.status_code != 200:
                    time.sleep(0.05)
                else:
                    time.sleep(0.01)

    def acknowledged(self) -> dict[int, str]:
        return {a.pid: a.family for a in self.attempts if a.pid is not None}


@dataclass(frozen=True)
class Outage:
    """What the app saw of one outage (``down``/``up``: when it was caused and ended)."""

    down: float
    up: float
    attempts: list[Attempt]

    @property
    def failed(self) -> list[Attempt]:
        ok = {"write": 303, "read": 200}
        return [a for a in self.attempts if a.status != ok[a.kind]]

    @property
    def writes(self) -> list[Attempt]:
        return sorted((a for a in self.attempts if a.kind == "write"), key=lambda a: a.started)

    def last_ack_before(self) -> float:
        return max(a.ended for a in self.writes if a.pid is not None and a.ended <= self.down)

    def first_ack_after(self) -> float:
        return min(a.ended for a in self.writes if a.pid is not None and a.started >= self.up)

    def summary(self, what: Callable[[], str]) -> str:
        codes = Counter(str(a.status) for a in self.failed)
        acked = sum(a.pid is not None for a in self.attempts)
        gap = self.first_ack_after() - self.last_ack_before()
        return (
            f"{what()}: caused {self.up - self.down:.2f} s; no write acknowledged for "
            f"{gap:.2f} s; {len(self.failed)} requests failed meanwhile "
            f"({', '.join(f'{n}× {c}' for c, n in sorted(codes.items()))}); first write "
            f"acknowledged {self.first_ack_after() - self.up:.2f} s after the database was "
            f"back; {acked} acknowledged in all"
        )


def test_unavailable_database_errors_are_told_from_faults() -> None:
    """The 503 classifier on real driver exceptions: away or locked, not a bad statement."""

    def wrapped(orig: Exception) -> sa_exc.DBAPIError:
        base = sqlite3.Error if isinstance(orig, sqlite3.Error) else psycopg.Error
        wrapped = sa_exc.DBAPIError.instance("SELECT 1", {}, orig, base)
        assert isinstance(wrapped, sa_exc.DBAPIError)
        return wrapped

    assert database_unavailable(wrapped(psycopg.OperationalError("connection refused")))
    assert database_unavailable(wrapped(psycopg.errors.AdminShutdown("terminating")))
    assert database_unavailable(wrapped(sqlite3.OperationalError("database is locked")))
    assert database_unavailable(sa_exc.TimeoutError("QueuePool limit reached"))
    assert not database_unavailable(wrapped(sqlite3.OperationalError("no such table: x")))
    assert not database_unavailable(wrapped(psycopg.errors.UndefinedTable("no table")))
    assert not database_unavailable(wrapped(psycopg.errors.UniqueViolation("duplicate")))
    assert not database_unavailable(ValueError("not a database error"))


def _stored(db: str, data_dir: Path, ids: set[int]) -> dict[int, str]:
    with (
        open_database(db, data_dir=data_dir, create=False) as database,
        database.transaction(readonly=True) as s,
    ):
        rows = s.execute(select(Patient.id, Patient.family_name).where(Patient.id.in_(ids)))
        return {int(pid): str(name) for pid, name in rows}


def _first_patient(server: Server, session: str) -> int:
    with httpx.Client(base_url=server.base, timeout=30, headers={"cookie": session}) as c:
        token = CSRF.search(c.get("/studio/patients/new").text)
        assert token
        r = c.post(
            "/studio/patients/new",
            data={
                "csrf_token": token.group(1),
                "given_name": "Read",
                "family_name": "Me",
                "date_of_birth": "1970-01-01",
            },
        )
        match = NEW_CLIENT.match(r.headers.get("location", ""))
        assert r.status_code == 303, r.status_code
        assert match
        pid = server.ids().decode(match.group(1))
        assert pid is not None
        return pid


def _wait_for_postgres(timeout: float) -> float:
    """Seconds until PostgreSQL accepts a session again (0 when it already does)."""
    started = time.monotonic()
    while True:
        try:
            with psycopg.connect(ADMIN_URL, connect_timeout=2, autocommit=True) as conn:
                conn.execute("SELECT 1")
            return time.monotonic() - started
        except psycopg.Error:
            if time.monotonic() - started > timeout:
                raise
            time.sleep(0.05)


def _run_outage(
    db: str,
    served_db: str,
    data_dir: Path,
    take_away: Callable[[], None],
    what: Callable[[], str],
) -> Outage:
    """Start the server on ``served_db``, write through ``take_away()``, then check."""
    server = Server(served_db, data_dir)
    server.start()
    try:
        session = sign_in_owner(server)
        load = Load(server.base, session, server.ids())
        load.start(_first_patient(server, session))
        try:
            load.wait_for("acknowledged write", lambda a: a.pid is not None, timeout=60)
            time.sleep(1.0)  # writing at full speed
            down = time.monotonic()
            take_away()
            up = time.monotonic()
            time.sleep(3.0)  # and after
            load.wait_for(
                "write acknowledged a second after recovery",
                lambda a: a.pid is not None and a.started >= up + 1.0,
                timeout=60,
            )
        finally:
            load.finish()
    finally:
        server.kill()
    outage = Outage(down, up, load.attempts)
    print("\n" + outage.summary(what))
    failed = outage.failed
    assert failed, "the outage was not noticed: no request failed"
    wrong = Counter(str(a.status) for a in failed if a.status != 503)
    assert not wrong, f"answers other than 503 during the outage: {dict(wrong)}"
    assert all(a.retry_after for a in failed), "a 503 without Retry-After"
    assert not [line for line in server.lines if "Traceback" in line], "\n".join(server.lines)
    late = [a for a in outage.attempts if a.started >= up + 1.0]
    assert late, "no request in the second after recovery"
    still = Counter(str(a.status) for a in late if a.status not in (200, 303))
    assert not still, f"requests still failing 1 s after the database came back: {dict(still)}"
    outage.first_ack_after()  # writes succeed again (raises when none did)
    acked = load.acknowledged()
    found = _stored(db, data_dir, set(acked))
    print(f"acknowledged {len(acked)}, found {len(found)} with the names sent")
    assert found == acked  # none lost, none altered
    check = smpstudio("db", "check", "--db", db, "--data-dir", str(data_dir))
    assert check.returncode == 0, check.stdout + check.stderr
    print("`smpstudio db check` passed")
    return outage


@pytest.mark.slow
def test_postgres_away_through_proxy_answers_503_and_recovers(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    db = postgres.create()
    target = urlsplit(ADMIN_URL)
    proxy = TcpProxy((target.hostname or "127.0.0.1", target.port or 5432)).start()
    try:
        served = db.replace(target.netloc.rpartition("@")[2], f"127.0.0.1:{proxy.port}", 1)
        assert served != db
        _run_outage(
            db,
            served,
            tmp_path,
            lambda: proxy.outage(PROXY_OUTAGE_S),
            lambda: f"proxy outage, {proxy.dropped} connections cut",
        )
    finally:
        proxy.close()
    assert proxy.dropped >= 1  # the app's pooled connections were really cut


@pytest.mark.slow
@pytest.mark.skipif(not FULL, reason="restarts the shared PostgreSQL: SMPSTUDIO_RELIABILITY_FULL=1")
def test_postgres_restarted_answers_503_and_recovers(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    pg_ctlcluster = shutil.which("pg_ctlcluster")
    if pg_ctlcluster is None:
        pytest.skip("pg_ctlcluster is not installed (Debian's postgresql-common)")
    target = urlsplit(ADMIN_URL)
    if target.hostname not in ("127.0.0.1", "localhost") or (target.port or 5432) != 5432:
        pytest.skip(f"{ADMIN_URL} is not the local cluster {'/'.join(CLUSTER)} on port 5432")
    status = subprocess.run(
        [pg_ctlcluster, *CLUSTER, "status"], capture_output=True, text=True, check=False
    )
    if status.returncode != 0:
        pytest.skip(f"no running cluster {'/'.join(CLUSTER)}: {status.stdout}{status.stderr}")
    if os.geteuid() != 0:
        pytest.skip("restarting the cluster needs root (or its owner)")
    db = postgres.create()
    took: list[float] = []

    def restart() -> None:
        started = time.monotonic()
        done = subprocess.run(
            [pg_ctlcluster, *CLUSTER, "restart"], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            _wait_for_postgres(60)
            pytest.skip(f"pg_ctlcluster restart was refused: {done.stdout}{done.stderr}")
        _wait_for_postgres(60)
        took.append(time.monotonic() - started)

    _run_outage(db, db, tmp_path, restart, lambda: f"pg_ctlcluster restart ({took[0]:.2f} s)")
