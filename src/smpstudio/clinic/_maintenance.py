"""Integrity check, backup and restore of a live clinic database and its photo store.

A backup is a folder written under a temporary name and renamed when complete::

    manifest.json          format, back end, schema revision, SHA-256 of every file
    database.sqlite3       SQLite online backup API (one consistent snapshot), or
    database.pgdump        pg_dump --format=custom (one consistent snapshot)
    photos/<clinic>/<file> every photo the snapshot references, hash-checked on copy

Restore checks every hash and the database copy before it touches anything, refuses to
overwrite a database that holds records unless told to, and runs the full check at the end.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from smpstudio._errors import ClinicError
from smpstudio._version import __version__
from smpstudio.clinic import _migrations
from smpstudio.clinic._audit import AuditReport, verify_chains
from smpstudio.clinic._database import Database
from smpstudio.clinic._engine import READONLY, SQLITE_BUSY_TIMEOUT_MS
from smpstudio.clinic._files import write_durably
from smpstudio.clinic._models import Clinic, Photo

__all__ = [
    "BACKUP_FORMAT",
    "BackupResult",
    "CheckReport",
    "backup_database",
    "check_database",
    "restore_database",
]

BACKUP_FORMAT = "smpstudio-backup/1"

_PHOTO_PATH = re.compile(r"[0-9]+/[0-9a-f]{32}\.(jpg|png|webp)")
"""How the photo store names files; a manifest naming anything else is refused."""

_APPEND_ONLY = (
    "audit_log",
    "consent_forms",
    "consents",
    "session_records",
    "session_pigments",
    "session_needle_lots",
    "patch_tests",
    "patch_test_readings",
    "patch_test_overrides",
    "dilution_overrides",
    "stock_movements",
    "no_shows",
    "payments",
    "invoices",
)


@dataclass(frozen=True)
class CheckReport:
    """What ``smpstudio db check`` found."""

    database: str
    revision: str | None
    head: str
    integrity: str
    audit: AuditReport | None
    photos: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems

    def lines(self) -> list[str]:
        """The report as lines of text."""
        schema = "no schema" if self.revision is None else f"revision {self.revision}"
        lines = [
            f"database   {self.database}",
            f"schema     {schema}" + (" (head)" if self.revision == self.head else ""),
            f"integrity  {self.integrity}",
        ]
        if self.audit is not None:
            state = "intact" if self.audit.ok else f"{len(self.audit.problems)} break(s)"
            lines.append(
                f"audit      {self.audit.entries:,} entries in {self.audit.chains} chains, {state}"
            )
        lines.append(f"photos     {self.photos:,} checked")
        lines += [f"problem: {p}" for p in self.problems]
        lines.append("check: ok" if self.ok else f"check: {len(self.problems)} problem(s)")
        return lines


@dataclass(frozen=True)
class BackupResult:
    """A finished backup: where, what it holds, and anything that could not be copied."""

    path: Path
    manifest: dict[str, Any]
    problems: tuple[str, ...] = field(default=())


def check_database(db: Database) -> CheckReport:
    """Check the schema revision, integrity, audit chains and photo hashes."""
    head = _migrations.head_revision()
    revision = db.revision()
    problems: list[str] = []
    if revision != head:
        found = "no schema" if revision is None else f"revision {revision}"
        problems.append(f"database has {found}, expected {head}: run 'smpstudio db upgrade'")
        return CheckReport(
            db.config.display_url, revision, head, "not checked", None, 0, tuple(problems)
        )
    integrity = _integrity(db, problems)
    with db.transaction(readonly=True) as session:
        audit = verify_chains(session)
    problems += [str(p) for p in audit.problems]
    photos = _check_photos(db, problems)
    return CheckReport(
        db.config.display_url, revision, head, integrity, audit, photos, tuple(problems)
    )


def _integrity(db: Database, problems: list[str]) -> str:
    with db.engine.connect() as connection:
        connection.execution_options(**{READONLY: True})  # never hold the write lock
        if db.backend == "sqlite":
            results = [r[0] for r in connection.exec_driver_sql("PRAGMA integrity_check")]
            if results != ["ok"]:
                problems += [f"integrity_check: {r}" for r in results]
            broken = list(connection.exec_driver_sql("PRAGMA foreign_key_check"))
            problems += [f"foreign key broken in {r[0]} row {r[1]} → {r[2]}" for r in broken]
            names = set(
                connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='trigger'")
                .scalars()
                .all()
            )
            expected = {f"{t}_no_{e}" for t in _APPEND_ONLY for e in ("update", "delete")}
            state = "ok" if results == ["ok"] and not broken else "FAILED"
        else:
            fsync = connection.execute(text("SHOW fsync")).scalar_one()
            if fsync != "on":
                problems.append("the PostgreSQL server runs with fsync=off: commits can be lost")
            names = set(
                connection.execute(
                    text(
                        "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'"
                    )
                ).scalars()
            )
            expected = {f"{t}_append_only" for t in _APPEND_ONLY}
            state = "ok (constraints enforced by PostgreSQL)"
        connection.rollback()
    for name in sorted(expected - names):
        problems.append(f"append-only trigger {name} is missing or disabled")
    return state


def _check_photos(db: Database, problems: list[str]) -> int:
    root = db.config.photos_dir
    known: set[str] = set()
    count = 0
    for photo_id, relative, sha256 in _photo_rows(db):
        count += 1
        known.add(relative)
        path = root / relative
        if not path.is_file():
            problems.append(f"photo {photo_id} is missing: {path}")
        elif _sha256_file(path) != sha256:
            problems.append(f"photo {photo_id} does not match its SHA-256: {path}")
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.relative_to(root).as_posix() not in known:
                problems.append(f"file without a photo record (orphan): {path}")
    return count


def _photo_rows(db: Database) -> Iterator[tuple[int, str, str]]:
    with db.transaction(readonly=True) as session:
        query = select(Photo.id, Photo.path, Photo.sha256).order_by(Photo.id)
        for row in session.execute(query.execution_options(yield_per=2000)):
            yield row[0], row[1], row[2]


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- backup ---


def backup_database(db: Database, destination: str | os.PathLike[str]) -> BackupResult:
    """Back up a live database and its photos into the new folder ``destination``."""
    target = Path(destination).expanduser().resolve()
    if target.exists():
        raise ClinicError(f"{target} exists already: back up into a new folder")
    if not target.parent.is_dir():
        raise ClinicError(f"folder {target.parent} does not exist")
    db.require_current_schema()
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    try:
        database_file = _snapshot(db, staging)
        photos, problems = _copy_photos(db, staging / "photos")
        manifest = {
            "format": BACKUP_FORMAT,
            "smpstudio": __version__,
            "backend": db.backend,
            "revision": _migrations.head_revision(),
            "created_at": db.clock.now().isoformat(),
            "database": _file_entry(staging, database_file),
            "photos": photos,
            "problems": problems,
        }
        write_durably(staging / "manifest.json", json.dumps(manifest, indent=1).encode())
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BackupResult(target, manifest, tuple(problems))


def _snapshot(db: Database, staging: Path) -> Path:
    if db.backend == "sqlite":
        out = staging / "database.sqlite3"
        source_path = db.config.sqlite_path
        assert source_path is not None
        _sqlite_copy(source_path, out)
        _require_sqlite_ok(out)
        return out
    out = staging / "database.pgdump"
    _run_pg_tool(
        db, "pg_dump", ["--format=custom", "--no-owner", "--no-privileges", f"--file={out}"]
    )
    _fsync_file(out)
    return out


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy with the online backup API: one consistent snapshot, writers keep going."""
    src = sqlite3.connect(source, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained single file
        finally:
            dst.close()
    finally:
        src.close()
    _fsync_file(target)


def _require_sqlite_ok(path: Path) -> None:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        results = [r[0] for r in connection.execute("PRAGMA integrity_check")]
    finally:
        connection.close()
    if results != ["ok"]:
        raise ClinicError(f"the copy {path.name} fails the integrity check: {results[0]}")


def _copy_photos(db: Database, folder: Path) -> tuple[list[dict[str, Any]], list[str]]:
    entries: list[dict[str, Any]] = []
    problems: list[str] = []
    root = db.config.photos_dir
    for photo_id, relative, sha256 in _photo_rows(db):
        try:
            data = (root / relative).read_bytes()
        except FileNotFoundError:
            problems.append(f"photo {photo_id} is missing: {root / relative}")
            continue
        if hashlib.sha256(data).hexdigest() != sha256:
            problems.append(f"photo {photo_id} does not match its SHA-256; not backed up")
            continue
        write_durably(folder / relative, data)
        entries.append({"path": relative, "sha256": sha256, "bytes": len(data)})
    return entries, problems


def _file_entry(staging: Path, path: Path) -> dict[str, Any]:
    return {
        "file": path.relative_to(staging).as_posix(),
        "sha256": _sha256_file(path),
        "bytes": path.stat().st_size,
    }


def _fsync_file(path: Path) -> None:
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def _run_pg_tool(db: Database, tool: str, args: list[str]) -> None:
    binary = shutil.which(tool)
    if binary is None:
        raise ClinicError(f"{tool} not found: install the PostgreSQL client (postgresql-client)")
    url = db.config.url
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    libpq = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    target = ["--dbname", libpq] if tool == "pg_restore" else [libpq]
    done = subprocess.run(
        [binary, *args, *target], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        message = " ".join(done.stderr.split()) or f"exit status {done.returncode}"
        raise ClinicError(f"{tool} failed: {message[:400]}")


# --- restore ---


def restore_database(
    db: Database, source: str | os.PathLike[str], *, replace: bool = False
) -> CheckReport:
    """Restore a backup folder into ``db`` and its photo store; returns the final check.

    Nothing is written until every hash in the manifest matches and the database copy
    passes its integrity check. A database that holds clinics is only overwritten with
    ``replace=True``.
    """
    folder = Path(source).expanduser().resolve()
    manifest = _read_manifest(folder, db.backend)
    _verify_files(folder, manifest)
    _require_restorable(db, replace)
    database_file = folder / manifest["database"]["file"]
    _restore_photos(db, folder, manifest["photos"])
    if db.backend == "sqlite":
        _restore_sqlite(db, database_file)
    else:
        _run_pg_tool(
            db,
            "pg_restore",
            ["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
             str(database_file)],
        )  # fmt: skip
    db.close()
    return check_database(db)


def _read_manifest(folder: Path, backend: str) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (FileNotFoundError, NotADirectoryError):
        raise ClinicError(f"{folder} is not a smpstudio backup (no manifest.json)") from None
    except (IsADirectoryError, ValueError, RecursionError):  # ValueError: also bad UTF-8
        raise ClinicError(f"{folder}/manifest.json is damaged (not readable JSON)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != BACKUP_FORMAT:
        raise ClinicError(f"{folder} is not a smpstudio backup ({BACKUP_FORMAT})")
    if manifest.get("backend") != backend:
        raise ClinicError(
            f"the backup is of a {manifest.get('backend')} database; restore it into one"
        )
    if manifest.get("revision") != _migrations.head_revision():
        raise ClinicError(
            f"the backup has schema revision {manifest.get('revision')}; this smpstudio "
            f"restores {_migrations.head_revision()}"
        )
    return manifest


def _verify_files(folder: Path, manifest: dict[str, Any]) -> None:
    for photo in manifest["photos"]:
        if not _PHOTO_PATH.fullmatch(str(photo.get("path"))):
            raise ClinicError(f"the manifest names an unexpected photo path: {photo.get('path')!r}")
    entries = [manifest["database"]] + [
        {"file": f"photos/{p['path']}", "sha256": p["sha256"]} for p in manifest["photos"]
    ]
    for entry in entries:
        path = (folder / entry["file"]).resolve()
        if folder not in path.parents:
            raise ClinicError(f"the manifest names a file outside the backup: {entry['file']}")
        if not path.is_file():
            raise ClinicError(f"the backup is incomplete: {entry['file']} is missing")
        if _sha256_file(path) != entry["sha256"]:
            raise ClinicError(f"the backup is damaged: {entry['file']} does not match its SHA-256")


def _require_restorable(db: Database, replace: bool) -> None:
    if replace or db.revision() is None:
        return
    with db.transaction(readonly=True) as session:
        clinics = session.scalar(select(func.count()).select_from(Clinic))
    if clinics:
        raise ClinicError(
            f"{db.config.display_url} holds {clinics} clinic(s): restore into an empty "
            "database, or pass --replace to overwrite it"
        )


def _restore_photos(db: Database, folder: Path, photos: list[dict[str, Any]]) -> None:
    root = db.config.photos_dir
    for entry in photos:
        target = root / entry["path"]
        if target.is_file() and _sha256_file(target) != entry["sha256"]:
            raise ClinicError(f"{target} exists with other content: move it away first")
    for entry in photos:
        target = root / entry["path"]
        if not target.is_file():
            write_durably(target, (folder / "photos" / entry["path"]).read_bytes())


def _restore_sqlite(db: Database, backup_file: Path) -> None:
    target = db.config.sqlite_path
    assert target is not None
    db.close()
    fd, scratch_name = tempfile.mkstemp(prefix=".restore-", suffix=".sqlite3", dir=target.parent)
    os.close(fd)
    scratch = Path(scratch_name)
    try:
        shutil.copyfile(backup_file, scratch)
        _require_sqlite_ok(scratch)
        src = sqlite3.connect(scratch)
        try:
            dst = sqlite3.connect(target, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
            try:
                src.backup(dst)  # replaces the pages under the target's own locks
                dst.execute("PRAGMA journal_mode=WAL")
            finally:
                dst.close()
        finally:
            src.close()
    finally:
        scratch.unlink(missing_ok=True)
