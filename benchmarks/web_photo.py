"""The designer on the client's photo under load, measured through the real ``smpstudio serve``.

As the head's JSON figure in :mod:`benchmarks.web`: a fresh SQLite clinic with eight
practitioners and a client whose front photo is stored (a real photo of the evaluation set),
then eight clients at once post ``POST /studio/photos/{id}/preview`` (JSON in, JPEG out),
``JSON_STEPS`` times each, every hairline position new to the studio (each client drags
its own point by its own steps), then the same positions again (from the cache). Before the
rounds every client opens the designer page once (the first opening analyses the photo:
its time is reported on its own), then two clients post a position at once (the warm-up:
each preview process is sent the photo; its time is reported too). Each new position's
render reports its CPU time (``Server-Timing: cpu``, measured where it ran: a preview
process), a figure the machine's load hardly moves. Run it with the project's ``.venv``
Python:
``python -m benchmarks.web_photo`` prints JSON.
"""

from __future__ import annotations

import html
import json
import os
import re
import statistics
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.web import (
    CLIENTS,
    ROOT,
    _drag_json,
    _json_round,
    _summary,
    concurrent_round,
    serving,
)

JSON_STEPS = 12
PHOTOS = ROOT / "tests" / "data" / "photos" / "eval"
PHOTO = os.environ.get("SMP_BENCH_PHOTO", "biden-2013.jpg")


def _add_photo(folder: Path, patient: int, out: list[int]) -> None:
    from smpstudio.clinic import open_database

    with open_database(str(folder / "clinic.sqlite3"), data_dir=folder) as db:
        clinic = db.clinics()[0]
        records = db.clinic(clinic.id, actor="bench")
        form = records.consent_forms("photo")[-1]
        records.record_consent(patient, form.id, decision="granted", signed_name="Sam Bench")
        data = (PHOTOS / PHOTO).read_bytes()
        out.append(records.add_photo(patient, data, kind="before", view="front").id)


def _initial(client: Any, patient: str, photo: str) -> dict[str, Any]:
    page = client.get(f"/studio/patients/{patient}/photos/{photo}/designer")
    assert page.status_code == 200, page.status_code
    raw = re.search(r'data-initial="([^"]+)"', page.text)
    assert raw, "no designer state on the page"
    state: dict[str, Any] = json.loads(html.unescape(raw[1]))
    return state


def _render_cpu_ms(response: Any) -> float | None:
    """The render's CPU time the studio reports (``Server-Timing: cpu``), None when the
    image came from its cache."""
    found = re.search(r"cpu;dur=([0-9.]+)", response.headers.get("server-timing", ""))
    return float(found[1]) if found else None


def _drag(
    photo: str,
    states: list[dict[str, Any]],
    cpu: list[float],
    client: Any,
    i: int,
    out: list[float],
) -> None:
    for step in range(JSON_STEPS):
        points = [list(p) for p in states[i]["points"]]
        points[4][1] += 1.0 + 0.5 * i + 4.0 * step  # each client its own positions
        body = {**states[i], "points": points, "client": f"tab{i}"}
        started = time.perf_counter()
        r = client.post(f"/studio/photos/{photo}/preview", json=body)
        out.append(1000 * (time.perf_counter() - started))
        assert r.status_code == 200, r.status_code
        spent = _render_cpu_ms(r)
        if spent is not None:
            cpu.append(spent)


def _warm(photo: str, states: list[dict[str, Any]], client: Any, i: int, out: list[float]) -> None:
    """One position no round uses (two clients at once: each preview process is sent the
    photo and lays its pool; the kernels are compiled)."""
    points = [list(p) for p in states[i]["points"]]
    points[4][1] -= 3.0 + i
    body = {**states[i], "points": points, "client": f"warm{i}"}
    started = time.perf_counter()
    r = client.post(f"/studio/photos/{photo}/preview", json=body)
    out.append(1000 * (time.perf_counter() - started))
    assert r.status_code == 200, r.status_code


def _round(clients: list[Any], photo: str, states: list[dict[str, Any]]) -> dict[str, float]:
    cpu: list[float] = []
    found = concurrent_round(clients, partial(_drag, photo, states, cpu))
    if cpu:  # the renders' CPU time where they ran (a preview process): load-independent
        found["render_cpu_median_ms"] = statistics.median(cpu)
        found["render_cpu_p95_ms"] = _summary(cpu)["p95_ms"]
    return found


def memory_mb(pid: int) -> dict[str, float]:
    """Proportional set sizes (MB) of the server and of its descendants (the preview
    processes) together."""
    found: dict[str, float] = {}
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
            pss = next(line for line in rollup.splitlines() if line.startswith("Pss:"))
            found["server" if current == pid else str(current)] = int(pss.split()[1]) / 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration):
            continue
    return {**found, "total": sum(found.values())}


def _cpu_s(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) of the server and of its preview processes so far."""
    tick = os.sysconf("SC_CLK_TCK")

    def spent(p: int) -> float:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick

    children = [
        int(c)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for c in (task / "children").read_text().split()
    ]
    return spent(pid), sum(spent(c) for c in children)


def cpu_per_preview(positions: int = 12) -> dict[str, float]:
    """CPU time of one new position on one thread, in this process (the analysis once)."""
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
    added: list[int] = []
    with serving("smp-web-photo-bench-", partial(_add_photo, out=added)) as studio:
        clients = studio.clients
        patient, photo = studio.token(studio.patient), studio.token(added[0])
        load_before = os.getloadavg()
        started = time.perf_counter()
        states = [_initial(clients[0], patient, photo)]
        first_open = 1000 * (time.perf_counter() - started)
        states += [_initial(c, patient, photo) for c in clients[1:]]
        warm = concurrent_round(clients[:2], partial(_warm, photo, states))
        pid = studio.server.proc.pid
        cpu_before = _cpu_s(pid)
        new = _round(clients, photo, states)
        cpu_after = _cpu_s(pid)
        new["server_cpu_ms_per_request"] = 1000 * (cpu_after[0] - cpu_before[0]) / new["requests"]
        new["preview_processes_cpu_ms_per_request"] = (
            1000 * (cpu_after[1] - cpu_before[1]) / new["requests"]
        )
        print(json.dumps({"uncached": new}), file=sys.stderr, flush=True)
        seen = _round(clients, photo, states)
        memory = memory_mb(pid)
        head: dict[str, Any]
        try:
            _drag_json(clients[0], 0, [], start=10.3)  # the head's figure, in the same minutes
            head = _json_round(clients)
        except Exception as exc:  # a loaded machine: keep the photo's figures
            head = {"error": f"{type(exc).__name__}: {exc}"}
    return {
        "photo": PHOTO,
        "clients": CLIENTS,
        "first_open_ms": first_open,
        "warm_up_ms": warm["max_ms"],
        "uncached": new,
        "cached": seen,
        "head_uncached": head,
        "memory_pss_mb": memory,
        "cpu_per_preview_ms": cpu_per_preview(),
        "loadavg_before": load_before,
        "loadavg": os.getloadavg(),
    }


if __name__ == "__main__":
    json.dump(measure(), sys.stdout)
    print()
