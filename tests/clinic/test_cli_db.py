"""``smpstudio db upgrade|backup|restore|check``: outputs, one-line errors (exit 2), exit 1
when a check finds a problem, and nothing half-written."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from smpstudio.cli import main
from smpstudio.clinic import ClinicConfig, open_database
from smpstudio.clinic._migrations import head_revision

from .conftest import make_world

JPEG = b"\xff\xd8\xff\xe0" + bytes(100)


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def _where(config: ClinicConfig) -> list[str]:
    return ["--db", config.database_url, "--data-dir", str(config.data_dir)]


def test_upgrade_backup_restore_check(
    backend: str,
    make_config: Callable[[str], ClinicConfig],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = make_config(backend)
    code, out, err = _run(["db", "upgrade", *_where(source)], capsys)
    assert (code, err) == (0, "")
    assert f"schema none → {head_revision()}" in out
    assert "already up to date" in _run(["db", "upgrade", *_where(source)], capsys)[1]
    with open_database(source) as db:
        w = make_world(db, "CLI clinic")
        w.records.add_photo(w.patient.id, JPEG, kind="before")
        key = db.record_id_key()
    code, out, _ = _run(["db", "check", *_where(source)], capsys)
    assert code == 0
    assert "audit " in out
    assert "photos     1 checked" in out
    assert out.rstrip().endswith("check: ok")

    code, out, _ = _run(["db", "backup", str(tmp_path / "bk"), *_where(source)], capsys)
    assert code == 0
    assert "1 photo(s)" in out
    assert (tmp_path / "bk" / "manifest.json").is_file()

    target = make_config(backend)
    code, out, _ = _run(["db", "restore", str(tmp_path / "bk"), *_where(target)], capsys)
    assert code == 0, out
    assert out.rstrip().endswith("check: ok")
    with open_database(target) as restored:  # the URLs' record tokens survive a restore
        assert restored.record_id_key() == key
    code, _, err = _run(["db", "restore", str(tmp_path / "bk"), *_where(target)], capsys)
    assert code == 2
    assert "--replace" in err
    assert (
        _run(["db", "restore", str(tmp_path / "bk"), "--replace", *_where(target)], capsys)[0] == 0
    )


def test_check_reports_a_broken_chain_and_exits_1(
    backend: str, make_config: Callable[[str], ClinicConfig], capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(backend)
    with open_database(config) as db:
        db.upgrade()
        w = make_world(db)
        with db.engine.begin() as conn:
            if backend == "sqlite":
                conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            else:
                conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
            conn.execute(
                text("UPDATE audit_log SET detail = 'x' WHERE chain = :c AND seq = 3"),
                {"c": w.records.clinic_id},
            )
    code, out, _ = _run(["db", "check", *_where(config)], capsys)
    assert code == 1
    assert f"problem: audit chain {w.records.clinic_id}, entry seq 3" in out
    assert "content does not match its hash (edited)" in out
    assert "append-only trigger" in out
    assert out.rstrip().endswith("problem(s)")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["db", "check", "--db", "{tmp}/missing.sqlite3"], "no database at"),
        (["db", "backup", "{tmp}/out", "--db", "{tmp}/missing.sqlite3"], "no database at"),
        (["db", "check", "--db", "mysql://u@h/db"], "unsupported database 'mysql'"),
        (["db", "check", "--db", "sqlite://"], "in-memory"),
        (
            ["db", "check", "--db", "postgresql://root@127.0.0.1:1/nothing"],
            "database postgresql+psycopg://root@127.0.0.1:1/nothing",
        ),
        (
            ["db", "restore", "{tmp}/nowhere", "--db", "{tmp}/new.sqlite3"],
            "is not a smpstudio backup",
        ),
        (["db", "frobnicate"], "No such command 'frobnicate'"),
    ],
)
def test_errors_are_one_line_exit_2_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    before = sorted(tmp_path.rglob("*"))
    code, _, err = _run(
        [*args, "--data-dir", str(tmp_path / "data")] if args[1] != "frobnicate" else args, capsys
    )
    assert code == 2
    assert err.startswith("error: ")
    assert err.count("\n") == 1
    assert message in err
    assert sorted(tmp_path.rglob("*")) == before


def test_backup_refuses_an_existing_folder(
    make_config: Callable[[str], ClinicConfig], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config("sqlite")
    assert _run(["db", "upgrade", *_where(config)], capsys)[0] == 0
    (tmp_path / "exists").mkdir()
    code, _, err = _run(["db", "backup", str(tmp_path / "exists"), *_where(config)], capsys)
    assert code == 2
    assert "exists already: back up into a new folder" in err
    assert list((tmp_path / "exists").iterdir()) == []


def test_a_real_process_prints_no_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "smpstudio", "db", "check", "--db", str(tmp_path / "none.sqlite3")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: no database at")
    assert "Traceback" not in proc.stderr
