"""The live preview behind the hairline designer and "preview your look".

A preview request names a design (pattern, hairline style, shape, height, temporal rise,
the three control points, head, seed), a look (skin and hair colour), a state and a view.
Values are rounded to what a drag can show (0.5 mm of height, 0.5 mm of rise, 1 % of a
control point) so that nearby positions share their work, then three caches answer before
anything is computed: finished images, impressions per design and look, designs per input.

Each browser tab (a ``client`` key) has at most one render in progress: a newer request
from the same client makes the waiting one stale, and a stale request is answered at once
with nothing (the page already asked for something newer; :class:`LatestRequests`, shared
with the designer on the photo). The numeric work runs in a preview process
(:class:`PreviewProcesses`) or, without them, on the studio's compute thread; never on the
event loop.

Every front-view answer carries the geometry of the draggable points in image pixels: the
mid-frontal point, both temporal points and the three control points on each side, the
control points' shares of the temporal rise, and two tables the page uses to turn a drag
into a value — the row of the mid-frontal point for each height (5–11 cm), and the row of
the temporal point for each rise (0–35 mm) at the current height.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import multiprocessing
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, TypeVar

import numba
import numpy as np
from threadpoolctl import threadpool_limits

import smpstudio
from smpstudio._design import HAIR_LENGTH_RANGE_MM, Design
from smpstudio._errors import InputError
from smpstudio._lru import Lru
from smpstudio._memory import release_free_memory
from smpstudio._orphans import start_worker, worker_share
from smpstudio._types import FloatArray
from smpstudio.colour import DilutionTable, looks_like_hex, skin_tone
from smpstudio.dots import DilutionRule, Impressions, blend_for, dilution_rule, place_impressions
from smpstudio.hairline import HAIRLINE_SHAPES, HAIRLINE_STYLES
from smpstudio.head import AGE_RANGE_YEARS, SEXES, HeadShape
from smpstudio.loss import PATTERN_NAMES
from smpstudio.render import (
    PHOTO_VIEWS,
    Look,
    frame_for,
    look_for,
    parse_state,
    render_view,
    zone_overlay,
)

__all__ = [
    "PROFILE_RANGE",
    "RISE_RANGE_MM",
    "LatestRequests",
    "PreviewParams",
    "PreviewProcesses",
    "PreviewRenderer",
    "PreviewService",
    "WorkerGone",
    "handles",
    "in_worker",
    "preview_processes",
    "render_here",
]

PROFILE_RANGE = (-0.3, 1.3)
"""Each control point's share of the temporal rise (smpstudio.hairline's limits)."""
RISE_RANGE_MM = (0.0, 35.0)
HEIGHT_RANGE_CM = (5.0, 11.0)
HEADS = ("S", "M", "L")
SIZES = (384, 512, 768, 1024)
_JPEG_QUALITY = 88
T = TypeVar("T")


@dataclass(frozen=True)
class PreviewParams:
    """A checked, rounded preview request."""

    pattern: str = "norwood-5"
    hairline: str = "soft"
    shape: str | None = None
    height_cm: float = 8.0
    temporal_rise_mm: float | None = None
    profile: tuple[float, float, float] | None = None
    head: str = "M"
    seed: int = 7
    scars: tuple[str, ...] = ()
    hair_length_mm: float | None = None  # None: the pattern's default (docs/render.md)
    sex: str = "male"  # the face drawn under the scalp
    age_years: float = 35.0
    skin: str = "#d7bd96"
    hair: str = "dark-brown"
    state: str = "healed"
    view: str = "front"
    size: int = 768
    zones: bool = False  # the zone map tinted over the render (not part of the design)

    def design_key(self) -> str:
        return json.dumps(
            [
                self.pattern,
                self.hairline,
                self.shape,
                self.height_cm,
                self.temporal_rise_mm,
                self.profile,
                self.head,
                self.seed,
                list(self.scars),
                self.hair_length_mm,
                self.sex,
                self.age_years,
            ]
        )

    def design_inputs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`smpstudio.design`."""
        return {
            "pattern": self.pattern,
            "hairline": self.hairline,
            "hairline_height_cm": self.height_cm,
            "hairline_shape": None if self.profile is not None else self.shape,
            "hairline_profile": self.profile,
            "temporal_rise_mm": self.temporal_rise_mm,
            "head": self.head,
            "scars": list(self.scars),
            "seed": self.seed,
            "hair_length_mm": self.hair_length_mm,
            "sex": self.sex,
            "age_years": self.age_years,
        }

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["profile"] = None if self.profile is None else list(self.profile)
        data["scars"] = list(self.scars)
        del data["zones"]  # how the preview is shown, not part of the design or the look
        return data

    @classmethod
    def parse(cls, data: Mapping[str, Any], *, default_size: int = 768) -> PreviewParams:
        """Check and round a request (a JSON object or form values); one-line errors."""
        get = data.get
        pattern = _choice(get("pattern", "norwood-5"), "pattern", PATTERN_NAMES)
        style = _choice(get("hairline", "soft"), "hairline style", tuple(HAIRLINE_STYLES))
        shape_text = get("shape") or None
        shape = (
            None
            if shape_text in (None, "custom")
            else _choice(shape_text, "shape", HAIRLINE_SHAPES)
        )
        height = _number(get("height_cm", 8.0), "hairline height (cm)", *HEIGHT_RANGE_CM, step=0.05)
        rise_raw = get("temporal_rise_mm")
        rise = (
            None
            if rise_raw in (None, "")
            else _number(rise_raw, "temporal rise (mm)", *RISE_RANGE_MM, step=0.5)
        )
        profile = _profile(get("profile"))
        length_raw = get("hair_length_mm")
        length = (
            None
            if length_raw in (None, "")
            else _number(length_raw, "hair length (mm)", *HAIR_LENGTH_RANGE_MM, step=1.0)
        )
        skin = str(get("skin", "#d7bd96")).strip().lower()
        if not looks_like_hex(skin):
            raise InputError(f"skin colour {skin[:20]!r} must be #rrggbb")
        hair = _choice(
            str(get("hair", "dark-brown")).lower(),
            "hair colour",
            tuple(DilutionTable.default().hair_colours),
        )
        state = str(get("state", "healed")).strip().lower()
        parse_state(state)
        size = int(_number(get("size", default_size), "image size", 384, 1024, step=1))
        if size not in SIZES:
            raise InputError(f"image size {size} px: use one of {', '.join(map(str, SIZES))}")
        zones = get("zones", False)
        if not isinstance(zones, bool):
            raise InputError("zones must be true or false (the zone map over the preview)")
        scars = get("scars") or ()
        if isinstance(scars, str):
            scars = [scars] if scars else []
        if not isinstance(scars, list | tuple):
            raise InputError("scars must be a list of fut and fue")
        return cls(
            pattern=pattern,
            hairline=style,
            shape=shape,
            height_cm=height,
            temporal_rise_mm=rise,
            profile=profile,
            head=_choice(str(get("head", "M")).upper(), "head", HEADS),
            seed=int(_number(get("seed", 7), "seed", 0, 2**31 - 1, step=1)),
            scars=tuple(_choice(s, "scar", ("fut", "fue")) for s in scars),
            hair_length_mm=length,
            sex=_choice(get("sex", "male"), "sex", SEXES),
            age_years=_number(get("age_years", 35.0), "age (years)", *AGE_RANGE_YEARS, step=1.0),
            skin=skin,
            hair=hair,
            state=state,
            view=_choice(get("view", "front"), "view", PHOTO_VIEWS),
            size=size,
            zones=zones,
        )


