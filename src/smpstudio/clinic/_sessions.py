"""Session records with lot traceability (pigment batch, needle cartridge lot)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from smpstudio._errors import ClinicError
from smpstudio.clinic import _rules
from smpstudio.clinic._audit import AuditEvent
from smpstudio.clinic._models import (
    Booking,
    Patient,
    Practitioner,
    SessionNeedleLot,
    SessionPigment,
    SessionRecord,
    TreatmentPlan,
)
from smpstudio.clinic._scope import Scope
from smpstudio.clinic._validate import check_date, check_int, check_number, check_text

__all__ = ["PigmentUse", "SessionService", "TraceHit"]


@dataclass(frozen=True)
class PigmentUse:
    """A pigment used in a session.

    Parameters
    ----------
    brand : str
        Maker and product name.
    batch : str
        Batch or reference number from the label (EU REACH Annex XVII entry 75).
    expires_on : date
        Expiry date from the label; expired pigment is refused.
    water_ml, pigment_ml : float
        Dilution: mL of distilled water per ``pigment_ml`` mL of pigment.
    """

    brand: str
    batch: str
    expires_on: date
    water_ml: float
    pigment_ml: float = 1.0


@dataclass(frozen=True)
class TraceHit:
    """One session found by a traceability query, with the client's contact details."""

    patient_id: int
    given_name: str
    family_name: str
    email: str | None
    phone: str | None
    session_id: int
    performed_on: date
    practitioner_id: int
    item: str


