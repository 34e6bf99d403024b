"""The person against the background, by MediaPipe's selfie segmenter (a trained model whose
weights ship inside the ``mediapipe`` wheel: nothing is downloaded).

The segmenter (MediaPipe Selfie Segmentation, general model, 256 × 256 input, Apache 2.0)
gives each pixel the probability that it belongs to a person — head, hair, face, neck and
clothing — whatever the skin tone, the light or a greyscale photo. It is trained on people
in front of a camera; a close-up of the top or back of a head may get no person at all, and
then the colour model of :mod:`smpstudio.photo._segment` decides alone.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from smpstudio._types import Float32Array, UInt8Array

__all__ = ["PERSON_MODEL", "load_person_model", "person_probability"]

PERSON_MODEL = "mediapipe-selfie-segmentation"
"""Name of the model, as reported in the analysis."""

_LOCK = threading.Lock()
_MODEL: list[Any] = []


def person_probability(pixels: UInt8Array) -> Float32Array:
    """Probability (0–1) that each pixel of an RGB image shows a person, same size.

    Examples
    --------
    >>> from skimage import data
    >>> p = person_probability(data.astronaut())
    >>> p.shape, bool(p[120, 220] > 0.9), bool(p[20, 480] < 0.1)   # her face; the wall
    ((512, 512), True, True)
    """
    with _LOCK:
        _load()
        result = _MODEL[0].process(np.ascontiguousarray(pixels))
    mask = getattr(result, "segmentation_mask", None)
    if mask is None:
        return np.zeros(pixels.shape[:2], dtype=np.float32)
    return np.asarray(mask, dtype=np.float32)


def load_person_model() -> None:
    """Load the segmenter now (once per process)."""
    with _LOCK:
        _load()


def _load() -> None:
    if not _MODEL:
        from mediapipe.python.solutions import selfie_segmentation

        _MODEL.append(selfie_segmentation.SelfieSegmentation(model_selection=0))
