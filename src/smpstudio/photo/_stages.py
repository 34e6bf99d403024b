"""Wall and CPU time of each stage of the photo pipeline, when asked for (benchmarks).

>>> with timed_stages() as times:
...     with stage("nothing"):
...         pass
>>> sorted(times), len(times["nothing"])
(['nothing'], 2)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["stage", "timed_stages"]

_RECORD: ContextVar[dict[str, list[float]] | None] = ContextVar("photo_stages", default=None)


@contextmanager
def timed_stages() -> Iterator[dict[str, list[float]]]:
    """Record ``[wall s, CPU s]`` of each stage run inside (summed when a stage repeats).
    CPU time is the process's, all threads."""
    record: dict[str, list[float]] = {}
    token = _RECORD.set(record)
    try:
        yield record
    finally:
        _RECORD.reset(token)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Time what runs inside as ``name`` when :func:`timed_stages` is active (else free)."""
    record = _RECORD.get()
    if record is None:
        yield
        return
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        spent = record.setdefault(name, [0.0, 0.0])
        spent[0] += time.perf_counter() - wall
        spent[1] += time.process_time() - cpu
