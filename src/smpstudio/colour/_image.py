"""Read a skin region from a photo, safely, and average it in linear light.

Only JPEG, PNG and WebP are opened (Pillow is told not to try any other decoder). The size
is read from the header and checked against :data:`MAX_PIXELS` *before* any pixel is
decoded, so a small file declaring enormous dimensions is refused at once. The EXIF
orientation is applied (regions are given in the image as it is displayed), an embedded
ICC profile is converted to sRGB, and alpha is dropped. A fuller photo-ingest module comes
later; this one is only what the skin-tone measurement needs.
"""

from __future__ import annotations

import re
import struct
import warnings
import zlib
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from smpstudio._errors import ColourError
from smpstudio._types import FloatArray
from smpstudio.colour._convert import srgb_to_linear
from smpstudio.colour._skin import SkinTone, skin_tone_from_linear

__all__ = [
    "ALLOWED_FORMATS",
    "MAX_PIXELS",
    "Region",
    "mean_linear_rgb",
    "read_rgb",
    "skin_tone_from_image",
]

MAX_PIXELS = 50_000_000
"""Largest image accepted, in pixels (50 MP: above any phone photo, 150 MB decoded)."""

ALLOWED_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP")
"""The only decoders Pillow may use."""

_HOW = "give the path of a JPEG, PNG or WebP photo, or a colour as #rrggbb"
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error)
_SRGB_LINEAR_LUT = srgb_to_linear(np.arange(256) / 255.0)
_CHUNK = 1 << 22  # pixels per histogram step: bounds the temporary integer arrays
_REGION = re.compile(r"\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*")


@dataclass(frozen=True)
class Region:
    """A rectangle of pixels: left ``x``, top ``y``, ``width``, ``height``.

    Coordinates are in the image as displayed (after its EXIF orientation), origin top left.

    Examples
    --------
    >>> Region.parse("10,20,30,40")
    Region(x=10, y=20, width=30, height=40)
    """

    x: int
    y: int
    width: int
    height: int

    @classmethod
    def parse(cls, text: str) -> Region:
        """Parse ``x,y,w,h`` (non-negative integers, width and height at least 1)."""
        match = _REGION.fullmatch(text)
        if match is None:
            raise ColourError(
                f"malformed region {text!r}: give x,y,w,h in pixels, e.g. --region 100,80,50,50"
            )
        region = cls(*(int(g) for g in match.groups()))
        if region.width < 1 or region.height < 1:
            raise ColourError(f"region {text!r} is empty: width and height must be at least 1")
        return region

    @property
    def box(self) -> tuple[int, int, int, int]:
        """``(left, top, right, bottom)`` as Pillow wants it."""
        return self.x, self.y, self.x + self.width, self.y + self.height

    def check_inside(self, size: tuple[int, int]) -> None:
        """Refuse a region that is empty or reaches outside an image of ``size`` (w, h)."""
        width, height = size
        if self.width < 1 or self.height < 1 or self.x < 0 or self.y < 0:
            raise ColourError(f"region {self.text} is empty or negative: use x,y ≥ 0 and w,h ≥ 1")
        if self.x + self.width > width or self.y + self.height > height:
            raise ColourError(
                f"region {self.text} reaches outside the {width}×{height} image: keep "
                f"x + w ≤ {width} and y + h ≤ {height}"
            )

    @property
    def text(self) -> str:
        return f"{self.x},{self.y},{self.width},{self.height}"


def read_rgb(
    path: str | Path, *, region: Region | None = None, max_pixels: int = MAX_PIXELS
) -> npt.NDArray[np.uint8]:
    """Decode an image (or a region of it) to 8-bit sRGB, shape ``(height, width, 3)``.

    Parameters
    ----------
    path : str or Path
        A JPEG, PNG or WebP file.
    region : Region, optional
        Part of the image to return; the whole image when omitted.
    max_pixels : int
        Refuse images with more pixels than this, before decoding them. Pillow's own
        decompression-bomb limit (about 89 MP) also applies.

    Raises
    ------
    ColourError
        Missing file, not an allowed image format, damaged data, too many pixels, or a
        region outside the image.

    Examples
    --------
    >>> import tempfile
    >>> from PIL import Image
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "scalp.png"
    >>> Image.new("RGB", (40, 30), "#a07e56").save(path)
    >>> read_rgb(path, region=Region(10, 5, 4, 3)).shape
    (3, 4, 3)
    >>> folder.cleanup()
    """
    return np.asarray(_load_srgb(Path(path), region, max_pixels), dtype=np.uint8)


def mean_linear_rgb(pixels: npt.NDArray[np.uint8]) -> FloatArray:
    """Mean colour of 8-bit sRGB pixels, averaged in linear light (not in sRGB codes).

    Examples
    --------
    >>> half = np.array([[[0, 0, 0], [255, 255, 255]]], dtype=np.uint8)
    >>> mean_linear_rgb(half).tolist()
    [0.5, 0.5, 0.5]
    """
    flat = np.asarray(pixels, dtype=np.uint8).reshape(-1, 3)
    counts = np.zeros((3, 256), dtype=np.int64)
    for start in range(0, flat.shape[0], _CHUNK):
        chunk = flat[start : start + _CHUNK]
        counts += [np.bincount(chunk[:, c], minlength=256) for c in range(3)]
    return _mean_from_histogram(counts)


