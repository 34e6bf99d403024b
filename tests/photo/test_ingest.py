"""Safe ingest: formats, limits exactly one unit over, hostile files, metadata removal."""

from __future__ import annotations

import contextlib
import resource
import subprocess
import time
import tracemalloc
import zlib
from io import BytesIO
from pathlib import Path
from typing import ClassVar

import numpy as np
import pillow_heif
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageFile, PngImagePlugin
from skimage import data

from smpstudio import InputError, PhotoError
from smpstudio.photo import MAX_PIXELS, MAX_SIDE, Photo, encode_png, ingest_photo, parse_view

from .conftest import encoded, png_header_only

SKIMAGE_DATA = Path(data.__file__).parent


def _exif_with_everything() -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    exif[0x010F] = "PhoneMakerZZ"  # Make
    exif[0x0110] = "ModelZZ-9"  # Model
    exif[0x0131] = "FirmwareZZ"  # Software
    ifd = exif.get_ifd(ExifTags.IFD.Exif)
    ifd[0x9003] = "2026:01:02 03:04:05"  # DateTimeOriginal
    ifd[0xA431] = "SERIAL-ZZ-123456"  # BodySerialNumber
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[1], gps[2] = "N", (51.0, 30.0, 12.5)
    gps[3], gps[4] = "W", (0.0, 7.0, 39.0)
    return exif


XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b'<rdf:RDF xmlns:rdf="ns.adobe.com/xap">ZZ</rdf:RDF></x:xmpmeta>'
)
SECRETS = (
    b"PhoneMakerZZ",
    b"ModelZZ",
    b"SERIAL-ZZ",
    b"2026:01:02",
    b"ns.adobe.com/xap",
    b"Exif\x00\x00",
)


def _assert_clean(photo: Photo) -> None:
    png = photo.png()
    for secret in SECRETS:
        assert secret not in png
    reread = Image.open(BytesIO(png))
    assert len(reread.getexif()) == 0
    assert set(reread.info) <= {"dpi", "gamma"}
    for chunk in (b"eXIf", b"tEXt", b"iTXt", b"zTXt", b"iCCP", b"tIME"):
        assert chunk not in png


