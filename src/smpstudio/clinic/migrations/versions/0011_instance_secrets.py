"""Secrets of the installation: one row per secret, made at upgrade from the operating
system's random source. The first is ``record-ids``, the 16-byte key that turns record ids
into the opaque tokens of the web studio's URLs (``smpstudio.web._ids``), so that a URL
shows neither how many records the deployment holds nor how fast they grow.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    secrets = op.create_table(
        "instance_secrets",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_instance_secrets")),
    )
    op.bulk_insert(secrets, [{"name": "record-ids", "value": os.urandom(16)}])


def downgrade() -> None:
    op.drop_table("instance_secrets")
