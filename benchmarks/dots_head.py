"""Impressions on the head: a full Norwood 7 design at the default density.

Measured in a worker pinned to one core with single-threaded kernels: the time to place every
impression of a freshly built design (median of seven, after a warm-up placement that
compiles the kernels and fills the dilution cache), the counts per session against the
design's integral, each cumulative session's local spacing on the skin and its density
error, and the extra peak memory of one placement.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import statistics
import time
from typing import Any

from benchmarks.dots_peers import _memory_kb, _reset_peak


def _worker(core: int, conn: Any) -> None:
    os.sched_setaffinity(0, {core})
    import smpstudio
    from smpstudio.dots import (
        dilution_rule,
        local_spacing,
        place_impressions,
        surface_density_error,
    )

    rule = dilution_rule("#d7bd96", "dark-brown")
    place_impressions(smpstudio.design(pattern="norwood-7", hairline="soft", seed=1), dilution=rule)
    times, cpu = [], []
    for _ in range(7):
        d = smpstudio.design(pattern="norwood-7", hairline="soft", seed=1)
        start, used = time.perf_counter(), time.process_time()
        imp = place_impressions(d, dilution=rule)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - used)
    d = smpstudio.design(pattern="norwood-7", hairline="soft", seed=1)
    _reset_peak()
    before = _memory_kb("VmRSS")
    imp = place_impressions(d, dilution=rule)
    peak = (_memory_kb("VmHWM") - before) / 1024.0
    sessions = []
    for k, share in enumerate(d.settings.session_fractions, start=1):
        sub = imp.upto(k)
        spacing = local_spacing(sub.positions, sub.target * share)
        sessions.append(
            {
                "session": k,
                "dots": len(sub),
                "expected": d.summary.impressions[k - 1],
                "rho_min": spacing.minimum,
                "rho_p01": spacing.p01,
                "rho_median": spacing.median,
                "density_error": surface_density_error(sub.positions, d, share=share),
            }
        )
    conn.send(
        {
            "median_ms": statistics.median(times) * 1e3,
            "cpu_ms": statistics.median(cpu) * 1e3,
            "min_ms": min(times) * 1e3,
            "peak_mb": peak,
            "sessions": sessions,
        }
    )


def run(*, core: int = 0) -> dict[str, Any]:
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_worker, args=(core, child), daemon=True)
    proc.start()
    child.close()
    result: dict[str, Any] = parent.recv()
    proc.join()
    return result


def markdown(result: dict[str, Any]) -> str:
    out = [
        "### A full Norwood 7 head (soft hairline, 80 impressions/cm², sessions 60/90/100 %)",
        "",
        f"Placement of every impression: **{result['median_ms']:.1f} ms** median "
        f"(best {result['min_ms']:.1f} ms; median CPU time {result['cpu_ms']:.1f} ms) on one "
        "core; "
        f"extra peak memory {result['peak_mb']:.0f} MB.",
        "",
        "| cumulative session | dots | design integral | local ρ min | local ρ p1 "
        "| local ρ median | density error (1 cm cells) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in result["sessions"]:
        out.append(
            f"| {s['session']} | {s['dots']:,} | {s['expected']:,} | {s['rho_min']:.3f} | "
            f"{s['rho_p01']:.3f} | {s['rho_median']:.3f} | {s['density_error']:.4f} |"
        )
    out.append("")
    out.append(
        "Local ρ: each dot's nearest-neighbour distance over the hexagonal spacing of the "
        "denser target of the pair (0.5 × local spacing ⇔ ρ 0.465)."
    )
    return "\n".join(out)
