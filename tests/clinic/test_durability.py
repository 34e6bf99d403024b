"""Nothing lost: committed records survive SIGKILL mid-write; a backup of a live database
passes the integrity check and restores."""

from __future__ import annotations

import json
import os
import random
import selectors
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select

from smpstudio import ClinicError
from smpstudio.clinic import (
    ClinicConfig,
    Database,
    Patient,
    SessionNeedleLot,
    SessionRecord,
    backup_database,
    check_database,
    open_database,
    restore_database,
)

from .conftest import World

WRITER = Path(__file__).with_name("_writer.py")
KILLS = {"sqlite": 20, "postgresql": 6}
JPEG = b"\xff\xd8\xff\xe0" + bytes(300)


@dataclass
class Writer:
    """The fork-server writer: ``start`` forks a child that commits until it is killed."""

    proc: subprocess.Popen[bytes]
    acked: dict[str, set[int]] = field(default_factory=lambda: {"patient": set(), "session": set()})
    child: int | None = None

    def start(self, tag: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"go {tag}\n".encode())
        self.proc.stdin.flush()
        self.child = None

    def read_until(self, done: Callable[[], bool], timeout: float = 60) -> None:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            while not done():
                if time.monotonic() > deadline or not sel.select(
                    timeout=deadline - time.monotonic()
                ):
                    raise AssertionError(f"writer silent; acked so far {self.counts()}")
                line = self.proc.stdout.readline().decode()
                if not line:
                    raise AssertionError("the writer process ended")
                self._take(line.split())

    def _take(self, words: list[str]) -> None:
        if words[0] == "ack":
            self.acked[words[1]].add(int(words[2]))
        elif words[0] == "pid":
            self.child = int(words[1])
        elif words[0] == "gone":
            self.child = -1

    def counts(self) -> dict[str, int]:
        return {k: len(v) for k, v in self.acked.items()}

    def kill_after(self, acks: int, delay: float) -> None:
        """Let the child commit ``acks`` more records, wait ``delay`` s, then SIGKILL it."""
        target = sum(self.counts().values()) + acks
        self.read_until(lambda: self.child is not None and sum(self.counts().values()) >= target)
        time.sleep(delay)
        assert self.child is not None
        assert self.child > 0
        os.kill(self.child, signal.SIGKILL)
        self.read_until(lambda: self.child == -1)


