"""``smpstudio serve`` as a person runs it: first run, the one-time password, a real server."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx

from tests.web.conftest import CSRF


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(tmp: Path, port: int, *extra: str) -> tuple[subprocess.Popen[str], list[str]]:
    cmd = [
        sys.executable,
        "-m",
        "smpstudio",
        "serve",
        "--db",
        str(tmp / "c.sqlite3"),
        "--data-dir",
        str(tmp),
        "--port",
        str(port),
        *extra,
    ]
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    lines: list[str] = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if "Uvicorn running" in line or "Application startup complete" in line:
            return proc, lines
    _stop(proc)
    raise AssertionError("the server did not start:\n" + "\n".join(lines))


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def test_first_run_creates_the_owner_once_and_serves(tmp_path: Path) -> None:
    port = _free_port()
    proc, lines = _start(
        tmp_path,
        port,
        "--clinic",
        "Test Clinic",
        "--timezone",
        "Europe/Paris",
        "--owner-email",
        "boss@test.example",
    )
    try:
        text = "\n".join(lines)
        assert "created the clinic 'Test Clinic' (Europe/Paris)" in text
        password = re.search(r"password\s+([a-z0-9-]{23})\s+\(shown once", text)[1]
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base) as client:
            page = client.get("/studio/sign-in")
            assert page.status_code == 200
            assert "Sign in" in page.text
            token = CSRF.search(page.text)[1]
            form_cookie = page.headers["set-cookie"].split(";")[0]
            r = client.post(
                "/studio/sign-in",
                headers={"cookie": form_cookie},
                data={
                    "csrf_token": token,
                    "email": "boss@test.example",
                    "password": password,
                    "next": "/studio",
                },
            )
            assert r.status_code == 303
            assert r.headers["location"] == "/studio"
            assert r.headers["set-cookie"].startswith("__Host-smp_session=")
            assert client.get("/").status_code == 200
    finally:
        _stop(proc)
    proc, lines = _start(tmp_path, port)
    _stop(proc)
    assert not any("first run" in line for line in lines)
    assert not any("password" in line for line in lines)
