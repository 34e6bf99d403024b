"""Start-up of the command line: the real ``smpstudio`` console script, as a user types it.

Like hyperfine: each command runs a few times to warm the disk cache, then ``RUNS`` times;
the table gives the median and the fastest wall time, and the median CPU time of the process
(user + system, which a busy machine does not inflate the way it inflates wall time).
Targets (issue 20): ``smpstudio --help`` ≤ 0.3 s and ``smpstudio skin '#c69c7a'`` ≤ 0.8 s
wall on a quiet machine.

The script measured is the project's ``.venv/bin/smpstudio`` (what ``make install`` gives a
user), else the one beside this interpreter. ``python -m benchmarks.startup`` prints JSON.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUNS = 15
WARMUP = 3
COMMANDS: list[tuple[str, list[str], float]] = [
    ("smpstudio --help", ["--help"], 0.3),
    ("smpstudio skin '#c69c7a'", ["skin", "#c69c7a"], 0.8),
    ("smpstudio --version", ["--version"], 0.3),
]


def console_script() -> Path:
    """The ``smpstudio`` script of the project's environment, else of this interpreter's."""
    for candidate in (
        ROOT / ".venv" / "bin" / "smpstudio",
        Path(sys.executable).with_name("smpstudio"),
    ):
        if candidate.exists():
            return candidate
    raise RuntimeError("no smpstudio console script: run 'make install' first")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_command(script: Path, args: list[str], *, runs: int = RUNS) -> dict[str, float]:
    """Median and fastest wall time, and median CPU time, of ``script args`` (seconds)."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(ROOT / ".numba-cache")}
    walls, cpus = [], []
    for i in range(WARMUP + runs):
        cpu_before = _children_cpu()
        started = time.perf_counter()
        subprocess.run([str(script), *args], env=env, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - started
        if i >= WARMUP:
            walls.append(wall)
            cpus.append(_children_cpu() - cpu_before)
    return {
        "median_s": statistics.median(walls),
        "min_s": min(walls),
        "cpu_median_s": statistics.median(cpus),
    }


def run() -> list[dict[str, Any]]:
    script = console_script()
    rows = []
    for label, args, target in COMMANDS:
        rows.append({"command": label, "target_s": target, **time_command(script, args)})
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"The console script as a user runs it: median of {RUNS} runs after {WARMUP} warm-ups "
        "(a new process each time).\n",
        "| command | median wall | fastest | median CPU | target (quiet machine) |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| `{r['command']}` | {r['median_s']:.2f} s | {r['min_s']:.2f} s "
            f"| {r['cpu_median_s']:.2f} s | ≤ {r['target_s']:.1f} s |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    results = run()
    print(markdown(results), file=sys.stderr)
    print(json.dumps(results))
