"""Holding under hostile load: lanes for heavy work, a CPU budget per request, and who the
client really is behind a proxy.

Heavy work (designs, renders, photo uploads, plans, PDFs) runs in one of two **lanes**:

- the **studio** lane: staff requests, on the compute threads (``compute_workers``);
- the **public** lane: the site's "preview your look" and cost estimate, on a thread of its
  own at a lower CPU priority (nice 10), single-threaded kernels, never in a preview
  process, so that a visitor cannot take the cores a designer is dragging on.

A lane admits at most ``slots`` requests at once (running or waiting for its threads); one
more is answered at once with 503 and ``Retry-After`` instead of queueing behind the others.
While it runs, a request may spend at most its lane's **CPU budget** (seconds of its thread's
CPU time, checked between stages by :func:`checkpoint`); past it the request ends with the
same 503.

**Client addresses.** Limits are keyed on the client's address. Behind a reverse proxy (the
TLS proxy the studio needs on any non-local address) every request comes from the proxy, so
the address of a request whose peer is one of ``trusted_proxies`` is read from
``X-Forwarded-For``, right to left, skipping the trusted proxies: the first other address is
the client. A request that does not come through a trusted proxy is keyed on its peer,
whatever headers it sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from smpstudio._memory import release_free_memory
from smpstudio.web._preview import share_cores

__all__ = [
    "RETRY_AFTER_S",
    "Lane",
    "Overloaded",
    "TrustedProxies",
    "checkpoint",
]

T = TypeVar("T")
RETRY_AFTER_S = 2
"""``Retry-After`` of a 503 for heavy work refused or cut short."""

_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Overloaded(Exception):  # noqa: N818  (a condition, not a programming error)
    """The studio refused heavy work (its lane is full, or the request's CPU budget ran out):
    answered 503 with ``Retry-After``."""

    def __init__(self, message: str, retry_after: int = RETRY_AFTER_S) -> None:
        super().__init__(message)
        self.retry_after = retry_after


_BUDGET = threading.local()


def checkpoint() -> None:
    """Raise :class:`Overloaded` when the calling request has spent its CPU budget (a no-op
    outside a lane). Heavy work calls it between stages."""
    deadline: float | None = getattr(_BUDGET, "deadline", None)
    if deadline is not None and time.thread_time() > deadline:
        raise Overloaded("this request needs more computing time than the studio gives one")


@contextlib.contextmanager
def uncharged() -> Iterator[None]:
    """CPU spent inside is not charged to the calling request (a one-time model load that
    any request of the process would otherwise pay)."""
    start = time.thread_time()
    try:
        yield
    finally:
        deadline: float | None = getattr(_BUDGET, "deadline", None)
        if deadline is not None:
            _BUDGET.deadline = deadline + (time.thread_time() - start)


def _run_budgeted(seconds: float, func: Callable[[], T], *, release_memory: bool = False) -> T:
    _BUDGET.deadline = time.thread_time() + seconds
    try:
        result = func()
        checkpoint()
        return result
    finally:
        _BUDGET.deadline = None
        if release_memory:
            release_free_memory()


def _lower_priority(nice: int, workers: int) -> None:
    """A lane thread: its share of the cores for the kernels, and (Linux) a lower CPU
    priority for this thread alone."""
    share_cores(workers)
    if nice:  # not Linux, or not allowed: the same priority
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)


class Lane:
    """Threads for one kind of heavy work, admitting at most ``slots`` requests at once.

    Parameters
    ----------
    name
        For the thread names and messages (``studio``, ``public``).
    threads
        Threads that run the work (requests beyond them wait, up to ``slots`` in all).
    slots
        Requests admitted at once, running or waiting; the next gets :class:`Overloaded`.
    cpu_budget_s
        Thread CPU seconds one request may spend.
    nice
        How much lower the threads' CPU priority is (0: the studio's own).
    workers_sharing_cores
        How many threads or processes share the cores for parallel kernels (1: all cores).
    release_memory
        Give the allocator's free pages back to the system after each request (for rare,
        memory-heavy work such as a visitor's upload: :mod:`smpstudio._memory`).
    """

    def __init__(
        self,
        name: str,
        *,
        threads: int,
        slots: int,
        cpu_budget_s: float,
        nice: int = 0,
        workers_sharing_cores: int | None = None,
        release_memory: bool = False,
    ) -> None:
        self.name = name
        self.release_memory = release_memory
        self.slots = max(1, slots)
        self.cpu_budget_s = cpu_budget_s
        self._in = 0
        self._lock = threading.Lock()
        self.refused = 0
        self.pool = ThreadPoolExecutor(
            max_workers=max(1, threads),
            thread_name_prefix=f"smp-{name}",
            initializer=_lower_priority,
            initargs=(nice, workers_sharing_cores or max(1, threads)),
        )

    @property
    def busy(self) -> int:
        """Requests admitted now (running or waiting)."""
        return self._in

    def _enter(self) -> None:
        with self._lock:
            if self._in >= self.slots:
                self.refused += 1
                raise Overloaded(f"the studio is busy ({self.name} work): try again shortly")
            self._in += 1

    def _leave(self) -> None:
        with self._lock:
            self._in -= 1

    async def run(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``func`` on the lane's threads within the budget, or raise Overloaded now."""
        self._enter()
        try:
            loop = asyncio.get_running_loop()
            work = partial(
                _run_budgeted,
                self.cpu_budget_s,
                partial(func, *args, **kwargs),
                release_memory=self.release_memory,
            )
            return await loop.run_in_executor(self.pool, work)
        finally:
            self._leave()

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


class TrustedProxies:
    """The reverse proxies whose ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed.

    >>> proxies = TrustedProxies(["127.0.0.1", "10.0.0.0/8"])
    >>> proxies.client("127.0.0.1", "203.0.113.9, 10.1.2.3")
    '203.0.113.9'
    >>> proxies.client("198.51.100.7", "203.0.113.9")   # not through a trusted proxy
    '198.51.100.7'
    """

    def __init__(self, entries: Iterable[str] = ()) -> None:
        self.networks: tuple[_Network, ...] = tuple(
            ipaddress.ip_network(entry.strip(), strict=False) for entry in entries
        )

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusted(self, address: str) -> bool:
        found = _address(address)
        return found is not None and any(found in net for net in self.networks)

    def client(self, peer: str, forwarded_for: str | None) -> str:
        """The client's address: the peer's, unless the peer is a trusted proxy; then the
        rightmost address of ``X-Forwarded-For`` that is not a trusted proxy (a malformed
        entry, which only the client could have written, stops the walk)."""
        if not forwarded_for or not self.trusted(peer):
            return peer
        client = peer
        for entry in reversed(forwarded_for.split(",")):
            found = _address(entry.strip())
            if found is None:
                break
            client = str(found)
            if not any(found in net for net in self.networks):
                break
        return client

    def scheme(self, peer: str, scheme: str, forwarded_proto: str | None) -> str:
        """``https`` or ``http`` as the browser spoke it: the proxy's word when trusted."""
        if forwarded_proto and self.trusted(peer):
            last = forwarded_proto.split(",")[-1].strip().lower()
            if last in ("http", "https"):
                return last
        return scheme


def _address(text: str) -> _Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
