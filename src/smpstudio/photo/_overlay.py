"""A picture of an analysis: regions tinted, hairline and landmarks drawn on the photo."""

from __future__ import annotations

import numpy as np

from smpstudio._types import UInt8Array
from smpstudio.photo._analysis import PhotoAnalysis
from smpstudio.photo._cv import opencv

__all__ = ["REGION_COLOURS", "overlay_image"]

REGION_COLOURS = np.array(
    [
        [0, 0, 0],
        [240, 190, 150],
        [150, 90, 30],
        [230, 210, 0],
        [0, 190, 255],
        [200, 120, 200],
        [90, 90, 110],
    ],
    dtype=np.float32,
)
"""Tint of each region (background untinted, face, hair, thinning, scalp, ears, clothing)."""


def overlay_image(analysis: PhotoAnalysis, *, opacity: float = 0.4) -> UInt8Array:
    """The photo with each region tinted, the hairline in red and the landmarks in green.

    >>> from smpstudio.photo import Photo, PhotoEdits, analyze_photo
    >>> photo = Photo.from_array(np.full((64, 64, 3), 128, np.uint8), view="top")
    >>> overlay_image(analyze_photo(photo, edits=PhotoEdits(mm_per_px=1.0))).shape
    (64, 64, 3)
    """
    cv2 = opencv()

    photo = analysis.photo
    seg = analysis.segmentation
    labels = cv2.resize(seg.labels, photo.size, interpolation=cv2.INTER_NEAREST)
    tint = REGION_COLOURS[labels]
    alpha = np.where(labels > 0, opacity, 0.0)[..., None].astype(np.float32)
    out = (photo.pixels * (1.0 - alpha) + tint * alpha).astype(np.uint8)
    thick = max(1, round(max(photo.size) / 500))
    if analysis.hairline is not None:
        pts = np.round(analysis.hairline.polyline * 16).astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(out, [pts], False, (255, 40, 40), thick, cv2.LINE_AA, shift=4)
    if analysis.landmarks is not None:
        for x, y in analysis.landmarks.points.values():
            cv2.circle(out, (round(x), round(y)), 2 * thick, (40, 255, 80), thick, cv2.LINE_AA)
    return np.asarray(out, dtype=np.uint8)
