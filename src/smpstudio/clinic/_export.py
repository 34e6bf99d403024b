"""A client's data: exported on request (a zip of JSON, photos and a PDF summary) and
erased on request (every row and photo gone, the erasure audited without personal data).

Which rows are a client's is declared once, in :data:`CLIENT_TABLE_NAMES`: tables with a
``patient_id`` column, and those reached through one (a session's pigments, a patch test's
reading, a follow-up's zones). The stock ledger is the clinic's, not the client's:
its movements stay, and lose only their link to an erased session (:data:`DETACHED`).
``tests/clinic/test_export.py`` fails when a table that points at a client is in neither.

Erasure runs in one transaction on both back ends: the append-only protections of the
tables it empties are lifted inside that transaction and restored before it commits
(SQLite: the triggers are dropped and created again; PostgreSQL: ``ALTER TABLE … DISABLE
TRIGGER``, which locks those tables until the commit), so a failure anywhere leaves every
row, trigger and photo as it was. Photos are removed after the commit. Before the commit a
list of the photo files is written durably to ``<data dir>/erasures/``; after it the files
and then the list are removed. A crash in between leaves the list, and
:func:`finish_pending_erasures` (run before every erasure and when the studio starts)
removes every listed file that no photo record references, so a file is never removed
while a row still needs it, and never kept once its row is gone.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, Protocol

from sqlalchemy import ColumnElement, Table, delete, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from smpstudio._errors import ClinicError
from smpstudio.clinic._audit import AuditEvent
from smpstudio.clinic._files import write_durably
from smpstudio.clinic._models import (
    AuditEntry,
    Base,
    Booking,
    Consent,
    ConsentForm,
    FollowUp,
    PatchTest,
    Patient,
    Photo,
    SessionRecord,
    StockMovement,
)
from smpstudio.clinic._photo_names import read_photo_file
from smpstudio.clinic._record_ids import RecordIds
from smpstudio.clinic._scope import Scope
from smpstudio.clinic._store import Store

__all__ = [
    "CLIENT_TABLES",
    "CLIENT_TABLE_NAMES",
    "DETACHED",
    "ERASURE_CHECKS",
    "EXPORT_FORMAT",
    "KEPT",
    "ErasureSummary",
    "ExportService",
    "ExportSummary",
    "finish_pending_erasures",
]

EXPORT_FORMAT = "smpstudio-client-export/2"
"""The ``format`` of ``client.json`` in an export (2: record ids are tokens, not integers)."""

_ACTOR_COLUMNS = {"created_by", "recorded_by", "updated_by"}
"""Columns naming who acted (``user:N``, ``client:N via portal``): their ids as tokens."""

_THROUGH: dict[str, tuple[str, Any]] = {
    "session_pigments": ("session_id", SessionRecord),
    "session_needle_lots": ("session_id", SessionRecord),
    "patch_test_readings": ("patch_test_id", PatchTest),
    "follow_up_zones": ("follow_up_id", FollowUp),
}


CLIENT_TABLE_NAMES = (
    "patients",
    "consultations",
    "consents",
    "design_versions",
    "treatment_plans",
    "bookings",
    "session_records",
    "session_pigments",
    "session_needle_lots",
    "dilution_overrides",
    "patch_tests",
    "patch_test_readings",
    "patch_test_overrides",
    "follow_ups",
    "follow_up_zones",
    "photos",
    "messages",
    "message_opt_outs",
    "leads",
    "no_shows",
    "portal_links",
    "portal_sessions",
    "consent_documents",
)
"""The tables whose rows of a client are theirs: exported, and emptied by an erasure. A new
table that points at a client must be added here or to :data:`DETACHED` (a test fails
until it is): records the clinic must keep, such as invoices, are not erased silently."""

CLIENT_TABLES: tuple[Table, ...] = tuple(
    t for t in reversed(Base.metadata.sorted_tables) if t.name in CLIENT_TABLE_NAMES
)
""":data:`CLIENT_TABLE_NAMES` as tables, children before parents (the erasure's order)."""

DETACHED: dict[str, str] = {"stock_movements": "session_id"}
"""Tables that are the clinic's, whose link to an erased client's record is cleared."""

KEPT: dict[str, str] = {
    "payments": "payments and refunds",
    "invoices": "invoices",
}
"""The client's records the clinic must keep (its accounts, numbered without gaps): while a
client has any, the erasure is refused (:func:`_financial_records`)."""

_APPEND_ONLY = (
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
)
"""The append-only tables an erasure deletes from (or, for the ledger, updates)."""

_INSUFFICIENT_PRIVILEGE = "42501"  # PostgreSQL: must be owner of the table

_JSON_TEXT = {"content", "reasons", "answers", "rules", "findings", "lines"}

ErasureCheck = Callable[[Session, int, int, date], str | None]
"""A rule that can refuse an erasure: (session, clinic id, client id, today) → why, or None."""


def _bookings_ahead(s: Session, clinic_id: int, patient_id: int, today: date) -> str | None:
    count = s.scalar(
        select(func.count()).where(
            Booking.clinic_id == clinic_id,
            Booking.patient_id == patient_id,
            Booking.status == "booked",
            Booking.local_day >= today,
        )
    )
    if count:
        return (
            f"the client has {count} session(s) booked from today on: cancel them first, so "
            "that the practitioner's day is freed knowingly"
        )
    return None


def _financial_records(s: Session, clinic_id: int, patient_id: int, today: date) -> str | None:
    found = []
    for name, what in KEPT.items():
        table = Base.metadata.tables[name]
        count = s.scalar(
            select(func.count())
            .select_from(table)
            .where(table.c.clinic_id == clinic_id, table.c.patient_id == patient_id)
        )
        if count:
            found.append(f"{count} {what}")
    if found:
        return (
            f"the client has {' and '.join(found)}, which the clinic keeps for its accounts "
            "(numbered without gaps): a client with financial records cannot be erased"
        )
    return None


ERASURE_CHECKS: list[ErasureCheck] = [_bookings_ahead, _financial_records]
"""Rules that refuse an erasure (each returns why, or None); the open balance is checked
after them (:meth:`ExportService.erase_client`)."""


@dataclass(frozen=True)
class ExportSummary:
    """What an export holds: records per table, photos and the zip's size."""

    records: dict[str, int]
    photos: int
    bytes: int


@dataclass(frozen=True)
class ErasureSummary:
    """What an erasure removed: rows per table, photo files, ledger rows detached."""

    patient_id: int
    rows: dict[str, int]
    photos: int
    detached: int

    def detail(self) -> str:
        """The audit entry's detail: counts only."""
        counts = ", ".join(f"{n} {t}" for t, n in sorted(self.rows.items()) if n)
        return f"erased on request: {counts}; {self.photos} photo files"[:500]


def _is_record_id(column: str) -> bool:
    """A column holding a record id: ``id`` and every ``…_id`` (the keys and links)."""
    return column == "id" or column.endswith("_id")


def _value(column: str, value: Any, ids: RecordIds) -> Any:
    """A cell of ``client.json``: record ids as tokens of the installation's key (never the
    database's integers, which would tell how many records every clinic holds), times as
    ISO 8601, bytes as base64, the JSON columns as JSON."""
    if _is_record_id(column) and isinstance(value, int) and not isinstance(value, bool):
        return ids.encode(value)
    if column in _ACTOR_COLUMNS and isinstance(value, str):
        return ids.encode_actors(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):  # a signature, a signed consent's PDF copy
        return {"base64": base64.b64encode(value).decode("ascii")}
    if column in _JSON_TEXT and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _condition(table: Table, clinic_id: int, patient_id: int) -> ColumnElement[bool]:
    """The client's rows of ``table``."""
    if table.name == "patients":
        return (table.c.clinic_id == clinic_id) & (table.c.id == patient_id)
    if table.name in _THROUGH:
        column, parent = _THROUGH[table.name]
        owned = select(parent.id).where(
            parent.clinic_id == clinic_id, parent.patient_id == patient_id
        )
        return (table.c.clinic_id == clinic_id) & table.c[column].in_(owned)
    return (table.c.clinic_id == clinic_id) & (table.c.patient_id == patient_id)


def _full_name(patient: Patient) -> str:
    return f"{patient.given_name} {patient.family_name}"


def _same_name(typed: object, patient: Patient) -> bool:
    if not isinstance(typed, str):
        return False
    return " ".join(typed.split()).casefold() == " ".join(_full_name(patient).split()).casefold()


class OpenAccount(Protocol):
    """What erasure needs of the client's account (billing's ``Account``)."""

    @property
    def balance(self) -> int: ...

    def money(self, minor: int) -> str: ...


class ExportService(Scope):
    """A client's data exported (JSON, photos, PDF in a zip) and erased, on request."""

    account_in: Callable[[Session, int], OpenAccount]
    """The client's account, read in a session: billing's (``BillingService.account_in``;
    :class:`ClinicRecords` holds both services). Declared, not defined, here: without
    billing, erasure fails rather than skipping the check."""

    def export_client(self, patient_id: int, out: IO[bytes]) -> ExportSummary:
        """Write the zip of everything kept about the client to ``out`` (an audited read):
        ``client.json`` (every record, by table), ``photos/<token>.<ext>`` (each checked
        against its SHA-256) and ``summary.pdf`` (a readable summary). Every record id in
        them is a token of the database's record-id key (:class:`RecordIds`), as in the
        studio's URLs: the export tells nothing of other clients' or clinics' counts."""
        from smpstudio.clinic._export_pdf import summary_pdf

        ids = RecordIds(self._db.record_id_key())  # before the unit: it may write the key
        with self._unit("read", "export", patient_id=patient_id) as s:
            patient = self._get(s, Patient, patient_id, "patient")
            records = self._records_of(s, patient_id, ids)
            photos = self._photo_files(s, patient_id, ids)
            document = {
                "format": EXPORT_FORMAT,
                "record_ids": (
                    "every id is a record token (26 base32 characters) of this installation, "
                    "the same as in the studio's addresses; equal tokens are the same record"
                ),
                "exported_at": self._now().isoformat(),
                "clinic": self.clinic_name,
                "client": records["patients"][0],
                "records": records,
                "photos": [name for name, _ in photos],
                "audit": self._audit_of(s, patient_id, ids),
            }
            counts = {table: len(rows) for table, rows in records.items() if rows}
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.writestr(
                    "client.json", json.dumps(document, indent=2, ensure_ascii=False) + "\n"
                )
                for name, data in photos:
                    archive.writestr(name, data, compress_type=zipfile.ZIP_STORED)
                archive.writestr(
                    "summary.pdf",
                    summary_pdf(self.clinic_name, _full_name(patient), document, self.timezone),
                )
            size = out.tell() if out.seekable() else 0
            detail = f"export: {sum(counts.values())} records, {len(photos)} photos"
            self._log(s, AuditEvent("read", "export", patient_id, patient_id, detail=detail))
            return ExportSummary(counts, len(photos), size)

    def _records_of(
        self, s: Session, patient_id: int, ids: RecordIds
    ) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        for table in reversed(CLIENT_TABLES):  # parents first: the client, then the rest
            query = select(table).where(_condition(table, self.clinic_id, patient_id))
            rows = s.execute(query.order_by(table.c.id)).mappings()
            found[table.name] = [{k: _value(k, v, ids) for k, v in row.items()} for row in rows]
        for name in KEPT:  # the client's payments and invoices: theirs to see, the clinic's to keep
            kept = Base.metadata.tables[name]
            query = select(kept).where(
                kept.c.clinic_id == self.clinic_id, kept.c.patient_id == patient_id
            )
            rows = s.execute(query.order_by(kept.c.id)).mappings()
            found[name] = [{k: _value(k, v, ids) for k, v in row.items()} for row in rows]
        forms = select(Consent.form_id).where(
            Consent.clinic_id == self.clinic_id, Consent.patient_id == patient_id
        )
        query = select(ConsentForm).where(
            ConsentForm.clinic_id == self.clinic_id, ConsentForm.id.in_(forms)
        )
        signed = [
            {"id": ids.encode(f.id), "kind": f.kind, "version": f.version, "title": f.title,
             "body": f.body}
            for f in s.scalars(query.order_by(ConsentForm.id))
        ]  # fmt: skip
        if signed:
            found["consent_forms"] = signed
        return found

    def _photo_files(self, s: Session, patient_id: int, ids: RecordIds) -> list[tuple[str, bytes]]:
        rows = s.scalars(
            select(Photo)
            .where(Photo.clinic_id == self.clinic_id, Photo.patient_id == patient_id)
            .order_by(Photo.id)
        )
        files = []
        for row in rows:
            data = read_photo_file(
                row,
                self._db.config.photos_dir,
                self.timezone,
                consequence=", so nothing was exported",
                then=", then export again",
            )
            files.append((f"photos/{ids.encode(row.id)}{Path(row.path).suffix}", data))
        return files

    def _audit_of(self, s: Session, patient_id: int, ids: RecordIds) -> list[dict[str, Any]]:
        query = (
            select(AuditEntry)
            .where(AuditEntry.chain == self.clinic_id, AuditEntry.patient_id == patient_id)
            .order_by(AuditEntry.seq)
        )
        return [
            {
                "at": e.at.isoformat(),
                "actor": ids.encode_actors(e.actor),
                "action": e.action,
                "object": e.object_type,
                "object_id": None if e.object_id is None else ids.encode_text(e.object_id),
                "outcome": e.outcome,
            }
            for e in s.scalars(query)
        ]

    def erase_client(self, patient_id: int, *, confirm: str) -> ErasureSummary:
        """Erase every record and photo of the client, on the client's request.

        ``confirm`` must be the client's full name as on the record. Refused (nothing
        changed, the refusal audited) while a rule of :data:`ERASURE_CHECKS` objects.
        The audit chain keeps its entries about the client (ids, actions, times) and gains
        one ``erase patient`` entry with the counts removed.
        """
        finish_pending_erasures(self._db)
        pending: Path | None = None
        try:
            with self._unit("erase", "patient", patient_id=patient_id) as s:
                patient = self._get(s, Patient, patient_id, "patient")
                if not _same_name(confirm, patient):
                    raise ClinicError(
                        "the name typed does not match the client's record: type their full "
                        "name exactly as shown to confirm the erasure"
                    )
                today = self.today()
                for check in ERASURE_CHECKS:
                    reason = check(s, self.clinic_id, patient_id, today)
                    if reason:
                        raise ClinicError(f"not erased: {reason}")
                self._check_settled(s, patient_id)
                paths = list(
                    s.scalars(
                        select(Photo.path).where(
                            Photo.clinic_id == self.clinic_id, Photo.patient_id == patient_id
                        )
                    )
                )
                with _append_only_lifted(s):
                    detached = self._detach(s, patient_id)
                    rows = {}
                    for table in CLIENT_TABLES:
                        result = s.execute(
                            delete(table).where(_condition(table, self.clinic_id, patient_id))
                        )
                        rows[table.name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
                summary = ErasureSummary(patient_id, rows, len(paths), detached)
                self._log(
                    s,
                    AuditEvent("erase", "patient", patient_id, patient_id, detail=summary.detail()),
                )
                pending = _write_pending(self._db, paths)
            _remove_listed(self._db, pending)
            pending = None
            return summary
        finally:
            if pending is not None:  # the transaction failed: the rows and files stay
                pending.unlink(missing_ok=True)

    def _check_settled(self, s: Session, patient_id: int) -> None:
        """Refuse while the client's account is open: they owe the clinic (sessions done,
        a no-show fee) or are owed a refund."""
        account = self.account_in(s, patient_id)
        if account.balance:
            left = account.money(account.balance).strip()
            raise ClinicError(
                f"not erased: the client's account is not settled ({left} left to pay, or a "
                "credit to refund if negative): settle it first"
            )

    def _detach(self, s: Session, patient_id: int) -> int:
        sessions = select(SessionRecord.id).where(
            SessionRecord.clinic_id == self.clinic_id, SessionRecord.patient_id == patient_id
        )
        result = s.execute(
            update(StockMovement)
            .where(
                StockMovement.clinic_id == self.clinic_id, StockMovement.session_id.in_(sessions)
            )
            .values(session_id=None)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


@contextmanager
def _append_only_lifted(s: Session) -> Iterator[None]:
    """Lift the append-only triggers of the tables an erasure empties, inside the open
    transaction, and restore them before it ends (a failure rolls both back)."""
    if s.get_bind().dialect.name == "postgresql":
        try:
            for table in _APPEND_ONLY:
                s.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"))
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) != _INSUFFICIENT_PRIVILEGE:
                raise
            raise ClinicError(
                "the database role cannot lift the append-only protection an erasure needs: "
                "erase as the role that owns the tables (the one 'smpstudio db upgrade' uses)"
            ) from None
        yield
        for table in _APPEND_ONLY:
            s.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only"))
        return
    names = [f"{t}_no_{e}" for t in _APPEND_ONLY for e in ("update", "delete")]
    marks = ", ".join(f":n{i}" for i in range(len(names)))
    saved = list(
        s.execute(
            text(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks})"
            ),
            {f"n{i}": n for i, n in enumerate(names)},
        )
    )
    if len(saved) != len(names):
        raise ClinicError("the append-only triggers are not all in place: run 'smpstudio db check'")
    for name, _ in saved:
        s.execute(text(f"DROP TRIGGER {name}"))
    yield
    for _, sql in saved:
        s.execute(text(sql))


