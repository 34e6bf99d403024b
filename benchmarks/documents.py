"""The plan PDF as the studio makes it (issue 20, item 5): target ≤ 1.5 s on one core.

The same steps as the studio's ``plan.pdf`` download (``smpstudio.web._plans._pdf``): place
the design's impressions, render the top view before and healed at 640 px, build the plan,
draw the scalp chart and lay out the PDF (``smpstudio.reports.plan_files``). Measured in a
fresh process pinned to one core, with single-threaded numerical libraries: the first
document after start-up (what the first download after a restart costs) and the median of
``RUNS`` more, each step timed on its own. ``python -m benchmarks.documents`` prints JSON.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
PATTERN, HAIRLINE, SKIN, HAIR = "norwood-5", "soft", "#a07e56", "dark-brown"


def _one_document(seed: int) -> dict[str, float]:
    import datetime as dt

    from smpstudio._design import design
    from smpstudio.dots import dilution_rule, place_impressions
    from smpstudio.plan import build_plan
    from smpstudio.render import look_for, render_chart, render_view
    from smpstudio.reports import plan_files

    steps: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        steps[name] = now - clock
        clock = now

    d = design(pattern=PATTERN, hairline=HAIRLINE, seed=seed)  # a new design: no cache hit
    dots = place_impressions(d, dilution=dilution_rule(SKIN, HAIR))
    lap("impressions")
    look = look_for(SKIN, HAIR)
    before = render_view(d, None, look, view_name="top", size=640, state="before")
    after = render_view(d, dots, look, view_name="top", size=640, state="healed")
    lap("before and healed renders")
    plan = build_plan(d, dots, start=dt.date(2030, 6, 10), skin=SKIN, hair=HAIR)
    lap("plan")
    chart = render_chart(d)
    lap("scalp chart")
    files = plan_files(
        d,
        plan,
        issued=dt.datetime(2030, 6, 1, 10, 0, tzinfo=dt.UTC),
        images=[("Today", before), ("Healed", after)],
        chart=chart,
    )
    lap("PDF, JSON and calendar")
    steps["total"] = sum(steps.values())
    steps["pdf_kb"] = len(files["plan.pdf"]) / 1024
    return steps


def measure() -> dict[str, Any]:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    first = _one_document(0)
    runs = [_one_document(seed) for seed in range(1, RUNS + 1)]
    median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    return {"first": first, "median": median}


def run() -> dict[str, Any]:
    """In a fresh process of the project's ``.venv`` (the studio's environment)."""
    python = ROOT / ".venv" / "bin" / "python"
    env = {
        **os.environ,
        "NUMBA_CACHE_DIR": str(ROOT / ".numba-cache"),
        **dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"), "1"),
    }
    out = subprocess.run(
        [str(python if python.exists() else sys.executable), "-m", "benchmarks.documents"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def markdown(result: dict[str, Any]) -> str:
    first, median = result["first"], result["median"]
    lines = [
        f"The studio's plan PDF ({PATTERN}, {HAIRLINE} hairline), one core, fresh process: "
        f"first document and median of {RUNS} more, each of a new design (target ≤ 1.5 s).\n",
        "| step | first | then (median) |",
        "|---|---:|---:|",
    ]
    for key in first:
        if key == "pdf_kb":
            continue
        name = f"**{key}**" if key == "total" else key
        lines.append(f"| {name} | {first[key] * 1000:.0f} ms | {median[key] * 1000:.0f} ms |")
    lines.append(f"\nplan.pdf: {median['pdf_kb']:.0f} KB.")
    return "\n".join(lines)


if __name__ == "__main__":
    outcome = measure()
    print(markdown(outcome), file=sys.stderr)
    print(json.dumps(outcome))
