"""API contract: schemathesis against the app's own OpenAPI document (``/openapi.json``).

Every operation of the document is fuzzed in-process (ASGI) against the real app on a
SQLite clinic database, signed in as clinic A's owner: positive cases (values the document
allows) and negative ones (values it does not), with the checks

- ``not_a_server_error``: no 5xx, ever;
- ``status_code_conformance``: every status is one the operation documents;
- ``content_type_conformance``: the answer's media type is the documented one;
- ``response_headers_conformance``: documented required headers are there (``Location``);
- ``response_schema_conformance``: JSON answers match their schema.

Before each call the case gets its credentials: the owner's session cookie and CSRF token
on studio operations (a case that signed out or changed the owner's account is followed by
a new session, through the real sign-in form), a visitor's form cookie and its token on
public forms. This is done at call time, not by a schemathesis auth provider, because the
coverage phase builds its cases at collection, before the clinic database exists. Small ids
in paths are mapped onto records that exist (clinic A's client, design, plan, photo,
booking and request, and clinic B's client); larger ones are left as drawn, so both the
records and "not found" are exercised. Each case is a visitor of its own (its own client
address), so the per-address limits of the public site do not turn the run into 429s.
Form fields that carry ids, numbers and dates also draw from small fuzz dictionaries (ids
past 64 bits, superscript digits, the calendar's ends), values that broke handlers before.

``SMPSTUDIO_RELIABILITY_FULL=1`` (``make reliability``) draws up to 20 fuzzing examples an
operation after the coverage phase and requires at least 1,000 cases in all; the default run
draws up to 6 and skips the coverage phase. Cases come in a fixed order in every run (the
Hypothesis profile of tests/conftest.py is ``derandomize``d). With
``SMPSTUDIO_CONTRACT_REPORT=path`` the cases, time and statuses per operation are written
there.
"""

from __future__ import annotations

import io
import os
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from PIL import Image
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.applications import Starlette

from smpstudio.clinic import ClinicConfig
from smpstudio.web._openapi import openapi_document
from tests.web.conftest import BOOKING_DAYS, PASSWORD, World, csrf_of, make_world, rid, unrid

FULL = os.environ.get("SMPSTUDIO_RELIABILITY_FULL") == "1"
MAX_EXAMPLES = 20 if FULL else 6
MIN_TOTAL = 1000 if FULL else 150
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
TIMEOUT_S = 300  # a render or a PDF on two busy cores; the default (10 s) is for the network
SESSION_COOKIE = "__Host-smp_session"
FORM_COOKIE = "__Host-smp_form"


class Proxy:
    """One ASGI callable for schemathesis (the schema is loaded at import time), forwarding
    to the app the module's fixture builds, with a client address per case."""

    def __init__(self) -> None:
        self.app: Starlette | None = None
        self.visitors = 0

    def next_visitor(self) -> None:
        self.visitors += 1

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":  # the world's app has its own, run by the world's clients
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        assert self.app is not None, "the contract_world fixture sets the app"
        n = self.visitors
        address = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
        await self.app({**scope, "client": (address, 50000)}, receive, send)


PROXY = Proxy()
# The coverage phase (boundary values and every kind of wrong value, field by field) runs in
# the full run only; requests with methods a path does not take are left to the
# authorisation matrix (405 for everyone).
#
# Besides the values the document allows, the form fields that carry ids, numbers and dates
# (and the schedule's week) draw one time in four from fuzz dictionaries of values that
# broke handlers before: ids past 64 bits, digits int() refuses, the calendar's ends.
ODD = {
    "ids": [str(2**63), "9" * 20, "²", "¹²"],
    "dates": ["9999-12-31", "0001-01-01", "9999-12-31T23:59"],
    "numbers": ["nan", "inf", "-1", "1e308", "9" * 20, "²"],
    "texts": ["é" * 16, "A" * 17, "1" * 16],
}
ODD_FIELDS = {
    "ids": "practitioner_id room_id plan_id booking_id user_id session_number design_version step",
    "dates": "date start held_on performed_on date_of_birth certified_on attested_on "
    + " ".join(f"expires_{i}" for i in (1, 2, 3)),
    "numbers": "hours spacing_days duration_minutes pain_score "
    + " ".join(f"{kind}_{i}" for kind in ("water_ml", "pigment_ml") for i in (1, 2, 3)),
    "texts": "secret",
}
CONFIG = SchemathesisConfig.from_dict(
    {
        "dictionaries": {kind: {"values": values} for kind, values in ODD.items()},
        "parameters": {
            "query.week": {"dictionary": "dates", "probability": 0.25},
            **{
                f"body.{name}": {"dictionary": kind, "probability": 0.25}
                for kind, names in ODD_FIELDS.items()
                for name in names.split()
            },
        },
        "phases": {"coverage": {"enabled": FULL, "unexpected-methods": []}},
    }
)
schema = schemathesis.openapi.from_dict(openapi_document(), config=CONFIG)
schema.app = PROXY


