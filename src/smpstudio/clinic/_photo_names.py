"""A photo named as a person would name it in a message: its view, its kind and the day it
was taken (or uploaded), never its record id."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from smpstudio.clinic._models import Photo

__all__ = ["PHOTO_FILE_BACK", "photo_name"]


def photo_name(photo: Photo, zone: ZoneInfo) -> str:
    """``the front-view session photo taken on 2026-11-03``, or ``the before photo uploaded
    on 2026-11-03`` when no view or time taken was given (days in the clinic's ``zone``)."""
    view = f"{photo.view}-view " if photo.view else ""
    if photo.taken_at is not None:
        when = f"taken on {photo.taken_at.astimezone(zone).date().isoformat()}"
    else:
        when = f"uploaded on {photo.created_at.astimezone(zone).date().isoformat()}"
    return f"the {view}{photo.kind} photo {when}"


PHOTO_FILE_BACK = (
    "ask whoever runs the studio to put its file back from the latest backup ('smpstudio db "
    "check' names the file; a backup keeps it under photos/)"
)
"""What to do about a photo whose file is missing or damaged."""
