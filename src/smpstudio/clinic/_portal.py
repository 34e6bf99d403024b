"""The client portal's record service: what a signed-in client sees and does.

Everything a client does in the portal goes through :class:`ClinicRecords` with the client as
the actor (``client:<id> via portal``), so that it is scoped and audited like the studio's
own work: their plans, bookings, photos and consents through the existing services, and
through this one

- the client's own bookings (never another client's: the studio's schedule reads a day of
  the whole clinic),
- consent signed at home: the clinic's current consent text, a drawn signature (checked
  with Pillow: a PNG of sensible size, not blank, re-encoded from its pixels), a PDF copy
  made by the caller (the web studio uses :func:`smpstudio.reports.consent_pdf`) stored
  with the consent and e-mailed to the client through the outbox, all in one transaction;
  withdrawal appends a ``withdrawn`` decision,
- the healed photos the plan asks for: one per recorded session once it has healed
  (``plan_healed_after_days``), until the client or the studio adds one.

A consent (or its withdrawal) sent from a page that was opened for another client is refused
and audited.
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from smpstudio._errors import ClinicError
from smpstudio.clinic import _rules
from smpstudio.clinic._audit import AuditEvent
from smpstudio.clinic._models import (
    AvailabilityWindow,
    Booking,
    Consent,
    ConsentDocument,
    ConsentForm,
    Message,
    Patient,
    Photo,
    Practitioner,
    SessionRecord,
)
from smpstudio.clinic._record_ids import RecordIds
from smpstudio.clinic._scope import Scope
from smpstudio.clinic._validate import check_text

__all__ = [
    "SIGNATURE_MAX_BYTES",
    "ConsentPaper",
    "HealedPhotoRequest",
    "PortalService",
    "check_signature",
]

SIGNATURE_MAX_BYTES = 300_000
"""Largest drawn signature accepted (a PNG from the signature pad is 5–40 kB)."""
SIGNATURE_MIN_PX = (200, 60)
SIGNATURE_MAX_PX = (2400, 1200)
_MIN_INK_SHARE = 0.002
"""At least this share of the pad must be ink (0.2 %): a dot or an empty pad is no signature."""
_MIN_INK_SPAN = 0.15
"""…and the ink must span at least 15 % of the pad's width."""


def check_signature(data: bytes) -> bytes:
    """A drawn signature as a clean greyscale PNG, or :class:`ClinicError` saying why not.

    The PNG must be 200×60 to 2400×1200 px and at most 300 kB, and carry a visible stroke
    (dark pixels on at least 0.2 % of the pad, spanning 15 % of its width); it is rebuilt
    from its pixels (no metadata or trailing data survives).
    """
    if not isinstance(data, bytes) or not data:
        raise ClinicError("draw your signature in the box first")
    if len(data) > SIGNATURE_MAX_BYTES:
        raise ClinicError(
            f"the signature is {len(data):,} bytes; at most {SIGNATURE_MAX_BYTES:,} allowed"
        )
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ClinicError("the signature must be a PNG image drawn on the signature pad")
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            width, height = image.size
            fits = (
                SIGNATURE_MIN_PX[0] <= width <= SIGNATURE_MAX_PX[0]
                and SIGNATURE_MIN_PX[1] <= height <= SIGNATURE_MAX_PX[1]
            )
            if fits:
                image.load()
                rgba = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ClinicError("the signature is not a readable PNG image") from None
    if not fits:
        raise ClinicError(
            f"the signature is {width}×{height} px; it must be "
            f"{SIGNATURE_MIN_PX[0]}×{SIGNATURE_MIN_PX[1]} to "
            f"{SIGNATURE_MAX_PX[0]}×{SIGNATURE_MAX_PX[1]} px"
        )
    paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    grey = Image.alpha_composite(paper, rgba).convert("L")
    ink = grey.point(lambda v: 255 if v < 160 else 0)
    histogram = ink.histogram()
    dark = histogram[255]
    box = ink.getbbox()
    if (
        box is None
        or dark < _MIN_INK_SHARE * width * height
        or ((box[2] - box[0]) < _MIN_INK_SPAN * width)
    ):
        raise ClinicError("the signature box is empty or holds only a dot: sign with your name")
    out = io.BytesIO()
    grey.save(out, format="PNG", optimize=True)
    return out.getvalue()


@dataclass(frozen=True)
class ConsentPaper:
    """What the PDF copy of a consent signed in the portal shows."""

    clinic_name: str
    client_name: str
    date_of_birth: date
    kind: str
    title: str
    version: int
    body: str
    body_sha256: str
    signed_name: str
    signed_at: datetime
    """Clinic-local time of the signature."""
    reference: str
    """``consent <token>``: the consent's record token, never its database id."""
    signature_png: bytes


@dataclass(frozen=True)
class HealedPhotoRequest:
    """A healed photo the plan asks the client for: of one recorded session, once healed."""

    session_id: int
    session_number: int | None
    performed_on: date
    due_on: date


