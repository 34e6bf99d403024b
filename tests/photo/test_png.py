"""The photo PNG encoder (banded, shared between before and after) and the side-by-side."""

from __future__ import annotations

import struct
import zlib
from io import BytesIO

import cv2
import numpy as np
import pytest
from PIL import Image

from smpstudio import PhotoError
from smpstudio.photo import SIDE_BY_SIDE_MAX_SIDE, encode_png, encode_pngs, side_by_side
from smpstudio.photo._png import BAND_BYTES, _adler_combine


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """The chunks of a PNG, each CRC checked."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, out = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body)
        out.append((kind, body))
        pos += 12 + length
    return out


def _image(rows: int, cols: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:rows, 0:cols]
    smooth = np.stack([xx * 3 % 256, yy * 5 % 256, (xx + yy) % 256], axis=2)
    noise = rng.integers(-8, 9, (rows, cols, 3))
    return np.clip(smooth + noise, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (9, 1), (2, 3), (257, 301), (700, 1111)])
def test_lossless_standard_png(shape):
    pixels = _image(*shape)
    data = encode_png(pixels)
    assert np.array_equal(np.asarray(Image.open(BytesIO(data))), pixels)
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(decoded[:, :, ::-1], pixels)
    chunks = _chunks(data)
    assert [k for k, _ in chunks if k != b"IDAT"] == [b"IHDR", b"IEND"]  # no metadata
    width, height, depth, colour, *_ = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (height, width, depth, colour) == (*shape, 8, 2)
    stream = b"".join(body for kind, body in chunks if kind == b"IDAT")
    raw = zlib.decompress(stream)  # checks the combined Adler-32
    assert len(raw) == shape[0] * (3 * shape[1] + 1)


def test_many_bands_and_shared_bands_give_the_same_bytes():
    before = _image(600, 900)
    assert 3 * BAND_BYTES < 600 * (3 * 900 + 1)  # several bands
    after = before.copy()
    after[250:260, 100:200] = 0
    other = _image(600, 900, seed=1)
    alone = [encode_png(p) for p in (before, after, other, before)]
    for threads in (1, 3):
        assert encode_pngs([before, after, other, before], threads=threads) == alone
    assert np.array_equal(np.asarray(Image.open(BytesIO(alone[1]))), after)


def test_refuses_what_is_not_rgb8():
    with pytest.raises(PhotoError, match="uint8"):
        encode_png(np.zeros((4, 4), np.uint8))
    with pytest.raises(PhotoError, match="uint8"):
        encode_png(np.zeros((4, 4, 3), np.float32))


def test_adler_combine():
    rng = np.random.default_rng(3)
    for size_a, size_b in [(0, 5), (5, 0), (1, 1), (70_000, 65_521), (3, 200_000)]:
        a, b = rng.bytes(size_a), rng.bytes(size_b)
        assert _adler_combine(zlib.adler32(a), zlib.adler32(b), len(b)) == zlib.adler32(a + b)


def test_side_by_side_reduces_by_whole_factors_to_the_display_size():
    twelve = np.zeros((3000, 4000, 3), np.uint8)
    assert side_by_side(twelve, twelve).shape == (1500, 2 * 2000 + 8, 3)
    portrait = np.zeros((4032, 3024, 3), np.uint8)
    assert side_by_side(portrait, portrait).shape == (2016, 2 * 1512 + 8, 3)
    big = np.zeros((6048, 8064, 3), np.uint8)
    strip = side_by_side(big, big)
    assert strip.shape == (1512, 2 * 2016 + 4, 3)
    assert strip.shape[1] <= SIDE_BY_SIDE_MAX_SIDE
    small = np.zeros((512, 512, 3), np.uint8)
    assert side_by_side(small, small).shape == (512, 2 * 512 + 16, 3)


def test_side_by_side_is_a_box_mean():
    before = _image(61, 83)
    after = before[::-1].copy()
    strip = side_by_side(before, after, max_height=30)
    assert strip.shape == (30, 2 * 41 + 8, 3)
    block = before[:60, :82].reshape(30, 2, 41, 2, 3).astype(np.float64).mean(axis=(1, 3))
    assert np.abs(strip[:, :41] - block).max() <= 0.5
    assert (strip[:, 41:49] == 24).all()