def skin_tone_from_image(
    path: str | Path, *, region: Region | None = None, max_pixels: int = MAX_PIXELS
) -> SkinTone:
    """Skin tone of an image region (the whole image by default), averaged in linear light.

    Parameters are those of :func:`read_rgb`.

    Examples
    --------
    >>> import tempfile
    >>> from PIL import Image
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "scalp.jpg"
    >>> Image.new("RGB", (40, 30), "#d7bd96").save(path, quality=95)
    >>> tone = skin_tone_from_image(path, region=Region.parse("0,0,20,20"))
    >>> tone.monk, tone.ita_class
    (5, 'light')
    >>> folder.cleanup()
    """
    image = _load_srgb(Path(path), region, max_pixels)
    counts = np.asarray(image.histogram(), dtype=np.int64).reshape(3, 256)
    return skin_tone_from_linear(_mean_from_histogram(counts))


def _mean_from_histogram(counts: npt.NDArray[np.int64]) -> FloatArray:
    """Linear-light mean from per-channel counts of the 256 sRGB codes, shape (3, 256)."""
    total = int(counts[0].sum())
    if total == 0:
        raise ColourError("no pixels to average: give a region at least 1×1 inside the image")
    return np.asarray(counts @ _SRGB_LINEAR_LUT, dtype=np.float64) / total


def _load_srgb(file: Path, region: Region | None, max_pixels: int) -> Image.Image:
    _check_file(file)
    with file.open("rb") as handle:
        image = _open(handle, file)
        _check_pixels(image.size, file, max_pixels)
        rgb = _decode(image, file)
    if region is None:
        return rgb
    region.check_inside(rgb.size)
    return rgb.crop(region.box)


def _check_file(file: Path) -> None:
    if not file.exists():
        raise ColourError(f"no such file {str(file)!r}: {_HOW}")
    if not file.is_file():
        raise ColourError(f"{str(file)!r} is not a file: {_HOW}")


def _open(handle: IO[bytes], file: Path) -> Image.Image:
    """Read the header only; refuse other formats and Pillow's decompression bombs."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(handle, formats=ALLOWED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ColourError(
            f"{str(file)!r} declares more than {Image.MAX_IMAGE_PIXELS:,} pixels: "
            "refused before decoding; resize or crop the photo first"
        ) from None
    except UnidentifiedImageError:
        raise ColourError(
            f"{str(file)!r} is not a JPEG, PNG or WebP image (or its header is damaged): "
            "export the photo as JPEG, PNG or WebP"
        ) from None
    except _DECODE_ERRORS as exc:
        raise ColourError(f"cannot read {str(file)!r} ({exc}): {_HOW}") from None


def _check_pixels(size: tuple[int, int], file: Path, max_pixels: int) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise ColourError(f"{str(file)!r} has no pixels ({width}×{height})")
    if width * height > max_pixels:
        raise ColourError(
            f"{str(file)!r} is {width}×{height} = {width * height / 1e6:.1f} MP, above the "
            f"{max_pixels / 1e6:g} MP limit: resize or crop the photo first"
        )


def _decode(image: Image.Image, file: Path) -> Image.Image:
    """Decode the pixels, apply the EXIF orientation and convert to 8-bit sRGB."""
    try:
        image.load()
        ImageOps.exif_transpose(image, in_place=True)
        return _to_srgb(_to_8bit(image))
    except ImageCms.PyCMSError as exc:
        raise ColourError(
            f"{str(file)!r} has a colour profile that cannot be converted to sRGB ({exc}): "
            "re-export the photo in sRGB"
        ) from None
    except _DECODE_ERRORS as exc:
        raise ColourError(
            f"{str(file)!r} is damaged or truncated ({exc}): re-export or copy the photo again"
        ) from None


def _to_8bit(image: Image.Image) -> Image.Image:
    """Bring any mode Pillow may give for JPEG / PNG / WebP to L, RGB, RGBA or CMYK."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L"):
        values = np.asarray(image, dtype=np.float64) / 257.0
        grey = Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8))
        grey.info = dict(image.info)
        return grey
    if image.mode in ("P", "PA"):
        return image.convert("RGBA")
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    profile = image.info.get("icc_profile")
    if not profile:
        return image if image.mode == "RGB" else image.convert("RGB")
    source = ImageCms.ImageCmsProfile(BytesIO(profile))
    base = image if image.mode in ("RGB", "L", "CMYK") else image.convert("RGB")
    converted = ImageCms.profileToProfile(base, source, _srgb_profile(), outputMode="RGB")
    assert converted is not None  # profileToProfile returns None only with inPlace=True
    return converted


def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
