"""A real SMTP server for the tests: aiosmtpd in a process of its own, on a free port,
storing what it receives in a Maildir that the test reads back."""

from __future__ import annotations

import mailbox
import socket
import subprocess
import sys
import time
from email.message import Message
from pathlib import Path

__all__ = ["SmtpServer", "free_port"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpServer:
    """``python -m aiosmtpd`` with the Maildir handler; start, stop, read what arrived."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> SmtpServer:
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}",
                "-c", "aiosmtpd.handlers.Mailbox", str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"aiosmtpd exited: {self.process.stderr.read()!r}")  # type: ignore[union-attr]
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"aiosmtpd did not listen on port {self.port} within 20 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()
        self.process = None

    def received(self) -> list[Message]:
        """Every message the server stored, by recipient and subject."""
        if not (self.folder / "new").exists():
            return []
        box = mailbox.Maildir(self.folder, create=False)
        try:
            found = [box.get_message(key) for key in box.iterkeys()]
        finally:
            box.close()
        return sorted(found, key=lambda m: (str(m["To"]), str(m["Subject"])))
