"""Photos: files under the data directory, their SHA-256 and metadata in the database.

A photo is written to a temporary file, flushed to disk and renamed into place before its
row is committed; if the commit fails the file is removed. A crash in between can leave a
file without a row, which ``smpstudio db check`` reports as an orphan (never a row
without its file). Reading a photo verifies its hash.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from smpstudio._errors import ClinicError
from smpstudio.clinic import _rules
from smpstudio.clinic._audit import AuditEvent
from smpstudio.clinic._files import media_type, write_durably
from smpstudio.clinic._models import Consultation, Patient, Photo, SessionRecord
from smpstudio.clinic._photo_names import read_photo_file
from smpstudio.clinic._scope import Scope
from smpstudio.clinic._validate import check_aware, check_choice

__all__ = ["PHOTO_KINDS", "PHOTO_MAX_BYTES", "PHOTO_VIEWS", "PhotoService"]

PHOTO_MAX_BYTES = 25 * 1024 * 1024
"""Largest photo file stored (25 MiB)."""

PHOTO_KINDS = ("consultation", "before", "after", "session", "follow-up")

PHOTO_VIEWS = ("front", "three-quarter", "left", "right", "top", "back")
"""Which view of the head a photo shows: the virtual head's views, so a client's photos of
one view are compared with each other and with the simulation."""

_SUFFIX = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}


class PhotoService(Scope):
    """Clinical photos, stored only with the client's photo consent."""

    def add_photo(
        self,
        patient_id: int,
        data: bytes,
        *,
        kind: str,
        view: str | None = None,
        taken_at: datetime | None = None,
        session_id: int | None = None,
        consultation_id: int | None = None,
    ) -> Photo:
        """Store a photo (JPEG, PNG or WebP, at most 25 MiB); needs current photo consent.
        ``view`` is one of :data:`PHOTO_VIEWS` or None (not said; it can be set later)."""
        photos_dir = self._db.config.photos_dir
        relative = f"{self.clinic_id}/{uuid.uuid4().hex}"
        written: Path | None = None
        try:
            with self._unit("create", "photo", patient_id=patient_id) as s:
                self._get(s, Patient, patient_id, "patient")
                check_choice(kind, "photo kind", PHOTO_KINDS)
                if view is not None:
                    check_choice(view, "photo view", PHOTO_VIEWS)
                if taken_at is not None:
                    check_aware(taken_at, "taken_at")
                if session_id is not None:
                    self._get_owned(s, SessionRecord, session_id, patient_id, "session")
                if consultation_id is not None:
                    self._get_owned(s, Consultation, consultation_id, patient_id, "consultation")
                _rules.require_consent(s, self.clinic_id, patient_id, "photo")
                kind_of_image = self._check_photo_bytes(data)
                relative += _SUFFIX[kind_of_image]
                row = Photo(
                    clinic_id=self.clinic_id,
                    patient_id=patient_id,
                    session_id=session_id,
                    consultation_id=consultation_id,
                    kind=kind,
                    view=view,
                    media_type=kind_of_image,
                    size_bytes=len(data),
                    sha256=hashlib.sha256(data).hexdigest(),
                    path=relative,
                    taken_at=taken_at,
                    created_at=self._now(),
                    created_by=self.actor,
                )
                written = photos_dir / relative
                write_durably(written, data)
                s.add(row)
                s.flush()
                self._log(s, AuditEvent("create", "photo", row.id, patient_id, detail=row.sha256))
            written = None
            return row
        finally:
            if written is not None:
                written.unlink(missing_ok=True)

    @staticmethod
    def _check_photo_bytes(data: bytes) -> str:
        if not isinstance(data, bytes):
            raise ClinicError("a photo is given as bytes")
        if len(data) > PHOTO_MAX_BYTES:
            raise ClinicError(
                f"the photo is {len(data):,} bytes; at most {PHOTO_MAX_BYTES:,} (25 MiB) allowed"
            )
        return media_type(data)

    def photos(self, patient_id: int) -> list[Photo]:
        """A client's photos (metadata), oldest first (an audited read)."""
        with self._unit("read", "photo", patient_id=patient_id) as s:
            self._get(s, Patient, patient_id, "patient")
            rows = list(
                s.scalars(
                    select(Photo)
                    .where(Photo.clinic_id == self.clinic_id, Photo.patient_id == patient_id)
                    .order_by(Photo.id)
                )
            )
            self._log(s, AuditEvent("read", "photo", None, patient_id, detail="list"))
            return rows

    def set_photo_view(self, photo_id: int, view: str | None) -> Photo:
        """Say which view of the head a stored photo shows (None: not said); audited."""
        with self._unit("update", "photo") as s:
            if view is not None:
                check_choice(view, "photo view", PHOTO_VIEWS)
            row = self._get(s, Photo, photo_id, "photo")
            before = row.view
            row.view = view
            detail = f"view {before or 'not said'} -> {view or 'not said'}"
            self._log(s, AuditEvent("update", "photo", row.id, row.patient_id, detail=detail))
            return row

    def photo_bytes(self, photo_id: int) -> bytes:
        """The bytes of a photo, checked against its SHA-256 (an audited read)."""
        with self._unit("read", "photo") as s:
            row = self._get(s, Photo, photo_id, "photo")
            data = read_photo_file(row, self._db.config.photos_dir, self.timezone)
            self._log(s, AuditEvent("read", "photo", row.id, row.patient_id))
            return data
