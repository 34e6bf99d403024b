"""The client portal in a real browser (Debian's Chromium via Playwright) at 390 px wide,
against a real uvicorn server that e-mails through a REAL SMTP server process (aiosmtpd):
the client asks for a link, reads the e-mail, opens the link, signs the treatment consent by
drawing on the signature pad (the PDF copy arrives by e-mail), books the course and moves a
session (a move against the spacing rule is refused with its message). The strict CSP stays
on for the flow; axe-core then scans every portal page (no serious or critical violation)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from datetime import date, timedelta
from email.message import Message
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from smpstudio import Settings
from smpstudio.clinic import Accounts, ClinicConfig, open_database
from smpstudio.web import WebConfig, create_app
from tests.clinic._smtp import SmtpServer
from tests.web.conftest import HASHER, LiveServer, World, make_world, needs_chromium, rid
from tests.web.test_browser import _axe, _no_sideways_scroll

pytestmark = needs_chromium

PHONE = {"width": 390, "height": 844}
FIRST = date(2032, 3, 1)  # a Monday


class Portal:
    def __init__(self, world: World, server: LiveServer, smtp: SmtpServer, pid: int) -> None:
        self.world, self.server, self.smtp, self.pid = world, server, smtp, pid
        self.email = world.a.records.patient(pid).email or ""
        self.used: set[str] = set()

    def mail(self, subject: str, after: int = 0) -> Message:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = [
                m for m in self.smtp.received()
                if m["To"] == self.email and subject in str(m["Subject"])
            ]  # fmt: skip
            if len(found) > after:
                return found[-1]
            time.sleep(0.1)
        raise AssertionError(f"no e-mail {subject!r} to {self.email} within 30 s")

    def new_link(self) -> str:
        """The sign-in link of an e-mail not read before (the server's mailbox is not in
        order of arrival)."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for m in self.smtp.received():
                if m["To"] != self.email or "sign-in link" not in str(m["Subject"]):
                    continue
                body = m.get_payload(decode=True).decode()  # type: ignore[union-attr]
                (link,) = re.findall(r"http://127\.0\.0\.1:\d+/portal/sign-in\?\S+", body)
                if link not in self.used:
                    self.used.add(link)
                    return link
            time.sleep(0.1)
        raise AssertionError(f"no new sign-in link to {self.email} within 30 s")

    def sign_in(self, page: Page) -> None:
        page.goto(f"{self.server.url}/portal")
        page.get_by_label("Your e-mail address").fill(self.email)
        page.get_by_role("button", name="E-mail me a sign-in link").click()
        page.get_by_text("a sign-in link is on its way").wait_for()
        page.goto(self.new_link())
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{self.server.url}/portal/home")


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    tmp = tmp_path_factory.mktemp("portal-browser")
    config = ClinicConfig.from_env(db=str(tmp / "c.sqlite3"), data_dir=tmp)
    world = make_world(config, tmp)
    smtp = SmtpServer(tmp / "mail").start()
    settings = Settings.from_overrides(
        {"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_security": "none",
         "smtp_from": "Soho SMP <hello@soho-smp.example>", "smtp_timeout_s": 5}
    )  # fmt: skip
    db = open_database(config, settings=settings)
    accounts = Accounts(db, hasher=HASHER)
    world.app = create_app(
        db,
        accounts=accounts,
        config=WebConfig(public_clinic_id=world.a.id, preview_processes=0),
    )
    pid = world.new_patient(consents=False)
    content = {
        "schema": "smpstudio/plan",
        "spacing_days": 14,
        "sessions": [
            {"index": n, "date": str(FIRST + timedelta(days=14 * (n - 1))),
             "purpose": ("hairline and base layer", "density", "blending")[n - 1],
             "booked_h": 3.0}
            for n in (1, 2, 3)
        ],
        "aftercare": [{"date": str(FIRST), "until": str(FIRST + timedelta(days=4)),
                       "text": "Keep the scalp dry: no washing, no sweating."}],
        "touch_up": {"date": "2035-03-01"},
    }  # fmt: skip
    world.a.records.save_plan(pid, content, status="accepted")
    try:
        with LiveServer(world) as server:
            yield Portal(world, server, smtp, pid)
    finally:
        smtp.stop()
        world.close()
        db.close()
        world.db.close()


