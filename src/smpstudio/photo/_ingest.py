"""Safe ingest of client photos: JPEG, PNG, WebP and HEIC, rebuilt from their pixels.

Order of the checks (each refusal has its own message, nothing is decoded before step 4):

1. the file exists, is not empty and is at most :data:`MAX_FILE_BYTES`;
2. its first bytes are those of JPEG, PNG, WebP or HEIC (EPS, PDF, TIFF, SVG, GIF, BMP,
   ICO, PSD, JPEG 2000, FITS, AVIF, ZIP and HTML are named and refused);
3. its name, if it has an image extension, agrees with its content;
4. the header is read by the one decoder of that format (Pillow is given ``formats=``, so
   no other parser runs) and the size checked against :data:`MAX_PIXELS` and
   :data:`MAX_SIDE`; Pillow's own decompression-bomb limit is an error too;
5. the pixels are decoded, the EXIF orientation applied, the colour profile converted to
   sRGB, alpha composited over white, 16-bit scaled to 8;
6. a new image is built from the pixel values alone: EXIF (GPS, serial numbers, maker
   notes), XMP, IPTC, comments, text chunks, thumbnails and the ICC profile are gone.
"""

from __future__ import annotations

import math
import struct
import warnings
import zlib
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np
from PIL import ExifTags, Image, ImageCms, ImageOps, UnidentifiedImageError

from smpstudio._errors import PhotoError
from smpstudio._types import UInt8Array
from smpstudio.photo._png import encode_png

__all__ = [
    "ALLOWED_FORMATS",
    "MAX_FILE_BYTES",
    "MAX_PIXELS",
    "MAX_SIDE",
    "PHOTO_VIEWS",
    "Photo",
    "encode_png",
    "ingest_photo",
    "parse_view",
    "sniff_format",
]

MAX_PIXELS = 50_000_000
"""Largest photo accepted, in pixels (50 MP: above a 48 MP phone photo, 8064 × 6048);
checked from the header, before any pixel is decoded."""

MAX_SIDE = 12_000
"""Longest side accepted, in pixels (decoding time grows with the side, not only the area)."""

MAX_FILE_BYTES = 50 * 1024 * 1024
"""Largest file accepted (50 MiB), checked before it is read."""

ALLOWED_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "HEIF")
"""The only formats decoded (HEIF is HEIC, the iPhone's format, through pillow-heif)."""

PHOTO_VIEWS: tuple[str, ...] = ("frontal", "top", "left", "right", "back")
"""Standard views of a client photo; ``left`` and ``right`` are the client's sides."""