def _choice(value: object, what: str, choices: tuple[str, ...]) -> str:
    text = str(value).strip().lower() if value is not None else ""
    if what == "head":
        text = text.upper()
    if text not in choices:
        raise InputError(f"unknown {what} {str(value)[:30]!r}: choose one of {', '.join(choices)}")
    return text


def _number(value: object, what: str, low: float, high: float, *, step: float) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):  # OverflowError: a JSON integer > 1e308
        raise InputError(f"{what} must be a number, got {str(value)[:20]!r}") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise InputError(f"{what} {number:g} is outside {low:g}–{high:g}")
    return round(round(number / step) * step, 6)


def _profile(value: object) -> tuple[float, float, float] | None:
    if value in (None, "", []):
        return None
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple) or len(value) != 3:
        raise InputError("the hairline profile must be three numbers (1/4, 1/2 and 3/4 of the way)")
    low, high = PROFILE_RANGE
    a, b, c = (_number(v, "hairline control point", low, high, step=0.01) for v in value)
    return a, b, c


@dataclass(frozen=True)
class Preview:
    """A rendered preview: JPEG bytes and, for the front view, the draggable points."""

    jpeg: bytes
    geometry: dict[str, Any] | None
    blend: dict[str, Any] | None = None
    """How the healed scalp's tone meets the remaining hair's
    (:meth:`smpstudio.colour.BlendAdvice.to_dict`), for states with impressions."""


