"""The designer on the client's photo under load, measured through the real ``smpstudio serve``.

As the head's JSON figure in :mod:`benchmarks.web`: a fresh SQLite clinic with eight
practitioners and a client whose front photo is stored (a real photo of the evaluation set),
then eight clients at once post ``POST /studio/photos/{id}/preview`` (JSON in, JPEG out),
``JSON_STEPS`` times each, every hairline position new to the studio (each client drags
its own point by its own steps), then the same positions again (from the cache). Before the
rounds every client opens the designer page once (the first opening analyses the photo:
its time is reported on its own). Run it with the project's ``.venv`` Python:
``python -m benchmarks.web_photo`` prints JSON.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.web import (
    CLIENTS,
    ROOT,
    Serve,
    _drag_json,
    _json_round,
    _prepare,
    _sign_in,
    _summary,
)

JSON_STEPS = 12
PHOTOS = ROOT / "tests" / "data" / "photos" / "eval"
PHOTO = os.environ.get("SMP_BENCH_PHOTO", "biden-2013.jpg")


def _add_photo(folder: Path, patient: int) -> int:
    from smpstudio.clinic import open_database

    with open_database(str(folder / "clinic.sqlite3"), data_dir=folder) as db:
        clinic = db.clinics()[0]
        records = db.clinic(clinic.id, actor="bench")
        form = records.consent_forms("photo")[-1]
        records.record_consent(patient, form.id, decision="granted", signed_name="Sam Bench")
        data = (PHOTOS / PHOTO).read_bytes()
        return records.add_photo(patient, data, kind="before", view="front").id


def _initial(client: Any, patient: int, photo: int) -> dict[str, Any]:
    page = client.get(f"/studio/patients/{patient}/photos/{photo}/designer")
    assert page.status_code == 200, page.status_code
    raw = re.search(r'data-initial="([^"]+)"', page.text)
    assert raw, "no designer state on the page"
    state: dict[str, Any] = json.loads(html.unescape(raw[1]))
    return state


def _drag(client: Any, photo: int, state: dict[str, Any], i: int, out: list[float]) -> None:
    for step in range(JSON_STEPS):
        points = [list(p) for p in state["points"]]
        points[4][1] += 1.0 + 0.5 * i + 4.0 * step  # each client its own positions
        body = {**state, "points": points, "client": f"tab{i}"}
        started = time.perf_counter()
        r = client.post(f"/studio/photos/{photo}/preview", json=body)
        out.append(1000 * (time.perf_counter() - started))
        assert r.status_code == 200, r.status_code


def _round(clients: list[Any], photo: int, states: list[dict[str, Any]]) -> dict[str, float]:
    per: list[list[float]] = [[] for _ in clients]
    threads = [
        threading.Thread(target=_drag, args=(c, photo, states[i], i, per[i]))
        for i, c in enumerate(clients)
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    values = [v for lst in per for v in lst]
    return {**_summary(values), "throughput_per_s": len(values) / wall}


def cpu_per_preview(positions: int = 12) -> dict[str, float]:
    """CPU time of one new position on one thread, in this process (the analysis once)."""
    import statistics

    from smpstudio.web._photo_designer import _initial
    from smpstudio.web._photo_service import PhotoDesignParams, PhotoDesignService

    service = PhotoDesignService()
    key = (1, 1, "bench")
    data = (PHOTOS / PHOTO).read_bytes()
    started = time.thread_time()
    live = service.live(None, lambda: (key, data))
    analysis = time.thread_time() - started
    state = _initial(live, None)
    times = []
    for step in range(positions + 1):
        points = [list(p) for p in state["points"]]
        points[4][1] += 2.0 + 3.0 * step
        params = PhotoDesignParams.parse({**state, "points": points}, size=live.size)
        started = time.thread_time()
        service.render(key, live, params)
        times.append(time.thread_time() - started)
    return {
        "analysis_ms": 1000 * analysis,
        "median_ms": 1000 * statistics.median(times[1:]),  # the first compiles nothing new
        "max_ms": 1000 * max(times[1:]),
    }


def measure() -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="smp-web-photo-bench-"))
    patient = _prepare(folder)
    photo = _add_photo(folder, patient)
    server = Serve(folder)
    try:
        clients = [_sign_in(server.base, f"d{i}@bench.example") for i in range(CLIENTS)]
        started = time.perf_counter()
        states = [_initial(clients[0], patient, photo)]
        first_open = 1000 * (time.perf_counter() - started)
        states += [_initial(c, patient, photo) for c in clients[1:]]
        warm = {**states[0], "client": "warm"}
        clients[0].post(f"/studio/photos/{photo}/preview", json=warm)  # compile the kernels
        new = _round(clients, photo, states)
        seen = _round(clients, photo, states)
        _drag_json(clients[0], 0, [], start=10.3)  # the head's figure, in the same minutes
        head = _json_round(clients)
        for c in clients:
            c.close()
    finally:
        server.stop()
    return {
        "photo": PHOTO,
        "clients": CLIENTS,
        "first_open_ms": first_open,
        "uncached": new,
        "cached": seen,
        "head_uncached": head,
        "cpu_per_preview_ms": cpu_per_preview(),
        "loadavg": os.getloadavg(),
    }


if __name__ == "__main__":
    json.dump(measure(), sys.stdout)
    print()
