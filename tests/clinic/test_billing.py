"""Deposits and payments on both back ends: prices from the clinic's settings priced by the
plan's cost model, a deposit and a balance per plan session that follow re-plans, the
append-only ledger, refusals (one message, nothing written, audited), no-show fees,
receipts and invoices read back as PDF text, revenue by month, the migration.

The plans in ``tests/data/billing`` are real ``plan.json`` files written by
``smpstudio.plan`` (Norwood 5, soft hairline, seed 7, skin #d7bd96, starting 2030-07-01,
reference "billing"): 3 sessions; a trial (later sessions provisional); 4 sessions (one
extra); and the 3-session plan after all three were recorded at 60 % retention, which adds
a top-up (``record_session``).
"""

from __future__ import annotations

import io
import json
import threading
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from smpstudio import ClinicError
from smpstudio._clock import Clock
from smpstudio.clinic import (
    Database,
    Payment,
    RecordNotFoundError,
    check_database,
    open_database,
)
from smpstudio.reports import billing_pdf

from .conftest import World, make_world

DATA = Path(__file__).parent.parent / "data" / "billing"
LONDON = ZoneInfo("Europe/London")
# USD: band prices for ≤50, ≤150, ≤250 and >250 cm², and each extra session
BANDS = [150_000, 250_000, 350_000, 450_000]
EXTRA = 60_000


def plan(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text())
    return data


def priced(w: World, **extra: Any) -> None:
    fields: dict[str, Any] = {
        "currency": "USD",
        "band_prices": BANDS,
        "extra_session_price": EXTRA,
        "deposit_kind": "percent",
        "deposit_value": 30,
        "no_show_fee": 5_000,
        "no_show_notice_hours": 48,
        "tax_rate_bp": 2_000,
        "tax_label": "VAT",
        "tax_number": "GB123456789",
    }
    w.db.update_clinic(w.records.clinic_id, actor="owner", **(fields | extra))


def payments_count(w: World) -> int:
    with w.db.transaction(readonly=True) as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(Payment)
                .where(Payment.clinic_id == w.records.clinic_id)
            )
            or 0
        )


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# --- settings ---


def test_the_clinics_prices_are_checked_and_audited(world: World) -> None:
    priced(world)
    settings = world.records.billing_settings()
    assert (settings.currency, settings.extra_session, settings.deposit_text) == (
        "USD",
        60_000,
        "30 % of each session",
    )
    assert [b.price for b in settings.bands] == BANDS
    table = settings.price_table()  # what the plan's cost model reads
    assert (table.bands[1].low, table.bands[1].high, table.extra_session) == (
        2500.0,
        2500.0,
        (600.0, 600.0),
    )
    entry = world.records.audit_trail(limit=1)[0]
    assert entry.object_type == "clinic"
    assert "currency" in entry.detail
    assert "prices" in entry.detail
    clinic = world.records.clinic_id
    refusals = [
        ({"currency": "XYZ"}, "not an ISO 4217 code"),
        ({"currency": "usdollar"}, "not an ISO 4217 code"),
        (
            {"band_prices": [150_000, 100_000, 350_000, 450_000], "extra_session_price": 1},
            "must not cost less",
        ),
        ({"band_prices": [1, 2, 3], "extra_session_price": 1}, "give 4 band prices"),
        ({"band_prices": [1.5, 2, 3, 4], "extra_session_price": 1}, "whole number of minor"),
        ({"deposit_kind": "percent", "deposit_value": 150}, "from 0 to 100"),
        ({"deposit_kind": "half"}, "the deposit is one of"),
        ({"no_show_fee": -1}, "between 0 and"),
        ({"tax_rate_bp": 7_000}, "tax rate"),
    ]
    for fields, message in refusals:
        with pytest.raises(ClinicError, match=message):
            world.db.update_clinic(clinic, actor="owner", **fields)
    assert world.records.billing_settings() == settings  # nothing half-written
    entry = world.records.audit_trail(limit=1)[0]
    assert (entry.object_type, entry.outcome) == ("clinic", "refused")
    assert "tax rate" in entry.detail


