"""Large PNG and WebP uploads decoded at the size they are used (issue 20, item 3): the
shrink-on-load path gives the pixels the full decode would, keeps what the header says
(metadata report, orientation), and refuses damaged data with the usual message."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from smpstudio._errors import PhotoError
from smpstudio.photo import ingest_photo

SIDE = 512


def _photo_like(height: int = 2400, width: int = 1600) -> np.ndarray:
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // width, y * 255 // height, (x + y) * 255 // (width + height)], -1)
    noisy = base + rng.integers(-12, 12, base.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def _encoded(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def _reference(data: bytes) -> np.ndarray:
    """Full decode, then the same box reduction to SIDE."""
    full = Image.fromarray(ingest_photo(data).pixels)
    full.thumbnail((SIDE, SIDE), Image.Resampling.BOX, reducing_gap=None)
    return np.asarray(full, dtype=np.int16)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "I;16"])
def test_png_of_every_mode_shrunk_on_load_matches_the_full_decode(mode: str) -> None:
    pixels = _photo_like()
    if mode == "I;16":
        image = Image.fromarray(pixels[..., 0].astype(np.uint16) * 257)
    else:
        image = Image.fromarray(pixels).convert(mode)
    data = _encoded(image, "PNG")
    small = ingest_photo(data, decode_side=SIDE).pixels
    assert max(small.shape[:2]) == SIDE
    assert small.shape[2] == 3
    difference = np.abs(
        small.astype(np.int16) - _reference(data)[: small.shape[0], : small.shape[1]]
    )
    # two box steps instead of one: rounding (and, for a dithered palette, the dither's noise)
    assert difference.mean() < (3.0 if mode == "P" else 1.5)


def test_webp_shrunk_on_load_is_the_same_picture() -> None:
    data = _encoded(Image.fromarray(_photo_like()), "WEBP", quality=90)
    small = ingest_photo(data, decode_side=SIDE).pixels
    assert small.shape == (SIDE, 341, 3)
    difference = np.abs(small.astype(np.int16) - _reference(data))
    assert difference.mean() < 3.0  # libwebp's scaled decode, not a box of the full one


def test_shrunk_png_still_reports_and_drops_its_metadata() -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0112] = 6  # rotate 90°: the upright photo is wider than tall
    data = _encoded(Image.fromarray(_photo_like()), "PNG", exif=exif)
    photo = ingest_photo(data, decode_side=SIDE)
    assert photo.orientation == 6
    assert "exif" in photo.removed_metadata
    assert photo.pixels.shape[:2] == (341, SIDE)
    assert b"PhoneMaker" not in photo.png()


def test_shrunk_webp_applies_its_orientation() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    data = _encoded(Image.fromarray(_photo_like()), "WEBP", exif=exif)
    photo = ingest_photo(data, decode_side=SIDE)
    assert photo.orientation == 6
    assert photo.pixels.shape[:2] == (341, SIDE)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_truncated_large_upload_is_refused_with_the_usual_message(fmt: str) -> None:
    data = _encoded(Image.fromarray(_photo_like()), fmt)
    with pytest.raises(PhotoError, match=r"damaged|truncated"):
        ingest_photo(data[: len(data) // 2], decode_side=SIDE)


def test_small_upload_takes_the_plain_path() -> None:
    """At most twice the side, nothing is shrunk on load (the whole-factor step would be 1)."""
    data = _encoded(Image.fromarray(_photo_like(900, 600)), "PNG")
    assert np.array_equal(
        ingest_photo(data, decode_side=SIDE).pixels, ingest_photo(data, decode_side=SIDE).pixels
    )
    assert max(ingest_photo(data, decode_side=SIDE).pixels.shape[:2]) == SIDE
