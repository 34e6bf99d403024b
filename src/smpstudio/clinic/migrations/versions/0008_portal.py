"""The client portal: one-time sign-in links, portal sessions, consents signed in the
portal (drawn signature and PDF copy), and an attachment on outbox messages (the PDF copy
e-mailed to the client).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    _links()
    _sessions()
    _documents()
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("attachment_name", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("attachment", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("attachment")
        batch.drop_column("attachment_name")
    op.drop_table("consent_documents")
    op.drop_table("portal_sessions")
    op.drop_table("portal_links")


def _patient_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["clinic_id", "patient_id"],
        ["patients.clinic_id", "patients.id"],
        name=op.f(f"fk_{table}_clinic_id_patient_id"),
    )


def _clinic_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["clinic_id"], ["clinics.id"], name=op.f(f"fk_{table}_clinic_id")
    )


def _links() -> None:
    op.create_table(
        "portal_links",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=10), nullable=False),
        sa.Column("message_id", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("origin IN ('client', 'studio')", name=op.f("ck_portal_links_origin")),
        _patient_fk("portal_links"),
        _clinic_fk("portal_links"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_links_token_hash")),
    )
    op.create_index("ix_portal_links_clinic_patient", "portal_links", ["clinic_id", "patient_id"])


def _sessions() -> None:
    op.create_table(
        "portal_sessions",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        _patient_fk("portal_sessions"),
        _clinic_fk("portal_sessions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_sessions_token_hash")),
    )
    op.create_index(
        "ix_portal_sessions_clinic_patient", "portal_sessions", ["clinic_id", "patient_id"]
    )


def _documents() -> None:
    op.create_table(
        "consent_documents",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("patient_id", ID, nullable=False),
        sa.Column("consent_id", ID, nullable=False),
        sa.Column("signature_png", sa.LargeBinary(), nullable=False),
        sa.Column("signature_sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consent_id"], ["consents.id"], name=op.f("fk_consent_documents_consent_id")
        ),
        _patient_fk("consent_documents"),
        _clinic_fk("consent_documents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_documents")),
        sa.UniqueConstraint("consent_id", name=op.f("uq_consent_documents_consent_id")),
    )
    op.create_index(
        "ix_consent_documents_clinic_patient", "consent_documents", ["clinic_id", "patient_id"]
    )
