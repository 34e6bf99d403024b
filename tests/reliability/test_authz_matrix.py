"""The authorisation matrix: every route of the web app × every role × two clinics.

The routes are read from the Starlette router itself and must match ``ACCESS`` exactly, so
a new route fails this test until its access is written down here. Every object in a path
(client, photo, design, plan, booking, request) belongs to clinic A; clinic B's staff must
get 404 for it (or 403 when their role is refused anyway) and never see A's data.

Each cell sends the route's own method (with the session's CSRF token for changes, and an
empty form: the gate is what is checked, not the form's content) and one method the path
does not take (405 for everyone, before anything else).
"""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from smpstudio.clinic import REPORTS, ClinicConfig, portal_actor
from smpstudio.web._portal import _render_consent
from tests.web.conftest import BOOKING_DAYS, PASSWORD, World, csrf_of, make_world, rid, unrid

PUBLIC, STAFF, CLINICAL, OWNER = "public", "staff", "clinical", "owner"
PORTAL = "portal"  # a client's portal session only: no staff role opens it
ROLES = {
    PUBLIC: {"anonymous", "owner", "practitioner", "front-desk"},
    STAFF: {"owner", "practitioner", "front-desk"},
    CLINICAL: {"owner", "practitioner"},
    OWNER: {"owner"},
    PORTAL: set(),
}
P = "/studio/patients/{patient_id:rid}"
# (method, path template) → (who may use it, status for an allowed caller of clinic A).
# The status is that of the empty form for changes (422: refused as incomplete, nothing saved;
# 303: refused with a flash message on the page it redirects to).
ACCESS: dict[tuple[str, str], tuple[str, int]] = {
    ("GET", "/"): (PUBLIC, 200),
    ("GET", "/look/hero.jpg"): (PUBLIC, 200),
    ("GET", "/candidacy"): (PUBLIC, 200),
    ("POST", "/candidacy"): (PUBLIC, 422),
    ("GET", "/cost"): (PUBLIC, 200),
    ("POST", "/cost"): (PUBLIC, 422),
    ("GET", "/preview"): (PUBLIC, 200),
    ("POST", "/preview"): (PUBLIC, 422),
    ("GET", "/consultation"): (PUBLIC, 200),
    ("POST", "/consultation"): (PUBLIC, 422),
    ("GET", "/contact"): (PUBLIC, 200),
    ("GET", "/openapi.json"): (PUBLIC, 200),
    ("GET", "/static"): (PUBLIC, 200),
    ("GET", "/studio/sign-in"): (PUBLIC, 200),
    ("POST", "/studio/sign-in"): (PUBLIC, 401),
    ("GET", "/studio/sign-in/code"): (PUBLIC, 303),
    ("POST", "/studio/sign-in/code"): (PUBLIC, 303),
    ("POST", "/studio/sign-out"): (STAFF, 303),
    ("GET", "/studio/account"): (STAFF, 200),
    ("GET", "/studio/account/password"): (STAFF, 200),
    ("POST", "/studio/account/password"): (STAFF, 422),
    ("GET", "/studio/account/two-step"): (STAFF, 200),
    ("POST", "/studio/account/two-step"): (STAFF, 400),
    ("GET", "/studio"): (STAFF, 200),
    ("GET", "/studio/patients"): (STAFF, 200),
    ("POST", "/studio/patients"): (STAFF, 200),
    ("GET", "/studio/patients/new"): (STAFF, 200),
    ("POST", "/studio/patients/new"): (STAFF, 422),
    ("GET", P): (STAFF, 200),
    ("GET", P + "/edit"): (STAFF, 200),
    ("POST", P + "/edit"): (STAFF, 422),
    ("GET", P + "/consultation"): (CLINICAL, 200),
    ("POST", P + "/consultation"): (CLINICAL, 422),
    ("POST", P + "/photos"): (CLINICAL, 303),
    ("GET", P + "/gallery"): (CLINICAL, 200),
    ("GET", "/studio/photos/{photo_id:rid}"): (CLINICAL, 200),
    ("GET", P + "/photos/compare"): (CLINICAL, 200),
    ("GET", P + "/photos/series"): (CLINICAL, 422),  # its 64×48 photo cannot be read
    ("POST", "/studio/photos/{photo_id:rid}/view"): (CLINICAL, 303),
    ("GET", P + "/photos/{photo_id:rid}/designer"): (CLINICAL, 200),
    ("POST", P + "/photos/{photo_id:rid}/designs"): (CLINICAL, 303),
    ("POST", "/studio/photos/{photo_id:rid}/preview"): (CLINICAL, 400),  # no face on it
    ("GET", "/studio/photos/{photo_id:rid}/designer/before.jpg"): (CLINICAL, 400),
    ("POST", "/studio/preview"): (CLINICAL, 422),
    ("GET", P + "/designer"): (CLINICAL, 200),
    ("POST", P + "/designs"): (CLINICAL, 303),
    ("GET", P + "/designs/{design_id:rid}/{view}/{state}.jpg"): (CLINICAL, 200),
    ("GET", P + "/plans/new"): (CLINICAL, 200),
    ("POST", P + "/plans/new"): (CLINICAL, 422),
    ("GET", P + "/plans/{plan_id:rid}"): (CLINICAL, 200),
    ("POST", P + "/plans/{plan_id:rid}/status"): (CLINICAL, 422),
    ("GET", P + "/plans/{plan_id:rid}/plan.pdf"): (CLINICAL, 200),
    ("GET", P + "/plans/{plan_id:rid}/aftercare.ics"): (CLINICAL, 200),
    ("GET", P + "/sessions/new"): (CLINICAL, 200),
    ("POST", P + "/sessions/new"): (CLINICAL, 422),
    ("GET", P + "/patch-tests/new"): (CLINICAL, 200),
    ("POST", P + "/patch-tests/new"): (CLINICAL, 422),
    ("GET", P + "/patch-tests/{patch_test_id:rid}/reading"): (CLINICAL, 200),
    ("POST", P + "/patch-tests/{patch_test_id:rid}/reading"): (CLINICAL, 422),
    ("GET", "/studio/schedule"): (STAFF, 200),
    ("GET", P + "/book"): (STAFF, 200),
    ("POST", P + "/book"): (STAFF, 422),
    ("POST", "/studio/bookings/{booking_id:rid}/cancel"): (STAFF, 303),
    ("GET", "/studio/bookings/{booking_id:rid}/move"): (STAFF, 200),
    ("POST", "/studio/bookings/{booking_id:rid}/move"): (STAFF, 422),
    ("GET", "/studio/team"): (OWNER, 200),
    ("POST", "/studio/team"): (OWNER, 422),
    ("GET", "/studio/leads"): (STAFF, 200),
    ("POST", "/studio/leads/{lead_id:rid}"): (STAFF, 303),
    ("GET", "/studio/audit"): (OWNER, 200),
    ("GET", "/studio/clinic"): (OWNER, 200),
    ("POST", "/studio/clinic"): (OWNER, 422),
    ("GET", "/studio/stock"): (STAFF, 200),
    ("POST", "/studio/stock/items"): (STAFF, 422),
    ("POST", "/studio/stock/receive"): (STAFF, 422),
    ("POST", "/studio/stock/lots/{lot_id:rid}/count"): (STAFF, 422),
    ("GET", "/studio/recall"): (CLINICAL, 200),
    ("POST", "/studio/recall"): (CLINICAL, 422),
    ("POST", P + "/messages/opt-out"): (STAFF, 422),
    ("GET", "/portal"): (PUBLIC, 200),
    ("POST", "/portal"): (PUBLIC, 422),
    ("GET", "/portal/sign-in"): (PUBLIC, 200),
    ("POST", "/portal/sign-in"): (PUBLIC, 403),
    ("POST", "/portal/sign-out"): (PORTAL, 401),
    ("GET", "/portal/home"): (PORTAL, 303),
    ("GET", "/portal/consent/{kind:str}"): (PORTAL, 303),
    ("POST", "/portal/consent/{kind:str}"): (PORTAL, 401),
    ("GET", "/portal/documents/consent-{document_id:rid}.pdf"): (PORTAL, 303),
    ("GET", "/portal/documents/plan-{plan_id:rid}.pdf"): (PORTAL, 303),
    ("POST", "/portal/photos"): (PORTAL, 401),
    ("GET", "/portal/photos/{photo_id:rid}"): (PORTAL, 303),
    ("GET", "/portal/book"): (PORTAL, 303),
    ("POST", "/portal/book"): (PORTAL, 401),
    ("POST", P + "/portal-invite"): (STAFF, 303),
    ("GET", P + "/consent-documents/{document_id:rid}.pdf"): (CLINICAL, 200),
    ("GET", P + "/payments"): (STAFF, 200),
    ("POST", P + "/payments"): (STAFF, 422),
    ("GET", P + "/payments.json"): (STAFF, 200),
    ("GET", P + "/payments/{payment_id:rid}/receipt.pdf"): (STAFF, 200),
    ("POST", P + "/invoices"): (STAFF, 303),
    ("GET", P + "/invoices/{invoice_id:rid}/invoice.pdf"): (STAFF, 200),
    ("POST", "/studio/bookings/{booking_id:rid}/no-show"): (STAFF, 422),  # weeks ahead
    ("GET", "/studio/reports"): (CLINICAL, 200),
    **{
        ("GET", f"/studio/reports/{r.slug}{csv}"): (CLINICAL, 200)
        for r in REPORTS
        for csv in ("", ".csv")
    },
    ("GET", P + "/export"): (OWNER, 200),
    ("GET", P + "/export.zip"): (OWNER, 200),
    ("POST", P + "/erase"): (OWNER, 422),
}
# Routes that end or change the caller's session: each cell signs in afresh.
OWN_SESSION = {"/studio/sign-out"}
# Changes that check the form before looking the record up: clinic B's empty form is refused
# with a flash and a redirect (303) before A's record is read; nothing of A changes.
FORM_FIRST = {P + "/designs", P + "/photos", "/studio/leads/{lead_id:rid}"}
ACTORS = [
    (role, clinic) for clinic in ("b", "a") for role in ("practitioner", "front-desk", "owner")
]