def test_the_currency_is_fixed_once_a_payment_is_recorded(world: World) -> None:
    priced(world)
    world.db.update_clinic(world.records.clinic_id, actor="owner", currency="EUR")
    world.db.update_clinic(world.records.clinic_id, actor="owner", currency="usd")
    world.records.save_plan(world.patient.id, plan("plan-3"))
    world.records.record_payment(world.patient.id, amount=100, method="cash", session_number=1)
    with pytest.raises(ClinicError, match=r"1 payment.s. are recorded in USD"):
        world.db.update_clinic(world.records.clinic_id, actor="owner", currency="EUR")
    assert world.records.billing_settings().currency == "USD"


# --- what is due ---


def test_each_plan_session_has_a_deposit_and_a_balance_priced_by_the_plan(world: World) -> None:
    r, pid = world.records, world.patient.id
    assert "Set the clinic's currency and prices" in r.account(pid).problem
    priced(world)
    assert r.account(pid).problem.startswith("No plan yet")
    saved = r.save_plan(pid, plan("plan-3"))
    account = r.account(pid)
    assert account.problem == ""
    assert account.plan_id == saved.id
    # 136 cm² counted at 80/cm²: the "partial: front or crown" band, USD 2,500.00, in 3
    assert [(x.session_number, x.price, x.deposit, x.balance) for x in account.lines] == [
        (1, 83_334, 25_000, 83_334),
        (2, 83_333, 25_000, 83_333),
        (3, 83_333, 25_000, 83_333),
    ]
    assert account.due == 250_000
    assert account.money(account.due) == "USD 2,500.00"
    assert "band 'partial: front or crown'" in account.basis
    assert account.lines[0].day == date(2030, 7, 1)
    entry = r.audit_trail(limit=1)[0]
    assert (entry.action, entry.object_type, entry.patient_id) == ("read", "account", pid)


def test_re_plans_re_derive_what_is_due_and_keep_every_payment(world: World) -> None:
    r, pid = world.records, world.patient.id
    priced(world, deposit_kind="amount", deposit_value=50_000)
    r.save_plan(pid, plan("plan-trial"))
    trial = r.account(pid)
    assert [x.status for x in trial.lines] == ["planned", "provisional", "provisional"]
    r.record_payment(pid, amount=50_000, method="card", session_number=1, reference="T-1")
    r.save_plan(pid, plan("plan-4"))  # a 4th session: the extra-session price
    four = r.account(pid)
    assert [(x.session_number, x.price) for x in four.lines] == [
        (1, 83_334),
        (2, 83_333),
        (3, 83_333),
        (4, 60_000),
    ]
    assert four.due == 310_000
    assert four.lines[0].paid == 50_000
    assert four.lines[0].deposit_due == 0
    assert four.lines[1].deposit_due == 50_000
    r.record_payment(pid, amount=60_000, method="transfer", session_number=4)
    r.save_plan(pid, plan("plan-top-up"))  # recorded at 60 %: a top-up after the third
    top = r.account(pid)
    assert [(x.session_number, x.status, x.price) for x in top.lines][-1] == (4, "planned", 60_000)
    assert top.lines[-1].balance == 0
    r.save_plan(pid, plan("plan-3"))  # back to three: session 4's payment is kept, as credit
    three = r.account(pid)
    gone = three.line("session-4")
    assert gone is not None
    assert (gone.price, gone.paid, gone.balance, gone.status) == (0, 60_000, -60_000, "removed")
    assert three.due == 250_000
    assert three.paid == 110_000
    with pytest.raises(ClinicError, match="larger than the balance of session 4"):
        r.record_payment(pid, amount=1, method="cash", session_number=4)
    refund = r.record_payment(
        pid, amount=60_000, method="transfer", session_number=4, kind="refund"
    )
    assert refund.kind == "refund"
    assert r.account(pid).line("session-4").balance == 0


