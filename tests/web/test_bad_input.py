"""Bad input gets a clear 4xx answer, never a 500: the cases the API contract run
(tests/reliability/test_api_contract.py) and its probes found, each a 500 before its fix."""

from __future__ import annotations

import asyncio

import pytest
from starlette.testclient import TestClient

from tests.web.conftest import World, csrf_of, rid

TOO_BIG = 2**63  # one more than the largest 64-bit id: its token is well formed
HUGE = "9" * 20


@pytest.fixture
def owner(world: World) -> TestClient:
    c = world.as_role("owner")
    c.headers["X-CSRF-Token"] = csrf_of(c.get("/studio/account").text)
    return c


def _p(world: World) -> str:
    return f"/studio/patients/{rid(world, world.a.patient_id)}"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/studio/patients/{big}"),
        ("GET", "/studio/patients/{big}/plans/{big}/plan.pdf"),
        ("GET", "/studio/photos/{big}"),
        ("POST", "/studio/patients/{big}/edit"),
        ("POST", "/studio/bookings/{big}/cancel"),
        ("POST", "/studio/leads/{big}"),
    ],
)
def test_an_id_beyond_64_bits_is_not_found(owner: TestClient, method: str, path: str) -> None:
    r = owner.request(method, path.format(big=rid(owner, TOO_BIG)), data={}, follow_redirects=False)
    assert r.status_code == 404, r.text[:300]
    assert "There is nothing here" in r.text


def test_a_design_the_model_refuses_is_a_json_422_in_the_preview(owner: TestClient) -> None:
    body = {"pattern": "norwood-1", "height_cm": 11, "temporal_rise_mm": 0, "head": "S"}
    r = owner.post("/studio/preview", json={**body, "profile": [0, 0, 0]})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/json"
    assert "hairline" in r.json()["error"]


@pytest.mark.parametrize("scars", [5, True, 1.5, {"fut": 1}])
def test_scars_that_are_not_a_list_are_refused(
    owner: TestClient, world: World, scars: object
) -> None:
    r = owner.post("/studio/preview", json={"scars": scars})
    assert r.status_code == 422, r.text[:300]
    assert "error" in r.json()
    token = owner.headers["X-CSRF-Token"]
    params = '{"scars": %s}' % ("true" if scars is True else repr(scars).replace("'", '"'))
    r = owner.post(
        _p(world) + "/designs",
        data={"csrf_token": token, "params": params},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"].endswith("/designer")


@pytest.mark.parametrize("week", ["9999-12-31", "0001-01-01", "9998-12-31"])
def test_a_week_at_the_ends_of_the_calendar_shows_this_week(owner: TestClient, week: str) -> None:
    r = owner.get(f"/studio/schedule?week={week}")
    assert r.status_code == 200
    assert week not in r.text


def test_a_wizard_step_in_superscript_digits_goes_back_to_the_start(
    owner: TestClient, world: World
) -> None:
    r = owner.post(_p(world) + "/consultation", data={"step": "²", "back": "1"})
    assert r.status_code == 200
    assert 'name="reasons"' in r.text  # step 1


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({"action": "update-user", "user_id": "²"}, 422),  # "no such account"
        ({"action": "update-user", "user_id": HUGE}, 422),
        ({"action": "reset-password", "user_id": HUGE}, 422),
        (
            {
                "action": "add-user",
                "full_name": "Sup Script",
                "role": "front-desk",
                "practitioner_id": "²",
            },
            200,
        ),
        (
            {
                "action": "add-user",
                "full_name": "Huge Link",
                "role": "front-desk",
                "practitioner_id": HUGE,
            },
            200,
        ),
        (
            {
                "action": "add-practitioner",
                "full_name": "Pat Odd",
                "certification_body": "B",
                "certification_number": "1",
                "certified_on": "2020-01-01",
                "attestation": "A",
                "attested_on": "2020-01-01",
                "weekday": ["²"],
            },
            422,
        ),
    ],
)
def test_team_forms_with_odd_numbers(
    owner: TestClient, form: dict[str, object], status: int, request: pytest.FixtureRequest
) -> None:
    if form["action"] == "add-user":
        form = {**form, "email": f"odd-{request.node.callspec.id}@soho.example".lower()}
    r = owner.post("/studio/team", data=form, follow_redirects=False)
    assert r.status_code == status, r.text[:300]


