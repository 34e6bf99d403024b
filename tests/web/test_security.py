"""Security of the web studio: headers on every route, cookies, sessions, CSRF, rate limits,
request limits, roles (function level) and clinics (object level), no patient data in URLs."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from starlette.routing import Route

from smpstudio.clinic import Patient
from smpstudio.web import WebConfig, create_app
from smpstudio.web._auth import safe_next
from tests.web.conftest import BOOKING_DAYS, HASHER, PASSWORD, World, csrf_of, rid


def _get_routes(world: World) -> list[str]:
    """Every GET route of the router table, with real ids of clinic A filled in."""
    ids = {
        "patient_id": world.a.patient_id,
        "photo_id": 1,
        "plan_id": 1,
        "design_id": 1,
        "patch_test_id": 1,
        "document_id": 1,
        "kind": "treatment",
        "payment_id": 1,
        "invoice_id": 1,
        "booking_id": 1,
        "view": "front",
        "state": "healed",
    }
    paths = []
    for route in world.app.routes:
        if isinstance(route, Route) and "GET" in (route.methods or ()):
            paths.append(re.sub(r"{(\w+)(:\w+)?}", lambda m: str(ids[m.group(1)]), route.path))
    return sorted(set(paths))


def test_every_route_sends_the_security_headers(world: World) -> None:
    owner = world.as_role("owner")
    anonymous = world.client()
    paths = _get_routes(world)
    assert len(paths) >= 25
    for path in paths:
        for client in (owner, anonymous):
            r = client.get(path, follow_redirects=False)
            h = r.headers
            csp = h["content-security-policy"]
            for part in (
                "object-src 'none'",
                "base-uri 'none'",
                "frame-ancestors 'none'",
                "script-src 'self'",
                "default-src 'self'",
            ):
                assert part in csp, (path, csp)
            assert "unsafe-inline" not in csp
            assert int(re.search(r"max-age=(\d+)", h["strict-transport-security"])[1]) >= 31536000
            assert h["x-content-type-options"] == "nosniff"
            assert h["referrer-policy"] == "same-origin"
            assert h["x-frame-options"] == "DENY"
            assert h["cache-control"] == "no-store", path


def test_static_files_are_cacheable_but_still_protected(world: World) -> None:
    r = world.client().get("/static/studio.css")
    assert r.status_code == 200
    assert "immutable" in r.headers["cache-control"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_the_session_cookie_is_host_only_secure_httponly_and_new_at_sign_in(world: World) -> None:
    c = world.client()
    c.cookies.set("__Host-smp_session", "planted-by-an-attacker", domain="testserver")
    token = csrf_of(c.get("/studio/sign-in").text)
    r = c.post(
        "/studio/sign-in",
        data={
            "csrf_token": token,
            "email": world.a.staff["owner"],
            "password": PASSWORD,
            "next": "/studio",
        },
        follow_redirects=False,
    )
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("__Host-smp_session=")
    value = cookie.split(";")[0].split("=", 1)[1]
    assert value != "planted-by-an-attacker"
    assert len(value) >= 43
    attributes = {a.strip().lower() for a in cookie.split(";")[1:]}
    assert {"httponly", "path=/", "samesite=lax", "secure"} <= attributes
    assert not any(a.startswith("domain") for a in attributes)


def test_sign_out_ends_the_session_on_the_server(world: World) -> None:
    c = world.as_role("front-desk")
    stolen = c.cookies.get("__Host-smp_session")
    token = csrf_of(c.get("/studio").text)
    assert (
        c.post("/studio/sign-out", data={"csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
    replay = world.client()
    replay.cookies.set("__Host-smp_session", stolen, domain="testserver")
    r = replay.get("/studio/patients", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/studio/sign-in"


def test_an_idle_session_must_sign_in_again(fresh_world: World) -> None:
    app = create_app(
        fresh_world.db,
        accounts=type(fresh_world.accounts)(
            fresh_world.db, hasher=HASHER, idle=timedelta(milliseconds=1)
        ),
    )
    fresh_world.app = app
    c = fresh_world.as_role("owner")
    r = c.get("/studio", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/studio/sign-in"


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
        {"origin": "https://evil.example"},
        {"origin": "null"},
    ],
)
def test_cross_site_changes_are_refused(world: World, headers: dict[str, str]) -> None:
    c = world.as_role("owner")
    token = csrf_of(c.get("/studio/patients/new").text)
    before = _patients(world)
    r = c.post(
        "/studio/patients/new",
        headers=headers,
        data={
            "csrf_token": token,
            "given_name": "X",
            "family_name": "Y",
            "date_of_birth": "1980-01-01",
        },
    )
    assert r.status_code == 403
    assert _patients(world) == before


@pytest.mark.parametrize("token", ["", "wrong-token"])
def test_a_change_without_the_session_token_is_refused(world: World, token: str) -> None:
    c = world.as_role("owner")
    before = _patients(world)
    r = c.post(
        "/studio/patients/new",
        headers={"sec-fetch-site": "same-origin"},
        data={
            "csrf_token": token,
            "given_name": "X",
            "family_name": "Y",
            "date_of_birth": "1980-01-01",
        },
    )
    assert r.status_code == 403
    r = c.post("/studio/preview", json={}, headers={"x-csrf-token": token or "x"})
    assert r.status_code == 403
    assert _patients(world) == before


def _patients(world: World) -> int:
    with world.db.transaction(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(Patient)) or 0)


def test_the_eleventh_failure_in_a_minute_is_refused_and_unknown_looks_like_known(
    fresh_world: World,
) -> None:
    c = fresh_world.client()
    token = csrf_of(c.get("/studio/sign-in").text)
    email = fresh_world.a.staff["front-desk"]

    def attempt(address: str, password: str) -> tuple[int, str]:
        r = c.post(
            "/studio/sign-in",
            data={"csrf_token": token, "email": address, "password": password, "next": "/studio"},
            follow_redirects=False,
        )
        return r.status_code, r.text

    known = attempt(email, "not the password")
    unknown = attempt("nobody@soho.example", "not the password")
    assert known[0] == unknown[0] == 401
    assert known[1].replace(email, "") == unknown[1].replace("nobody@soho.example", "")
    for _ in range(9):
        assert attempt(email, "still not it")[0] == 401
    status, text = attempt(email, PASSWORD)  # the 11th attempt, even with the right password
    assert status == 429
    assert "wait a minute" in text


def test_bodies_over_the_limit_get_413_one_byte_over(fresh_world: World) -> None:
    app = create_app(
        fresh_world.db,
        accounts=fresh_world.accounts,
        config=WebConfig(max_body_bytes=4096, public_clinic_id=fresh_world.a.id),
    )
    fresh_world.app = app
    c = fresh_world.client()
    token = csrf_of(c.get("/consultation").text)
    base = f"csrf_token={token}&name=A&email=a%40b.example&contact_consent=on&pad="
    exact = base + "x" * (4096 - len(base))
    r = c.post(
        "/consultation",
        content=exact.encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200
    r = c.post(
        "/consultation",
        content=(exact + "x").encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413

    def chunks():  # type: ignore[no-untyped-def]
        yield (exact + "x").encode()

    r = c.post(
        "/consultation",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413


def test_too_many_form_fields_are_refused(world: World) -> None:
    c = world.client()
    token = csrf_of(c.get("/consultation").text)
    limit = world.app.state.studio.config.max_form_fields
    fields = [("csrf_token", token)] + [(f"f{i}", "x") for i in range(limit)]
    r = c.post("/consultation", data=dict(fields))
    assert r.status_code == 400


ROLE_PAGES = [
    ("front-desk", "/studio/patients/{pid}/designer", 403),
    ("front-desk", "/studio/patients/{pid}/consultation", 403),
    ("front-desk", "/studio/patients/{pid}/plans/new", 403),
    ("front-desk", "/studio/patients/{pid}/gallery", 403),
    ("front-desk", "/studio/team", 403),
    ("front-desk", "/studio/audit", 403),
    ("practitioner", "/studio/team", 403),
    ("practitioner", "/studio/audit", 403),
    ("front-desk", "/studio/patients/{pid}", 200),
    ("front-desk", "/studio/patients/{pid}/book", 200),
    ("practitioner", "/studio/patients/{pid}/designer", 200),
    ("owner", "/studio/audit", 200),
]


@pytest.mark.parametrize(("role", "path", "status"), ROLE_PAGES)
def test_roles_open_only_their_pages(world: World, role: str, path: str, status: int) -> None:
    c = world.as_role(role)
    assert c.get(path.format(pid=rid(world, world.a.patient_id))).status_code == status


def test_front_desk_sees_no_clinical_record(world: World) -> None:
    html = (
        world.as_role("front-desk").get(f"/studio/patients/{rid(world, world.a.patient_id)}").text
    )
    assert "Candidacy" not in html
    assert "Photos" not in html
    assert "Sessions done" not in html


def test_signed_out_visitors_are_sent_to_sign_in(world: World) -> None:
    c = world.client()
    r = c.get(f"/studio/patients/{rid(world, world.a.patient_id)}", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/studio/sign-in"
    assert c.post("/studio/preview", json={}).status_code == 401


OTHER_CLINIC = [
    "/studio/patients/{pid}",
    "/studio/patients/{pid}/edit",
    "/studio/patients/{pid}/consultation",
    "/studio/patients/{pid}/designer",
    "/studio/patients/{pid}/gallery",
    "/studio/patients/{pid}/plans/new",
    "/studio/patients/{pid}/sessions/new",
    "/studio/patients/{pid}/book",
]


@pytest.mark.parametrize("path", OTHER_CLINIC)
def test_clinic_b_gets_404_for_clinic_a_pages(world: World, path: str) -> None:
    c = world.as_role("owner", clinic="b")
    r = c.get(path.format(pid=rid(world, world.a.patient_id)))
    assert r.status_code == 404
    assert "Sam" not in r.text


def test_clinic_b_gets_404_for_clinic_a_objects(world: World) -> None:
    """Photos, plans (page, PDF, calendar), design renders, bookings and changes."""
    a = world.as_role("practitioner")
    pid = world.a.patient_id
    records = world.a.records
    photo = records.add_photo(pid, _jpeg(), kind="before")
    booking = records.book(
        pid,
        practitioner_id=world.a.practitioner_id,
        room_id=world.a.room_ids[0],
        starts_at=_slot(world, BOOKING_DAYS["security-404"]),
        duration=timedelta(hours=3),
    )
    assert a.get(f"/studio/photos/{rid(world, photo.id)}").status_code == 200
    b = world.as_role("owner", clinic="b")
    token = csrf_of(b.get("/studio").text)
    assert b.get(f"/studio/photos/{rid(world, photo.id)}").status_code == 404
    for suffix in ("", "/plan.pdf", "/aftercare.ics"):
        assert b.get(f"/studio/patients/{rid(world, pid)}/plans/1{suffix}").status_code == 404
    assert (
        b.get(f"/studio/patients/{rid(world, pid)}/designs/1/front/healed.jpg").status_code == 404
    )
    assert (
        b.post(
            f"/studio/bookings/{rid(world, booking.id)}/cancel", data={"csrf_token": token}
        ).status_code
        == 404
    )
    r = b.post(
        f"/studio/patients/{rid(world, pid)}/edit",
        data={
            "csrf_token": token,
            "given_name": "Hacked",
            "family_name": "X",
            "date_of_birth": "1980-01-01",
        },
    )
    assert r.status_code == 404
    assert records.patient(pid).given_name != "Hacked"
    photos_before = len(records.photos(pid))  # the world is shared: other tests add photos
    r = b.post(
        f"/studio/patients/{rid(world, pid)}/photos",
        data={"csrf_token": token, "kind": "before"},
        files={"photo": ("x.jpg", _jpeg(), "image/jpeg")},
    )
    assert r.status_code in (303, 404)
    assert len(records.photos(pid)) == photos_before
    records.cancel_booking(booking.id)


def _slot(world: World, day: date):  # type: ignore[no-untyped-def]
    from datetime import datetime, time

    return datetime.combine(day, time(10), tzinfo=world.a.records.timezone)


def _jpeg() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "#a07e56").save(buffer, "JPEG")
    return buffer.getvalue()


def test_patient_pages_are_no_store_and_names_never_reach_a_url(world: World) -> None:
    c = world.as_role("owner")
    token = csrf_of(c.get("/studio/patients/new").text)
    r = c.post(
        "/studio/patients/new",
        data={
            "csrf_token": token,
            "given_name": "ZZTESTPATIENT",
            "family_name": "Sentinel",
            "date_of_birth": "1970-02-03",
            "email": "zz@example.com",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    location = r.headers["location"]
    assert re.fullmatch(r"/studio/patients/[a-z2-7]{26}", location)
    page = c.get(location)
    assert "ZZTESTPATIENT" in page.text
    assert page.headers["cache-control"] == "no-store"
    found = c.post("/studio/patients", data={"csrf_token": token, "q": "zztest"})
    assert "ZZTESTPATIENT" in found.text
    urls = re.findall(r'(?:href|src|action)="([^"]+)"', page.text + found.text)
    assert urls
    assert not [u for u in urls if "ZZTEST" in u.upper() or "SENTINEL" in u.upper()]


def test_after_sign_in_only_studio_pages_are_reached() -> None:
    assert safe_next("/studio/patients/3") == "/studio/patients/3"
    for bad in ("//evil.example", "https://evil.example/studio", "/\\evil", "/elsewhere"):
        assert safe_next(bad) == "/studio"


def test_a_one_time_password_must_be_changed_first(world: World) -> None:
    _, temporary = world.accounts.add_user(
        world.a.id,
        actor="t",
        full_name="Newcomer",
        email="newcomer@soho.example",
        role="front-desk",
    )
    c = world.sign_in("newcomer@soho.example", temporary)
    r = c.get("/studio/patients", follow_redirects=False)
    assert r.headers["location"] == "/studio/account/password"
    token = csrf_of(c.get("/studio/account/password").text)
    r = c.post(
        "/studio/account/password",
        data={
            "csrf_token": token,
            "current_password": temporary,
            "new_password": "short",
            "new_password_again": "short",
        },
    )
    assert r.status_code == 422
    assert "at least 8" in r.text
    r = c.post(
        "/studio/account/password",
        data={
            "csrf_token": token,
            "current_password": temporary,
            "new_password": "my own passphrase",
            "new_password_again": "my own passphrase",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert c.get("/studio/patients").status_code == 200


def test_two_step_sign_in_through_the_pages(world: World) -> None:
    import pyotp

    world.accounts.add_user(
        world.a.id,
        actor="t",
        full_name="Two Step",
        email="twostep@soho.example",
        role="practitioner",
        password=PASSWORD,
    )
    c = world.sign_in("twostep@soho.example")
    page = c.get("/studio/account/two-step").text
    secret = re.search(r'name="secret" value="([A-Z2-7]+)"', page)[1]
    token = csrf_of(page)
    r = c.post(
        "/studio/account/two-step",
        data={"csrf_token": token, "secret": secret, "code": pyotp.TOTP(secret).now()},
        follow_redirects=False,
    )
    assert r.status_code == 303
    second = world.client()
    form = csrf_of(second.get("/studio/sign-in").text)
    r = second.post(
        "/studio/sign-in",
        data={
            "csrf_token": form,
            "email": "twostep@soho.example",
            "password": PASSWORD,
            "next": "/studio",
        },
        follow_redirects=False,
    )
    assert r.headers["location"] == "/studio/sign-in/code"
    assert second.get("/studio", follow_redirects=False).status_code == 303  # not yet signed in
    code_page = second.get("/studio/sign-in/code")
    r = second.post(
        "/studio/sign-in/code",
        data={
            "csrf_token": csrf_of(code_page.text),
            "code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111",
        },
    )
    assert r.status_code == 401
    step = int(__import__("time").time()) // 30 + 1  # a code not used yet (one step ahead)
    r = second.post(
        "/studio/sign-in/code",
        data={"csrf_token": csrf_of(code_page.text), "code": pyotp.TOTP(secret).generate_otp(step)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert second.get("/studio").status_code == 200