def test_a_payment_larger_than_the_balance_is_refused_whole_and_audited(world: World) -> None:
    r, pid = world.records, world.patient.id
    priced(world)
    r.save_plan(pid, plan("plan-3"))
    first = r.record_payment(pid, amount=25_000, method="card", session_number=1)
    assert first.number == 1
    assert first.currency == "USD"
    before = payments_count(world)
    with pytest.raises(ClinicError) as caught:
        r.record_payment(pid, amount=60_000, method="cash", session_number=1)
    assert str(caught.value) == (
        "a payment of USD 600.00 is larger than the balance of session 1 (stage 1 of 3) "
        "(USD 583.34): record at most USD 583.34"
    )
    entry = r.audit_trail(limit=1)[0]
    assert (entry.object_type, entry.outcome, entry.patient_id) == ("payment", "refused", pid)
    assert "larger than the balance" in entry.detail
    bad = [
        ({"amount": 0, "method": "cash", "session_number": 1}, "above 0"),
        ({"amount": -5, "method": "cash", "session_number": 1}, "above 0"),
        ({"amount": 10.5, "method": "cash", "session_number": 1}, "above 0"),
        ({"amount": 10, "method": "cheque", "session_number": 1}, "payment method"),
        ({"amount": 10, "method": "cash", "session_number": 9}, "has no session 9"),
        ({"amount": 10, "method": "cash"}, "choose what the payment is for"),
        ({"amount": 30_000, "method": "cash", "session_number": 1, "kind": "refund"}, "refund"),
        ({"amount": 10, "method": "cash", "session_number": 2, "kind": "refund"}, "USD 0.00"),
    ]
    for kwargs, message in bad:
        with pytest.raises(ClinicError, match=message):
            r.record_payment(pid, **kwargs)
    assert payments_count(world) == before  # nothing half-written
    r.record_payment(pid, amount=58_334, method="cash", session_number=1)
    line = r.account(pid).line("session-1")
    assert line is not None
    assert (line.paid, line.balance) == (83_334, 0)
    numbers = [p.number for p in r.account(pid).payments]
    assert numbers == [1, 2]  # refusals leave no gap


def test_six_desks_paying_the_last_balance_at_once_take_it_once(fresh_db: Database) -> None:
    w = make_world(fresh_db)
    priced(w)
    w.records.save_plan(w.patient.id, plan("plan-3"))
    barrier = threading.Barrier(6)
    outcome: list[str] = []

    def attempt(i: int) -> None:
        records = fresh_db.clinic(w.records.clinic_id, actor=f"desk-{i}")
        barrier.wait(timeout=30)
        try:
            records.record_payment(w.patient.id, amount=83_334, method="card", session_number=1)
            outcome.append("paid")
        except ClinicError as exc:
            outcome.append("refused" if "larger than the balance" in str(exc) else repr(exc))
        except BaseException as exc:  # pragma: no cover - the failure is shown below
            outcome.append(repr(exc))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcome) == ["paid"] + ["refused"] * 5
    account = w.records.account(w.patient.id)
    assert [p.number for p in account.payments] == [1]
    assert account.line("session-1").balance == 0  # type: ignore[union-attr]
    assert fresh_db.verify_audit().ok


def test_the_ledger_is_append_only_in_the_database(fresh_world: World) -> None:
    w = fresh_world
    priced(w)
    w.records.save_plan(w.patient.id, plan("plan-3"))
    row = w.records.record_payment(w.patient.id, amount=100, method="cash", session_number=1)
    for statement in (
        f"UPDATE payments SET amount = 1 WHERE id = {row.id}",
        f"DELETE FROM payments WHERE id = {row.id}",
        "INSERT INTO payments (clinic_id, patient_id, number, kind, method, amount, currency, "
        f"session_number, reference, note, created_at, created_by) VALUES ({w.records.clinic_id}, "
        f"{w.patient.id}, 99, 'payment', 'cash', -5, 'USD', 1, '', '', '2030-01-01', 'x')",
    ):
        with pytest.raises(DBAPIError), w.db.engine.begin() as conn:
            conn.execute(text(statement))
    assert check_database(w.db).ok


def test_another_clinics_payments_do_not_exist(shared_db: Database) -> None:
    a, b = make_world(shared_db), make_world(shared_db)
    priced(a)
    priced(b)
    a.records.save_plan(a.patient.id, plan("plan-3"))
    paid = a.records.record_payment(a.patient.id, amount=100, method="cash", session_number=1)
    with pytest.raises(RecordNotFoundError):
        b.records.receipt(paid.id)
    with pytest.raises(RecordNotFoundError):
        b.records.account(a.patient.id)
    with pytest.raises(RecordNotFoundError):
        b.records.record_payment(a.patient.id, amount=1, method="cash", session_number=1)
    assert b.records.audit_trail(limit=1)[0].outcome == "denied"
    b.records.save_plan(b.patient.id, plan("plan-3"))
    own = b.records.record_payment(b.patient.id, amount=100, method="cash", session_number=1)
    assert own.number == 1  # receipt numbers are per clinic


