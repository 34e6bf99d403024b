"""The one way an uploaded image enters the studio: :func:`ingest_photo`.

Every upload — a clinical photo, or a visitor's photo for "preview your look" — goes
through :func:`smpstudio.photo.ingest_photo` (format allowlist by content, size and pixel
limits checked before decoding, orientation applied, colour converted to sRGB, the image
rebuilt from its pixels so that no EXIF, GPS, XMP, ICC, comment or trailing data survives;
see ``docs/photo.md``), then is encoded here as a new JPEG from those pixels alone, at most
``MAX_SIDE_PX`` on its long side. The file name is never used: stored photos get a
server-made name.

An upload is decoded at about the size it is used at (``side``: JPEG scaled while decoding,
PNG and WebP shrunk by libvips while decoding, HEIC box-averaged once decoded), so a 50 MP
photo costs a fraction of its full decode; the public site, which reads a photo for its
skin tone only, decodes it at ``SKIN_SIDE_PX``.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

from smpstudio import photo
from smpstudio._errors import InputError
from smpstudio.colour import SkinTone
from smpstudio.web._load import checkpoint, uncharged

__all__ = [
    "MAX_SIDE_PX",
    "SKIN_SIDE_PX",
    "Ingested",
    "SkinReading",
    "UploadRejectedError",
    "ingest_photo",
    "jpeg_data_uri",
    "read_photo",
    "read_skin",
]

MAX_SIDE_PX = 4000
"""Longest side of a stored clinical photo."""
SKIN_SIDE_PX = 1024
"""Longest side at which a visitor's photo is read for its skin tone (the photo analysis
works at 1024 px)."""


class UploadRejectedError(InputError):
    """An upload that is not a usable photo (the message says why).

    ``status`` is the HTTP answer: 415 when the bytes are not an accepted image format
    (whatever the file is called), 422 for an accepted format that cannot be used (too
    large, truncated, no pixels).
    """

    def __init__(self, message: str, *, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Ingested:
    """A cleaned photo: new JPEG bytes and its sRGB pixels."""

    jpeg: bytes
    pixels: npt.NDArray[np.uint8]


def ingest_photo(data: bytes, *, side: int = MAX_SIDE_PX) -> Ingested:
    """Check and clean an uploaded photo, at most ``side`` pixels on its long side (see the
    module documentation)."""
    if not data:
        raise UploadRejectedError("the file is empty: choose a photo")
    try:
        photo.sniff_format(data[:64], label="the photo")
    except InputError as exc:
        raise UploadRejectedError(str(exc), status=415) from None
    try:
        clean = photo.ingest_photo(data, name="the photo", decode_side=side)
    except InputError as exc:
        raise UploadRejectedError(str(exc)) from None
    checkpoint()
    image = Image.fromarray(np.ascontiguousarray(clean.pixels), "RGB")
    if max(image.size) > side:
        image.thumbnail((side, side), Image.Resampling.LANCZOS)
    pixels = np.asarray(image, dtype=np.uint8)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return Ingested(buffer.getvalue(), pixels)


@dataclass(frozen=True)
class SkinReading:
    """A skin tone read off a photo, or why none was, in words for the person who sent it."""

    tone: SkinTone | None
    measured_on: str | None
    notes: tuple[str, ...]


_NO_FACE_NOTE = (
    "No face was found on the photo, so your skin tone was not read: send a photo facing "
    "the camera in even light, or pick your tone."
)


def read_skin(upload: Ingested) -> SkinReading:
    """The skin tone of an uploaded photo by the one photo analysis the studio and the CLI
    use (:func:`smpstudio.photo.analyze_photo`): forehead and cheeks found by the face mesh,
    away from highlights and shadows, corrected for the light; none, with the reason, for a
    greyscale or strongly tinted photo, a drawing or a photo without a face."""
    return read_photo(upload)[0]


def read_photo(
    upload: Ingested, *, treatment: photo.PhotoTreatment | None = None
) -> tuple[SkinReading, photo.PhotoAnalysis | None]:
    """:func:`read_skin`, with the analysis itself (None without a face), for a design's
    ``treatment`` (its hairline placed on the photo)."""
    with uncharged():
        photo.load_models()
    try:
        analysis = photo.analyze_photo(photo.Photo.from_array(upload.pixels), treatment=treatment)
    except InputError as exc:
        drawn = "looks drawn" in str(exc)
        return SkinReading(None, None, (_sentence(str(exc)) if drawn else _NO_FACE_NOTE,)), None
    notes = [_sentence(n) for n in (analysis.lighting.notes if analysis.lighting else ())]
    marks = analysis.landmarks
    if marks is not None and marks.faces_found > 1:
        notes.insert(0, f"{marks.faces_found} faces on the photo: the largest was read.")
    if marks is None:
        return SkinReading(None, None, (_NO_FACE_NOTE,)), None
    return SkinReading(analysis.skin, analysis.skin_measured_on, tuple(notes)), analysis


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def jpeg_data_uri(
    pixels: npt.NDArray[np.uint8], *, side: int, quality: int
) -> tuple[str, int, int]:
    """8-bit RGB pixels shrunk to at most ``side`` on their long side, as a JPEG ``data:``
    URI for a page, with the image's width and height."""
    image = Image.fromarray(np.ascontiguousarray(pixels), "RGB")
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    uri = "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return uri, image.width, image.height
