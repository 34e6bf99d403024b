"""Patch tests: a little of one pigment batch on the client's skin, read days later.

A patch test records who applied which pigment (brand, batch, expiry: traceable like a
session's pigment) where and when; its reading records the reaction (``none``, ``mild`` or
``marked``, with notes unless none), who read it and when. Both are append-only: a reading
is final. A client's first session needs a clean one (``_rules.patch_test_finding``, checked
by the session service).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from smpstudio._errors import ClinicError
from smpstudio.clinic import _rules
from smpstudio.clinic._audit import AuditEvent
from smpstudio.clinic._models import PatchTest, PatchTestReading, Patient, Practitioner
from smpstudio.clinic._scope import Scope
from smpstudio.clinic._validate import check_aware, check_choice, check_date, check_text

__all__ = ["REACTIONS", "PatchTestHit", "PatchTestService"]

REACTIONS: tuple[str, ...] = ("none", "mild", "marked")
"""The reactions a patch test is read as; only ``none`` is clean."""


@dataclass(frozen=True)
class PatchTestHit:
    """One patch test found by a pigment-batch recall, with the client's contact details."""

    patient_id: int
    given_name: str
    family_name: str
    email: str | None
    phone: str | None
    patch_test_id: int
    applied_at: datetime
    batch: str