# --- no-shows ---


def _book(w: World, day: date, patient_id: int | None = None) -> int:
    booking = w.records.book(
        patient_id or w.patient.id,
        practitioner_id=w.practitioner.id,
        room_id=w.room.id,
        starts_at=datetime.combine(day, datetime.min.time(), LONDON).replace(hour=10),
        duration=timedelta(hours=3),
    )
    return booking.id


def test_a_no_show_within_the_notice_window_charges_the_fee(world: World) -> None:
    r, pid = world.records, world.patient.id
    priced(world)
    other = world.add_client()
    far = _book(world, date(2030, 6, 17), other.id)  # Monday, ~119 h ahead
    with pytest.raises(ClinicError, match="outside the 48-hour no-show window"):
        r.mark_no_show(far)
    near = _book(world, date(2030, 6, 13))  # tomorrow 10:00, ~23 h ahead
    ns = r.mark_no_show(near)
    assert (ns.fee, ns.currency, ns.notice_hours) == (5_000, "USD", 22)
    account = r.account(pid)  # no plan yet: the fee is due all the same
    fee = account.line(f"no-show-{ns.id}")
    assert fee is not None
    assert (fee.price, fee.balance, fee.status) == (5_000, 5_000, "fee")
    with pytest.raises(ClinicError, match=r"the booking is cancelled"):
        r.mark_no_show(near)
    with pytest.raises(ClinicError, match="larger than the balance"):
        r.record_payment(pid, amount=5_001, method="card", no_show_id=ns.id)
    with pytest.raises(ClinicError, match="the client has no such no-show fee"):
        r.record_payment(other.id, amount=1, method="card", no_show_id=ns.id)
    r.record_payment(pid, amount=5_000, method="card", no_show_id=ns.id)
    assert r.account(pid).balance == 0
    assert r.account(pid).bookings == ()
    assert [b.id for b in r.account(other.id).bookings] == [far]
    entries = [e for e in r.audit_trail(limit=20) if e.object_type == "booking"]
    assert any("no-show, 22 h notice, fee USD 50.00" in e.detail for e in entries)
    assert any(e.outcome == "refused" and "no-show window" in e.detail for e in entries)
    (paid,) = [
        e for e in r.audit_trail(limit=20) if e.object_type == "payment" and e.outcome != "refused"
    ]
    assert paid.detail == (  # the line as the audit page shows it, never a record id
        "payment USD 50.00 by card for no-show fee, session of 2030-06-13 (receipt 1)"
    )


# --- documents ---


def test_invoices_are_numbered_without_gaps_and_printed(world: World) -> None:
    r, pid = world.records, world.patient.id
    world.db.update_clinic(
        r.clinic_id,
        actor="owner",
        address="12 Frith Street\nLondon W1D 4RB",
        phone="+44 20 7946 0000",
        email="hello@example.com",
    )
    priced(world)
    with pytest.raises(ClinicError, match="No plan yet"):
        r.issue_invoice(pid)
    r.save_plan(pid, plan("plan-3"))
    r.record_payment(pid, amount=25_000, method="card", session_number=1)
    first = r.issue_invoice(pid)
    second = r.issue_invoice(pid)
    assert (first.number, second.number) == (1, 2)
    assert (first.total, first.tax, first.paid) == (250_000, 41_667, 25_000)
    text_ = pdf_text(billing_pdf(**r.invoice_document(first.id).__dict__))
    for expected in (
        "Invoice 000001",
        f"{r.clinic_name} · Invoice 000001",  # the foot of every page, with its number
        "page 1",
        r.clinic_name,
        "12 Frith Street",
        "London W1D 4RB",
        "+44 20 7946 0000",
        "hello@example.com",
        "VAT number GB123456789",
        "Sam Lee",
        "session 1 (stage 1 of 3)",
        "USD 833.34",
        "VAT 20 %",
        "USD 416.67",
        "USD 2,083.33",
        "Total",
        "USD 2,500.00",
        "Balance due",
        "USD 2,250.00",
    ):
        assert expected in text_, expected
    other = make_world(world.db)
    priced(other, tax_rate_bp=0)
    other.records.save_plan(other.patient.id, plan("plan-4"))
    theirs = other.records.issue_invoice(other.patient.id)
    assert (theirs.number, theirs.tax, theirs.total) == (1, 0, 310_000)