@pytest.mark.parametrize(
    "change",
    [
        {"practitioner_id": "¹"},
        {"practitioner_id": HUGE},
        {"room_id": HUGE},
        {"date": "9999-12-31", "time": "23:00"},
        {"date": "0001-01-01", "time": "00:00"},
    ],
)
def test_bookings_with_odd_numbers_or_dates_are_refused(
    owner: TestClient, world: World, change: dict[str, str]
) -> None:
    form = {
        "date": "2031-03-03",
        "time": "10:00",
        "hours": "2",
        "practitioner_id": rid(world, world.a.practitioner_id),
        "room_id": rid(world, world.a.room_ids[0]),
        **change,
    }
    r = owner.post(_p(world) + "/book", data=form, follow_redirects=False)
    assert r.status_code == 422, r.text[:300]


def test_a_booking_with_a_plan_id_beyond_64_bits_is_booked_without_a_plan(
    owner: TestClient, world: World
) -> None:
    form = {
        "date": "2031-06-02",
        "time": "10:00",
        "hours": "2",
        "practitioner_id": rid(world, world.a.practitioner_id),
        "room_id": rid(world, world.a.room_ids[1]),
        "plan_id": HUGE,
    }
    r = owner.post(_p(world) + "/book", data=form, follow_redirects=False)
    assert r.status_code in (303, 409), r.text[:300]


@pytest.mark.parametrize("secret", ["é" * 16, "A" * 17, "1" * 16, "a" * 32, "A" * 72])
def test_a_two_step_secret_that_is_not_base32_is_refused(owner: TestClient, secret: str) -> None:
    r = owner.post("/studio/account/two-step", data={"secret": secret, "code": "123456"})
    assert r.status_code == 400


def test_a_real_two_step_secret_gets_to_the_code_check(owner: TestClient) -> None:
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    r = owner.post("/studio/account/two-step", data={"secret": secret, "code": "000000"})
    assert r.status_code in (303, 422)  # on (a lucky code) or "that code does not match"


@pytest.mark.parametrize("field", ["practitioner_id", "booking_id", "plan_id"])
def test_a_session_with_an_id_beyond_64_bits_is_refused(
    owner: TestClient, world: World, field: str
) -> None:
    form = {
        "practitioner_id": rid(world, world.a.practitioner_id),
        "performed_on": "2030-01-01",
        "duration_minutes": "60",
        field: HUGE,
    }
    r = owner.post(_p(world) + "/sessions/new", data=form, follow_redirects=False)
    assert r.status_code == 422, r.text[:300]


def test_a_consultation_with_a_practitioner_id_beyond_64_bits_is_saved_without_one(
    owner: TestClient, world: World
) -> None:
    pid = world.new_patient()
    form = {"step": "3", "held_on": "2030-01-01", "reasons": "scar", "practitioner_id": HUGE}
    r = owner.post(
        f"/studio/patients/{rid(world, pid)}/consultation", data=form, follow_redirects=False
    )
    assert r.status_code == 303, r.text[:300]
    assert world.a.records.consultations(pid)[-1].practitioner_id is None


def test_a_nul_character_is_refused_alike_on_both_back_ends(world_on: World) -> None:
    # PostgreSQL cannot store NUL; the driver used to fail mid-request with a 500.
    visitor = world_on.client()
    token = csrf_of(visitor.get("/studio/sign-in").text)
    r = visitor.post(
        "/studio/sign-in",
        data={"csrf_token": token, "email": "x\x00@example.com", "password": "p", "next": "/"},
        follow_redirects=False,
    )
    assert 400 <= r.status_code < 500, r.text[:300]
    assert "NUL" in r.text
    owner = world_on.as_role("owner")
    r = owner.get("/studio/patients", params={"q": "Ro\x00se"})
    assert r.status_code < 500, r.text[:300]


def test_a_client_that_goes_away_mid_request_is_not_an_internal_error(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    # Found by the 32-user load test: users stopped while sending a preview request, and
    # each ClientDisconnect was logged as an internal error with a traceback.
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": "/consultation",
        "raw_path": b"/consultation",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", b"100"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 443),
        "state": {},
    }
    with caplog.at_level("DEBUG", logger="smpstudio.web"):
        asyncio.run(world.app(scope, receive, send))
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert any("client gone" in r.getMessage() for r in caplog.records)
