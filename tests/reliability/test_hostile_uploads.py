"""Hostile uploads through the web studio's real routes (issue [reliability] item 3).

Formats are judged by their bytes, never by their name: EPS, TIFF, PDF and SVG renamed
``.jpg`` get 415. A decompression-bomb header is refused before decoding, fast and small.
What is stored and served is rebuilt from pixels: no GPS, serial number, XMP, or payload
appended after the image.
"""

from __future__ import annotations

import io
import resource
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from smpstudio.clinic import ClinicConfig
from tests.photo.conftest import png_header_only
from tests.web.conftest import World, csrf_of, make_world, rid

TIFF = b"II*\x00\x08\x00\x00\x00" + bytes(64)
EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>'


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp: Path = tmp_path_factory.mktemp("hostile")
    made = make_world(ClinicConfig.from_env(db=str(tmp / "clinic.sqlite3"), data_dir=tmp), tmp)
    yield made
    made.close()
    made.db.close()


def _jpeg(*, exif: bytes | None = None, xmp: bytes | None = None) -> bytes:
    buffer = io.BytesIO()
    params: dict[str, object] = {"quality": 90}
    if exif is not None:
        params["exif"] = exif
    if xmp is not None:
        params["xmp"] = xmp
    Image.new("RGB", (96, 72), "#a07e56").save(buffer, "JPEG", **params)
    return buffer.getvalue()


def _gps_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0xA431] = "SERIAL-0042-SECRET"  # BodySerialNumber
    gps = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)}
    exif[0x8825] = gps
    return exif.tobytes()


def _upload(world: World, data: bytes, name: str = "client.jpg") -> tuple[int, str]:
    client = world.as_role("practitioner")
    token = csrf_of(client.get("/studio").text)
    response = client.post(
        f"/studio/patients/{rid(world, world.a.patient_id)}/photos",
        data={"csrf_token": token, "kind": "before"},
        files={"photo": (name, data, "image/jpeg")},
        follow_redirects=False,
    )
    return response.status_code, response.text


@pytest.mark.parametrize(
    ("data", "what"),
    [(EPS, "EPS"), (TIFF, "TIFF"), (PDF, "PDF"), (SVG, "SVG")],
    ids=["eps", "tiff", "pdf", "svg"],
)
def test_other_formats_renamed_jpg_get_415(world: World, data: bytes, what: str) -> None:
    before = len(world.a.records.photos(world.a.patient_id))
    status, text = _upload(world, data)
    assert status == 415
    assert what in text
    assert len(world.a.records.photos(world.a.patient_id)) == before


def test_public_preview_refuses_a_pdf_with_415(world: World) -> None:
    client = world.client()
    page = client.get("/preview")
    token = csrf_of(page.text)
    response = client.post(
        "/preview",
        data={"csrf_token": token, "pattern": "norwood-5", "hairline": "soft"},
        files={"photo": ("me.jpg", PDF, "image/jpeg")},
    )
    assert response.status_code == 415


def test_header_bomb_is_refused_fast_and_small(world: World) -> None:
    bomb = png_header_only(50_000, 50_000)
    _upload(world, _jpeg())  # warm the route up
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    started = time.perf_counter()
    status, text = _upload(world, bomb, name="bomb.png")
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    assert status == 422
    assert "refused before decoding" in text  # the pixels were never decoded
    print(f"header bomb refused in {elapsed:.3f} s, {peak / 2**20:.1f} MiB traced")  # -rP
    assert peak < 50 * 2**20
    assert grown_kib < 50 * 1024


def test_a_100_megapixel_image_is_refused_by_the_cap(world: World) -> None:
    status, text = _upload(world, png_header_only(10_000, 10_000), name="big.png")
    assert status == 422
    assert "50,000,000-pixel limit" in text


def test_stored_and_served_bytes_carry_no_gps_serial_or_xmp(world: World) -> None:
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">SECRET-XMP</x:xmpmeta>'
    status, _ = _upload(world, _jpeg(exif=_gps_exif(), xmp=xmp))
    assert status == 303
    newest = max(world.a.records.photos(world.a.patient_id), key=lambda p: p.id)
    stored = world.a.records.photo_bytes(newest.id)
    served = world.as_role("practitioner").get(f"/studio/photos/{rid(world, newest.id)}").content
    for data in (stored, served):
        for secret in (b"SERIAL-0042", b"PhoneMaker", b"SECRET-XMP", b"Exif\x00\x00", b"GPS"):
            assert secret not in data
        with Image.open(io.BytesIO(data)) as image:
            assert not image.getexif()


def test_a_polyglot_loses_its_payload(world: World) -> None:
    payload = b"<script>alert(document.cookie)</script>PK\x03\x04payload"
    status, _ = _upload(world, _jpeg() + payload)
    assert status == 303
    newest = max(world.a.records.photos(world.a.patient_id), key=lambda p: p.id)
    assert payload not in world.a.records.photo_bytes(newest.id)
    assert b"<script>" not in world.a.records.photo_bytes(newest.id)
