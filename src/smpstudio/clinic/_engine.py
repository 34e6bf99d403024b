"""One engine factory for both back ends, with the durability settings checked on connect.

SQLite: WAL, ``synchronous=FULL`` (a commit survives power loss, not only a crash),
foreign keys on, a busy timeout; every transaction starts with ``BEGIN IMMEDIATE`` so that
one writer at a time holds the lock from its first read (no lost updates, no upgrade
deadlocks). PostgreSQL: UTC sessions with ``synchronous_commit=on``; connections are
pre-pinged so the application survives a server restart.

:func:`database_unavailable` tells a database that cannot be reached or is too busy just now
(PostgreSQL restarting, the network gone, SQLite locked past the busy timeout, no pooled
connection free) from a statement that is wrong: the web studio answers the first with 503.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
from sqlalchemy import Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection
from sqlalchemy.pool import ConnectionPoolEntry

from smpstudio._errors import ClinicError
from smpstudio.clinic._config import ClinicConfig

__all__ = [
    "READONLY",
    "SQLITE_BUSY_TIMEOUT_MS",
    "SQLITE_PRAGMAS",
    "create_clinic_engine",
    "database_unavailable",
]

SQLITE_BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite writer waits for the lock before giving up (≥ 5000 ms)."""

SQLITE_PRAGMAS: dict[str, object] = {
    "journal_mode": "wal",
    "synchronous": 2,  # FULL
    "foreign_keys": 1,
    "busy_timeout": SQLITE_BUSY_TIMEOUT_MS,
}
"""The value every SQLite connection must report for each pragma."""

READONLY = "smpstudio_readonly"
"""Execution option: start SQLite transactions with a plain (deferred) ``BEGIN``."""


def create_clinic_engine(config: ClinicConfig) -> Engine:
    """Engine for ``config.database_url`` with the connection checks installed."""
    if config.backend == "sqlite":
        engine = create_engine(config.database_url, pool_size=8, max_overflow=8)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "before_cursor_execute", _refuse_nul)
        return engine
    engine = create_engine(
        config.database_url,
        pool_pre_ping=True,
        connect_args={
            "options": "-c TimeZone=UTC -c synchronous_commit=on",
            "application_name": "smpstudio",
            "connect_timeout": 10,
        },
    )
    event.listen(engine, "connect", _postgres_connect)
    event.listen(engine, "before_cursor_execute", _refuse_nul)
    return engine


def _refuse_nul(
    _conn: Connection,
    _cursor: Any,
    _statement: str,
    parameters: Any,
    _context: Any,
    _executemany: bool,
) -> None:
    """Refuse text holding a NUL character before it reaches the database.

    PostgreSQL cannot store one (the driver fails mid-transaction) and SQLite would store
    what the other back end refuses; both now give the same clear error, whatever the field.
    """
    if _holds_nul(parameters):
        raise ClinicError("text contains a NUL character (0x00): remove it and try again")


def _holds_nul(value: object) -> bool:
    """True when a statement's parameters (one row or many, by name or position) hold NUL."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_nul(v) for v in value)
    return False


def sqlite_pragmas(dbapi_connection: Any) -> dict[str, object]:
    """The durability pragmas as one SQLite DB-API connection reports them."""
    cursor = dbapi_connection.cursor()
    try:
        return {name: cursor.execute(f"PRAGMA {name}").fetchone()[0] for name in SQLITE_PRAGMAS}
    finally:
        cursor.close()


def _sqlite_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _sqlite_begin)
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()
    actual = sqlite_pragmas(dbapi_connection)
    wrong = {k: v for k, v in actual.items() if str(v).lower() != str(SQLITE_PRAGMAS[k])}
    if wrong:
        dbapi_connection.close()
        raise ClinicError(f"SQLite refused the durability settings {wrong}: is the file writable?")


def _sqlite_begin(connection: Connection) -> None:
    readonly = connection.get_execution_options().get(READONLY, False)
    connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def _postgres_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SHOW synchronous_commit")
        sync = cursor.fetchone()[0]
        cursor.execute("SHOW TimeZone")
        zone = cursor.fetchone()[0]
    finally:
        cursor.close()
        dbapi_connection.rollback()
    if sync != "on" or zone != "UTC":
        raise ClinicError(f"PostgreSQL session has synchronous_commit={sync}, TimeZone={zone}")


_SQLITE_UNAVAILABLE = (
    "database is locked",
    "database table is locked",
    "database is busy",
    "disk i/o error",
    "unable to open database file",
)


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means "the database cannot serve this now, try again" rather than a
    fault of the statement: a lost or refused connection, PostgreSQL shutting down or
    restarting (any psycopg ``OperationalError`` or ``InterfaceError``: connection failures,
    admin shutdown, serialization and lock failures), SQLite still locked after the busy
    timeout or its file unreadable, or no pooled connection free in time.
    """
    if isinstance(exc, sa_exc.TimeoutError):  # the pool had no connection to give
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    if isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError):
        return True
    if isinstance(orig, sqlite3.OperationalError):
        message = str(orig).lower()
        return any(text in message for text in _SQLITE_UNAVAILABLE)
    return False
