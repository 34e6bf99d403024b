"""Locust scenario of the loopback load test (``tests/reliability/test_load.py``).

Run by that test as a separate process from ``.venv-load`` (locust and gevent, pinned in
``requirements/load.txt``) against a real ``smpstudio serve``; it reads what the test
prepared from the JSON file named by ``SMP_LOAD_CONFIG``::

    {"sessions": [{"cookie": "__Host-smp_session=…", "csrf": "…"}, …],
     "patients": [1, 2, …], "samples": "/path/samples.jsonl"}

- **Practitioners** (3 of 4 users), signed in (the sessions are shared round-robin): the
  client list, a client's record, the week's schedule, the designer page, and drags of the
  hairline — six live previews in a row, each sent when the previous answer arrived (one
  request in flight per tab, as the page does), four steps out to new positions and two back
  over positions just seen (the server's cache answers those).
- **Visitors** (1 of 4), anonymous: the public site's pages and the home page's image.

Every request is written to the samples file as one JSON line ``[group, name, ms, status,
error]``: the test computes throughput, percentiles and errors from them itself. A request
fails unless it gets the one status it expects (200; a stale preview's 204 also counts as
an answer): redirects are not followed, so a lost session shows as a 303, not as the sign-in
page.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import secrets
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, events, task

_CONFIG: dict[str, Any] = json.loads(Path(os.environ["SMP_LOAD_CONFIG"]).read_text())
_SESSIONS = itertools.cycle(_CONFIG["sessions"])
_PATIENTS: list[str] = _CONFIG["patients"]  # URL tokens of the clients
_SAMPLES = Path(_CONFIG["samples"]).open("a", buffering=1)  # noqa: SIM115  (open for the run)
_THINK = float(os.environ.get("SMP_LOAD_THINK_S", "0.5"))


@events.request.add_listener
def _record(
    name: str,
    response_time: float,
    response: Any,
    exception: BaseException | None,
    context: dict[str, Any],
    **_: Any,
) -> None:
    status = int(getattr(response, "status_code", 0) or 0)
    error = "" if exception is None else f"{type(exception).__name__}: {exception}"[:200]
    group = name.split(":", 1)[0]
    _SAMPLES.write(json.dumps([group, name, round(response_time, 2), status, error]) + "\n")


def _expect(response: Any, *statuses: int) -> None:
    if response.status_code not in statuses:
        response.failure(f"status {response.status_code}")
    else:
        response.success()


class Practitioner(FastHttpUser):
    """A signed-in practitioner browsing the studio and dragging the hairline."""

    weight = 3
    wait_time = between(0.0, _THINK)

    def on_start(self) -> None:
        session = next(_SESSIONS)
        self.headers = {"cookie": session["cookie"]}
        self.preview_headers = {**self.headers, "x-csrf-token": session["csrf"]}
        self.tab = secrets.token_hex(6)
        self.height = random.uniform(6.0, 10.0)
        self.rise = random.uniform(5.0, 30.0)

    def _page(self, path: str, name: str) -> None:
        with self.client.get(
            path, headers=self.headers, name=name, allow_redirects=False, catch_response=True
        ) as response:
            _expect(response, 200)

    @task(3)
    def patient_list(self) -> None:
        self._page("/studio/patients", "studio: client list")

    @task(3)
    def record(self) -> None:
        self._page(f"/studio/patients/{random.choice(_PATIENTS)}", "studio: client record")

    @task(2)
    def schedule(self) -> None:
        self._page("/studio/schedule", "studio: schedule")

    @task(1)
    def designer(self) -> None:
        self._page(f"/studio/patients/{random.choice(_PATIENTS)}/designer", "studio: designer")

    @task(3)
    def drag(self) -> None:
        """Six previews in a row: four steps to new positions, two back over seen ones."""
        step_h = random.choice((-1, 1)) * random.uniform(0.05, 0.15)
        step_r = random.choice((-1, 1)) * random.uniform(0.5, 1.5)
        path = []
        for _ in range(4):
            self.height = min(10.5, max(5.5, self.height + step_h))
            self.rise = min(34.0, max(1.0, self.rise + step_r))
            path.append((self.height, self.rise))
        path += [path[2], path[1]]
        for height, rise in path:
            body = {
                "client": self.tab,
                "pattern": "norwood-5",
                "hairline": "soft",
                "height_cm": round(height, 2),
                "temporal_rise_mm": round(rise, 1),
                "state": "healed",
                "view": "front",
            }
            with self.client.post(
                "/studio/preview",
                json=body,
                headers=self.preview_headers,
                name="preview: designer drag",
                allow_redirects=False,
                catch_response=True,
            ) as response:
                _expect(response, 200, 204)


class Visitor(FastHttpUser):
    """An anonymous visitor reading the clinic's public site."""

    weight = 1
    wait_time = between(0.0, _THINK)

    def _page(self, path: str, name: str) -> None:
        with self.client.get(
            path, name=name, allow_redirects=False, catch_response=True
        ) as response:
            _expect(response, 200)

    @task(3)
    def home(self) -> None:
        self._page("/", "site: home")
        self._page("/look/hero.jpg", "site: home image")

    @task(2)
    def candidacy(self) -> None:
        self._page("/candidacy", "site: candidacy check")

    @task(2)
    def cost(self) -> None:
        self._page("/cost", "site: cost estimator")

    @task(2)
    def preview_page(self) -> None:
        self._page("/preview", "site: preview your look")

    @task(1)
    def contact(self) -> None:
        self._page("/contact", "site: contact")
