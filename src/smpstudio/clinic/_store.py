"""The connection layer of a clinic database: engine, transactions, schema, clinics, clock."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from types import TracebackType
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from smpstudio._clock import Clock
from smpstudio._errors import ClinicError
from smpstudio._settings import Settings
from smpstudio.clinic import _migrations
from smpstudio.clinic._audit import AuditEvent, AuditReport, append_events, verify_chains
from smpstudio.clinic._billing_settings import billing_values, check_currency_change
from smpstudio.clinic._config import ClinicConfig
from smpstudio.clinic._engine import READONLY, create_clinic_engine
from smpstudio.clinic._models import AuditHead, Booking, Clinic, InstanceSecret
from smpstudio.clinic._validate import check_email, check_phone, check_text

__all__ = ["RECORD_ID_KEY", "SYSTEM_CHAIN", "Store", "check_actor", "check_timezone"]

SYSTEM_CHAIN = 0
RECORD_ID_KEY = "record-ids"
"""The name of the secret that keys the record-id tokens of URLs (migration 0011)."""
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

    def update_clinic(
        self,
        clinic_id: int,
        *,
        actor: str,
        name: str | None = None,
        timezone: str | None = None,
        address: str | None = None,
        phone: str | None = None,
        email: str | None = None,
        opening_hours: str | None = None,
        **billing: Any,
    ) -> Clinic:
        """Change the clinic's name, time zone, contact details or opening hours (those
        given), audited on the clinic's chain with the fields changed. The time zone only
        changes while no session is booked from today on: a booking's clinic-local day was
        fixed in the old one.

        ``billing``: the currency, prices, deposit rule, no-show fee and tax
        (:func:`~smpstudio.clinic._billing_settings.billing_values`); the currency only
        changes while no payment is recorded."""
        self.require_current_schema()
        actor = check_actor(actor)
        try:
            with self.transaction() as session:
                clinic = session.get(Clinic, clinic_id)
                if clinic is None:
                    raise ClinicError(f"no clinic {clinic_id}")
                values: dict[str, Any] = dict(
                    _clinic_values(name, timezone, address, phone, email, opening_hours)
                )
                values.update(billing_values(current=clinic, **billing))
                changed = [k for k, v in values.items() if getattr(clinic, k) != v]
                if "timezone" in changed:
                    self._check_no_bookings_ahead(session, clinic)
                if "currency" in changed:
                    check_currency_change(session, clinic, values["currency"])
                for field in changed:
                    setattr(clinic, field, values[field])
                session.flush()
                if changed:
                    detail = "changed " + ", ".join(changed)
                    append_events(
                        session,
                        chain=clinic.id,
                        actor=actor,
                        clinic_id=clinic.id,
                        events=[AuditEvent("update", "clinic", clinic.id, detail=detail)],
                        at=self.clock.now(),
                    )
        except IntegrityError:
            error = ClinicError(f"a clinic named {name!r} exists already")
            self._audit_refused_update(clinic_id, actor, str(error))
            raise error from None
        except ClinicError as exc:
            self._audit_refused_update(clinic_id, actor, str(exc))
            raise
        return clinic

    def _audit_refused_update(self, clinic_id: int, actor: str, detail: str) -> None:
        """A refused change of the clinic's details, on its chain (nothing else written)."""
        with self.transaction() as session:
            if session.get(Clinic, clinic_id) is None:
                return
            append_events(
                session,
                chain=clinic_id,
                actor=actor,
                clinic_id=clinic_id,
                events=[AuditEvent("update", "clinic", clinic_id, None, "refused", detail)],
                at=self.clock.now(),
            )

    def _check_no_bookings_ahead(self, session: Session, clinic: Clinic) -> None:
        today = self.clock.today(ZoneInfo(clinic.timezone))
        count = session.scalar(
            select(func.count()).where(
                Booking.clinic_id == clinic.id,
                Booking.status == "booked",
                Booking.local_day >= today,
            )
        )
        if count:
            raise ClinicError(
                f"{count} session(s) are booked from today on, on days of {clinic.timezone}: "
                "the time zone can change once none is booked (move or cancel them first)"
            )

    def clinics(self) -> list[Clinic]:
        """Every clinic, by name."""
        self.require_current_schema()
        with self.transaction(readonly=True) as session:
            return list(session.scalars(select(Clinic).order_by(Clinic.name)))

    # --- secrets of the installation ---

    def record_id_key(self) -> bytes:
        """The 16-byte key of the installation's record tokens (``clinic._record_ids``): made
        by migration 0011, and made here if it is missing (a concurrent maker wins)."""
        self.require_current_schema()
        with self.transaction(readonly=True) as session:
            row = session.get(InstanceSecret, RECORD_ID_KEY)
        if row is not None:
            return bytes(row.value)
        try:
            with self.transaction() as session:
                session.add(InstanceSecret(name=RECORD_ID_KEY, value=os.urandom(16)))
        except IntegrityError:  # another process made it first: use theirs
            pass
        with self.transaction(readonly=True) as session:
            made = session.get(InstanceSecret, RECORD_ID_KEY)
        assert made is not None
        return bytes(made.value)

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


def _clinic_values(
    name: str | None,
    timezone: str | None,
    address: str | None,
    phone: str | None,
    email: str | None,
    opening_hours: str | None,
) -> dict[str, str]:
    """The clinic fields given, each checked."""
    values: dict[str, str] = {}
    if name is not None:
        values["name"] = check_text(name, "clinic name", max_len=200)
    if timezone is not None:
        check_timezone(timezone)
        values["timezone"] = timezone
    if address is not None:
        values["address"] = check_text(address, "address", max_len=300, required=False)
    if phone is not None:
        values["phone"] = check_phone(phone, "clinic phone") or ""
    if email is not None:
        values["email"] = check_email(email, "clinic e-mail") or ""
    if opening_hours is not None:
        values["opening_hours"] = check_text(
            opening_hours, "opening hours", max_len=500, required=False
        )
    return values
