"""Type aliases shared across smpstudio (no runtime behaviour)."""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

FloatArray: TypeAlias = npt.NDArray[np.float64]
"""Array of float64 values; points are ``(N, 3)`` in millimetres unless stated."""

BoolArray: TypeAlias = npt.NDArray[np.bool_]
Float32Array: TypeAlias = npt.NDArray[np.float32]
"""Array of float32 values (per-pixel render buffers)."""

IntArray: TypeAlias = npt.NDArray[np.int64]
UInt8Array: TypeAlias = npt.NDArray[np.uint8]
Vec3: TypeAlias = tuple[float, float, float]

__all__ = ["BoolArray", "Float32Array", "FloatArray", "IntArray", "UInt8Array", "Vec3"]
