"""The same numbers on every run and every machine: NumPy without its AVX-512 paths.

On a CPU with AVX-512, NumPy 1.26 computes ``power``, ``exp``, ``log``, ``arctan2`` … of
float64 arrays with vectorised approximations (SVML) that differ from the C library's in
the last bit for about a quarter of the values, and it falls back to the C library for a
call whose input and output buffers it cannot prove apart — which depends on where the
allocator placed them. The same design then differed in the last bits from one call to the
next (a same-seed hairline up to 1e-12 mm in about one fresh-clone test run in four), and a
machine without AVX-512 got other dots than one with it. With these dispatch targets off,
NumPy uses the C library's functions throughout (about 2.6 ms more of a 20 ms live preview).

This module is imported first by :mod:`smpstudio`; it can only act before NumPy is loaded,
and keeps any ``NPY_DISABLE_CPU_FEATURES`` the environment already sets.
"""

from __future__ import annotations

import importlib
import os
import sys

__all__ = ["NUMPY_FEATURES_OFF", "numpy_is_deterministic"]

NUMPY_FEATURES_OFF = (
    "AVX512F AVX512CD AVX512_KNL AVX512_KNM AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL"
)
"""NumPy 1.26's AVX-512 dispatch targets, switched off (``NPY_DISABLE_CPU_FEATURES``; a name
NumPy does not dispatch to would make it warn)."""

if "numpy" not in sys.modules:
    os.environ.setdefault("NPY_DISABLE_CPU_FEATURES", NUMPY_FEATURES_OFF)


def numpy_is_deterministic() -> bool:
    """True when NumPy runs none of its AVX-512 paths (switched off, or not on this CPU)."""
    try:  # NumPy 2 (the benchmarks' environment) moved it
        umath = importlib.import_module("numpy._core._multiarray_umath")
    except ImportError:
        umath = importlib.import_module("numpy.core._multiarray_umath")
    return not umath.__cpu_features__.get("AVX512F", False)