class SessionService(Scope):
    """Session records and the traceability queries (pigment batch, needle lot)."""

    def record_session(
        self,
        patient_id: int,
        *,
        practitioner_id: int,
        performed_on: date,
        duration_minutes: int,
        pigments: Sequence[PigmentUse],
        needle_lots: Sequence[str],
        needles_opened_in_front_of_client: bool,
        anaesthetic_offered: bool,
        anaesthetic_used: bool,
        anaesthetic_product: str | None = None,
        pain_score: int | None = None,
        notes: str = "",
        booking_id: int | None = None,
        plan_id: int | None = None,
        session_number: int | None = None,
    ) -> SessionRecord:
        """Record what was done in a session; the record and its lots are append-only.

        Refused without current treatment consent, after a blocking candidacy outcome, with
        expired pigment, or with needle cartridges not opened in front of the client.
        """
        with self._unit("create", "session", patient_id=patient_id) as s:
            self._get(s, Patient, patient_id, "patient")
            practitioner = self._get(s, Practitioner, practitioner_id, "practitioner")
            if not practitioner.active:
                raise ClinicError(f"practitioner {practitioner.full_name} is not active")
            day = check_date(performed_on, "performed_on")
            if day > self.today():
                raise ClinicError(f"a session on {day} cannot be recorded before it happens")
            _rules.require_consent(s, self.clinic_id, patient_id, "treatment")
            _rules.require_candidate(s, self.clinic_id, patient_id)
            max_minutes = round(self.settings.session_max_hours * 60)
            minutes = check_int(duration_minutes, "duration (minutes)", low=1, high=max_minutes)
            uses = self._check_pigments(pigments, day)
            lots = self._check_needle_lots(needle_lots, needles_opened_in_front_of_client)
            self._check_anaesthetic(anaesthetic_offered, anaesthetic_used)
            if pain_score is not None:
                check_int(pain_score, "pain score (0–10)", low=0, high=10)
            if plan_id is not None:
                self._get_owned(s, TreatmentPlan, plan_id, patient_id, "plan")
            if session_number is not None:
                check_int(session_number, "session number", low=1, high=12)
            if booking_id is not None:
                self._close_booking(s, booking_id, patient_id, practitioner_id, day)
            row = SessionRecord(
                clinic_id=self.clinic_id,
                patient_id=patient_id,
                practitioner_id=practitioner_id,
                booking_id=booking_id,
                plan_id=plan_id,
                session_number=session_number,
                performed_on=day,
                duration_minutes=minutes,
                anaesthetic_offered=anaesthetic_offered,
                anaesthetic_used=anaesthetic_used,
                anaesthetic_product=check_text(
                    anaesthetic_product or "", "anaesthetic product", max_len=100, required=False
                )
                or None,
                pain_score=pain_score,
                notes=check_text(notes, "notes", max_len=10_000, required=False),
                created_at=self._now(),
                created_by=self.actor,
            )
            s.add(row)
            s.flush()
            s.add_all(self._lot_rows(row.id, uses, lots))
            s.flush()
            detail = "batches " + ", ".join(u.batch for u in uses) + "; lots " + ", ".join(lots)
            self._log(s, AuditEvent("create", "session", row.id, patient_id, detail=detail))
            return self._load_session(s, row.id)

    @staticmethod
    def _check_pigments(pigments: Sequence[PigmentUse], day: date) -> list[PigmentUse]:
        if not pigments:
            raise ClinicError("record the pigment used (brand, batch, expiry, dilution)")
        uses = []
        for p in pigments:
            if not isinstance(p, PigmentUse):
                raise ClinicError("each pigment is a PigmentUse(brand, batch, expires_on, …)")
            batch = check_text(p.batch, "pigment batch", max_len=64)
            if check_date(p.expires_on, "pigment expiry") < day:
                raise ClinicError(
                    f"pigment batch {batch} expired on {p.expires_on}: expired pigment may "
                    "not be used"
                )
            uses.append(
                PigmentUse(
                    brand=check_text(p.brand, "pigment brand", max_len=100),
                    batch=batch,
                    expires_on=p.expires_on,
                    water_ml=check_number(p.water_ml, "dilution water (mL)", low=0, high=100),
                    pigment_ml=check_number(
                        p.pigment_ml, "dilution pigment (mL)", low=0.01, high=100
                    ),
                )
            )
        return uses

    @staticmethod
    def _check_needle_lots(lots: Sequence[str], opened_in_front: bool) -> list[str]:
        if isinstance(lots, str) or not lots:
            raise ClinicError("record the lot number of every needle cartridge opened")
        if len(lots) > 20:
            raise ClinicError(f"{len(lots)} needle lots in one session: at most 20")
        if opened_in_front is not True:
            raise ClinicError("needle cartridges must be opened in front of the client")
        return [check_text(lot, "needle lot", max_len=64) for lot in lots]

    @staticmethod
    def _check_anaesthetic(offered: bool, used: bool) -> None:
        if not isinstance(offered, bool) or not isinstance(used, bool):
            raise ClinicError("anaesthetic offered and used are yes/no (true/false)")
        if used and not offered:
            raise ClinicError("anaesthetic used but not offered: record that it was offered")

    def _close_booking(
        self, s: Session, booking_id: int, patient_id: int, practitioner_id: int, day: date
    ) -> None:
        booking = self._get(s, Booking, booking_id, "booking")
        if booking.patient_id != patient_id or booking.practitioner_id != practitioner_id:
            raise ClinicError(f"booking {booking_id} is for another client or practitioner")
        if booking.status != "booked":
            raise ClinicError(f"booking {booking_id} is {booking.status}")
        if booking.local_day != day:
            raise ClinicError(f"booking {booking_id} is on {booking.local_day}, not {day}")
        booking.status = "done"

    def _lot_rows(
        self, session_id: int, uses: list[PigmentUse], lots: list[str]
    ) -> list[SessionPigment | SessionNeedleLot]:
        rows: list[SessionPigment | SessionNeedleLot] = [
            SessionPigment(
                clinic_id=self.clinic_id,
                session_id=session_id,
                brand=u.brand,
                batch=u.batch,
                expires_on=u.expires_on,
                dilution_water_ml=u.water_ml,
                dilution_pigment_ml=u.pigment_ml,
            )
            for u in uses
        ]
        rows += [
            SessionNeedleLot(
                clinic_id=self.clinic_id,
                session_id=session_id,
                lot=lot,
                cartridge="",
                opened_in_front_of_client=True,
            )
            for lot in lots
        ]
        return rows

    @staticmethod
    def _load_session(s: Session, session_id: int) -> SessionRecord:
        query = select(SessionRecord).where(SessionRecord.id == session_id)
        return s.scalars(query.execution_options(populate_existing=True)).one()

    def session_records(self, patient_id: int) -> list[SessionRecord]:
        """A client's sessions with their pigments and needle lots (an audited read)."""
        with self._unit("read", "session", patient_id=patient_id) as s:
            self._get(s, Patient, patient_id, "patient")
            rows = list(
                s.scalars(
                    select(SessionRecord)
                    .where(
                        SessionRecord.clinic_id == self.clinic_id,
                        SessionRecord.patient_id == patient_id,
                    )
                    .order_by(SessionRecord.performed_on, SessionRecord.id)
                )
            )
            self._log(s, AuditEvent("read", "session", None, patient_id, detail="list"))
            return rows

    # --- traceability ---

    def clients_with_pigment_batch(self, batch: str) -> list[TraceHit]:
        """Every client who received pigment batch ``batch``, with each session (audited)."""
        batch = check_text(batch, "pigment batch", max_len=64)
        query = self._trace_query(
            SessionPigment, SessionPigment.batch == batch, SessionPigment.brand
        )
        return self._trace("pigment-batch", batch, query)

    def sessions_with_needle_lot(self, lot: str) -> list[TraceHit]:
        """Every session that used needle cartridge lot ``lot``, with the client (audited)."""
        lot = check_text(lot, "needle lot", max_len=64)
        query = self._trace_query(
            SessionNeedleLot, SessionNeedleLot.lot == lot, SessionNeedleLot.lot
        )
        return self._trace("needle-lot", lot, query)

    def _trace_query(self, model: type[Any], condition: Any, item: Any) -> Select[Any]:
        return (
            select(
                Patient.id,
                Patient.given_name,
                Patient.family_name,
                Patient.email,
                Patient.phone,
                SessionRecord.id,
                SessionRecord.performed_on,
                SessionRecord.practitioner_id,
                item,
            )
            .select_from(model)
            .join(
                SessionRecord,
                (SessionRecord.clinic_id == model.clinic_id)
                & (SessionRecord.id == model.session_id),
            )
            .join(
                Patient,
                (Patient.clinic_id == SessionRecord.clinic_id)
                & (Patient.id == SessionRecord.patient_id),
            )
            .where(model.clinic_id == self.clinic_id, condition)
            .order_by(
                Patient.family_name, Patient.given_name, Patient.id, SessionRecord.performed_on
            )
        )

    def _trace(self, what: str, key: str, query: Select[Any]) -> list[TraceHit]:
        with self._unit("trace", what) as s:
            hits = [TraceHit(*row) for row in s.execute(query)]
            patients = dict.fromkeys(h.patient_id for h in hits)
            events = [AuditEvent("trace", what, key, p, detail="lot recall") for p in patients]
            self._log(s, *(events or [AuditEvent("trace", what, key, detail="no client")]))
            return hits