class PreviewRenderer:
    """The numeric side of previews with its caches: designs per input, impressions per
    design and look, looks, dilution rules and handle geometry. Pure computation: one lives
    in the studio's process and one in each preview process."""

    def __init__(self) -> None:
        # Two designs per designer of eight (a design is about 0.6 MB, its impressions 1 MB):
        # a drag makes a new design at every position, so larger caches only hold memory
        # (48 designs held 22 MB more per preview process: docs/performance.md, "Memory").
        self.designs: Lru[str, Design] = Lru(16)
        self.impressions: Lru[tuple[str, str, str], Impressions] = Lru(8)
        self.looks: Lru[tuple[str, str], Look] = Lru(32)
        self.rules: Lru[tuple[object, ...], tuple[DilutionRule, dict[str, Any]]] = Lru(32)
        self.geometry: Lru[tuple[str, int], dict[str, Any]] = Lru(32)

    def design(self, params: PreviewParams) -> Design:
        return self.designs.get_or_make(
            params.design_key(), lambda: smpstudio.design(**params.design_inputs())
        )

    def _rule(self, params: PreviewParams, design: Design) -> tuple[DilutionRule, dict[str, Any]]:
        """The dilution rule that blends the healed scalp with the hair, and its advice:
        kept per look and the settings the blend depends on."""
        s = design.settings
        key = (
            params.skin,
            params.hair,
            s.density_full_per_cm2,
            s.session_fractions,
            s.dot_diameter_body_mm,
            s.shaved_stubble_mm,
        )

        def make() -> tuple[DilutionRule, dict[str, Any]]:
            tone = skin_tone(params.skin)
            advice = blend_for(tone, params.hair, s).to_dict()
            return dilution_rule(tone, params.hair, settings=s), advice

        return self.rules.get_or_make(key, make)

    def _impressions(self, params: PreviewParams, design: Design) -> Impressions:
        key = (params.design_key(), params.skin, params.hair)
        rule, _ = self._rule(params, design)
        return self.impressions.get_or_make(key, lambda: place_impressions(design, dilution=rule))

    def render(self, params: PreviewParams) -> Preview:
        design = self.design(params)
        dots = None if params.state == "before" else self._impressions(params, design)
        look = self.looks.get_or_make(
            (params.skin, params.hair), lambda: look_for(params.skin, params.hair)
        )
        image = render_view(
            design, dots, look, view_name=params.view, size=params.size, state=params.state
        )
        if params.zones:
            image = zone_overlay(image, design, view_name=params.view)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=_JPEG_QUALITY, optimize=False)
        geometry = None
        if params.view == "front":
            geometry = self.geometry.get_or_make(
                (params.design_key(), params.size), lambda: handles(design, params.size)
            )
        blend = None if dots is None else self._rule(params, design)[1]
        return Preview(buffer.getvalue(), geometry, blend)


