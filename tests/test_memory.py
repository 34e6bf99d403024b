"""The allocator settings of a long-running server (smpstudio._memory)."""

from __future__ import annotations

import platform

import numpy as np
import pytest

from smpstudio._memory import release_free_memory, tune_allocator

GLIBC = platform.libc_ver()[0] == "glibc"


@pytest.mark.skipif(not GLIBC, reason="the settings are glibc's")
def test_glibc_takes_the_settings() -> None:
    assert tune_allocator() is True
    assert tune_allocator(mmap_threshold=False) is True


def _anonymous_kb() -> int:
    with open("/proc/self/smaps_rollup") as rollup:
        line = next(line for line in rollup if line.startswith("Anonymous:"))
    return int(line.split()[1])


@pytest.mark.skipif(not GLIBC, reason="malloc_trim is glibc's")
def test_freed_small_blocks_go_back_to_the_system() -> None:
    tune_allocator()
    blocks = [np.ones(4_000) for _ in range(20_000)]  # 640 MB in 32 KB blocks, in the arenas
    keep = blocks[-1]
    del blocks
    held = _anonymous_kb()
    release_free_memory()
    assert _anonymous_kb() < held - 200_000  # most of it given back
    assert keep.sum() == 4_000
