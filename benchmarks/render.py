"""The photoreal renderer beside the usual ways of drawing dots into an image.

The same 50,000 impressions of a full-density Norwood 7 head, seen from the top at
1024 × 1024: smpstudio renders the whole photoreal view (lit skin with its texture, the
shadow and stubble of the remaining hair, every impression as pigment under the skin, sRGB
encoding), from scratch and with the base cached as the live designer has it; and its dot
stage alone — the impressions (their dermal blur, size and dilution) drawn into the cached
base and encoded. The peers only draw the dots' projected discs — Pillow
``ImageDraw.ellipse`` one by one, and matplotlib ``scatter`` into an Agg canvas of the same
size. Then a 4096 × 4096 view with its peak memory and stages, in a fresh process with one
and with two Numba threads.
"""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable
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
        skin = _photo._shade(seen, frame, look, seed)
        del seen
        mark("skin shading and texture")
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
    results["smpstudio_cold_s"] = median_seconds(cold, repeat=5, warmup=1)
    # The machine is shared: each round runs every contender once, so that a slow spell
    # slows all of them alike, and the ratios are of medians over the same rounds.
    results.update(
        _interleaved(
            {
                "smpstudio_s": warm,
                "dot_stage_s": lambda: draw_splats(base, impression_splats(base, dots)),
                "draw_s": lambda: draw_splats(base, splats),
                "pillow_ellipse_s": lambda: _pillow(col, row, radius),
                "matplotlib_scatter_s": lambda: _matplotlib(col, row, radius),
            },
            rounds=9,
        )
    )
    results["stages"] = {str(SIZE): stages(SIZE)}
    results["two_threads"] = _in_fresh_process(_DOTS_CODE, threads=2)
    results["big"] = {str(n): _in_fresh_process(_BIG_CODE, threads=n) for n in (1, 2)}
    return results


_DOTS_CODE = (
    "import json\n"
    "from benchmarks.render import _scene, SIZE\n"
    "from benchmarks._timing import median_seconds\n"
    "from smpstudio.render import draw_splats, impression_splats, view_base\n"
    "d, dots, look = _scene()\n"
    "base = view_base(d, look, view_name='top', size=SIZE)\n"
    "splats = impression_splats(base, dots)\n"
    "draw = median_seconds(lambda: draw_splats(base, splats), repeat=31, warmup=2)\n"
    "print(json.dumps({'draw_s': draw}))\n"
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


def markdown(r: dict[str, Any]) -> str:
    ours, cold, dots, draw = r["smpstudio_s"], r["smpstudio_cold_s"], r["dot_stage_s"], r["draw_s"]
    draw2 = r["two_threads"]["draw_s"]
    pil, mpl = r["pillow_ellipse_s"], r["matplotlib_scatter_s"]

    def row(what: str, drawn: str, seconds: float) -> str:
        return (
            f"| {what} | {drawn} | {seconds * 1e3:.1f} ms | {pil / seconds:.1f}× "
            f"| {mpl / seconds:.1f}× |"
        )

    lines = [
        f"{r['impressions']:,} impressions ({r['splats_drawn']:,} facing the top view), "
        f"{SIZE}×{SIZE}, median after warm-up (9 interleaved rounds), {r['threads']} "
        "thread(s) unless stated.\n",
        "| renderer | what it draws | time | Pillow time / this | matplotlib time / this |",
        "|---|---|---|---|---|",
        row("smpstudio `render_view`, nothing cached", "the full photoreal view", cold),
        row("smpstudio `render_view`, base cached", "the full photoreal view", ours),
        row(
            "smpstudio `impression_splats` + `draw_splats`",
            "the impressions into the cached base, sRGB out",
            dots,
        ),
        row("smpstudio `draw_splats`", "the projected splats, sRGB out", draw),
        row("smpstudio `draw_splats`, 2 threads", "the projected splats, sRGB out", draw2),
        f"| Pillow `ImageDraw.ellipse` | flat discs only | {pil * 1e3:.0f} ms | 1.0× | |",
        f"| matplotlib `scatter` (Agg) | flat discs only | {mpl * 1e3:.0f} ms | | 1.0× |",
        "",
        "The peers are given the dots' projected discs; `draw_splats` is given their projected "
        "footprints (`impression_splats`, timed in the row above it).",
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
    small, big1, big2 = r["stages"][str(SIZE)], r["big"]["1"]["stages"], r["big"]["2"]["stages"]
    for name in small:
        lines.append(
            f"| {name} | {small[name] * 1e3:.1f} ms | {big1[name] * 1e3:.0f} ms "
            f"| {big2[name] * 1e3:.0f} ms |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    result = run()
    print(markdown(result))
    print(f"peak {peak_rss_mb():.0f} MB", file=sys.stderr)
