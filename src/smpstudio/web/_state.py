"""What the running studio holds: the database, the accounts, limits, caches and workers."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import anyio.to_thread
from threadpoolctl import threadpool_limits

from smpstudio.clinic import (
    Accounts,
    Clinic,
    ClinicRecords,
    Database,
    RecordNotFoundError,
    billing_settings,
)
from smpstudio.plan import PriceTable
from smpstudio.web._config import WebConfig
from smpstudio.web._load import Lane, TrustedProxies
from smpstudio.web._photo_service import PhotoDesignService
from smpstudio.web._preview import PreviewService, usable_cores

__all__ = ["RateLimiter", "Studio", "blocking", "compute", "public_compute"]

T = TypeVar("T")


class RateLimiter:
    """Sliding-window counters of failures per key (an account, a client address)."""

    def __init__(self, limit: int, window_s: float = 60.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and now - events[0] >= self.window_s:
            events.popleft()
        return events

    def blocked(self, key: str) -> bool:
        """Whether ``key`` has used up its failures in the window."""
        with self._lock:
            return len(self._recent(key, time.monotonic())) >= self.limit

    def fail(self, key: str) -> None:
        with self._lock:
            self._recent(key, time.monotonic()).append(time.monotonic())
            if len(self._events) > 100_000:  # forget idle keys
                now = time.monotonic()
                for k in [k for k, v in self._events.items() if not v or now - v[-1] > 60]:
                    del self._events[k]

    def reset(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)


class Studio:
    """The application's shared objects (``request.app.state.studio``)."""

    def __init__(self, db: Database, accounts: Accounts, config: WebConfig) -> None:
        self.db = db
        self.accounts = accounts
        self.config = config
        per_account = config.sign_in_failures_per_minute
        self.account_limiter = RateLimiter(per_account)
        self.address_limiter = RateLimiter(5 * per_account)
        self.visitor_renders = RateLimiter(40)  # previews and estimates per address a minute
        self.visitor_leads = RateLimiter(5)  # consultation requests per address a minute
        self.flashes: dict[str, list[tuple[str, str]]] = {}
        self._clinics: dict[int, Clinic] = {}
        self._site_name: str | None = None
        # The compute threads run many small array products: OpenBLAS's own threads would
        # spin against them (a third of the preview's CPU time), so BLAS stays on one thread,
        # and the compiled kernels share the cores among the compute threads.
        threadpool_limits(limits=1, user_api="blas")
        self.studio_lane = Lane(
            "studio",
            threads=config.compute_workers,
            slots=config.studio_heavy_requests,
            cpu_budget_s=config.studio_cpu_budget_s,
        )
        # Visitors' heavy work: one thread, single-threaded kernels, lower CPU priority.
        self.public_lane = Lane(
            "public",
            threads=1,
            slots=config.public_heavy_requests,
            cpu_budget_s=config.public_cpu_budget_s,
            nice=10,
            workers_sharing_cores=usable_cores(),
            release_memory=True,
        )
        self.proxies = TrustedProxies(config.trusted_proxies)
        self._public_clinic: int | None = config.public_clinic_id
        processes = _preview_processes(config)
        self.preview = PreviewService(processes=processes)
        # the designer on a client's photo, rendering in the same preview processes
        self.photo_designs = PhotoDesignService(processes=processes)

    def public_clinic_id(self) -> int | None:
        """The clinic the public site speaks for (the first one unless configured)."""
        if self._public_clinic is None:
            clinics = self.db.clinics() if self.accounts.user_count() else []
            self._public_clinic = min((c.id for c in clinics), default=None)
        return self._public_clinic

    def site_name(self) -> str:
        """The name the public site shows: the public clinic's, else "smpstudio"."""
        if self._site_name is None:
            clinic = self.public_clinic_id()
            if clinic is None:
                return "smpstudio"
            self._site_name = self.clinic_name(clinic)
        return self._site_name

    def clinic_row(self, clinic_id: int) -> Clinic:
        """The clinic's row, read once and kept until its owner changes it
        (:meth:`update_clinic`)."""
        clinic = self._clinics.get(clinic_id)
        if clinic is None:
            with self.db.transaction(readonly=True) as session:
                clinic = session.get(Clinic, clinic_id)
            if clinic is None:
                raise RecordNotFoundError(f"no clinic {clinic_id}")
            self._clinics[clinic_id] = clinic
        return clinic

    def clinic_name(self, clinic_id: int) -> str:
        """The clinic's name (cached until the owner changes it)."""
        return self.clinic_row(clinic_id).name

    def update_clinic(self, clinic_id: int, *, actor: str, **fields: Any) -> Clinic:
        """Change the clinic's details (:meth:`Database.update_clinic`) and forget the
        cached row, so that every page shows the new ones."""
        clinic = self.db.update_clinic(clinic_id, actor=actor, **fields)
        self._clinics.pop(clinic_id, None)
        self._site_name = None
        return clinic

    def public_prices(self) -> PriceTable | None:
        """The public clinic's own prices (its Clinic page), or None when it has set none."""
        clinic_id = self.public_clinic_id()
        if clinic_id is None:
            return None
        billing = billing_settings(self.clinic_row(clinic_id))
        return billing.price_table() if billing.ready else None

    def contact(self) -> dict[str, str]:
        """What the public site shows of the public clinic: its details, each falling back
        to the server's option (``smpstudio serve --address/--phone/--email``)."""
        clinic_id = self.public_clinic_id()
        row = self.clinic_row(clinic_id) if clinic_id is not None else None
        return {
            "address": (row.address if row else "") or self.config.clinic_address,
            "phone": (row.phone if row else "") or self.config.clinic_phone,
            "email": (row.email if row else "") or self.config.clinic_email,
            "opening_hours": row.opening_hours if row else "",
        }

    def records(self, clinic_id: int, actor: str) -> ClinicRecords:
        """The clinic's records as ``actor`` sees them (scoped and audited), without a trip
        to the database once the clinic's row is cached (the sign-in check reads it in a
        worker thread: the event loop never waits for the database here)."""
        self.db.require_current_schema()
        return ClinicRecords(self.db, self.clinic_row(clinic_id), actor)

    def flash(self, key: str, message: str, kind: str = "ok") -> None:
        self.flashes.setdefault(key, []).append((kind, message))

    def take_flashes(self, key: str) -> list[tuple[str, str]]:
        return self.flashes.pop(key, [])

    def close(self) -> None:
        self.studio_lane.close()
        self.public_lane.close()


def _preview_processes(config: WebConfig) -> int:
    if config.preview_processes is not None:
        return max(0, config.preview_processes)
    cores = usable_cores()
    return min(cores, config.compute_workers) if cores > 1 else 0


async def blocking(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run database work or hashing in a worker thread, off the event loop."""
    return await anyio.to_thread.run_sync(partial(func, *args, **kwargs))


async def compute(studio: Studio, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run the studio's numeric work (designs, impressions, renders, photo uploads, plans,
    PDFs) on the compute threads: the studio lane (``smpstudio.web._load``).

    A small fixed pool (``compute_workers``): the kernels are parallel themselves, and
    queuing keeps a burst of requests from thrashing the cores; past
    ``studio_heavy_requests`` admitted at once a request gets 503 instead of a place in
    the queue.
    """
    return await studio.studio_lane.run(func, *args, **kwargs)


async def public_compute(studio: Studio, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a visitor's heavy work (the public preview, the cost estimate) in the public lane:
    one thread at a lower CPU priority, at most ``public_heavy_requests`` admitted."""
    return await studio.public_lane.run(func, *args, **kwargs)
