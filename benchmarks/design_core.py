"""Design core: building a design, integrating it over the head, sampling its fields,
rendering orthographic views and the scalp chart."""

from __future__ import annotations

import numpy as np

import smpstudio
from benchmarks._timing import median_seconds
from smpstudio.render import cast_view, render_chart, view


def run() -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    build = median_seconds(lambda: smpstudio.design(pattern="norwood-7", hairline="soft", seed=1))
    rows.append(("design() — Norwood 7, soft hairline", f"{build * 1e3:.0f} ms"))
    d = smpstudio.design(pattern="norwood-7", hairline="soft", scars=["fut"], seed=1)
    summary = median_seconds(
        lambda: smpstudio.design(pattern="norwood-7", hairline="soft", seed=1).summary, repeat=3
    )
    rows.append(("design + areas/impressions on the 307k-triangle mesh", f"{summary * 1e3:.0f} ms"))
    rng = np.random.default_rng(0)
    pts = d.head.shape.project(rng.standard_normal((1_000_000, 3)))
    sample = median_seconds(lambda: d.field.sample(pts), repeat=3)
    rows.append(("field.sample() — 10^6 surface points", f"{1e6 / sample / 1e6:.2f} M points/s"))
    for size in (1024, 4096):
        t = median_seconds(
            lambda size=size: cast_view(d.head.shape, view("three-quarter"), size=size),
            repeat=3 if size == 1024 else 1,
        )
        rows.append((f"ray casting {size}×{size} (exact surface, Numba)", f"{t * 1e3:.0f} ms"))
    chart = median_seconds(lambda: render_chart(d), repeat=3)
    rows.append(("scalp chart (4 views, 2× supersampled)", f"{chart * 1e3:.0f} ms"))
    return rows