class PortalService(Scope):
    """What a client sees and does in the portal (see the module documentation)."""

    def _require_self(self, patient_id: int, for_patient_id: int) -> None:
        if for_patient_id != patient_id:
            raise ClinicError(
                "this page was opened for another client: nothing was signed. Sign in with "
                "your own link to sign your consent"
            )

    def portal_bookings(self, patient_id: int) -> list[Booking]:
        """The client's live bookings, soonest first (an audited read)."""
        with self._unit("read", "booking", patient_id=patient_id) as s:
            self._get(s, Patient, patient_id, "patient")
            rows = list(
                s.scalars(
                    select(Booking)
                    .where(
                        Booking.clinic_id == self.clinic_id,
                        Booking.patient_id == patient_id,
                        Booking.status != "cancelled",
                    )
                    .order_by(Booking.starts_at)
                )
            )
            self._log(s, AuditEvent("read", "booking", None, patient_id, detail="own bookings"))
            return rows

    def working_hours(self, practitioner_id: int) -> list[AvailabilityWindow]:
        """A practitioner's weekly hours (what the portal shows a client booking)."""
        with self._db.transaction(readonly=True) as s:
            self._get(s, Practitioner, practitioner_id, "practitioner")
            return list(
                s.scalars(
                    select(AvailabilityWindow)
                    .where(
                        AvailabilityWindow.clinic_id == self.clinic_id,
                        AvailabilityWindow.practitioner_id == practitioner_id,
                    )
                    .order_by(AvailabilityWindow.weekday, AvailabilityWindow.start_minute)
                )
            )

    def sign_consent_in_portal(
        self,
        patient_id: int,
        kind: str,
        *,
        for_patient_id: int,
        signed_name: str,
        signature_png: bytes,
        render_pdf: Callable[[ConsentPaper], bytes],
    ) -> Consent:
        """Grant the current version of ``kind`` consent with a drawn signature: the
        consent, its signature and PDF copy (``render_pdf``) and the e-mail with the copy
        are written together, audited."""
        ids = RecordIds(self._db.record_id_key())  # before the unit: it may write the key
        with self._unit("create", "consent", patient_id=patient_id) as s:
            self._require_self(patient_id, for_patient_id)
            patient = self._get(s, Patient, patient_id, "patient")
            check_text(kind, "consent kind", max_len=20)
            name = check_text(signed_name, "your name as you sign", max_len=200)
            clean = check_signature(signature_png)
            form = self._current_form(s, kind)
            now = self._now()
            consent = Consent(
                clinic_id=self.clinic_id, patient_id=patient_id, form_id=form.id,
                decision="granted", signed_name=name, recorded_at=now, recorded_by=self.actor,
            )  # fmt: skip
            s.add(consent)
            s.flush()
            paper = ConsentPaper(
                clinic_name=self.clinic_name,
                client_name=f"{patient.given_name} {patient.family_name}",
                date_of_birth=patient.date_of_birth,
                kind=kind,
                title=form.title,
                version=form.version,
                body=form.body,
                body_sha256=form.body_sha256,
                signed_name=name,
                signed_at=now.astimezone(self.timezone),
                reference=f"consent {ids.encode(consent.id)}",
                signature_png=clean,
            )
            pdf = render_pdf(paper)
            if not pdf.startswith(b"%PDF-"):
                raise ClinicError("the PDF copy of the consent could not be made")
            document = ConsentDocument(
                clinic_id=self.clinic_id, patient_id=patient_id, consent_id=consent.id,
                signature_png=clean, signature_sha256=hashlib.sha256(clean).hexdigest(),
                pdf=pdf, pdf_sha256=hashlib.sha256(pdf).hexdigest(), created_at=now,
            )  # fmt: skip
            s.add(document)
            s.flush()
            events = [
                AuditEvent("create", "consent", consent.id, patient_id,
                           detail=f"{kind} v{form.version} granted, signed in the portal"),
                AuditEvent("create", "consent-document", document.id, patient_id,
                           detail=document.pdf_sha256),
            ]  # fmt: skip
            if patient.email:
                message = self._queue_copy(patient, form, document, now)
                s.add(message)
                s.flush()
                events.append(AuditEvent("create", "message", message.id, patient_id,
                                         detail="consent_copy queued"))  # fmt: skip
            self._log(s, *events)
            return consent

    def _current_form(self, s: Session, kind: str) -> ConsentForm:
        form = s.scalar(
            select(ConsentForm)
            .where(ConsentForm.clinic_id == self.clinic_id, ConsentForm.kind == kind)
            .order_by(ConsentForm.version.desc())
            .limit(1)
        )
        if form is None:
            raise ClinicError(f"the clinic has no {kind} consent form to sign yet")
        return form

    def _queue_copy(
        self, patient: Patient, form: ConsentForm, document: ConsentDocument, now: datetime
    ) -> Message:
        local = now.astimezone(self.timezone)
        return Message(
            clinic_id=self.clinic_id,
            patient_id=patient.id,
            kind="consent_copy",
            channel="email",
            subject=f"Your signed consent: {form.title}"[:200],
            body=(
                f'Hello {patient.given_name},\n\nThank you for signing "{form.title}" '
                f"(version {form.version}) on {local:%d %B %Y at %H:%M}. Your copy is "
                "attached as a PDF, and it stays in your client portal under Documents.\n\n"
                "You may withdraw this consent at any time in the portal or by telling the "
                f"clinic.\n\n{self.clinic_name}\n"
            ),
            due_at=now,
            next_attempt_at=now,
            status="queued",
            attempts=0,
            last_error="",
            recipient="",
            created_at=now,
            updated_at=now,
            attachment_name=f"consent-{form.kind}-v{form.version}.pdf",
            attachment=document.pdf,
        )

    def withdraw_consent_in_portal(
        self, patient_id: int, kind: str, *, for_patient_id: int
    ) -> Consent:
        """Withdraw the client's ``kind`` consent (a new ``withdrawn`` decision), audited."""
        with self._unit("create", "consent", patient_id=patient_id) as s:
            self._require_self(patient_id, for_patient_id)
            patient = self._get(s, Patient, patient_id, "patient")
            check_text(kind, "consent kind", max_len=20)
            status = _rules.consent_status(s, self.clinic_id, patient_id, kind)
            if status.decision != "granted":
                raise ClinicError(f"there is no {kind} consent of yours to withdraw")
            form = s.scalar(
                select(ConsentForm).where(
                    ConsentForm.clinic_id == self.clinic_id,
                    ConsentForm.kind == kind,
                    ConsentForm.version == status.signed_version,
                )
            )
            assert form is not None
            row = Consent(
                clinic_id=self.clinic_id, patient_id=patient_id, form_id=form.id,
                decision="withdrawn", signed_name=f"{patient.given_name} {patient.family_name}",
                recorded_at=self._now(), recorded_by=self.actor,
            )  # fmt: skip
            s.add(row)
            s.flush()
            detail = f"{kind} v{form.version} withdrawn in the portal"
            self._log(s, AuditEvent("create", "consent", row.id, patient_id, detail=detail))
            return row

    def consent_documents(self, patient_id: int) -> list[ConsentDocument]:
        """The client's signed consent documents (without their bytes), newest first."""
        with self._unit("read", "consent-document", patient_id=patient_id) as s:
            self._get(s, Patient, patient_id, "patient")
            rows = list(
                s.scalars(
                    select(ConsentDocument)
                    .options(defer(ConsentDocument.pdf), defer(ConsentDocument.signature_png))
                    .where(
                        ConsentDocument.clinic_id == self.clinic_id,
                        ConsentDocument.patient_id == patient_id,
                    )
                    .order_by(ConsentDocument.id.desc())
                )
            )
            self._log(s, AuditEvent("read", "consent-document", None, patient_id, detail="list"))
            return rows

    def consent_document_pdf(self, patient_id: int, document_id: int) -> bytes:
        """The PDF copy of a signed consent of this client, checked against its SHA-256."""
        with self._unit("read", "consent-document", patient_id=patient_id) as s:
            row = self._get_owned(s, ConsentDocument, document_id, patient_id, "document")
            if hashlib.sha256(row.pdf).hexdigest() != row.pdf_sha256:
                signed = row.created_at.astimezone(self.timezone).date().isoformat()
                raise ClinicError(
                    f"the consent signed on {signed} is damaged (its SHA-256 no longer "
                    "matches): ask the clinic to put it back from the latest backup"
                )
            self._log(s, AuditEvent("read", "consent-document", row.id, patient_id))
            return bytes(row.pdf)

    def healed_photo_requests(self, patient_id: int) -> list[HealedPhotoRequest]:
        """The healed photos the plan asks the client for now: one per recorded session
        that has healed (``plan_healed_after_days``) and has no follow-up photo yet."""
        with self._unit("read", "photo", patient_id=patient_id) as s:
            self._get(s, Patient, patient_id, "patient")
            healed = timedelta(days=math.ceil(self.settings.plan_healed_after_days))
            today = self.today()
            sessions = s.scalars(
                select(SessionRecord)
                .where(
                    SessionRecord.clinic_id == self.clinic_id,
                    SessionRecord.patient_id == patient_id,
                )
                .order_by(SessionRecord.performed_on, SessionRecord.id)
            )
            covered = set(
                s.scalars(
                    select(Photo.session_id).where(
                        Photo.clinic_id == self.clinic_id,
                        Photo.patient_id == patient_id,
                        Photo.kind == "follow-up",
                        Photo.session_id.is_not(None),
                    )
                )
            )
            asked = [
                HealedPhotoRequest(r.id, r.session_number, r.performed_on, r.performed_on + healed)
                for r in sessions
                if r.id not in covered and r.performed_on + healed <= today
            ]
            self._log(s, AuditEvent("read", "photo", None, patient_id, detail="healed requests"))
            return asked
