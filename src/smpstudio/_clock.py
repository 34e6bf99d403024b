"""The studio's clock: the one place that reads the wall clock for dates and time stamps.

Everything that asks "what day is it?" (the clinic's today, a session not in the future, the
first free Monday, the date a plan was issued) asks a :class:`Clock`. The default runs with
the system; ``SMPSTUDIO_CLOCK`` starts it at a chosen instant instead (the test suite pins
it far from any month or year end so that no test depends on the day it runs)::

    SMPSTUDIO_CLOCK=2030-06-12T10:00:00+00:00             # reads that instant now, then runs
    SMPSTUDIO_CLOCK=2030-06-12T10:00:00+00:00@1796983200  # ... read it at that Unix time

With the ``@`` form every process given the same value reads the same time (a server and
the command line writing to one database agree); without it each process starts its own.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo

from smpstudio._errors import SettingError

__all__ = ["ENV_CLOCK", "Clock"]

ENV_CLOCK = "SMPSTUDIO_CLOCK"


class Clock:
    """The current time: the system's, or one shifted to start at a set instant.

    A shifted clock keeps running (durations stay real: idle sessions expire, rate limits
    refill), only its origin moves.

    >>> c = Clock.starting_at(datetime(2030, 6, 12, 10, tzinfo=UTC))
    >>> c.today(UTC)
    datetime.date(2030, 6, 12)
    """

    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self.offset = offset

    def __repr__(self) -> str:
        return "Clock()" if not self.offset else f"Clock(starting at {self.now():%Y-%m-%d %H:%M})"

    @classmethod
    def starting_at(cls, instant: datetime, *, since: float | None = None) -> Clock:
        """A clock that reads ``instant`` at Unix time ``since`` (default: now), then runs."""
        if instant.tzinfo is None:
            raise ValueError("the clock's start must carry a time zone")
        real = datetime.fromtimestamp(time.time() if since is None else since, UTC)
        return cls(instant - real)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Clock:
        """The system clock, or the one ``SMPSTUDIO_CLOCK`` describes (see the module)."""
        text = (os.environ if environ is None else environ).get(ENV_CLOCK, "").strip()
        if not text:
            return cls()
        instant, _, since = text.partition("@")
        try:
            start = datetime.fromisoformat(instant)
            anchor = float(since) if since else None
            return cls.starting_at(start, since=anchor)
        except ValueError:
            raise SettingError(
                f"{ENV_CLOCK}={text!r} must be an ISO instant with its offset, "
                "e.g. 2030-06-12T10:00:00+00:00 (optionally @unix-seconds)"
            ) from None

    def now(self) -> datetime:
        """The current instant, in UTC."""
        return datetime.now(UTC) + self.offset

    def today(self, tz: tzinfo | None = None) -> date:
        """Today's date in ``tz`` (default: the machine's local time zone)."""
        return self.now().astimezone(tz).date()
