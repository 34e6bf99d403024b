"""Live previews rendered in preview processes (the virtual head's and the photo designer's):
the same bytes as on the studio's own thread, a killed process replaced without losing the
request, a photo's requests sent where its analysis is, stale requests dropped, and no
process outliving the studio."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from smpstudio.photo._live import LivePhoto
from smpstudio.web._photo_designer import _initial
from smpstudio.web._photo_service import LiveKey, PhotoDesignParams, PhotoDesignService
from smpstudio.web._preview import (
    PreviewParams,
    PreviewProcesses,
    PreviewService,
    stop_preview_processes,
)
from tests.web.test_serve import _free_port, _start, _stop

BALD = Path(__file__).resolve().parents[1] / "data" / "photos" / "eval" / "astronaut-shaved.jpg"


def _params(**changes: object) -> PreviewParams:
    return PreviewParams.parse({"pattern": "norwood-4", "size": 384, **changes})


@pytest.fixture(autouse=True)
def _fresh_processes() -> object:
    stop_preview_processes()
    yield
    stop_preview_processes()


def test_previews_rendered_in_processes_are_the_bytes_rendered_here() -> None:
    here = PreviewService(processes=0)
    there = PreviewService(processes=2)
    for params in (_params(), _params(state="fresh", height_cm=7.5), _params(view="top")):
        a = here.render(params)
        b = there.render(params)
        assert a is not None
        assert b is not None
        assert a.jpeg == b.jpeg
        assert a.geometry == b.geometry
    assert len(multiprocessing.active_children()) >= 1


def test_a_killed_preview_process_is_replaced_and_the_request_answered() -> None:
    service = PreviewService(processes=1)
    assert service.render(_params(height_cm=6.0)) is not None
    workers = [p for p in multiprocessing.active_children() if "Process" in p.name]
    assert workers, "no preview process is running"
    for worker in workers:
        os.kill(worker.pid or 0, signal.SIGKILL)
        worker.join(timeout=10)
    answered = service.render(_params(height_cm=6.5))  # the pool is found broken: drawn here
    assert answered is not None
    again = service.render(_params(height_cm=7.0))  # and the next one has new processes
    assert again is not None
    assert answered.jpeg != again.jpeg


def test_a_pool_shut_down_under_a_render_is_replaced() -> None:
    from smpstudio.web import _preview

    service = PreviewService(processes=1)
    _preview.preview_processes(1).shutdown(wait=True)  # as a stopping studio would, meanwhile
    answered = service.render(_params(height_cm=9.0))  # drawn here
    assert answered is not None
    assert service.render(_params(height_cm=9.5)) is not None  # by new processes
    assert multiprocessing.active_children()


@pytest.fixture(scope="module")
def photo() -> tuple[LiveKey, LivePhoto]:
    """An analysed photo (the analysis is made in the studio's process)."""
    data = BALD.read_bytes()
    key = (1, 1, hashlib.sha256(data).hexdigest())
    return key, PhotoDesignService().live(None, lambda: (key, data))


def _drag(live: LivePhoto, dy: float) -> PhotoDesignParams:
    state: dict[str, Any] = _initial(live, None)
    points = [list(p) for p in state["points"]]
    for p in points[2:7]:
        p[1] += dy
    return PhotoDesignParams.parse({**state, "points": points}, size=live.size)


def _workers() -> set[int]:
    return {p.pid for p in multiprocessing.active_children() if p.pid is not None}


def test_photo_previews_render_in_a_preview_process_as_the_same_bytes(
    photo: tuple[LiveKey, LivePhoto],
) -> None:
    key, live = photo
    here = PhotoDesignService(processes=0)
    there = PhotoDesignService(processes=2)
    a = here.render(key, live, _drag(live, 40.0))
    b = there.render(key, live, _drag(live, 40.0))
    assert a is not None
    assert b is not None
    assert a.pid == os.getpid()
    assert b.pid != os.getpid()
    assert b.pid in _workers()  # answered by a preview process
    assert b.cpu_ms > 0
    assert a.jpeg == b.jpeg
    assert there.sent == 1  # the analysis went to that process once …
    c = there.render(key, live, _drag(live, 44.0))
    assert c is not None
    assert c.pid == b.pid  # … which is asked again (idle, it holds the photo)
    assert there.sent == 1
    cached = there.render(key, live, _drag(live, 44.0))
    assert cached is not None
    assert (cached.jpeg, cached.pid) == (c.jpeg, 0)  # from the studio's cache


def test_a_killed_process_under_a_photo_is_replaced_and_the_photo_sent_again(
    photo: tuple[LiveKey, LivePhoto],
) -> None:
    key, live = photo
    service = PhotoDesignService(processes=1)
    first = service.render(key, live, _drag(live, 30.0))
    assert first is not None
    assert first.pid in _workers()
    os.kill(first.pid, signal.SIGKILL)
    answered = service.render(key, live, _drag(live, 32.0))  # the process is gone: drawn here
    assert answered is not None
    assert answered.pid == os.getpid()
    again = service.render(key, live, _drag(live, 34.0))  # a new process, sent the photo
    assert again is not None
    assert again.pid not in (first.pid, os.getpid())
    assert service.sent == 2
    here = PhotoDesignService(processes=0).render(key, live, _drag(live, 34.0))
    assert here is not None
    assert again.jpeg == here.jpeg


def test_a_stale_photo_request_is_dropped_without_rendering(
    photo: tuple[LiveKey, LivePhoto],
) -> None:
    key, live = photo
    service = PhotoDesignService(processes=1)
    params = _drag(live, 36.0)
    first = service.claim("tab-x")
    second = service.claim("tab-x")
    assert service.render(key, live, params, client="tab-x", ticket=first) is None
    assert service.stale == 1
    assert service.cached(key, params) is None  # nothing was rendered for the stale one
    assert service.sent == 0  # nor sent anywhere
    assert service.render(key, live, params, client="tab-x", ticket=second) is not None
    assert service.cached(key, params) is not None
    other = service.claim("tab-y")
    assert service.render(key, live, params, client="tab-y", ticket=other) is not None
    assert service.stale == 1


def test_work_with_an_affinity_stays_where_it_is_held_until_that_process_is_busy() -> None:
    processes = PreviewProcesses(2)
    try:
        first = processes.run(os.getpid, affinity="photo-a")
        assert processes.run(os.getpid, affinity="photo-a") == first
        busy = threading.Thread(target=processes.run, args=(time.sleep, 2.0))
        busy.start()  # no affinity: the least busy process, the first (both are idle)
        while sum(processes.busy) == 0:
            time.sleep(0.01)
        # the process holding photo-a is busy, the other is idle and has room: it goes there
        second = processes.run(os.getpid, affinity="photo-a")
        busy.join()
        assert second != first
        assert {first, second} <= _workers()
        # both hold it now: an idle one answers, whichever
        assert processes.run(os.getpid, affinity="photo-a") in (first, second)
        assert processes.busy == [0, 0]
    finally:
        processes.shutdown()


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_the_preview_processes_leave_with_a_killed_studio(tmp_path: Path) -> None:
    proc, _ = _start(tmp_path, _free_port(), "--owner-email", "boss@test.example")
    try:
        deadline = time.monotonic() + 60
        children: set[int] = set()
        while time.monotonic() < deadline and len(children) < 2:
            # the resource tracker and the preview processes, started when the studio starts
            children = _children(proc.pid)
            time.sleep(0.2)
        assert len(children) >= 2, children
        proc.kill()
        proc.wait(timeout=10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(c) for c in children):
            time.sleep(0.2)
        assert not [c for c in children if _alive(c)]
    finally:
        _stop(proc)
