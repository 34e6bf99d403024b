"""Patch tests (with their readings), patch-test overrides of a first session, and dilution
overrides of a session's pigment.

All four tables are clinic-scoped with composite foreign keys ``(clinic_id, x_id)`` like
every record, and append-only like the session lots they sit beside: UPDATE and DELETE are
refused by ``BEFORE`` triggers (``RAISE(ABORT)`` on SQLite, the PL/pgSQL function
``smpstudio_refuse_change`` of revision 0001 on PostgreSQL, which also refuses TRUNCATE).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

TABLES = ("patch_tests", "patch_test_readings", "patch_test_overrides", "dilution_overrides")
"""The new tables, in creation order; every one is append-only."""


def upgrade() -> None:
    _patch_tests()
    _patch_test_readings()
    _overrides("patch_test_overrides", _patch_test_override_columns())
    _overrides("dilution_overrides", _dilution_override_columns())
    _append_only()


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)  # its triggers go with it


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


def _patch_tests() -> None:
    op.create_table(
        "patch_tests",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("practitioner_id", ID, nullable=False),
        sa.Column("applied_at", sa.DateTime(), nullable=False),
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("brand", sa.String(length=100), nullable=False),
        sa.Column("batch", sa.String(length=64), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        _fk("patch_tests", "patient", "patients"),
        _fk("patch_tests", "practitioner", "practitioners"),
        _clinic_fk("patch_tests"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patch_tests")),
        sa.UniqueConstraint("clinic_id", "id", name=op.f("uq_patch_tests_clinic_id_id")),
    )
    op.create_index("ix_patch_tests_clinic_patient", "patch_tests", ["clinic_id", "patient_id"])
    op.create_index("ix_patch_tests_clinic_batch", "patch_tests", ["clinic_id", "batch"])


def _patch_test_readings() -> None:
    op.create_table(
        "patch_test_readings",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("patch_test_id", ID, nullable=False),
        sa.Column("practitioner_id", ID, nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=False),
        sa.Column("reaction", sa.String(length=10), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "reaction IN ('none', 'mild', 'marked')", name=op.f("ck_patch_test_readings_reaction")
        ),
        _fk("patch_test_readings", "patch_test", "patch_tests"),
        _fk("patch_test_readings", "practitioner", "practitioners"),
        _clinic_fk("patch_test_readings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patch_test_readings")),
        sa.UniqueConstraint("patch_test_id", name=op.f("uq_patch_test_readings_patch_test_id")),
    )


def _patch_test_override_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("finding", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    ]


def _dilution_override_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("batch", sa.String(length=64), nullable=False),
        sa.Column("zone", sa.String(length=20), nullable=False),
        sa.Column("session_number", sa.Integer(), nullable=False),
        sa.Column("skin", sa.String(length=32), nullable=False),
        sa.Column("hair", sa.String(length=32), nullable=False),
        sa.Column("recommended_water_ml", sa.Double(), nullable=False),
        sa.Column("chosen_water_ml", sa.Double(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    ]


def _overrides(table: str, columns: list[sa.Column[object]]) -> None:
    """An override of a session rule: who, which session, and the table's own columns."""
    checks = (
        [
            sa.CheckConstraint(
                "recommended_water_ml >= 0 AND chosen_water_ml >= 0",
                name=op.f(f"ck_{table}_water"),
            )
        ]
        if table == "dilution_overrides"
        else []
    )
    op.create_table(
        table,
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("session_id", ID, nullable=False),
        sa.Column("practitioner_id", ID, nullable=False),
        *columns,
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        *checks,
        _fk(table, "patient", "patients"),
        _fk(table, "session", "session_records"),
        _fk(table, "practitioner", "practitioners"),
        _clinic_fk(table),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    )
    op.create_index(f"ix_{table}_clinic_patient", table, ["clinic_id", "patient_id"])
    op.create_index(f"ix_{table}_session", table, ["session_id"])


def _append_only() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgres:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION smpstudio_refuse_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION smpstudio_refuse_change()"
            )
            continue
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
