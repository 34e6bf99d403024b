"""Opening a clinic database, its schema, its clinics and its audit chains."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from types import TracebackType
from typing import TYPE_CHECKING
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
from smpstudio.clinic._errors import RecordNotFoundError
from smpstudio.clinic._models import AuditHead, Clinic
from smpstudio.clinic._validate import check_text

if TYPE_CHECKING:
    from smpstudio.clinic._records import ClinicRecords

__all__ = ["SYSTEM_CHAIN", "Database", "open_database"]

SYSTEM_CHAIN = 0
"""The audit chain of the installation itself (clinics created, schema upgraded …)."""


def open_database(
    db: str | ClinicConfig | None = None,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    settings: Settings | None = None,
    create: bool = True,
    clock: Clock | None = None,
) -> Database:
    """Open the clinic database; nothing is read or written until it is used.

    Parameters
    ----------
    db : str or ClinicConfig, optional
        A ``postgresql://`` URL, a SQLite file path, or a full configuration. Default:
        ``SMPSTUDIO_DB``, else ``clinic.sqlite3`` in the data directory.
    data_dir : path, optional
        The data directory (photo store). Default: ``SMPSTUDIO_DATA_DIR``, else the user
        data directory.
    settings : Settings, optional
        Session lengths and spacing used by scheduling. Default: ``Settings()``.
    create : bool
        Create a missing SQLite file (and its folder). With False, a missing file is an error.
    clock : Clock, optional
        Where "today" and every time stamp come from. Default: ``Clock.from_env()`` (the
        system clock unless ``SMPSTUDIO_CLOCK`` is set).
    """
    config = db if isinstance(db, ClinicConfig) else ClinicConfig.from_env(db=db, data_dir=data_dir)
    path = config.sqlite_path
    if path is not None and not path.exists():
        if not create:
            raise ClinicError(f"no database at {path}: run 'smpstudio db upgrade' to create it")
        path.parent.mkdir(parents=True, exist_ok=True)
    return Database(config, settings=settings, clock=clock)


class Database:
    """A clinic database (SQLite or PostgreSQL) and its photo store.

    Use it as a context manager, or call :meth:`close`. Work on one clinic's records goes
    through :meth:`clinic`, which scopes every query to that clinic and audits every read
    and write of patient data.
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

    def __enter__(self) -> Database:
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

    def clinic(self, clinic_id: int, *, actor: str) -> ClinicRecords:
        """The records of one clinic, seen and changed by ``actor`` (a user id or name)."""
        from smpstudio.clinic._records import ClinicRecords

        self.require_current_schema()
        actor = check_actor(actor)
        with self.transaction(readonly=True) as session:
            clinic = session.get(Clinic, clinic_id)
        if clinic is None:
            raise RecordNotFoundError(f"no clinic {clinic_id}")
        return ClinicRecords(self, clinic, actor)

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
