"""The clinic schema as SQLAlchemy 2 declarative models.

Every table but ``clinics`` and the audit tables carries ``clinic_id``, and every reference
from one clinic record to another is a composite foreign key ``(clinic_id, x_id)`` onto a
``UNIQUE (clinic_id, id)`` of the target: the database itself refuses a session of clinic A
that points to a patient of clinic B. The migrations in ``migrations/versions`` create exactly
this schema (a test compares them) plus what models cannot express: triggers that make the
audit log, consents and lot records append-only, and the rule against double-booked rooms.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    inspect,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from smpstudio.clinic._types import IdType, UtcDateTime

__all__ = [
    "AuditEntry",
    "AuditHead",
    "AvailabilityWindow",
    "Base",
    "Booking",
    "Clinic",
    "Consent",
    "ConsentDocument",
    "ConsentForm",
    "Consultation",
    "DesignVersion",
    "DilutionOverride",
    "FollowUp",
    "FollowUpZone",
    "HygieneAttestation",
    "InstanceSecret",
    "Invoice",
    "Lead",
    "Message",
    "MessageOptOut",
    "NoShow",
    "PatchTest",
    "PatchTestOverride",
    "PatchTestReading",
    "Patient",
    "Payment",
    "Photo",
    "Practitioner",
    "Room",
    "SessionNeedleLot",
    "SessionPigment",
    "SessionRecord",
    "StockItem",
    "StockLot",
    "StockMovement",
    "TimeOff",
    "TreatmentPlan",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with deterministic constraint names on both back ends."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        date: Date(),
        bool: Boolean(),
        float: Double(),
    }

    def __repr__(self) -> str:
        """Class and primary key only: a repr must never put patient data into logs."""
        key = ",".join(str(v) for v in inspect(self).identity or ("new",))
        return f"<{type(self).__name__} {key}>"


def _id() -> Mapped[int]:
    return mapped_column(IdType, primary_key=True)


def _clinic() -> Mapped[int]:
    return mapped_column(IdType, ForeignKey("clinics.id"), nullable=False)


def _ref(nullable: bool = False) -> Mapped[int]:
    return mapped_column(IdType, nullable=nullable)


def _fk(name: str, table: str, *, column: str | None = None) -> ForeignKeyConstraint:
    """Composite reference ``(clinic_id, <name>_id)`` onto ``<table>(clinic_id, id)``."""
    return ForeignKeyConstraint(
        ["clinic_id", column or f"{name}_id"], [f"{table}.clinic_id", f"{table}.id"]
    )


class Clinic(Base):
    """A clinic: every other record belongs to exactly one, and sees no other."""

    __tablename__ = "clinics"

    id: Mapped[int] = _id()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    address: Mapped[str] = mapped_column(String(300), default="", server_default="")
    phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    opening_hours: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # billing (migration 0007): money in minor units of ``currency``
    currency: Mapped[str] = mapped_column(String(3), default="", server_default="")
    prices: Mapped[str] = mapped_column(Text, default="", server_default="")
    deposit_kind: Mapped[str] = mapped_column(String(7), default="none", server_default="none")
    deposit_value: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    no_show_fee: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    no_show_notice_hours: Mapped[int] = mapped_column(default=48, server_default="48")
    tax_rate_bp: Mapped[int] = mapped_column(default=0, server_default="0")
    tax_label: Mapped[str] = mapped_column(String(20), default="", server_default="")
    tax_number: Mapped[str] = mapped_column(String(40), default="", server_default="")


class Room(Base):
    """A treatment room; no two bookings overlap in one room."""

    __tablename__ = "rooms"
    __table_args__ = (UniqueConstraint("clinic_id", "id"), UniqueConstraint("clinic_id", "name"))

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)


class Practitioner(Base):
    """A practitioner with their certification."""

    __tablename__ = "practitioners"
    __table_args__ = (UniqueConstraint("clinic_id", "id"),)

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    certification_body: Mapped[str] = mapped_column(String(200))
    certification_number: Mapped[str] = mapped_column(String(100))
    certified_on: Mapped[date]
    certification_expires_on: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class HygieneAttestation(Base):
    """A hygiene attestation (blood-borne pathogens training, premises registration …)."""

    __tablename__ = "hygiene_attestations"
    __table_args__ = (_fk("practitioner", "practitioners"),)

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    practitioner_id: Mapped[int] = _ref()
    kind: Mapped[str] = mapped_column(String(100))
    reference: Mapped[str] = mapped_column(String(200))
    issued_on: Mapped[date]
    expires_on: Mapped[date | None]
    created_at: Mapped[datetime]


class AvailabilityWindow(Base):
    """A weekly window (local wall-clock time) in which a practitioner takes sessions."""

    __tablename__ = "availability"
    __table_args__ = (
        _fk("practitioner", "practitioners"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("0 <= start_minute AND start_minute < end_minute", name="start"),
        CheckConstraint("end_minute <= 1440", name="end"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    practitioner_id: Mapped[int] = _ref()
    weekday: Mapped[int]
    start_minute: Mapped[int]
    end_minute: Mapped[int]


class TimeOff(Base):
    """An interval in which a practitioner takes no session."""

    __tablename__ = "time_off"
    __table_args__ = (
        _fk("practitioner", "practitioners"),
        CheckConstraint("ends_at > starts_at", name="interval"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    practitioner_id: Mapped[int] = _ref()
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200), default="")


class Patient(Base):
    """A client of the clinic."""

    __tablename__ = "patients"
    __table_args__ = (
        UniqueConstraint("clinic_id", "id"),
        Index("ix_patients_clinic_family_name", "clinic_id", "family_name"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date]
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Consultation(Base):
    """A consultation: reasons, stage, the candidacy questionnaire and its outcome.

    ``reasons``, ``answers``, ``rules`` and ``findings`` are JSON text; ``rules`` keeps the
    rule each contraindication carried at the time, so the outcome can be replayed.
    """

    __tablename__ = "consultations"
    __table_args__ = (
        UniqueConstraint("clinic_id", "id"),
        _fk("patient", "patients"),
        _fk("practitioner", "practitioners"),
        CheckConstraint("outcome IN ('candidate', 'warn', 'refer', 'block')", name="outcome"),
        Index("ix_consultations_clinic_patient", "clinic_id", "patient_id"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    patient_id: Mapped[int] = _ref()
    practitioner_id: Mapped[int | None] = _ref(nullable=True)
    held_on: Mapped[date]
    reasons: Mapped[str] = mapped_column(Text)
    stage: Mapped[str | None] = mapped_column(String(20))
    answers: Mapped[str] = mapped_column(Text)
    rules: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(10))
    findings: Mapped[str] = mapped_column(Text)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class ConsentForm(Base):
    """One published version of a consent text (treatment, photo or marketing use)."""

    __tablename__ = "consent_forms"
    __table_args__ = (
        UniqueConstraint("clinic_id", "id"),
        UniqueConstraint("clinic_id", "kind", "version"),
        CheckConstraint("kind IN ('treatment', 'photo', 'marketing')", name="kind"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    kind: Mapped[str] = mapped_column(String(20))
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    body_sha256: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime]


class Consent(Base):
    """A patient's decision on one consent form version; append-only (withdrawal appends)."""

    __tablename__ = "consents"
    __table_args__ = (
        _fk("patient", "patients"),
        _fk("form", "consent_forms"),
        CheckConstraint("decision IN ('granted', 'refused', 'withdrawn')", name="decision"),
        Index("ix_consents_clinic_patient", "clinic_id", "patient_id"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    patient_id: Mapped[int] = _ref()
    form_id: Mapped[int] = _ref()
    decision: Mapped[str] = mapped_column(String(10))
    signed_name: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(200))


class DesignVersion(Base):
    """A saved design (the content of design.json), numbered per patient."""

    __tablename__ = "design_versions"
    __table_args__ = (
        UniqueConstraint("clinic_id", "id"),
        UniqueConstraint("patient_id", "version"),
        _fk("patient", "patients"),
        _fk("consultation", "consultations"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    patient_id: Mapped[int] = _ref()
    consultation_id: Mapped[int | None] = _ref(nullable=True)
    version: Mapped[int]
    pattern: Mapped[str] = mapped_column(String(30))
    hairline_style: Mapped[str] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class TreatmentPlan(Base):
    """A treatment plan (the content of plan.json) with the columns scheduling needs."""

    __tablename__ = "treatment_plans"
    __table_args__ = (
        UniqueConstraint("clinic_id", "id"),
        UniqueConstraint("patient_id", "version"),
        _fk("patient", "patients"),
        _fk("design_version", "design_versions"),
        CheckConstraint("status IN ('draft', 'accepted', 'completed', 'cancelled')", name="status"),
        CheckConstraint("sessions_planned BETWEEN 1 AND 12", name="sessions"),
        Index("ix_treatment_plans_clinic_patient_status", "clinic_id", "patient_id", "status"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    patient_id: Mapped[int] = _ref()
    design_version_id: Mapped[int | None] = _ref(nullable=True)
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(12))
    sessions_planned: Mapped[int]
    spacing_days: Mapped[float]
    content: Mapped[str] = mapped_column(Text)
    content_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class Booking(Base):
    """A booked session: one practitioner, one room, one client, 2–4 h.

    ``local_day`` is the clinic-local date of the start. A partial unique index allows one
    live booking per practitioner and day (never two SMP clients on one day); rooms are kept
    free of overlaps by an exclusion constraint (PostgreSQL) or triggers (SQLite).
    """

    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("clinic_id", "id"),
        _fk("patient", "patients"),
        _fk("practitioner", "practitioners"),
        _fk("room", "rooms"),
        _fk("plan", "treatment_plans"),
        CheckConstraint("ends_at > starts_at", name="interval"),
        CheckConstraint("status IN ('booked', 'done', 'cancelled')", name="status"),
        Index(
            "ux_bookings_practitioner_day",
            "practitioner_id",
            "local_day",
            unique=True,
            sqlite_where=text("status <> 'cancelled'"),
            postgresql_where=text("status <> 'cancelled'"),
        ),
        Index("ix_bookings_room_starts_at", "room_id", "starts_at"),
        Index("ix_bookings_clinic_patient_day", "clinic_id", "patient_id", "local_day"),
        Index("ix_bookings_clinic_day", "clinic_id", "local_day"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    patient_id: Mapped[int] = _ref()
    practitioner_id: Mapped[int] = _ref()
    room_id: Mapped[int] = _ref()
    plan_id: Mapped[int | None] = _ref(nullable=True)
    session_number: Mapped[int | None]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    local_day: Mapped[date]
    status: Mapped[str] = mapped_column(String(10), default="booked")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    cancelled_at: Mapped[datetime | None]


class SessionPigment(Base):
    """A pigment used in a session: brand, batch (REACH), expiry, dilution."""

    __tablename__ = "session_pigments"
    __table_args__ = (
        _fk("session", "session_records"),
        CheckConstraint("dilution_pigment_ml > 0 AND dilution_water_ml >= 0", name="dilution"),
        Index("ix_session_pigments_clinic_batch", "clinic_id", "batch"),
        Index("ix_session_pigments_session", "session_id"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    session_id: Mapped[int] = _ref()
    brand: Mapped[str] = mapped_column(String(100))
    batch: Mapped[str] = mapped_column(String(64))
    expires_on: Mapped[date]
    dilution_water_ml: Mapped[float]
    dilution_pigment_ml: Mapped[float]


class SessionNeedleLot(Base):
    """A needle cartridge lot opened in front of the client in a session."""

    __tablename__ = "session_needle_lots"
    __table_args__ = (
        _fk("session", "session_records"),
        Index("ix_session_needle_lots_clinic_lot", "clinic_id", "lot"),
        Index("ix_session_needle_lots_session", "session_id"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    session_id: Mapped[int] = _ref()
    lot: Mapped[str] = mapped_column(String(64))
    cartridge: Mapped[str] = mapped_column(String(100), default="")
    opened_in_front_of_client: Mapped[bool]


class SessionRecord(Base):
    """What was done in one session; append-only, like its pigment and needle lots."""

    __tablename__ = "session_records"
    __table_args__ = (
        UniqueConstraint("clinic_id", "id"),
        UniqueConstraint("booking_id"),
        _fk("patient", "patients"),
        _fk("practitioner", "practitioners"),
        _fk("booking", "bookings"),
        _fk("plan", "treatment_plans"),
        CheckConstraint("pain_score BETWEEN 0 AND 10", name="pain"),
        CheckConstraint("duration_minutes > 0", name="duration"),
        CheckConstraint("anaesthetic_offered OR NOT anaesthetic_used", name="anaesthetic"),
        Index("ix_session_records_clinic_patient_day", "clinic_id", "patient_id", "performed_on"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    patient_id: Mapped[int] = _ref()
    practitioner_id: Mapped[int] = _ref()
    booking_id: Mapped[int | None] = _ref(nullable=True)
    plan_id: Mapped[int | None] = _ref(nullable=True)
    session_number: Mapped[int | None]
    performed_on: Mapped[date]
    duration_minutes: Mapped[int]
    anaesthetic_offered: Mapped[bool]
    anaesthetic_used: Mapped[bool]
    anaesthetic_product: Mapped[str | None] = mapped_column(String(100))
    pain_score: Mapped[int | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))

    pigments: Mapped[list[SessionPigment]] = relationship(
        primaryjoin="and_(SessionRecord.id == foreign(SessionPigment.session_id))",
        order_by="SessionPigment.id",
        viewonly=True,
        lazy="selectin",
    )
    needle_lots: Mapped[list[SessionNeedleLot]] = relationship(
        primaryjoin="and_(SessionRecord.id == foreign(SessionNeedleLot.session_id))",
        order_by="SessionNeedleLot.id",
        viewonly=True,
        lazy="selectin",
    )
    dilution_overrides: Mapped[list[DilutionOverride]] = relationship(
        primaryjoin="and_(SessionRecord.id == foreign(DilutionOverride.session_id))",
        order_by="DilutionOverride.id",
        viewonly=True,
        lazy="selectin",
    )
    patch_test_overrides: Mapped[list[PatchTestOverride]] = relationship(
        primaryjoin="and_(SessionRecord.id == foreign(PatchTestOverride.session_id))",
        order_by="PatchTestOverride.id",
        viewonly=True,
        lazy="selectin",
    )


class DilutionOverride(Base):
    """A pigment mixed otherwise than the dilution chart recommends for the client.

    ``recommended_water_ml`` is what :func:`smpstudio.colour.recommend_dilution` gave for the
    client's skin and hair (the latest design's look), zone and session; ``chosen_water_ml``
    what the practitioner used, both in mL of water per mL of pigment. Append-only.
    """

    __tablename__ = "dilution_overrides"
    __table_args__ = (
        _fk("patient", "patients"),
        _fk("session", "session_records"),
        _fk("practitioner", "practitioners"),
        CheckConstraint("recommended_water_ml >= 0 AND chosen_water_ml >= 0", name="water"),
        Index("ix_dilution_overrides_clinic_patient", "clinic_id", "patient_id"),
        Index("ix_dilution_overrides_session", "session_id"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    patient_id: Mapped[int] = _ref()
    session_id: Mapped[int] = _ref()
    practitioner_id: Mapped[int] = _ref()
    batch: Mapped[str] = mapped_column(String(64))
    zone: Mapped[str] = mapped_column(String(20))
    session_number: Mapped[int]
    skin: Mapped[str] = mapped_column(String(32))
    hair: Mapped[str] = mapped_column(String(32))
    recommended_water_ml: Mapped[float]
    chosen_water_ml: Mapped[float]
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class PatchTest(Base):
    """A patch test: a little of one pigment batch placed on the client's skin.

    Traceable like a session's pigment (brand, batch, expiry); its reading is a row of its
    own (:class:`PatchTestReading`). Append-only.
    """

    __tablename__ = "patch_tests"
    __table_args__ = (
        UniqueConstraint("clinic_id", "id"),
        _fk("patient", "patients"),
        _fk("practitioner", "practitioners"),
        Index("ix_patch_tests_clinic_patient", "clinic_id", "patient_id"),
        Index("ix_patch_tests_clinic_batch", "clinic_id", "batch"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    patient_id: Mapped[int] = _ref()
    practitioner_id: Mapped[int] = _ref()
    applied_at: Mapped[datetime]
    site: Mapped[str] = mapped_column(String(100))
    brand: Mapped[str] = mapped_column(String(100))
    batch: Mapped[str] = mapped_column(String(64))
    expires_on: Mapped[date]
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))

    readings: Mapped[list[PatchTestReading]] = relationship(
        primaryjoin="and_(PatchTest.id == foreign(PatchTestReading.patch_test_id))",
        order_by="PatchTestReading.id",
        viewonly=True,
        lazy="selectin",
    )

    @property
    def reading(self) -> PatchTestReading | None:
        """The reading of the test, or None while it is unread."""
        return self.readings[0] if self.readings else None


class PatchTestReading(Base):
    """The reading of a patch test: the reaction, who read it and when (one per test)."""

    __tablename__ = "patch_test_readings"
    __table_args__ = (
        UniqueConstraint("patch_test_id"),
        _fk("patch_test", "patch_tests"),
        _fk("practitioner", "practitioners"),
        CheckConstraint("reaction IN ('none', 'mild', 'marked')", name="reaction"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    patch_test_id: Mapped[int] = _ref()
    practitioner_id: Mapped[int] = _ref()
    read_at: Mapped[datetime]
    reaction: Mapped[str] = mapped_column(String(10))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class PatchTestOverride(Base):
    """A first session recorded without a clean patch test: what was missing and why."""

    __tablename__ = "patch_test_overrides"
    __table_args__ = (
        _fk("patient", "patients"),
        _fk("session", "session_records"),
        _fk("practitioner", "practitioners"),
        Index("ix_patch_test_overrides_clinic_patient", "clinic_id", "patient_id"),
        Index("ix_patch_test_overrides_session", "session_id"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    patient_id: Mapped[int] = _ref()
    session_id: Mapped[int] = _ref()
    practitioner_id: Mapped[int] = _ref()
    finding: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class Message(Base):
    """One message to a client in the outbox: a reminder, an aftercare rule, the touch-up
    recall; its status and every delivery attempt's outcome (the client's delivery log).

    ``status``: ``queued`` (waiting for ``due_at``), ``sent``, ``failed`` (tried
    ``attempts`` times; tried again at ``next_attempt_at`` unless that is empty),
    ``skipped`` (the client opted out of the channel, or has no address for it) or
    ``cancelled`` (its booking was cancelled or moved).
    """

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("clinic_id", "id"),
        _fk("patient", "patients"),
        _fk("booking", "bookings"),
        _fk("session", "session_records"),
        CheckConstraint("channel IN ('email', 'sms')", name="channel"),
        CheckConstraint(
            "status IN ('queued', 'sent', 'failed', 'skipped', 'cancelled')", name="status"
        ),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_messages_clinic_patient", "clinic_id", "patient_id"),
        Index("ix_messages_next_attempt_at", "next_attempt_at"),
        Index("ix_messages_booking", "booking_id"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    patient_id: Mapped[int] = _ref()
    booking_id: Mapped[int | None] = _ref(nullable=True)
    session_id: Mapped[int | None] = _ref(nullable=True)
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    recipient: Mapped[str] = mapped_column(String(254), default="")
    sent_at: Mapped[datetime | None]
    attachment_name: Mapped[str | None] = mapped_column(String(100))
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MessageOptOut(Base):
    """A client's choice about one channel: ``opted_out`` True stops every message on it."""

    __tablename__ = "message_opt_outs"
    __table_args__ = (
        _fk("patient", "patients"),
        UniqueConstraint("clinic_id", "patient_id", "channel"),
        CheckConstraint("channel IN ('email', 'sms')", name="channel"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    patient_id: Mapped[int] = _ref()
    channel: Mapped[str] = mapped_column(String(10))
    opted_out: Mapped[bool]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(200))


class StockItem(Base):
    """A pigment (by brand and product) or needle cartridge the clinic keeps in stock.

    ``unit``: mL for pigment, cartridges for needles; ``low_stock_at``: warn when the usable
    (unexpired) stock of the item is at or below it.
    """

    __tablename__ = "stock_items"
    __table_args__ = (
        UniqueConstraint("clinic_id", "id"),
        UniqueConstraint("clinic_id", "kind", "name"),
        CheckConstraint("kind IN ('pigment', 'needle')", name="kind"),
        CheckConstraint("low_stock_at >= 0", name="threshold"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(20))
    low_stock_at: Mapped[float]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))

    lots: Mapped[list[StockLot]] = relationship(
        primaryjoin="and_(StockItem.id == foreign(StockLot.item_id))",
        order_by="[StockLot.expires_on, StockLot.id]",
        viewonly=True,
        lazy="selectin",
    )


class StockLot(Base):
    """One lot (pigment batch, needle cartridge lot) of a stock item: its expiry and what is
    left. ``quantity`` is the sum of the lot's movements; the database refuses below 0."""

    __tablename__ = "stock_lots"
    __table_args__ = (
        UniqueConstraint("clinic_id", "id"),
        UniqueConstraint("item_id", "lot"),
        _fk("item", "stock_items"),
        CheckConstraint("quantity >= 0", name="quantity"),
        Index("ix_stock_lots_clinic_lot", "clinic_id", "lot"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    item_id: Mapped[int] = _ref()
    lot: Mapped[str] = mapped_column(String(64))
    expires_on: Mapped[date]
    quantity: Mapped[float]
    received_on: Mapped[date]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class StockMovement(Base):
    """A change to a lot's quantity: received, used in a session, counted, discarded.
    Append-only: the ledger the quantity is the sum of."""

    __tablename__ = "stock_movements"
    __table_args__ = (
        _fk("lot", "stock_lots"),
        _fk("session", "session_records"),
        CheckConstraint("reason IN ('received', 'session', 'count', 'discarded')", name="reason"),
        Index("ix_stock_movements_lot", "lot_id"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    lot_id: Mapped[int] = _ref()
    session_id: Mapped[int | None] = _ref(nullable=True)
    change: Mapped[float]
    quantity_after: Mapped[float]
    reason: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class Photo(Base):
    """A photo stored outside the database (under the data directory) with its SHA-256."""

    __tablename__ = "photos"
    __table_args__ = (
        _fk("patient", "patients"),
        _fk("session", "session_records"),
        _fk("consultation", "consultations"),
        Index("ix_photos_clinic_patient", "clinic_id", "patient_id"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    patient_id: Mapped[int] = _ref()
    session_id: Mapped[int | None] = _ref(nullable=True)
    consultation_id: Mapped[int | None] = _ref(nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    view: Mapped[str | None] = mapped_column(String(20))  # PHOTO_VIEWS; None: not said
    media_type: Mapped[str] = mapped_column(String(30))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(300), unique=True)
    taken_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class FollowUpZone(Base):
    """Pigment retention in one zone, assessed at a follow-up (0–100 %)."""

    __tablename__ = "follow_up_zones"
    __table_args__ = (
        _fk("follow_up", "follow_ups"),
        UniqueConstraint("follow_up_id", "zone"),
        CheckConstraint("retention_percent BETWEEN 0 AND 100", name="retention"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    follow_up_id: Mapped[int] = _ref()
    zone: Mapped[str] = mapped_column(String(20))
    retention_percent: Mapped[int]


class FollowUp(Base):
    """A follow-up (healing check, touch-up review) and the retention found per zone."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        UniqueConstraint("clinic_id", "id"),
        _fk("patient", "patients"),
        _fk("session", "session_records"),
        Index("ix_follow_ups_clinic_due_on", "clinic_id", "due_on"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    patient_id: Mapped[int] = _ref()
    session_id: Mapped[int | None] = _ref(nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    due_on: Mapped[date]
    done_on: Mapped[date | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))

    zones: Mapped[list[FollowUpZone]] = relationship(
        primaryjoin="and_(FollowUp.id == foreign(FollowUpZone.follow_up_id))",
        order_by="FollowUpZone.zone",
        viewonly=True,
        lazy="selectin",
    )


class Lead(Base):
    """A consultation request from the clinic's web site."""

    __tablename__ = "leads"
    __table_args__ = (
        _fk("patient", "patients"),
        CheckConstraint("status IN ('new', 'contacted', 'converted', 'closed')", name="status"),
        Index("ix_leads_clinic_status_received", "clinic_id", "status", "received_at"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    received_at: Mapped[datetime]
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text, default="")
    stage: Mapped[str | None] = mapped_column(String(20))
    contact_consent: Mapped[bool]
    status: Mapped[str] = mapped_column(String(12), default="new")
    patient_id: Mapped[int | None] = _ref(nullable=True)
    updated_at: Mapped[datetime]


class AuditEntry(Base):
    """One audit event; append-only and hash-chained per clinic (chain 0: the installation).

    ``hash = SHA-256(canonical JSON of the fields and prev_hash)``; ``seq`` numbers the chain
    from 1 without gaps. Triggers refuse UPDATE and DELETE on both back ends.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        UniqueConstraint("chain", "seq"),
        Index("ix_audit_log_chain_patient", "chain", "patient_id"),
    )

    id: Mapped[int] = _id()
    chain: Mapped[int] = mapped_column(IdType)
    seq: Mapped[int] = mapped_column(IdType)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    clinic_id: Mapped[int | None] = mapped_column(IdType)
    patient_id: Mapped[int | None] = mapped_column(IdType)
    action: Mapped[str] = mapped_column(String(20))
    object_type: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(10))
    detail: Mapped[str] = mapped_column(String(500), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The last sequence number and hash of each chain (detects a truncated tail)."""

    __tablename__ = "audit_heads"

    chain: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(IdType)
    hash: Mapped[str] = mapped_column(String(64))


class NoShow(Base):
    """A booked session the client missed, or cancelled late: the notice they gave and the
    fee charged (0 outside the clinic's notice window). Append-only."""

    __tablename__ = "no_shows"
    __table_args__ = (
        UniqueConstraint("clinic_id", "id"),
        UniqueConstraint("booking_id"),
        _fk("patient", "patients"),
        _fk("booking", "bookings"),
        CheckConstraint("fee >= 0", name="fee"),
        Index("ix_no_shows_clinic_patient", "clinic_id", "patient_id"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    patient_id: Mapped[int] = _ref()
    booking_id: Mapped[int] = _ref()
    starts_at: Mapped[datetime]
    notice_hours: Mapped[int]
    fee: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class Payment(Base):
    """The payments ledger: a payment or a refund, by card, cash or transfer, for one plan
    session (its number) or one no-show fee, in minor units. Append-only; ``number`` is the
    receipt number, a sequence per clinic without gaps."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("clinic_id", "id"),
        UniqueConstraint("clinic_id", "number"),
        _fk("patient", "patients"),
        _fk("plan", "treatment_plans"),
        _fk("no_show", "no_shows"),
        CheckConstraint("kind IN ('payment', 'refund')", name="kind"),
        CheckConstraint("method IN ('card', 'cash', 'transfer')", name="method"),
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint("(session_number IS NULL) <> (no_show_id IS NULL)", name="one_line"),
        Index("ix_payments_clinic_patient", "clinic_id", "patient_id"),
        Index("ix_payments_clinic_created_at", "clinic_id", "created_at"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    patient_id: Mapped[int] = _ref()
    number: Mapped[int]
    kind: Mapped[str] = mapped_column(String(7))
    method: Mapped[str] = mapped_column(String(8))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    session_number: Mapped[int | None]
    no_show_id: Mapped[int | None] = _ref(nullable=True)
    plan_id: Mapped[int | None] = _ref(nullable=True)
    reference: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class Invoice(Base):
    """An invoice as issued: its number (a sequence per clinic without gaps), the lines
    (JSON), the total with the tax it contains, what was paid then. Append-only."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("clinic_id", "id"),
        UniqueConstraint("clinic_id", "number"),
        _fk("patient", "patients"),
        _fk("plan", "treatment_plans"),
        CheckConstraint("total >= 0 AND tax >= 0 AND paid >= 0", name="amounts"),
        Index("ix_invoices_clinic_patient", "clinic_id", "patient_id"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    patient_id: Mapped[int] = _ref()
    plan_id: Mapped[int | None] = _ref(nullable=True)
    number: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    lines: Mapped[str] = mapped_column(Text)
    total: Mapped[int] = mapped_column(BigInteger)
    tax: Mapped[int] = mapped_column(BigInteger)
    tax_rate_bp: Mapped[int]
    tax_label: Mapped[str] = mapped_column(String(20))
    paid: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


# --- the client portal (``_portal_access``, ``_portal``) ---


class PortalLink(Base):
    """A one-time, expiring sign-in link e-mailed to a client (only its token's hash)."""

    __tablename__ = "portal_links"
    __table_args__ = (
        _fk("patient", "patients"),
        UniqueConstraint("token_hash"),
        CheckConstraint("origin IN ('client', 'studio')", name="origin"),
        Index("ix_portal_links_clinic_patient", "clinic_id", "patient_id"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    patient_id: Mapped[int] = _ref()
    token_hash: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(10))
    message_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class PortalSession(Base):
    """A client signed in to the portal: the SHA-256 of the cookie's token, its form token,
    its lifetime. Scoped to one client of one clinic."""

    __tablename__ = "portal_sessions"
    __table_args__ = (
        _fk("patient", "patients"),
        UniqueConstraint("token_hash"),
        Index("ix_portal_sessions_clinic_patient", "clinic_id", "patient_id"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    patient_id: Mapped[int] = _ref()
    token_hash: Mapped[str] = mapped_column(String(64))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    client_address: Mapped[str] = mapped_column(String(64))


class ConsentDocument(Base):
    """A consent signed in the portal: the drawn signature (PNG) and the PDF copy."""

    __tablename__ = "consent_documents"
    __table_args__ = (
        _fk("patient", "patients"),
        UniqueConstraint("consent_id"),
        Index("ix_consent_documents_clinic_patient", "clinic_id", "patient_id"),
    )

    id: Mapped[int] = _id()
    clinic_id: Mapped[int] = _clinic()
    patient_id: Mapped[int] = _ref()
    consent_id: Mapped[int] = mapped_column(IdType, ForeignKey("consents.id"), nullable=False)
    signature_png: Mapped[bytes] = mapped_column(LargeBinary)
    signature_sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class InstanceSecret(Base):
    """A secret of the installation itself, made once at ``smpstudio db upgrade`` (e.g. the
    key that turns record ids into the opaque tokens of the web studio's URLs). Carried by
    ``smpstudio db backup`` and ``restore`` with everything else, so URLs keep working."""

    __tablename__ = "instance_secrets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary)
