"""Where the clinic database and the photo store live.

One setting each, read from the environment unless given: ``SMPSTUDIO_DB`` (a database URL
or a SQLite file path) and ``SMPSTUDIO_DATA_DIR`` (the folder holding the default SQLite file
and the photo store). Without either, both live in the user data directory (platformdirs).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import platformdirs
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from smpstudio._errors import ClinicError

__all__ = ["ENV_DATA_DIR", "ENV_DB", "Backend", "ClinicConfig", "normalise_url"]

ENV_DB = "SMPSTUDIO_DB"
"""Environment variable naming the database: a URL or a SQLite file path."""

ENV_DATA_DIR = "SMPSTUDIO_DATA_DIR"
"""Environment variable naming the data directory (default SQLite file, photo store)."""

Backend = Literal["sqlite", "postgresql"]

_SQLITE_FILE = "clinic.sqlite3"
_POSTGRES_NAMES = {"postgresql", "postgres", "postgresql+psycopg"}
_SQLITE_NAMES = {"sqlite", "sqlite+pysqlite"}


def normalise_url(text: str) -> str:
    """Return the SQLAlchemy URL for a database URL or a SQLite file path.

    A path without ``://`` is a SQLite file; ``postgresql://`` and ``postgres://`` URLs use
    the psycopg 3 driver. In-memory SQLite is refused: it cannot keep anything.

    >>> normalise_url("postgresql://root@127.0.0.1:5432/clinic")
    'postgresql+psycopg://root@127.0.0.1:5432/clinic'
    >>> normalise_url("/srv/smp/clinic.sqlite3")
    'sqlite:////srv/smp/clinic.sqlite3'
    """
    text = text.strip()
    if not text:
        raise ClinicError("the database URL is empty: give a SQLite file path or a URL")
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    try:
        url = make_url(text)
    except ArgumentError:
        raise ClinicError(f"database URL {_hide(text)!r} is malformed") from None
    if url.drivername in _POSTGRES_NAMES:
        if not url.database:
            raise ClinicError("the PostgreSQL URL names no database: add /DBNAME at its end")
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if url.drivername in _SQLITE_NAMES:
        if not url.database or url.database == ":memory:" or url.database.startswith("file::"):
            raise ClinicError("an in-memory SQLite database keeps nothing: give a file path")
        path = Path(url.database).expanduser().resolve()
        return f"sqlite:///{path}"
    raise ClinicError(
        f"unsupported database {url.drivername!r}: use a SQLite file path or a postgresql:// URL"
    )


def _hide(text: str) -> str:
    try:
        return make_url(text).render_as_string(hide_password=True)
    except ArgumentError:
        return text.split("@")[-1]


@dataclass(frozen=True)
class ClinicConfig:
    """The database URL and the data directory of one installation.

    Parameters
    ----------
    database_url : str
        SQLAlchemy URL, as returned by :func:`normalise_url`.
    data_dir : Path
        Folder of the photo store (``photos/``) and of the default SQLite file.
    """

    database_url: str
    data_dir: Path

    @classmethod
    def from_env(
        cls,
        *,
        db: str | None = None,
        data_dir: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> ClinicConfig:
        """Configuration from explicit values, else the environment, else platformdirs.

        >>> cfg = ClinicConfig.from_env(environ={"SMPSTUDIO_DATA_DIR": "/srv/smp"})
        >>> cfg.database_url, cfg.photos_dir.as_posix()
        ('sqlite:////srv/smp/clinic.sqlite3', '/srv/smp/photos')
        """
        env = os.environ if environ is None else environ
        raw_dir = data_dir or env.get(ENV_DATA_DIR) or platformdirs.user_data_path("smpstudio")
        directory = Path(raw_dir).expanduser().resolve()
        url = db or env.get(ENV_DB) or str(directory / _SQLITE_FILE)
        return cls(database_url=normalise_url(url), data_dir=directory)

    @property
    def backend(self) -> Backend:
        """``"sqlite"`` or ``"postgresql"``."""
        return "sqlite" if self.database_url.startswith("sqlite") else "postgresql"

    @property
    def photos_dir(self) -> Path:
        """Where photo files are stored (their SHA-256 is in the database)."""
        return self.data_dir / "photos"

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite database file, or None for PostgreSQL."""
        if self.backend != "sqlite":
            return None
        database = make_url(self.database_url).database
        return None if database is None else Path(database)

    @property
    def display_url(self) -> str:
        """The URL with any password hidden, for messages."""
        return self.url.render_as_string(hide_password=True)

    @property
    def url(self) -> URL:
        """The parsed SQLAlchemy URL."""
        return make_url(self.database_url)
