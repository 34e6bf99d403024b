"""The clinical rules several record services check: consent and candidacy.

Plain functions over the caller's transaction, so that a service checks a rule without
importing another service (sessions and photos need consent, sessions and bookings need a
consultation that does not block SMP).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from smpstudio._errors import ClinicError
from smpstudio.clinic._models import Consent, ConsentForm, Consultation

__all__ = [
    "ConsentStatus",
    "consent_status",
    "latest_outcome",
    "require_candidate",
    "require_consent",
    "require_not_blocked",
]


@dataclass(frozen=True)
class ConsentStatus:
    """Where a client stands on one kind of consent.

    ``granted`` is True only when the latest decision grants the current version of the form:
    publishing a new version asks for consent again.
    """

    kind: str
    granted: bool
    decision: str | None
    signed_version: int | None
    current_version: int | None
    recorded_at: datetime | None


def consent_status(s: Session, clinic_id: int, patient_id: int, kind: str) -> ConsentStatus:
    """The client's latest decision on ``kind`` against the form's current version."""
    current = s.scalar(
        select(ConsentForm)
        .where(ConsentForm.clinic_id == clinic_id, ConsentForm.kind == kind)
        .order_by(ConsentForm.version.desc())
        .limit(1)
    )
    latest = s.execute(
        select(Consent, ConsentForm.version)
        .join(
            ConsentForm,
            (ConsentForm.clinic_id == Consent.clinic_id) & (ConsentForm.id == Consent.form_id),
        )
        .where(
            Consent.clinic_id == clinic_id,
            Consent.patient_id == patient_id,
            ConsentForm.kind == kind,
        )
        .order_by(Consent.id.desc())
        .limit(1)
    ).first()
    current_version = None if current is None else current.version
    if latest is None:
        return ConsentStatus(kind, False, None, None, current_version, None)
    consent, version = latest
    granted = consent.decision == "granted" and version == current_version
    return ConsentStatus(
        kind, granted, consent.decision, version, current_version, consent.recorded_at
    )


def require_consent(s: Session, clinic_id: int, patient_id: int, kind: str) -> None:
    """Raise :class:`ClinicError` unless the client currently consents to ``kind``."""
    status = consent_status(s, clinic_id, patient_id, kind)
    if status.granted:
        return
    if status.current_version is None:
        raise ClinicError(f"publish a {kind} consent form first (publish_consent_form)")
    if status.decision == "granted":
        raise ClinicError(
            f"the client signed {kind} consent v{status.signed_version}; "
            f"v{status.current_version} needs a new signature"
        )
    raise ClinicError(f"the client has not granted {kind} consent")


def latest_outcome(s: Session, clinic_id: int, patient_id: int) -> str | None:
    """The candidacy outcome of the client's latest consultation (None: no consultation)."""
    return s.scalar(
        select(Consultation.outcome)
        .where(Consultation.clinic_id == clinic_id, Consultation.patient_id == patient_id)
        .order_by(Consultation.held_on.desc(), Consultation.id.desc())
        .limit(1)
    )


_BLOCKED = "the latest consultation found a contraindication that blocks SMP"


def require_not_blocked(s: Session, clinic_id: int, patient_id: int) -> None:
    """Raise unless the latest consultation, if any, allows SMP (booking is allowed before)."""
    if latest_outcome(s, clinic_id, patient_id) == "block":
        raise ClinicError(_BLOCKED)


def require_candidate(s: Session, clinic_id: int, patient_id: int) -> None:
    """Raise unless a consultation was recorded and its outcome does not block SMP."""
    outcome = latest_outcome(s, clinic_id, patient_id)
    if outcome is None:
        raise ClinicError("record a consultation with the candidacy questionnaire first")
    if outcome == "block":
        raise ClinicError(_BLOCKED)
