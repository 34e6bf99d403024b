"""``make bench``: every benchmark in one run, printed as Markdown (and saved in bench-out/).

Run it through ``make bench``, which builds ``.venv-bench`` (numpy 2 with the peers, which
need it) and runs ``python -m benchmarks`` there. Numerical libraries are single-threaded;
each measured worker is pinned to one core.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.getcwd(), ".numba-cache-bench"))

import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from benchmarks import (  # noqa: E402
    clinic_db,
    design_core,
    documents,
    dots_head,
    dots_peers,
    dots_sessions,
    dots_spectra,
    photo,
    render,
    startup,
    uploads,
    web,
)
from benchmarks._timing import peak_rss_mb  # noqa: E402


def _versions() -> str:
    from importlib.metadata import version

    names = ("numpy", "scipy", "numba", "bsb-native", "mapstippler", "skia-python", "pycairo")
    found = []
    for name in names:
        try:
            found.append(f"{name} {version(name)}")
        except Exception:  # a peer may be missing outside make bench
            found.append(f"{name} missing")
    return ", ".join(found)


def main() -> int:
    started = time.time()
    cpu = platform.processor() or platform.machine()
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    header = (
        f"# smpstudio benchmarks\n\nPython {platform.python_version()}, {cpu}, "
        f"{os.cpu_count()} CPUs; {_versions()}. One core per measured worker, "
        "single-threaded numerical libraries; timings after warm-up.\n"
    )
    print(header, flush=True)
    launch = startup.run()
    print(startup.markdown(launch), file=sys.stderr, flush=True)
    print("Running the blue-noise peers (several minutes)…", file=sys.stderr, flush=True)
    peer_rows = dots_peers.run(log=lambda line: print(line, file=sys.stderr, flush=True))
    sessions = dots_sessions.run()
    sections = ["## Command-line start-up\n", startup.markdown(launch), ""]
    sections += ["## Impression engine beside its peers\n", dots_peers.markdown(peer_rows), ""]
    sections += [dots_sessions.markdown(sessions), ""]
    spectra = dots_spectra.run(log=lambda line: print(line, file=sys.stderr, flush=True))
    dots_spectra.pictures(spectra)  # docs/images/dots-spectra-*.png
    sections += [dots_spectra.markdown(spectra), ""]
    head = dots_head.run()
    sections += ["## Impressions on the head\n", dots_head.markdown(head), ""]
    sections += ["## Design core (median after warm-up)\n", "| what | result |", "|---|---|"]
    sections += [f"| {name} | {value} |" for name, value in design_core.run()]
    renders = render.run()
    sections += [
        "",
        "## Photoreal renderer beside skia-python and pycairo\n",
        render.markdown(renders),
    ]
    clinic = clinic_db.run()
    sections += ["", "## Clinic database (SQLite and PostgreSQL)\n", clinic_db.markdown(clinic)]
    photos = photo.run()
    sections += ["", "## Client photo: analyze + simulate (12 MP)\n", photo.markdown(photos)]
    studio = web.run()
    decoded = uploads.run()
    sections += ["", "## Uploads decoded at the size they are used\n", uploads.markdown(decoded)]
    plan_pdf = documents.run()
    sections += ["", "## The plan PDF\n", documents.markdown(plan_pdf)]
    sections += ["", "## Web studio (live preview, sign-in to first paint)\n", web.markdown(studio)]
    sections.append(
        f"\nPeak RSS of the benchmark process: {peak_rss_mb():.0f} MB; "
        f"wall time {time.time() - started:.0f} s."
    )
    report = header + "\n" + "\n".join(sections) + "\n"
    print("\n".join(sections), flush=True)
    out = Path("bench-out")
    out.mkdir(exist_ok=True)
    (out / "report.md").write_text(report)
    (out / "results.json").write_text(
        json.dumps(
            {
                "peers": peer_rows,
                "sessions": sessions,
                "dots_checks": spectra["checks"],
                "head": head,
                "render": renders,
                "clinic": clinic,
                "photo": photos,
                "web": studio,
                "startup": launch,
                "uploads": decoded,
                "documents": plan_pdf,
            },
            indent=1,
            default=float,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
