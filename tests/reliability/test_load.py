"""A bounded loopback load test of the real ``smpstudio serve`` (issue 9, item 4).

The server is started from its first run on SQLite or a throw-away PostgreSQL database; the
owner signs in and adds 40 clients and 4 practitioner accounts (10 and 2 in the default run),
each of which signs in through the sign-in form. Then locust
(``benchmarks/load_locustfile.py``, run as a separate process from ``.venv-load``: it
brings gevent, which has no place in the app's environment) sends
signed-in practitioners through the studio's main pages and the designer's live preview,
and anonymous visitors through the public site, for a fixed time at a fixed number of
concurrent users. The test prints requests/s, p50/p95/p99 and the error rate per endpoint
group; it asserts no failed request, no 5xx and no traceback in the server's log, never a
time (the figures depend on the machine).

Default run: SQLite, 8 users, 5 s (a smoke test). ``SMPSTUDIO_RELIABILITY_FULL=1``
(``make reliability``): 8 and 32 users on SQLite and on PostgreSQL, 25 s each.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest

from smpstudio.clinic import Accounts, open_database
from tests.clinic.conftest import PostgresServer, reachable_postgres

from ._server import CSRF, NEW_CLIENT, Server, _cookie, sign_in_owner

FULL = os.environ.get("SMPSTUDIO_RELIABILITY_FULL") == "1"
ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = ROOT / "benchmarks" / "load_locustfile.py"
LOCUST_ENV = "SMPSTUDIO_LOCUST"
SECONDS = 25 if FULL else 5
CELLS = (
    [("sqlite", 8), ("sqlite", 32), ("postgresql", 8), ("postgresql", 32)]
    if FULL
    else [("sqlite", 8)]
)
PATIENTS = 40 if FULL else 10
PRACTITIONERS = 4 if FULL else 2
PASSWORD = "load under test " + "y" * 8
GROUPS = ("studio", "preview", "site")


def _locust() -> Path:
    """The locust command: ``$SMPSTUDIO_LOCUST`` (set by make: must exist), else
    ``.venv-load/bin/locust`` (skip when it was never built)."""
    named = os.environ.get(LOCUST_ENV)
    if named:
        path = Path(named)
        assert path.is_file(), f"{LOCUST_ENV}={named} does not exist: run `make test`"
        return path
    path = ROOT / ".venv-load" / "bin" / "locust"
    if not path.is_file():
        pytest.skip(
            "locust is not installed: `make test` builds .venv-load (requirements/load.txt)"
        )
    return path


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    server = reachable_postgres()
    yield server
    server.drop_all()


def sign_in(server: Server, email: str, password: str) -> dict[str, str]:
    """A member of staff signs in through the form: their session cookie and CSRF token."""
    with httpx.Client(base_url=server.base, timeout=30) as c:
        page = c.get("/studio/sign-in")
        form_cookie = _cookie(page, "__Host-smp_form")
        token = CSRF.search(page.text)
        assert form_cookie
        assert token
        r = c.post(
            "/studio/sign-in",
            headers={"cookie": form_cookie},
            data={"csrf_token": token.group(1), "email": email, "password": password},
        )
        assert r.status_code == 303, r.text
        session = _cookie(r, "__Host-smp_session")
        assert session
        form = c.get("/studio/patients/new", headers={"cookie": session})
        assert form.status_code == 200
        csrf = CSRF.search(form.text)
        assert csrf
        return {"cookie": session, "csrf": csrf.group(1)}


def _prepare(server: Server, tmp_path: Path) -> dict[str, object]:
    """Clients and signed-in practitioners for the scenario (its JSON configuration)."""
    owner = sign_in_owner(server)
    patients: list[str] = []  # their URL tokens
    with httpx.Client(base_url=server.base, timeout=30, headers={"cookie": owner}) as c:
        token = CSRF.search(c.get("/studio/patients/new").text)
        assert token
        for n in range(PATIENTS):
            r = c.post(
                "/studio/patients/new",
                data={
                    "csrf_token": token.group(1),
                    "given_name": f"Load{n}",
                    "family_name": f"Client{secrets.token_hex(2)}",
                    "date_of_birth": "1975-06-01",
                    "notes": "made by the load test",
                },
            )
            match = NEW_CLIENT.match(r.headers.get("location", ""))
            assert r.status_code == 303, r.status_code
            assert match
            patients.append(match.group(1))
    emails = [f"practitioner{n}@load.example" for n in range(PRACTITIONERS)]
    with open_database(server.db, data_dir=server.data_dir, create=False) as db:
        accounts = Accounts(db)
        clinic = db.clinics()[0].id
        for n, email in enumerate(emails):
            accounts.add_user(
                clinic,
                actor="load-test",
                full_name=f"Practitioner {n}",
                email=email,
                role="practitioner",
                password=PASSWORD,
            )
    sessions = [sign_in(server, email, PASSWORD) for email in emails]
    return {"sessions": sessions, "patients": patients, "samples": str(tmp_path / "samples.jsonl")}


def _warm(server: Server, config: dict[str, object]) -> None:
    """Each page once (templates, JIT-compiled kernels, the home page's image) unmeasured."""
    sessions = config["sessions"]
    patients = config["patients"]
    assert isinstance(sessions, list)
    assert isinstance(patients, list)
    session = sessions[0]
    with httpx.Client(base_url=server.base, timeout=120) as c:
        for path in ("/", "/look/hero.jpg", "/candidacy", "/cost", "/preview", "/contact"):
            assert c.get(path).status_code == 200, path
        staff = {"cookie": session["cookie"]}
        for path in (
            "/studio/patients",
            "/studio/schedule",
            f"/studio/patients/{patients[0]}",
            f"/studio/patients/{patients[0]}/designer",
        ):
            assert c.get(path, headers=staff).status_code == 200, path
        r = c.post(
            "/studio/preview",
            json={"client": "warm", "height_cm": 8.0, "temporal_rise_mm": 15.0},
            headers={**staff, "x-csrf-token": session["csrf"]},
        )
        assert r.status_code == 200, r.status_code


@dataclass(frozen=True)
class Sample:
    group: str
    name: str
    ms: float
    status: int
    error: str


def _percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile (``q`` in 0–100) of ``values``."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def _rows(
    samples: list[Sample], seconds: float
) -> list[tuple[str, int, float, float, float, float, float]]:
    """Per group, then per endpoint, then overall: what, requests, req/s, p50, p95, p99 (ms),
    error %."""
    parts: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        parts[s.group].append(s)
    for s in samples:
        parts[s.name].append(s)
    rows = []
    for what, items in [*sorted(parts.items()), ("all", samples)]:
        ms = [s.ms for s in items]
        errors = sum(bool(s.error) for s in items)
        rows.append(
            (
                what if ":" not in what else f"· {what.split(':', 1)[1].strip()}",
                len(items),
                len(items) / seconds,
                _percentile(ms, 50),
                _percentile(ms, 95),
                _percentile(ms, 99),
                100 * errors / len(items),
            )
        )
    return rows


