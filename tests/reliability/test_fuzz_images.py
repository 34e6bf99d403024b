"""Fuzz: photos into the ingest (issue 9, item 1).

Real JPEG, PNG, WebP and HEIC files are damaged byte by byte (flips, truncation, splices of
another format's header, width and height rewritten in the header, payloads appended to make
polyglots) and given to :func:`smpstudio.photo.ingest_photo`. The answer is a photo rebuilt
from its pixels within the size limits, or a :class:`~smpstudio.PhotoError` with a one-line
message; each case within a time bound and without a large allocation (tracemalloc).
The atheris harness in fuzz/ (``make fuzz``) runs the same check coverage-guided.
"""

from __future__ import annotations

import struct
import time
import tracemalloc
import zlib
from functools import cache
from io import BytesIO

import numpy as np
import pillow_heif
from hypothesis import example, given
from hypothesis import strategies as st
from PIL import Image

from smpstudio import PhotoError
from smpstudio.photo import MAX_PIXELS, Photo, ingest_photo

from ._fuzz import assert_one_line, attempt, budget

SECONDS = 10.0
MAX_TRACED_BYTES = 300 * 1024 * 1024  # the largest allowed photo decodes in about 150 MB
LIMITS = {"max_pixels": 4_000_000, "max_side": 4000}  # keep each decode small in the fuzz


@cache
def originals() -> dict[str, bytes]:
    rng = np.random.default_rng(9)
    pixels = (rng.random((48, 64, 3)) * 255).astype(np.uint8)
    out: dict[str, bytes] = {}
    for fmt, params in (
        ("JPEG", {"quality": 80}),
        ("PNG", {}),
        ("WEBP", {"quality": 80}),
    ):
        buffer = BytesIO()
        Image.fromarray(pixels).save(buffer, fmt, **params)
        out[fmt] = buffer.getvalue()
    buffer = BytesIO()
    Image.fromarray(pixels).convert("RGBA").save(buffer, "PNG")
    out["PNG-RGBA"] = buffer.getvalue()
    heif = pillow_heif.from_pillow(Image.fromarray(pixels))
    buffer = BytesIO()
    heif.save(buffer, quality=60)
    out["HEIF"] = buffer.getvalue()
    return out


FOREIGN_HEADERS = [
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    b"\x89PNG\r\n\x1a\n",
    b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00",
    b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00",
    b"GIF89a",
    b"II*\x00",
    b"%PDF-1.7\n",
    b"<svg ",
    b"PK\x03\x04",
]


def _png_with_size(data: bytes, width: int, height: int) -> bytes:
    """The PNG with its IHDR width and height rewritten (CRC fixed, so only the size lies)."""
    ihdr = bytearray(data[16:29])
    ihdr[0:8] = struct.pack(">II", width, height)
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + bytes(ihdr)) & 0xFFFFFFFF)
    return data[:16] + bytes(ihdr) + crc + data[33:]


def _jpeg_with_size(data: bytes, width: int, height: int) -> bytes:
    """The JPEG with the size in its first SOF marker rewritten."""
    at = next(
        (i for i in range(2, len(data) - 9) if data[i] == 0xFF and data[i + 1] in (0xC0, 0xC2)),
        None,
    )
    if at is None:
        return data
    return data[: at + 5] + struct.pack(">HH", height, width) + data[at + 9 :]


@st.composite
def damaged(draw: st.DrawFn) -> tuple[str, bytes]:
    fmt = draw(st.sampled_from(sorted(originals())))
    data = bytearray(originals()[fmt])
    for _ in range(draw(st.integers(1, 3))):
        action = draw(
            st.sampled_from(["flip", "truncate", "splice", "size", "append", "insert", "zero"])
        )
        if action == "flip" and data:
            i = draw(st.integers(0, len(data) - 1))
            data[i] ^= draw(st.integers(1, 255))
        elif action == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
        elif action == "splice":
            header = draw(st.sampled_from(FOREIGN_HEADERS))
            at = draw(st.sampled_from([0, 0, 12, 64, len(data) // 2]))
            data[at : at + len(header)] = header
        elif action == "size":
            w = draw(st.sampled_from([0, 1, 65535, 50_000, 2**31 - 1, 12_001, 3]))
            h = draw(st.sampled_from([0, 1, 65535, 50_000, 2**31 - 1, 4000, 3]))
            if bytes(data[:8]) == b"\x89PNG\r\n\x1a\n" and len(data) > 33:
                data = bytearray(_png_with_size(bytes(data), w, h))
            elif bytes(data[:2]) == b"\xff\xd8":
                data = bytearray(_jpeg_with_size(bytes(data), min(w, 65535), min(h, 65535)))
        elif action == "append":
            data += draw(
                st.sampled_from(
                    [b"<script>alert(1)</script>", b"PK\x03\x04" + bytes(40), b"%PDF-1.4\n"]
                )
            )
        elif action == "insert" and data:
            at = draw(st.integers(0, len(data)))
            data[at:at] = draw(st.binary(min_size=1, max_size=32))
        elif action == "zero" and data:
            at = draw(st.integers(0, len(data) - 1))
            data[at : at + 64] = bytes(min(64, len(data) - at))
    return fmt, bytes(data)


def check_ingest(data: bytes, name: str | None = None) -> Photo | None:
    tracemalloc.start()
    start = time.monotonic()
    try:
        photo, error = attempt(lambda: ingest_photo(data, name=name, **LIMITS), PhotoError)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.monotonic() - start < SECONDS
    assert peak < MAX_TRACED_BYTES, peak
    if photo is None:
        assert_one_line(error)
    else:
        assert photo.pixels.dtype == np.uint8
        assert photo.pixels.ndim == 3
        assert photo.width * photo.height <= LIMITS["max_pixels"]
        png = photo.png()
        assert b"<script>" not in png
        assert b"PK\x03\x04" not in png
    return photo


@budget(150)
@given(case=damaged())
def test_damaged_photos_are_a_photo_or_a_photo_error(case: tuple[str, bytes]) -> None:
    check_ingest(case[1])


@budget(60)
@given(case=damaged(), ext=st.sampled_from([".jpg", ".png", ".webp", ".heic", ".gif", "", ".JPG"]))
def test_damaged_photos_with_a_name(case: tuple[str, bytes], ext: str) -> None:
    check_ingest(case[1], name=f"client{ext}")


@budget(40)
@given(blob=st.binary(max_size=256), magic=st.sampled_from(FOREIGN_HEADERS))
@example(blob=b"", magic=b"\x89PNG\r\n\x1a\n")
def test_a_magic_number_then_noise(blob: bytes, magic: bytes) -> None:
    check_ingest(magic + blob)


def test_declared_giant_sizes_are_refused_before_decoding() -> None:
    for width, height in ((2**31 - 1, 2**31 - 1), (65535, 65535), (12_001, 1), (0, 0)):
        data = _png_with_size(originals()["PNG"], width, height)
        start = time.monotonic()
        assert check_ingest(data) is None
        assert time.monotonic() - start < 1.0
    assert LIMITS["max_pixels"] < MAX_PIXELS
