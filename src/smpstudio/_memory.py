"""Memory a long-running server gives back to the system (glibc's allocator; elsewhere a no-op).

The studio's server holds caches it means to hold, but it also frees a great deal: a
visitor's 49-megapixel upload decoded at 1,024 px, a face model's buffers, the arrays of a
render. With glibc's defaults that memory often stays with the process:

- every thread that allocates may get an arena of its own (up to 8 per core), each keeping
  its freed pages — the studio's compute, public-lane and database threads, libvips' and
  MediaPipe's workers;
- the threshold above which a block is mapped on its own (and unmapped when freed) grows
  with the largest block freed so far, up to 32 MB, so NumPy arrays of a few MB end up in
  the arenas and fragment them.

:func:`tune_allocator` caps the arenas and fixes that threshold; :func:`release_free_memory`
returns the arenas' free pages (``malloc_trim``). Measured on the hostile-load test
(docs/reliability.md): see docs/performance.md, "Memory".
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

__all__ = ["release_free_memory", "tune_allocator"]

_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8

ARENAS = 2
"""Arenas in all (glibc's default: 8 per core)."""
MMAP_THRESHOLD_BYTES = 1 << 20
"""Blocks from this size up are mapped on their own and unmapped when freed (glibc's
default starts at 128 KB and rises with the largest block freed, up to 32 MB)."""


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    # glibc only: musl and macOS have no mallopt options of these numbers, nor malloc_trim
    wanted = ("gnu_get_libc_version", "mallopt", "malloc_trim")
    return libc if all(hasattr(libc, symbol) for symbol in wanted) else None


def tune_allocator(*, mmap_threshold: bool = True) -> bool:
    """Cap the allocator's arenas at :data:`ARENAS` and, with ``mmap_threshold``, fix the
    threshold of own mappings at :data:`MMAP_THRESHOLD_BYTES`. Call it early, before the
    process starts its threads. False where the C library is not glibc (nothing changed)."""
    libc = _glibc()
    if libc is None:
        return False
    done = bool(libc.mallopt(_M_ARENA_MAX, ARENAS))
    if mmap_threshold:
        done = bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and done
    return done


def release_free_memory() -> None:
    """Give the allocator's free pages back to the system (after heavy, rare work)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
