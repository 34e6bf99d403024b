"""Files of the photo store: the image type from its first bytes, durable atomic writes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from smpstudio._errors import ClinicError

__all__ = ["media_type", "write_durably"]


def media_type(data: bytes) -> str:
    """The image type from the file's first bytes: JPEG, PNG or WebP.

    >>> media_type(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8))
    'image/png'
    """
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    raise ClinicError("a photo must be a JPEG, PNG or WebP image")


def write_durably(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically and flush it (and the folder) to disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
