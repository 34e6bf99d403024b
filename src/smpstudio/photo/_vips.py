"""Shrink-on-load decoding of large PNG and WebP uploads with libvips (pyvips + pyvips-binary).

Pillow decodes every pixel of a PNG or WebP before it can be reduced: a 50 MP upload costs
about a second of CPU and 150 MB per request. libvips decodes a PNG row by row through its
box shrink, and asks libwebp to scale while decoding, so only the reduced image is ever
held. Called only after Pillow has read the header and the size limits have passed.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np

from smpstudio._types import UInt8Array

__all__ = ["shrink_on_load"]

_LOCK = threading.Lock()
_vips: Any = None


def _library() -> Any:
    """pyvips, imported once, with one worker thread per call (the request's CPU budget
    counts the calling thread) and no operation cache (nothing of a client's photo kept)."""
    global _vips
    with _LOCK:
        if _vips is None:
            os.environ.setdefault("VIPS_CONCURRENCY", "1")
            import pyvips

            pyvips.cache_set_max(0)
            pyvips.cache_set_max_mem(0)
            pyvips.concurrency_set(1)
            _vips = pyvips
    return _vips


def shrink_on_load(data: bytes, *, fmt: str, side: int) -> UInt8Array:
    """The image in ``data`` (``fmt`` ``"PNG"`` or ``"WEBP"``), decoded to ``side`` pixels on
    its longest side, as 8-bit ``(h, w)`` or ``(h, w, bands)`` pixels; 16-bit samples are
    scaled to 8 bits. WebP: libwebp's own scaled decode; PNG: a whole-factor box shrink of the
    streamed rows, then a Lanczos-3 reduction to ``side``. Pixel values are not colour-managed
    (the caller converts the profile). Raises ``ValueError`` with libvips's message on
    damaged data."""
    if fmt not in ("PNG", "WEBP") or side < 1:
        raise ValueError(f"shrink_on_load takes PNG or WEBP and a side ≥ 1, not {fmt}/{side}")
    pyvips = _library()
    try:
        image = pyvips.Image.new_from_buffer(data, "", access="sequential", fail=True)
        longest = max(image.width, image.height)
        if fmt == "WEBP":  # libwebp scales while decoding, to any size
            image = pyvips.Image.new_from_buffer(
                data, "", access="sequential", scale=side / longest, fail=True
            )
        elif longest // side > 1:
            image = image.shrink(longest // side, longest // side, ceil=True)
        longest = max(image.width, image.height)
        if longest > side:
            image = image.resize(side / longest)
        if image.format == "ushort":
            image = (image / 257.0).rint().cast("uchar")
        elif image.format != "uchar":
            image = image.cast("uchar")
        raw = image.write_to_memory()
    except pyvips.Error as exc:
        raise ValueError(" ".join(str(exc).split())[:200]) from None
    shape = (image.height, image.width, image.bands)
    pixels: UInt8Array = np.frombuffer(raw, dtype=np.uint8).reshape(shape).copy()
    return pixels[:, :, 0] if image.bands == 1 else pixels