@dataclass
class Contract:
    """The world under test, the owner's live session and what the run counted."""

    world: World
    ids: dict[str, list[int]] = field(default_factory=dict)
    session: str = ""
    csrf: str = ""
    form_token: str = ""
    sessions_started: int = 0
    cases: Counter[str] = field(default_factory=Counter)
    phases: Counter[str] = field(default_factory=Counter)
    seconds: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)

    def owner_session(self) -> tuple[str, str]:
        """The owner's session cookie and CSRF token; a new session when the last one ended
        (a case signed out, or the owner's account was changed by a case)."""
        accounts = self.world.accounts
        signed = accounts.session(self.session) if self.session else None
        if signed is None or not signed.complete or signed.user.must_change_password:
            self._sign_in()
            signed = accounts.session(self.session)
            assert signed is not None
        self.csrf = signed.session.csrf_token
        return self.session, self.csrf

    def _sign_in(self) -> None:
        a = self.world.a
        c = self.world.client()
        token = csrf_of(c.get("/studio/sign-in").text)
        r = c.post(
            "/studio/sign-in",
            data={"csrf_token": token, "email": a.staff["owner"], "password": PASSWORD},
            follow_redirects=False,
        )
        if r.status_code != 303:  # a case disabled, demoted or reset the owner: a new owner
            email = f"owner-{secrets.token_hex(4)}@soho.example"
            self.world.accounts.add_user(
                a.id, actor="test", full_name="Owner Again", email=email, role="owner",
                password=PASSWORD,
            )  # fmt: skip
            a.staff["owner"] = email
            token = csrf_of(c.get("/studio/sign-in").text)
            r = c.post(
                "/studio/sign-in",
                data={"csrf_token": token, "email": email, "password": PASSWORD},
                follow_redirects=False,
            )
        assert r.status_code == 303, r.text
        cookie = c.cookies.get(SESSION_COOKIE)
        assert cookie
        self.session = cookie
        self.sessions_started += 1


_CONTRACT: list[Contract] = []


def contract() -> Contract:
    assert _CONTRACT, "the contract_world fixture builds the world"
    return _CONTRACT[0]


def prepare(case: schemathesis.Case, run: Contract) -> None:
    """At call time (coverage cases are built at collection, before any world exists):
    small ids in the path become records that exist, and the credentials go on — the owner's
    session and CSRF token on studio operations, a visitor's form cookie and its token on
    public forms."""
    _map_ids(case, run.ids, run.world)
    security = case.operation.definition.raw.get("security") or []
    names = {name for requirement in security for name in requirement}
    cookies = dict(case.cookies or {})
    headers = dict(case.headers or {})
    if "session" in names:
        session, token = run.owner_session()
        cookies[SESSION_COOKIE] = session
        headers["X-CSRF-Token"] = token
    elif "formCookie" in names:
        token = run.form_token
        cookies[FORM_COOKIE] = token
    else:
        return
    case.cookies = cookies
    case.headers = headers
    if isinstance(case.body, dict) and "csrf_token" in case.body:
        case.body = {**case.body, "csrf_token": token}


def _map_ids(case: schemathesis.Case, ids: dict[str, list[int]], world: World) -> None:
    """Tokens drawn starting with a letter a–x (three in four) become records that exist
    (clinic A's, and clinic B's client); the others stay as drawn (not found: forged)."""
    if not case.path_parameters:
        return
    mapped = dict(case.path_parameters)
    for name, value in case.path_parameters.items():
        known = ids.get(name)
        if known and isinstance(value, str) and value[:1] in "abcdefghijklmnopqrstuvwx":
            mapped[name] = rid(world, known[sum(map(ord, value)) % len(known)])
    case.path_parameters = mapped


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "#a07e56").save(buffer, "JPEG")
    return buffer.getvalue()


