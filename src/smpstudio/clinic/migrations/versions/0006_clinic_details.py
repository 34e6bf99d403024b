"""The clinic's contact details and opening hours, editable by its owner (they were server
options of ``smpstudio serve``, which remain the fallback).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

COLUMNS = (("address", 300), ("phone", 40), ("email", 254), ("opening_hours", 500))


def upgrade() -> None:
    with op.batch_alter_table("clinics") as batch:
        for name, length in COLUMNS:
            batch.add_column(
                sa.Column(name, sa.String(length=length), nullable=False, server_default="")
            )


def downgrade() -> None:
    with op.batch_alter_table("clinics") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
