"""The benchmark environment (``.venv-bench``, built from ``requirements/bench.txt``) holds
every package the project's code imports on the benchmarks' paths: ``make bench`` broke
once, silently, when the clinic began to sign staff in with pyotp and argon2."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What the benchmarks that run in ``.venv-bench`` import from the project: every module-level
# import of benchmarks/*.py (the photo and web benchmarks re-run themselves in ``.venv`` for
# what they import inside their functions), and the renderer's internals the render
# benchmark times stage by stage.
BENCHMARKED = (
    "smpstudio",
    "smpstudio.clinic",
    "smpstudio.clinic._synthetic",
    "smpstudio.colour",
    "smpstudio.colour._convert",
    "smpstudio.dots",
    "smpstudio.dots._metrics",
    "smpstudio.render",
    "smpstudio.render._brows",
    "smpstudio.render._hair",
    "smpstudio.render._raster",
)
ENVIRONMENT = {"pip", "setuptools"}  # installers, imported by site hooks of a venv
OPTIONAL = {"pyyaml"}  # numba imports it when present (for a .numba_config.yaml)


def _name(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def test_the_list_names_every_project_module_the_benchmarks_import() -> None:
    found = set()
    for path in (ROOT / "benchmarks").glob("*.py"):
        found |= set(re.findall(r"^(?:from|import) (smpstudio[\w.]*)", path.read_text(), re.M))
    assert found <= set(BENCHMARKED)


def test_the_bench_requirements_pin_every_package_those_modules_import() -> None:
    code = (
        "import importlib, json, sys\n"
        f"for m in {BENCHMARKED!r}: importlib.import_module(m)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    owners = packages_distributions()
    needed = (
        {
            _name(dist)
            for module in json.loads(out.strip().splitlines()[-1])
            for dist in owners.get(module, [])
        }
        - {"smpstudio"}
        - ENVIRONMENT
        - OPTIONAL
    )
    lines = (ROOT / "requirements" / "bench.txt").read_text().splitlines()
    pinned = {_name(line.split("==")[0]) for line in lines if "==" in line}
    assert not needed - pinned, f"add to requirements/bench.txt: {sorted(needed - pinned)}"


def test_the_renderer_stages_the_benchmark_times_still_run() -> None:
    """``benchmarks.render.stages`` calls the renderer's internals one by one; it broke
    silently when the head gained brows (``make bench`` stopped there)."""
    from benchmarks import render

    timings = render.stages(96, repeat=1)
    assert {"skin shading and texture", "brows", "cut stubble"} <= set(timings)
    assert all(t >= 0 for t in timings.values())
