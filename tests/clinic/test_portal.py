"""The client portal's clinic side on SQLite and PostgreSQL: one-time sign-in links (hashed,
expiring, single use, per clinic, no enumeration), portal sessions, consent signed at home
with a drawn signature and its PDF copy e-mailed through a REAL SMTP server (aiosmtpd),
withdrawal, the whole course booked or moved in one transaction under the clinic's rules,
and the healed photos the plan asks for. Every refusal is checked for its message, for
nothing written, and for its audit entry. The clock is set by each test."""

from __future__ import annotations

import email
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import func, select, update

from smpstudio import ClinicError, Settings
from smpstudio._clock import Clock
from smpstudio.clinic import (
    LINK_REFUSED,
    Booking,
    BookingConflictError,
    ClinicConfig,
    Consent,
    ConsentDocument,
    ConsentPaper,
    Message,
    PigmentUse,
    PortalAccess,
    PortalLink,
    SmtpMailer,
    check_signature,
    open_database,
    portal_actor,
)
from smpstudio.reports import consent_pdf

from ._smtp import SmtpServer
from .conftest import MONDAY, World, add_working_practitioner, make_world

LONDON = ZoneInfo("Europe/London")
START = datetime(2031, 3, 1, 8, 0, tzinfo=UTC)  # a Saturday; MONDAY is 2031-03-03
BASE = "https://clinic.example/portal/sign-in?clinic=1&token="
TOKEN = re.compile(r"token=([A-Za-z0-9_-]+)")


class Clocked:
    def __init__(self, world: World, clock: Clock) -> None:
        self.world = world
        self.clock = clock
        self.access = PortalAccess(world.db)

    @property
    def r(self) -> Any:
        return self.world.records

    @property
    def pid(self) -> int:
        return self.world.patient.id

    def advance(self, delta: timedelta) -> None:
        self.clock.offset += delta

    def client_records(self, patient_id: int | None = None) -> Any:
        return self.world.db.clinic(self.r.clinic_id, actor=portal_actor(patient_id or self.pid))

    def count(self, model: Any) -> int:
        with self.world.db.transaction(readonly=True) as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def c(backend: str, make_config: Callable[[str], ClinicConfig]) -> Iterator[Clocked]:
    clock = Clock.starting_at(START)
    settings = Settings.from_overrides({"portal_link_minutes": 30})
    with open_database(make_config(backend), clock=clock, settings=settings) as db:
        db.upgrade()
        yield Clocked(make_world(db, "Soho"), clock)


