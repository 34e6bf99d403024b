"""Live previews rendered in preview processes: the same bytes as on the studio's own thread,
a killed process replaced without losing the request, and no process outliving the studio."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from smpstudio.web._preview import PreviewParams, PreviewService, stop_preview_processes
from tests.web.test_serve import _free_port, _start, _stop


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
    _preview._process_pool(1).shutdown(wait=True)  # as a stopping studio would, meanwhile
    answered = service.render(_params(height_cm=9.0))  # drawn here
    assert answered is not None
    assert service.render(_params(height_cm=9.5)) is not None  # by new processes
    assert multiprocessing.active_children()


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