@pytest.fixture
def writer_for(tmp_path: Path) -> Iterator[Callable[[World], Writer]]:
    procs: list[subprocess.Popen[bytes]] = []

    def start(w: World) -> Writer:
        config = w.db.config
        args = [
            config.database_url,
            str(config.data_dir),
            str(w.records.clinic_id),
            str(w.patient.id),
            str(w.practitioner.id),
        ]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        proc = subprocess.Popen(
            [sys.executable, str(WRITER), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        procs.append(proc)
        return Writer(proc)

    yield start
    for proc in procs:
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.close()
        proc.wait(timeout=60)
        proc.stdout.close()


def _committed(db: Database, clinic_id: int) -> tuple[set[int], set[int]]:
    with db.transaction(readonly=True) as s:
        patients = set(s.scalars(select(Patient.id).where(Patient.clinic_id == clinic_id)))
        sessions = set(
            s.scalars(select(SessionRecord.id).where(SessionRecord.clinic_id == clinic_id))
        )
        lots = s.scalar(
            select(func.count())
            .select_from(SessionNeedleLot)
            .where(SessionNeedleLot.clinic_id == clinic_id)
        )
    assert lots == len(sessions)  # every session kept its lot, none half-written
    return patients, sessions


def _sqlite_integrity(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


@pytest.mark.slow
def test_sigkill_mid_write_loses_no_acknowledged_record(
    fresh_world: World, writer_for: Callable[[World], Writer]
) -> None:
    config = fresh_world.db.config
    fresh_world.db.close()
    writer = writer_for(fresh_world)
    rng = random.Random(20261124)
    kills = KILLS[config.backend]
    for k in range(kills):
        writer.start(f"k{k}")
        writer.kill_after(acks=rng.randint(1, 12), delay=rng.uniform(0, 0.05))
        if config.sqlite_path is not None:
            assert _sqlite_integrity(config.sqlite_path) == ["ok"]
        with open_database(config, create=False) as db:  # reopen, as after a crash
            patients, sessions = _committed(db, fresh_world.records.clinic_id)
            assert writer.acked["patient"] <= patients
            assert writer.acked["session"] <= sessions
            report = check_database(db)
            assert report.ok, report.problems
    print(
        f"\n{config.backend}: {kills} SIGKILLs, {writer.counts()} acknowledged records, none lost"
    )
    assert sum(writer.counts().values()) >= kills


@pytest.mark.slow
def test_backup_of_a_live_database_checks_and_restores(
    fresh_world: World,
    writer_for: Callable[[World], Writer],
    make_config: Callable[[str], ClinicConfig],
    tmp_path: Path,
) -> None:
    db = fresh_world.db
    fresh_world.records.add_photo(fresh_world.patient.id, JPEG, kind="before")
    writer = writer_for(fresh_world)
    writer.start("live")
    writer.read_until(lambda: sum(writer.counts().values()) >= 20)
    acked_before = {k: set(v) for k, v in writer.acked.items()}
    result = backup_database(db, tmp_path / "backup")  # while the child keeps writing
    writer.read_until(
        lambda: sum(writer.counts().values()) >= sum(map(len, acked_before.values())) + 10
    )
    assert writer.child is not None
    assert writer.child > 0
    os.kill(writer.child, signal.SIGKILL)
    writer.read_until(lambda: writer.child == -1)
    assert result.problems == ()
    assert len(result.manifest["photos"]) == 1
    if db.backend == "sqlite":
        assert _sqlite_integrity(tmp_path / "backup" / "database.sqlite3") == ["ok"]

    with open_database(make_config(db.backend)) as target:
        report = restore_database(target, tmp_path / "backup")
        assert report.ok, report.problems
        patients, sessions = _committed(target, fresh_world.records.clinic_id)
        assert acked_before["patient"] <= patients
        assert acked_before["session"] <= sessions
        records = target.clinic(fresh_world.records.clinic_id, actor="restorer")
        photo = records.photos(fresh_world.patient.id)[0]
        assert records.photo_bytes(photo.id) == JPEG
        with pytest.raises(ClinicError, match=r"holds 1 clinic\(s\).*--replace"):
            restore_database(target, tmp_path / "backup")
        assert restore_database(target, tmp_path / "backup", replace=True).ok


def test_a_damaged_backup_is_refused_before_anything_is_written(
    fresh_world: World, make_config: Callable[[str], ClinicConfig], tmp_path: Path
) -> None:
    fresh_world.records.add_photo(fresh_world.patient.id, JPEG, kind="before")
    result = backup_database(fresh_world.db, tmp_path / "b")
    with pytest.raises(ClinicError, match="exists already"):
        backup_database(fresh_world.db, tmp_path / "b")
    photo = next((tmp_path / "b" / "photos").rglob("*.jpg"))
    photo.write_bytes(JPEG + b"!")
    config = make_config(fresh_world.db.backend)
    with open_database(config) as target:
        with pytest.raises(ClinicError, match=r"is damaged: photos/.* does not match its SHA-256"):
            restore_database(target, result.path)
        assert target.revision() is None
        assert not config.photos_dir.exists()
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_check_reports_missing_damaged_and_orphan_photos(fresh_world: World) -> None:
    r = fresh_world.records
    a = r.add_photo(fresh_world.patient.id, JPEG, kind="before")
    b = r.add_photo(fresh_world.patient.id, JPEG + b"2", kind="after")
    root = fresh_world.db.config.photos_dir
    (root / a.path).unlink()
    (root / b.path).write_bytes(b"tampered")
    (root / "stray.jpg").write_bytes(JPEG)
    report = check_database(fresh_world.db)
    assert not report.ok
    text = "\n".join(report.problems)
    assert f"photo {a.id} is missing" in text
    assert f"photo {b.id} does not match its SHA-256" in text
    assert "orphan" in text
    assert "stray.jpg" in text
    assert report.lines()[-1] == "check: 3 problem(s)"


def test_a_manifest_cannot_write_outside_the_photo_store(
    fresh_world: World, make_config: Callable[[str], ClinicConfig], tmp_path: Path
) -> None:
    result = backup_database(fresh_world.db, tmp_path / "b")
    manifest = json.loads((result.path / "manifest.json").read_text())
    manifest["photos"] = [{"path": "../manifest.json", "sha256": "0" * 64, "bytes": 1}]
    (result.path / "manifest.json").write_text(json.dumps(manifest))
    with open_database(make_config(fresh_world.db.backend)) as target:
        with pytest.raises(ClinicError, match=r"unexpected photo path: '\.\./manifest\.json'"):
            restore_database(target, result.path)
        assert target.revision() is None
