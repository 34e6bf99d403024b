"""Session records with lot traceability (pigment batch, needle cartridge lot).

Two rules of a session's pigment sit here: a client's first session needs a clean patch
test of every pigment it uses (``_rules.patch_test_finding``; the practitioner may
override it with a reason, kept in ``patch_test_overrides``), and a dilution other than the
chart's recommendation for the client needs a reason (kept in ``dilution_overrides`` with
the recommended and chosen water). Both overrides are audited.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from smpstudio._errors import ClinicError, InputError
from smpstudio.clinic import _inventory, _outbox, _rules
from smpstudio.clinic._audit import AuditEvent
from smpstudio.clinic._errors import PatchTestRequiredError
from smpstudio.clinic._models import (
    Booking,
    DesignVersion,
    DilutionOverride,
    PatchTestOverride,
    Patient,
    Practitioner,
    SessionNeedleLot,
    SessionPigment,
    SessionRecord,
    TreatmentPlan,
)
from smpstudio.clinic._scope import Scope
from smpstudio.clinic._validate import (
    check_choice,
    check_date,
    check_int,
    check_number,
    check_text,
)

__all__ = ["DILUTION_ZONES", "DilutionRecommendation", "PigmentUse", "SessionService", "TraceHit"]

DILUTION_ZONES: tuple[str, ...] = ("body", "transition", "sentinel", "scar", "enhancement")
"""The zones a pigment may be mixed for (:data:`smpstudio.colour.ZONE_NAMES`)."""

_SAME_DILUTION = 0.01
"""mL of water per mL of pigment within which a mix counts as the recommended one."""


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
    zone : str
        The zone the mix is for (``body``, ``transition``, ``sentinel``, ``scar``,
        ``enhancement``): the recommendation it is compared with depends on it.
    dilution_reason : str
        Why the mix departs from the chart's recommendation for the client, when it does
        (required then, ignored otherwise).
    used_ml : float
        mL of pigment taken from the bottle in the session; taken from the lot in stock when
        the clinic keeps this brand and batch in stock (0: nothing taken).
    """

    brand: str
    batch: str
    expires_on: date
    water_ml: float
    pigment_ml: float = 1.0
    zone: str = "body"
    dilution_reason: str = ""
    used_ml: float = 0.0


@dataclass(frozen=True)
class DilutionRecommendation:
    """The chart's dilution for a client, zone and session, and what it was computed from.

    ``water_ml`` is mL of water per mL of pigment; ``skin`` and ``hair`` are the look of the
    client's latest design (version ``design_version``); ``monk`` the skin's Monk tone and
    ``source`` where the chart row comes from.
    """

    water_ml: float
    zone: str
    session_number: int
    skin: str
    hair: str
    design_version: int
    monk: int
    source: str


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


