"""The real ``smpstudio serve`` process for the fault tests: start, SIGKILL, restart, and a
signed-in staff client that speaks plain HTTP to it (cookies sent by hand: the server's
``__Host-`` cookies are ``Secure``, which a client keeps only over HTTPS).
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx2 as httpx

from smpstudio.clinic import RecordIds, open_database

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
OWNER = "owner@faults.example"
NEW_PASSWORD = "faults under test " + "x" * 8
NEW_CLIENT = re.compile(r"^/studio/patients/([a-z2-7]{26})$")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def smpstudio(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the ``smpstudio`` command line as a real process."""
    return subprocess.run(
        [sys.executable, "-m", "smpstudio", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )


@dataclass
class Server:
    """``smpstudio serve`` on a free loopback port, over one database and data directory."""

    db: str
    data_dir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[str] | None = None
    lines: list[str] = field(default_factory=list)
    extra_args: list[str] = field(default_factory=list)
    _drain: threading.Thread | None = None

    def ids(self) -> RecordIds:
        """The record-id tokens of the server's database (``smpstudio.web._ids``)."""
        with open_database(self.db, data_dir=self.data_dir, create=False) as db:
            return RecordIds(db.record_id_key())

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> list[str]:
        assert self.proc is None
        cmd = ["serve", "--db", self.db, "--data-dir", str(self.data_dir), "--port", str(self.port)]
        cmd += ["--clinic", "Fault Clinic", "--timezone", "Europe/London", "--owner-email", OWNER]
        cmd += self.extra_args
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "smpstudio", *cmd],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "COLUMNS": "200"},
        )
        assert self.proc.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip())
            if "Application startup complete" in line or "Uvicorn running" in line:
                # "startup complete" is logged before the socket listens: wait for it.
                _wait_listening(self.port, deadline)
                self.lines += lines
                # Keep reading the log (one access line per request): a full pipe would
                # stop the server at its next log line.
                self._drain = threading.Thread(
                    target=self._read_log, args=(self.proc.stdout,), daemon=True
                )
                self._drain.start()
                return lines
        self.kill()
        raise AssertionError("the server did not start:\n" + "\n".join(lines))

    def _read_log(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(line.rstrip())

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush, no goodbye."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        drain, self._drain = self._drain, None
        if drain is not None:
            drain.join(timeout=30)
        assert proc.stdout is not None
        proc.stdout.close()

    def one_time_password(self) -> str:
        match = re.search(r"password\s+([a-z0-9-]{23})\s+\(shown once", "\n".join(self.lines))
        assert match, "no one-time password printed:\n" + "\n".join(self.lines)
        return match.group(1)


def _cookie(response: httpx.Response, name: str) -> str | None:
    for header in response.headers.get_list("set-cookie"):
        pair = header.split(";")[0]
        if pair.startswith(name + "="):
            return pair
    return None


def sign_in_owner(server: Server) -> str:
    """The owner's first sign-in with the one-time password, then the forced password
    change; returns the session cookie (``name=value``), kept in the database."""
    with httpx.Client(base_url=server.base, timeout=30) as c:
        page = c.get("/studio/sign-in")
        form_cookie = _cookie(page, "__Host-smp_form")
        assert form_cookie, page.headers
        token = CSRF.search(page.text)
        assert token
        r = c.post(
            "/studio/sign-in",
            headers={"cookie": form_cookie},
            data={
                "csrf_token": token.group(1),
                "email": OWNER,
                "password": server.one_time_password(),
                "next": "/studio",
            },
        )
        assert r.status_code == 303, r.text
        session = _cookie(r, "__Host-smp_session")
        assert session
        forced = c.get("/studio/patients/new", headers={"cookie": session})
        assert forced.status_code == 303
        assert forced.headers["location"] == "/studio/account/password"
        form = c.get("/studio/account/password", headers={"cookie": session})
        token = CSRF.search(form.text)
        assert token
        r = c.post(
            "/studio/account/password",
            headers={"cookie": session},
            data={
                "csrf_token": token.group(1),
                "current_password": server.one_time_password(),
                "new_password": NEW_PASSWORD,
                "new_password_again": NEW_PASSWORD,
            },
        )
        assert r.status_code == 303, r.text
        session = _cookie(r, "__Host-smp_session")
        assert session
        assert c.get("/studio/patients/new", headers={"cookie": session}).status_code == 200
        return session


class Creator:
    """Creates clients through ``POST /studio/patients/new`` until the server goes away.

    A creation counts as acknowledged only when the answer is a 303 to the new record;
    ``acked`` maps its id to the family name sent.
    """

    def __init__(self, base: str, session: str, *, ids: RecordIds) -> None:
        self.client = httpx.Client(base_url=base, timeout=30, headers={"cookie": session})
        self.ids = ids
        self.acked: dict[int, str] = {}
        self.failures: list[str] = []
        self.tag = secrets.token_hex(3)
        self._n = 0

    def csrf(self) -> str:
        page = self.client.get("/studio/patients/new")
        assert page.status_code == 200, (page.status_code, page.headers)
        token = CSRF.search(page.text)
        assert token
        return token.group(1)

    def create_one(self, token: str) -> int:
        self._n += 1
        family = f"F{self.tag}-{self._n}"
        r = self.client.post(
            "/studio/patients/new",
            data={
                "csrf_token": token,
                "given_name": "Kill",
                "family_name": family,
                "date_of_birth": "1980-01-01",
            },
        )
        match = NEW_CLIENT.match(r.headers.get("location", ""))
        if r.status_code != 303 or match is None:
            self.failures.append(f"{r.status_code} {r.headers.get('location')} {r.text[:200]}")
            raise AssertionError(self.failures[-1])
        pid = self.ids.decode(match.group(1))
        assert pid is not None
        self.acked[pid] = family
        return pid

    def run_until_gone(self) -> None:
        """Create clients until the connection fails (the server was killed)."""
        try:
            token = self.csrf()
            while True:
                self.create_one(token)
        except httpx.TransportError:
            return

    def close(self) -> None:
        self.client.close()


def _wait_listening(port: int, deadline: float) -> None:
    """Return once 127.0.0.1:``port`` accepts a connection (or the deadline passes)."""
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return
        except OSError:
            time.sleep(0.05)
