"""Deposits and payments: what a client owes per plan session, what was paid and refunded,
no-show fees, receipts and invoices.

**What is due is derived, never stored.** The client's current plan (the latest version not
cancelled) is priced by the plan's own cost model (:func:`smpstudio.plan.smp_cost`) with the
clinic's prices (``_billing_settings``): the band price is shared equally between the
design's sessions (a stage split into parts shares its part), each extra session (a 4th, a
top-up) costs the extra-session price. Every session carries a deposit (the clinic's rule)
and the balance. A re-plan (a new version: a trial's later sessions, a 4th session, a
top-up) re-derives the lines; payments are kept against the session number, so nothing
recorded is lost: a session the plan no longer has shows what was paid on it, to refund.

**What was paid is a ledger.** ``payments`` is append-only (like ``stock_movements``): a
payment or a refund, by card, cash or transfer, for one session or one no-show fee, in
minor units of the clinic's currency, numbered per clinic without gaps (the receipt
number). A payment larger than what is left to pay, or a refund larger than what was paid,
is refused with one message, nothing written and the refusal audited. Writes lock the
clinic's row, so two desks cannot both take the last balance.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smpstudio._errors import ClinicError, PlanError
from smpstudio._money import format_money
from smpstudio.clinic import _outbox
from smpstudio.clinic._audit import AuditEvent
from smpstudio.clinic._billing_settings import BillingSettings, billing_settings
from smpstudio.clinic._models import (
    Booking,
    Clinic,
    Invoice,
    NoShow,
    Patient,
    Payment,
    TreatmentPlan,
)
from smpstudio.clinic._scope import Scope
from smpstudio.clinic._validate import check_choice, check_text
from smpstudio.plan import smp_cost

__all__ = [
    "PAYMENT_KINDS",
    "PAYMENT_METHODS",
    "Account",
    "BillingDocument",
    "BillingService",
    "DueLine",
    "MonthRevenue",
]

PAYMENT_METHODS: tuple[str, ...] = ("card", "cash", "transfer")
PAYMENT_KINDS: tuple[str, ...] = ("payment", "refund")
_METHOD_NAMES = {"card": "card", "cash": "cash", "transfer": "bank transfer"}
_Numbered = TypeVar("_Numbered", Payment, Invoice)
_Ledger = TypeVar("_Ledger", Payment, Invoice, NoShow)


@dataclass(frozen=True)
class DueLine:
    """One thing the client owes: a plan session (``session_number``) or a no-show fee
    (``no_show_id``), with its price, deposit and what was paid and refunded on it (minor
    units)."""

    key: str
    session_number: int | None
    no_show_id: int | None
    description: str
    day: date | None
    status: str
    price: int
    deposit: int
    paid: int
    refunded: int

    @property
    def net(self) -> int:
        """Paid less refunded."""
        return self.paid - self.refunded

    @property
    def balance(self) -> int:
        """What is left to pay (negative: a credit to refund)."""
        return self.price - self.net

    @property
    def deposit_due(self) -> int:
        """The part of the deposit not yet paid."""
        return max(0, self.deposit - self.net)


@dataclass(frozen=True)
class Account:
    """A client's account: the lines due, the ledger, the invoices issued."""

    patient_id: int
    settings: BillingSettings
    problem: str
    plan_id: int | None
    plan_version: int | None
    basis: str
    lines: tuple[DueLine, ...]
    payments: tuple[Payment, ...]
    invoices: tuple[Invoice, ...]
    bookings: tuple[Booking, ...] = field(default=())

    @property
    def currency(self) -> str:
        return self.settings.currency

    @property
    def due(self) -> int:
        return sum(line.price for line in self.lines)

    @property
    def paid(self) -> int:
        return sum(line.paid for line in self.lines)

    @property
    def refunded(self) -> int:
        return sum(line.refunded for line in self.lines)

    @property
    def balance(self) -> int:
        return self.due - self.paid + self.refunded

    def money(self, minor: int) -> str:
        return format_money(minor, self.currency)

    def line(self, key: str) -> DueLine | None:
        return next((line for line in self.lines if line.key == key), None)

    def to_dict(self) -> dict[str, Any]:
        """The account as JSON (amounts in minor units, with the currency)."""
        return {
            "patient_id": self.patient_id,
            "currency": self.currency,
            "problem": self.problem or None,
            "plan_id": self.plan_id,
            "plan_version": self.plan_version,
            "basis": self.basis,
            "due": self.due,
            "paid": self.paid,
            "refunded": self.refunded,
            "balance": self.balance,
            "lines": [
                {
                    "key": line.key,
                    "session_number": line.session_number,
                    "no_show_id": line.no_show_id,
                    "description": line.description,
                    "date": None if line.day is None else line.day.isoformat(),
                    "status": line.status,
                    "price": line.price,
                    "deposit": line.deposit,
                    "deposit_due": line.deposit_due,
                    "paid": line.paid,
                    "refunded": line.refunded,
                    "balance": line.balance,
                }
                for line in self.lines
            ],
            "payments": [
                {
                    "id": p.id,
                    "receipt_number": p.number,
                    "kind": p.kind,
                    "method": p.method,
                    "amount": p.amount,
                    "currency": p.currency,
                    "session_number": p.session_number,
                    "no_show_id": p.no_show_id,
                    "reference": p.reference,
                    "at": p.created_at.isoformat(),
                }
                for p in self.payments
            ],
            "invoices": [
                {"id": i.id, "number": i.number, "total": i.total, "at": i.created_at.isoformat()}
                for i in self.invoices
            ],
        }


