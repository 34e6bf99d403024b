"""The clinical service: consultations and candidacy, versioned consent, designs, plans,
follow-ups and leads."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smpstudio._design import DESIGN_SCHEMA
from smpstudio._errors import ClinicError
from smpstudio.clinic import _rules
from smpstudio.clinic._audit import AuditEvent
from smpstudio.clinic._candidacy import evaluate_candidacy, resolve_rules
from smpstudio.clinic._models import (
    Consent,
    ConsentForm,
    Consultation,
    DesignVersion,
    FollowUp,
    FollowUpZone,
    Lead,
    Patient,
    Practitioner,
    SessionRecord,
    TreatmentPlan,
)
from smpstudio.clinic._rules import ConsentStatus
from smpstudio.clinic._scope import Scope
from smpstudio.clinic._validate import (
    check_choice,
    check_date,
    check_email,
    check_int,
    check_number,
    check_phone,
    check_text,
    json_object,
)

__all__ = [
    "CONSENT_DECISIONS",
    "CONSENT_KINDS",
    "CONSULTATION_REASONS",
    "FOLLOW_UP_KINDS",
    "LEAD_STATUSES",
    "PLAN_STATUSES",
    "RETENTION_ZONES",
    "STAGES",
    "ClinicalService",
]

CONSULTATION_REASONS = (
    "pattern-loss",
    "alopecia",
    "cancer-treatment",
    "thinning",
    "scar",
    "trauma",
    "transplant-scar",
)
"""Why a client comes: any number of these per consultation."""

_NORWOOD = ("1", "2", "2a", "3", "3a", "3v", "4", "4a", "5", "5a", "6", "7")
STAGES = (*(f"norwood-{s}" for s in _NORWOOD), "ludwig-1", "ludwig-2", "ludwig-3")
"""Norwood (men) and Ludwig (women) stages, spelled as the hair-loss patterns."""

CONSENT_KINDS = ("treatment", "photo", "marketing")
"""Consent to the treatment, to clinical photos, and to the use of photos in marketing."""

CONSENT_DECISIONS = ("granted", "refused", "withdrawn")

PLAN_STATUSES = ("draft", "accepted", "completed", "cancelled")

FOLLOW_UP_KINDS = ("healing-check", "touch-up", "review")

RETENTION_ZONES = ("hairline", "frontal", "temples", "mid-scalp", "crown", "sides", "back", "scar")
"""Zones in which pigment retention is assessed at a follow-up (0–100 %)."""

LEAD_STATUSES = ("new", "contacted", "converted", "closed")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class ClinicalService(Scope):
    """The clinical record of a client: consultations, consent, designs, plans, follow-ups,
    and the clinic's leads."""

    # --- consultations ---

    def record_consultation(
        self,
        patient_id: int,
        *,
        held_on: date,
        reasons: Collection[str],
        answers: Mapping[str, bool],
        stage: str | None = None,
        practitioner_id: int | None = None,
        rules: Mapping[str, str] | None = None,
        notes: str = "",
    ) -> Consultation:
        """Record a consultation with its candidacy questionnaire, evaluated on the spot.

        ``rules`` overrides the default rule (block, refer, warn) of any contraindication;
        the rules used are stored with the answers.
        """
        with self._unit("create", "consultation", patient_id=patient_id) as s:
            self._get(s, Patient, patient_id, "patient")
            if practitioner_id is not None:
                self._get(s, Practitioner, practitioner_id, "practitioner")
            reason_list = self._check_reasons(reasons)
            if stage is not None:
                check_choice(stage, "stage", STAGES)
            effective = resolve_rules(rules)
            result = evaluate_candidacy(answers, effective)
            row = Consultation(
                clinic_id=self.clinic_id,
                patient_id=patient_id,
                practitioner_id=practitioner_id,
                held_on=check_date(held_on, "held_on"),
                reasons=_dumps(reason_list),
                stage=stage,
                answers=_dumps(dict(answers)),
                rules=_dumps(effective),
                outcome=result.outcome,
                findings=_dumps([f.__dict__ for f in result.findings]),
                notes=check_text(notes, "notes", max_len=10_000, required=False),
                created_at=self._now(),
                created_by=self.actor,
            )
            s.add(row)
            s.flush()
            detail = f"outcome {result.outcome}"
            self._log(s, AuditEvent("create", "consultation", row.id, patient_id, detail=detail))
            return row

    @staticmethod
    def _check_reasons(reasons: Collection[str]) -> list[str]:
        if isinstance(reasons, str) or not reasons:
            raise ClinicError(f"give one or more reasons among {', '.join(CONSULTATION_REASONS)}")
        for reason in reasons:
            check_choice(reason, "reason", CONSULTATION_REASONS)
        return sorted(set(reasons), key=CONSULTATION_REASONS.index)

    def consultations(self, patient_id: int) -> list[Consultation]:
        """A client's consultations, oldest first (an audited read)."""
        with self._unit("read", "consultation", patient_id=patient_id) as s:
            self._get(s, Patient, patient_id, "patient")
            rows = list(
                s.scalars(
                    select(Consultation)
                    .where(
                        Consultation.clinic_id == self.clinic_id,
                        Consultation.patient_id == patient_id,
                    )
                    .order_by(Consultation.held_on, Consultation.id)
                )
            )
            self._log(s, AuditEvent("read", "consultation", None, patient_id, detail="list"))
            return rows

    # --- consent ---

    def publish_consent_form(self, kind: str, *, title: str, body: str) -> ConsentForm:
        """Publish the next version of a consent text; earlier signatures then need renewal."""
        with self._unit("create", "consent-form") as s:
            check_choice(kind, "consent kind", CONSENT_KINDS)
            body = check_text(body, "consent text", max_len=100_000)
            latest = s.scalar(
                select(func.max(ConsentForm.version)).where(
                    ConsentForm.clinic_id == self.clinic_id, ConsentForm.kind == kind
                )
            )
            row = ConsentForm(
                clinic_id=self.clinic_id,
                kind=kind,
                version=(latest or 0) + 1,
                title=check_text(title, "consent title", max_len=200),
                body=body,
                body_sha256=_sha256(body),
                published_at=self._now(),
            )
            s.add(row)
            s.flush()
            self._log(
                s, AuditEvent("create", "consent-form", row.id, detail=f"{kind} v{row.version}")
            )
            return row

    def consent_forms(self, kind: str) -> list[ConsentForm]:
        """Every version of one kind of consent form, oldest first."""
        check_choice(kind, "consent kind", CONSENT_KINDS)
        with self._db.transaction(readonly=True) as s:
            return list(
                s.scalars(
                    select(ConsentForm)
                    .where(ConsentForm.clinic_id == self.clinic_id, ConsentForm.kind == kind)
                    .order_by(ConsentForm.version)
                )
            )

    def record_consent(
        self, patient_id: int, form_id: int, *, decision: str, signed_name: str
    ) -> Consent:
        """Record a client's decision on a consent form (withdrawal is a new record)."""
        with self._unit("create", "consent", patient_id=patient_id) as s:
            self._get(s, Patient, patient_id, "patient")
            form = self._get(s, ConsentForm, form_id, "consent form")
            check_choice(decision, "decision", CONSENT_DECISIONS)
            row = Consent(
                clinic_id=self.clinic_id,
                patient_id=patient_id,
                form_id=form.id,
                decision=decision,
                signed_name=check_text(signed_name, "signed name", max_len=200),
                recorded_at=self._now(),
                recorded_by=self.actor,
            )
            s.add(row)
            s.flush()
            detail = f"{form.kind} v{form.version} {decision}"
            self._log(s, AuditEvent("create", "consent", row.id, patient_id, detail=detail))
            return row

    def consent_status(self, patient_id: int, kind: str) -> ConsentStatus:
        """Whether a client currently consents to ``kind`` (an audited read)."""
        with self._unit("read", "consent", patient_id=patient_id) as s:
            check_choice(kind, "consent kind", CONSENT_KINDS)
            self._get(s, Patient, patient_id, "patient")
            status = _rules.consent_status(s, self.clinic_id, patient_id, kind)
            self._log(s, AuditEvent("read", "consent", None, patient_id, detail=kind))
            return status

    # --- designs and plans ---

    def save_design(
        self,
        patient_id: int,
        content: str | bytes | Mapping[str, Any],
        *,
        consultation_id: int | None = None,
    ) -> DesignVersion:
        """Save a design (the content of ``design.json``) as the client's next version."""
        with self._unit("create", "design", patient_id=patient_id) as s:
            self._get(s, Patient, patient_id, "patient")
            if consultation_id is not None:
                self._get_owned(s, Consultation, consultation_id, patient_id, "consultation")
            text, data = json_object(content, "the design")
            if data.get("schema") != DESIGN_SCHEMA:
                raise ClinicError(f"not a smpstudio design (expected schema {DESIGN_SCHEMA})")
            inputs = data.get("inputs")
            if not isinstance(inputs, dict):
                raise ClinicError("the design has no inputs")
            row = DesignVersion(
                clinic_id=self.clinic_id,
                patient_id=patient_id,
                consultation_id=consultation_id,
                version=self._next_version(s, DesignVersion, patient_id),
                pattern=check_text(inputs.get("pattern"), "design pattern", max_len=30),
                hairline_style=check_text(inputs.get("hairline"), "hairline style", max_len=20),
                content=text,
                content_sha256=_sha256(text),
                created_at=self._now(),
                created_by=self.actor,
            )
            s.add(row)
            s.flush()
            detail = f"v{row.version} sha256 {row.content_sha256[:16]}"
            self._log(s, AuditEvent("create", "design", row.id, patient_id, detail=detail))
            return row

    def designs(self, patient_id: int) -> list[DesignVersion]:
        """Every design version of a client, oldest first (an audited read)."""
        return self._list_versions(DesignVersion, patient_id, "design")

    def save_plan(
        self,
        patient_id: int,
        content: str | bytes | Mapping[str, Any],
        *,
        sessions_planned: int | None = None,
        spacing_days: float | None = None,
        design_version_id: int | None = None,
        status: str = "draft",
    ) -> TreatmentPlan:
        """Save a treatment plan (the content of ``plan.json``) as the client's next version.

        ``sessions_planned`` and ``spacing_days`` default to the plan's ``sessions`` (a list
        or a count) and ``spacing_days`` (or ``rates.spacing_days``, as ``smpstudio plan``
        writes it), else to the settings.
        """
        with self._unit("create", "plan", patient_id=patient_id) as s:
            self._get(s, Patient, patient_id, "patient")
            if design_version_id is not None:
                self._get_owned(s, DesignVersion, design_version_id, patient_id, "design")
            text, data = json_object(content, "the plan")
            schema = data.get("schema", "smpstudio/plan")
            if not isinstance(schema, str) or not schema.startswith("smpstudio/plan"):
                raise ClinicError(f"not a smpstudio plan (schema {schema!r})")
            count, spacing = self._plan_columns(data, sessions_planned, spacing_days)
            row = TreatmentPlan(
                clinic_id=self.clinic_id,
                patient_id=patient_id,
                design_version_id=design_version_id,
                version=self._next_version(s, TreatmentPlan, patient_id),
                status=check_choice(status, "plan status", PLAN_STATUSES),
                sessions_planned=count,
                spacing_days=spacing,
                content=text,
                content_sha256=_sha256(text),
                created_at=self._now(),
                created_by=self.actor,
            )
            s.add(row)
            s.flush()
            detail = f"v{row.version} {count} sessions every {spacing:g} days"
            self._log(s, AuditEvent("create", "plan", row.id, patient_id, detail=detail))
            return row

    def _plan_columns(
        self, data: dict[str, Any], sessions: int | None, spacing: float | None
    ) -> tuple[int, float]:
        if sessions is None:
            raw = data.get("sessions")
            sessions = len(raw) if isinstance(raw, list) else raw
        if sessions is None:
            sessions = len(self.settings.session_fractions)
        count = check_int(sessions, "sessions planned", low=1, high=12)
        if spacing is None:
            rates = data.get("rates")
            spacing = data.get("spacing_days") or (
                rates.get("spacing_days") if isinstance(rates, dict) else None
            )
        if spacing is None:
            spacing = self.settings.session_spacing_days
        low, high = self.settings.session_spacing_min_days, self.settings.session_spacing_max_days
        return count, check_number(spacing, "plan spacing (days)", low=low, high=high)

    def set_plan_status(self, plan_id: int, status: str) -> TreatmentPlan:
        """Accept, complete or cancel a plan."""
        with self._unit("update", "plan") as s:
            row = self._get(s, TreatmentPlan, plan_id, "plan")
            row.status = check_choice(status, "plan status", PLAN_STATUSES)
            event = AuditEvent("update", "plan", row.id, row.patient_id, detail=f"status {status}")
            self._log(s, event)
            return row

    def plans(self, patient_id: int) -> list[TreatmentPlan]:
        """Every plan version of a client, oldest first (an audited read)."""
        return self._list_versions(TreatmentPlan, patient_id, "plan")

    def _next_version(
        self, s: Session, model: type[DesignVersion] | type[TreatmentPlan], patient_id: int
    ) -> int:
        latest = s.scalar(
            select(func.max(model.version)).where(
                model.clinic_id == self.clinic_id, model.patient_id == patient_id
            )
        )
        return (latest or 0) + 1

    def _list_versions(
        self, model: type[DesignVersion] | type[TreatmentPlan], patient_id: int, what: str
    ) -> list[Any]:
        with self._unit("read", what, patient_id=patient_id) as s:
            self._get(s, Patient, patient_id, "patient")
            rows = list(
                s.scalars(
                    select(model)
                    .where(model.clinic_id == self.clinic_id, model.patient_id == patient_id)
                    .order_by(model.version)
                )
            )
            self._log(s, AuditEvent("read", what, None, patient_id, detail="list"))
            return rows

    # --- follow-ups ---

    def add_follow_up(
        self,
        patient_id: int,
        *,
        due_on: date,
        kind: str,
        session_id: int | None = None,
        notes: str = "",
    ) -> FollowUp:
        """Schedule a follow-up (healing check, touch-up review …)."""
        with self._unit("create", "follow-up", patient_id=patient_id) as s:
            self._get(s, Patient, patient_id, "patient")
            if session_id is not None:
                self._get_owned(s, SessionRecord, session_id, patient_id, "session")
            row = FollowUp(
                clinic_id=self.clinic_id,
                patient_id=patient_id,
                session_id=session_id,
                kind=check_choice(kind, "follow-up kind", FOLLOW_UP_KINDS),
                due_on=check_date(due_on, "due_on"),
                done_on=None,
                notes=check_text(notes, "notes", max_len=10_000, required=False),
                created_at=self._now(),
                created_by=self.actor,
            )
            s.add(row)
            s.flush()
            self._log(s, AuditEvent("create", "follow-up", row.id, patient_id))
            return self._reload_follow_up(s, row.id)

    def complete_follow_up(
        self, follow_up_id: int, *, done_on: date, retention: Mapping[str, int], notes: str = ""
    ) -> FollowUp:
        """Record a follow-up as done with the pigment retention found per zone (0–100 %)."""
        with self._unit("update", "follow-up") as s:
            row = self._get(s, FollowUp, follow_up_id, "follow-up")
            if row.done_on is not None:
                raise ClinicError(f"the follow-up was completed on {row.done_on}")
            row.done_on = check_date(done_on, "done_on")
            if notes:
                row.notes = check_text(notes, "notes", max_len=10_000)
            if not retention:
                raise ClinicError(
                    f"give the retention of one or more of {', '.join(RETENTION_ZONES)}"
                )
            for zone, percent in retention.items():
                check_choice(zone, "zone", RETENTION_ZONES)
                value = check_int(percent, f"retention in {zone} (%)", low=0, high=100)
                s.add(
                    FollowUpZone(
                        clinic_id=self.clinic_id,
                        follow_up_id=row.id,
                        zone=zone,
                        retention_percent=value,
                    )
                )
            s.flush()
            self._log(s, AuditEvent("update", "follow-up", row.id, row.patient_id, detail="done"))
            return self._reload_follow_up(s, row.id)

    def follow_ups(
        self, *, patient_id: int | None = None, due_by: date | None = None, open_only: bool = False
    ) -> list[FollowUp]:
        """Follow-ups of one client or of the clinic, by due date (each read is audited)."""
        with self._unit("read", "follow-up", patient_id=patient_id) as s:
            query = select(FollowUp).where(FollowUp.clinic_id == self.clinic_id)
            if patient_id is not None:
                self._get(s, Patient, patient_id, "patient")
                query = query.where(FollowUp.patient_id == patient_id)
            if due_by is not None:
                query = query.where(FollowUp.due_on <= check_date(due_by, "due_by"))
            if open_only:
                query = query.where(FollowUp.done_on.is_(None))
            rows = list(s.scalars(query.order_by(FollowUp.due_on, FollowUp.id)))
            self._log(s, *(AuditEvent("read", "follow-up", r.id, r.patient_id) for r in rows))
            return rows

    @staticmethod
    def _reload_follow_up(s: Session, follow_up_id: int) -> FollowUp:
        query = select(FollowUp).where(FollowUp.id == follow_up_id)
        return s.scalars(query.execution_options(populate_existing=True)).one()

    # --- leads ---

    def add_lead(
        self,
        name: str,
        *,
        email: str | None = None,
        phone: str | None = None,
        message: str = "",
        stage: str | None = None,
        contact_consent: bool = False,
    ) -> Lead:
        """Save a consultation request from the web site (the visitor agreed to be contacted)."""
        with self._unit("create", "lead") as s:
            if contact_consent is not True:
                raise ClinicError("the visitor must agree to be contacted about the request")
            email, phone = check_email(email), check_phone(phone)
            if email is None and phone is None:
                raise ClinicError("give an e-mail address or a phone number to be contacted")
            if stage is not None:
                check_choice(stage, "stage", STAGES)
            now = self._now()
            row = Lead(
                clinic_id=self.clinic_id,
                received_at=now,
                name=check_text(name, "name", max_len=200),
                email=email,
                phone=phone,
                message=check_text(message, "message", max_len=2000, required=False),
                stage=stage,
                contact_consent=True,
                status="new",
                patient_id=None,
                updated_at=now,
            )
            s.add(row)
            s.flush()
            self._log(s, AuditEvent("create", "lead", row.id))
            return row

    def leads(self, *, status: str | None = None, limit: int = 100) -> list[Lead]:
        """Consultation requests, newest first (each read is audited)."""
        with self._unit("read", "lead") as s:
            check_int(limit, "limit", low=1, high=1000)
            query = select(Lead).where(Lead.clinic_id == self.clinic_id)
            if status is not None:
                query = query.where(Lead.status == check_choice(status, "status", LEAD_STATUSES))
            rows = list(
                s.scalars(query.order_by(Lead.received_at.desc(), Lead.id.desc()).limit(limit))
            )
            self._log(s, *(AuditEvent("read", "lead", r.id, r.patient_id) for r in rows))
            return rows

    def update_lead(self, lead_id: int, *, status: str, patient_id: int | None = None) -> Lead:
        """Move a lead on (contacted, converted into a patient, closed)."""
        with self._unit("update", "lead", patient_id=patient_id) as s:
            row = self._get(s, Lead, lead_id, "lead")
            row.status = check_choice(status, "status", LEAD_STATUSES)
            if patient_id is not None:
                self._get(s, Patient, patient_id, "patient")
                row.patient_id = patient_id
            if status == "converted" and row.patient_id is None:
                raise ClinicError("a converted lead names the patient it became")
            row.updated_at = self._now()
            self._log(s, AuditEvent("update", "lead", row.id, row.patient_id, detail=status))
            return row