def _seed(world: World) -> dict[str, list[int]]:
    """One record of every kind in clinic A (through the studio where it has a form)."""
    a = world.a
    pid = a.patient_id
    photo = a.records.add_photo(pid, _jpeg(), kind="before")
    lead = a.records.add_lead("Robin Request", email="robin@example.com", contact_consent=True)
    c = world.as_role("practitioner")
    token = csrf_of(c.get(f"/studio/patients/{rid(world, pid)}/designer").text)
    params = '{"pattern": "norwood-4", "hairline": "soft", "height_cm": 7.5}'
    r = c.post(
        f"/studio/patients/{rid(world, pid)}/designs",
        data={"csrf_token": token, "params": params},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    design = a.records.designs(pid)[-1]
    r = c.post(
        f"/studio/patients/{rid(world, pid)}/plans/new",
        data={
            "csrf_token": token,
            "design_version": rid(world, design.id),
            "start": "2031-03-03",
            "time": "10:00",
            "sessions": "3",
            "spacing_days": "14",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    plan_id = unrid(world, r.headers["location"].rstrip("/").rsplit("/", 1)[1])
    bookings = []
    for week in (1, 2, 3):
        day = BOOKING_DAYS["api-contract"] + timedelta(weeks=week)
        starts = datetime.combine(day, clock(10), tzinfo=a.records.timezone)
        booking = a.records.book(
            pid,
            practitioner_id=a.practitioner_id,
            room_id=a.room_ids[0],
            starts_at=starts,
            duration=timedelta(hours=2),
        )
        bookings.append(booking.id)
    world.db.update_clinic(
        a.id,
        actor="test",
        currency="USD",
        band_prices=[150_000, 250_000, 350_000, 450_000],
        extra_session_price=60_000,
    )
    paid = a.records.record_payment(pid, amount=100, method="cash", session_number=1)
    invoice = a.records.issue_invoice(pid)
    return {
        "payment_id": [paid.id],
        "invoice_id": [invoice.id],
        "patient_id": [pid, world.new_patient("a"), world.b.patient_id],
        "photo_id": [photo.id],
        "design_id": [design.id],
        "plan_id": [plan_id],
        "booking_id": bookings,
        "lead_id": [lead.id],
    }


@pytest.fixture(scope="module")
def contract_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Contract]:
    tmp: Path = tmp_path_factory.mktemp("contract")
    config = ClinicConfig.from_env(db=str(tmp / "clinic.sqlite3"), data_dir=tmp)
    world = make_world(config, tmp)
    run = Contract(world, _seed(world))
    visitor = world.client()
    visitor.get("/")
    form_token = visitor.cookies.get(FORM_COOKIE)
    assert form_token
    run.form_token = form_token
    PROXY.app = world.app
    _CONTRACT[:] = [run]
    yield run
    _report(run)
    PROXY.app = None
    _CONTRACT.clear()
    world.close()
    world.db.close()


def _report(run: Contract) -> None:
    path = os.environ.get("SMPSTUDIO_CONTRACT_REPORT")
    if not path:
        return
    lines = [
        f"{n:5d} cases {run.seconds[label]:7.1f} s  {label}"
        for label, n in sorted(run.cases.items(), key=lambda kv: kv[0])
    ]
    lines.append(f"{sum(run.cases.values()):5d} cases {sum(run.seconds.values()):7.1f} s  total")
    lines.append("phases: " + ", ".join(f"{k}: {v}" for k, v in sorted(run.phases.items())))
    lines.append("statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(run.statuses.items())))
    lines.append(f"owner sessions started: {run.sessions_started}")
    Path(path).write_text("\n".join(lines) + "\n")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_app_keeps_its_contract(case: schemathesis.Case, contract_world: Contract) -> None:
    PROXY.next_visitor()
    prepare(case, contract_world)
    started = time.perf_counter()
    response = case.call_and_validate(checks=CHECKS, timeout=TIMEOUT_S)
    contract_world.seconds[case.operation.label] += time.perf_counter() - started
    contract_world.cases[case.operation.label] += 1
    phase = case.meta.phase.name if case.meta is not None else "explicit"
    mode = case.meta.generation.mode if case.meta is not None else "positive"
    contract_world.phases[f"{phase}/{mode}"] += 1
    contract_world.statuses[response.status_code] += 1


def test_the_run_generated_enough_cases(contract_world: Contract) -> None:
    """Runs after every operation's test when the module runs in one process (as
    ``make reliability`` does); under pytest-xdist the operations are spread over workers."""
    if len(contract_world.cases) < len(list(schema.get_all_operations())):
        pytest.skip("the operations ran in several processes (pytest-xdist): no total here")
    total = sum(contract_world.cases.values())
    assert total >= MIN_TOTAL, dict(contract_world.cases)
