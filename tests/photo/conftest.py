from __future__ import annotations

import struct
import zlib
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

import smpstudio
from smpstudio.photo import Photo, PhotoAnalysis, PhotoTreatment, analyze_photo, ingest_photo

DATA = Path(__file__).resolve().parents[1] / "data" / "photos"
SHAVED = DATA / "astronaut-shaved.jpg"


def png_header_only(width: int, height: int) -> bytes:
    """A valid PNG signature and IHDR declaring width × height, with a tiny IDAT."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


def encoded(pixels: np.ndarray, fmt: str, **params: object) -> bytes:
    buffer = BytesIO()
    Image.fromarray(pixels).save(buffer, fmt, **params)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return data.astronaut()


@pytest.fixture(scope="session")
def astronaut_photo(astronaut: np.ndarray) -> Photo:
    return Photo.from_array(astronaut)


@pytest.fixture(scope="session")
def shaved_photo() -> Photo:
    return ingest_photo(SHAVED)


@pytest.fixture(scope="session")
def astronaut_analysis(astronaut_photo: Photo) -> PhotoAnalysis:
    return analyze_photo(astronaut_photo)


@pytest.fixture(scope="session")
def shaved_analysis(shaved_photo: Photo) -> PhotoAnalysis:
    return analyze_photo(shaved_photo)


@pytest.fixture(scope="session")
def norwood6() -> smpstudio.Design:
    return smpstudio.design(pattern="norwood-6", hairline="soft", seed=3)


@pytest.fixture(scope="session")
def head_design() -> smpstudio.Design:
    """The design the virtual-head renders were made with (tools/make_pose_photos.py)."""
    return smpstudio.design(pattern="norwood-3", hairline="soft", seed=1)


@pytest.fixture(scope="session")
def treatment(head_design: smpstudio.Design) -> PhotoTreatment:
    """The treatment of :func:`head_design`."""
    return PhotoTreatment.from_design(head_design)
