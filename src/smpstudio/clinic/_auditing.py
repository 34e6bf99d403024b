"""The audit service: reading the clinic's audit trail (the chain itself is ``_audit``)."""

from __future__ import annotations

from sqlalchemy import select

from smpstudio.clinic._audit import AuditEvent
from smpstudio.clinic._models import AuditEntry, Patient
from smpstudio.clinic._scope import Scope
from smpstudio.clinic._validate import check_int, check_text

__all__ = ["AuditService"]


class AuditService(Scope):
    """The clinic's audit trail, as the records' users may read it (itself audited)."""

    def audit_trail(
        self,
        *,
        patient_id: int | None = None,
        limit: int = 200,
        before_seq: int | None = None,
        action: str | None = None,
        actor: str | None = None,
    ) -> list[AuditEntry]:
        """The clinic's latest audit entries (newest first), or a page of them: those before
        entry ``before_seq``, about one client, of one ``action`` (``read``, ``create``,
        ``denied`` …) or by one ``actor`` (``user:7``)."""
        with self._unit("read", "audit", patient_id=patient_id) as s:
            check_int(limit, "limit", low=1, high=10_000)
            query = select(AuditEntry).where(AuditEntry.chain == self.clinic_id)
            if patient_id is not None:
                self._get(s, Patient, patient_id, "patient")
                query = query.where(AuditEntry.patient_id == patient_id)
            if before_seq is not None:
                check_int(before_seq, "before_seq", low=1, high=2**63 - 1)
                query = query.where(AuditEntry.seq < before_seq)
            if action:
                query = query.where(AuditEntry.action == check_text(action, "action", max_len=40))
            if actor:
                query = query.where(AuditEntry.actor == check_text(actor, "actor", max_len=100))
            rows = list(s.scalars(query.order_by(AuditEntry.seq.desc()).limit(limit)))
            self._log(s, AuditEvent("read", "audit", None, patient_id))
            return rows
