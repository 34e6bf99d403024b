"""Payments through the studio's pages: the owner sets the currency and prices on the Clinic
page, the studio's plans are priced with them, the front desk records a deposit and a refund
on the client's record, an over-large payment comes back with one message and nothing saved,
receipts and invoices download as PDF, the account is JSON, a no-show charges the fee, and
another clinic's client, payment or invoice is not found."""

from __future__ import annotations

import html
import io
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pypdf import PdfReader
from starlette.testclient import TestClient

from tests.web.conftest import World, csrf_of, rid

DATA = Path(__file__).parent.parent / "data" / "billing"
PRICES = {
    "currency": "usd",
    "price_0": "1,500",
    "price_1": "2500.00",
    "price_2": "3500",
    "price_3": "4500",
    "price_extra": "600",
    "deposit_kind": "percent",
    "deposit_value": "30",
    "no_show_fee": "50",
    "no_show_notice_hours": "48",
    "tax_rate": "20",
    "tax_label": "VAT",
    "tax_number": "GB123456789",
}
CLINIC = {"name": "Soho SMP", "timezone": "Europe/London", "address": "12 Frith Street"}


def _set_prices(world: World, **changes: str) -> Any:
    c = world.as_role("owner")
    token = csrf_of(c.get("/studio/clinic").text)
    data = {"csrf_token": token, **CLINIC, **PRICES, **changes}
    return c.post("/studio/clinic", data=data, follow_redirects=False)


def _pdf_text(data: bytes) -> str:
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def _post(c: TestClient, path: str, data: dict[str, str], **kw: Any) -> Any:
    token = csrf_of(c.get("/studio").text)
    return c.post(path, data={"csrf_token": token, **data}, **kw)


def test_the_owner_sets_the_prices_and_a_bad_one_is_refused(fresh_world: World) -> None:
    world = fresh_world
    assert _set_prices(world).status_code == 303
    form = html.unescape(world.as_role("owner").get("/studio/clinic").text)
    for shown in ('value="USD"', 'value="2500.00"', 'value="30"', 'value="50.00"', "GB123456789"):
        assert shown in form, shown
    settings = world.a.records.billing_settings()
    assert ([b.price for b in settings.bands], settings.tax_rate_bp) == (
        [150_000, 250_000, 350_000, 450_000],
        2_000,
    )
    for changes, message in (
        ({"currency": "DOLLARS"}, "Currency 'DOLLARS' is not an ISO 4217 code"),
        ({"price_1": "1000"}, "Prices: a larger band must not cost less than a smaller one"),
        ({"price_2": "12.345"}, "has more decimals than USD has (2)"),
        ({"price_3": ""}, "Give a price for every treated area"),
        ({"deposit_value": "140"}, "The deposit (%) must be a whole number from 0 to 100"),
        ({"tax_rate": "lots"}, "The tax rate must be a percentage like 20 or 7.5"),
    ):
        refused = _set_prices(world, **changes)
        assert refused.status_code == 422
        assert message in html.unescape(refused.text), message
    assert world.a.records.billing_settings() == settings  # nothing saved
    for role in ("practitioner", "front-desk"):
        assert world.as_role(role).get("/studio/clinic").status_code == 403