def test_a_receipt_names_the_payment(world: World) -> None:
    r, pid = world.records, world.patient.id
    priced(world)
    r.save_plan(pid, plan("plan-3"))
    paid = r.record_payment(
        pid, amount=25_000, method="transfer", session_number=2, reference="BACS 7781"
    )
    doc = r.receipt(paid.id)
    text_ = pdf_text(billing_pdf(**doc.__dict__))
    for expected in ("Receipt R-000001", "Sam Lee", "Payment for session 2, by bank transfer",
                     "USD 250.00", "Reference: BACS 7781"):  # fmt: skip
        assert expected in text_, expected
    back = r.record_payment(pid, amount=5_000, method="transfer", session_number=2, kind="refund")
    assert "Refunded" in pdf_text(billing_pdf(**r.receipt(back.id).__dict__))


# --- revenue ---


def test_revenue_by_month_counts_payments_less_refunds(fresh_db: Database) -> None:
    w = make_world(fresh_db)
    priced(w)
    w.records.save_plan(w.patient.id, plan("plan-3"))
    w.records.record_payment(w.patient.id, amount=30_000, method="card", session_number=1)
    w.records.record_payment(
        w.patient.id, amount=1_000, method="card", session_number=1, kind="refund"
    )
    later = open_database(
        fresh_db.config, clock=Clock.starting_at(datetime(2030, 8, 3, 12, tzinfo=ZoneInfo("UTC")))
    )
    with later:
        r = later.clinic(w.records.clinic_id, actor="alex")
        r.record_payment(w.patient.id, amount=20_000, method="cash", session_number=2)
        months = r.revenue_by_month(date(2030, 5, 1), date(2030, 8, 31))
        report = r.report("revenue", start=date(2030, 5, 1), end=date(2030, 8, 31))
    assert report.rows == [  # the studio's "Revenue by month" report, in dollars
        ("2030-05", 0.0, 0.0, 0.0, 0),
        ("2030-06", 300.0, 10.0, 290.0, 2),
        ("2030-07", 0.0, 0.0, 0.0, 0),
        ("2030-08", 200.0, 0.0, 200.0, 1),
    ]
    assert [(m.month, m.payments, m.refunds, m.net, m.count) for m in months] == [
        (date(2030, 5, 1), 0, 0, 0, 0),
        (date(2030, 6, 1), 30_000, 1_000, 29_000, 2),
        (date(2030, 7, 1), 0, 0, 0, 0),
        (date(2030, 8, 1), 20_000, 0, 20_000, 1),
    ]
    assert {m.currency for m in months} == {"USD"}
    with pytest.raises(ClinicError, match="first month"):
        w.records.revenue_by_month(date(2030, 9, 1), date(2030, 8, 1))


# --- the migration ---


def test_0007_adds_billing_over_live_data_and_goes_back_cleanly(
    backend: str, make_config: Any
) -> None:
    tables = {"payments", "no_shows", "invoices"}
    with open_database(make_config(backend)) as db:
        db.upgrade("0006")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO clinics (id, name, timezone, created_at, address) "
                    "VALUES (7, 'Kept', 'UTC', '2030-01-01 00:00:00', '1 High St')"
                )
            )
        db.upgrade("0007")
        assert set(inspect(db.engine).get_table_names()) >= tables
        with db.engine.connect() as conn:  # the models are the head's: read the row as stored
            row = conn.execute(
                text("SELECT currency, deposit_kind, no_show_notice_hours FROM clinics")
            ).one()
        assert tuple(row) == ("", "none", 48)
        db.downgrade("0006")
        assert not tables & set(inspect(db.engine).get_table_names())
        columns = {c["name"] for c in inspect(db.engine).get_columns("clinics")}
        assert "currency" not in columns
        assert "address" in columns
        with db.engine.connect() as conn:
            assert (
                conn.execute(text("SELECT address FROM clinics WHERE id = 7")).scalar()
                == "1 High St"
            )
        db.upgrade()
        report = check_database(db)
        assert report.ok, report.problems