_RENDERER = PreviewRenderer()
"""This process's renderer (the studio's, or a preview process's)."""


_TRIM_EVERY = 8
"""In a preview process, the freed blocks go back to the system after every 8th render
(``malloc_trim``: about 1 ms; 10 MB less per process after 120 renders)."""
_RENDERS = itertools.count(1)


def render_here(params: PreviewParams) -> Preview:
    """Render with this process's renderer (what a preview process runs)."""
    return _RENDERER.render(params)


def in_worker(func: Callable[..., T], *args: Any) -> T:
    """Run one render in this process: in a preview process, set up on its first task and
    trimmed after every :data:`_TRIM_EVERY` th (the head's previews and the photo's)."""
    _set_up_worker()
    result = func(*args)
    if worker_share() is not None and next(_RENDERS) % _TRIM_EVERY == 0:
        release_free_memory()
    return result


_WORKER_SET_UP = threading.Event()


def _set_up_worker() -> None:
    """In a preview process, once: BLAS on one thread and its share of the cores for the
    kernels. (It left with the studio from its first moment: ``_orphans.start_worker``.)"""
    workers = worker_share()
    if workers is None or _WORKER_SET_UP.is_set():
        return
    threadpool_limits(limits=1, user_api="blas")
    share_cores(workers)
    _WORKER_SET_UP.set()


