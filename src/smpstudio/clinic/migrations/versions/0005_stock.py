"""Pigment and needle stock: items, lots with expiry and quantity, and the movements ledger.

``stock_lots.quantity`` may not go below 0 (a CHECK on both back ends, beside the service's
own refusal); ``stock_movements`` is append-only like the session lots (``BEFORE`` triggers:
``RAISE(ABORT)`` on SQLite, ``smpstudio_refuse_change`` of revision 0001 on PostgreSQL).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    _items()
    _lots()
    _movements()
    _append_only("stock_movements")


def downgrade() -> None:
    for table in ("stock_movements", "stock_lots", "stock_items"):
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


def _items() -> None:
    op.create_table(
        "stock_items",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("low_stock_at", sa.Double(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint("kind IN ('pigment', 'needle')", name=op.f("ck_stock_items_kind")),
        sa.CheckConstraint("low_stock_at >= 0", name=op.f("ck_stock_items_threshold")),
        _clinic_fk("stock_items"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_items")),
        sa.UniqueConstraint("clinic_id", "id", name=op.f("uq_stock_items_clinic_id_id")),
        sa.UniqueConstraint(
            "clinic_id", "kind", "name", name=op.f("uq_stock_items_clinic_id_kind_name")
        ),
    )


def _lots() -> None:
    op.create_table(
        "stock_lots",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("item_id", ID, nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Double(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_stock_lots_quantity")),
        _fk("stock_lots", "item", "stock_items"),
        _clinic_fk("stock_lots"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_lots")),
        sa.UniqueConstraint("clinic_id", "id", name=op.f("uq_stock_lots_clinic_id_id")),
        sa.UniqueConstraint("item_id", "lot", name=op.f("uq_stock_lots_item_id_lot")),
    )
    op.create_index("ix_stock_lots_clinic_lot", "stock_lots", ["clinic_id", "lot"])


def _movements() -> None:
    op.create_table(
        "stock_movements",
        sa.Column("id", ID, nullable=False),
        sa.Column("clinic_id", ID, nullable=False),
        sa.Column("lot_id", ID, nullable=False),
        sa.Column("session_id", ID, nullable=True),
        sa.Column("change", sa.Double(), nullable=False),
        sa.Column("quantity_after", sa.Double(), nullable=False),
        sa.Column("reason", sa.String(length=10), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "reason IN ('received', 'session', 'count', 'discarded')",
            name=op.f("ck_stock_movements_reason"),
        ),
        _fk("stock_movements", "lot", "stock_lots"),
        _fk("stock_movements", "session", "session_records"),
        _clinic_fk("stock_movements"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movements")),
    )
    op.create_index("ix_stock_movements_lot", "stock_movements", ["lot_id"])


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
