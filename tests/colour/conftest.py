"""Image files written with Pillow for the colour tests, including hostile ones."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


def write_image(path: Path, pixels: np.ndarray, **save: object) -> Path:
    Image.fromarray(np.asarray(pixels, dtype=np.uint8)).save(path, **save)
    return path


def uniform(rgb: tuple[int, int, int], size: tuple[int, int] = (40, 30)) -> np.ndarray:
    width, height = size
    return np.broadcast_to(np.array(rgb, dtype=np.uint8), (height, width, 3)).copy()


def halves(left: tuple[int, int, int], right: tuple[int, int, int]) -> np.ndarray:
    """A 40 × 20 image: left half one colour, right half another."""
    pixels = uniform(left, (40, 20))
    pixels[:, 20:] = right
    return pixels


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG that declares ``width × height`` RGB pixels but carries almost no data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body + chunk(b"IEND", b""))
    return path