def share_cores(workers: int) -> None:
    """Let the calling thread's parallel kernels use its share of the cores among
    ``workers`` threads or processes computing side by side."""
    numba.set_num_threads(max(1, min(numba.get_num_threads(), usable_cores() // workers)))


def usable_cores() -> int:
    """Cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


class LatestRequests:
    """The one-render-per-client rule: each browser tab (a ``client`` key) claims a ticket
    per request; a newer claim makes the earlier tickets stale (the head's previews and the
    photo designer's)."""

    def __init__(self) -> None:
        self._latest: dict[str, int] = {}
        self._latest_lock = threading.Lock()
        self.stale = 0
        """Requests found stale (answered with nothing)."""

    def claim(self, client: str) -> int:
        """Register a new request of ``client``; earlier ones become stale."""
        with self._latest_lock:
            ticket = self._latest.get(client, 0) + 1
            self._latest[client] = ticket
            if len(self._latest) > 10_000:
                self._latest.clear()
                self._latest[client] = ticket
            return ticket

    def is_stale(self, client: str, ticket: int) -> bool:
        """Whether a newer request of ``client`` came in (counted in :attr:`stale`)."""
        with self._latest_lock:
            stale = self._latest.get(client, ticket) != ticket
            self.stale += stale
            return stale


class WorkerGone(Exception):  # noqa: N818  (a condition: the caller renders here instead)
    """A preview process died under a render, or the processes were stopped meanwhile."""


class PreviewProcesses:
    """The preview processes, each with its own queue, so that work can be sent to the
    process that already holds what it needs (a photo's analysis: ``affinity``).

    Work without an affinity goes to the least busy process. Work with one goes to a
    process that holds it (the studio's record of what each was sent: :data:`HELD` keys
    each, least recently used first out, as in the processes) when one is idle; else to an
    idle process with room for one more (it then holds it too: a photo dragged by many
    designers is worked on by every core); else to the least busy process that holds it;
    else to its home, the process that held fewest keys when it was first seen. A process
    with no room is never sent a key to spare another a wait: that would push out a key it
    holds for another designer, who would then wait for it to be sent again.
    """

    HELD = 4
    """Keys (photos) one process holds (:mod:`smpstudio.web._photo_service`)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._executors: list[ProcessPoolExecutor | None] = [None] * size
        self._busy = [0] * size
        self._held: list[Lru[str, int]] = [Lru(self.HELD) for _ in range(size)]
        self._home: Lru[str, int] = Lru(256)
        self._lock = threading.Lock()

    @property
    def busy(self) -> list[int]:
        """Work sent to each process and not yet answered."""
        with self._lock:
            return list(self._busy)

    def _executor(self, k: int) -> ProcessPoolExecutor:
        found = self._executors[k]
        if found is None:
            found = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=start_worker,
                initargs=(os.getpid(), self.size),
            )
            self._executors[k] = found
        return found

    def _pick(self, affinity: str | None) -> int:
        slots = range(self.size)
        idle = [k for k in slots if self._busy[k] == 0]
        if affinity is None:
            return min(slots, key=lambda k: self._busy[k])
        holders = [k for k in slots if self._held[k].get(affinity) is not None]
        for k in holders:
            if k in idle:
                return k
        for k in idle:
            if len(self._held[k]) < self.HELD:
                return k
        if holders:
            return min(holders, key=lambda k: self._busy[k])
        home = self._home.get(affinity)
        if home is None:
            home = min(slots, key=lambda k: (len(self._held[k]), self._busy[k]))
            self._home.put(affinity, home)
        return home

    def holds(self, affinity: str) -> bool:
        """Whether a process was sent ``affinity`` (and has not had to let it go since)."""
        with self._lock:
            return any(held.get(affinity) is not None for held in self._held)

    def submit(self, func: Callable[..., T], *args: Any, affinity: str | None = None) -> Future[T]:
        """Start ``func(*args)`` in a preview process, not waiting for it
        (:class:`WorkerGone` when the processes were stopped meanwhile)."""
        return self._start(func, args, affinity)[2]

    def run(self, func: Callable[..., T], *args: Any, affinity: str | None = None) -> T:
        """``func(*args)`` in a preview process (:class:`WorkerGone` when it died or the
        processes were stopped meanwhile: the caller renders here instead)."""
        k, executor, future = self._start(func, args, affinity)
        try:
            return future.result()
        except (BrokenProcessPool, CancelledError):  # it died (killed, out of memory), or
            self._drop(k, executor)  # the studio is stopping: anew
            raise WorkerGone from None

    def _start(
        self, func: Callable[..., T], args: tuple[Any, ...], affinity: str | None
    ) -> tuple[int, ProcessPoolExecutor, Future[T]]:
        with self._lock:
            k = self._pick(affinity)
            executor = self._executor(k)
            self._busy[k] += 1
            if affinity is not None:
                self._held[k].put(affinity, k)
        try:
            future = executor.submit(in_worker, func, *args)
        except RuntimeError:  # shut down meanwhile (a studio stopping), or broken
            self._done(k)
            self._drop(k, executor)
            raise WorkerGone from None
        future.add_done_callback(lambda _: self._done(k))
        return k, executor, future

    def _done(self, k: int) -> None:
        with self._lock:
            self._busy[k] -= 1

    def submit_each(self, func: Callable[..., Any], *args: Any) -> None:
        """Start every process with ``func(*args)`` in the background (a warm-up)."""
        with self._lock:
            for k in range(self.size):
                self._executor(k).submit(in_worker, func, *args)

    def _drop(self, k: int, executor: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executors[k] is executor:
                self._executors[k] = None
                self._held[k] = Lru(self.HELD)
        executor.shutdown(wait=False, cancel_futures=True)

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop the processes (they are started anew by the next :meth:`run`)."""
        with self._lock:
            found = list(self._executors)
        for executor in found:
            if executor is not None:
                executor.shutdown(wait=wait, cancel_futures=True)


_POOL_LOCK = threading.Lock()
_POOL: PreviewProcesses | None = None


def preview_processes(size: int) -> PreviewProcesses:
    """The preview processes, shared by every studio in this process and started when first
    needed ("spawn": the studio's threads are never forked)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL.size != size:
            if _POOL is not None:
                _POOL.shutdown(wait=False)
            _POOL = PreviewProcesses(size)
        return _POOL


def stop_preview_processes() -> None:
    """Stop the preview processes (they start again when next needed)."""
    global _POOL
    with _POOL_LOCK:
        found, _POOL = _POOL, None
    if found is not None:
        found.shutdown(wait=True)


class PreviewService(LatestRequests):
    """Finished images, the one-render-per-client rule, and where renders run: in preview
    processes (``processes`` > 0; each has its own interpreter, so renders run side by side
    on every core) or on the calling thread (see the module's documentation)."""

    def __init__(self, *, processes: int = 0) -> None:
        super().__init__()
        self.processes = processes
        self.renderer = _RENDERER
        self.images: Lru[tuple[str, ...], Preview] = Lru(256)

    def design(self, params: PreviewParams) -> Design:
        return self.renderer.design(params)

    def _image_key(self, params: PreviewParams) -> tuple[str, ...]:
        return (
            params.design_key(),
            params.skin,
            params.hair,
            params.state,
            params.view,
            str(params.size),
            str(params.zones),
        )

    def cached(self, params: PreviewParams) -> Preview | None:
        return self.images.get(self._image_key(params))

    def warm_up(self) -> None:
        """Start the preview processes and fill their caches with the default design, in the
        background (the first designer to open a preview does not wait for them)."""
        if self.processes:
            preview_processes(self.processes).submit_each(render_here, PreviewParams())

    def render(self, params: PreviewParams, *, client: str = "", ticket: int = 0) -> Preview | None:
        """Render (on a compute thread); None when a newer request of the client came in.

        The public site's renders go to the preview processes too: the studio's own process
        then never holds a renderer's caches (about 90 MB), and the public lane admits one
        render at a time, at most two per visitor's preview, most of them found cached.
        """
        if client and self.is_stale(client, ticket):
            return None
        key = self._image_key(params)
        found = self.images.get(key)
        if found is not None:
            return found
        return self.images.put(key, self._render(params))

    def _render(self, params: PreviewParams) -> Preview:
        if not self.processes:
            return self.renderer.render(params)
        try:
            return preview_processes(self.processes).run(render_here, params)
        except WorkerGone:
            return self.renderer.render(params)


# --- geometry of the draggable points -------------------------------------------------


@lru_cache(maxsize=32)
def _front_height_table(shape: HeadShape, size: int) -> list[list[float]]:
    """Row of the mid-frontal point per height; the same for every design on one head."""
    frame = frame_for(shape, "front", size)
    heights = np.round(np.arange(HEIGHT_RANGE_CM[0], HEIGHT_RANGE_CM[1] + 1e-9, 0.1), 2)
    ys = shape.height_at_arc(0.0, heights * 10.0)
    points = shape.from_chart(np.zeros_like(ys), ys)
    _, rows, _ = frame.project(points)
    return [[float(h), round(float(r), 2)] for h, r in zip(heights, rows, strict=True)]


def temporal_heights(design: Design, y_mid: float, rises_mm: FloatArray) -> FloatArray:
    """Height of the left temporal point for each rise (mm of skin along the canthus line
    above the mid-frontal level), as the hairline model places it."""
    s = design.head.shape
    x_c = design.head.measures.canthal_width_mm / 2.0
    ys = np.linspace(0.0, s.b_up, 8000)
    rest = s.section_scale(ys) ** s.n_front - (x_c / s.a) ** s.n_front
    ok = rest >= 0.0
    z = np.where(ok, s.c * np.abs(rest) ** (1.0 / s.n_front), np.nan)
    pts = np.stack([np.full_like(ys, x_c), ys, z], axis=-1)
    y_top = float(ys[ok].max())
    if y_top <= y_mid:
        return np.full_like(rises_mm, y_top - 2.0, dtype=np.float64)
    keep = ok & (ys >= y_mid)
    run = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts[keep], axis=0), axis=1))])
    return np.interp(np.minimum(rises_mm, 0.5 * run[-1]), run, ys[keep])


