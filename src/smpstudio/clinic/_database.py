"""Opening a clinic database: :class:`Database` is the store and the records of its clinics."""

from __future__ import annotations

import os

from smpstudio._clock import Clock
from smpstudio._errors import ClinicError
from smpstudio._settings import Settings
from smpstudio.clinic._config import ClinicConfig
from smpstudio.clinic._errors import RecordNotFoundError
from smpstudio.clinic._models import Clinic
from smpstudio.clinic._records import ClinicRecords
from smpstudio.clinic._store import Store, check_actor

__all__ = ["Database", "open_database"]


def open_database(
    db: str | ClinicConfig | None = None,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    settings: Settings | None = None,
    create: bool = True,
    clock: Clock | None = None,
) -> Database:
    """Open the clinic database; nothing is read or written until it is used.

    Parameters
    ----------
    db : str or ClinicConfig, optional
        A ``postgresql://`` URL, a SQLite file path, or a full configuration. Default:
        ``SMPSTUDIO_DB``, else ``clinic.sqlite3`` in the data directory.
    data_dir : path, optional
        The data directory (photo store). Default: ``SMPSTUDIO_DATA_DIR``, else the user
        data directory.
    settings : Settings, optional
        Session lengths and spacing used by scheduling. Default: ``Settings()``.
    create : bool
        Create a missing SQLite file (and its folder). With False, a missing file is an error.
    clock : Clock, optional
        Where "today" and every time stamp come from. Default: ``Clock.from_env()`` (the
        system clock unless ``SMPSTUDIO_CLOCK`` is set).
    """
    config = db if isinstance(db, ClinicConfig) else ClinicConfig.from_env(db=db, data_dir=data_dir)
    path = config.sqlite_path
    if path is not None and not path.exists():
        if not create:
            raise ClinicError(f"no database at {path}: run 'smpstudio db upgrade' to create it")
        path.parent.mkdir(parents=True, exist_ok=True)
    return Database(config, settings=settings, clock=clock)


class Database(Store):
    """A clinic database (SQLite or PostgreSQL) and its photo store.

    Use it as a context manager, or call :meth:`close`. Work on one clinic's records goes
    through :meth:`clinic`, which scopes every query to that clinic and audits every read
    and write of patient data. Connections, transactions, the schema and the clinics
    themselves are :class:`~smpstudio.clinic._store.Store`'s.
    """

    def clinic(self, clinic_id: int, *, actor: str) -> ClinicRecords:
        """The records of one clinic, seen and changed by ``actor`` (a user id or name)."""
        self.require_current_schema()
        actor = check_actor(actor)
        with self.transaction(readonly=True) as session:
            clinic = session.get(Clinic, clinic_id)
        if clinic is None:
            raise RecordNotFoundError(f"no clinic {clinic_id}")
        return ClinicRecords(self, clinic, actor)