def router_routes() -> set[tuple[str, str]]:
    """(method, path template) of every route of the app, HEAD aside (it follows GET)."""
    app = make_app_only()
    found: set[tuple[str, str]] = set()
    for route in app.router.routes:
        if isinstance(route, Route):
            found |= {(m, route.path) for m in route.methods or () if m != "HEAD"}
        elif isinstance(route, Mount):
            found.add(("GET", route.path))
        else:  # pragma: no cover - a new kind of route must be added to this test
            raise AssertionError(f"unknown route type {route!r}")
    return found


_APP: list[object] = []


def make_app_only():  # type: ignore[no-untyped-def]
    assert _APP, "the world fixture builds the app"
    return _APP[0]


class Matrix:
    """A world with one object of every kind in clinic A, and signed-in clients."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.clients: dict[tuple[str, str], TestClient] = {}
        self.weeks_used = 0
        a = world.a
        self.secret_name = world.a.records.patient(a.patient_id).given_name
        photo = a.records.add_photo(a.patient_id, _jpeg(), kind="before")
        lead = a.records.add_lead(
            f"Lead{secrets.token_hex(3)}", email="lead@example.com", contact_consent=True
        )
        self.lead_name = lead.name
        c = world.as_role("practitioner")
        pid = a.patient_id
        token = csrf_of(c.get(f"{_p(world, pid)}/designer").text)
        params = '{"pattern": "norwood-4", "hairline": "soft", "height_cm": 7.5}'
        r = c.post(
            f"{_p(world, pid)}/designs",
            data={"csrf_token": token, "params": params},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        design = a.records.designs(pid)[-1]
        r = c.post(
            f"{_p(world, pid)}/plans/new",
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
        ink = a.records.add_stock_item("pigment", "Matrix Ink", low_stock_at=1)
        lot = a.records.receive_stock(ink.id, lot="M-1", expires_on=date(2099, 1, 1), quantity=5)
        signer = world.db.clinic(a.id, actor=portal_actor(pid))
        signer.sign_consent_in_portal(
            pid, "marketing", for_patient_id=pid, signed_name="Matrix Client",
            signature_png=_signature(), render_pdf=_render_consent,
        )  # fmt: skip
        (document,) = signer.consent_documents(pid)
        world.db.update_clinic(
            a.id,
            actor="test",
            currency="USD",
            band_prices=[150_000, 250_000, 350_000, 450_000],
            extra_session_price=60_000,
        )
        paid = a.records.record_payment(pid, amount=100, method="cash", session_number=1)
        invoice = a.records.issue_invoice(pid)
        self.values = {
            "payment_id": paid.id,
            "invoice_id": invoice.id,
            "lot_id": lot.id,
            "patient_id": pid,
            "photo_id": photo.id,
            "design_id": design.id,
            "plan_id": plan_id,
            "lead_id": lead.id,
            "patch_test_id": a.records.patch_tests(pid)[0].id,
            "view": "front",
            "state": "healed",
            "kind": "treatment",
            "document_id": document.id,
        }
        desk_b = f"front-desk-{secrets.token_hex(3)}@leeds.example"
        world.accounts.add_user(
            world.b.id,
            actor="test",
            full_name="Desk B",
            email=desk_b,
            role="front-desk",
            password=PASSWORD,
        )
        world.b.staff["front-desk"] = desk_b

    def new_booking(self) -> int:
        a = self.world.a
        # A Monday of its own for every booking (one SMP client per practitioner per day,
        # the same client at least 7 days apart): random days collided now and then.
        self.weeks_used += 1
        day = BOOKING_DAYS["authz-matrix"] + timedelta(weeks=self.weeks_used)
        starts = datetime.combine(day, time(10), tzinfo=a.records.timezone)
        booking = a.records.book(
            a.patient_id,
            practitioner_id=a.practitioner_id,
            room_id=a.room_ids[0],
            starts_at=starts,
            duration=timedelta(hours=2),
        )
        return booking.id

    def url(self, template: str) -> str:
        if template == "/static":
            return "/static/studio.css"
        values = dict(self.values)
        if "{booking_id" in template:
            values["booking_id"] = self.new_booking()
        return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: self._value(values, m.group(1)), template)

    def _value(self, values: dict[str, object], name: str) -> str:
        value = values[name]
        return rid(self.world, value) if isinstance(value, int) else str(value)

    def client(self, actor: tuple[str, str] | None, *, fresh: bool = False) -> TestClient:
        if actor is None:
            c = self.world.client()
            c.get("/")  # the visitor's form cookie
            return c
        if fresh or actor not in self.clients:
            c = self.world.as_role(actor[0], clinic=actor[1])
            if fresh:
                return c
            self.clients[actor] = c
        return self.clients[actor]


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    tmp: Path = tmp_path_factory.mktemp("authz")
    config = ClinicConfig.from_env(db=str(tmp / "clinic.sqlite3"), data_dir=tmp)
    world = make_world(config, tmp)
    _APP[:] = [world.app]
    yield Matrix(world)
    world.close()
    world.db.close()


def expected(access: str, ok: int, method: str, actor: tuple[str, str] | None) -> int:
    if access == PORTAL:  # without a portal session, staff are visitors there
        return ok
    if actor is None:
        if access == PUBLIC:
            return ok
        return 303 if method == "GET" else 401
    role = actor[0]
    if role not in ROLES[access]:
        return 403
    return ok


def send(c: TestClient, method: str, url: str, *, public: bool = False) -> tuple[int, str]:
    if method == "GET":
        r = c.get(url, follow_redirects=False)
    else:
        token = c.cookies.get("__Host-smp_form") or ""
        headers = {}
        page_token = None if public else _session_token(c)
        if page_token:
            token = page_token
            headers["X-CSRF-Token"] = page_token
        r = c.request(
            method, url, data={"csrf_token": token}, headers=headers, follow_redirects=False
        )
    return r.status_code, r.text


def _session_token(c: TestClient) -> str | None:
    if not c.cookies.get("__Host-smp_session"):
        return None
    r = c.get("/studio/account", follow_redirects=False)
    return csrf_of(r.text) if r.status_code == 200 else None


def test_the_matrix_covers_every_route_of_the_router(matrix: Matrix) -> None:
    found = router_routes()
    assert found == set(ACCESS), (
        f"routes without an expected access: {sorted(found - set(ACCESS))}; "
        f"routes listed here but gone: {sorted(set(ACCESS) - found)}"
    )


@pytest.mark.parametrize(("method", "template"), sorted(ACCESS))
def test_every_role_of_both_clinics_gets_the_expected_status(
    matrix: Matrix, method: str, template: str
) -> None:
    access, ok = ACCESS[template_key(method, template)]
    has_object = "{" in template
    a = matrix.world.a.records
    a_pid = matrix.values["patient_id"]
    before = (len(a.designs(a_pid)), len(a.photos(a_pid)))
    got: dict[str, int] = {}
    want: dict[str, int] = {}
    for actor in [None, *ACTORS]:  # clinic B's staff first: they must change nothing of A
        if actor == ACTORS[3]:
            assert (len(a.designs(a_pid)), len(a.photos(a_pid))) == before
        name = "anonymous" if actor is None else f"{actor[0]}@{actor[1]}"
        status = expected(access, ok, method, actor)
        if actor is not None and template == "/studio/sign-in" and method == "GET":
            status = 303  # signed in already: on to the studio
        portal = access == PORTAL  # the portal's objects are a client's, not a clinic's
        b_staff = actor is not None and actor[1] == "b"
        if b_staff and has_object and not portal and status not in (403, 405):
            status = 303 if template in FORM_FIRST else 404  # clinic A's object
        client = matrix.client(actor, fresh=template in OWN_SESSION)
        code, text = send(client, method, matrix.url(template), public=access == PUBLIC)
        got[name], want[name] = code, status
        if actor is not None and actor[1] == "b":
            assert matrix.secret_name not in text, f"{name} saw clinic A's client on {template}"
            assert matrix.lead_name not in text, f"{name} saw clinic A's request on {template}"
    assert got == want, {k: (got[k], want[k]) for k in got if got[k] != want[k]}


@pytest.mark.parametrize("template", sorted({t for _, t in ACCESS}))
def test_a_method_the_path_does_not_take_is_405_for_everyone(matrix: Matrix, template: str) -> None:
    methods = {m for m, t in ACCESS if t == template}
    other = "DELETE" if template != "/static" else "POST"
    if "POST" not in methods and template != "/static":
        other = "POST"
    url = matrix.url(template)
    for actor in [None, *ACTORS]:
        code, _ = send(matrix.client(actor), other, url)
        assert code == 405, (actor, other, url, code)


def template_key(method: str, template: str) -> tuple[str, str]:
    return (method, template)


def _p(world: World, pid: int) -> str:
    return f"/studio/patients/{rid(world, pid)}"


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "#a07e56").save(buffer, "JPEG")
    return buffer.getvalue()


def _signature() -> bytes:
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(40, 150), (200, 40), (560, 120)], fill="black", width=4)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
