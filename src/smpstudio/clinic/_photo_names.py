"""A photo named as a person would name it in a message: its view, its kind and the day it
was taken (or uploaded), never its record id."""

from __future__ import annotations

import hashlib
from pathlib import Path
from zoneinfo import ZoneInfo

from smpstudio._errors import ClinicError
from smpstudio.clinic._models import Photo

__all__ = ["PHOTO_FILE_BACK", "photo_name", "read_photo_file"]


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


def read_photo_file(
    photo: Photo, photos_dir: Path, zone: ZoneInfo, *, consequence: str = "", then: str = ""
) -> bytes:
    """The bytes of ``photo``'s file, checked against its SHA-256; a missing or damaged file
    is a :class:`ClinicError` naming the photo, ``consequence`` (``", so nothing was
    exported"``), :data:`PHOTO_FILE_BACK` and ``then`` (``", then export again"``)."""
    try:
        data = (photos_dir / photo.path).read_bytes()
    except FileNotFoundError:
        what = "is missing from the photo store"
    else:
        if hashlib.sha256(data).hexdigest() == photo.sha256:
            return data
        what = "is damaged (its SHA-256 no longer matches)"
    raise ClinicError(f"{photo_name(photo, zone)} {what}{consequence}: {PHOTO_FILE_BACK}{then}")
