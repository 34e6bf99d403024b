"""The web studio's targets: live preview latency under 8 concurrent designers, and the time
from pressing "Sign in" to the designer's first paint.

A real ``uvicorn`` server (one process, as ``smpstudio serve`` runs it) on 127.0.0.1 serves a
fresh SQLite clinic. Eight clients sign in, then each drags the hairline: a sequence of
preview requests at 768×768, each sent when the previous answer arrived (the designer's
one-request-in-flight rule), every one a new height (nothing cached); then the same drags
again (everything cached). Latency is measured at the client. The first-paint figure comes
from Debian's Chromium through Playwright: the clock starts at the click on "Sign in" and
stops at the designer's first contentful paint and, separately, when the first preview
image is on screen.

The bench environment has no web dependencies, so this module re-runs itself with the
project's ``.venv`` Python when needed (``python -m benchmarks.web`` prints JSON).
"""

from __future__ import annotations

import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

CLIENTS = 8
DRAG_STEPS = 12
SIZE = 768
ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(folder: str, port: int) -> None:
    """Child process: a clinic with a practitioner per client, served by uvicorn."""
    import uvicorn
    from tests.web.conftest import make_world

    from smpstudio.clinic import ClinicConfig

    tmp = Path(folder)
    world = make_world(ClinicConfig.from_env(db=str(tmp / "c.sqlite3"), data_dir=tmp), tmp)
    for i in range(CLIENTS):
        world.accounts.add_user(
            world.a.id,
            actor="bench",
            full_name=f"Designer {i}",
            email=f"d{i}@bench.example",
            role="practitioner",
            password="bench passphrase",
        )
    (tmp / "patient").write_text(str(world.a.patient_id))
    uvicorn.run(world.app, host="127.0.0.1", port=port, log_level="warning")


def _sign_in(base: str, email: str) -> Any:
    import httpx2 as httpx

    client = httpx.Client(base_url=base, timeout=120)
    page = client.get("/studio/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]  # type: ignore[index]
    form_cookie = page.headers["set-cookie"].split(";")[0]
    r = client.post(
        "/studio/sign-in",
        headers={"cookie": form_cookie},
        data={
            "csrf_token": token,
            "email": email,
            "password": "bench passphrase",
            "next": "/studio",
        },
    )
    session = r.headers["set-cookie"].split(";")[0]
    studio = client.get("/studio", headers={"cookie": session})
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', studio.text)[1]  # type: ignore[index]
    client.headers.update({"cookie": session, "x-csrf-token": csrf})
    return client


def _drag(client: Any, i: int, latencies: list[float], start: float = 6.0) -> None:
    for step in range(DRAG_STEPS):
        body = {
            "pattern": "norwood-5",
            "hairline": "soft",
            "height_cm": start + 0.45 * i + 0.05 * step,
            "state": "healed",
            "size": SIZE,
            "client": f"tab{i}",
        }
        started = time.perf_counter()
        r = client.post("/studio/preview", json=body)
        latencies.append(1000 * (time.perf_counter() - started))
        assert r.status_code == 200, r.status_code


def _round(latencies: list[float], clients: list[Any]) -> dict[str, float]:
    per_client: list[list[float]] = [[] for _ in clients]
    threads = [
        threading.Thread(target=_drag, args=(c, i, per_client[i])) for i, c in enumerate(clients)
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    values = sorted(v for lst in per_client for v in lst)
    latencies.extend(values)
    return {
        "requests": len(values),
        "p50_ms": statistics.median(values),
        "p95_ms": values[int(0.95 * (len(values) - 1))],
        "max_ms": values[-1],
        "throughput_per_s": len(values) / wall,
    }


def _first_paint(base: str, patient: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ]
    results: dict[str, list[float]] = {"fcp_ms": [], "preview_ms": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        for i in range(4):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            target = f"/studio/patients/{patient}/designer"
            page.goto(f"{base}/studio/sign-in?next={target}")
            page.fill("#email", f"d{i}@bench.example")
            page.fill("#password", "bench passphrase")
            clicked = time.time() * 1000
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}{target}")
            page.wait_for_function(
                "() => performance.getEntriesByName('first-contentful-paint').length > 0"
            )
            fcp = page.evaluate(
                "() => performance.timeOrigin + "
                "performance.getEntriesByName('first-contentful-paint')[0].startTime"
            )
            page.wait_for_function(
                "() => Number(document.getElementById('designer').dataset.renders) >= 1",
                timeout=120_000,
            )
            shown = time.time() * 1000
            results["fcp_ms"].append(fcp - clicked)
            results["preview_ms"].append(shown - clicked)
            context.close()
        browser.close()
    return {
        "fcp_first_ms": results["fcp_ms"][0],
        "fcp_median_ms": statistics.median(results["fcp_ms"]),
        "preview_first_ms": results["preview_ms"][0],
        "preview_median_ms": statistics.median(results["preview_ms"]),
    }


def measure() -> dict[str, Any]:
    """Start the server, run both measurements, stop the server."""
    folder = tempfile.mkdtemp(prefix="smp-web-bench-")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.web", "--serve", folder, str(port)], cwd=ROOT, env=env
    )
    try:
        deadline = time.monotonic() + 120
        while not (Path(folder) / "patient").exists() or not _listening(port):
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the benchmark server did not start")
            time.sleep(0.2)
        patient = int((Path(folder) / "patient").read_text())
        clients = [_sign_in(base, f"d{i}@bench.example") for i in range(CLIENTS)]
        _drag(clients[0], 0, [], start=10.3)  # warm-up: compile, head geometry
        cold = _round([], clients)
        warm = _round([], clients)
        paint = _first_paint(base, patient)
        for c in clients:
            c.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "clients": CLIENTS,
        "size": SIZE,
        "uncached": cold,
        "cached": warm,
        "first_paint": paint,
    }


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def run() -> dict[str, Any]:
    """The measurements, in this interpreter if it has the web stack, else in ``.venv``."""
    try:
        import starlette  # noqa: F401
    except ImportError:
        python = ROOT / ".venv" / "bin" / "python"
        out = subprocess.run(
            [str(python), "-m", "benchmarks.web"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        return result
    return measure()


def markdown(r: dict[str, Any]) -> str:
    u, c, p = r["uncached"], r["cached"], r["first_paint"]
    return "\n".join(
        [
            f"{r['clients']} concurrent designers, {r['size']}×{r['size']} previews, one request "
            "in flight per client (targets: preview ≤ 150 ms p95; sign-in to first paint ≤ 1 s).\n",
            "| what | p50 | p95 | max | previews/s |",
            "|---|---|---|---|---|",
            f"| live preview, every drag position new | {u['p50_ms']:.0f} ms "
            f"| {u['p95_ms']:.0f} ms "
            f"| {u['max_ms']:.0f} ms | {u['throughput_per_s']:.1f} |",
            f"| live preview, positions seen before | {c['p50_ms']:.0f} ms | {c['p95_ms']:.0f} ms "
            f"| {c['max_ms']:.0f} ms | {c['throughput_per_s']:.1f} |",
            "",
            "| sign-in → designer | first | median of 4 |",
            "|---|---|---|",
            f"| first contentful paint | {p['fcp_first_ms']:.0f} ms "
            f"| {p['fcp_median_ms']:.0f} ms |",
            f"| first preview on screen | {p['preview_first_ms']:.0f} ms | "
            f"{p['preview_median_ms']:.0f} ms |",
        ]
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        _serve(sys.argv[2], int(sys.argv[3]))
    else:
        print(json.dumps(measure(), default=float))
