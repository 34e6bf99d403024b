"""Worker processes that leave with the process that started them.

A worker started with ``spawn`` imports the module of the function it runs first — for the
preview processes, the whole renderer, seconds on a loaded machine. The watch on the parent
must not wait for that: :func:`start_worker` is a process-pool initializer that lives in this
light module, starts the watch at once, and records the worker's share of the cores for the
heavy set-up, which runs with the first task (:func:`worker_share`).
"""

from __future__ import annotations

import os
import threading
import time

from smpstudio._memory import tune_allocator

__all__ = ["leave_with", "start_worker", "worker_share"]

_POLL_S = 0.2
_share: list[int] = []


def start_worker(parent: int, workers: int) -> None:
    """Initializer of a worker process: leave with ``parent``; one of ``workers``."""
    leave_with(parent)
    tune_allocator(mmap_threshold=False)  # renders reuse their blocks: keep them in the arenas
    _share[:] = [workers]


def worker_share() -> int | None:
    """The number of workers this one shares the cores with (None outside a worker)."""
    return _share[0] if _share else None


def leave_with(parent: int) -> None:
    """End this process as soon as ``parent`` is no longer its parent (killed or gone)."""
    threading.Thread(target=_watch, args=(parent,), name="leave-with-parent", daemon=True).start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_POLL_S)
    os._exit(0)