class PatchTestService(Scope):
    """Patch tests, their readings and the batch recall over them."""

    def record_patch_test(
        self,
        patient_id: int,
        *,
        practitioner_id: int,
        applied_at: datetime,
        brand: str,
        batch: str,
        expires_on: date,
        site: str = "behind the ear",
        notes: str = "",
    ) -> PatchTest:
        """Record a patch test as applied; refused in the future, with expired pigment or
        without current treatment consent."""
        with self._unit("create", "patch-test", patient_id=patient_id) as s:
            self._get(s, Patient, patient_id, "patient")
            self._active_practitioner(s, practitioner_id)
            when = self._past(applied_at, "patch test", "applied")
            batch = check_text(batch, "patch test pigment batch", max_len=64)
            if check_date(expires_on, "patch test pigment expiry") < when.date():
                raise ClinicError(
                    f"pigment batch {batch} expired on {expires_on}: expired pigment may not "
                    "be used, not even for a patch test"
                )
            _rules.require_consent(s, self.clinic_id, patient_id, "treatment")
            row = PatchTest(
                clinic_id=self.clinic_id,
                patient_id=patient_id,
                practitioner_id=practitioner_id,
                applied_at=when,
                site=check_text(site, "patch test site", max_len=100),
                brand=check_text(brand, "patch test pigment brand", max_len=100),
                batch=batch,
                expires_on=expires_on,
                notes=check_text(notes, "notes", max_len=10_000, required=False),
                created_at=self._now(),
                created_by=self.actor,
            )
            s.add(row)
            s.flush()
            detail = f"batch {batch} applied {when:%Y-%m-%d %H:%M} UTC"
            self._log(s, AuditEvent("create", "patch-test", row.id, patient_id, detail=detail))
            return self._load_patch_test(s, row.id)

    def read_patch_test(
        self,
        patch_test_id: int,
        *,
        practitioner_id: int,
        read_at: datetime,
        reaction: str,
        notes: str = "",
    ) -> PatchTest:
        """Record the reading of a patch test (once: a reading is final)."""
        with self._unit("read-result", "patch-test") as s:
            test = self._get(s, PatchTest, patch_test_id, "patch test")
            self._active_practitioner(s, practitioner_id)
            if test.reading is not None:
                raise ClinicError(
                    f"the patch test of {test.brand} applied on {test.applied_at:%Y-%m-%d} was "
                    "read already "
                    f"({test.reading.reaction}, {test.reading.read_at:%Y-%m-%d %H:%M} UTC): "
                    "a reading is final; record a new patch test instead"
                )
            when = self._past(read_at, "patch test reading", "read")
            if when < test.applied_at:
                raise ClinicError(
                    f"the reading ({when:%Y-%m-%d %H:%M} UTC) is before the patch test was "
                    f"applied ({test.applied_at:%Y-%m-%d %H:%M} UTC)"
                )
            reaction = check_choice(reaction, "reaction", REACTIONS)
            text = check_text(notes, "reaction notes", max_len=10_000, required=False)
            if reaction != "none" and not text:
                raise ClinicError(f"describe the {reaction} reaction in the notes")
            s.add(
                PatchTestReading(
                    clinic_id=self.clinic_id,
                    patch_test_id=test.id,
                    practitioner_id=practitioner_id,
                    read_at=when,
                    reaction=reaction,
                    notes=text,
                    created_at=self._now(),
                    created_by=self.actor,
                )
            )
            s.flush()
            event = AuditEvent("update", "patch-test", test.id, test.patient_id, detail=reaction)
            self._log(s, event)
            return self._load_patch_test(s, test.id)

    def patch_tests(self, patient_id: int) -> list[PatchTest]:
        """A client's patch tests with their readings, newest first (an audited read)."""
        with self._unit("read", "patch-test", patient_id=patient_id) as s:
            self._get(s, Patient, patient_id, "patient")
            rows = list(
                s.scalars(
                    select(PatchTest)
                    .where(
                        PatchTest.clinic_id == self.clinic_id, PatchTest.patient_id == patient_id
                    )
                    .order_by(PatchTest.applied_at.desc(), PatchTest.id.desc())
                )
            )
            self._log(s, AuditEvent("read", "patch-test", None, patient_id, detail="list"))
            return rows

    def patch_tests_with_pigment_batch(self, batch: str) -> list[PatchTestHit]:
        """Every client patch-tested with pigment batch ``batch`` (audited, like a recall)."""
        batch = check_text(batch, "pigment batch", max_len=64)
        query = (
            select(
                Patient.id,
                Patient.given_name,
                Patient.family_name,
                Patient.email,
                Patient.phone,
                PatchTest.id,
                PatchTest.applied_at,
                PatchTest.batch,
            )
            .join(
                Patient,
                (Patient.clinic_id == PatchTest.clinic_id) & (Patient.id == PatchTest.patient_id),
            )
            .where(PatchTest.clinic_id == self.clinic_id, PatchTest.batch == batch)
            .order_by(Patient.family_name, Patient.given_name, Patient.id, PatchTest.applied_at)
        )
        with self._unit("trace", "patch-test-batch") as s:
            hits = [PatchTestHit(*row) for row in s.execute(query)]
            patients = dict.fromkeys(h.patient_id for h in hits)
            events = [
                AuditEvent("trace", "patch-test-batch", batch, p, detail="lot recall")
                for p in patients
            ]
            self._log(
                s, *(events or [AuditEvent("trace", "patch-test-batch", batch, detail="no client")])
            )
            return hits

    def _active_practitioner(self, s: Session, practitioner_id: int) -> Practitioner:
        practitioner = self._get(s, Practitioner, practitioner_id, "practitioner")
        if not practitioner.active:
            raise ClinicError(f"practitioner {practitioner.full_name} is not active")
        return practitioner

    def _past(self, value: datetime, what: str, verb: str) -> datetime:
        when = check_aware(value, f"the time the {what} was {verb}")
        now = self._now()
        if when > now:
            local = when.astimezone(self.timezone)
            raise ClinicError(
                f"the {what} is dated {local:%Y-%m-%d %H:%M} ({self.timezone.key}), in the "
                f"future: record it once it is {verb}"
            )
        return when

    @staticmethod
    def _load_patch_test(s: Session, patch_test_id: int) -> PatchTest:
        query = select(PatchTest).where(PatchTest.id == patch_test_id)
        return s.scalars(query.execution_options(populate_existing=True)).one()
