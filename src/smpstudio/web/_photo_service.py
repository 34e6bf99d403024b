"""What the designer on a client's photo keeps between requests: each photo's analysis, the
finished previews, the one-render-per-tab rule, and where the renders run.

The analysis of a photo (face mesh, scale, person, hair and skin models: about a second) is
made once per photo in the studio's process (the compute threads;
:func:`smpstudio.photo.prepare_live`) and kept in a small least-recently-used cache keyed by
the clinic, the photo's id and its SHA-256. A photo the analysis refuses (no face, no scale)
keeps its message, so it is not analysed again on every request.

A drag then only redraws the hairline, the treatment region, the placement and the render
at the preview's size (:func:`smpstudio.photo.redraw`), and that runs in the preview
processes, as the head's previews do (:class:`smpstudio.web._preview.PreviewProcesses`): the
studio's process stays free for pages and the renders run side by side on every core. Each
preview process keeps the analyses it was sent, with their candidate pools and render
layers, keyed by the photo's SHA-256 (:class:`PhotoRenderer`, at most
:data:`~smpstudio.web._preview.PreviewProcesses.HELD` photos); a photo's requests go to a
process that holds it, and the analysis is sent (pickled, once) to a process that has not got
it. Without preview processes (one core, or ``preview_processes=0``) the studio renders
itself.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import smpstudio
from smpstudio._design import Design
from smpstudio._errors import InputError, PhotoError
from smpstudio._lru import Lru
from smpstudio._types import UInt8Array
from smpstudio.colour import looks_like_hex
from smpstudio.dots import DilutionRule, dilution_rule
from smpstudio.hairline import HAIRLINE_STYLES
from smpstudio.photo import Correction, PhotoTreatment, ingest_photo, load_models
from smpstudio.photo._live import MAX_HAIRLINE_POINTS, LivePhoto, prepare_live, redraw
from smpstudio.web._preview import LatestRequests, PreviewProcesses, WorkerGone, preview_processes

__all__ = [
    "DENSITY_RANGE",
    "MAX_STROKES",
    "MAX_STROKE_POINTS",
    "PHOTO_STATES",
    "RADIUS_RANGE",
    "PhotoDesignParams",
    "PhotoDesignService",
    "PhotoRenderer",
    "Rendered",
    "Stroke",
]

PHOTO_STATES = ("healed", "fresh", "year-5")
DENSITY_RANGE = (30.0, 150.0)
"""Impressions per cm² of bald scalp at full density."""
MAX_STROKES = 30
MAX_STROKE_POINTS = 200
"""Points of all painted strokes together."""
RADIUS_RANGE = (2.0, 80.0)
"""Brush radius in pixels of the working image."""
_JPEG_QUALITY = 88
_STROKE_REGION = {"add": "scalp", "remove": "hair"}
"""What a painted stroke relabels: bald scalp (treated), or the client's hair (never treated)."""


@dataclass(frozen=True)
class Stroke:
    """A painted stroke, in pixels of the working image."""

    mode: str
    radius: float
    points: tuple[tuple[float, float], ...]

    def correction(self) -> Correction:
        return Correction(
            _STROKE_REGION[self.mode], stroke=np.asarray(self.points), radius_px=self.radius
        )


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{what} must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise InputError(f"{what} must be a finite number")
    return number


def _points(raw: Any, what: str, size: tuple[int, int]) -> tuple[tuple[float, float], ...]:
    if not isinstance(raw, list):
        raise InputError(f"{what} must be a list of [x, y] pairs")
    width, height = size
    out = []
    for k, item in enumerate(raw, start=1):
        if not isinstance(item, list) or len(item) != 2:
            raise InputError(f"{what}: point {k} is not an [x, y] pair")
        x, y = (_number(v, f"{what}: point {k}") for v in item)
        if not (0.0 <= x <= width and 0.0 <= y <= height):
            raise InputError(
                f"{what}: point {k} ({x:g}, {y:g}) lies outside the {width}×{height} image"
            )
        out.append((round(x, 1), round(y, 1)))
    return tuple(out)


