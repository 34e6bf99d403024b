"""Type aliases shared across smpstudio (no runtime behaviour)."""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

FloatArray: TypeAlias = npt.NDArray[np.float64]
"""Array of float64 values; points are ``(N, 3)`` in millimetres unless stated."""

BoolArray: TypeAlias = npt.NDArray[np.bool_]
IntArray: TypeAlias = npt.NDArray[np.int64]
Vec3: TypeAlias = tuple[float, float, float]

__all__ = ["BoolArray", "FloatArray", "IntArray", "Vec3"]
