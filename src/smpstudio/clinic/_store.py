"""The connection layer of a clinic database: engine, transactions, schema, clinics, clock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from types import TracebackType
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from smpstudio._clock import Clock
from smpstudio._errors import ClinicError
from smpstudio._settings import Settings
from smpstudio.clinic import _migrations
from smpstudio.clinic._audit import AuditEvent, AuditReport, append_events, verify_chains
from smpstudio.clinic._config import ClinicConfig
from smpstudio.clinic._engine import READONLY, create_clinic_engine
from smpstudio.clinic._models import AuditHead, Clinic
from smpstudio.clinic._validate import check_text

__all__ = ["SYSTEM_CHAIN", "Store", "check_actor", "check_timezone"]

SYSTEM_CHAIN = 0
"""The audit chain of the installation itself (clinics created, schema upgraded …)."""


class Store:
    """A clinic database (SQLite or PostgreSQL), its photo store and its clock: connections,
    transactions, the schema, the clinics and their audit chains.

    The base of :class:`smpstudio.clinic.Database`, which adds the records of one clinic
    (:meth:`~smpstudio.clinic.Database.clinic`); the record services use only this.
    """

    def __init__(
        self, config: ClinicConfig, *, settings: Settings | None = None, clock: Clock | None = None
    ) -> None:
        self.config = config
        self.settings = settings or Settings()
        self.clock = clock or Clock.from_env()
        self.engine: Engine = create_clinic_engine(config)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._readonly = sessionmaker(
            self.engine.execution_options(**{READONLY: True}), expire_on_commit=False
        )
        self._schema_ok = False
        # SQLite has one writer at a time. Writers of this process queue on this lock, which
        # hands over at once, instead of polling the file lock with SQLite's busy handler
        # (which sleeps 1, 2, 5, 10 … 100 ms between tries): other processes still meet the
        # file lock and the busy timeout. Durability is unchanged (synchronous=FULL).
        self._sqlite_writer = threading.RLock() if config.backend == "sqlite" else None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.config.backend

    # --- schema ---

    def upgrade(self, revision: str = "head") -> None:
        """Migrate the schema to ``revision`` (creating it in an empty database)."""
        _migrations.upgrade(self.engine, revision)
        self._schema_ok = False

    def downgrade(self, revision: str = "base") -> None:
        """Migrate the schema down to ``revision`` (``base`` drops every table)."""
        _migrations.downgrade(self.engine, revision)
        self._schema_ok = False

    def revision(self) -> str | None:
        """The schema revision of the database, or None when it has none."""
        return _migrations.current_revision(self.engine)

    def require_current_schema(self) -> None:
        """Raise :class:`ClinicError` unless the schema is at this version's head."""
        if self._schema_ok:
            return
        current, head = self.revision(), _migrations.head_revision()
        if current != head:
            found = "no schema" if current is None else f"schema revision {current}"
            raise ClinicError(
                f"{self.config.display_url} has {found}, this smpstudio needs {head}: "
                "run 'smpstudio db upgrade'"
            )
        self._schema_ok = True

    # --- transactions ---

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[Session]:
        """A session in one transaction, committed on success and rolled back on error.

        SQLite write transactions start with ``BEGIN IMMEDIATE`` (after the writers of this
        process before them: they queue on a lock); ``readonly`` ones with a deferred
        ``BEGIN`` (they see one consistent snapshot and never block writers).
        """
        factory = self._readonly if readonly else self._sessions
        writer = self._sqlite_writer if not readonly else None
        with writer or nullcontext(), factory.begin() as session:
            yield session

    # --- clinics ---

    def create_clinic(self, name: str, *, timezone: str, actor: str) -> Clinic:
        """Create a clinic with its own audit chain; its name must be unique."""
        self.require_current_schema()
        name = check_text(name, "clinic name", max_len=200)
        actor = check_actor(actor)
        check_timezone(timezone)
        try:
            with self.transaction() as session:
                now = self.clock.now()
                clinic = Clinic(name=name, timezone=timezone, created_at=now)
                session.add(clinic)
                session.flush()
                session.add(AuditHead(chain=clinic.id, seq=0, hash="0" * 64))
                event = AuditEvent("create", "clinic", clinic.id, detail=name)
                append_events(
                    session,
                    chain=SYSTEM_CHAIN,
                    actor=actor,
                    clinic_id=clinic.id,
                    events=[event],
                    at=now,
                )
        except IntegrityError:
            raise ClinicError(f"a clinic named {name!r} exists already") from None
        return clinic

    def clinics(self) -> list[Clinic]:
        """Every clinic, by name."""
        self.require_current_schema()
        with self.transaction(readonly=True) as session:
            return list(session.scalars(select(Clinic).order_by(Clinic.name)))

    # --- audit ---

    def verify_audit(self) -> AuditReport:
        """Verify every audit chain (see :func:`smpstudio.clinic.verify_chains`)."""
        self.require_current_schema()
        with self.transaction(readonly=True) as session:
            return verify_chains(session)


def check_actor(actor: object) -> str:
    """The person or process acting: a non-empty id or name, at most 200 characters."""
    return check_text(actor, "actor", max_len=200)


def check_timezone(name: str) -> ZoneInfo:
    """The IANA time zone of a clinic, e.g. ``Europe/London``."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ClinicError(
            f"unknown time zone {name!r}: use an IANA name like Europe/London"
        ) from None