def signature(width: int = 600, height: int = 200, *, stroke: bool = True) -> bytes:
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    if stroke:
        draw = ImageDraw.Draw(image)
        draw.line([(40, 150), (160, 40), (300, 160), (560, 50)], fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def render(paper: ConsentPaper) -> bytes:
    return consent_pdf(
        clinic_name=paper.clinic_name, client_name=paper.client_name,
        date_of_birth=paper.date_of_birth, title=paper.title, version=paper.version,
        body=paper.body, body_sha256=paper.body_sha256, signed_name=paper.signed_name,
        signed_at=paper.signed_at, reference=paper.reference,
        signature_png=paper.signature_png,
    )  # fmt: skip


def link_of(c: Clocked, message_id: int) -> str:
    body = next(m.body for m in c.r.messages(c.pid) if m.id == message_id)
    match = TOKEN.search(body)
    assert match, body
    return match.group(1)


def audit(c: Clocked, **match: Any) -> list[Any]:
    rows = c.r.audit_trail()
    return [e for e in rows if all(getattr(e, k) == v for k, v in match.items())]


# --- sign-in links ---


def test_a_link_signs_the_client_in_once_and_is_kept_only_as_a_hash(c: Clocked) -> None:
    (message_id,) = c.access.request_link(c.r.clinic_id, "C@Example.com ", link_base=BASE)
    token = link_of(c, message_id)
    with c.world.db.transaction(readonly=True) as s:
        stored = s.scalars(select(PortalLink.token_hash)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    session = c.access.redeem(c.r.clinic_id, token, client="10.0.0.9")
    me = c.access.session(session)
    assert me is not None
    assert (me.clinic_id, me.patient_id) == (c.r.clinic_id, c.pid)
    # The outbox copy no longer holds a usable link.
    assert token not in next(m.body for m in c.r.messages(c.pid) if m.id == message_id)
    with pytest.raises(ClinicError) as refused:
        c.access.redeem(c.r.clinic_id, token, client="10.0.0.9")
    assert str(refused.value) == LINK_REFUSED
    assert audit(c, action="sign-in", object_type="portal-session", actor=portal_actor(c.pid))
    (reuse,) = audit(c, action="sign-in", object_type="portal-link", outcome="refused")
    assert "used already" in reuse.detail


def test_an_expired_link_is_refused_and_audited(c: Clocked) -> None:
    (message_id,) = c.access.request_link(c.r.clinic_id, "c@example.com", link_base=BASE)
    token = link_of(c, message_id)
    c.advance(timedelta(minutes=30))
    with pytest.raises(ClinicError, match="it has expired, it was used already"):
        c.access.redeem(c.r.clinic_id, token)
    assert c.count(PortalLink) == 1
    (entry,) = audit(c, object_type="portal-link", outcome="refused")
    assert entry.detail.endswith("expired")


def test_an_unknown_address_gets_no_link_and_reveals_nothing(c: Clocked) -> None:
    before = c.count(Message)
    assert c.access.request_link(c.r.clinic_id, "nobody@example.com", link_base=BASE) == []
    assert c.count(Message) == before
    assert c.count(PortalLink) == 0
    (entry,) = audit(c, object_type="portal-link", outcome="refused")
    assert entry.patient_id is None
    assert "nobody" not in entry.detail


def test_a_link_of_another_clinic_is_refused_in_both_chains(c: Clocked) -> None:
    other = make_world(c.world.db, "Leeds")
    other_patient = other.records.add_patient(
        "Ann", "Bell", date_of_birth=date(1979, 1, 1), email="ann@example.com"
    )
    (message_id,) = c.access.request_link(
        other.records.clinic_id, "ann@example.com", link_base=BASE
    )
    body = next(m.body for m in other.records.messages(other_patient.id) if m.id == message_id)
    token = TOKEN.search(body).group(1)  # type: ignore[union-attr]
    with pytest.raises(ClinicError) as refused:
        c.access.redeem(c.r.clinic_id, token)
    assert str(refused.value) == LINK_REFUSED
    (here,) = audit(c, object_type="portal-link", outcome="refused")
    assert here.detail == "sign-in link of another clinic"
    assert here.patient_id is None
    there = [e for e in other.records.audit_trail() if e.outcome == "refused"]
    assert [e.patient_id for e in there] == [other_patient.id]
    # The link still works at its own clinic.
    assert c.access.redeem(other.records.clinic_id, token)


def test_a_new_link_revokes_the_unused_one(c: Clocked) -> None:
    (first,) = c.access.request_link(c.r.clinic_id, "c@example.com", link_base=BASE)
    old = link_of(c, first)
    (second,) = c.access.request_link(c.r.clinic_id, "c@example.com", link_base=BASE)
    new = link_of(c, second)
    cancelled = next(m for m in c.r.messages(c.pid) if m.id == first)
    assert cancelled.status == "cancelled"
    assert old not in cancelled.body
    with pytest.raises(ClinicError, match="it has expired, it was used already"):
        c.access.redeem(c.r.clinic_id, old)
    assert c.access.redeem(c.r.clinic_id, new)


def test_the_studio_invites_a_client_and_a_client_without_email_is_refused(c: Clocked) -> None:
    c.access.invite(c.r.clinic_id, c.pid, link_base=BASE, actor="user:1")
    (created,) = audit(c, object_type="portal-link", action="create", outcome="ok")
    assert created.actor == "user:1"
    assert "from the studio" in created.detail
    silent = c.r.add_patient("No", "Mail", date_of_birth=date(1980, 1, 1))
    with pytest.raises(ClinicError, match="the client has no e-mail address"):
        c.access.invite(c.r.clinic_id, silent.id, link_base=BASE, actor="user:1")
    assert audit(c, object_type="portal-link", outcome="refused", patient_id=silent.id)


def test_a_portal_session_expires_and_ends_on_sign_out(c: Clocked) -> None:
    (message_id,) = c.access.request_link(c.r.clinic_id, "c@example.com", link_base=BASE)
    session = c.access.redeem(c.r.clinic_id, link_of(c, message_id))
    c.access.end_session(session)
    assert c.access.session(session) is None
    (message_id,) = c.access.request_link(c.r.clinic_id, "c@example.com", link_base=BASE)
    session = c.access.redeem(c.r.clinic_id, link_of(c, message_id))
    c.advance(timedelta(hours=c.world.db.settings.portal_session_hours))
    assert c.access.session(session) is None


# --- the signature ---


def test_a_drawn_signature_is_checked_and_rebuilt_from_its_pixels() -> None:
    clean = check_signature(signature())
    with Image.open(io.BytesIO(clean)) as image:
        assert image.format == "PNG"
        assert image.mode == "L"
        assert image.size == (600, 200)
        assert not image.info.get("text")
    with_text = io.BytesIO()
    from PIL.PngImagePlugin import PngInfo

    meta = PngInfo()
    meta.add_text("GPS", "51.5,-0.13")
    Image.open(io.BytesIO(signature())).save(with_text, format="PNG", pnginfo=meta)
    assert b"GPS" not in check_signature(with_text.getvalue())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "draw your signature in the box first"),
        (b"GIF89a" + bytes(100), "must be a PNG image"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "not a readable PNG"),
        (signature(stroke=False), "empty or holds only a dot"),
        (signature(100, 40), "must be 200×60 to 2400×1200 px"),
        (signature(5000, 200), "must be 200×60 to 2400×1200 px"),
        (b"\x89PNG\r\n\x1a\n" + bytes(400_000), "at most 300,000 allowed"),
    ],
)
def test_a_bad_signature_is_refused_with_one_clear_message(data: bytes, message: str) -> None:
    with pytest.raises(ClinicError, match=re.escape(message)):
        check_signature(data)


