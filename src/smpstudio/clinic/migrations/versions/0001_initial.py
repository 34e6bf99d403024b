"""The initial clinic schema: every table, index and constraint of smpstudio.clinic._models,
plus the rules models cannot express.

- Append-only tables (``audit_log``, ``audit_heads`` excepted; consents and consent forms;
  session records with their pigment and needle lots): UPDATE and DELETE are refused by
  ``BEFORE`` triggers, ``RAISE(ABORT)`` on SQLite and a PL/pgSQL function on PostgreSQL
  (which also refuses TRUNCATE).
- No double-booked room: on PostgreSQL an exclusion constraint over
  ``(int8range(room_id, room_id, '[]'), tsrange(starts_at, ends_at))`` (built-in GiST
  operator classes, no extension); on SQLite ``BEFORE INSERT/UPDATE`` triggers, which are
  race-free because SQLite has one writer at a time.
- The installation's audit chain (chain 0) starts empty.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

APPEND_ONLY = (
    "audit_log",
    "consent_forms",
    "consents",
    "session_records",
    "session_pigments",
    "session_needle_lots",
)

TABLES = (
    "audit_heads",
    "audit_log",
    "clinics",
    "consent_forms",
    "patients",
    "practitioners",
    "rooms",
    "availability",
    "consents",
    "consultations",
    "hygiene_attestations",
    "leads",
    "time_off",
    "design_versions",
    "treatment_plans",
    "bookings",
    "session_records",
    "follow_ups",
    "photos",
    "session_needle_lots",
    "session_pigments",
    "follow_up_zones",
)
"""Every table, in creation order."""

_ROOM_OVERLAP = (
    "NEW.status <> 'cancelled' AND EXISTS (SELECT 1 FROM bookings b "
    "WHERE b.room_id = NEW.room_id AND b.status <> 'cancelled' AND b.id IS NOT NEW.id "
    "AND b.starts_at < NEW.ends_at AND NEW.starts_at < b.ends_at)"
)


def upgrade() -> None:
    _create_tables()
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_rules()
    else:
        _sqlite_rules()
    heads = sa.table(
        "audit_heads", sa.column("chain", ID), sa.column("seq", ID), sa.column("hash", sa.String)
    )
    op.bulk_insert(heads, [{"chain": 0, "seq": 0, "hash": "0" * 64}])


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION smpstudio_refuse_change()")


def _sqlite_rules() -> None:
    for table in APPEND_ONLY:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
    op.execute(
        "CREATE TRIGGER bookings_room_overlap_insert BEFORE INSERT ON bookings "
        f"WHEN {_ROOM_OVERLAP} BEGIN SELECT RAISE(ABORT, 'room is double-booked'); END"
    )
    op.execute(
        "CREATE TRIGGER bookings_room_overlap_update "
        "BEFORE UPDATE OF room_id, starts_at, ends_at, status ON bookings "
        f"WHEN {_ROOM_OVERLAP} BEGIN SELECT RAISE(ABORT, 'room is double-booked'); END"
    )


def _postgresql_rules() -> None:
    op.execute(
        "CREATE FUNCTION smpstudio_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME "
        "USING ERRCODE = 'restrict_violation'; END $$"
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION smpstudio_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION smpstudio_refuse_change()"
        )
    op.execute(
        "ALTER TABLE bookings ADD CONSTRAINT ex_bookings_room_overlap EXCLUDE USING gist "
        "(int8range(room_id, room_id, '[]') WITH &&, tsrange(starts_at, ends_at, '[)') WITH &&) "
        "WHERE (status <> 'cancelled')"
    )


def _create_tables() -> None:
    op.create_table(
        "audit_heads",
        sa.Column("chain", ID, autoincrement=False, nullable=False),
        sa.Column("seq", ID, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_heads")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", ID, nullable=False),
        sa.Column("chain", ID, nullable=False),
        sa.Column("seq", ID, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("clinic_id", ID, nullable=True),
        sa.Column("patient_id", ID, nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("object_type", sa.String(length=30), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("chain", "seq", name=op.f("uq_audit_log_chain_seq")),
    )
    op.create_index(
        "ix_audit_log_chain_patient", "audit_log", ["chain", "patient_id"], unique=False
    )
    op.create_table(
        "clinics",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinics")),
        sa.UniqueConstraint("name", name=op.f("uq_clinics_name")),
    )
    op.create_table(
        "consent_forms",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('treatment', 'photo', 'marketing')", name=op.f("ck_consent_forms_kind")
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_consent_forms_clinic_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_forms")),
        sa.UniqueConstraint("clinic_id", "id", name=op.f("uq_consent_forms_clinic_id_id")),
        sa.UniqueConstraint(
            "clinic_id", "kind", "version", name=op.f("uq_consent_forms_clinic_id_kind_version")
        ),
    )
    op.create_table(
        "patients",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name=op.f("fk_patients_clinic_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
        sa.UniqueConstraint("clinic_id", "id", name=op.f("uq_patients_clinic_id_id")),
    )
    op.create_index(
        "ix_patients_clinic_family_name", "patients", ["clinic_id", "family_name"], unique=False
    )
    op.create_table(
        "practitioners",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("certification_body", sa.String(length=200), nullable=False),
        sa.Column("certification_number", sa.String(length=100), nullable=False),
        sa.Column("certified_on", sa.Date(), nullable=False),
        sa.Column("certification_expires_on", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_practitioners_clinic_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practitioners")),
        sa.UniqueConstraint("clinic_id", "id", name=op.f("uq_practitioners_clinic_id_id")),
    )
    op.create_table(
        "rooms",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name=op.f("fk_rooms_clinic_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rooms")),
        sa.UniqueConstraint("clinic_id", "id", name=op.f("uq_rooms_clinic_id_id")),
        sa.UniqueConstraint("clinic_id", "name", name=op.f("uq_rooms_clinic_id_name")),
    )
    op.create_table(
        "availability",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("practitioner_id", ID, nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "0 <= start_minute AND start_minute < end_minute", name=op.f("ck_availability_start")
        ),
        sa.CheckConstraint("end_minute <= 1440", name=op.f("ck_availability_end")),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_availability_weekday")),
        sa.ForeignKeyConstraint(
            ["clinic_id", "practitioner_id"],
            ["practitioners.clinic_id", "practitioners.id"],
            name=op.f("fk_availability_clinic_id_practitioner_id"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_availability_clinic_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_availability")),
    )
    op.create_table(
        "consents",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("form_id", ID, nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("signed_name", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "decision IN ('granted', 'refused', 'withdrawn')", name=op.f("ck_consents_decision")
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "form_id"],
            ["consent_forms.clinic_id", "consent_forms.id"],
            name=op.f("fk_consents_clinic_id_form_id"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "patient_id"],
            ["patients.clinic_id", "patients.id"],
            name=op.f("fk_consents_clinic_id_patient_id"),
        ),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name=op.f("fk_consents_clinic_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    op.create_index(
        "ix_consents_clinic_patient", "consents", ["clinic_id", "patient_id"], unique=False
    )
    op.create_table(
        "consultations",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("practitioner_id", ID, nullable=True),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=True),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('candidate', 'warn', 'refer', 'block')",
            name=op.f("ck_consultations_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "patient_id"],
            ["patients.clinic_id", "patients.id"],
            name=op.f("fk_consultations_clinic_id_patient_id"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "practitioner_id"],
            ["practitioners.clinic_id", "practitioners.id"],
            name=op.f("fk_consultations_clinic_id_practitioner_id"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_consultations_clinic_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultations")),
        sa.UniqueConstraint("clinic_id", "id", name=op.f("uq_consultations_clinic_id_id")),
    )
    op.create_index(
        "ix_consultations_clinic_patient",
        "consultations",
        ["clinic_id", "patient_id"],
        unique=False,
    )
    op.create_table(
        "hygiene_attestations",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("practitioner_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id", "practitioner_id"],
            ["practitioners.clinic_id", "practitioners.id"],
            name=op.f("fk_hygiene_attestations_clinic_id_practitioner_id"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_hygiene_attestations_clinic_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hygiene_attestations")),
    )
    op.create_table(
        "leads",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=True),
        sa.Column("contact_consent", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("patient_id", ID, nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('new', 'contacted', 'converted', 'closed')", name=op.f("ck_leads_status")
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "patient_id"],
            ["patients.clinic_id", "patients.id"],
            name=op.f("fk_leads_clinic_id_patient_id"),
        ),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name=op.f("fk_leads_clinic_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
    )
    op.create_index(
        "ix_leads_clinic_status_received",
        "leads",
        ["clinic_id", "status", "received_at"],
        unique=False,
    )
    op.create_table(
        "time_off",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("practitioner_id", ID, nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_time_off_interval")),
        sa.ForeignKeyConstraint(
            ["clinic_id", "practitioner_id"],
            ["practitioners.clinic_id", "practitioners.id"],
            name=op.f("fk_time_off_clinic_id_practitioner_id"),
        ),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name=op.f("fk_time_off_clinic_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_off")),
    )
    op.create_table(
        "design_versions",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("consultation_id", ID, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("pattern", sa.String(length=30), nullable=False),
        sa.Column("hairline_style", sa.String(length=20), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id", "consultation_id"],
            ["consultations.clinic_id", "consultations.id"],
            name=op.f("fk_design_versions_clinic_id_consultation_id"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "patient_id"],
            ["patients.clinic_id", "patients.id"],
            name=op.f("fk_design_versions_clinic_id_patient_id"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_design_versions_clinic_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_design_versions")),
        sa.UniqueConstraint("clinic_id", "id", name=op.f("uq_design_versions_clinic_id_id")),
        sa.UniqueConstraint(
            "patient_id", "version", name=op.f("uq_design_versions_patient_id_version")
        ),
    )
    op.create_table(
        "treatment_plans",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("design_version_id", ID, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("sessions_planned", sa.Integer(), nullable=False),
        sa.Column("spacing_days", sa.Double(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'accepted', 'completed', 'cancelled')",
            name=op.f("ck_treatment_plans_status"),
        ),
        sa.CheckConstraint(
            "sessions_planned BETWEEN 1 AND 12", name=op.f("ck_treatment_plans_sessions")
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "design_version_id"],
            ["design_versions.clinic_id", "design_versions.id"],
            name=op.f("fk_treatment_plans_clinic_id_design_version_id"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "patient_id"],
            ["patients.clinic_id", "patients.id"],
            name=op.f("fk_treatment_plans_clinic_id_patient_id"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_treatment_plans_clinic_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_plans")),
        sa.UniqueConstraint("clinic_id", "id", name=op.f("uq_treatment_plans_clinic_id_id")),
        sa.UniqueConstraint(
            "patient_id", "version", name=op.f("uq_treatment_plans_patient_id_version")
        ),
    )
    op.create_index(
        "ix_treatment_plans_clinic_patient_status",
        "treatment_plans",
        ["clinic_id", "patient_id", "status"],
        unique=False,
    )
    op.create_table(
        "bookings",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("practitioner_id", ID, nullable=False),
        sa.Column("room_id", ID, nullable=False),
        sa.Column("plan_id", ID, nullable=True),
        sa.Column("session_number", sa.Integer(), nullable=True),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('booked', 'done', 'cancelled')", name=op.f("ck_bookings_status")
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_bookings_interval")),
        sa.ForeignKeyConstraint(
            ["clinic_id", "patient_id"],
            ["patients.clinic_id", "patients.id"],
            name=op.f("fk_bookings_clinic_id_patient_id"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "plan_id"],
            ["treatment_plans.clinic_id", "treatment_plans.id"],
            name=op.f("fk_bookings_clinic_id_plan_id"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "practitioner_id"],
            ["practitioners.clinic_id", "practitioners.id"],
            name=op.f("fk_bookings_clinic_id_practitioner_id"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "room_id"],
            ["rooms.clinic_id", "rooms.id"],
            name=op.f("fk_bookings_clinic_id_room_id"),
        ),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name=op.f("fk_bookings_clinic_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint("clinic_id", "id", name=op.f("uq_bookings_clinic_id_id")),
    )
    op.create_index("ix_bookings_clinic_day", "bookings", ["clinic_id", "local_day"], unique=False)
    op.create_index(
        "ix_bookings_clinic_patient_day",
        "bookings",
        ["clinic_id", "patient_id", "local_day"],
        unique=False,
    )
    op.create_index(
        "ix_bookings_room_starts_at", "bookings", ["room_id", "starts_at"], unique=False
    )
    op.create_index(
        "ux_bookings_practitioner_day",
        "bookings",
        ["practitioner_id", "local_day"],
        unique=True,
        sqlite_where=sa.text("status <> 'cancelled'"),
        postgresql_where=sa.text("status <> 'cancelled'"),
    )
    op.create_table(
        "session_records",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("practitioner_id", ID, nullable=False),
        sa.Column("booking_id", ID, nullable=True),
        sa.Column("plan_id", ID, nullable=True),
        sa.Column("session_number", sa.Integer(), nullable=True),
        sa.Column("performed_on", sa.Date(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("anaesthetic_offered", sa.Boolean(), nullable=False),
        sa.Column("anaesthetic_used", sa.Boolean(), nullable=False),
        sa.Column("anaesthetic_product", sa.String(length=100), nullable=True),
        sa.Column("pain_score", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "anaesthetic_offered OR NOT anaesthetic_used",
            name=op.f("ck_session_records_anaesthetic"),
        ),
        sa.CheckConstraint("duration_minutes > 0", name=op.f("ck_session_records_duration")),
        sa.CheckConstraint("pain_score BETWEEN 0 AND 10", name=op.f("ck_session_records_pain")),
        sa.ForeignKeyConstraint(
            ["clinic_id", "booking_id"],
            ["bookings.clinic_id", "bookings.id"],
            name=op.f("fk_session_records_clinic_id_booking_id"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "patient_id"],
            ["patients.clinic_id", "patients.id"],
            name=op.f("fk_session_records_clinic_id_patient_id"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "plan_id"],
            ["treatment_plans.clinic_id", "treatment_plans.id"],
            name=op.f("fk_session_records_clinic_id_plan_id"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "practitioner_id"],
            ["practitioners.clinic_id", "practitioners.id"],
            name=op.f("fk_session_records_clinic_id_practitioner_id"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_session_records_clinic_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_records")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_session_records_booking_id")),
        sa.UniqueConstraint("clinic_id", "id", name=op.f("uq_session_records_clinic_id_id")),
    )
    op.create_index(
        "ix_session_records_clinic_patient_day",
        "session_records",
        ["clinic_id", "patient_id", "performed_on"],
        unique=False,
    )
    op.create_table(
        "follow_ups",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("session_id", ID, nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id", "patient_id"],
            ["patients.clinic_id", "patients.id"],
            name=op.f("fk_follow_ups_clinic_id_patient_id"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "session_id"],
            ["session_records.clinic_id", "session_records.id"],
            name=op.f("fk_follow_ups_clinic_id_session_id"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_follow_ups_clinic_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
        sa.UniqueConstraint("clinic_id", "id", name=op.f("uq_follow_ups_clinic_id_id")),
    )
    op.create_index(
        "ix_follow_ups_clinic_due_on", "follow_ups", ["clinic_id", "due_on"], unique=False
    )
    op.create_table(
        "photos",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("session_id", ID, nullable=True),
        sa.Column("consultation_id", ID, nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("media_type", sa.String(length=30), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id", "consultation_id"],
            ["consultations.clinic_id", "consultations.id"],
            name=op.f("fk_photos_clinic_id_consultation_id"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "patient_id"],
            ["patients.clinic_id", "patients.id"],
            name=op.f("fk_photos_clinic_id_patient_id"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "session_id"],
            ["session_records.clinic_id", "session_records.id"],
            name=op.f("fk_photos_clinic_id_session_id"),
        ),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name=op.f("fk_photos_clinic_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photos")),
        sa.UniqueConstraint("path", name=op.f("uq_photos_path")),
    )
    op.create_index("ix_photos_clinic_patient", "photos", ["clinic_id", "patient_id"], unique=False)
    op.create_table(
        "session_needle_lots",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("session_id", ID, nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("cartridge", sa.String(length=100), nullable=False),
        sa.Column("opened_in_front_of_client", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id", "session_id"],
            ["session_records.clinic_id", "session_records.id"],
            name=op.f("fk_session_needle_lots_clinic_id_session_id"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_session_needle_lots_clinic_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_needle_lots")),
    )
    op.create_index(
        "ix_session_needle_lots_clinic_lot",
        "session_needle_lots",
        ["clinic_id", "lot"],
        unique=False,
    )
    op.create_index(
        "ix_session_needle_lots_session", "session_needle_lots", ["session_id"], unique=False
    )
    op.create_table(
        "session_pigments",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("session_id", ID, nullable=False),
        sa.Column("brand", sa.String(length=100), nullable=False),
        sa.Column("batch", sa.String(length=64), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("dilution_water_ml", sa.Double(), nullable=False),
        sa.Column("dilution_pigment_ml", sa.Double(), nullable=False),
        sa.CheckConstraint(
            "dilution_pigment_ml > 0 AND dilution_water_ml >= 0",
            name=op.f("ck_session_pigments_dilution"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "session_id"],
            ["session_records.clinic_id", "session_records.id"],
            name=op.f("fk_session_pigments_clinic_id_session_id"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_session_pigments_clinic_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_pigments")),
    )
    op.create_index(
        "ix_session_pigments_clinic_batch", "session_pigments", ["clinic_id", "batch"], unique=False
    )
    op.create_index("ix_session_pigments_session", "session_pigments", ["session_id"], unique=False)
    op.create_table(
        "follow_up_zones",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("follow_up_id", ID, nullable=False),
        sa.Column("zone", sa.String(length=20), nullable=False),
        sa.Column("retention_percent", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "retention_percent BETWEEN 0 AND 100", name=op.f("ck_follow_up_zones_retention")
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id", "follow_up_id"],
            ["follow_ups.clinic_id", "follow_ups.id"],
            name=op.f("fk_follow_up_zones_clinic_id_follow_up_id"),
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name=op.f("fk_follow_up_zones_clinic_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_zones")),
        sa.UniqueConstraint(
            "follow_up_id", "zone", name=op.f("uq_follow_up_zones_follow_up_id_zone")
        ),
    )