_VIEW_ALIASES = {"front": "frontal", "vertex": "top", "crown": "top", "occipital": "back"}
_EXTENSIONS = {
    "JPEG": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "PNG": (".png",),
    "WEBP": (".webp",),
    "HEIF": (".heic", ".heif", ".hif"),
}
_HOW = "export the photo as JPEG, PNG, WebP or HEIC"
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_SHRINK_ON_LOAD = {"PNG", "WEBP"}
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error)
_REFUSED: tuple[tuple[bytes, str], ...] = (
    (b"%!PS", "an EPS / PostScript file"),
    (b"\xc5\xd0\xd3\xc6", "an EPS / PostScript file"),
    (b"%PDF", "a PDF document"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"II+\x00", "a BigTIFF image"),
    (b"MM\x00+", "a BigTIFF image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"\x00\x00\x01\x00", "an ICO icon"),
    (b"8BPS", "a Photoshop (PSD) file"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "a JPEG 2000 image"),
    (b"\xff\x4f\xff\x51", "a JPEG 2000 codestream"),
    (b"SIMPLE  =", "a FITS file"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
)
_TEXT_REFUSED: tuple[tuple[bytes, str], ...] = (
    (b"<?xml", "an XML / SVG document"),
    (b"<svg", "an SVG drawing"),
    (b"<!doctype svg", "an SVG drawing"),
    (b"<!doctype html", "an HTML page"),
    (b"<html", "an HTML page"),
    (b"<script", "a script"),
)
_METADATA_KEYS = {
    "exif": "exif",
    "xmp": "xmp",
    "XML:com.adobe.xmp": "xmp",
    "icc_profile": "icc_profile",
    "photoshop": "iptc",
    "iptc": "iptc",
    "comment": "comment",
    "adobe": "adobe",
    "mp": "multi_picture",
}
_EXIF_GPS, _EXIF_IFD = 0x8825, 0x8769
_PIXEL_KEYS = {
    "dpi",
    "jfif",
    "jfif_version",
    "jfif_unit",
    "jfif_density",
    "progressive",
    "progression",
    "interlace",
    "gamma",
    "aspect",
    "transparency",
    "background",
    "duration",
    "loop",
    "timestamp",
    "primary",
    "bit_depth",
    "chroma",
    "nclx_profile",
    "original_orientation",
}
_HEIF_KEYS = {
    "thumbnails": "thumbnail",
    "depth_images": "depth_map",
    "aux": "auxiliary_images",
    "metadata": "metadata_blocks",
}


def parse_view(text: str) -> str:
    """The canonical view name (``front`` is accepted for ``frontal``).

    >>> parse_view("Front"), parse_view("top")
    ('frontal', 'top')
    """
    key = str(text).strip().lower()
    key = _VIEW_ALIASES.get(key, key)
    if key not in PHOTO_VIEWS:
        raise PhotoError(f"unknown photo view {text!r}: choose one of {', '.join(PHOTO_VIEWS)}")
    return key


@dataclass(frozen=True, eq=False)
class Photo:
    """A client photo after safe ingest: 8-bit sRGB pixels and nothing else.

    Attributes
    ----------
    pixels : (height, width, 3) uint8 array
        sRGB pixels as displayed (orientation applied), read-only.
    view : str
        One of :data:`PHOTO_VIEWS`.
    source_format : str
        The format the file was in (``JPEG``, ``PNG``, ``WEBP`` or ``HEIF``).
    removed_metadata : tuple of str
        Kinds of metadata found and dropped (``exif``, ``gps``, ``thumbnail``, ``xmp``,
        ``icc_profile``, ``text``…), never their values.
    orientation : int
        The EXIF orientation that was applied (1 = none).
    """

    pixels: UInt8Array
    view: str = "frontal"
    source_format: str = "PNG"
    removed_metadata: tuple[str, ...] = field(default=())
    orientation: int = 1

    def __post_init__(self) -> None:
        pixels = np.asarray(self.pixels)
        if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3:
            raise PhotoError("a photo's pixels are a (height, width, 3) uint8 sRGB array")
        if pixels.shape[0] < 1 or pixels.shape[1] < 1:
            raise PhotoError("a photo needs at least one pixel")
        pixels.setflags(write=False)
        object.__setattr__(self, "pixels", pixels)
        object.__setattr__(self, "view", parse_view(self.view))

    @classmethod
    def from_array(cls, pixels: Any, *, view: str = "frontal") -> Photo:
        """A photo from an ``(h, w, 3)`` uint8 array (copied), e.g. ``skimage.data.astronaut()``.

        >>> Photo.from_array(np.zeros((4, 6, 3), np.uint8)).size
        (6, 4)
        """
        return cls(np.array(pixels, dtype=np.uint8, copy=True), view=view, source_format="array")

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels."""
        return self.width, self.height

    def png(self) -> bytes:
        """The photo as a PNG without any metadata."""
        return encode_png(self.pixels)


def sniff_format(head: bytes, *, label: str = "the file") -> str:
    """The allowed format of a file from its first bytes, or a :class:`PhotoError` naming
    what it is instead.

    >>> sniff_format(b"\\xff\\xd8\\xff\\xe0" + bytes(16))
    'JPEG'
    >>> sniff_format(b"%!PS-Adobe-3.0 EPSF-3.0")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    smpstudio._errors.PhotoError: the file is an EPS / PostScript file, not a photo: ...
    """
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp":
        return _heif_brand(head, label)
    for magic, what in _REFUSED:
        if head.startswith(magic):
            raise _refused(label, what)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    for magic, what in _TEXT_REFUSED:
        if text.startswith(magic):
            raise _refused(label, what)
    raise PhotoError(f"{label} is not a JPEG, PNG, WebP or HEIC image: {_HOW}")


def _refused(label: str, what: str) -> PhotoError:
    return PhotoError(
        f"{label} is {what}, not a photo: EPS, PDF, TIFF and SVG are never opened; {_HOW}"
    )


def _heif_brand(head: bytes, label: str) -> str:
    (box,) = struct.unpack(">I", head[:4])
    brands = {head[8:12]} | {
        head[i : i + 4] for i in range(16, min(box, len(head)) - 3, 4) if head[i : i + 4]
    }
    if brands & _HEIC_BRANDS:
        return "HEIF"
    if brands & {b"avif", b"avis"}:
        raise PhotoError(f"{label} is an AVIF image, which is not accepted: {_HOW}")
    if head[8:12] in {b"mif1", b"msf1"}:
        return "HEIF"
    raise PhotoError(f"{label} is an ISO media file (video or other), not a photo: {_HOW}")


def ingest_photo(
    source: str | Path | bytes,
    *,
    view: str = "frontal",
    name: str | None = None,
    max_pixels: int = MAX_PIXELS,
    max_side: int = MAX_SIDE,
    max_bytes: int = MAX_FILE_BYTES,
    decode_side: int | None = None,
) -> Photo:
    """Read a client photo safely and rebuild it from its pixels (see the module notes).

    Parameters
    ----------
    source : str, Path or bytes
        The file, or its bytes (an upload).
    view : str
        ``frontal``, ``top``, ``left``, ``right`` or ``back`` (:data:`PHOTO_VIEWS`).
    name : str, optional
        File name of uploaded bytes; its extension must agree with the content.
    max_pixels, max_side, max_bytes : int
        Limits: pixels (:data:`MAX_PIXELS`), longest side (:data:`MAX_SIDE`), file size
        (:data:`MAX_FILE_BYTES`). Size limits are checked before any pixel is decoded.
    decode_side : int, optional
        The longest side the caller will use: larger images come back with exactly that
        longest side, decoded at about that size (JPEG: scaled by 1/2, 1/4 or 1/8 while
        decoding; PNG and WebP: shrunk by a whole factor while libvips decodes them, the
        full image never in memory; HEIC: box-averaged as soon as it is decoded), then
        box-averaged to that side before any conversion. A 50 MP upload then costs a
        fraction of its full decode.

    Raises
    ------
    PhotoError
        Missing, empty or oversized file; a format that is not allowed (named); a name
        that disagrees with the content; too many pixels; damaged or truncated data; a
        colour profile that cannot be converted.

    Examples
    --------
    >>> from PIL import Image
    >>> buffer = BytesIO()
    >>> exif = Image.Exif()
    >>> exif[0x0112] = 6                          # orientation: rotate 90°
    >>> exif[0x010F] = "PhoneMaker"               # camera make
    >>> Image.new("RGB", (40, 30), "#a07e56").save(buffer, "JPEG", exif=exif)
    >>> photo = ingest_photo(buffer.getvalue(), name="client.jpg")
    >>> photo.size, photo.orientation, photo.removed_metadata
    ((30, 40), 6, ('exif',))
    >>> b"PhoneMaker" in photo.png()
    False
    """
    label = repr(name) if name else "the upload"
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if len(data) > max_bytes:
            raise _too_big(label, len(data), max_bytes)
    else:
        path = Path(source)
        label = repr(str(path))
        name = path.name
        data = _read_file(path, label, max_bytes)
    view = parse_view(view)
    if not data:
        raise PhotoError(f"{label} is empty (0 bytes): {_HOW}")
    fmt = sniff_format(data[:64], label=label)
    _check_extension(name, fmt, label)
    if fmt == "HEIF":
        image = _open_heif(data, label, max_pixels, max_side)
    else:
        image = _open_pillow(data, fmt, label, max_pixels, max_side, decode_side)
    return _rebuild(image, fmt, view, label, decode_side)


def _read_file(path: Path, label: str, max_bytes: int) -> bytes:
    if not path.exists():
        raise PhotoError(f"no such file {label}: give the path of a JPEG, PNG, WebP or HEIC photo")
    if not path.is_file():
        raise PhotoError(f"{label} is not a file: give the path of a photo")
    size = path.stat().st_size
    if size > max_bytes:
        raise _too_big(label, size, max_bytes)
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:  # grew while being read
        raise _too_big(label, len(data), max_bytes)
    return data


def _too_big(label: str, size: int, max_bytes: int) -> PhotoError:
    return PhotoError(
        f"{label} is {size:,} bytes, above the {max_bytes:,}-byte limit "
        f"({max_bytes / 2**20:g} MiB): export a smaller JPEG or HEIC"
    )


def _check_extension(name: str | None, fmt: str, label: str) -> None:
    suffix = Path(name).suffix.lower() if name else ""
    if not suffix:
        return
    if suffix not in _EXTENSIONS[fmt]:
        right = _EXTENSIONS[fmt][0]
        kind = "HEIC" if fmt == "HEIF" else fmt
        raise PhotoError(
            f"{label} holds a {kind} image but its name ends in {suffix!r}: a name that "
            f"disagrees with the content is refused; rename it to {right}"
        )


def _check_size(size: tuple[int, int], label: str, max_pixels: int, max_side: int) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise PhotoError(f"{label} declares no pixels ({width}×{height}): {_HOW}")
    if width * height > max_pixels:
        raise PhotoError(
            f"{label} declares {width:,}×{height:,} = {width * height:,} pixels, above the "
            f"{max_pixels:,}-pixel limit; refused before decoding: resize the photo first"
        )
    if max(width, height) > max_side:
        raise PhotoError(
            f"{label} is {width:,}×{height:,} pixels, its longest side above the "
            f"{max_side:,}-pixel limit; refused before decoding: resize the photo first"
        )


def _open_pillow(
    data: bytes, fmt: str, label: str, max_pixels: int, max_side: int, decode_side: int | None
) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(BytesIO(data), formats=[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(
            f"{label} declares more pixels than the {max_pixels:,}-pixel limit (a "
            "decompression bomb); refused before decoding: resize the photo first"
        ) from None
    except UnidentifiedImageError:
        raise PhotoError(
            f"{label} starts like a {fmt} image but its header is damaged: {_HOW} again"
        ) from None
    except _DECODE_ERRORS as exc:
        raise PhotoError(f"{label} has a damaged {fmt} header ({exc}): {_HOW} again") from None
    _check_size(image.size, label, max_pixels, max_side)
    if decode_side is not None and fmt in _SHRINK_ON_LOAD and max(image.size) > decode_side:
        return _shrunk_on_load(data, image, fmt, decode_side, label)
    if decode_side is not None and fmt == "JPEG":
        _draft(image, decode_side)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
    except (*_DECODE_ERRORS, Image.DecompressionBombWarning) as exc:
        raise PhotoError(
            f"{label} is damaged or truncated ({_short(exc)}): copy or export the photo again"
        ) from None
    return image


def _shrunk_on_load(
    data: bytes, header: Image.Image, fmt: str, side: int, label: str
) -> Image.Image:
    """PNG and WebP decoded straight to ``side`` pixels on their longest side by libvips, which
    streams the rows through a box shrink (PNG) or lets libwebp scale while decoding (WebP),
    then reduces with Lanczos-3: the full image never sits in memory. Pillow has read the
    header (size checked, metadata and orientation kept in ``info`` for the later steps);
    vips decodes only the pixels."""
    from smpstudio.photo._vips import shrink_on_load

    try:
        pixels = shrink_on_load(data, fmt=fmt, side=side)
    except ValueError as exc:
        raise PhotoError(
            f"{label} is damaged or truncated ({_short(exc)}): copy or export the photo again"
        ) from None
    image = Image.fromarray(pixels)
    image.info = dict(header.info)
    return image


def _draft(image: Image.Image, side: int) -> None:
    """Let libjpeg decode at the smallest DCT scale whose longest side is still ≥ ``side``."""
    width, height = image.size
    factor = side / max(width, height)
    if factor < 1:
        image.draft(None, (math.ceil(width * factor), math.ceil(height * factor)))


def _reduced(image: Image.Image, side: int | None) -> Image.Image:
    """At most ``side`` pixels on the longest side: box-averaged by the largest whole factor
    that keeps it ≥ ``side`` (cheap), then area-averaged down to ``side``."""
    if side is None or max(image.size) <= side:
        return image
    image = _to_8bit(image)
    factor = max(image.size) // side
    if factor >= 2:
        image = image.reduce(factor)
    if max(image.size) > side:
        image.thumbnail((side, side), Image.Resampling.BOX, reducing_gap=None)
    return image


def _open_heif(data: bytes, label: str, max_pixels: int, max_side: int) -> Image.Image:
    """HEIC through pillow-heif: libheif applies the rotation boxes itself and resets the
    EXIF orientation, keeping the original in ``info["original_orientation"]``."""
    import pillow_heif

    try:
        heif = pillow_heif.open_heif(BytesIO(data), convert_hdr_to_8bit=True)
        _check_size(heif.size, label, max_pixels, max_side)
        image = heif.to_pillow()
        image.load()
    except PhotoError:
        raise
    except (*_DECODE_ERRORS, RuntimeError) as exc:
        raise PhotoError(
            f"{label} is a damaged or unsupported HEIC image ({_short(exc)}): export the "
            "photo again, or as JPEG"
        ) from None
    image.format = "HEIF"
    return image


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:120] or type(exc).__name__


def _rebuild(
    image: Image.Image, fmt: str, view: str, label: str, decode_side: int | None = None
) -> Photo:
    """Orientation, sRGB, 8-bit RGB; then a fresh array holding only the pixel values."""
    removed = _metadata_kinds(image)
    orientation = _orientation(image)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            small = _reduced(image, decode_side)
            upright = ImageOps.exif_transpose(small) if orientation != 1 else small
            rgb = _to_rgb(_to_srgb(_to_8bit(upright), image.info.get("icc_profile"), label))
    except ImageCms.PyCMSError as exc:
        raise PhotoError(
            f"{label} has a colour profile that cannot be converted to sRGB ({_short(exc)}): "
            "re-export the photo in sRGB"
        ) from None
    except _DECODE_ERRORS as exc:
        raise PhotoError(
            f"{label} is damaged or truncated ({_short(exc)}): copy or export the photo again"
        ) from None
    pixels = np.asarray(rgb, dtype=np.uint8)  # a fresh buffer of the pixel values alone
    if pixels.ndim != 3 or pixels.shape[2] != 3:  # pragma: no cover - _to_rgb guarantees it
        raise PhotoError(f"{label} did not decode to RGB pixels: {_HOW}")
    return Photo(
        pixels,
        view=view,
        source_format=fmt,
        removed_metadata=removed,
        orientation=orientation,
    )


def _orientation(image: Image.Image) -> int:
    if image.format == "HEIF":
        value = image.info.get("original_orientation", 1)
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = image.getexif().get(0x0112, 1)
        except _DECODE_ERRORS:
            return 1
    return int(value) if isinstance(value, int) and 1 <= value <= 8 else 1


def _metadata_kinds(image: Image.Image) -> tuple[str, ...]:
    """Which kinds of metadata the file carried (names only, never values)."""
    found: set[str] = set()
    for key, value in image.info.items():
        if not value or key in _PIXEL_KEYS:
            continue
        if key in _METADATA_KEYS:
            found.add(_METADATA_KEYS[key])
        elif key in _HEIF_KEYS:
            found.add(_HEIF_KEYS[key])
        elif isinstance(value, (str, bytes)):
            found.add("text")
    if "exif" in found:
        found |= _exif_parts(image)
    applist = getattr(image, "applist", None)
    if image.format == "JPEG" and applist:
        apps = {marker for marker, _ in applist}
        if apps - {"APP0", "APP1", "APP2", "APP13", "APP14"}:
            found.add("app_segments")
    return tuple(sorted(found))


def _exif_parts(image: Image.Image) -> set[str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exif = image.getexif()
            parts = {"exif"} if len(exif) else set()
            if _EXIF_GPS in exif:
                parts.add("gps")
            if exif.get_ifd(_EXIF_IFD).get(0x927C):
                parts.add("maker_note")
            if exif.get_ifd(ExifTags.IFD.IFD1):
                parts.add("thumbnail")
    except _DECODE_ERRORS:
        return {"exif"}
    return parts


def _to_8bit(image: Image.Image) -> Image.Image:
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        values = np.asarray(image, dtype=np.float64) / 257.0
        grey = Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8))
        return grey
    if image.mode == "RGB;16" or image.mode.startswith("RGBA;16"):  # pragma: no cover
        return image.convert("RGBA")
    if image.mode in ("P", "PA", "1", "LA", "La", "RGBa"):
        return image.convert("RGBA")
    return image


def _to_srgb(image: Image.Image, profile: bytes | None, label: str) -> Image.Image:
    if not profile:
        return image
    alpha = image.getchannel("A") if image.mode == "RGBA" else None
    base = image if image.mode in ("RGB", "L", "CMYK") else image.convert("RGB")
    source = ImageCms.ImageCmsProfile(BytesIO(profile))
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    converted = ImageCms.profileToProfile(base, source, srgb, outputMode="RGB")
    assert converted is not None  # profileToProfile returns None only with inPlace=True
    if alpha is not None:
        converted.putalpha(alpha)
    return converted


def _to_rgb(image: Image.Image) -> Image.Image:
    """Drop alpha by compositing over white (hidden colour under transparent pixels never
    survives); everything else to RGB."""
    if image.mode == "RGBA":
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, image).convert("RGB")
    return image if image.mode == "RGB" else image.convert("RGB")
