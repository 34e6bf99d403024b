"""The message outbox (reminders, aftercare, touch-up recall, with every delivery attempt's
outcome) and the clients' opt-outs per channel.

Both tables are clinic-scoped with composite foreign keys ``(clinic_id, x_id)`` like every
record. Messages change status as they are sent, so they are not append-only; every change
is audited.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    _messages()
    _opt_outs()


def downgrade() -> None:
    op.drop_table("message_opt_outs")
    op.drop_table("messages")


def _fk(table: str, name: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["clinic_id", f"{name}_id"],
        [f"{target}.clinic_id", f"{target}.id"],
        name=op.f(f"fk_{table}_clinic_id_{name}_id"),
    )


def _clinic_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["clinic_id"], ["clinics.id"], name=op.f(f"fk_{table}_clinic_id")
    )


def _messages() -> None:
    op.create_table(
        "messages",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("booking_id", ID, nullable=True),
        sa.Column("session_id", ID, nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("channel IN ('email', 'sms')", name=op.f("ck_messages_channel")),
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'failed', 'skipped', 'cancelled')",
            name=op.f("ck_messages_status"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_messages_attempts")),
        _fk("messages", "patient", "patients"),
        _fk("messages", "booking", "bookings"),
        _fk("messages", "session", "session_records"),
        _clinic_fk("messages"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("clinic_id", "id", name=op.f("uq_messages_clinic_id_id")),
    )
    op.create_index("ix_messages_clinic_patient", "messages", ["clinic_id", "patient_id"])
    op.create_index("ix_messages_next_attempt_at", "messages", ["next_attempt_at"])
    op.create_index("ix_messages_booking", "messages", ["booking_id"])


def _opt_outs() -> None:
    op.create_table(
        "message_opt_outs",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint("channel IN ('email', 'sms')", name=op.f("ck_message_opt_outs_channel")),
        _fk("message_opt_outs", "patient", "patients"),
        _clinic_fk("message_opt_outs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_opt_outs")),
        sa.UniqueConstraint(
            "clinic_id",
            "patient_id",
            "channel",
            name=op.f("uq_message_opt_outs_clinic_id_patient_id_channel"),
        ),
    )
