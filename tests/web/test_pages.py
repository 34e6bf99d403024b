"""The studio's pages end to end over HTTP: clients, the consultation wizard, photos,
booking with conflicts, the session log, plans with their PDF and calendar, requests."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from smpstudio.clinic import Consultation, Lead, Patient, SessionRecord
from smpstudio.colour import MONK_SWATCHES
from tests.web.conftest import BOOKING_DAYS, World, csrf_of, rid, unrid


def _count(world: World, model: type) -> int:
    with world.db.transaction(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _post(client, path: str, data: dict, **kw):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(path if "book" in path or "new" in path else "/studio").text)
    return client.post(path, data={"csrf_token": token, **data}, **kw)


def test_a_client_is_added_and_bad_input_is_shown_again_as_typed(world: World) -> None:
    c = world.as_role("front-desk")
    before = _count(world, Patient)
    r = _post(
        c,
        "/studio/patients/new",
        {
            "given_name": "Robin",
            "family_name": "Quill",
            "date_of_birth": "2015-01-01",
            "email": "not-an-address",
            "phone": "+44 20 7946 0000",
        },
    )
    assert r.status_code == 422
    assert "SMP is for adults" in r.text or "e-mail" in r.text
    assert 'value="Robin"' in r.text
    assert 'value="+44 20 7946 0000"' in r.text
    assert _count(world, Patient) == before
    r = _post(
        c,
        "/studio/patients/new",
        {
            "given_name": "Robin",
            "family_name": "Quill",
            "date_of_birth": "1985-01-01",
            "email": "robin@example.com",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = c.get(r.headers["location"])
    assert "Robin Quill" in page.text
    assert "Client added." in page.text
    assert _count(world, Patient) == before + 1


def test_the_consultation_wizard_evaluates_candidacy_and_records_consent(world: World) -> None:
    c = world.as_role("practitioner")
    pid = world.a.records.add_patient("Wiz", "Ard", date_of_birth=date(1979, 3, 4)).id
    path = f"/studio/patients/{rid(world, pid)}/consultation"
    token = csrf_of(c.get(path).text)
    r = c.post(path, data={"csrf_token": token, "step": "1", "held_on": "2026-11-30"})
    assert r.status_code == 422
    assert "at least one reason" in r.text
    step1 = {
        "csrf_token": token,
        "step": "1",
        "held_on": "2026-11-30",
        "reasons": ["pattern-loss", "scar"],
        "stage": "norwood-4",
        "notes": "wants a soft line",
    }
    r = c.post(path, data=step1)
    assert "Health questions" in r.text
    assert r.text.count('type="radio"') == 24
    answers = {f"q_{k}": "no" for k in re.findall(r'name="q_([\w-]+)" value="no"', r.text)}
    partial = {**step1, "step": "2", **dict(list(answers.items())[:5])}
    r = c.post(path, data=partial)
    assert r.status_code == 422
    assert "7 left" in r.text
    answers["q_blood-thinners"] = "yes"
    r = c.post(path, data={**step1, "step": "2", **answers})
    assert "Outcome" in r.text
    assert "refer" in r.text
    before = _count(world, Consultation)
    save = {**step1, "step": "3", **answers, "consent_treatment": "granted", "signed_treatment": ""}
    r = c.post(path, data=save)
    assert r.status_code == 422
    assert "types their name" in r.text
    assert _count(world, Consultation) == before  # nothing half-written
    save["signed_treatment"] = "Wiz Ard"
    save["consent_marketing"] = "refused"
    save["signed_marketing"] = "Wiz Ard"
    r = c.post(path, data=save, follow_redirects=False)
    assert r.status_code == 303
    records = world.a.records
    assert records.consultations(pid)[-1].outcome == "refer"
    assert records.consent_status(pid, "treatment").granted
    assert records.consent_status(pid, "marketing").decision == "refused"
    record = c.get(f"/studio/patients/{rid(world, pid)}").text
    assert "refer" in record
    assert "Pattern hair loss" in record


def _photo_with_gps() -> bytes:
    image = Image.new("RGB", (120, 80), "#c09070")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPSInfo
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue() + b"<script>alert(1)</script>"


def test_photos_are_cleaned_stored_with_consent_and_served_safely(world: World) -> None:
    c = world.as_role("practitioner")
    pid = world.a.patient_id
    token = csrf_of(c.get(f"/studio/patients/{rid(world, pid)}").text)
    r = c.post(
        f"/studio/patients/{rid(world, pid)}/photos",
        data={"csrf_token": token, "kind": "before"},
        files={"photo": ("../../../etc/passwd.jpg", _photo_with_gps(), "image/jpeg")},
    )
    assert "Photo stored." in r.text
    photo = world.a.records.photos(pid)[-1]
    assert ".." not in photo.path
    assert "passwd" not in photo.path
    served = c.get(f"/studio/photos/{rid(world, photo.id)}")
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["cache-control"] == "no-store"
    assert (
        "sandbox"
        in served.headers.get_list("content-security-policy")[0]
        + served.headers.get_list("content-security-policy")[-1]
    )
    data = served.content
    assert b"Exif" not in data
    assert b"PhoneMaker" not in data
    assert b"<script" not in data
    assert not Image.open(io.BytesIO(data)).getexif()
    r = c.post(
        f"/studio/patients/{rid(world, pid)}/photos",
        data={"csrf_token": token, "kind": "before"},
        files={"photo": ("notes.jpg", b"just some text", "image/jpeg")},
    )
    assert "not a jpeg, png, webp or heic image" in r.text.lower()
    no_consent = world.new_patient(consents=False)
    r = c.post(
        f"/studio/patients/{rid(world, no_consent)}/photos",
        data={"csrf_token": token, "kind": "before"},
        files={"photo": ("a.jpg", _photo_with_gps(), "image/jpeg")},
    )
    assert "photo consent" in r.text
    assert world.a.records.photos(no_consent) == []


def test_booking_shows_a_conflict_with_the_next_free_slot_and_books_it(world: World) -> None:
    c = world.as_role("front-desk")
    pid, other = world.new_patient(), world.new_patient()
    day = BOOKING_DAYS["pages-conflict"]
    form = {
        "practitioner_id": rid(world, world.a.practitioner_id),
        "room_id": rid(world, world.a.room_ids[0]),
        "date": day.isoformat(),
        "time": "10:00",
        "hours": "3",
    }
    r = _post(c, f"/studio/patients/{rid(world, pid)}/book", form, follow_redirects=False)
    assert r.status_code == 303
    r = _post(c, f"/studio/patients/{rid(world, other)}/book", form)
    assert r.status_code == 409
    assert "already has an SMP client on" in r.text
    offer = re.search(r"Next free slot: <strong>([^<]+)</strong>", r.text)[1]
    assert offer.startswith("Tue")
    assert "09:00" in offer
    hidden = dict(
        re.findall(
            r'<input type="hidden" name="(\w+)" value="([^"]*)">',
            r.text.split("conflict")[1].split("</form>")[0],
        )
    )
    r = c.post(f"/studio/patients/{rid(world, other)}/book", data=hidden, follow_redirects=False)
    assert r.status_code == 303
    week = c.get(f"/studio/schedule?week={day.isoformat()}").text
    assert week.count('class="slot"') >= 2
    r = _post(c, f"/studio/patients/{rid(world, other)}/book", {**form, "hours": "4.25"})
    assert r.status_code == 422
    assert "split a longer session" in r.text
    assert 'value="4.25"' in r.text


def test_a_session_is_logged_with_its_lots_and_bad_lots_write_nothing(world: World) -> None:
    c = world.as_role("practitioner")
    pid = world.new_patient()
    today = world.a.records.today().isoformat()
    form = {
        "practitioner_id": rid(world, world.a.practitioner_id),
        "performed_on": today,
        "duration_minutes": "180",
        "brand_1": "Ink Co Carbon",
        "batch_1": "B-2291",
        "expires_1": "2020-01-01",
        "water_ml_1": "2",
        "pigment_ml_1": "1",
        "needle_lots": "N-77, N-78",
        "opened_in_front": "on",
        "pain_score": "3",
    }
    before = _count(world, SessionRecord)
    r = _post(c, f"/studio/patients/{rid(world, pid)}/sessions/new", form)
    assert r.status_code == 422
    assert "expired" in r.text
    assert 'value="B-2291"' in r.text
    assert _count(world, SessionRecord) == before
    form["expires_1"] = "2099-01-01"
    r = _post(c, f"/studio/patients/{rid(world, pid)}/sessions/new", form, follow_redirects=False)
    assert r.status_code == 303
    record = c.get(f"/studio/patients/{rid(world, pid)}").text
    assert "B-2291" in record
    assert "N-77" in record
    assert "N-78" in record
    hits = world.a.records.clients_with_pigment_batch("B-2291")
    assert pid in {h.patient_id for h in hits}


def _appointment_statuses(ics: str) -> list[str]:
    """STATUS of each appointment event of an aftercare.ics, in order."""
    events = ics.replace("\r\n ", "").split("BEGIN:VEVENT")[1:]
    appointments = [e for e in events if "SUMMARY:Appointment " in e]
    return [re.search(r"STATUS:(\w+)", e).group(1) for e in appointments]  # type: ignore[union-attr]


@pytest.mark.slow
def test_design_plan_pdf_and_calendar(world: World) -> None:
    c = world.as_role("practitioner")
    pid = world.new_patient()
    page = c.get(f"/studio/patients/{rid(world, pid)}/designer").text
    token = csrf_of(page)
    params = (
        '{"pattern": "norwood-4", "hairline": "soft", "height_cm": 7.5, '
        '"skin": "#a07e56", "hair": "black"}'
    )
    r = c.post(
        f"/studio/patients/{rid(world, pid)}/designs",
        data={"csrf_token": token, "params": params},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"].endswith("?version=1")
    design = world.a.records.designs(pid)[-1]
    assert '"height_cm": 7.5' in design.content or '"hairline_height_cm": 7.5' in design.content
    form = c.get(f"/studio/patients/{rid(world, pid)}/plans/new").text
    r = c.post(
        f"/studio/patients/{rid(world, pid)}/plans/new",
        data={
            "csrf_token": csrf_of(form),
            "design_version": rid(world, design.id),
            "start": "2031-03-03",
            "time": "10:00",
            "sessions": "3",
            "spacing_days": "6",
        },
    )
    assert r.status_code == 422
    assert "7" in r.text
    r = c.post(
        f"/studio/patients/{rid(world, pid)}/plans/new",
        data={
            "csrf_token": csrf_of(form),
            "design_version": rid(world, design.id),
            "start": "2031-03-03",
            "time": "10:00",
            "sessions": "3",
            "spacing_days": "14",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    plan_url = r.headers["location"]
    page = c.get(plan_url).text
    for words in ("Sessions", "Cost", "Aftercare", "Touch-up", "2031-03-03", "USD"):
        assert words in page
    ics = c.get(plan_url + "/aftercare.ics")
    assert ics.headers["content-type"].startswith("text/calendar")
    assert "attachment" in ics.headers["content-disposition"]
    assert ics.content == c.get(plan_url + "/aftercare.ics").content  # stable UIDs, same bytes
    assert b"Sam" not in ics.content
    assert b"BEGIN:VEVENT" in ics.content
    assert _appointment_statuses(ics.text) == ["TENTATIVE"] * 3  # nothing booked yet
    plan_id = unrid(world, plan_url.rstrip("/").rsplit("/", 1)[1])
    world.a.records.book(
        pid,
        practitioner_id=world.a.practitioner_id,
        room_id=world.a.room_ids[0],
        starts_at=dt.datetime(2031, 3, 3, 10, 0, tzinfo=ZoneInfo("Europe/London")),
        duration=dt.timedelta(hours=3),
        plan_id=plan_id,
        session_number=1,
    )
    booked = c.get(plan_url + "/aftercare.ics").text
    assert _appointment_statuses(booked) == ["CONFIRMED", "TENTATIVE", "TENTATIVE"]
    pdf = c.get(plan_url + "/plan.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf.content))
    meta = " ".join(str(v) for v in (reader.metadata or {}).values())
    assert "Lee" not in meta
    text = "".join(p.extract_text() for p in reader.pages)
    assert "Today and healed, from above, and the scalp close up" in text, [
        line for line in text.splitlines() if "imulation" in line
    ]
    gallery = c.get(f"/studio/patients/{rid(world, pid)}/gallery").text
    image = re.search(
        r'src="(/studio/patients/[a-z2-7]{26}/designs/[a-z2-7]{26}/front/healed\.jpg)"', gallery
    )[1]
    assert c.get(image).headers["content-type"] == "image/jpeg"


def test_a_visitor_request_becomes_a_lead_and_then_a_client(world: World) -> None:
    visitor = world.client()
    token = csrf_of(visitor.get("/consultation").text)
    before = _count(world, Lead)
    r = visitor.post(
        "/consultation",
        data={
            "csrf_token": token,
            "name": "Jo Visitor",
            "email": "jo@example.com",
            "message": "Crown thinning",
        },
    )
    assert r.status_code == 422
    assert "agree to be contacted" in r.text
    assert 'value="Jo Visitor"' in r.text
    assert _count(world, Lead) == before
    r = visitor.post(
        "/consultation",
        data={
            "csrf_token": token,
            "name": "Jo Visitor",
            "email": "jo@example.com",
            "message": "Crown thinning",
            "stage": "norwood-3v",
            "contact_consent": "on",
        },
    )
    assert "your request is with us" in r.text
    assert _count(world, Lead) == before + 1
    desk = world.as_role("front-desk")
    leads = desk.get("/studio/leads").text
    lead_token = re.findall(r'action="/studio/leads/([a-z2-7]{26})"', leads)[0]
    r = desk.post(
        f"/studio/leads/{lead_token}",
        data={"csrf_token": csrf_of(leads), "action": "convert", "date_of_birth": "1990-06-01"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "Jo Visitor" in desk.get(r.headers["location"]).text


def test_a_robot_filling_the_hidden_field_is_thanked_and_ignored(world: World) -> None:
    visitor = world.client()
    token = csrf_of(visitor.get("/consultation").text)
    before = _count(world, Lead)
    r = visitor.post(
        "/consultation",
        data={
            "csrf_token": token,
            "name": "Bot",
            "email": "b@x.example",
            "contact_consent": "on",
            "website": "http://spam.example",
        },
    )
    assert "your request is with us" in r.text
    assert _count(world, Lead) == before


def test_the_candidacy_self_check_and_the_cost_estimate(world: World) -> None:
    visitor = world.client()
    page = visitor.get("/candidacy").text
    keys = re.findall(r'name="q_([\w-]+)" value="no"', page)
    answers = {f"q_{k}": "no" for k in keys} | {"q_pregnancy": "yes"}
    r = visitor.post("/candidacy", data={"csrf_token": csrf_of(page), **answers})
    assert "Not right now" in r.text
    assert "postpone until after pregnancy" in r.text
    page = visitor.get("/cost").text
    r = visitor.post(
        "/cost",
        data={"csrf_token": csrf_of(page), "pattern": "norwood-5", "hairline": "soft", "scar": ""},
    )
    assert re.search(r"USD 2,000 – 3,500", r.text), r.text[:500]
    r = visitor.post(
        "/cost",
        data={"csrf_token": csrf_of(page), "pattern": "norwood-99", "hairline": "soft", "scar": ""},
    )
    assert r.status_code == 422


def _look(visitor: Any, photo: bytes, name: str) -> Any:
    page = visitor.get("/preview").text
    return visitor.post(
        "/preview",
        data={
            "csrf_token": csrf_of(page),
            "pattern": "norwood-6",
            "hairline": "soft",
            "skin": "#f6ede4",
            "hair": "black",
        },
        files={"photo": (name, photo, "image/jpeg" if name.endswith(".jpg") else "image/png")},
    )


def test_preview_your_look_reads_the_skin_from_a_photo_and_keeps_nothing(world: World) -> None:
    from smpstudio.photo import analyze_photo, ingest_photo

    visitor = world.client()
    photos_dir = world.db.config.photos_dir
    before = sorted(photos_dir.rglob("*")) if photos_dir.exists() else []
    shaved = Path(__file__).parents[1] / "data" / "photos" / "astronaut-shaved.jpg"
    r = _look(visitor, shaved.read_bytes(), "me.jpg")
    assert r.status_code == 200, re.sub(r"\s+", " ", r.text)[-600:]
    expected = analyze_photo(ingest_photo(shaved)).skin
    assert expected is not None
    assert "Skin tone read from your photo (forehead and cheeks" in r.text
    assert expected.hex in r.text  # the one analysis of the CLI and the studio
    swatch = MONK_SWATCHES[expected.monk - 1]  # the form shows the swatch nearest the reading
    assert re.search(rf'value="{swatch}" checked', r.text), swatch
    assert r.text.count("data:image/jpeg;base64,") == 4  # her photo and the model head
    today, healed = (_image(r.text, label) for label in ("Your photo today", "After SMP, healed"))
    assert today.shape == healed.shape == (204, 156, 3)  # her head, cut from the 512 px photo
    darker = today.astype(int).sum(axis=2) - healed.astype(int).sum(axis=2)
    assert (darker > 6).sum() > 100  # the healed result shows on her shaved crown
    after = sorted(photos_dir.rglob("*")) if photos_dir.exists() else []
    assert after == before


def _image(page: str, label: str) -> np.ndarray:
    """The first image of the page whose alt text starts with ``label``."""
    found = re.search(r'<img src="data:image/jpeg;base64,([^"]+)" alt="' + label, page)
    assert found is not None, label
    with Image.open(io.BytesIO(base64.b64decode(found[1]))) as image:
        return np.asarray(image.convert("RGB"))


def test_preview_your_look_says_when_the_photo_cannot_show_a_result(world: World) -> None:
    """A full head of hair: nothing to treat on the photo, and the page says why."""
    visitor = world.client()
    full = Path(__file__).parents[1] / "data" / "photos" / "eval" / "astronaut.jpg"
    r = _look(visitor, full.read_bytes(), "me.jpg")
    assert r.status_code == 200
    assert "Your photo shows no bald or thinning scalp" in r.text
    assert "Your photo today" not in r.text
    assert r.text.count("data:image/jpeg;base64,") == 2  # the model head only


def test_preview_your_look_says_why_a_photo_gave_no_tone(world: World) -> None:
    visitor = world.client()
    buffer = io.BytesIO()
    Image.new("RGB", (200, 200), "#8a6a4f").save(buffer, "PNG")  # no face: not the wall's tone
    r = _look(visitor, buffer.getvalue(), "me.png")
    assert r.status_code == 200
    assert "#8a6a4f" not in r.text
    assert "No face was found on the photo" in r.text
    assert "The preview uses the tone you picked" in r.text
    assert r.text.count("data:image/jpeg;base64,") == 2


def test_the_schedule_and_today_show_the_week(world: World) -> None:
    c = world.as_role("owner")
    pid = world.new_patient()
    day = BOOKING_DAYS["pages-schedule"]
    start = datetime.combine(day, time(11), tzinfo=world.a.records.timezone)
    world.a.records.book(
        pid,
        practitioner_id=world.a.practitioner_id,
        room_id=world.a.room_ids[1],
        starts_at=start,
        duration=timedelta(hours=2),
    )
    week = c.get(f"/studio/schedule?week={start.date().isoformat()}").text
    assert "11:00–13:00" in week
    assert c.get("/studio/schedule?week=not-a-date").status_code == 200


def test_the_owner_adds_staff_with_a_one_time_password(world: World) -> None:
    c = world.as_role("owner")
    page = c.get("/studio/team").text
    r = c.post(
        "/studio/team",
        data={
            "csrf_token": csrf_of(page),
            "action": "add-user",
            "full_name": "Desk Two",
            "email": "desk2@soho.example",
            "role": "front-desk",
        },
    )
    password = re.search(r'<code class="key">([a-z0-9-]{23})</code>', r.text)[1]
    assert world.sign_in("desk2@soho.example", password)
    r = c.post(
        "/studio/team", data={"csrf_token": csrf_of(page), "action": "add-room", "name": "Room 1"}
    )
    assert r.status_code == 422
    assert "exists already" in r.text


def test_the_public_site_tells_what_the_plan_tells(world: World) -> None:
    """Issue 18: the home page carries the same words as the plan: redness gone by the next
    day, pain, hygiene, risks, sun, shaving, the one touch-up story and who to call."""
    from smpstudio.plan import client_guidance, touch_up_story

    page = world.client().get("/").text
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split()).replace("&#39;", "'")
    site = re.search(r"<title>[^<]*</title>", page)
    assert site is not None
    for section in client_guidance(contact="X"):
        assert section.title in text
    for words in (
        "gone by the next day",
        "about 3 out of 10",
        "opened in front of you",
        "SPF 30 to 50",
        "blue shift",
        "laser treatment",
        "you may shave again",
        touch_up_story(),
        "signs of infection",
    ):
        assert words in text, words
    assert "a day or two" not in text
    assert "three to five" not in text


def test_the_clinic_contact_comes_from_its_settings() -> None:
    from types import SimpleNamespace

    from smpstudio.web._site import clinic_contact

    def studio(phone: str, email: str) -> object:
        details = {"phone": phone, "email": email, "address": "", "opening_hours": ""}
        return SimpleNamespace(contact=lambda: details, site_name=lambda: "Soho SMP")

    both = clinic_contact(studio("020 7946 0000", "hi@soho.example"))  # type: ignore[arg-type]
    assert both == "Soho SMP on 020 7946 0000 or hi@soho.example"
    assert clinic_contact(studio("", "")) == "Soho SMP"  # type: ignore[arg-type]


def test_the_audit_log_pages_filters_and_names_who(world: World) -> None:
    owner = world.as_role("owner")
    for _ in range(16):
        world.new_patient()  # enough entries for more than one page
    first = owner.get("/studio/audit")
    assert first.status_code == 200
    assert "user:" not in first.text.split("<tbody>")[1]  # actors shown by name and role
    assert "(owner)" in first.text
    seqs = [int(s) for s in re.findall(r'<td class="num">(\d+)</td>', first.text)]
    assert len(seqs) == 100
    assert seqs == sorted(seqs, reverse=True)
    older = re.search(r'href="/studio/audit\?before=(\d+)"', first.text)
    assert older is not None
    assert int(older.group(1)) == seqs[-1]
    second = owner.get(f"/studio/audit?before={seqs[-1]}")
    later = [int(s) for s in re.findall(r'<td class="num">(\d+)</td>', second.text)]
    assert later
    assert max(later) < seqs[-1]
    reads = owner.get("/studio/audit?action=create").text
    body = reads.split("<tbody>")[1].split("</tbody>")[0]
    actions = [re.findall(r"<td[^>]*>(.*?)</td>", row)[3] for row in body.split("<tr>")[1:]]
    assert actions
    assert set(actions) == {"create"}
    for bad in ("before=-1", "before=abc", "action=%3Cscript%3E", "who=user:999999"):
        refused = owner.get(f"/studio/audit?{bad}")
        assert refused.status_code == 422, bad
        assert "open it again" in refused.text


def test_the_designer_reads_the_skin_on_the_clients_stored_photo(world: World) -> None:
    from smpstudio.colour import delta_e, skin_tone
    from smpstudio.photo import analyze_photo, ingest_photo

    c = world.as_role("practitioner")
    pid = world.new_patient()
    assert (
        "Read on the client's photo"
        not in c.get(f"/studio/patients/{rid(world, pid)}/designer").text
    )
    shaved = Path(__file__).parents[1] / "data" / "photos" / "astronaut-shaved.jpg"
    token = csrf_of(c.get(f"/studio/patients/{rid(world, pid)}").text)
    r = c.post(
        f"/studio/patients/{rid(world, pid)}/photos",
        data={"csrf_token": token, "kind": "before"},
        files={"photo": ("front.jpg", shaved.read_bytes(), "image/jpeg")},
    )
    assert "Photo stored." in r.text
    page = c.get(f"/studio/patients/{rid(world, pid)}/designer").text
    tone = analyze_photo(ingest_photo(shaved)).skin
    assert tone is not None
    pattern = (
        r"Read on the client's photo of [-\d]+ \(forehead and cheeks, corrected "
        r'for the light\): <span class="badge">(#[0-9a-f]{6})</span>'
    )
    found = re.search(pattern, page)
    assert found is not None
    measured = skin_tone(found.group(1))
    # the stored copy is a new JPEG of the upload: the same tone within a just-noticeable step
    assert delta_e(measured.lab, tone.lab) < 2.0
    assert measured.monk == tone.monk
    assert f'data-skin="{measured.hex}"' in page
    assert page.count(measured.hex) >= 3  # the note, the button and the designer's start
