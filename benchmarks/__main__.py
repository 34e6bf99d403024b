"""``make bench``: run every benchmark suite and print a Markdown report."""

from __future__ import annotations

import os
import platform
import sys

os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.getcwd(), ".numba-cache"))

from benchmarks import design_core
from benchmarks._timing import peak_rss_mb


def main() -> int:
    print(
        f"# smpstudio benchmarks — Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{platform.machine()}\n"
    )
    print("## Design core (median after warm-up)\n")
    print("| what | result |\n|---|---|")
    for name, value in design_core.run():
        print(f"| {name} | {value} |")
    print(f"\npeak RSS of the benchmark process: {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