def _stock_uses(uses: list[PigmentUse], lots: list[str]) -> list[_inventory.StockUse]:
    """What a session takes from stock: the pigment drawn, one cartridge per needle lot
    entry (each entry is a cartridge opened)."""
    pigments = [_inventory.StockUse("pigment", u.brand, u.batch, u.used_ml) for u in uses]
    return pigments + [_inventory.StockUse("needle", "", lot, 1.0) for lot in lots]


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
        start_time: time | None = None,
        patch_test_override: str = "",
    ) -> SessionRecord:
        """Record what was done in a session; the record and its lots are append-only.

        Refused without current treatment consent, after a blocking candidacy outcome, with
        expired pigment, with needle cartridges not opened in front of the client, with a
        dilution other than the chart's recommendation for the client without its reason,
        and — for the client's first session (``session_number`` 1, or no session before) —
        without a clean patch test of each pigment (any batch) applied ``patch_test_min_hours``
        before the session starts (the booking's start, else ``start_time`` on
        ``performed_on``, else the day's first minute) unless ``patch_test_override`` gives
        the reason (:class:`PatchTestRequiredError`).
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
            if start_time is not None and not isinstance(start_time, time):
                raise ClinicError(f"the start time must be a time like 10:00, got {start_time!r}")
            number = session_number or self._sessions_before(s, patient_id) + 1
            dilutions = self._check_dilutions(s, patient_id, uses, number)
            booking = None
            if booking_id is not None:
                booking = self._close_booking(s, booking_id, patient_id, practitioner_id, day)
            finding = self._first_session_finding(
                s, patient_id, uses, number, day, booking, start_time
            )
            override = self._override_reason(finding, patch_test_override)
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
            s.add_all(self._override_rows(row, dilutions, finding, override))
            s.flush()
            detail = "batches " + ", ".join(u.batch for u in uses) + "; lots " + ", ".join(lots)
            events = [AuditEvent("create", "session", row.id, patient_id, detail=detail)]
            events += self._override_events(row, dilutions, finding)
            taken = _inventory.deduct_for_session(s, self, row.id, _stock_uses(uses, lots))
            if taken:
                detail = "taken from stock: " + "; ".join(taken)
                events.append(AuditEvent("update", "stock-lot", None, detail=detail[:500]))
            queued = _outbox.queue_session_messages(s, self, row)
            if queued:
                kinds = ", ".join(dict.fromkeys(m.kind for m in queued))
                detail = f"{len(queued)} queued: {kinds}"
                events.append(AuditEvent("create", "message", None, patient_id, detail=detail))
            self._log(s, *events)
            return self._load_session(s, row.id)

    # --- the first session's patch test ---

    def _sessions_before(self, s: Session, patient_id: int) -> int:
        query = select(func.count()).where(
            SessionRecord.clinic_id == self.clinic_id, SessionRecord.patient_id == patient_id
        )
        return int(s.scalar(query) or 0)

    def _first_session_finding(
        self,
        s: Session,
        patient_id: int,
        uses: list[PigmentUse],
        number: int,
        day: date,
        booking: Booking | None,
        start_time: time | None,
    ) -> str | None:
        """Why the patch tests do not clear this session, or None (also: not a first
        session, or the rule is off)."""
        min_hours = self.settings.patch_test_min_hours
        first = number == 1 or self._sessions_before(s, patient_id) == 0
        if not first or min_hours <= 0:
            return None
        if booking is not None:
            start = read_by = booking.starts_at
        else:
            start = datetime.combine(day, start_time or time(0), self.timezone)
            read_by = start if start_time else start + timedelta(days=1)
        return _rules.patch_test_finding(
            s,
            self.clinic_id,
            patient_id,
            brands=list(dict.fromkeys(u.brand for u in uses)),
            start=start,
            read_by=read_by,
            min_hours=min_hours,
        )

    @staticmethod
    def _override_reason(finding: str | None, reason: str) -> str:
        """The override's reason when one is needed; raises when it is needed and missing."""
        if finding is None:
            return ""
        text = check_text(reason or "", "patch-test override reason", max_len=2000, required=False)
        if not text:
            raise PatchTestRequiredError(finding)
        return text

    # --- dilution against the chart ---

    def recommended_dilutions(
        self, patient_id: int, *, session_number: int | None = None
    ) -> dict[str, DilutionRecommendation]:
        """The chart's dilution for the client (the latest design's skin and hair) in each
        zone, for a session (default: the client's next); empty while no design saved in the
        studio gives the client's look."""
        with self._unit("read", "dilution", patient_id=patient_id) as s:
            self._get(s, Patient, patient_id, "patient")
            if session_number is not None:
                check_int(session_number, "session number", low=1, high=12)
            number = session_number or self._sessions_before(s, patient_id) + 1
            found = {z: self._recommendation(s, patient_id, z, number) for z in DILUTION_ZONES}
            self._log(s, AuditEvent("read", "dilution", None, patient_id, detail="chart"))
            return {zone: advice for zone, advice in found.items() if advice is not None}

    def _recommendation(
        self, s: Session, patient_id: int, zone: str, number: int
    ) -> DilutionRecommendation | None:
        from smpstudio.colour import recommend_dilution, skin_tone

        design = s.scalar(
            select(DesignVersion)
            .where(
                DesignVersion.clinic_id == self.clinic_id,
                DesignVersion.patient_id == patient_id,
            )
            .order_by(DesignVersion.version.desc())
            .limit(1)
        )
        if design is None:
            return None
        look = json.loads(design.content).get("studio")
        if not isinstance(look, dict) or "skin" not in look or "hair" not in look:
            return None  # saved without a look (not in the studio): nothing to compare with
        skin, hair = str(look["skin"]), str(look["hair"])
        try:
            advice = recommend_dilution(skin_tone(skin), hair, zone=zone, session=number)
        except InputError as exc:
            raise ClinicError(
                f"design v{design.version} has a look the dilution chart cannot read ({exc}): "
                "save the design again"
            ) from None
        return DilutionRecommendation(
            water_ml=advice.ml_water,
            zone=zone,
            session_number=number,
            skin=skin,
            hair=hair,
            design_version=design.version,
            monk=advice.monk,
            source=advice.source,
        )

    def _check_dilutions(
        self, s: Session, patient_id: int, uses: list[PigmentUse], number: int
    ) -> list[tuple[PigmentUse, DilutionRecommendation]]:
        """The pigments mixed otherwise than recommended, each with its recommendation;
        raises for one without a reason."""
        found = []
        for i, use in enumerate(uses, start=1):
            advice = self._recommendation(s, patient_id, use.zone, number)
            chosen = use.water_ml / use.pigment_ml
            if advice is None or abs(chosen - advice.water_ml) < _SAME_DILUTION:
                continue
            if not use.dilution_reason:
                raise ClinicError(
                    f"pigment {i} (batch {use.batch}) is mixed {chosen:g} mL of water per mL, "
                    f"the chart recommends {advice.water_ml:g} mL for this client "
                    f"(Monk {advice.monk}, {advice.hair} hair, {use.zone}, session "
                    f"{number}): give the reason for the different dilution"
                )
            found.append((use, advice))
        return found

    def _override_rows(
        self,
        row: SessionRecord,
        dilutions: list[tuple[PigmentUse, DilutionRecommendation]],
        finding: str | None,
        reason: str,
    ) -> list[DilutionOverride | PatchTestOverride]:
        common = {
            "clinic_id": self.clinic_id,
            "patient_id": row.patient_id,
            "session_id": row.id,
            "practitioner_id": row.practitioner_id,
            "created_at": row.created_at,
            "created_by": self.actor,
        }
        rows: list[DilutionOverride | PatchTestOverride] = [
            DilutionOverride(
                **common,
                batch=use.batch,
                zone=use.zone,
                session_number=advice.session_number,
                skin=advice.skin,
                hair=advice.hair,
                recommended_water_ml=advice.water_ml,
                chosen_water_ml=use.water_ml / use.pigment_ml,
                reason=use.dilution_reason,
            )
            for use, advice in dilutions
        ]
        if finding is not None:
            rows.append(PatchTestOverride(**common, finding=finding, reason=reason))
        return rows

    @staticmethod
    def _override_events(
        row: SessionRecord,
        dilutions: list[tuple[PigmentUse, DilutionRecommendation]],
        finding: str | None,
    ) -> list[AuditEvent]:
        """One ``override`` entry per rule set aside; the reason itself stays in its table
        (an audit detail never holds free text about the client)."""
        events = [
            AuditEvent(
                "override",
                "dilution",
                row.id,
                row.patient_id,
                detail=f"batch {use.batch} {use.zone}: {use.water_ml / use.pigment_ml:g} mL "
                f"water per mL, recommended {advice.water_ml:g}; reason in dilution_overrides",
            )
            for use, advice in dilutions
        ]
        if finding is not None:
            detail = f"{finding}; reason in patch_test_overrides"
            events.append(
                AuditEvent("override", "patch-test", row.id, row.patient_id, detail=detail)
            )
        return events

    def dilution_overrides(self, patient_id: int) -> list[DilutionOverride]:
        """Every dilution a practitioner chose against the chart for a client (audited)."""
        with self._unit("read", "dilution", patient_id=patient_id) as s:
            self._get(s, Patient, patient_id, "patient")
            rows = list(
                s.scalars(
                    select(DilutionOverride)
                    .where(
                        DilutionOverride.clinic_id == self.clinic_id,
                        DilutionOverride.patient_id == patient_id,
                    )
                    .order_by(DilutionOverride.id)
                )
            )
            self._log(s, AuditEvent("read", "dilution", None, patient_id, detail="overrides"))
            return rows

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
                    zone=check_choice(p.zone, "pigment zone", DILUTION_ZONES),
                    dilution_reason=check_text(
                        p.dilution_reason, "dilution reason", max_len=2000, required=False
                    ),
                    used_ml=check_number(p.used_ml, "pigment used (mL)", low=0, high=1000),
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
    ) -> Booking:
        booking = self._get(s, Booking, booking_id, "booking")
        if booking.patient_id != patient_id or booking.practitioner_id != practitioner_id:
            raise ClinicError("the booking is for another client or practitioner")
        if booking.status != "booked":
            raise ClinicError(f"the booking is {booking.status}")
        if booking.local_day != day:
            raise ClinicError(f"the booking is on {booking.local_day}, not {day}")
        booking.status = "done"
        return booking

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