def test_the_desk_takes_a_deposit_refunds_and_prints(fresh_world: World) -> None:
    world = fresh_world
    r, pid = world.a.records, world.a.patient_id
    c = world.as_role("front-desk")
    assert "Set the clinic's currency and prices" in html.unescape(
        c.get(f"/studio/patients/{rid(world, pid)}").text
    )
    _set_prices(world)
    r.save_plan(pid, (DATA / "plan-3.json").read_text())
    record = html.unescape(c.get(f"/studio/patients/{rid(world, pid)}").text)
    assert 'id="payments"' in record
    for shown in ("session 1 (stage 1 of 3)", "USD 833.34", "USD 250.00", "USD 2,500.00"):
        assert shown in record, shown
    paid = _post(
        c,
        f"/studio/patients/{rid(world, pid)}/payments",
        {"line": "session-1", "kind": "payment", "method": "card", "amount": "250",
         "reference": "TERM 0042"},
        follow_redirects=False,
    )  # fmt: skip
    assert paid.status_code == 303
    assert paid.headers["location"] == f"/studio/patients/{rid(world, pid)}#payments"
    shown = html.unescape(c.get(f"/studio/patients/{rid(world, pid)}").text)
    assert "Payment of USD 250.00 recorded: receipt R-000001." in shown
    refused = _post(
        c,
        f"/studio/patients/{rid(world, pid)}/payments",
        {"line": "session-1", "kind": "payment", "method": "cash", "amount": "900"},
    )
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert (
        "A payment of USD 900.00 is larger than the balance of session 1 (stage 1 of 3) "
        "(USD 583.34): record at most USD 583.34"
    ) in text
    assert 'value="900"' in text  # the form as typed
    for data, message in (
        ({"line": "session-1", "method": "cash", "amount": "ten"}, "The amount must be an amount"),
        ({"line": "session-1", "method": "cash", "amount": "1.234"}, "more decimals than USD"),
        ({"line": "session-7", "method": "cash", "amount": "1"}, "has no session 7"),
        ({"line": "x", "method": "cash", "amount": "1"}, "Choose what the payment is for"),
        ({"line": "session-2", "kind": "refund", "method": "cash", "amount": "1"}, "refund"),
    ):
        answer = _post(c, f"/studio/patients/{rid(world, pid)}/payments", data)
        assert answer.status_code == 422
        assert message in html.unescape(answer.text), message
    account = c.get(f"/studio/patients/{rid(world, pid)}/payments.json").json()
    assert (account["currency"], account["paid"], account["balance"]) == ("USD", 25_000, 225_000)
    assert [p["receipt_number"] for p in account["payments"]] == [1]  # nothing else saved
    refund = _post(
        c,
        f"/studio/patients/{rid(world, pid)}/payments",
        {"line": "session-1", "kind": "refund", "method": "card", "amount": "50"},
        follow_redirects=False,
    )
    assert refund.status_code == 303
    payment_id = account["payments"][0]["id"]
    receipt = c.get(f"/studio/patients/{rid(world, pid)}/payments/{payment_id}/receipt.pdf")
    assert receipt.headers["content-type"] == "application/pdf"
    text = _pdf_text(receipt.content)
    for expected in ("Receipt R-000001", "12 Frith Street", "Payment for session 1, by card",
                     "USD 250.00", "Reference: TERM 0042"):  # fmt: skip
        assert expected in text, expected
    issued = _post(c, f"/studio/patients/{rid(world, pid)}/invoices", {}, follow_redirects=False)
    assert issued.status_code == 303
    invoice_id = c.get(f"/studio/patients/{rid(world, pid)}/payments.json").json()["invoices"][0][
        "id"
    ]
    page = html.unescape(c.get(f"/studio/patients/{rid(world, pid)}/payments").text)
    assert f"/invoices/{invoice_id}/invoice.pdf" in page
    assert "Invoice 000001" in page
    invoice = _pdf_text(
        c.get(f"/studio/patients/{rid(world, pid)}/invoices/{invoice_id}/invoice.pdf").content
    )
    for expected in ("Invoice 000001", "VAT 20 %", "USD 416.67", "USD 2,500.00", "USD 200.00",
                     "USD 2,300.00", "VAT number GB123456789"):  # fmt: skip
        assert expected in invoice, expected
    b = world.as_role("owner", clinic="b")
    for path in (
        f"/studio/patients/{rid(world, pid)}/payments",
        f"/studio/patients/{rid(world, pid)}/payments.json",
        f"/studio/patients/{rid(world, pid)}/payments/{payment_id}/receipt.pdf",
        f"/studio/patients/{rid(world, pid)}/invoices/{invoice_id}/invoice.pdf",
        f"/studio/patients/{rid(world, world.b.patient_id)}/payments/{payment_id}/receipt.pdf",
    ):
        assert b.get(path).status_code == 404, path
    other = _post(c, f"/studio/patients/{rid(world, world.b.patient_id)}/payments", {"amount": "1"})
    assert other.status_code == 404


