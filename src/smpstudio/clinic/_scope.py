"""The base of every record service: one clinic, one actor, audited transactions.

The services (people, clinical, sessions, photos, scheduling, audit) each subclass
:class:`Scope` and import nothing of each other; the rules several of them check (consent,
candidacy) are in ``_rules``; :class:`ClinicRecords` (``_records``) is their union.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from smpstudio._errors import ClinicError
from smpstudio.clinic._audit import AuditEvent, append_events
from smpstudio.clinic._errors import RecordNotFoundError
from smpstudio.clinic._models import Clinic
from smpstudio.clinic._store import Store

__all__ = ["Scope"]

T = TypeVar("T")


class Scope:
    """One clinic's records as one actor sees them; every query is scoped to the clinic."""

    def __init__(self, db: Store, clinic: Clinic, actor: str) -> None:
        self._db = db
        self.clinic_id = clinic.id
        self.clinic_name = clinic.name
        self.timezone = ZoneInfo(clinic.timezone)
        self.actor = actor
        self.settings = db.settings

    def __repr__(self) -> str:
        return f"<ClinicRecords clinic={self.clinic_id} {self.clinic_name!r} actor={self.actor!r}>"

    def today(self) -> date:
        """Today in the clinic's time zone (by the database's clock)."""
        return self._db.clock.today(self.timezone)

    @contextmanager
    def _unit(
        self, action: str, object_type: str, *, patient_id: int | None = None
    ) -> Iterator[Session]:
        """One audited transaction; a refusal is logged (outcome ``denied``/``refused``)."""
        try:
            with self._db.transaction() as session:
                yield session
        except RecordNotFoundError as exc:
            self._log_refusal(action, object_type, patient_id, "denied", str(exc))
            raise
        except ClinicError as exc:
            self._log_refusal(action, object_type, patient_id, "refused", str(exc))
            raise

    def _log(self, session: Session, *events: AuditEvent) -> None:
        append_events(
            session,
            chain=self.clinic_id,
            actor=self.actor,
            clinic_id=self.clinic_id,
            events=events,
            at=self._now(),
        )

    def _log_refusal(
        self, action: str, object_type: str, patient_id: int | None, outcome: Any, detail: str
    ) -> None:
        event = AuditEvent(action, object_type, None, patient_id, outcome, detail)
        with self._db.transaction() as session:
            self._log(session, event)

    def _get(self, session: Session, model: type[T], object_id: int, what: str) -> T:
        """The record ``object_id`` of this clinic, or :class:`RecordNotFoundError`."""
        if isinstance(object_id, bool) or not isinstance(object_id, int):
            raise RecordNotFoundError(f"no {what} {object_id!r} in this clinic")
        query: Select[T] = select(model).where(
            model.id == object_id,  # type: ignore[attr-defined]
            model.clinic_id == self.clinic_id,  # type: ignore[attr-defined]
        )
        row = session.execute(query).scalar_one_or_none()
        if row is None:
            raise RecordNotFoundError(f"no {what} {object_id} in this clinic")
        return row

    def _get_owned(
        self, session: Session, model: type[Any], object_id: int, patient_id: int, what: str
    ) -> Any:
        """The record ``object_id`` of this clinic, which must belong to client ``patient_id``."""
        row = self._get(session, model, object_id, what)
        if row.patient_id != patient_id:
            raise ClinicError(f"the {what} belongs to another client")
        return row

    def now(self) -> datetime:
        """The current instant, in UTC (by the database's clock)."""
        return self._db.clock.now()

    _now = now