def _draw(page: Page) -> None:
    pad = page.locator("#signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + 0.1 * w, y + 0.7 * h)
    page.mouse.down()
    for i in range(1, 25):
        page.mouse.move(x + (0.1 + 0.03 * i) * w, y + (0.7 - 0.4 * ((i % 6) / 5)) * h, steps=2)
    page.mouse.up()


def test_a_client_signs_consent_at_home_and_books_the_course_at_390_px(
    portal: Portal, browser: Browser, tmp_path: Path
) -> None:
    context = browser.new_context(viewport=PHONE, bypass_csp=False)
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Refused to" in m.text else None)
    portal.sign_in(page)
    _no_sideways_scroll(page)
    assert page.get_by_role("heading", name=re.compile("^Hello Sam")).is_visible()
    assert page.get_by_text("Keep the scalp dry: no washing, no sweating.").is_visible()

    # Consent at home: an empty pad is caught in the browser, a drawn signature signs.
    page.get_by_role("link", name="Read and sign the treatment consent").click()
    page.get_by_role("heading", name="Consent to scalp micropigmentation").wait_for()
    _no_sideways_scroll(page)
    page.get_by_role("button", name="I agree and sign").click()
    assert page.get_by_text("Draw your signature in the box first.").is_visible()
    _draw(page)
    page.get_by_role("button", name="I agree and sign").click()
    page.get_by_text("Thank you: your consent is signed.").wait_for()
    records = portal.world.a.records
    assert records.consent_status(portal.pid, "treatment").granted
    copy = portal.mail("Your signed consent")
    files = [p for p in copy.walk() if p.get_filename()]
    assert [f.get_filename() for f in files] == ["consent-treatment-v1.pdf"]
    pdf = files[0].get_payload(decode=True)
    assert isinstance(pdf, bytes)
    assert pdf.startswith(b"%PDF-")
    link = page.get_by_role("link", name=re.compile(r"Signed consent, .* \(PDF\)"))
    with page.expect_download() as download:
        link.click()
    saved = tmp_path / "consent.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes() == pdf

    # The whole course, then a move that breaks the spacing rule, then a good move.
    page.get_by_role("link", name="Book or move your sessions").click()
    _no_sideways_scroll(page)
    assert page.get_by_label("Day of session 1").input_value() == str(FIRST)
    page.get_by_role("button", name="Book these times").click()
    page.get_by_text("Your sessions are booked.").wait_for()
    booked = records.portal_bookings(portal.pid)
    assert [b.local_day for b in booked] == [FIRST + timedelta(days=14 * n) for n in range(3)]
    page.get_by_role("link", name="Book", exact=True).click()
    page.get_by_label("Day of session 2").fill(str(FIRST + timedelta(days=3)))
    page.get_by_role("button", name="Book these times").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "Session 2: the client has a session on 2032-03-01: sessions must be at least 7" in (
        alert.inner_text()
    )
    assert [b.local_day for b in records.portal_bookings(portal.pid)] == [
        b.local_day for b in booked
    ]
    page.get_by_label("Day of session 2").fill(str(FIRST + timedelta(days=21)))
    page.get_by_label("Time of session 2").fill("13:30")
    page.get_by_role("button", name="Book these times").click()
    page.get_by_text("Your sessions are booked.").wait_for()
    moved = records.portal_bookings(portal.pid)
    assert moved[1].local_day == FIRST + timedelta(days=21)
    assert moved[1].id == booked[1].id
    assert refused == [], refused
    context.close()


def test_every_portal_page_passes_axe_at_390_px(
    portal: Portal, browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    target = os.environ.get("SMPSTUDIO_SCREENSHOTS")
    shots = Path(target) if target else tmp_path_factory.mktemp("portal-shots")
    shots.mkdir(parents=True, exist_ok=True)
    scan = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = scan.new_page()
    problems: dict[str, list[dict]] = {}  # type: ignore[type-arg]

    def check(name: str) -> None:
        _no_sideways_scroll(page)
        found = _axe(page)
        if found:
            problems[name] = found
        page.screenshot(path=str(shots / f"portal-{name}-390.png"), full_page=True)

    page.goto(f"{portal.server.url}/portal")
    check("request")
    page.get_by_label("Your e-mail address").fill("x@example.com")
    page.get_by_role("button", name="E-mail me a sign-in link").click()
    page.get_by_text("a sign-in link is on its way").wait_for()
    check("request-sent")
    page.goto(
        f"{portal.server.url}/portal/sign-in?clinic={rid(portal.world, portal.world.a.id)}&token="
        + "x" * 43
    )
    check("sign-in")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").wait_for()
    check("link-refused")
    portal.sign_in(page)
    check("home")
    for kind in ("treatment", "photo", "marketing"):
        page.goto(f"{portal.server.url}/portal/consent/{kind}")
        check(f"consent-{kind}")
    page.goto(f"{portal.server.url}/portal/book")
    check("book")
    page.get_by_label("Day of session 3").fill("2032-02-29")  # a Sunday, the day before session 1
    page.get_by_role("button", name="Book these times").click()
    page.get_by_role("alert").wait_for()
    check("book-refused")
    scan.close()
    assert problems == {}, problems
