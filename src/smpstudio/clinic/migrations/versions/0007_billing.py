"""Deposits and payments: the clinic's currency, prices, deposit rule, no-show fee and tax
(columns of ``clinics``, like 0006), and three append-only tables: ``no_shows``,
``payments`` (the ledger; its ``number`` is the receipt number) and ``invoices``.

Money is stored as whole minor units (BIGINT), never as floating point.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

COLUMNS: tuple[tuple[str, sa.types.TypeEngine[Any], str], ...] = (
    ("currency", sa.String(length=3), ""),
    ("prices", sa.Text(), ""),
    ("deposit_kind", sa.String(length=7), "none"),
    ("deposit_value", sa.BigInteger(), "0"),
    ("no_show_fee", sa.BigInteger(), "0"),
    ("no_show_notice_hours", sa.Integer(), "48"),
    ("tax_rate_bp", sa.Integer(), "0"),
    ("tax_label", sa.String(length=20), ""),
    ("tax_number", sa.String(length=40), ""),
)
TABLES = ("invoices", "payments", "no_shows")


def upgrade() -> None:
    with op.batch_alter_table("clinics") as batch:
        for name, kind, default in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=False, server_default=default))
    _no_shows()
    _payments()
    _invoices()
    for table in TABLES:
        _append_only(table)


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)  # its triggers go with it
    with op.batch_alter_table("clinics") as batch:
        for name, _, _ in reversed(COLUMNS):
            batch.drop_column(name)


def _fk(table: str, name: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["clinic_id", f"{name}_id"],
        [f"{target}.clinic_id", f"{target}.id"],
        name=op.f(f"fk_{table}_clinic_id_{name}_id"),
    )


def _common(table: str) -> list[Any]:
    return [
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], name=op.f(f"fk_{table}_clinic_id")),
        _fk(table, "patient", "patients"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint("clinic_id", "id", name=op.f(f"uq_{table}_clinic_id_id")),
    ]


def _made() -> list[Any]:
    return [
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
    ]


def _no_shows() -> None:
    op.create_table(
        "no_shows",
        *_common("no_shows"),
        sa.Column("booking_id", ID, nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("notice_hours", sa.Integer(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        *_made(),
        _fk("no_shows", "booking", "bookings"),
        sa.CheckConstraint("fee >= 0", name=op.f("ck_no_shows_fee")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_no_shows_booking_id")),
    )
    op.create_index("ix_no_shows_clinic_patient", "no_shows", ["clinic_id", "patient_id"])


def _payments() -> None:
    op.create_table(
        "payments",
        *_common("payments"),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=7), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("session_number", sa.Integer(), nullable=True),
        sa.Column("no_show_id", ID, nullable=True),
        sa.Column("plan_id", ID, nullable=True),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        *_made(),
        _fk("payments", "plan", "treatment_plans"),
        _fk("payments", "no_show", "no_shows"),
        sa.CheckConstraint("kind IN ('payment', 'refund')", name=op.f("ck_payments_kind")),
        sa.CheckConstraint(
            "method IN ('card', 'cash', 'transfer')", name=op.f("ck_payments_method")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_amount")),
        sa.CheckConstraint(
            "(session_number IS NULL) <> (no_show_id IS NULL)", name=op.f("ck_payments_one_line")
        ),
        sa.UniqueConstraint("clinic_id", "number", name=op.f("uq_payments_clinic_id_number")),
    )
    op.create_index("ix_payments_clinic_patient", "payments", ["clinic_id", "patient_id"])
    op.create_index("ix_payments_clinic_created_at", "payments", ["clinic_id", "created_at"])


def _invoices() -> None:
    op.create_table(
        "invoices",
        *_common("invoices"),
        sa.Column("plan_id", ID, nullable=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("lines", sa.Text(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("tax", sa.BigInteger(), nullable=False),
        sa.Column("tax_rate_bp", sa.Integer(), nullable=False),
        sa.Column("tax_label", sa.String(length=20), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        *_made(),
        _fk("invoices", "plan", "treatment_plans"),
        sa.CheckConstraint(
            "total >= 0 AND tax >= 0 AND paid >= 0", name=op.f("ck_invoices_amounts")
        ),
        sa.UniqueConstraint("clinic_id", "number", name=op.f("uq_invoices_clinic_id_number")),
    )
    op.create_index("ix_invoices_clinic_patient", "invoices", ["clinic_id", "patient_id"])


def _append_only(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION smpstudio_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION smpstudio_refuse_change()"
        )
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        )