class TestFormats:
    @pytest.mark.parametrize(
        ("fmt", "suffix"), [("JPEG", ".jpg"), ("PNG", ".png"), ("WEBP", ".webp")]
    )
    def test_pillow_formats_round_trip(self, astronaut, fmt, suffix):
        params = {"lossless": True} if fmt == "WEBP" else {"quality": 95} if fmt == "JPEG" else {}
        photo = ingest_photo(encoded(astronaut, fmt, **params), name=f"client{suffix}")
        assert photo.size == (512, 512)
        assert photo.source_format == fmt
        tolerance = 12 if fmt == "JPEG" else 0
        assert np.abs(photo.pixels.astype(int) - astronaut).mean() <= tolerance

    def test_heic_with_metadata_thumbnail_and_rotation(self, astronaut, tmp_path):
        image = Image.fromarray(astronaut[:, :400])
        heif = pillow_heif.from_pillow(image)
        heif.info["exif"] = _exif_with_everything().tobytes()
        heif.info["xmp"] = XMP
        path = tmp_path / "iphone.heic"
        heif.save(path, quality=92, thumbnails=[64])
        photo = ingest_photo(path)
        assert photo.source_format == "HEIF"
        assert photo.size == (512, 400)  # orientation 6 applied: width and height swap
        assert photo.orientation == 6
        assert {"exif", "gps", "thumbnail", "xmp"} <= set(photo.removed_metadata)
        _assert_clean(photo)
        upright = np.rot90(astronaut[:, :400], k=-1)
        assert np.abs(photo.pixels.astype(int) - upright).mean() < 6

    def test_views(self):
        assert parse_view("front") == "frontal"
        with pytest.raises(PhotoError, match="unknown photo view"):
            parse_view("side")

    def test_grey_16_bit_and_alpha_become_rgb(self):
        grey16 = Image.fromarray(np.full((8, 8), 65535 // 2, dtype=np.uint16))
        photo = ingest_photo(encoded(np.asarray(grey16), "PNG"))
        assert photo.pixels.shape == (8, 8, 3)
        assert int(photo.pixels[0, 0, 0]) in (127, 128)
        rgba = np.zeros((4, 4, 4), dtype=np.uint8)  # transparent black: hidden colour
        rgba[..., :3] = 10
        assert ingest_photo(encoded(rgba, "PNG")).pixels.min() == 255  # composited on white


class TestMetadata:
    def test_jpeg_exif_gps_serial_xmp_removed_and_orientation_applied(self, astronaut):
        source = astronaut[:, :300]
        raw = encoded(source, "JPEG", quality=95, exif=_exif_with_everything(), xmp=XMP)
        for secret in SECRETS:
            assert secret in raw or secret == b"ns.adobe.com/xap" or secret == b"Exif\x00\x00"
        photo = ingest_photo(raw, name="client.jpeg")
        assert photo.size == (512, 300)
        assert photo.orientation == 6
        assert {"exif", "gps", "xmp"} <= set(photo.removed_metadata)
        _assert_clean(photo)
        upright = np.rot90(source, k=-1)
        assert np.abs(photo.pixels.astype(int) - upright).mean() < 6

    def test_png_text_chunks_and_exif_removed(self, astronaut):
        info = PngImagePlugin.PngInfo()
        info.add_text("Author", "PhoneMakerZZ")
        info.add_itxt("Comment", "SERIAL-ZZ-123456")
        exif = _exif_with_everything()
        del exif[0x0112]
        raw = encoded(astronaut, "PNG", pnginfo=info, exif=exif)
        assert b"tEXt" in raw
        assert b"eXIf" in raw
        photo = ingest_photo(raw, name="scan.png")
        assert {"exif", "gps", "text"} <= set(photo.removed_metadata)
        _assert_clean(photo)
        assert np.array_equal(photo.pixels, astronaut)

    def test_srgb_profile_is_converted_and_dropped(self, astronaut):
        from PIL import ImageCms

        profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
        photo = ingest_photo(encoded(astronaut, "PNG", icc_profile=profile))
        assert "icc_profile" in photo.removed_metadata
        assert np.abs(photo.pixels.astype(int) - astronaut).max() <= 2
        _assert_clean(photo)

    def test_rebuilt_from_pixels_and_deterministic(self, astronaut):
        raw = encoded(astronaut, "JPEG", quality=90, exif=_exif_with_everything())
        first, second = ingest_photo(raw), ingest_photo(raw)
        assert first.png() == second.png()
        assert not first.pixels.flags.writeable
        assert first.pixels.base is None or first.pixels.base is not raw


class TestHostileFiles:
    """Formats that must never reach a decoder, each refused with its own message."""

    CASES: ClassVar[list[tuple[bytes, str]]] = [
        (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "EPS / PostScript"),
        (b"\xc5\xd0\xd3\xc6" + bytes(40), "EPS / PostScript"),
        (b"%PDF-1.7\n1 0 obj <<>> endobj\n", "PDF document"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "XML / SVG"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "SVG drawing"),
        (b"\xef\xbb\xbf  <!DOCTYPE html><html></html>", "HTML page"),
        (b"BM" + bytes(60), "BMP image"),
        (b"\x00\x00\x01\x00\x01\x00" + bytes(40), "ICO icon"),
        (b"8BPS\x00\x01" + bytes(40), "Photoshop"),
        (b"\x00\x00\x00\x0cjP  \r\n\x87\n" + bytes(40), "JPEG 2000"),
        (b"SIMPLE  =                    T" + bytes(50), "FITS"),
        (b"PK\x03\x04" + bytes(40), "ZIP archive"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", "AVIF"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", "ISO media"),
        (b"just some text, not an image", "not a JPEG, PNG, WebP or HEIC"),
    ]

    @pytest.mark.parametrize(("content", "what"), CASES)
    def test_refused_by_magic_bytes_whatever_the_name(self, content, what, monkeypatch):
        def no_subprocess(*args, **kwargs):
            raise AssertionError("a subprocess (e.g. Ghostscript) was started")

        monkeypatch.setattr(subprocess, "Popen", no_subprocess)
        with pytest.raises(PhotoError, match=what.replace("(", r"\(").replace(")", r"\)")) as err:
            ingest_photo(content, name="holiday.jpg")
        assert "\n" not in str(err.value)

    @pytest.mark.parametrize(
        ("name", "what"), [("multipage.tif", "TIFF"), ("no_time_for_that_tiny.gif", "GIF")]
    )
    def test_real_tiff_and_gif_renamed_jpg(self, name, what, tmp_path):
        renamed = tmp_path / "photo.jpg"
        renamed.write_bytes((SKIMAGE_DATA / name).read_bytes())
        with pytest.raises(PhotoError, match=f"is a {what} image, not a photo"):
            ingest_photo(renamed)

    def test_extension_must_agree_with_content(self, astronaut, tmp_path):
        path = tmp_path / "client.jpg"
        path.write_bytes(encoded(astronaut, "PNG"))
        with pytest.raises(PhotoError, match=r"holds a PNG image but its name ends in '\.jpg'"):
            ingest_photo(path)
        with pytest.raises(PhotoError, match=r"ends in '\.exe'"):
            ingest_photo(encoded(astronaut, "PNG"), name="client.exe")
        assert ingest_photo(encoded(astronaut, "PNG"), name="no-extension").size == (512, 512)

    def test_polyglots_lose_their_payload(self, astronaut):
        script = b"<script>alert(1)</script>"
        jpeg = encoded(astronaut, "JPEG", quality=90) + script
        zipped = encoded(astronaut, "PNG") + b"PK\x03\x04" + bytes(26) + b"payload.txt"
        for raw in (jpeg, zipped):
            png = ingest_photo(raw).png()
            assert b"<script" not in png
            assert b"PK\x03\x04" not in png

    @pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
    def test_truncated_files(self, astronaut, fmt):
        raw = encoded(astronaut, fmt)
        damaged = r"damaged or truncated|header is damaged|damaged WEBP"
        with pytest.raises(PhotoError, match=damaged):
            ingest_photo(raw[: len(raw) // 2])
        assert ImageFile.LOAD_TRUNCATED_IMAGES is False

    def test_empty_and_missing(self, tmp_path):
        with pytest.raises(PhotoError, match="is empty"):
            ingest_photo(b"")
        with pytest.raises(PhotoError, match="no such file"):
            ingest_photo(tmp_path / "nope.jpg")
        with pytest.raises(PhotoError, match="not a file"):
            ingest_photo(tmp_path)
        assert issubclass(PhotoError, InputError)


class TestLimits:
    """Every limit is tested at the limit (accepted) and one unit over (refused)."""

    def test_header_bomb_50000_squared_refused_fast_and_small(self):
        bomb = png_header_only(50_000, 50_000)
        assert len(bomb) < 120
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        started = time.perf_counter()
        with pytest.raises(PhotoError, match="refused before decoding"):
            ingest_photo(bomb, name="bomb.png")
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
        assert elapsed < 1.0
        assert peak < 5 * 2**20  # Python allocations while refusing it: < 5 MiB
        assert grown_kib < 50 * 1024  # process peak memory grew < 50 MB

    def test_pixel_cap_one_over_refused_before_decoding(self):
        # 50,000,001 = 3561 × 14041: the side limit is lifted so only the pixel cap applies
        with pytest.raises(PhotoError, match="50,000,001 pixels, above the 50,000,000"):
            ingest_photo(png_header_only(3561, 14041), max_side=20_000)
        # the cap itself passes the check and reaches the decoder (which finds no data)
        with pytest.raises(PhotoError, match="damaged or truncated"):
            ingest_photo(png_header_only(10_000, 5_000))

    @pytest.mark.slow
    def test_pixel_cap_exactly_decodes(self):
        flat = np.full((5_000, 10_000, 3), 180, dtype=np.uint8)
        raw = encoded(flat, "PNG", compress_level=1)
        photo = ingest_photo(raw)
        assert photo.width * photo.height == MAX_PIXELS

    def test_side_cap_one_over(self):
        with pytest.raises(PhotoError, match="longest side above the 12,000-pixel limit"):
            ingest_photo(png_header_only(MAX_SIDE + 1, 10))
        wide = np.full((2, MAX_SIDE, 3), 90, dtype=np.uint8)
        assert ingest_photo(encoded(wide, "PNG")).size == (MAX_SIDE, 2)

    def test_byte_cap_one_over(self, astronaut, tmp_path):
        raw = encoded(astronaut, "PNG")
        assert ingest_photo(raw, max_bytes=len(raw)).size == (512, 512)
        with pytest.raises(PhotoError, match=f"{len(raw):,} bytes, above the {len(raw) - 1:,}"):
            ingest_photo(raw, max_bytes=len(raw) - 1)
        path = tmp_path / "big.png"
        path.write_bytes(raw)
        with pytest.raises(PhotoError, match="above the"):
            ingest_photo(path, max_bytes=len(raw) - 1)

    def test_pillow_limit_is_an_error_not_a_warning(self):
        # 20,000 × 10,000 = 200 MP: above Pillow's own 2 × 89 MP error threshold
        with pytest.raises(PhotoError, match="refused before decoding"):
            ingest_photo(png_header_only(20_000, 10_000), max_pixels=10**9, max_side=10**6)
        # 10,000 × 9,000 = 90 MP: Pillow only warns; the warning is an error too
        with pytest.raises(PhotoError, match="refused before decoding"):
            ingest_photo(png_header_only(10_000, 9_000), max_pixels=10**9, max_side=10**6)


@settings(max_examples=120, deadline=2000)
@given(st.binary(max_size=4096))
def test_fuzz_only_photo_errors_escape(blob):
    with contextlib.suppress(PhotoError):
        ingest_photo(blob)


@settings(max_examples=60, deadline=2000)
@given(st.integers(0, 4000), st.binary(min_size=1, max_size=64))
def test_fuzz_corrupted_real_png(position, noise):
    raw = bytearray(_SMALL_PNG)
    at = position % len(raw)
    raw[at : at + len(noise)] = noise
    with contextlib.suppress(PhotoError):
        ingest_photo(bytes(raw))


_SMALL_PNG = encoded(data.astronaut()[200:240, 200:260], "PNG")


def test_encode_png_has_no_metadata_and_is_deterministic():
    pixels = np.arange(60, dtype=np.uint8).reshape(4, 5, 3)
    first = encode_png(pixels)
    assert first == encode_png(pixels)
    assert np.array_equal(np.asarray(Image.open(BytesIO(first))), pixels)
    assert zlib.crc32(first) == zlib.crc32(encode_png(pixels.copy()))