def _table(backend: str, users: int, seconds: float, samples: list[Sample]) -> str:
    lines = [
        f"load: {backend}, {users} users, {seconds:.0f} s (groups, then · their endpoints)",
        "| back end | users | group | requests | req/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for what, n, rate, p50, p95, p99, err in _rows(samples, seconds):
        lines.append(
            f"| {backend} | {users} | {what} | {n} | {rate:.1f} | {p50:.0f} | {p95:.0f} | "
            f"{p99:.0f} | {err:.1f} % |"
        )
    return "\n".join(lines)


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert _percentile(values, 50) == 50
    assert _percentile(values, 95) == 95
    assert _percentile(values, 99) == 99
    assert _percentile([7.0], 99) == 7
    assert _percentile([3.0, 1.0, 2.0], 50) == 2


@pytest.mark.slow
@pytest.mark.parametrize(("backend", "users"), CELLS)
def test_load(backend: str, users: int, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    locust = _locust()
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    if backend == "sqlite":
        db = str(data_dir / "clinic.sqlite3")
    else:
        postgres: PostgresServer = request.getfixturevalue("postgres")
        db = postgres.create()
    server = Server(db, data_dir)
    server.start()
    try:
        config = _prepare(server, tmp_path)
        _warm(server, config)
        config_file = tmp_path / "load.json"
        config_file.write_text(json.dumps(config))
        started = time.monotonic()
        run = subprocess.run(
            [
                str(locust),
                "-f",
                str(LOCUSTFILE),
                "--headless",
                "--users",
                str(users),
                "--spawn-rate",
                str(users),
                "--run-time",
                f"{SECONDS}s",
                "--host",
                server.base,
                "--only-summary",
                "--loglevel",
                "WARNING",
                "--exit-code-on-error",
                "0",
            ],
            capture_output=True,
            text=True,
            timeout=SECONDS + 120,
            check=False,
            env={**os.environ, "SMP_LOAD_CONFIG": str(config_file)},
            cwd=tmp_path,
        )
        elapsed = time.monotonic() - started
    finally:
        server.kill()
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    samples = [
        Sample(*json.loads(line)) for line in Path(str(config["samples"])).read_text().splitlines()
    ]
    print("\n" + _table(backend, users, SECONDS, samples) + f"\n(locust ran {elapsed:.1f} s)")
    assert {s.group for s in samples} == set(GROUPS), "a group of the scenario never ran"
    assert len(samples) >= 4 * users, f"only {len(samples)} requests"
    server_errors = [s for s in samples if s.status >= 500]
    assert not server_errors, server_errors[:5]
    failed = [s for s in samples if s.error]
    assert not failed, failed[:5]
    assert not [line for line in server.lines if "Traceback" in line], "\n".join(server.lines[-50:])