def test_a_no_show_in_the_window_charges_the_fee(fresh_world: World) -> None:
    world = fresh_world
    r = world.a.records
    _set_prices(world)
    pid = world.new_patient()
    start = datetime(2030, 6, 13, 10, tzinfo=ZoneInfo("Europe/London"))  # tomorrow
    booking = r.book(
        pid,
        practitioner_id=world.a.practitioner_id or 0,
        room_id=world.a.room_ids[0],
        starts_at=start,
        duration=timedelta(hours=3),
    )
    c = world.as_role("front-desk")
    assert "Mark as a no-show" in c.get(f"/studio/patients/{rid(world, pid)}").text
    done = _post(
        c, f"/studio/bookings/{rid(world, booking.id)}/no-show", {}, follow_redirects=False
    )
    assert done.status_code == 303
    page = html.unescape(c.get(f"/studio/patients/{rid(world, pid)}").text)
    assert "Marked as a no-show (22 h notice): USD 50.00." in page
    assert "no-show fee, session of 2030-06-13" in page
    again = _post(c, f"/studio/bookings/{rid(world, booking.id)}/no-show", {})
    assert again.status_code == 422
    assert "The booking is cancelled" in html.unescape(again.text)
    account = json.loads(c.get(f"/studio/patients/{rid(world, pid)}/payments.json").text)
    assert account["balance"] == 5_000


def test_a_plan_made_in_the_studio_is_priced_with_the_clinics_prices(fresh_world: World) -> None:
    world = fresh_world
    _set_prices(world, price_1="2,400")
    pid = world.a.patient_id
    c = world.as_role("practitioner")
    token = csrf_of(c.get(f"/studio/patients/{rid(world, pid)}/designer").text)
    params = '{"pattern": "norwood-5", "hairline": "soft", "seed": 7}'
    saved = c.post(
        f"/studio/patients/{rid(world, pid)}/designs",
        data={"csrf_token": token, "params": params},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    design = world.a.records.designs(pid)[-1]
    made = c.post(
        f"/studio/patients/{rid(world, pid)}/plans/new",
        data={"csrf_token": token, "design_version": rid(world, design.id),
              "start": "2030-07-01", "time": "10:00", "sessions": "4", "spacing_days": "14"},
        follow_redirects=False,
    )  # fmt: skip
    assert made.status_code == 303, made.text
    plan = json.loads(world.a.records.plans(pid)[-1].content)
    cost = plan["cost_estimate"]
    assert (cost["currency"], cost["low"], cost["high"], cost["extra_sessions"]) == (
        "USD",
        3000.0,
        3000.0,
        1,
    ), cost  # the band's 2,400 and one extra session at 600, the plan's own figures
    assert (
        "band 'partial: front or crown', USD 2,400 for the 3 planned sessions, plus 1 "
        "extra session at USD 600 each." in cost["basis"]
    )
    shown = html.unescape(c.get(made.headers["location"]).text)
    assert "USD 3,000</strong>" in shown  # one price, not a range
    account = c.get(f"/studio/patients/{rid(world, pid)}/payments.json").json()
    assert account["due"] == 300_000
    assert [line["price"] for line in account["lines"]] == [80_000, 80_000, 80_000, 60_000]


def test_the_public_cost_estimate_uses_the_clinics_prices_once_set(fresh_world: World) -> None:
    world = fresh_world
    visitor = world.client()

    def estimate() -> str:
        page = visitor.get("/cost").text
        form = {"csrf_token": csrf_of(page), "pattern": "norwood-5", "hairline": "soft"}
        r = visitor.post("/cost", data={**form, "scar": ""})
        assert r.status_code == 200, r.text
        return html.unescape(r.text)

    typical = estimate()  # no prices set yet: the shipped table of typical US prices
    assert "USD 2,000 – 3,500" in typical
    assert "An estimate from typical prices for SMP" in typical
    assert _set_prices(world, currency="eur", price_1="2,400").status_code == 303
    own = estimate()  # the band a Norwood 5 falls in, in the clinic's currency
    assert re.search(r'id="estimate">EUR 2,400</p>', own), own
    assert "An estimate from our price list" in own
    assert "a first hair-transplant session for the same loss: USD" in own  # US per-graft figure
