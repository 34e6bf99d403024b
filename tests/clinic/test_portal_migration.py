"""Migration 0008 (the client portal) on SQLite and PostgreSQL: it adds its tables and the
outbox's attachment over live data, goes back cleanly, and the schema matches the models."""

from __future__ import annotations

from collections.abc import Callable

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from smpstudio.clinic import ClinicConfig, check_database, open_database
from smpstudio.clinic._models import Base

TABLES = {"portal_links", "portal_sessions", "consent_documents"}


def test_0008_adds_the_portal_over_live_data_and_goes_back_cleanly(
    backend: str, make_config: Callable[[str], ClinicConfig]
) -> None:
    with open_database(make_config(backend)) as db:
        db.upgrade("0007")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO clinics (id, name, timezone, created_at) "
                    "VALUES (8, 'Before the portal', 'UTC', '2030-01-01 00:00:00')"
                )
            )
        db.upgrade("0008")
        assert db.revision() == "0008"
        names = set(inspect(db.engine).get_table_names())
        assert names >= TABLES
        columns = {c["name"] for c in inspect(db.engine).get_columns("messages")}
        assert {"attachment_name", "attachment"} <= columns
        db.downgrade("0007")
        assert db.revision() == "0007"
        assert not TABLES & set(inspect(db.engine).get_table_names())
        columns = {c["name"] for c in inspect(db.engine).get_columns("messages")}
        assert not {"attachment_name", "attachment"} & columns
        with db.engine.connect() as conn:
            name = conn.execute(text("SELECT name FROM clinics WHERE id = 8")).scalar()
        assert name == "Before the portal"
        db.upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        report = check_database(db)
        assert not [p for p in report.problems if "append-only" in p], report.problems
        assert [c.name for c in db.clinics()] == ["Before the portal"]
