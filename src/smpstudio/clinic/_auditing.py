"""The audit service: reading the clinic's audit trail (the chain itself is ``_audit``)."""

from __future__ import annotations

from sqlalchemy import select

from smpstudio.clinic._audit import AuditEvent
from smpstudio.clinic._models import AuditEntry, Patient
from smpstudio.clinic._scope import Scope
from smpstudio.clinic._validate import check_int

__all__ = ["AuditService"]


class AuditService(Scope):
    """The clinic's audit trail, as the records' users may read it (itself audited)."""

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