def test_a_dot_is_no_signature() -> None:
    image = Image.new("RGBA", (600, 200), (255, 255, 255, 0))
    ImageDraw.Draw(image).ellipse((300, 100, 306, 106), fill=(0, 0, 0, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    with pytest.raises(ClinicError, match="holds only a dot"):
        check_signature(out.getvalue())


# --- consent at home ---


def test_a_damaged_consent_copy_is_named_by_its_day_not_its_id(c: Clocked) -> None:
    me = c.client_records()
    me.sign_consent_in_portal(
        c.pid, "photo", for_patient_id=c.pid, signed_name="Sam Lee",
        signature_png=signature(), render_pdf=render,
    )  # fmt: skip
    (document,) = me.consent_documents(c.pid)
    with c.world.db.transaction() as s:  # a disk error: the stored bytes change under the hash
        s.execute(
            update(ConsentDocument)
            .where(ConsentDocument.id == document.id)
            .values(pdf=b"%PDF-1.4 damaged")
        )
    signed = document.created_at.astimezone(c.r.timezone).date().isoformat()
    with pytest.raises(ClinicError) as refused:
        me.consent_document_pdf(c.pid, document.id)
    assert str(refused.value).startswith(f"the consent signed on {signed} is damaged")
    assert "from the latest backup" in str(refused.value)
    assert str(document.id) not in str(refused.value).replace(signed, "")


def test_consent_signed_at_home_is_stored_with_its_pdf_and_emailed(
    c: Clocked, tmp_path: Path
) -> None:
    me = c.client_records()
    c.r.record_consent(
        c.pid, c.r.consent_forms("photo")[-1].id, decision="withdrawn", signed_name="Sam Lee"
    )
    consent = me.sign_consent_in_portal(
        c.pid, "photo", for_patient_id=c.pid, signed_name="Sam Lee",
        signature_png=signature(), render_pdf=render,
    )  # fmt: skip
    assert consent.recorded_by == portal_actor(c.pid)
    assert c.r.consent_status(c.pid, "photo").granted
    (document,) = me.consent_documents(c.pid)
    pdf = me.consent_document_pdf(c.pid, document.id)
    assert pdf.startswith(b"%PDF-")
    assert hashlib.sha256(pdf).hexdigest() == document.pdf_sha256
    (copy,) = [m for m in c.r.messages(c.pid) if m.kind == "consent_copy"]
    assert copy.attachment == pdf
    server = SmtpServer(tmp_path / "mail").start()
    try:
        report = c.r.send_due_messages(mailer=_mailer(server.port))
        assert copy.id in report.sent
        (mail,) = [m for m in server.received() if "signed consent" in str(m["Subject"])]
    finally:
        server.stop()
    parsed = email.message_from_bytes(mail.as_bytes())
    files = [p for p in parsed.walk() if p.get_filename()]
    assert [f.get_filename() for f in files] == ["consent-photo-v1.pdf"]
    assert files[0].get_payload(decode=True) == pdf
    kinds = {(e.object_type, e.actor) for e in audit(c, action="create", patient_id=c.pid)}
    assert ("consent-document", portal_actor(c.pid)) in kinds
    # Withdrawal appends a decision, audited.
    me.withdraw_consent_in_portal(c.pid, "photo", for_patient_id=c.pid)
    status = c.r.consent_status(c.pid, "photo")
    assert (status.granted, status.decision) == (False, "withdrawn")
    with pytest.raises(ClinicError, match="no photo consent of yours to withdraw"):
        me.withdraw_consent_in_portal(c.pid, "photo", for_patient_id=c.pid)


def test_a_consent_sent_for_another_clients_page_is_refused_and_nothing_written(
    c: Clocked,
) -> None:
    other = c.world.add_client("Kim", "Roe")
    me = c.client_records()
    consents, documents, messages = c.count(Consent), c.count(ConsentDocument), c.count(Message)
    with pytest.raises(ClinicError, match="this page was opened for another client"):
        me.sign_consent_in_portal(
            c.pid, "treatment", for_patient_id=other.id, signed_name="Sam Lee",
            signature_png=signature(), render_pdf=render,
        )  # fmt: skip
    with pytest.raises(ClinicError, match="empty or holds only a dot"):
        me.sign_consent_in_portal(
            c.pid, "treatment", for_patient_id=c.pid, signed_name="Sam Lee",
            signature_png=signature(stroke=False), render_pdf=render,
        )  # fmt: skip
    assert (c.count(Consent), c.count(ConsentDocument), c.count(Message)) == (
        consents, documents, messages,
    )  # fmt: skip
    refused = audit(c, object_type="consent", outcome="refused", actor=portal_actor(c.pid))
    assert len(refused) == 2
    # Another client's document is not this client's to read.
    with pytest.raises(ClinicError):
        c.client_records(other.id).consent_document_pdf(other.id, 10**9)


# --- booking the course ---


def _plan(c: Clocked, sessions: int = 3) -> Any:
    content = {
        "schema": "smpstudio/plan",
        "spacing_days": 14,
        "sessions": [
            {"index": n, "date": str(MONDAY + timedelta(days=14 * (n - 1))),
             "purpose": f"layer {n}", "booked_h": 3.0}
            for n in range(1, sessions + 1)
        ],
    }  # fmt: skip
    return c.r.save_plan(c.pid, content)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, datetime.min.time(), LONDON).replace(hour=hour)


def _course(c: Clocked, plan_id: int, starts: dict[int, datetime]) -> list[Booking]:
    hours = {n: timedelta(hours=3) for n in starts}
    result: list[Booking] = c.client_records().schedule_course(
        c.pid, plan_id, starts, durations=hours, practitioner_id=c.world.practitioner.id
    )
    return result


def test_the_client_books_and_moves_the_whole_course_in_one_go(c: Clocked) -> None:
    plan = _plan(c)
    days = {n: _at(MONDAY + timedelta(days=14 * (n - 1))) for n in (1, 2, 3)}
    booked = _course(c, plan.id, days)
    assert [(b.session_number, b.local_day) for b in booked] == [
        (n, days[n].date()) for n in (1, 2, 3)
    ]
    assert {b.created_by for b in booked} == {portal_actor(c.pid)}
    reminders = [m for m in c.r.messages(c.pid) if m.kind.startswith("reminder")]
    assert len(reminders) == 6  # 48 h and 24 h before each, by e-mail
    # Move the whole course a week later: the same bookings, the reminders replaced.
    later = {n: d + timedelta(days=7) for n, d in days.items()}
    moved = _course(c, plan.id, later)
    assert [b.id for b in moved] == [b.id for b in booked]
    assert [b.local_day for b in moved] == [later[n].date() for n in (1, 2, 3)]
    live = [
        m for m in c.r.messages(c.pid) if m.kind.startswith("reminder") and m.status == "queued"
    ]
    assert len(live) == 6
    assert len(audit(c, action="update", object_type="booking", actor=portal_actor(c.pid))) == 3


def test_a_course_that_breaks_a_rule_is_refused_whole_with_the_clear_message(c: Clocked) -> None:
    plan = _plan(c)
    too_close = {
        1: _at(MONDAY),
        2: _at(MONDAY + timedelta(days=3)),
        3: _at(MONDAY + timedelta(days=28)),
    }
    with pytest.raises(BookingConflictError) as refused:
        _course(c, plan.id, too_close)
    assert (
        "session 2: the client has a session on 2031-03-03: sessions must be at least 7 days"
        in str(refused.value)
    )
    assert c.count(Booking) == 0
    assert not [m for m in c.r.messages(c.pid) if m.kind.startswith("reminder")]
    sunday = {1: _at(MONDAY - timedelta(days=1))}
    with pytest.raises(BookingConflictError, match="does not work Sun 2031-03-02"):
        _course(c, plan.id, sunday)
    # One SMP client per practitioner per day: another client takes Monday.
    other = c.world.add_client("Kim", "Roe")
    c.r.book(other.id, practitioner_id=c.world.practitioner.id, room_id=c.world.room.id,
             starts_at=_at(MONDAY, 9), duration=timedelta(hours=3))  # fmt: skip
    with pytest.raises(BookingConflictError, match="already has an SMP client on 2031-03-03"):
        _course(c, plan.id, {1: _at(MONDAY, 14)})
    assert c.count(Booking) == 1
    refused_entries = audit(c, object_type="booking", outcome="refused", actor=portal_actor(c.pid))
    assert len(refused_entries) == 3


def test_a_move_that_breaks_a_rule_leaves_the_course_as_it_was(c: Clocked) -> None:
    plan = _plan(c, 2)
    first = _course(c, plan.id, {1: _at(MONDAY), 2: _at(MONDAY + timedelta(days=14))})
    with pytest.raises(BookingConflictError, match="session 2"):
        _course(c, plan.id, {2: _at(MONDAY + timedelta(days=2))})
    again = c.client_records().portal_bookings(c.pid)
    assert [(b.id, b.local_day, b.status) for b in again] == [
        (b.id, b.local_day, "booked") for b in first
    ]
    with pytest.raises(ClinicError, match="choose a time in the future"):
        _course(c, plan.id, {1: START - timedelta(days=1)})


def test_the_course_uses_the_other_room_when_one_is_taken(c: Clocked) -> None:
    plan = _plan(c, 1)
    second = add_working_practitioner(c.r, "Robin Hale")
    other = c.world.add_client("Kim", "Roe")
    c.r.book(other.id, practitioner_id=second.id, room_id=c.world.room.id,
             starts_at=_at(MONDAY), duration=timedelta(hours=3))  # fmt: skip
    (booking,) = _course(c, plan.id, {1: _at(MONDAY)})
    assert booking.room_id == c.world.room2.id


# --- healed photos ---


def test_the_plan_asks_for_a_healed_photo_once_the_session_has_healed(c: Clocked) -> None:
    pigment = PigmentUse("Carbon Black", "B-1", date(2099, 1, 1), water_ml=4)
    record = c.r.record_session(
        c.pid, practitioner_id=c.world.practitioner.id, performed_on=c.r.today(),
        duration_minutes=180, pigments=[pigment],
        needle_lots=["N-1"], needles_opened_in_front_of_client=True,
        anaesthetic_offered=False, anaesthetic_used=False,
    )  # fmt: skip
    me = c.client_records()
    assert me.healed_photo_requests(c.pid) == []
    c.advance(timedelta(days=c.world.db.settings.plan_healed_after_days + 1))
    (asked,) = me.healed_photo_requests(c.pid)
    assert asked.session_id == record.id
    jpeg = io.BytesIO()
    Image.new("RGB", (64, 64), (180, 140, 120)).save(jpeg, format="JPEG")
    photo = me.add_photo(c.pid, jpeg.getvalue(), kind="follow-up", session_id=record.id)
    assert photo.created_by == portal_actor(c.pid)
    assert me.healed_photo_requests(c.pid) == []


def _mailer(port: int) -> SmtpMailer:
    settings = Settings.from_overrides(
        {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none",
         "smtp_from": "Soho SMP <hello@clinic.example>", "smtp_timeout_s": 5}
    )  # fmt: skip
    mailer = SmtpMailer.from_settings(settings, environ={})
    assert mailer is not None
    return mailer


def test_the_portals_records_are_exported_and_erased_with_the_client(c: Clocked) -> None:
    import base64
    import json
    import zipfile

    client = c.r.add_patient("Ann", "Bell", date_of_birth=date(1979, 1, 1), email="ann@example.com")
    (message_id,) = c.access.request_link(c.r.clinic_id, "ann@example.com", link_base=BASE)
    body = next(m.body for m in c.r.messages(client.id) if m.id == message_id)
    c.access.redeem(c.r.clinic_id, TOKEN.search(body).group(1))  # type: ignore[union-attr]
    me = c.client_records(client.id)
    me.sign_consent_in_portal(
        client.id, "photo", for_patient_id=client.id, signed_name="Ann Bell",
        signature_png=signature(), render_pdf=render,
    )  # fmt: skip
    pdf = me.consent_document_pdf(client.id, me.consent_documents(client.id)[0].id)
    out = io.BytesIO()
    c.r.export_client(client.id, out)
    document = json.loads(zipfile.ZipFile(out).read("client.json"))
    (exported,) = document["records"]["consent_documents"]
    assert base64.b64decode(exported["pdf"]["base64"]) == pdf
    assert len(document["records"]["portal_links"]) == 1
    assert len(document["records"]["portal_sessions"]) == 1
    summary = c.r.erase_client(client.id, confirm="Ann Bell")
    assert summary.rows["consent_documents"] == 1
    assert summary.rows["portal_links"] == 1
    assert summary.rows["portal_sessions"] == 1
    assert c.count(ConsentDocument) == 0
