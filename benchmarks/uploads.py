"""Uploads decoded at the size they are used (issue 20, item 3): what a 50 MP photo costs.

Every upload goes through :func:`smpstudio.web._uploads.ingest_photo` (check, decode, turn
upright, sRGB, rebuild from pixels, a new JPEG). It now decodes at about the size it is used
at: a stored clinical photo at 4,000 px, a visitor's photo (read for its skin tone only) at
512 px — JPEG scaled by libjpeg while decoding, PNG and WebP shrunk by libvips while they
are decoded. The table sets that beside what the studio did before for both uses: decode
every pixel, then shrink to 4,000 px and encode. One process, its CPU time (what a loaded
machine does not inflate much; libvips's decoding thread counts too) and wall time, median
of ``RUNS``. Target: ≤ 0.5 s for a 50 MP photo.

The images: a 50 MP (8,660 × 5,773) photo-like JPEG (quality 90) and WebP (quality 80), and
the hostile case of the issue: a 7,000 × 7,000 PNG of one colour, 160 KB on the wire.

The bench environment has no web dependencies, so this module re-runs itself with the
project's ``.venv`` Python when needed (``python -m benchmarks.uploads`` prints JSON).
"""

from __future__ import annotations

import io
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUNS = 3
SIDES = (
    ("before: every pixel, then 4,000 px", None),
    ("clinical photo, 4,000 px", 4000),
    ("skin tone, 512 px", 512),
)


def _before(data: bytes) -> Any:
    """What ``ingest_photo`` did before: decode every pixel, then shrink and encode."""
    import numpy as np
    from PIL import Image

    from smpstudio import photo
    from smpstudio.web._uploads import Ingested

    image = Image.fromarray(np.ascontiguousarray(photo.ingest_photo(data).pixels), "RGB")
    image.thumbnail((4000, 4000), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return Ingested(buffer.getvalue(), np.asarray(image, dtype=np.uint8))


def _images() -> dict[str, bytes]:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(20)
    width, height = 8660, 5773
    y, x = np.mgrid[0:height:8, 0:width:8]
    coarse = np.stack([x * 255 // width, y * 255 // height, (x + y) * 255 // (width + height)], -1)
    smooth = Image.fromarray(coarse.astype(np.uint8)).resize((width, height), Image.BILINEAR)
    noisy = np.asarray(smooth).astype(np.int16) + rng.integers(-8, 8, (height, width, 3), np.int16)
    photo = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
    out = {}
    for name, fmt, params in (
        ("50 MP JPEG", "JPEG", {"quality": 90}),
        ("50 MP WebP", "WEBP", {"quality": 80}),
    ):
        buffer = io.BytesIO()
        photo.save(buffer, fmt, **params)
        out[name] = buffer.getvalue()
    buffer = io.BytesIO()
    Image.new("RGB", (7000, 7000), "#8d5524").save(buffer, "PNG", optimize=True)
    out["49 MP PNG, one colour"] = buffer.getvalue()
    return out


def measure() -> list[dict[str, Any]]:
    from smpstudio.web._uploads import ingest_photo

    rows = []
    for name, data in _images().items():
        for label, side in SIDES:
            walls, cpus = [], []
            for _ in range(RUNS):
                started, cpu = time.perf_counter(), time.process_time()
                result = ingest_photo(data, side=side) if side else _before(data)
                cpus.append(time.process_time() - cpu)
                walls.append(time.perf_counter() - started)
            rows.append(
                {
                    "image": name,
                    "bytes": len(data),
                    "use": label,
                    "pixels_out": list(result.pixels.shape[:2]),
                    "cpu_s": statistics.median(cpus),
                    "wall_s": statistics.median(walls),
                }
            )
    return rows


def run() -> list[dict[str, Any]]:
    """The measurements, in this interpreter if it has the web stack, else in ``.venv``."""
    try:
        import starlette  # noqa: F401
    except ImportError:
        python = ROOT / ".venv" / "bin" / "python"
        out = subprocess.run(
            [str(python), "-m", "benchmarks.uploads"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        result: list[dict[str, Any]] = json.loads(out.stdout.strip().splitlines()[-1])
        return result
    return measure()


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "One upload through `smpstudio.web._uploads.ingest_photo`, median of "
        f"{RUNS} (target: ≤ 0.5 s for 50 MP).\n",
        "| image | decoded for | out (h × w) | CPU | wall | CPU vs before |",
        "|---|---|---|---|---|---|",
    ]
    full: dict[str, float] = {}
    for r in rows:
        if r["use"].startswith("before"):
            full[r["image"]] = r["cpu_s"]
        ratio = full[r["image"]] / r["cpu_s"] if r["cpu_s"] else float("nan")
        h, w = r["pixels_out"]
        lines.append(
            f"| {r['image']} ({r['bytes'] / 1e6:.2f} MB) | {r['use']} | {h} × {w} "
            f"| {r['cpu_s']:.2f} s | {r['wall_s']:.2f} s | {ratio:.1f}× less |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    results = measure()
    print(markdown(results), file=sys.stderr)
    print(json.dumps(results))