# --- photo files after the commit ---


def _erasures_dir(db: Store) -> Path:
    return db.config.data_dir / "erasures"


def _write_pending(db: Store, paths: list[str]) -> Path | None:
    """Durably list the photo files to remove once the erasure is committed."""
    if not paths:
        return None
    target = _erasures_dir(db) / f"{uuid.uuid4().hex}.json"
    write_durably(target, json.dumps({"photos": paths}).encode())
    return target


def _remove_listed(db: Store, listed: Path | None) -> int:
    """Remove the listed photo files that no photo record references, then the list."""
    if listed is None:
        return 0
    try:
        paths = [str(p) for p in json.loads(listed.read_bytes())["photos"]]
    except FileNotFoundError:
        return 0
    except (ValueError, KeyError, TypeError):
        listed.unlink(missing_ok=True)  # a list cut short by a crash: its transaction failed
        return 0
    with db.transaction(readonly=True) as s:
        kept = set(s.scalars(select(Photo.path).where(Photo.path.in_(paths))))
    root = db.config.photos_dir.resolve()
    removed = 0
    for relative in paths:
        path = (root / relative).resolve()
        if relative in kept or root not in path.parents:
            continue
        if path.exists():
            path.unlink()
            removed += 1
    for folder in {(root / p).resolve().parent for p in paths}:
        if folder.is_dir():
            _fsync(folder)
    listed.unlink(missing_ok=True)
    return removed


def _fsync(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def finish_pending_erasures(db: Store) -> int:
    """Finish erasures a crash interrupted between their commit and the removal of their
    photo files: remove every listed file no photo record references. Returns how many."""
    folder = _erasures_dir(db)
    if not folder.is_dir():
        return 0
    return sum(_remove_listed(db, listed) for listed in sorted(folder.glob("*.json")))
