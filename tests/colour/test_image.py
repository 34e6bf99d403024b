"""Reading skin regions from real image files, and refusing bad or hostile ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from smpstudio import ColourError
from smpstudio.colour import (
    MAX_PIXELS,
    Region,
    delta_e,
    mean_linear_rgb,
    read_rgb,
    skin_tone,
    skin_tone_from_image,
    skin_tone_from_linear,
)
from tests.colour.conftest import halves, png_header_only, uniform, write_image

SKIN = (0xA0, 0x7E, 0x56)  # Monk 6


@pytest.mark.parametrize(
    ("name", "save", "tolerance"),
    [
        ("skin.png", {}, 1e-9),
        ("skin.webp", {"lossless": True}, 1e-9),
        ("skin.jpg", {"quality": 95}, 1.0),
    ],
)
def test_uniform_photo_gives_its_colour(
    tmp_path: Path, name: str, save: dict[str, object], tolerance: float
) -> None:
    path = write_image(tmp_path / name, uniform(SKIN), **save)
    tone = skin_tone_from_image(path)
    assert float(delta_e(tone.lab, skin_tone("#a07e56").lab)) <= tolerance
    assert tone.monk == 6


def test_region_is_averaged_in_linear_light(tmp_path: Path) -> None:
    path = write_image(tmp_path / "half.png", halves((0, 0, 0), (255, 255, 255)))
    tone = skin_tone_from_image(path)
    # Half black, half white: linear mean 0.5, i.e. sRGB 0.7354 (#bcbcbc), L* 76.07; the
    # naive mean of sRGB codes would give #808080, L* 53.59.
    assert tone.hex == "#bcbcbc"
    assert abs(tone.L - 76.07) < 0.01


def test_region_selects_pixels(tmp_path: Path) -> None:
    path = write_image(tmp_path / "two.png", halves(SKIN, (0x29, 0x24, 0x20)))
    assert skin_tone_from_image(path, region=Region(0, 0, 20, 20)).monk == 6
    assert skin_tone_from_image(path, region=Region.parse("20,0,20,20")).monk == 10
    assert read_rgb(path, region=Region(5, 6, 7, 8)).shape == (8, 7, 3)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    """Stored left | right, EXIF orientation 6 (rotate 90° clockwise to display): displayed,
    the stored left half is on top."""
    exif = Image.Exif()
    exif[0x0112] = 6
    path = write_image(tmp_path / "rotated.png", halves(SKIN, (255, 255, 255)), exif=exif)
    pixels = read_rgb(path)
    assert pixels.shape == (40, 20, 3)
    top = skin_tone_from_image(path, region=Region(0, 0, 20, 20))
    assert top.hex == "#a07e56"


def test_icc_profile_is_honoured(tmp_path: Path) -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    plain = write_image(tmp_path / "plain.png", uniform(SKIN))
    tagged = write_image(tmp_path / "tagged.png", uniform(SKIN), icc_profile=srgb)
    difference = delta_e(skin_tone_from_image(plain).lab, skin_tone_from_image(tagged).lab)
    assert float(difference) < 1.0


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "P", "I;16"])
def test_other_pixel_modes_are_read(tmp_path: Path, mode: str) -> None:
    base = Image.fromarray(uniform((128, 128, 128)))
    if mode == "I;16":
        image = Image.fromarray(np.full((30, 40), 128 * 257, dtype=np.uint16))
    elif mode == "P":
        image = base.quantize(colors=4)
        image.info["transparency"] = 0
    else:
        image = base.convert(mode)
    path = tmp_path / f"{mode.replace(';', '')}.png"
    image.save(path)
    assert skin_tone_from_image(path).hex == "#808080"


def test_mean_linear_rgb_of_nothing_is_refused() -> None:
    with pytest.raises(ColourError, match="no pixels"):
        mean_linear_rgb(np.zeros((0, 3), dtype=np.uint8))


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ColourError, match="no such file"):
        read_rgb(tmp_path / "absent.png")
    with pytest.raises(ColourError, match="is not a file"):
        read_rgb(tmp_path)


def test_text_file_named_png_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("this is not a picture\n")
    with pytest.raises(ColourError, match="not a JPEG, PNG or WebP image"):
        read_rgb(path)


def test_other_formats_are_refused(tmp_path: Path) -> None:
    path = write_image(tmp_path / "skin.gif", uniform(SKIN))
    with pytest.raises(ColourError, match="not a JPEG, PNG or WebP image"):
        read_rgb(path)
    bmp = write_image(tmp_path / "skin.png", uniform(SKIN), format="BMP")
    with pytest.raises(ColourError, match="not a JPEG, PNG or WebP image"):
        read_rgb(bmp)


@pytest.mark.parametrize(("name", "save"), [("cut.png", {}), ("cut.jpg", {"quality": 90})])
def test_truncated_files_are_refused(tmp_path: Path, name: str, save: dict[str, object]) -> None:
    noise = np.random.default_rng(1).integers(0, 256, (200, 200, 3), dtype=np.uint8)
    path = write_image(tmp_path / name, noise, **save)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ColourError, match="damaged or truncated"):
        read_rgb(path)


def test_corrupt_png_data_is_refused(tmp_path: Path) -> None:
    path = write_image(tmp_path / "bad.png", uniform(SKIN, (64, 64)))
    data = bytearray(path.read_bytes())
    start = data.index(b"IDAT") + 4
    data[start : start + 20] = b"\xff" * 20
    path.write_bytes(bytes(data))
    with pytest.raises(ColourError):
        read_rgb(path)


@pytest.mark.parametrize(
    ("width", "height", "message"),
    [
        (8_000, 8_000, "above the 50 MP limit"),  # 64 MP: our cap, under Pillow's limits
        (10_000, 10_000, "refused before decoding"),  # 100 MP: Pillow's warning band
        (100_000, 100_000, "refused before decoding"),  # 10 GP: Pillow's error band
    ],
)
def test_header_bombs_are_refused_before_decoding(
    tmp_path: Path, width: int, height: int, message: str
) -> None:
    # A header and no pixel data: decoding would fail as truncated, so the message itself
    # shows the refusal came from the header (no wall-clock bound: it failed once under load).
    path = png_header_only(tmp_path / "bomb.png", width, height)
    assert path.stat().st_size < 200
    with pytest.raises(ColourError, match=message):
        skin_tone_from_image(path)


def test_pixel_cap_is_documented_and_adjustable(tmp_path: Path) -> None:
    assert MAX_PIXELS == 50_000_000
    path = write_image(tmp_path / "small.png", uniform(SKIN))
    with pytest.raises(ColourError, match=r"above the 0\.001 MP limit"):
        read_rgb(path, max_pixels=1_000)


@pytest.mark.parametrize(
    "region", [Region(30, 0, 20, 10), Region(0, 25, 5, 10), Region(40, 30, 1, 1)]
)
def test_region_outside_the_image_is_refused(tmp_path: Path, region: Region) -> None:
    path = write_image(tmp_path / "skin.png", uniform(SKIN))
    with pytest.raises(ColourError, match="reaches outside the 40×30 image"):
        read_rgb(path, region=region)


def test_empty_region_is_refused(tmp_path: Path) -> None:
    path = write_image(tmp_path / "skin.png", uniform(SKIN))
    with pytest.raises(ColourError, match="empty"):
        read_rgb(path, region=Region(0, 0, 0, 5))


@pytest.mark.parametrize("text", ["1,2,3", "a,b,c,d", "1,2,3,4,5", "-1,0,5,5", ""])
def test_malformed_region_is_refused(text: str) -> None:
    with pytest.raises(ColourError, match="malformed region"):
        Region.parse(text)


@pytest.mark.parametrize("text", ["0,0,0,4", "3,3,5,0"])
def test_zero_size_region_is_refused(text: str) -> None:
    with pytest.raises(ColourError, match="empty"):
        Region.parse(text)


def test_reading_is_deterministic(tmp_path: Path) -> None:
    noise = np.random.default_rng(2).integers(0, 256, (50, 60, 3), dtype=np.uint8)
    path = write_image(tmp_path / "noise.webp", noise, quality=80)
    assert skin_tone_from_image(path) == skin_tone_from_image(path)


def test_histogram_and_array_paths_agree(tmp_path: Path) -> None:
    noise = np.random.default_rng(3).integers(0, 256, (64, 48, 3), dtype=np.uint8)
    path = write_image(tmp_path / "noise.png", noise)
    from_pixels = skin_tone_from_linear(mean_linear_rgb(read_rgb(path)))
    assert skin_tone_from_image(path) == from_pixels


def test_mean_over_several_chunks_is_exact() -> None:
    pixels = np.zeros(((1 << 22) + 6, 3), dtype=np.uint8)
    pixels[-6:] = 255
    np.testing.assert_allclose(mean_linear_rgb(pixels), [6 / pixels.shape[0]] * 3, rtol=1e-12)