def handles(design: Design, size: int) -> dict[str, Any]:
    """Pixel positions of the draggable points of ``design`` in its front view at ``size``."""
    line = design.hairline
    frame = frame_for(design.head.shape, "front", size)
    x_c = design.head.measures.canthal_width_mm / 2.0
    mid = np.asarray(line.mid_frontal_point)
    right, left = (np.asarray(p) for p in line.temporal_points)
    y_mid, y_t = float(mid[1]), float(left[1])
    base = np.asarray(line.base_polyline)
    shares = _shares(base, x_c, y_mid, y_t)
    quarters = np.array([1.0, 2.0, 3.0]) / 4.0 * x_c
    control_ys = y_mid + np.asarray(shares) * (y_t - y_mid)
    controls = _surface_points(
        design, np.concatenate([-quarters, quarters]), np.tile(control_ys, 2)
    )
    rises = np.arange(RISE_RANGE_MM[0], RISE_RANGE_MM[1] + 1e-9, 1.0)
    temporal_y = temporal_heights(design, y_mid, rises)
    _, rise_rows, _ = frame.project(
        _surface_points(design, np.full_like(temporal_y, x_c), temporal_y)
    )
    share_grid = np.round(np.arange(PROFILE_RANGE[0], PROFILE_RANGE[1] + 1e-9, 0.05), 2)
    grid_ys = np.repeat(y_mid + share_grid * (y_t - y_mid), 3)
    _, grid_rows, _ = frame.project(
        _surface_points(design, np.tile(quarters, len(share_grid)), grid_ys)
    )
    share_rows = [
        [float(share), *(round(float(r), 2) for r in rows_k)]
        for share, rows_k in zip(share_grid, grid_rows.reshape(-1, 3), strict=True)
    ]
    cols, rows, _ = frame.project(np.vstack([mid, right, left, controls]))
    visible = np.asarray(line.polyline)
    facing = visible @ np.asarray(frame.view.forward) < 0.0
    visible = visible[facing & (visible[:, 2] > 0)][:: max(1, len(visible) // 160)]
    lc, lr, _ = frame.project(visible)
    pairs = [[round(float(c), 1), round(float(r), 1)] for c, r in zip(cols, rows, strict=True)]
    return {
        "size": size,
        "mid": pairs[0],
        "temporal": pairs[1:3],
        "controls": pairs[3:],
        "shares": [round(float(v), 3) for v in shares],
        "height_cm": round(float(line.height_cm), 3),
        "rise_mm": round(float(line.temporal_rise_mm), 2),
        "shape": line.shape,
        "height_rows": _front_height_table(design.head.shape, size),
        "rise_rows": [
            [float(r), round(float(w), 2)] for r, w in zip(rises, rise_rows, strict=True)
        ],
        "share_rows": share_rows,
        "line": [[round(float(c), 1), round(float(r), 1)] for c, r in zip(lc, lr, strict=True)],
    }


def _shares(base: FloatArray, x_c: float, y_mid: float, y_t: float) -> list[float]:
    """Rise of the base line at 1/4, 1/2, 3/4 of the way to the temporal point, as a share."""
    rise = y_t - y_mid
    if abs(rise) < 0.5:
        return [0.0625, 0.25, 0.5625]
    front = base[(base[:, 0] >= 0.0) & (base[:, 0] <= x_c + 1e-6) & (base[:, 2] > 0)]
    front = front[np.argsort(front[:, 0])]
    targets = np.array([0.25, 0.5, 0.75]) * x_c
    ys = np.interp(targets, front[:, 0], front[:, 1])
    low, high = PROFILE_RANGE
    return [float(np.clip((y - y_mid) / rise, low, high)) for y in ys]


def _surface_points(design: Design, xs: FloatArray, ys: FloatArray) -> FloatArray:
    """Points of the front of the head at ``(x, y)`` (z = 0 where the section is narrower)."""
    s = design.head.shape
    rest = s.section_scale(ys) ** s.n_front - (np.abs(xs) / s.a) ** s.n_front
    z = np.where(rest > 0, s.c * np.abs(rest) ** (1.0 / s.n_front), 0.0)
    return np.stack([xs, ys, z], axis=-1)
