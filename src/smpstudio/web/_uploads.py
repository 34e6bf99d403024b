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

import io
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

from smpstudio import photo
from smpstudio._errors import InputError
from smpstudio.colour import Region, SkinTone, mean_linear_rgb, skin_tone_from_linear
from smpstudio.web._load import checkpoint

__all__ = [
    "MAX_SIDE_PX",
    "SKIN_SIDE_PX",
    "Ingested",
    "UploadRejectedError",
    "ingest_photo",
    "skin_of",
]

MAX_SIDE_PX = 4000
"""Longest side of a stored clinical photo."""
SKIN_SIDE_PX = 512
"""Longest side at which a visitor's photo is read for its skin tone (a mean over its middle)."""


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


def skin_of(upload: Ingested) -> SkinTone:
    """Skin tone of the middle of a photo (its central fifth), averaged in linear light."""
    height, width = upload.pixels.shape[:2]
    region = Region(width * 2 // 5, height * 2 // 5, max(1, width // 5), max(1, height // 5))
    crop = upload.pixels[region.y : region.y + region.height, region.x : region.x + region.width]
    return skin_tone_from_linear(mean_linear_rgb(crop))
