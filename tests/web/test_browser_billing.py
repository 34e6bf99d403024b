"""Payments in a real browser (Playwright, Debian's Chromium, uvicorn on loopback) on a
phone-sized screen (390 px): the owner sets the prices, the front desk records a deposit on
the client's record, has a payment larger than the balance refused, and downloads the
receipt (read back with pypdf); axe-core finds nothing on the pages, none scrolls sideways,
and the strict CSP refuses nothing."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser
from pypdf import PdfReader

from tests.web.conftest import LiveServer, World, needs_chromium, rid
from tests.web.test_browser import _axe, _no_sideways_scroll, _sign_in, _watch_csp

pytestmark = needs_chromium

DATA = Path(__file__).parent.parent / "data" / "billing"
PHONE = {"width": 390, "height": 844}


def test_a_deposit_is_recorded_and_its_receipt_downloaded_at_390_px(
    live: tuple[World, LiveServer], browser: Browser, shots: Path, tmp_path: Path
) -> None:
    world, server = live
    pid = world.new_patient()
    world.a.records.save_plan(pid, (DATA / "plan-3.json").read_text())
    context = browser.new_context(viewport=PHONE, accept_downloads=True)  # type: ignore[arg-type]
    page = context.new_page()
    refused = _watch_csp(page)

    _sign_in(page, server.url, world.a.staff["owner"], "/studio/clinic")
    page.get_by_label("Currency (ISO 4217, e.g. USD, EUR, GBP)").fill("USD")
    page.get_by_label("Whole treatment, small area: hairline, scar or patch").fill("1500")
    page.get_by_label("Whole treatment, partial: front or crown").fill("2500")
    page.get_by_label("Whole treatment, front to crown").fill("3500")
    page.get_by_label("Whole treatment, full head").fill("4500")
    page.get_by_label("Each extra session (4th, top-up)").fill("600")
    page.get_by_label("Deposit per session").select_option("percent")
    page.get_by_label("Deposit (% or amount)").fill("30")
    page.get_by_label("No-show fee").fill("50")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Clinic details saved.").wait_for()
    _no_sideways_scroll(page)
    context.clear_cookies()

    _sign_in(page, server.url, world.a.staff["front-desk"], f"/studio/patients/{rid(world, pid)}")
    panel = page.locator("#payments")
    assert "USD 2,500.00" in panel.inner_text()
    page.get_by_label("For", exact=True).select_option("session-1")
    page.get_by_label("Method").select_option("card")
    page.get_by_label("Amount (USD)").fill("250")
    page.get_by_label("Reference (terminal slip, transfer)").fill("TERM 0042")
    page.get_by_role("button", name="Record").click()
    page.get_by_text("Payment of USD 250.00 recorded: receipt R-000001.").wait_for()
    row = page.get_by_role("row", name=re.compile(r"session 1 \(stage 1 of 3\)"))
    assert "USD 583.34" in row.inner_text()  # the balance after the deposit
    _no_sideways_scroll(page)

    page.get_by_label("Amount (USD)").fill("900")
    page.get_by_role("button", name="Record").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text() == (
        "A payment of USD 900.00 is larger than the balance of session 1 (stage 1 of 3) "
        "(USD 583.34): record at most USD 583.34"
    )
    _no_sideways_scroll(page)

    with page.expect_download() as caught:
        page.get_by_role("link", name="R-000001 (PDF)").click()
    saved = tmp_path / "receipt.pdf"
    caught.value.save_as(saved)
    text = " ".join(p.extract_text() for p in PdfReader(saved).pages)
    assert "Receipt R-000001" in text
    assert "Payment for session 1, by card" in text
    assert "USD 250.00" in text
    assert refused == [], refused
    context.close()

    # axe at 390 px on the filled pages (its own context: injecting axe needs the CSP off)
    scan = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = scan.new_page()
    _sign_in(page, server.url, world.a.staff["owner"], f"/studio/patients/{rid(world, pid)}")
    assert _axe(page) == []
    page.locator("#payments").screenshot(path=str(shots / "payments-390.png"))
    for path, shot in (
        (f"/studio/patients/{rid(world, pid)}/payments", "payments-page-390.png"),
        ("/studio/clinic", "clinic-prices-390.png"),
    ):
        page.goto(f"{server.url}{path}")
        _no_sideways_scroll(page)
        assert _axe(page) == [], path
        page.screenshot(path=str(shots / shot), full_page=True)
    scan.close()
