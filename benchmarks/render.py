"""The photoreal renderer beside the usual ways of drawing dots into an image.

The same 50,000 impressions of a full-density Norwood 7 head, seen from the top at
1024 × 1024: smpstudio renders the whole photoreal view (lit skin with its texture, the
shadow and stubble of the remaining hair, every impression as pigment under the skin, sRGB
encoding); the peers only draw the dots' projected discs — Pillow ``ImageDraw.ellipse`` one
by one, and matplotlib ``scatter`` into an Agg canvas of the same size. Then a 4096 × 4096
view with its peak memory, measured in a fresh process.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from typing import Any

import numpy as np

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


def run() -> dict[str, Any]:
    from smpstudio.render import render_view

    d, dots, look = _scene()

    def ours() -> None:
        render_view(d, dots, look, view_name="top", size=SIZE)

    col, row, radius = _projected(d, dots)
    results: dict[str, Any] = {"impressions": len(dots), "visible_in_top_view": len(col)}
    results["smpstudio_s"] = median_seconds(ours, repeat=7, warmup=2)
    results["pillow_ellipse_s"] = median_seconds(lambda: _pillow(col, row, radius), repeat=3)
    results["matplotlib_scatter_s"] = median_seconds(
        lambda: _matplotlib(col, row, radius), repeat=3
    )
    results["big"] = _big_in_fresh_process()
    return results


def _big_in_fresh_process() -> dict[str, float]:
    code = (
        "import json, time\n"
        "from benchmarks.render import _scene, BIG\n"
        "from benchmarks._timing import peak_rss_mb\n"
        "from smpstudio.render import render_view\n"
        "d, dots, look = _scene()\n"
        "before = peak_rss_mb()\n"
        "render_view(d, dots, look, view_name='top', size=256)\n"
        "runs = []\n"
        "for _ in range(3):\n"
        "    t = time.perf_counter(); render_view(d, dots, look, view_name='top', size=BIG)\n"
        "    runs.append(time.perf_counter() - t)\n"
        "print(json.dumps({'seconds': sorted(runs)[1], 'peak_mb': peak_rss_mb(),"
        " 'scene_mb': before}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def markdown(r: dict[str, Any]) -> str:
    ours = r["smpstudio_s"]
    big = r["big"]
    lines = [
        f"{r['impressions']:,} impressions ({r['visible_in_top_view']:,} facing the top view), "
        f"{SIZE}×{SIZE}, median after warm-up, one core.\n",
        "| renderer | what it draws | time | smpstudio is faster by |",
        "|---|---|---|---|",
        f"| smpstudio `render_view` | the full photoreal view | {ours * 1e3:.0f} ms | — |",
        f"| Pillow `ImageDraw.ellipse` | flat discs only | {r['pillow_ellipse_s'] * 1e3:.0f} ms "
        f"| {r['pillow_ellipse_s'] / ours:.1f}× |",
        f"| matplotlib `scatter` (Agg) | flat discs only | "
        f"{r['matplotlib_scatter_s'] * 1e3:.0f} ms | {r['matplotlib_scatter_s'] / ours:.1f}× |",
        "",
        f"{BIG}×{BIG}: {big['seconds']:.2f} s (median of 3, fresh process, geometry not cached), "
        f"peak memory {big['peak_mb']:.0f} MB (of which {big['scene_mb']:.0f} MB before the "
        "first render).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    result = run()
    print(markdown(result))
    print(f"peak {peak_rss_mb():.0f} MB", file=sys.stderr)
