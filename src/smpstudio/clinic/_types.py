"""Column types shared by the models: ids and UTC timestamps that round-trip exactly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Integer
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = ["IdType", "UtcDateTime"]

IdType: TypeEngine[int] = BigInteger().with_variant(Integer(), "sqlite")
"""64-bit ids; on SQLite an ``INTEGER PRIMARY KEY`` (the rowid) so ids autoincrement."""


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as naive UTC with microseconds, returned aware in UTC.

    Both back ends keep microseconds, so a value read back is equal to the value written
    (the audit chain hashes timestamps and relies on it).
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # pragma: no cover - SQLite returns datetime via the type
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)
