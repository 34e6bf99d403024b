"""The photo scaled down once for everything that works below full resolution.

The face mesh looks at the photo scaled to 1024 px and the segmentation works at 1024 px
(:data:`~smpstudio.photo.WORK_SIDE`): the same area-averaged copy, made once per photo
(a 12 MP photo takes about 0.1 s to scale) and kept while the photo lives.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np

from smpstudio._types import UInt8Array
from smpstudio.photo._cv import opencv
from smpstudio.photo._ingest import Photo

__all__ = ["downscaled", "scaled_to"]

_CACHE: weakref.WeakKeyDictionary[Photo, dict[int, tuple[UInt8Array, float]]] = (
    weakref.WeakKeyDictionary()
)
_LOCK = threading.Lock()


def downscaled(photo: Photo, side: int) -> tuple[UInt8Array, float]:
    """The photo area-averaged to at most ``side`` px on its longest side (read-only) and
    its zoom (scaled pixels per photo pixel); computed once per photo and side."""
    with _LOCK:
        known = _CACHE.get(photo, {}).get(side)
    if known is not None:
        return known
    small, zoom = scaled_to(photo.pixels, side)
    small.setflags(write=False)
    with _LOCK:
        _CACHE.setdefault(photo, {})[side] = (small, zoom)
    return small, zoom


def scaled_to(pixels: UInt8Array, side: int) -> tuple[UInt8Array, float]:
    """``pixels`` area-averaged to at most ``side`` px on its longest side, and the zoom."""
    cv2 = opencv()

    height, width = pixels.shape[:2]
    scale = min(1.0, side / max(height, width))
    if scale >= 1.0:
        return np.ascontiguousarray(pixels), 1.0
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = cv2.resize(np.ascontiguousarray(pixels), size, interpolation=cv2.INTER_AREA)
    return np.asarray(small, dtype=np.uint8), size[0] / width
