"""The clinical rules several record services check: consent, candidacy, patch test.

Plain functions over the caller's transaction, so that a service checks a rule without
importing another service (sessions and photos need consent, sessions and bookings need a
consultation that does not block SMP, a first session needs a clean patch test, which the
patch-test service records).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from smpstudio._errors import ClinicError
from smpstudio.clinic._models import Consent, ConsentForm, Consultation, PatchTest

__all__ = [
    "ConsentStatus",
    "consent_status",
    "latest_outcome",
    "patch_test_finding",
    "require_candidate",
    "require_consent",
    "require_not_blocked",
    "same_pigment",
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


def patch_test_finding(
    s: Session,
    clinic_id: int,
    patient_id: int,
    *,
    brands: Collection[str],
    start: datetime,
    read_by: datetime,
    min_hours: float,
) -> str | None:
    """What keeps the client's patch tests from clearing a first session, or None.

    Every pigment (brand and product, compared without case and extra spaces) of the session
    needs a patch test with that pigment, of any batch, read as reaction ``none`` no later
    than ``read_by`` and applied at least ``min_hours`` before ``start``.
    """
    tests = list(
        s.scalars(
            select(PatchTest)
            .where(PatchTest.clinic_id == clinic_id, PatchTest.patient_id == patient_id)
            .order_by(PatchTest.applied_at.desc(), PatchTest.id.desc())
        )
    )
    if not tests:
        return "the client has no patch test on record"
    for brand in brands:
        findings = [
            _test_finding(t, start, read_by, min_hours)
            for t in tests
            if same_pigment(t.brand, brand)
        ]
        if not findings:
            tested = ", ".join(sorted({t.brand for t in tests}))
            return f"pigment {brand} was not patch-tested on this client (tested: {tested})"
        if None not in findings:
            return findings[0]
    return None


def same_pigment(a: str, b: str) -> bool:
    """Whether two brand-and-product names name the same pigment (case and spaces aside)."""
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def _test_finding(
    test: PatchTest, start: datetime, read_by: datetime, min_hours: float
) -> str | None:
    what = (
        f"the patch test with {test.brand} batch {test.batch} "
        f"(applied {test.applied_at:%Y-%m-%d %H:%M} UTC)"
    )
    reading = test.reading
    hours = (start - test.applied_at) / timedelta(hours=1)
    if hours < min_hours:
        return (
            f"{what} was applied {math.floor(max(hours, 0))} h before the session; "
            f"{min_hours:g} h are needed (setting patch_test_min_hours)"
        )
    if reading is None:
        return f"{what} has not been read"
    if reading.read_at > read_by:
        return f"{what} was read after the session"
    if reading.reaction != "none":
        return f"{what} showed a {reading.reaction} reaction"
    return None
