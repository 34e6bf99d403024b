"""``smpstudio db``: create or migrate, back up, restore and check the clinic database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy.exc import DBAPIError

from smpstudio._errors import ClinicError
from smpstudio._settings import Settings
from smpstudio.cli._common import PathType, one_line
from smpstudio.cli._group import cli
from smpstudio.clinic import (
    ENV_DATA_DIR,
    ENV_DB,
    Database,
    backup_database,
    check_database,
    open_database,
    restore_database,
)

__all__: list[str] = []

_db_option = click.option(
    "--db",
    "db_url",
    metavar="URL|FILE",
    default=None,
    help=f"postgresql://user@host/dbname or a SQLite file. Default: ${ENV_DB}, else "
    f"clinic.sqlite3 in the data directory.",
)
_data_dir_option = click.option(
    "--data-dir",
    type=PathType(file_okay=False, path_type=Path),
    default=None,
    help=f"Folder of the photo store (and of the default SQLite file). Default: "
    f"${ENV_DATA_DIR}, else the user data directory.",
)


@contextmanager
def _database(
    db_url: str | None,
    data_dir: Path | None,
    *,
    create: bool,
    settings: Settings | None = None,
) -> Iterator[Database]:
    """Open the database; a server or file that cannot be used is a one-line error."""
    db = open_database(db_url, data_dir=data_dir, create=create, settings=settings)
    try:
        yield db
    except DBAPIError as exc:
        reason = one_line(str(exc.orig)).split(" (Background on")[0]
        raise ClinicError(f"database {db.config.display_url}: {reason[:300]}") from None
    finally:
        db.close()


@cli.group("db")
def db_group() -> None:
    """Manage the clinic database (SQLite by default, PostgreSQL with --db URL)."""


@db_group.command("upgrade")
@_db_option
@_data_dir_option
def upgrade_command(db_url: str | None, data_dir: Path | None) -> None:
    """Create the database, or migrate it to this version's schema (one transaction)."""
    with _database(db_url, data_dir, create=True) as db:
        before = db.revision()
        db.upgrade()
        after = db.revision()
        where = db.config.display_url
    if before == after:
        click.echo(f"{where}: schema at revision {after} (already up to date)")
    else:
        click.echo(f"{where}: schema {before or 'none'} → {after}")


@db_group.command("backup")
@click.argument("out", type=PathType(path_type=Path), metavar="OUT_DIR")
@_db_option
@_data_dir_option
def backup_command(out: Path, db_url: str | None, data_dir: Path | None) -> int:
    """Back up the live database and its photos into the new folder OUT_DIR.

    Writers may keep working: the database copy is one consistent snapshot (SQLite online
    backup API, or pg_dump), checked before the folder appears under its name.
    """
    with _database(db_url, data_dir, create=False) as db:
        result = backup_database(db, out)
    photos = len(result.manifest["photos"])
    click.echo(f"wrote {result.path} (database, {photos} photo(s), manifest.json)")
    for problem in result.problems:
        click.echo(f"warning: {problem}", err=True)
    return 1 if result.problems else 0


@db_group.command("restore")
@click.argument("backup", type=PathType(path_type=Path), metavar="BACKUP_DIR")
@click.option("--replace", is_flag=True, help="Overwrite a database that holds records.")
@_db_option
@_data_dir_option
def restore_command(backup: Path, replace: bool, db_url: str | None, data_dir: Path | None) -> int:
    """Restore BACKUP_DIR (made by 'smpstudio db backup') and check the result."""
    with _database(db_url, data_dir, create=True) as db:
        report = restore_database(db, backup, replace=replace)
    for line in report.lines():
        click.echo(line)
    return 0 if report.ok else 1


@db_group.command("check")
@_db_option
@_data_dir_option
def check_command(db_url: str | None, data_dir: Path | None) -> int:
    """Check integrity, the audit chains and every photo's SHA-256; report any gap.

    Exit status 0 when everything is intact, 1 when a problem is found.
    """
    with _database(db_url, data_dir, create=False) as db:
        report = check_database(db)
    for line in report.lines():
        click.echo(line)
    return 0 if report.ok else 1
