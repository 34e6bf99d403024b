"""Configuration, connection settings, migrations on both back ends, model/migration drift."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from smpstudio import ClinicError, InputError
from smpstudio.clinic import (
    SQLITE_PRAGMAS,
    ClinicConfig,
    Database,
    check_database,
    open_database,
)
from smpstudio.clinic._engine import sqlite_pragmas
from smpstudio.clinic._migrations import head_revision
from smpstudio.clinic._models import Base


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:pw@db.example:5433/smp", "postgresql+psycopg://u:pw@db.example:5433/smp"),
        ("postgres://u@h/smp", "postgresql+psycopg://u@h/smp"),
        ("postgresql+psycopg://u@h/smp", "postgresql+psycopg://u@h/smp"),
        ("sqlite:////srv/c.sqlite3", "sqlite:////srv/c.sqlite3"),
        ("/srv/c.sqlite3", "sqlite:////srv/c.sqlite3"),
    ],
)
def test_urls_are_normalised(given: str, expected: str) -> None:
    assert ClinicConfig.from_env(db=given, data_dir="/srv").database_url == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("sqlite://", "in-memory"),
        ("sqlite:///:memory:", "in-memory"),
        ("mysql://u@h/db", "unsupported database 'mysql'"),
        ("postgresql://u@h", "names no database"),
        ("   ", "empty"),
    ],
)
def test_unusable_urls_are_refused(given: str, message: str) -> None:
    with pytest.raises(ClinicError, match=message) as info:
        ClinicConfig.from_env(db=given, data_dir="/srv")
    assert "\n" not in str(info.value)
    assert isinstance(info.value, InputError)


def test_a_password_never_shows_in_messages() -> None:
    config = ClinicConfig.from_env(db="postgresql://u:secret@h/smp", data_dir="/srv")
    assert "secret" not in config.display_url


def test_defaults_come_from_the_environment_then_platformdirs(tmp_path: Path) -> None:
    env = {"SMPSTUDIO_DB": "postgresql://u@h/smp", "SMPSTUDIO_DATA_DIR": str(tmp_path)}
    config = ClinicConfig.from_env(environ=env)
    assert config.backend == "postgresql"
    assert config.photos_dir == tmp_path / "photos"
    default = ClinicConfig.from_env(environ={})
    assert default.backend == "sqlite"
    assert default.sqlite_path is not None
    assert default.sqlite_path.name == "clinic.sqlite3"
    assert "smpstudio" in str(default.data_dir)


def test_sqlite_settings_hold_on_every_pooled_connection(
    make_config: Callable[[str], ClinicConfig],
) -> None:
    with open_database(make_config("sqlite")) as db:
        seen: list[dict[str, object]] = []
        barrier = threading.Barrier(6)

        def grab() -> None:
            with db.engine.connect() as conn:
                barrier.wait(timeout=10)  # six distinct connections at once
                seen.append(sqlite_pragmas(conn.connection.dbapi_connection))

        threads = [threading.Thread(target=grab) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(seen) == 6
        for pragmas in seen:
            assert {k: str(v).lower() for k, v in pragmas.items()} == {
                k: str(v) for k, v in SQLITE_PRAGMAS.items()
            }
        assert SQLITE_PRAGMAS["busy_timeout"] >= 5000  # type: ignore[operator]
        assert SQLITE_PRAGMAS["synchronous"] == 2  # FULL


def test_postgres_sessions_commit_synchronously_in_utc(
    make_config: Callable[[str], ClinicConfig],
) -> None:
    with open_database(make_config("postgresql")) as db, db.engine.connect() as conn:
        assert conn.execute(text("SHOW synchronous_commit")).scalar() == "on"
        assert conn.execute(text("SHOW TimeZone")).scalar() == "UTC"


def test_a_missing_sqlite_file_is_not_created_on_request(tmp_path: Path) -> None:
    target = tmp_path / "nothing.sqlite3"
    with pytest.raises(ClinicError, match=r"no database at .*smpstudio db upgrade"):
        open_database(str(target), data_dir=tmp_path, create=False)
    assert not target.exists()


def test_records_need_the_current_schema(
    backend: str, make_config: Callable[[str], ClinicConfig]
) -> None:
    with open_database(make_config(backend)) as db:
        with pytest.raises(ClinicError, match=r"no schema.*smpstudio db upgrade"):
            db.create_clinic("A", timezone="UTC", actor="x")
        db.upgrade("0001")
        with pytest.raises(
            ClinicError, match=f"revision 0001, this smpstudio needs {head_revision()}"
        ):
            db.create_clinic("A", timezone="UTC", actor="x")
        db.upgrade()
        db.create_clinic("A", timezone="UTC", actor="x")


def test_upgrade_downgrade_upgrade_and_no_drift(
    backend: str, make_config: Callable[[str], ClinicConfig]
) -> None:
    with open_database(make_config(backend)) as db:
        db.upgrade()
        assert db.revision() == head_revision()
        _assert_no_drift(db)
        db.downgrade()
        assert db.revision() is None
        left = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert left == set()
        db.upgrade()
        _assert_no_drift(db)
        clinic = db.create_clinic("After the round trip", timezone="UTC", actor="x")
        assert db.clinic(clinic.id, actor="x").clinic_name == "After the round trip"
        assert db.verify_audit().ok


def _assert_no_drift(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        assert set(inspect(conn).get_table_names()) >= set(Base.metadata.tables)


def test_the_database_rules_exist(fresh_db: Database) -> None:
    with fresh_db.engine.connect() as conn:
        if fresh_db.backend == "sqlite":
            names = set(
                conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type='trigger'"
                ).scalars()
            )
            assert {
                "audit_log_no_update",
                "audit_log_no_delete",
                "bookings_room_overlap_insert",
            } <= names
        else:
            names = set(conn.execute(text("SELECT conname FROM pg_constraint")).scalars())
            assert "ex_bookings_room_overlap" in names
        indexes = {i["name"] for i in inspect(conn).get_indexes("bookings")}
        assert "ux_bookings_practitioner_day" in indexes


def test_clinic_names_and_time_zones_are_checked(shared_db: Database) -> None:
    with pytest.raises(ClinicError, match="unknown time zone 'Mars/Olympus'"):
        shared_db.create_clinic("Mars", timezone="Mars/Olympus", actor="x")
    with pytest.raises(ClinicError, match="actor is required"):
        shared_db.create_clinic("Nobody", timezone="UTC", actor=" ")
    clinic = shared_db.create_clinic("Unique name test", timezone="UTC", actor="x")
    with pytest.raises(ClinicError, match="exists already"):
        shared_db.create_clinic("Unique name test", timezone="UTC", actor="x")
    assert clinic.id in {c.id for c in shared_db.clinics()}


def test_a_database_from_a_newer_version_is_refused(
    backend: str, make_config: Callable[[str], ClinicConfig]
) -> None:
    with open_database(make_config(backend)) as db:
        db.upgrade()
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        with pytest.raises(ClinicError, match=r"Can't locate revision .*'9999'.*newer smpstudio"):
            db.upgrade()
        with pytest.raises(
            ClinicError, match=f"schema revision 9999, this smpstudio needs {head_revision()}"
        ):
            db.clinics()


PATCH_TABLES = {"patch_tests", "patch_test_readings", "patch_test_overrides", "dilution_overrides"}


def test_0003_adds_the_patch_test_tables_over_live_data_and_goes_back_cleanly(
    backend: str, make_config: Callable[[str], ClinicConfig]
) -> None:
    with open_database(make_config(backend)) as db:
        db.upgrade("0002")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO clinics (id, name, timezone, created_at) "
                    "VALUES (7, 'Before 0003', 'UTC', '2030-01-01 00:00:00')"
                )
            )
        db.upgrade()
        assert db.revision() == head_revision()
        assert set(inspect(db.engine).get_table_names()) >= PATCH_TABLES
        _assert_no_drift(db)
        report = check_database(db)
        assert not [p for p in report.problems if "append-only" in p], report.problems
        db.downgrade("0002")
        assert db.revision() == "0002"
        tables = set(inspect(db.engine).get_table_names())
        assert not PATCH_TABLES & tables
        assert {"session_records", "users"} <= tables
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT name FROM clinics WHERE id = 7")).scalar() == (
                "Before 0003"
            )
            if backend == "sqlite":
                left = conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'patch%'"
                ).all()
                assert left == []
        db.upgrade()
        _assert_no_drift(db)


NEW_TABLES = {
    "0004": {"messages", "message_opt_outs"},
    "0005": {"stock_items", "stock_lots", "stock_movements"},
    "0011": {"instance_secrets"},
}


def test_0006_adds_the_clinics_contact_details_and_goes_back_cleanly(
    backend: str, make_config: Callable[[str], ClinicConfig]
) -> None:
    with open_database(make_config(backend)) as db:
        db.upgrade("0005")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO clinics (id, name, timezone, created_at) "
                    "VALUES (9, 'Kept', 'UTC', '2030-01-01 00:00:00')"
                )
            )
        db.upgrade("0006")
        columns = {c["name"] for c in inspect(db.engine).get_columns("clinics")}
        assert {"address", "phone", "email", "opening_hours"} <= columns
        with db.engine.connect() as conn:  # the models are the head's: read the row as stored
            assert conn.execute(text("SELECT address FROM clinics WHERE id = 9")).scalar() == ""
        db.downgrade("0005")
        columns = {c["name"] for c in inspect(db.engine).get_columns("clinics")}
        assert "address" not in columns
        db.upgrade()
        _assert_no_drift(db)
        assert [c.name for c in db.clinics()] == ["Kept"]


def test_0010_adds_the_photo_view_and_goes_back_cleanly(
    backend: str, make_config: Callable[[str], ClinicConfig]
) -> None:
    with open_database(make_config(backend)) as db:
        db.upgrade("0010")
        assert "view" in {c["name"] for c in inspect(db.engine).get_columns("photos")}
        db.downgrade("-1")
        assert "view" not in {c["name"] for c in inspect(db.engine).get_columns("photos")}
        db.upgrade()
        _assert_no_drift(db)


@pytest.mark.parametrize("revision", sorted(NEW_TABLES))
def test_a_revision_adds_its_tables_over_live_data_and_goes_back_cleanly(
    backend: str, make_config: Callable[[str], ClinicConfig], revision: str
) -> None:
    before = f"{int(revision) - 1:04d}"
    tables = NEW_TABLES[revision]
    with open_database(make_config(backend)) as db:
        db.upgrade(before)
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO clinics (id, name, timezone, created_at) "
                    "VALUES (8, 'Before', 'UTC', '2030-01-01 00:00:00')"
                )
            )
        db.upgrade(revision)
        assert set(inspect(db.engine).get_table_names()) >= tables
        db.downgrade(before)
        assert not tables & set(inspect(db.engine).get_table_names())
        with db.engine.connect() as conn:
            name = conn.execute(text("SELECT name FROM clinics WHERE id = 8")).scalar()
            assert name == "Before"
        db.upgrade()
        _assert_no_drift(db)
        report = check_database(db)
        assert not [p for p in report.problems if "append-only" in p], report.problems


def test_0011_makes_one_record_id_key_per_database(
    backend: str, make_config: Callable[[str], ClinicConfig]
) -> None:
    with open_database(make_config(backend)) as db, open_database(make_config(backend)) as other:
        db.upgrade()
        other.upgrade()
        key = db.record_id_key()
        assert len(key) == 16
        assert db.record_id_key() == key  # read, not made again
        assert other.record_id_key() != key  # each deployment its own
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM instance_secrets"))
        made = db.record_id_key()  # a missing key is made again (new tokens)
        assert len(made) == 16
        assert made != key
        assert db.record_id_key() == made
        db.downgrade("0010")
        assert "instance_secrets" not in inspect(db.engine).get_table_names()
        db.upgrade()
        _assert_no_drift(db)
