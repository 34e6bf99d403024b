"""OpenCV (the build MediaPipe depends on), imported on first use and typed loosely: its
stubs' overloads do not describe NumPy arrays of a given dtype."""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

__all__ = ["opencv"]


@cache
def opencv() -> Any:
    """The ``cv2`` module.

    >>> opencv().__name__
    'cv2'
    """
    module = importlib.import_module("cv2")
    module.setNumThreads(1)  # deterministic and polite beside other workers
    return module