@dataclass(frozen=True)
class BillingDocument:
    """A receipt or an invoice, ready to print (``smpstudio.reports.billing_pdf``)."""

    title: str
    number: str
    issued: datetime
    seller: tuple[str, ...]
    buyer: tuple[str, ...]
    lines: tuple[tuple[str, str], ...]
    totals: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class MonthRevenue:
    """Money taken in one clinic-local month (minor units): payments, refunds, the net."""

    month: date
    currency: str
    payments: int
    refunds: int
    count: int

    @property
    def net(self) -> int:
        return self.payments - self.refunds


class BillingService(Scope):
    """Deposits, payments, refunds, no-show fees, receipts and invoices of one clinic."""

    # --- reading ---

    def billing_settings(self) -> BillingSettings:
        """The clinic's currency, prices, deposit rule, no-show policy and tax."""
        with self._db.transaction(readonly=True) as s:
            return billing_settings(self._clinic_row(s))

    def account(self, patient_id: int) -> Account:
        """The client's account: per plan session the price, deposit, paid, refunded and
        balance; no-show fees; the payments ledger and the invoices (an audited read)."""
        with self._unit("read", "account", patient_id=patient_id) as s:
            self._get(s, Patient, patient_id, "patient")
            account = self.account_in(s, patient_id)
            self._log(s, AuditEvent("read", "account", patient_id, patient_id))
            return account

    def revenue_by_month(
        self, first: date | None = None, last: date | None = None
    ) -> list[MonthRevenue]:
        """Payments and refunds by clinic-local month, from ``first``'s month to ``last``'s
        (default: the twelve months to this one), every month listed, empty ones too."""
        last = last or self.today()
        first = first or _add_months(last.replace(day=1), -11)
        if first > last:
            raise ClinicError("the first month must not be after the last")
        start = first.replace(day=1)
        end = _add_months(last.replace(day=1), 1)
        zone = self.timezone
        lo = datetime.combine(start, datetime.min.time(), zone).astimezone(UTC)
        hi = datetime.combine(end, datetime.min.time(), zone).astimezone(UTC)
        with self._unit("read", "revenue") as s:
            currency = self._clinic_row(s).currency
            rows = s.execute(
                select(Payment.created_at, Payment.kind, Payment.amount).where(
                    Payment.clinic_id == self.clinic_id,
                    Payment.created_at >= lo,
                    Payment.created_at < hi,
                )
            ).all()
            self._log(s, AuditEvent("read", "revenue", None, detail=f"{start:%Y-%m}–{last:%Y-%m}"))
        totals: dict[date, list[int]] = {}
        month = start
        while month < end:
            totals[month] = [0, 0, 0]
            month = _add_months(month, 1)
        for at, kind, amount in rows:
            key = at.astimezone(zone).date().replace(day=1)
            t = totals[key]
            t[0 if kind == "payment" else 1] += amount
            t[2] += 1
        return [MonthRevenue(m, currency, p, r, n) for m, (p, r, n) in totals.items()]

    # --- writing ---

    def record_payment(
        self,
        patient_id: int,
        *,
        amount: int,
        method: str,
        session_number: int | None = None,
        no_show_id: int | None = None,
        kind: str = "payment",
        reference: str = "",
        note: str = "",
    ) -> Payment:
        """Record a payment (or, with ``kind="refund"``, a refund) in minor units of the
        clinic's currency for one plan session or one no-show fee. A payment larger than
        what is left to pay on that line, or a refund larger than what was paid on it, is
        refused; so is a line the client does not have."""

        def payment(s: Session, clinic: Clinic) -> tuple[Payment, str]:
            nonlocal kind, method, reference, note
            kind = check_choice(kind, "kind", PAYMENT_KINDS)
            method = check_choice(method, "payment method", PAYMENT_METHODS)
            reference = check_text(reference, "reference", max_len=100, required=False)
            note = check_text(note, "note", max_len=200, required=False)
            settings = billing_settings(clinic)
            if not settings.ready:
                raise ClinicError("set the clinic's currency and prices first (Clinic page)")
            if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
                raise ClinicError(
                    f"the amount must be above 0 (a whole number of minor units), got {amount!r}"
                )
            if (session_number is None) == (no_show_id is None):
                raise ClinicError("choose what the payment is for: a session or a no-show fee")
            account = self.account_in(s, patient_id, clinic=clinic)
            key = f"session-{session_number}" if no_show_id is None else f"no-show-{no_show_id}"
            line = account.line(key)
            if line is None:
                if no_show_id is not None:
                    raise ClinicError("the client has no such no-show fee")
                raise ClinicError(
                    f"the client's plan has no session {session_number}: choose one of its lines"
                )
            money = settings.money
            if kind == "payment" and amount > line.balance:
                left = max(line.balance, 0)
                raise ClinicError(
                    f"a payment of {money(amount)} is larger than the balance of "
                    f"{line.description} ({money(left)}): record at most {money(left)}"
                )
            if kind == "refund" and amount > line.net:
                raise ClinicError(
                    f"a refund of {money(amount)} is larger than what was paid on "
                    f"{line.description} ({money(line.net)})"
                )
            row = Payment(
                clinic_id=self.clinic_id,
                patient_id=patient_id,
                number=self._next_number(s, Payment),
                kind=kind,
                method=method,
                amount=amount,
                currency=settings.currency,
                session_number=session_number,
                no_show_id=no_show_id,
                plan_id=account.plan_id,
                reference=reference,
                note=note,
                created_at=self._now(),
                created_by=self.actor,
            )
            return (
                row,
                f"{kind} {money(amount)} by {method} for {line.description} (receipt {row.number})",
            )

        return self._create("payment", patient_id, payment)

    def mark_no_show(self, booking_id: int) -> NoShow:
        """The client did not come to a booked session, or cancelled within the clinic's
        notice window: the booking is cancelled (its messages withdrawn) and, when the
        clinic has a no-show fee, the fee becomes a line of the client's account. Earlier
        than the window is a cancellation (no fee): cancel the booking instead."""
        with self._unit("update", "booking") as s:
            clinic = self._locked_clinic(s)
            booking = self._get(s, Booking, booking_id, "booking")
            if booking.status != "booked":
                raise ClinicError(f"the booking is {booking.status}")
            settings = billing_settings(clinic)
            now = self._now()
            notice = max(0, int((booking.starts_at - now) / timedelta(hours=1)))
            window = settings.no_show_notice_hours
            if notice >= window:
                raise ClinicError(
                    f"the session starts in {notice} hours, outside the {window}-hour no-show "
                    "window: cancel the booking instead (no fee)"
                )
            if settings.no_show_fee and not settings.currency:
                raise ClinicError("set the clinic's currency first (Clinic page)")
            row = NoShow(
                clinic_id=self.clinic_id,
                patient_id=booking.patient_id,
                booking_id=booking.id,
                starts_at=booking.starts_at,
                notice_hours=notice,
                fee=settings.no_show_fee,
                currency=settings.currency,
                created_at=now,
                created_by=self.actor,
            )
            s.add(row)
            booking.status = "cancelled"
            booking.cancelled_at = now
            withdrawn = _outbox.withdraw_booking_messages(s, self, booking.id, "no-show")
            s.flush()
            fee = settings.money(row.fee) if settings.currency else "no fee"
            detail = f"no-show, {notice} h notice, fee {fee}; {withdrawn} unsent messages cancelled"
            self._log(
                s, AuditEvent("update", "booking", booking.id, booking.patient_id, detail=detail)
            )
            return row

    def issue_invoice(self, patient_id: int) -> Invoice:
        """Issue an invoice for everything the client's account has due: its number is the
        clinic's next (a sequence without gaps), its lines, the total with the tax it
        contains (prices include tax) and what was paid so far are kept as issued."""

        def invoice(s: Session, clinic: Clinic) -> tuple[Invoice, str]:
            account = self.account_in(s, patient_id, clinic=clinic)
            if account.problem:
                raise ClinicError(account.problem)
            lines = [line for line in account.lines if line.price > 0]
            if not lines:
                raise ClinicError("nothing to invoice: the client's account has nothing due")
            settings = account.settings
            total = sum(line.price for line in lines)
            row = Invoice(
                clinic_id=self.clinic_id,
                patient_id=patient_id,
                plan_id=account.plan_id,
                number=self._next_number(s, Invoice),
                currency=settings.currency,
                lines=json.dumps(
                    [{"description": line.description, "amount": line.price} for line in lines],
                    ensure_ascii=False,
                ),
                total=total,
                tax=settings.tax_in(total),
                tax_rate_bp=settings.tax_rate_bp,
                tax_label=settings.tax_label or "Tax",
                paid=max(0, sum(line.net for line in lines)),
                created_at=self._now(),
                created_by=self.actor,
            )
            return row, f"invoice {row.number}: {settings.money(total)}"

        return self._create("invoice", patient_id, invoice)

    # --- documents ---

    def receipt(self, payment_id: int) -> BillingDocument:
        """A payment's (or refund's) receipt, ready to print (an audited read)."""
        with self._unit("read", "payment") as s:
            row = self._get(s, Payment, payment_id, "payment")
            clinic = self._clinic_row(s)
            patient = self._get(s, Patient, row.patient_id, "patient")
            money = billing_settings(clinic).money
            what = (
                f"session {row.session_number}" if row.session_number is not None else "no-show fee"
            )
            label = "Refund" if row.kind == "refund" else "Payment"
            lines = [(f"{label} for {what}, by {_METHOD_NAMES[row.method]}", money(row.amount))]
            notes = [f"Reference: {row.reference}"] if row.reference else []
            notes.append(f"Recorded by {row.created_by}.")
            self._log(s, AuditEvent("read", "payment", row.id, row.patient_id, detail="receipt"))
            return BillingDocument(
                title="Refund receipt" if row.kind == "refund" else "Receipt",
                number=f"R-{row.number:06d}",
                issued=row.created_at,
                seller=_seller(clinic),
                buyer=_buyer(patient),
                lines=tuple(lines),
                totals=((("Refunded" if row.kind == "refund" else "Paid"), money(row.amount)),),
                notes=tuple(notes),
            )

    def invoice_document(self, invoice_id: int) -> BillingDocument:
        """An issued invoice, ready to print (an audited read)."""
        with self._unit("read", "invoice") as s:
            row = self._get(s, Invoice, invoice_id, "invoice")
            clinic = self._clinic_row(s)
            patient = self._get(s, Patient, row.patient_id, "patient")

            def money(minor: int) -> str:
                return format_money(minor, row.currency)

            lines = tuple(
                (x["description"], money(int(x["amount"]))) for x in json.loads(row.lines)
            )
            rate = f"{row.tax_rate_bp / 100:g} %"
            totals = (
                ("Net", money(row.total - row.tax)),
                (f"{row.tax_label} {rate}", money(row.tax)),
                ("Total", money(row.total)),
                ("Paid", money(row.paid)),
                ("Balance due", money(row.total - row.paid)),
            )
            notes = ["Prices include tax."] if row.tax_rate_bp else []
            if clinic.tax_number:
                notes.append(f"{clinic.tax_label or 'Tax'} number: {clinic.tax_number}")
            self._log(s, AuditEvent("read", "invoice", row.id, row.patient_id, detail="document"))
            return BillingDocument(
                title="Invoice",
                number=f"{row.number:06d}",
                issued=row.created_at,
                seller=_seller(clinic),
                buyer=_buyer(patient),
                lines=lines,
                totals=totals,
                notes=tuple(notes),
            )

    # --- helpers ---

    def _create(
        self,
        entity: str,
        patient_id: int,
        build: Callable[[Session, Clinic], tuple[_Numbered, str]],
    ) -> _Numbered:
        """Write a numbered record of the client's (a payment or refund, an invoice) in one
        audited transaction: the client must be this clinic's, the clinic's row is locked,
        ``build`` checks what was asked and makes the row with the audit's detail, the row
        is written and the creation audited. A refusal (``ClinicError``) writes nothing and
        is audited (``_unit``)."""
        with self._unit("create", entity, patient_id=patient_id) as s:
            self._get(s, Patient, patient_id, "patient")
            row, detail = build(s, self._locked_clinic(s))
            s.add(row)
            s.flush()
            self._log(s, AuditEvent("create", entity, row.id, patient_id, detail=detail))
            return row

    def _clinic_row(self, s: Session) -> Clinic:
        row = s.get(Clinic, self.clinic_id)
        assert row is not None
        return row

    def _locked_clinic(self, s: Session) -> Clinic:
        """The clinic's row, locked (PostgreSQL) so that numbering and balances are
        decided one writer at a time; SQLite has one writer already."""
        query = select(Clinic).where(Clinic.id == self.clinic_id).with_for_update()
        return s.scalars(query.execution_options(populate_existing=True)).one()

    def _next_number(self, s: Session, model: type[Payment] | type[Invoice]) -> int:
        latest = s.scalar(select(func.max(model.number)).where(model.clinic_id == self.clinic_id))
        return (latest or 0) + 1

    def _patient_rows(
        self, s: Session, model: type[_Ledger], patient_id: int, order: Any
    ) -> tuple[_Ledger, ...]:
        """The client's payments, invoices or no-shows in this clinic, in ``order``."""
        query = select(model).where(
            model.clinic_id == self.clinic_id, model.patient_id == patient_id
        )
        return tuple(s.scalars(query.order_by(order)))

    def account_in(self, s: Session, patient_id: int, *, clinic: Clinic | None = None) -> Account:
        """The client's account read within the session ``s`` (the erasure checks it in its
        own transaction)."""
        settings = billing_settings(clinic or self._clinic_row(s))
        payments = self._patient_rows(s, Payment, patient_id, Payment.number)
        invoices = self._patient_rows(s, Invoice, patient_id, Invoice.number)
        no_shows = self._patient_rows(s, NoShow, patient_id, NoShow.id)
        bookings = tuple(
            s.scalars(
                select(Booking)
                .where(
                    Booking.clinic_id == self.clinic_id,
                    Booking.patient_id == patient_id,
                    Booking.status == "booked",
                    Booking.local_day >= self.today() - timedelta(days=30),
                )
                .order_by(Booking.starts_at)
            )
        )
        plan = s.scalar(
            select(TreatmentPlan)
            .where(
                TreatmentPlan.clinic_id == self.clinic_id,
                TreatmentPlan.patient_id == patient_id,
                TreatmentPlan.status != "cancelled",
            )
            .order_by(TreatmentPlan.version.desc())
            .limit(1)
        )
        paid: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])
        for pay in payments:
            key = (
                f"session-{pay.session_number}"
                if pay.no_show_id is None
                else f"no-show-{pay.no_show_id}"
            )
            paid[key][0 if pay.kind == "payment" else 1] += pay.amount
        problem, basis = "", ""
        priced: list[tuple[int, str, date | None, str, int]] = []
        if not settings.ready:
            problem = "Set the clinic's currency and prices (Clinic page) to take payments."
        elif plan is None:
            problem = "No plan yet: what is due comes from the client's treatment plan."
        else:
            try:
                priced, basis = _priced_sessions(plan, settings)
            except (PlanError, ClinicError, KeyError, TypeError, ValueError) as exc:
                problem = f"The plan cannot be priced: {exc}"
        lines: list[DueLine] = []
        seen: set[str] = set()
        for number, description, day, status, price in priced:
            key = f"session-{number}"
            seen.add(key)
            got, back = paid.get(key, [0, 0])
            deposit = settings.deposit_for(price)
            lines.append(
                DueLine(key, number, None, description, day, status, price, deposit, got, back)
            )
        for key in sorted(k for k in paid if k.startswith("session-") and k not in seen):
            number = int(key.removeprefix("session-"))
            got, back = paid[key]
            lines.append(
                DueLine(key, number, None, f"session {number} (no longer in the plan)", None,
                        "removed", 0, 0, got, back)
            )  # fmt: skip
        zone = self.timezone
        for ns in no_shows:
            key = f"no-show-{ns.id}"
            if not ns.fee and key not in paid:
                continue
            got, back = paid.get(key, [0, 0])
            day = ns.starts_at.astimezone(zone).date()
            lines.append(
                DueLine(key, None, ns.id, f"no-show fee, session of {day.isoformat()}", day,
                        "fee", ns.fee, 0, got, back)
            )  # fmt: skip
        return Account(
            patient_id=patient_id,
            settings=settings,
            problem=problem,
            plan_id=None if plan is None else plan.id,
            plan_version=None if plan is None else plan.version,
            basis=basis,
            lines=tuple(lines),
            payments=payments,
            invoices=invoices,
            bookings=bookings,
        )


