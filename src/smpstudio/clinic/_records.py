""":class:`ClinicRecords`: everything one clinic keeps, scoped and audited."""

from __future__ import annotations

from sqlalchemy import select

from smpstudio.clinic._audit import AuditEvent
from smpstudio.clinic._models import AuditEntry, Patient
from smpstudio.clinic._people import PeopleMixin
from smpstudio.clinic._scheduling import ScheduleMixin
from smpstudio.clinic._validate import check_int

__all__ = ["ClinicRecords"]


class ClinicRecords(ScheduleMixin, PeopleMixin):
    """The records of one clinic as one actor sees and changes them.

    Get it from :meth:`Database.clinic`. Every query is scoped to the clinic (a record of
    another clinic is :class:`RecordNotFoundError`, and the attempt is audited as ``denied``);
    every read and write of patient data and photos appends to the clinic's audit chain in
    the same transaction. Records come back as detached, read-only snapshots: change them
    through the methods.
    """

    def audit_trail(self, *, patient_id: int | None = None, limit: int = 200) -> list[AuditEntry]:
        """The clinic's latest audit entries, or those about one client (newest first)."""
        with self._unit("read", "audit", patient_id=patient_id) as s:
            check_int(limit, "limit", low=1, high=10_000)
            query = select(AuditEntry).where(AuditEntry.chain == self.clinic_id)
            if patient_id is not None:
                self._get(s, Patient, patient_id, "patient")
                query = query.where(AuditEntry.patient_id == patient_id)
            rows = list(s.scalars(query.order_by(AuditEntry.seq.desc()).limit(limit)))
            self._log(s, AuditEvent("read", "audit", None, patient_id))
            return rows
