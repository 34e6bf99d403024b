"""The client portal over HTTP (in-process, HTTPS, SQLite and PostgreSQL): asking for a link
(no account enumeration), signing in with it once, the client's page, consent signed with a
drawn signature (PDF copy), withdrawal, the course booked and moved, healed photos, and the
refusals: a reused link, another clinic's link, another client's consent page, a form
without its token, a booking against the rules. The studio sends a link from the record."""

from __future__ import annotations

import base64
import io
import re
from datetime import date, timedelta
from typing import Any

import pypdf
import pytest
from PIL import Image, ImageDraw
from starlette.testclient import TestClient

from smpstudio.clinic import LINK_REFUSED, PigmentUse, portal_actor
from tests.web.conftest import PATCH_TESTED_PIGMENT, Clinic, World, csrf_of, rid

TOKEN = re.compile(r"/portal/sign-in\?clinic=([a-z2-7]{26})&token=([A-Za-z0-9_-]+)")
MONDAY = date(2032, 3, 1)  # the portal's own Mondays (no other web test books in 2032)


def _signature(stroke: bool = True) -> str:
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    if stroke:
        ImageDraw.Draw(image).line([(40, 150), (200, 40), (560, 120)], fill="black", width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _ask(world: World, c: TestClient, email: str, clinic: Clinic | None = None) -> Any:
    target = clinic or world.a
    page = c.get(f"/portal?clinic={rid(world, target.id)}")
    assert page.status_code == 200
    return c.post(
        "/portal",
        data={"csrf_token": csrf_of(page.text), "email": email, "clinic": rid(world, target.id)},
    )


def _link(clinic: Clinic, pid: int) -> tuple[str, str]:
    links = [m for m in clinic.records.messages(pid) if m.kind == "portal_link"]
    match = TOKEN.search(links[0].body)
    assert match, links[0].body
    return match.group(1), match.group(2)


def _open(c: TestClient, clinic_id: str, token: str) -> Any:
    landing = c.get(f"/portal/sign-in?clinic={clinic_id}&token={token}")
    assert landing.status_code == 200
    assert 'name="token"' in landing.text
    return c.post(
        "/portal/sign-in",
        data={"csrf_token": csrf_of(landing.text), "token": token, "clinic": clinic_id},
        follow_redirects=False,
    )


def signed_in(world: World, pid: int) -> TestClient:
    return sign_in_with_link(world, pid)[0]


def sign_in_with_link(world: World, pid: int) -> tuple[TestClient, str, str]:
    """A browser signed in to the portal as client ``pid``, and the link it used."""
    c = world.client()
    email = world.a.records.patient(pid).email
    assert _ask(world, c, email).status_code == 200
    clinic_id, token = _link(world.a, pid)
    response = _open(c, clinic_id, token)
    assert response.status_code == 303
    assert response.headers["location"] == "/portal/home"
    assert "__Host-smp_portal=" in response.headers["set-cookie"]
    return c, clinic_id, token


@pytest.fixture
def w(world_on: World) -> World:
    return world_on


def test_a_client_signs_in_with_a_one_time_link_and_sees_their_page(w: World) -> None:
    pid = w.new_patient()
    c, clinic_id, token = sign_in_with_link(w, pid)
    home = c.get("/portal/home")
    assert home.status_code == 200
    name = w.a.records.patient(pid).given_name
    assert f"Hello {name}" in home.text
    assert "Read or withdraw" in home.text  # treatment and photo consent signed in the studio
    assert "The clinic has not made your treatment plan yet." in home.text
    # The link worked once: a second browser opening it is refused with one message, and
    # the outbox's copy of the e-mail no longer holds it.
    assert all(token not in m.body for m in w.a.records.messages(pid))
    again = _open(w.client(), clinic_id, token)
    assert again.status_code == 403
    assert LINK_REFUSED in again.text.replace("&#39;", "'")
    entries = w.a.records.audit_trail(patient_id=pid)
    assert any(e.actor == portal_actor(pid) and e.action == "sign-in" for e in entries)
    assert any(e.object_type == "portal-link" and e.outcome == "refused" for e in entries)
    # Signed out, the portal is closed to this browser.
    out = c.post(
        "/portal/sign-out", data={"csrf_token": csrf_of(home.text)}, follow_redirects=False
    )
    assert out.status_code == 303
    assert c.get("/portal/home", follow_redirects=False).headers["location"] == "/portal"


def test_an_unknown_address_gets_the_same_answer(w: World) -> None:
    pid = w.new_patient()
    known = _ask(w, w.client(), w.a.records.patient(pid).email)
    unknown = _ask(w, w.client(), "nobody-at-all@example.com")
    assert (known.status_code, unknown.status_code) == (200, 200)

    def answer(html: str) -> str:
        (text,) = re.findall(r'<p class="notice" role="status">(.*?)</p>', html, re.S)
        return re.sub(r"If \S+ is", "If … is", text)

    assert answer(known.text) == answer(unknown.text)
    assert "a sign-in link is on its way" in answer(known.text)


def test_a_link_of_another_clinic_is_refused(w: World) -> None:
    pid = w.new_patient("b")
    c = w.client()
    _ask(w, c, w.b.records.patient(pid).email, w.b)
    _, token = _link(w.b, pid)
    refused = _open(c, str(w.a.id), token)
    assert refused.status_code == 403
    assert "not a link of this clinic" in refused.text
    assert c.get("/portal/home", follow_redirects=False).status_code == 303


def test_consent_is_signed_with_a_drawn_signature_and_withdrawn(w: World) -> None:
    pid = w.new_patient(consents=False)
    other = w.new_patient()
    c = signed_in(w, pid)
    form = c.get("/portal/consent/treatment")
    assert form.status_code == 200
    assert "Consent to scalp micropigmentation" in form.text
    assert 'id="signature-pad"' in form.text
    token = csrf_of(form.text)
    fields = {"csrf_token": token, "for": rid(w, pid), "signed_name": "Sam Lee"}
    blank = c.post("/portal/consent/treatment", data={**fields, "signature": _signature(False)})
    assert blank.status_code == 422
    assert "The signature box is empty or holds only a dot" in blank.text
    foreign = c.post(
        "/portal/consent/treatment",
        data={**fields, "for": rid(w, other), "signature": _signature()},
    )
    assert foreign.status_code == 422
    assert "This page was opened for another client: nothing was signed" in foreign.text
    no_token = c.post("/portal/consent/treatment", data={**fields, "csrf_token": "x"})
    assert no_token.status_code == 403
    assert not w.a.records.consent_status(pid, "treatment").granted
    signed = c.post(
        "/portal/consent/treatment",
        data={**fields, "signature": _signature()},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    assert w.a.records.consent_status(pid, "treatment").granted
    home = c.get("/portal/home")
    assert "Thank you: your consent is signed." in home.text
    (href,) = re.findall(r'href="(/portal/documents/consent-[a-z2-7]{26}\.pdf)"', home.text)
    pdf = c.get(href)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    (paper,) = w.a.records.consent_documents(pid)
    words = " ".join(p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert f"consent {rid(w, paper.consent_id)}" in words  # its reference: a token, not the id
    copies = [m for m in w.a.records.messages(pid) if m.kind == "consent_copy"]
    assert [m.attachment for m in copies] == [pdf.content]
    # Another client cannot read it.
    assert signed_in(w, other).get(href).status_code == 404
    withdrawn = c.post(
        "/portal/consent/treatment",
        data={"csrf_token": token, "for": rid(w, pid), "action": "withdraw"},
        follow_redirects=False,
    )
    assert withdrawn.status_code == 303
    assert w.a.records.consent_status(pid, "treatment").decision == "withdrawn"
    assert c.get("/portal/consent/tattoo-removal").status_code == 404


def _plan(clinic: Clinic, pid: int, first: date, sessions: int = 3) -> int:
    content = {
        "schema": "smpstudio/plan",
        "spacing_days": 14,
        "sessions": [
            {"index": n, "date": str(first + timedelta(days=14 * (n - 1))),
             "purpose": f"layer {n}", "booked_h": 3.0}
            for n in range(1, sessions + 1)
        ],
        "aftercare": [{"date": str(first), "until": None, "text": "Keep the scalp dry."}],
        "touch_up": {"date": "2035-01-01"},
    }  # fmt: skip
    return clinic.records.save_plan(pid, content).id


def test_the_client_books_and_moves_the_course_within_the_rules(w: World) -> None:
    pid = w.new_patient()
    first = MONDAY + timedelta(weeks=10 if w.db.backend == "sqlite" else 20)
    _plan(w.a, pid, first)
    c = signed_in(w, pid)
    form = c.get("/portal/book")
    assert form.status_code == 200
    assert "Alex Doe works Mon 09:00–18:00" in form.text
    token = csrf_of(form.text)
    days = {n: first + timedelta(days=14 * (n - 1)) for n in (1, 2, 3)}
    fields = {"csrf_token": token}
    for n, day in days.items():
        fields |= {f"date_{n}": day.isoformat(), f"time_{n}": "10:00"}
    close = {**fields, "date_2": (first + timedelta(days=2)).isoformat()}
    refused = c.post("/portal/book", data=close)
    assert refused.status_code == 409
    assert "Session 2: the client has a session on" in refused.text
    assert w.a.records.portal_bookings(pid) == []
    booked = c.post("/portal/book", data=fields, follow_redirects=False)
    assert booked.status_code == 303
    rows = w.a.records.portal_bookings(pid)
    assert [b.local_day for b in rows] == list(days.values())
    home = c.get("/portal/home")
    assert "Your sessions are booked." in home.text
    assert "Keep the scalp dry." in home.text
    moved = {**fields, "date_3": (days[3] + timedelta(days=7)).isoformat(), "time_3": "11:30"}
    assert c.post("/portal/book", data=moved, follow_redirects=False).status_code == 303
    rows = w.a.records.portal_bookings(pid)
    assert rows[2].local_day == days[3] + timedelta(days=7)
    assert rows[2].starts_at.astimezone(w.a.records.timezone).strftime("%H:%M") == "11:30"
    sunday = {**fields, "date_1": (first - timedelta(days=1)).isoformat()}
    assert "does not work Sun" in c.post("/portal/book", data=sunday).text


def test_the_plan_asks_for_a_healed_photo_and_the_client_sends_it(w: World) -> None:
    pid = w.new_patient()
    r = w.a.records
    record = r.record_session(
        pid, practitioner_id=w.a.practitioner_id, performed_on=r.today() - timedelta(days=40),
        duration_minutes=120,
        pigments=[PigmentUse(PATCH_TESTED_PIGMENT, "PORTAL-1", date(2099, 1, 1), water_ml=4)],
        needle_lots=["N-1"], needles_opened_in_front_of_client=True,
        anaesthetic_offered=False, anaesthetic_used=False,
        patch_test_override="patch test read at the consultation",
    )  # fmt: skip
    c = signed_in(w, pid)
    home = c.get("/portal/home")
    assert "Your plan asks for a photo of your healed scalp" in home.text
    token = csrf_of(home.text)
    jpeg = io.BytesIO()
    exif = Image.Exif()
    exif[0x8825] = {2: (51.0, 30.0, 0.0), 4: (0.0, 7.0, 0.0)}  # GPS: where the client lives
    exif[0x010F] = "PhoneMaker"
    Image.new("RGB", (320, 240), (170, 130, 110)).save(jpeg, format="JPEG", exif=exif)
    assert b"PhoneMaker" in jpeg.getvalue()
    not_asked = c.post(
        "/portal/photos",
        data={"csrf_token": token, "session": "999999"},
        files={"photo": ("scalp.jpg", jpeg.getvalue(), "image/jpeg")},
    )
    assert "Your plan asks for no healed photo of that session now" in not_asked.text
    hostile = c.post(
        "/portal/photos",
        data={"csrf_token": token, "session": rid(w, record.id)},
        files={"photo": ("scalp.jpg", b"<svg onload=alert(1)>", "image/jpeg")},
    )
    assert "Photo refused:" in hostile.text
    assert r.photos(pid) == []
    sent = c.post(
        "/portal/photos",
        data={"csrf_token": token, "session": rid(w, record.id)},
        files={"photo": ("scalp.jpg", jpeg.getvalue(), "image/jpeg")},
    )
    assert "Thank you: your healed photo is with the clinic." in sent.text
    (photo,) = r.photos(pid)
    assert (photo.kind, photo.session_id, photo.created_by) == (
        "follow-up", record.id, portal_actor(pid),
    )  # fmt: skip
    image = c.get(f"/portal/photos/{rid(w, photo.id)}")
    assert image.headers["content-type"] == "image/jpeg"
    assert b"PhoneMaker" not in image.content
    with Image.open(io.BytesIO(image.content)) as stored:
        assert not stored.getexif()
    other = w.new_patient()
    assert signed_in(w, other).get(f"/portal/photos/{rid(w, photo.id)}").status_code == 404


def test_the_studio_sends_a_portal_link_and_staff_and_portal_sessions_stay_apart(
    w: World,
) -> None:
    pid = w.new_patient()
    desk = w.as_role("front-desk")
    record = desk.get(f"/studio/patients/{rid(w, pid)}")
    assert "E-mail a client-portal link" in record.text
    sent = desk.post(
        f"/studio/patients/{rid(w, pid)}/portal-invite",
        data={"csrf_token": csrf_of(record.text)},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert "Portal sign-in link sent by e-mail." in desk.get(f"/studio/patients/{rid(w, pid)}").text
    clinic_id, token = _link(w.a, pid)
    c = w.client()
    assert _open(c, clinic_id, token).status_code == 303
    # A portal session opens no studio page, and a staff session no portal page.
    assert c.get("/studio", follow_redirects=False).headers["location"] == "/studio/sign-in"
    assert desk.get("/portal/home", follow_redirects=False).headers["location"] == "/portal"
    # Staff of another clinic cannot send a link to this client.
    leeds = w.as_role("owner", "b")
    page = leeds.get("/studio")
    refused = leeds.post(
        f"/studio/patients/{rid(w, pid)}/portal-invite", data={"csrf_token": csrf_of(page.text)}
    )
    assert refused.status_code == 404


def test_links_asked_for_one_address_are_limited(fresh_world: World) -> None:
    pid = fresh_world.new_patient()
    email = fresh_world.a.records.patient(pid).email
    c = fresh_world.client()
    answers = [_ask(fresh_world, c, email).status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]
    links = [m for m in fresh_world.a.records.messages(pid) if m.kind == "portal_link"]
    assert len(links) == 5
    assert [m.status for m in links].count("queued") == 1  # each new link revoked the last


def test_the_client_downloads_the_plan_pdf_the_studio_made(world: World) -> None:
    studio = world.as_role("practitioner")
    pid = world.new_patient()
    token = csrf_of(studio.get(f"/studio/patients/{rid(world, pid)}/designer").text)
    params = (
        '{"pattern": "norwood-4", "hairline": "soft", "height_cm": 7.5, '
        '"skin": "#a07e56", "hair": "black"}'
    )
    studio.post(
        f"/studio/patients/{rid(world, pid)}/designs", data={"csrf_token": token, "params": params}
    )
    design = world.a.records.designs(pid)[-1]
    form = studio.get(f"/studio/patients/{rid(world, pid)}/plans/new").text
    made = studio.post(
        f"/studio/patients/{rid(world, pid)}/plans/new",
        data={"csrf_token": csrf_of(form), "design_version": rid(world, design.id),
              "start": "2032-06-07", "time": "10:00", "sessions": "3", "spacing_days": "14"},
        follow_redirects=False,
    )  # fmt: skip
    plan_url = made.headers["location"]
    c = signed_in(world, pid)
    home = c.get("/portal/home").text
    (href,) = re.findall(r'href="(/portal/documents/plan-[a-z2-7]{26}\.pdf)"', home)
    pdf = c.get(href)
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content == studio.get(plan_url + "/plan.pdf").content  # the studio's own PDF
    assert 'id="aftercare-title"' in home
    # Another client's plan is not theirs to download.
    assert signed_in(world, world.new_patient()).get(href).status_code == 404


def test_the_studio_reads_the_consent_signed_in_the_portal_on_the_record(w: World) -> None:
    pid = w.new_patient(consents=False)
    c = signed_in(w, pid)
    token = csrf_of(c.get("/portal/consent/photo").text)
    c.post(
        "/portal/consent/photo",
        data={"csrf_token": token, "for": rid(w, pid), "signed_name": "Sam Lee",
              "signature": _signature()},
    )  # fmt: skip
    practitioner = w.as_role("practitioner")
    record = practitioner.get(f"/studio/patients/{rid(w, pid)}").text
    assert "Signed in the client portal" in record
    (href,) = re.findall(
        r'href="(/studio/patients/[a-z2-7]{26}/consent-documents/[a-z2-7]{26}\.pdf)"', record
    )
    pdf = practitioner.get(href)
    assert pdf.headers["content-type"] == "application/pdf"
    (copy,) = [m for m in w.a.records.messages(pid) if m.kind == "consent_copy"]
    assert pdf.content == copy.attachment
    other = w.new_patient()
    wrong = re.sub(r"/patients/[a-z2-7]{26}/", f"/patients/{rid(w, other)}/", href)
    assert practitioner.get(wrong).status_code == 404
    assert w.as_role("front-desk").get(href).status_code == 403


def test_links_use_the_configured_public_address_whatever_the_host_header(
    fresh_world: World,
) -> None:
    from smpstudio.web import WebConfig, create_app

    app = create_app(
        fresh_world.db,
        accounts=fresh_world.accounts,
        config=WebConfig(public_clinic_id=fresh_world.a.id, portal_url="https://smp.example/"),
    )
    pid = fresh_world.new_patient()
    with TestClient(app, base_url="https://testserver") as c:
        page = c.get("/portal")
        c.post(
            "/portal",
            data={
                "csrf_token": csrf_of(page.text),
                "email": fresh_world.a.records.patient(pid).email,
            },
            headers={"host": "evil.example"},
        )
    (link,) = [m for m in fresh_world.a.records.messages(pid) if m.kind == "portal_link"]
    assert (
        f"https://smp.example/portal/sign-in?clinic={rid(fresh_world, fresh_world.a.id)}&token="
        in link.body
    )
    assert "evil.example" not in link.body