def _priced_sessions(
    plan: TreatmentPlan, settings: BillingSettings
) -> tuple[list[tuple[int, str, date | None, str, int]], str]:
    """Each session of the plan with its price: the band price shared between the design's
    stages (and a stage's parts), the extra-session price for each stage past them."""
    data = json.loads(plan.content)
    sessions = data["sessions"]
    if not isinstance(sessions, list) or not sessions:
        raise ClinicError("it lists no sessions")
    extra = int((data.get("cost_estimate") or {}).get("extra_sessions") or 0)
    stages = sorted({int(x["stage"]) for x in sessions})
    base_stages = stages[: max(1, len(stages) - extra)]
    extra_stages = stages[len(base_stages) :]
    # the design's own impressions, as the plan priced them: re-done ones and extra
    # sessions' are not the design's
    design = sum(
        int(x["impressions"]) - int(x.get("redo") or 0)
        for x in sessions
        if int(x["stage"]) in base_stages
    )
    cost = smp_cost(
        treated_area_cm2=float(data["treated_area_cm2"]),
        impressions=design,
        sessions=len(base_stages),
        extra_sessions=len(extra_stages),
        prices=settings.price_table(),
    )
    band = settings.band_price(cost.band)
    stage_price = dict(zip(base_stages, _split(band, len(base_stages)), strict=True))
    stage_price.update(dict.fromkeys(extra_stages, settings.extra_session))
    parts: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for x in sessions:
        parts[int(x["stage"])].append(x)
    out: list[tuple[int, str, date | None, str, int]] = []
    for stage, items in parts.items():
        for x, price in zip(items, _split(stage_price[stage], len(items)), strict=True):
            number = int(x["index"])
            what = (
                "extra session" if stage in extra_stages else f"stage {stage} of {len(base_stages)}"
            )
            if len(items) > 1:
                what += f", part {x.get('part', 1)} of {len(items)}"
            day = date.fromisoformat(x["date"]) if x.get("date") else None
            out.append(
                (number, f"session {number} ({what})", day, str(x.get("status", "planned")), price)
            )
    out.sort()
    return out, cost.basis


def _split(total: int, n: int) -> list[int]:
    """``total`` in ``n`` shares that differ by at most one minor unit, larger ones first."""
    share, rest = divmod(total, n)
    return [share + (1 if i < rest else 0) for i in range(n)]


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _seller(clinic: Clinic) -> tuple[str, ...]:
    lines = [clinic.name, *clinic.address.splitlines()]
    lines += [x for x in (clinic.phone, clinic.email) if x]
    if clinic.tax_number:
        lines.append(f"{clinic.tax_label or 'Tax'} number {clinic.tax_number}")
    return tuple(line.strip() for line in lines if line.strip())


def _buyer(patient: Patient) -> tuple[str, ...]:
    lines = [f"{patient.given_name} {patient.family_name}"]
    lines += [x for x in (patient.email, patient.phone) if x]
    return tuple(lines)