def _strokes(raw: Any, size: tuple[int, int]) -> tuple[Stroke, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InputError("strokes must be a list")
    if len(raw) > MAX_STROKES:
        raise InputError(f"{len(raw)} painted strokes: at most {MAX_STROKES} are accepted")
    strokes = []
    total = 0
    for k, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise InputError(f"stroke {k} must be an object with mode, radius and points")
        mode = item.get("mode")
        if mode not in _STROKE_REGION:
            raise InputError(f"stroke {k}: mode must be add or remove")
        radius = _number(item.get("radius"), f"stroke {k}: radius")
        low, high = RADIUS_RANGE
        if not low <= radius <= high:
            raise InputError(f"stroke {k}: radius must be {low:g}–{high:g} px")
        points = _points(item.get("points"), f"stroke {k}", size)
        if not points:
            raise InputError(f"stroke {k} has no points")
        total += len(points)
        if total > MAX_STROKE_POINTS:
            raise InputError(
                f"the painted strokes have more than {MAX_STROKE_POINTS} points together: "
                "paint fewer or shorter strokes"
            )
        strokes.append(Stroke(str(mode), round(radius, 1), points))
    return tuple(strokes)


@dataclass(frozen=True)
class PhotoDesignParams:
    """A checked request of the designer on a photo (pixels of the working image)."""

    points: tuple[tuple[float, float], ...]
    skin: str
    style: str = "soft"
    density: float = 80.0
    hair: str = "dark-brown"
    state: str = "healed"
    strokes: tuple[Stroke, ...] = field(default=())

    @classmethod
    def parse(cls, data: Mapping[str, Any], *, size: tuple[int, int]) -> PhotoDesignParams:
        """Check a request; every refusal is one :class:`InputError` sentence."""
        raw_points = data.get("points")
        if isinstance(raw_points, list) and len(raw_points) > MAX_HAIRLINE_POINTS:
            raise InputError(
                f"the hairline has {len(raw_points)} points: at most {MAX_HAIRLINE_POINTS} "
                "are accepted"
            )
        points = _points(raw_points, "hairline", size)
        if len(points) < 2:
            raise InputError("the hairline needs at least two points")
        style = data.get("style", "soft")
        if style not in HAIRLINE_STYLES:
            raise InputError(f"style must be one of {', '.join(HAIRLINE_STYLES)}")
        density = _number(data.get("density", 80.0), "density")
        low, high = DENSITY_RANGE
        if not low <= density <= high:
            raise InputError(f"density must be {low:g}–{high:g} impressions per cm²")
        skin = data.get("skin")
        if not isinstance(skin, str) or not looks_like_hex(skin):
            raise InputError("skin must be a colour #rrggbb")
        hair = data.get("hair", "dark-brown")
        if not isinstance(hair, str) or not 0 < len(hair) <= 40:
            raise InputError("hair must be a hair colour name or #rrggbb")
        state = data.get("state", "healed")
        if state not in PHOTO_STATES:
            raise InputError(f"state must be one of {', '.join(PHOTO_STATES)}")
        return cls(
            points=points,
            skin=skin.lower(),
            style=str(style),
            density=round(density, 1),
            hair=hair,
            state=str(state),
            strokes=_strokes(data.get("strokes"), size),
        )

    def key(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "points": [list(p) for p in self.points],
            "skin": self.skin,
            "style": self.style,
            "density": self.density,
            "hair": self.hair,
            "state": self.state,
            "strokes": [
                {"mode": s.mode, "radius": s.radius, "points": [list(p) for p in s.points]}
                for s in self.strokes
            ],
        }


LiveKey = tuple[int, int, str]
"""(clinic id, photo id, SHA-256 of the photo's bytes)."""


@dataclass(frozen=True)
class Rendered:
    """An after image: the JPEG, the process that rendered it and its CPU time (0 for an
    image found in the cache)."""

    jpeg: bytes
    pid: int = 0
    cpu_ms: float = 0.0


class PhotoRenderer:
    """The numeric side of the photo designer with its caches: the analyses this process was
    given (by the photo's SHA-256), designs per style and dilution rules per look. One lives
    in the studio's process (no preview processes, or one died under a render) and one in
    each preview process."""

    def __init__(self, photos: int = PreviewProcesses.HELD) -> None:
        self.lives: Lru[str, LivePhoto] = Lru(photos)
        self._designs: Lru[str, Design] = Lru(8)
        self._rules: Lru[tuple[str, str, str], DilutionRule] = Lru(32)

    def design(self, style: str) -> Design:
        """The design of a style (its treatment and settings; the pattern does not matter
        on a photo)."""
        return self._designs.get_or_make(
            style, lambda: smpstudio.design(pattern="norwood-5", hairline=style)
        )

    def treatment(self, style: str, density: float) -> PhotoTreatment:
        from dataclasses import replace

        return replace(PhotoTreatment.from_design(self.design(style)), density_full_per_cm2=density)

    def rule(self, skin: str, hair: str, style: str) -> DilutionRule:
        settings = self.design(style).settings
        try:
            return self._rules.get_or_make(
                (skin, hair, style), lambda: dilution_rule(skin, hair, settings=settings)
            )
        except (ValueError, KeyError) as exc:
            raise InputError(f"hair {hair!r}: {exc}") from None

    def render(self, live: LivePhoto, params: PhotoDesignParams) -> Rendered:
        """The after image of ``params`` on ``live`` as JPEG."""
        started = time.thread_time()
        moment = params.state.split("-")
        try:
            pixels = redraw(
                live,
                points=np.asarray(params.points, dtype=np.float64),
                corrections=[s.correction() for s in params.strokes],
                treatment=self.treatment(params.style, params.density),
                dilution=self.rule(params.skin, params.hair, params.style),
                seed=7,
                state="year" if moment[0] == "year" else moment[0],
                years=float(moment[1]) if len(moment) > 1 else 0.0,
            )
        except PhotoError as exc:
            raise InputError(str(exc)) from None
        data = jpeg(pixels)
        return Rendered(data, os.getpid(), 1000 * (time.thread_time() - started))


_RENDERER = PhotoRenderer()
"""This process's renderer (the studio's, or a preview process's)."""


def render_photo_here(
    sha: str, params: PhotoDesignParams, live: LivePhoto | None
) -> Rendered | None:
    """What a preview process runs: the after image on the photo of SHA-256 ``sha`` (kept
    from an earlier request, or ``live`` sent with this one); None when this process has not
    got the photo and it was not sent (the studio sends it then)."""
    found = _RENDERER.lives.get(sha)  # kept with its pools and layers
    if found is None:
        if live is None:
            return None
        found = _RENDERER.lives.put(sha, live)
    return _RENDERER.render(found, params)


class PhotoDesignService(LatestRequests):
    """The photos' analyses, the finished previews, the stale-request rule and where the
    renders run (``processes`` > 0: the preview processes; else here)."""

    def __init__(self, *, photos: int = 8, images: int = 256, processes: int = 0) -> None:
        super().__init__()
        self.processes = processes
        self.renderer = _RENDERER
        self.lives: Lru[LiveKey, LivePhoto] = Lru(photos)
        self.refusals: Lru[LiveKey, str] = Lru(64)
        self.images: Lru[tuple[LiveKey, str], bytes] = Lru(images)
        self.befores: Lru[LiveKey, bytes] = Lru(photos)
        self._hashes: dict[tuple[int, int], str] = {}
        self._lock = threading.Lock()
        self.analyses = 0
        self.sent = 0
        """Analyses sent to a preview process."""

    def known(self, clinic_id: int, photo_id: int) -> LiveKey | None:
        """The key of a photo analysed before (no database read), or None."""
        with self._lock:
            sha = self._hashes.get((clinic_id, photo_id))
        if sha is None:
            return None
        key = (clinic_id, photo_id, sha)
        return key if self.lives.get(key) is not None or self.refusals.get(key) else None

    def live(self, key: LiveKey | None, load: Callable[[], tuple[LiveKey, bytes]]) -> LivePhoto:
        """The analysed photo (``load`` reads it when it is not cached: an audited read);
        :class:`PhotoError` with the analysis's message when it was refused."""
        if key is not None:
            found = self.lives.get(key)
            if found is not None:
                return found
        key, data = load()
        refused = self.refusals.get(key)
        if refused is not None:
            raise PhotoError(refused)
        found = self.lives.get(key)
        if found is not None:
            return found
        with self._lock:
            self._hashes[key[:2]] = key[2]
        load_models()
        try:
            made = prepare_live(ingest_photo(data, view="frontal"))
        except PhotoError as exc:
            self.refusals.put(key, str(exc))
            raise
        self.analyses += 1
        return self.lives.put(key, made)

    def design(self, style: str) -> Design:
        """The design of a style (what a design saved from the photo starts from)."""
        return self.renderer.design(style)

    def cached(self, key: LiveKey, params: PhotoDesignParams) -> bytes | None:
        return self.images.get((key, params.key()))

    def render(
        self,
        key: LiveKey,
        live: LivePhoto,
        params: PhotoDesignParams,
        *,
        client: str = "",
        ticket: int = 0,
    ) -> Rendered | None:
        """The after image (on a compute thread, which waits for a preview process); None
        when a newer request of the same tab came in meanwhile."""
        if client and self.is_stale(client, ticket):
            return None
        image_key = (key, params.key())
        found = self.images.get(image_key)
        if found is not None:
            return Rendered(found)
        made = self._render(key[2], live, params)
        self.images.put(image_key, made.jpeg)
        return made

    def _render(self, sha: str, live: LivePhoto, params: PhotoDesignParams) -> Rendered:
        if not self.processes:
            return self.renderer.render(live, params)
        processes = preview_processes(self.processes)
        try:
            made = processes.run(render_photo_here, sha, params, None, affinity=sha)
            if made is None:  # that process has not got the photo: send it, once
                self.sent += 1
                made = processes.run(render_photo_here, sha, params, live, affinity=sha)
        except WorkerGone:
            return self.renderer.render(live, params)
        assert made is not None
        return made

    def prepare(self, key: LiveKey, live: LivePhoto, params: PhotoDesignParams) -> None:
        """The designer's page was opened: send the photo's analysis to a preview process
        now and render the page's first image there, in the background (its pool and layers
        are made meanwhile; the image is kept for the page's first request)."""
        if not self.processes:
            return
        processes = preview_processes(self.processes)
        if processes.holds(key[2]):
            return
        image_key = (key, params.key())
        try:
            future = processes.submit(render_photo_here, key[2], params, live, affinity=key[2])
        except WorkerGone:
            return
        self.sent += 1

        def keep(done: Future[Rendered | None]) -> None:
            if not done.cancelled() and done.exception() is None:
                made = done.result()
                if made is not None:
                    self.images.put(image_key, made.jpeg)

        future.add_done_callback(keep)

    def before(self, key: LiveKey, live: LivePhoto) -> bytes:
        """The working image itself (the "before"), as JPEG."""
        return self.befores.get_or_make(key, lambda: jpeg(live.analysis.photo.pixels))


def jpeg(pixels: UInt8Array) -> bytes:
    """8-bit RGB as a baseline JPEG (the same bytes for the same pixels)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(
        buffer, format="JPEG", quality=_JPEG_QUALITY, optimize=False
    )
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
