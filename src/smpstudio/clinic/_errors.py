"""Errors of the clinic records, all :class:`smpstudio.ClinicError` (an ``InputError``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from smpstudio._errors import ClinicError

__all__ = ["BookingConflictError", "PatchTestRequiredError", "RecordNotFoundError", "Slot"]


class RecordNotFoundError(ClinicError):
    """No such record in this clinic (records of other clinics do not exist for it)."""


@dataclass(frozen=True)
class Slot:
    """A free interval for a session: practitioner, room, start and end (aware, UTC)."""

    starts_at: datetime
    ends_at: datetime
    practitioner_id: int
    room_id: int
    timezone: str

    def __str__(self) -> str:
        zone = ZoneInfo(self.timezone)
        start, end = self.starts_at.astimezone(zone), self.ends_at.astimezone(zone)
        return f"{start:%a %Y-%m-%d %H:%M}–{end:%H:%M}"


class BookingConflictError(ClinicError):
    """A booking refused for a time conflict, with the reason and the next free slot.

    Attributes
    ----------
    reason : str
        Why the requested time is not possible.
    next_free : Slot or None
        The earliest slot after the requested start for the same practitioner, room, client
        and duration, or None when there is none within the search horizon.
    """

    def __init__(self, reason: str, next_free: Slot | None, horizon_days: int) -> None:
        self.reason = reason
        self.next_free = next_free
        if next_free is None:
            hint = f"no free slot in the next {horizon_days} days"
        else:
            hint = f"next free slot: {next_free}"
        super().__init__(f"{reason}; {hint}")


class PatchTestRequiredError(ClinicError):
    """A first session refused for want of a clean patch test; an override with a reason
    (``patch_test_override=...``) records it anyway, audited.

    Attributes
    ----------
    finding : str
        What is missing: no patch test, an untested batch, a reaction, too recent, unread.
    """

    def __init__(self, finding: str) -> None:
        self.finding = finding
        super().__init__(
            f"the first session needs a clean patch test: {finding}. Record a patch test and "
            "its reading, or override with the reason (it is audited)"
        )
