"""The photoreal renderer beside peers that draw the same impressions the same way.

The same 50,000 impressions of a full-density Norwood 7 head, seen from the top at
1024 × 1024. smpstudio renders the whole photoreal view (lit skin with its texture, the
shadow and stubble of the remaining hair, every impression as pigment under the skin, sRGB
encoding), from scratch and with the base cached as the live designer has it; and its dot
stage alone — the impressions projected (``impression_splats``) and drawn into the cached
base (``draw_splats``).

The like-for-like peers, skia-python and pycairo, are handed the same cached base and the
same projected splats and draw them as ``draw_splats`` does: every impression facing the
camera, in the same order, as its anisotropic Gaussian footprint (the same covariance, the
dermal spread of ``PigmentModel.splat`` and ``_disc_splats``) with the same peak coverage,
cut to the same pixel box (± 3 σ of the wider axis), multiplying the skin in linear light
by ``1 - coverage × strength`` per channel — the separable *multiply* blend mode with the
impression's colour ``1 - strength`` at alpha ``coverage`` is exactly that — then the
stubble's layer added and the result encoded to 8-bit sRGB. Each footprint is a radial
gradient of ``exp(-r²/2)`` (48 evenly spaced stops out to 5 σ) under the affine map of
the covariance's Cholesky factor: the fastest faithful way found in both libraries (a
blur mask filter is isotropic only, and took 1.5× as long in skia). Their output is
compared with ours pixel by pixel (:data:`TOLERANCE`).

Pillow ``ImageDraw.ellipse`` and matplotlib ``scatter`` stay for reference only: they draw
the dots' projected discs flat, not the same image. Then a 4096 × 4096 view with its peak
memory and stages, in a fresh process with one and with two Numba threads.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from benchmarks._timing import median_seconds, peak_rss_mb

SIZE = 1024
BIG = 4096
TARGET_DOTS = 50_000
SKIN, HAIR = "#d7bd96", "dark-brown"


def _scene() -> tuple[Any, Any, Any]:
    import smpstudio
    from smpstudio.dots import dilution_rule, place_impressions
    from smpstudio.render import look_for

    settings = smpstudio.Settings.from_overrides({"density_full_per_cm2": 150})
    d = smpstudio.design(pattern="norwood-7", hairline="soft", seed=1, settings=settings)
    rule = dilution_rule(SKIN, HAIR)
    parts = [place_impressions(d, dilution=rule)]
    seed = 2
    while sum(len(p) for p in parts) < TARGET_DOTS:  # a second layer tops the count up
        other = smpstudio.design(pattern="norwood-7", hairline="soft", seed=seed, settings=settings)
        parts.append(place_impressions(other, dilution=rule))
        seed += 1
    joined = dataclasses.replace(
        parts[0],
        **{
            f.name: np.concatenate([getattr(p, f.name) for p in parts])[:TARGET_DOTS]
            for f in dataclasses.fields(parts[0])
            if isinstance(getattr(parts[0], f.name), np.ndarray)
        },
    )
    return d, joined, look_for(SKIN, HAIR)


def _projected(d: Any, dots: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # type: ignore[type-arg]
    from smpstudio.render import frame_for

    frame = frame_for(d.head.shape, "top", SIZE)
    col, row, _ = frame.project(dots.positions)
    facing = d.head.shape.normal(dots.positions) @ np.asarray(frame.view.forward) < 0
    radius = dots.diameter_mm / 2.0 / frame.mm_per_px
    return col[facing], row[facing], np.maximum(radius[facing], 0.5)


def _pillow(col: np.ndarray, row: np.ndarray, radius: np.ndarray) -> None:  # type: ignore[type-arg]
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (SIZE, SIZE), (215, 189, 150))
    draw = ImageDraw.Draw(image)
    for x, y, r in zip(col.tolist(), row.tolist(), radius.tolist(), strict=True):
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(90, 80, 75))
    image.tobytes()


def _matplotlib(col: np.ndarray, row: np.ndarray, radius: np.ndarray) -> None:  # type: ignore[type-arg]
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(SIZE / 100, SIZE / 100), dpi=100)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, SIZE)
    ax.set_ylim(SIZE, 0)
    ax.axis("off")
    ax.scatter(col, row, s=(2 * radius * 72 / 100) ** 2, c="#5a504b", linewidths=0)
    canvas.draw()
    np.asarray(canvas.buffer_rgba())


# --- Like-for-like peers: the same splats drawn the same way -------------------------------

GRADIENT_SIGMAS = 5.0  # the footprints' gradients run out to 5 σ (e^-12.5 ≈ 4e-6), then 0
GRADIENT_STOPS = 48  # evenly spaced: linear interpolation of exp(-r²/2) within 8e-4
TOLERANCE = {"mean": 0.5, "over_2_pct": 0.5}
"""Agreement with smpstudio's 8-bit sRGB output that counts as the same image: mean
absolute difference ≤ 0.5 level and at most 0.5 % of the channel values more than 2
levels apart (the peers store linear light in 8, 10 or 32 bits and round at each blend)."""


def _footprints(
    splats: Any, height: int, width: int
) -> tuple[list[tuple[float, ...]], list[tuple[float, float, float]]]:
    """Per impression, in draw order: centre, Cholesky factor of the covariance, peak
    coverage, pixel box and which colour; and the colours ``1 - strength``.

    The same quantities ``draw_splats`` / ``prepare_splats`` derive from the splats. The
    peak coverage ``area / (2π √det)`` never exceeds 1 for impressions (the 1/12 px² pixel
    blur only widens the footprint), so ``min(coverage, 1)`` is the coverage itself."""
    if splats.halo_px > 0.0:
        raise ValueError("the peers draw healed impressions (no fresh halos)")
    cov, centres = splats.cov, splats.centres
    cx, cy = centres[:, 0], centres[:, 1]
    peak = splats.area / (2.0 * np.pi * np.sqrt(cov[:, 0] * cov[:, 2] - cov[:, 1] ** 2))
    reach = 3.0 * np.sqrt(np.maximum(cov[:, 0], cov[:, 2]))
    r0 = np.maximum(np.trunc(cy - reach), 0)
    r1 = np.minimum(np.trunc(cy + reach) + 1, height)
    c0 = np.maximum(np.trunc(cx - reach), 0)
    c1 = np.minimum(np.trunc(cx + reach) + 1, width)
    l00 = np.sqrt(cov[:, 0])
    l10 = cov[:, 1] / l00
    l11 = np.sqrt(cov[:, 2] - l10**2)
    colours, which = np.unique(splats.strength, axis=0, return_inverse=True)
    rows = list(
        zip(
            *(a.tolist() for a in (cx, cy, l00, l10, l11, peak, c0, r0, c1, r1)),
            which.ravel().tolist(),
            strict=True,
        )
    )
    return rows, [(1.0 - s[0], 1.0 - s[1], 1.0 - s[2]) for s in colours.tolist()]


def _gaussian_stops() -> tuple[list[float], list[float]]:
    """Positions (0–1 of the radius) and values of ``exp(-r²/2)`` at the gradient stops."""
    r = np.linspace(0.0, GRADIENT_SIGMAS, GRADIENT_STOPS)
    return (r / GRADIENT_SIGMAS).tolist(), np.exp(-0.5 * r**2).tolist()


class _Skia:
    """skia-python, raster (CPU) canvas of linear RGBA float32.

    The canvas has no colour space, so Skia takes every value as given (the gradient's
    8-bit colours included: tagged sRGB, they would be converted to linear); the snapshot
    is then tagged linear sRGB and Skia encodes it to 8-bit sRGB when read out."""

    def __init__(self, base: Any) -> None:
        import skia

        self.height, self.width = base.skin.shape[:2]
        opaque = np.ones((self.height, self.width, 1), np.float32)
        clear = np.zeros_like(opaque)
        f32, premul = skia.ColorType.kRGBA_F32_ColorType, skia.AlphaType.kPremul_AlphaType
        self.skin = skia.Image.fromarray(
            np.concatenate([base.skin, opaque], axis=2), colorType=f32, alphaType=premul
        )
        self.hair = skia.Image.fromarray(
            np.concatenate([base.hair, clear], axis=2), colorType=f32, alphaType=premul
        )
        self.info = skia.ImageInfo.Make(self.width, self.height, f32, premul)
        self.out_info = skia.ImageInfo.Make(
            self.width,
            self.height,
            skia.ColorType.kRGBA_8888_ColorType,
            premul,
            skia.ColorSpace.MakeSRGB(),
        )

    def draw(self, splats: Any) -> np.ndarray:  # type: ignore[type-arg]
        import skia

        rows, colours = _footprints(splats, self.height, self.width)
        surface = skia.Surface.MakeRaster(self.info)
        canvas = surface.getCanvas()
        copy = skia.Paint(BlendMode=skia.BlendMode.kSrc)
        canvas.drawImage(self.skin, 0, 0, skia.SamplingOptions(), copy)
        _, values = _gaussian_stops()
        paints = []
        for r, g, b in colours:
            stops = [skia.Color4f(r, g, b, a).toColor() for a in values]
            paint = skia.Paint(BlendMode=skia.BlendMode.kMultiply)
            paint.setShader(
                skia.GradientShader.MakeRadial(skia.Point(0, 0), GRADIENT_SIGMAS, stops)
            )
            paints.append(paint)
        shape = skia.Matrix()
        for x, y, a, b, c, peak, x0, y0, x1, y1, k in rows:
            shape.setAll(a, 0.0, x, b, c, y, 0.0, 0.0, 1.0)
            paint = paints[k]
            paint.setAlphaf(peak)
            canvas.save()
            canvas.clipRect(skia.Rect.MakeLTRB(x0, y0, x1, y1))
            canvas.concat(shape)
            canvas.drawPaint(paint)
            canvas.restore()
        canvas.drawImage(
            self.hair, 0, 0, skia.SamplingOptions(), skia.Paint(BlendMode=skia.BlendMode.kPlus)
        )
        out = np.empty((self.height, self.width, 4), np.uint8)
        linear = surface.makeImageSnapshot().reinterpretColorSpace(skia.ColorSpace.MakeSRGBLinear())
        if not linear.readPixels(self.out_info, out, self.width * 4, 0, 0):
            raise RuntimeError("skia could not read the canvas")
        return out[:, :, :3]


class _Cairo:
    """pycairo on an image surface of linear RGB: 8 bits a channel (``ARGB32``, its usual
    format) or 10 (``RGB30``); Debian's cairo 1.16 has no float surfaces. Cairo does not
    encode colour, so the 8- or 10-bit linear values go to sRGB through a table."""

    def __init__(self, base: Any, *, bits: int) -> None:
        import cairo

        from smpstudio.render._kernels import SRGB_TABLE

        self.height, self.width = base.skin.shape[:2]
        self.format = cairo.FORMAT_RGB30 if bits == 10 else cairo.FORMAT_ARGB32
        self.bits = bits
        self.skin, self.hair = self._pack(base.skin), self._pack(base.hair)
        top = (1 << bits) - 1
        self.table = SRGB_TABLE[np.rint(np.arange(top + 1) / top * 65535).astype(np.int64)]

    def _pack(self, rgb: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
        top = (1 << self.bits) - 1
        q = np.clip(np.rint(rgb * top), 0, top).astype(np.uint32)
        packed = (q[..., 0] << (2 * self.bits)) | (q[..., 1] << self.bits) | q[..., 2]
        if self.bits == 8:
            packed |= np.uint32(0xFF000000)
        return np.ascontiguousarray(packed)

    def _surface(self, pixels: np.ndarray) -> Any:  # type: ignore[type-arg]
        import cairo

        return cairo.ImageSurface.create_for_data(
            memoryview(pixels), self.format, self.width, self.height, self.width * 4
        )

    def draw(self, splats: Any) -> np.ndarray:  # type: ignore[type-arg]
        import cairo

        rows, colours = _footprints(splats, self.height, self.width)
        surface = cairo.ImageSurface(self.format, self.width, self.height)
        ctx = cairo.Context(surface)
        ctx.set_operator(cairo.OPERATOR_SOURCE)
        ctx.set_source_surface(self._surface(self.skin))
        ctx.paint()
        ctx.set_operator(cairo.OPERATOR_MULTIPLY)
        positions, values = _gaussian_stops()
        gradients = []
        for r, g, b in colours:
            gradient = cairo.RadialGradient(0.0, 0.0, 0.0, 0.0, 0.0, GRADIENT_SIGMAS)
            for t, a in zip(positions, values, strict=True):
                gradient.add_color_stop_rgba(t, r, g, b, a)
            gradients.append(gradient)
        for x, y, a, b, c, peak, x0, y0, x1, y1, k in rows:
            to_pattern = cairo.Matrix(a, b, 0.0, c, x, y)
            to_pattern.invert()
            gradient = gradients[k]
            gradient.set_matrix(to_pattern)
            ctx.set_source(gradient)
            ctx.rectangle(x0, y0, x1 - x0, y1 - y0)
            ctx.clip()
            ctx.paint_with_alpha(peak)
            ctx.reset_clip()
        ctx.set_operator(cairo.OPERATOR_ADD)
        ctx.set_source_surface(self._surface(self.hair))
        ctx.paint()
        surface.flush()
        packed = np.ndarray((self.height, self.width), np.uint32, buffer=surface.get_data())
        top = (1 << self.bits) - 1
        return np.stack([self.table[(packed >> (s * self.bits)) & top] for s in (2, 1, 0)], axis=2)


def difference(ours: np.ndarray, theirs: np.ndarray) -> dict[str, float]:  # type: ignore[type-arg]
    """Per-channel absolute difference of two 8-bit images, in levels."""
    d = np.abs(ours.astype(np.int16) - theirs.astype(np.int16))
    return {
        "mean": float(d.mean()),
        "over_2_pct": float((d > 2).mean() * 100.0),
        "max": float(d.max()),
    }


def faithful(diff: dict[str, float]) -> bool:
    return diff["mean"] <= TOLERANCE["mean"] and diff["over_2_pct"] <= TOLERANCE["over_2_pct"]


def _interleaved(contenders: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    import time

    times: dict[str, list[float]] = {name: [] for name in contenders}
    for fn in contenders.values():
        fn()
    for _ in range(rounds):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(runs) for name, runs in times.items()}


def _clear_caches() -> None:
    from smpstudio.render import _photo

    _photo._BASES.clear()
    _photo._cached_visibility.cache_clear()
    _photo.frame_for.cache_clear()


def stages(size: int, repeat: int = 3) -> dict[str, float]:
    """Median seconds of each stage of a top view of the scene, nothing cached."""
    import time

    from smpstudio.render import _photo, draw_splats, impression_splats
    from smpstudio.render._brows import draw_brows
    from smpstudio.render._hair import stubble
    from smpstudio.render._raster import visibility

    d, dots, look = _scene()
    shape, seed = d.head.shape, d.inputs["seed"]
    hair = stubble(d, seed=seed)
    runs: list[dict[str, float]] = []
    for _ in range(repeat + 1):
        t: dict[str, float] = {}
        last = [time.perf_counter()]

        def mark(name: str, t: dict[str, float] = t, last: list[float] = last) -> None:
            now = time.perf_counter()
            t[name] = now - last[0]
            last[0] = now

        frame = _photo.frame_for(shape, "top", size)
        seen = visibility(shape, frame)
        mark("geometry (z-buffer)")
        skin = _photo._shade(seen, frame, shape, look, seed)
        mark("skin shading and texture")
        draw_brows(skin, frame, shape, look.hair_linear, seed, seen=seen)
        del seen
        mark("brows")
        _photo._draw_buried_hair(skin, frame, shape, hair, look)
        mark("shadow of the buried hair")
        layer = _photo._cover_cut_hair(skin, frame, shape, hair, look)
        mark("cut stubble")
        base = _photo.ViewBase(shape, frame, look, skin, layer, None)
        splats = impression_splats(base, dots)
        mark("impressions: projection, colour model")
        pixels = draw_splats(base, splats)
        mark("impressions: splats + sRGB encoding")
        Image.fromarray(pixels, "RGB")
        mark("PIL image")
        runs.append(t)
        del skin, layer, base, pixels
    return {k: statistics.median(r[k] for r in runs[1:]) for k in runs[0]}


def run() -> dict[str, Any]:
    import numba

    from smpstudio.render import draw_splats, impression_splats, render_view, view_base

    d, dots, look = _scene()
    col, row, radius = _projected(d, dots)
    results: dict[str, Any] = {"impressions": len(dots), "visible_in_top_view": len(col)}
    results["threads"] = numba.get_num_threads()

    def cold() -> None:
        _clear_caches()
        render_view(d, dots, look, view_name="top", size=SIZE)

    def warm() -> None:
        render_view(d, dots, look, view_name="top", size=SIZE)

    base = view_base(d, look, view_name="top", size=SIZE)
    splats = impression_splats(base, dots)
    results["splats_drawn"] = len(splats)
    peers = {
        "skia": _Skia(base),
        "cairo": _Cairo(base, bits=8),
        "cairo_10bit": _Cairo(base, bits=10),
    }
    ours = draw_splats(base, splats)
    results["difference"] = {name: difference(ours, p.draw(splats)) for name, p in peers.items()}
    results["smpstudio_cold_s"] = median_seconds(cold, repeat=5, warmup=1)
    # The machine is shared: each round runs every contender once, so that a slow spell
    # slows all of them alike, and the ratios are of medians over the same rounds.
    results.update(
        _interleaved(
            {
                "smpstudio_s": warm,
                "dot_stage_s": lambda: draw_splats(base, impression_splats(base, dots)),
                "draw_s": lambda: draw_splats(base, splats),
                **{f"{name}_s": (lambda p=p: p.draw(splats)) for name, p in peers.items()},
                "pillow_ellipse_s": lambda: _pillow(col, row, radius),
                "matplotlib_scatter_s": lambda: _matplotlib(col, row, radius),
            },
            rounds=9,
        )
    )
    alike = {n: results[f"{n}_s"] for n in peers if faithful(results["difference"][n])}
    results["fastest_peer"] = min(alike, key=alike.__getitem__) if alike else None
    results["stages"] = {str(SIZE): stages(SIZE)}
    results["two_threads"] = _in_fresh_process(_DOTS_CODE, threads=2)
    digest = hashlib.sha256(ours.tobytes()).hexdigest()
    results["two_threads"]["same_bytes"] = results["two_threads"].pop("sha256") == digest
    results["big"] = {str(n): _in_fresh_process(_BIG_CODE, threads=n) for n in (1, 2)}
    return results


_DOTS_CODE = (
    "import hashlib, json\n"
    "from benchmarks.render import _scene, SIZE\n"
    "from benchmarks._timing import median_seconds\n"
    "from smpstudio.render import draw_splats, impression_splats, view_base\n"
    "d, dots, look = _scene()\n"
    "base = view_base(d, look, view_name='top', size=SIZE)\n"
    "splats = impression_splats(base, dots)\n"
    "draw = median_seconds(lambda: draw_splats(base, splats), repeat=31, warmup=2)\n"
    "digest = hashlib.sha256(draw_splats(base, splats).tobytes()).hexdigest()\n"
    "print(json.dumps({'draw_s': draw, 'sha256': digest}))\n"
)

_BIG_CODE = (
    "import json, time\n"
    "from benchmarks.render import _scene, BIG, stages\n"
    "from benchmarks._timing import peak_rss_mb\n"
    "from smpstudio.render import render_view\n"
    "d, dots, look = _scene()\n"
    "before = peak_rss_mb()\n"
    "render_view(d, dots, look, view_name='top', size=256)\n"
    "runs = []\n"
    "for _ in range(3):\n"
    "    t = time.perf_counter(); render_view(d, dots, look, view_name='top', size=BIG)\n"
    "    runs.append(time.perf_counter() - t)\n"
    "peak = peak_rss_mb()\n"
    "print(json.dumps({'seconds': sorted(runs)[1], 'peak_mb': peak,"
    " 'scene_mb': before, 'stages': stages(BIG, repeat=2)}))\n"
)


def _in_fresh_process(code: str, *, threads: int) -> dict[str, Any]:
    env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


_PEERS = {
    "skia": "skia-python, radial gradients, float32 canvas",
    "cairo": "pycairo, radial gradients, 8-bit linear surface",
    "cairo_10bit": "pycairo, radial gradients, 10-bit linear surface",
}


def markdown(r: dict[str, Any]) -> str:
    ours, cold, dots, draw = r["smpstudio_s"], r["smpstudio_cold_s"], r["dot_stage_s"], r["draw_s"]
    draw2 = r["two_threads"]["draw_s"]
    pil, mpl = r["pillow_ellipse_s"], r["matplotlib_scatter_s"]
    best = r["fastest_peer"]
    peer = r[f"{best}_s"] if best else float("nan")

    def row(what: str, drawn: str, seconds: float, diff: str = "(this)") -> str:
        return f"| {what} | {drawn} | {seconds * 1e3:.1f} ms | {diff} | {peer / seconds:.1f}× |"

    def versus(name: str) -> str:
        d = r["difference"][name]
        verdict = "same image" if faithful(d) else "**outside tolerance**"
        return f"{d['mean']:.2f} / {d['over_2_pct']:.3f} % / {d['max']:.0f} ({verdict})"

    same_bytes = "identical bytes" if r["two_threads"]["same_bytes"] else "**bytes differ**"
    big1 = r["big"]["1"]
    lines = [
        f"{r['impressions']:,} impressions ({r['splats_drawn']:,} facing the top view), "
        f"{SIZE}×{SIZE}, median after warm-up (9 interleaved rounds), {r['threads']} "
        "thread(s) unless stated. Difference: per 8-bit sRGB channel value against "
        "smpstudio's `draw_splats`, mean / share more than 2 levels apart / max (tolerance: "
        f"mean ≤ {TOLERANCE['mean']}, ≤ {TOLERANCE['over_2_pct']} % over 2 levels).\n",
        "| renderer | what it draws | time | difference to smpstudio | "
        f"{best or 'no peer'} time / this |",
        "|---|---|---|---|---|",
        row("smpstudio `render_view`, nothing cached", "the full photoreal view", cold, "—"),
        row("smpstudio `render_view`, base cached", "the full photoreal view", ours, "—"),
        row(
            "smpstudio `impression_splats` + `draw_splats`",
            "the impressions projected and drawn into the cached base, sRGB out",
            dots,
        ),
        row("smpstudio `draw_splats`", "the projected splats into the cached base, sRGB out", draw),
        row("smpstudio `draw_splats`, 2 threads", "the same", draw2, same_bytes),
        *(
            row(label, "the same splats the same way, sRGB out", r[f"{name}_s"], versus(name))
            for name, label in _PEERS.items()
        ),
        f"| Pillow `ImageDraw.ellipse` (reference only) | flat discs, not the same image | "
        f"{pil * 1e3:.0f} ms | — | {peer / pil:.1f}× |",
        f"| matplotlib `scatter`, Agg (reference only) | flat discs, not the same image | "
        f"{mpl * 1e3:.0f} ms | — | {peer / mpl:.1f}× |",
        "",
        f"Targets: dot stage ≥ 3× the faster like-for-like peer — {peer / dots:.1f}× "
        f"({best}); full {SIZE}² view with the base cached ≤ 50 ms — {ours * 1e3:.1f} ms; "
        f"{BIG}² ≤ 2 s and ≤ 1 GB — {big1['seconds']:.2f} s and {big1['peak_mb']:.0f} MB on "
        "one thread.",
        "",
        f"{BIG}×{BIG} (median of 3, fresh process, geometry not cached): "
        + "; ".join(
            f"{n} thread(s) {big['seconds']:.2f} s, peak memory {big['peak_mb']:.0f} MB "
            f"({big['scene_mb']:.0f} MB before the first render)"
            for n, big in r["big"].items()
        )
        + ".",
        "",
        "Where the time goes (top view, nothing cached):",
        "",
        f"| stage | {SIZE}² | {BIG}², 1 thread | {BIG}², 2 threads |",
        "|---|---|---|---|",
    ]
    small, one, two = r["stages"][str(SIZE)], big1["stages"], r["big"]["2"]["stages"]
    for name in small:
        lines.append(
            f"| {name} | {small[name] * 1e3:.1f} ms | {one[name] * 1e3:.0f} ms "
            f"| {two[name] * 1e3:.0f} ms |"
        )
    return "\n".join(lines)


if __name__ == "__main__":  # the render part alone, as make bench runs it
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(_var, "1")
    os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.getcwd(), ".numba-cache-bench"))
    result = run()
    out = Path("bench-out")
    out.mkdir(exist_ok=True)
    (out / "render.json").write_text(json.dumps(result, indent=1, default=float))
    print(markdown(result))
    print(f"peak {peak_rss_mb():.0f} MB", file=sys.stderr)
