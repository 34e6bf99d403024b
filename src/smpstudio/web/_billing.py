"""Payments in the studio: a client's account, payments and refunds, invoices, receipts and
no-shows; and the billing fields of the Clinic page.

- ``/studio/patients/{id}/payments``: the Payments panel on its own page (the client's record
  shows the same panel): per plan session the price, deposit, paid and balance; the forms to
  record a payment or a refund and to issue an invoice; receipts and invoices to download.
  A refused form comes back (422) with the reason and the values typed; nothing is saved.
- ``…/payments.json``: the account as JSON (amounts in minor units, with the currency).
- ``…/payments/{payment_id}/receipt.pdf``, ``…/invoices/{invoice_id}/invoice.pdf``.
- ``/studio/bookings/{id}/no-show``: the client did not come (or cancelled within the
  clinic's notice window): the booking is cancelled and the no-show fee becomes due.

Amounts are typed in the currency's major unit (``250``, ``1,250.50``) and kept in minor
units (``smpstudio._money``).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from smpstudio._errors import InputError
from smpstudio._money import CURRENCIES, format_money, minor_digits, parse_money
from smpstudio.clinic import (
    DEPOSIT_KINDS,
    PAYMENT_KINDS,
    PAYMENT_METHODS,
    Account,
    Clinic,
    ClinicRecords,
    RecordNotFoundError,
)
from smpstudio.plan import PriceTable
from smpstudio.reports import billing_pdf
from smpstudio.web._http import FormInput, form_input, page, records_for, redirect, staff, studio_of
from smpstudio.web._ids import form_rid, rid
from smpstudio.web._state import blocking, compute

__all__ = [
    "BILLING_FIELDS",
    "BILLING_STAFF",
    "PRICE_BANDS",
    "billing_form_fields",
    "billing_form_values",
    "routes",
]

BILLING_STAFF = ("owner", "practitioner", "front-desk")
"""Who sees a client's account and records payments."""

PRICE_BANDS: tuple[str, ...] = tuple(b.label for b in PriceTable.default().bands)
"""The treated-area bands the clinic prices (the plan's shipped table, smallest first)."""

BILLING_FIELDS = (
    "currency",
    *(f"price_{i}" for i in range(len(PRICE_BANDS))),
    "price_extra",
    "deposit_kind",
    "deposit_value",
    "no_show_fee",
    "no_show_notice_hours",
    "tax_rate",
    "tax_label",
    "tax_number",
)
"""The Clinic page's billing fields."""


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:]


def _major(minor: int, currency: str) -> str:
    """An amount as typed in a form: 2500.00 (no currency, no thousands separator)."""
    digits = minor_digits(currency)
    whole, part = divmod(minor, 10**digits)
    return f"{whole}.{part:0{digits}d}" if digits else str(whole)


# --- the Clinic page's billing fields ---


def billing_form_values(row: Clinic) -> dict[str, str]:
    """The clinic's billing settings as the form shows them."""
    values = dict.fromkeys(BILLING_FIELDS, "")
    values.update(
        currency=row.currency,
        deposit_kind=row.deposit_kind,
        no_show_notice_hours=str(row.no_show_notice_hours),
        tax_rate=f"{row.tax_rate_bp / 100:g}",
        tax_label=row.tax_label,
        tax_number=row.tax_number,
    )
    if row.currency:
        money = row.currency
        values["no_show_fee"] = _major(row.no_show_fee, money)
        if row.deposit_kind == "percent":
            values["deposit_value"] = str(row.deposit_value)
        elif row.deposit_kind == "amount":
            values["deposit_value"] = _major(row.deposit_value, money)
        if row.prices:
            data = json.loads(row.prices)
            for i, band in enumerate(data["bands"]):
                values[f"price_{i}"] = _major(int(band["price"]), money)
            values["price_extra"] = _major(int(data["extra_session"]), money)
    return values


def billing_form_fields(form: FormInput) -> dict[str, Any]:
    """The billing fields of a submitted Clinic form as ``Database.update_clinic`` takes
    them (money in minor units); a malformed amount is refused with what is wrong."""
    currency = form.get("currency").strip().upper()
    fields: dict[str, Any] = {
        "currency": currency,
        "tax_label": form.get("tax_label"),
        "tax_number": form.get("tax_number"),
    }
    if currency and currency not in CURRENCIES:
        raise InputError(
            f"currency {currency!r} is not an ISO 4217 code: use three letters such as USD, "
            "EUR or GBP"
        )
    kind = form.get("deposit_kind") or "none"
    if kind not in DEPOSIT_KINDS:
        raise InputError(f"the deposit is one of {', '.join(DEPOSIT_KINDS)}")
    fields["deposit_kind"] = kind
    fields["no_show_notice_hours"] = _whole(form.get("no_show_notice_hours") or "48", "notice")
    fields["tax_rate_bp"] = _percent_bp(form.get("tax_rate") or "0")
    prices = [form.get(f"price_{i}").strip() for i in range(len(PRICE_BANDS))]
    extra = form.get("price_extra").strip()
    money_typed = any(prices) or extra or form.get("no_show_fee").strip()
    if money_typed and not currency:
        raise InputError("choose the clinic's currency for its prices")
    if not currency:
        return fields
    if any(prices) or extra:
        if not all(prices) or not extra:
            raise InputError("give a price for every treated area and for an extra session")
        fields["band_prices"] = [
            parse_money(p, currency, f"the price of '{label}'")
            for p, label in zip(prices, PRICE_BANDS, strict=True)
        ]
        fields["extra_session_price"] = parse_money(extra, currency, "the extra-session price")
    fields["no_show_fee"] = parse_money(form.get("no_show_fee") or "0", currency, "the no-show fee")
    value = form.get("deposit_value").strip() or "0"
    if kind == "percent":
        fields["deposit_value"] = _whole(value.rstrip("%").strip(), "the deposit (%)")
    elif kind == "amount":
        fields["deposit_value"] = parse_money(value, currency, "the deposit")
    else:
        fields["deposit_value"] = 0
    return fields


def _whole(text: str, what: str) -> int:
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        raise InputError(f"{what} must be a whole number like 48 (got {text!r})")
    return int(text)


def _percent_bp(text: str) -> int:
    """A percentage typed like 20 or 7.5 in basis points (2000, 750)."""
    try:
        return parse_money(text.strip().rstrip("%"), "USD", "the tax rate")
    except InputError:
        raise InputError(
            f"the tax rate must be a percentage like 20 or 7.5 (got {text!r})"
        ) from None


# --- the account ---


def patient_of(request: Request) -> int:
    value: int = request.path_params["patient_id"]
    return value


def account_context(records: ClinicRecords, pid: int) -> dict[str, Any]:
    """What the Payments panel shows (also on the client's record)."""
    account = records.account(pid)
    return {
        "account": account,
        "payment_kinds": PAYMENT_KINDS,
        "payment_methods": PAYMENT_METHODS,
        "digits": minor_digits(account.currency) if account.currency else 2,
    }


def _page_context(records: ClinicRecords, pid: int) -> dict[str, Any]:
    patient = records.patient(pid)
    return {
        "title": f"Payments · {patient.given_name} {patient.family_name}",
        "patient": patient,
        "zone": records.timezone,
        "values": {},
        **account_context(records, pid),
    }


@staff(*BILLING_STAFF)
async def account_page(request: Request) -> Response:
    context = await blocking(_page_context, records_for(request), patient_of(request))
    return page(request, "billing_account.html", context)


@staff(*BILLING_STAFF)
async def account_json(request: Request) -> Response:
    account: Account = await blocking(records_for(request).account, patient_of(request))
    return JSONResponse(_with_tokens(account.to_dict()))


def _with_tokens(data: dict[str, Any]) -> dict[str, Any]:
    """The account's JSON with every record id as its token (``smpstudio.web._ids``)."""

    def token(value: int | None) -> str | None:
        return None if value is None else rid(value)

    data["patient_id"], data["plan_id"] = token(data["patient_id"]), token(data["plan_id"])
    for row in (*data["lines"], *data["payments"]):
        row["no_show_id"] = token(row["no_show_id"])
    for row in data["lines"]:
        if row["no_show_id"] is not None:
            row["key"] = f"no-show-{row['no_show_id']}"
    for row in (*data["payments"], *data["invoices"]):
        row["id"] = token(row["id"])
    return data


def _line(text: str) -> dict[str, int]:
    """The line a payment is for: ``session-<number>`` or ``no-show-<token>``."""
    kind, _, number = text.rpartition("-")
    if kind == "session" and number.isascii() and number.isdigit() and len(number) < 10:
        return {"session_number": int(number)}
    no_show_id = form_rid(number) if kind == "no-show" else None
    if no_show_id is not None:
        return {"no_show_id": no_show_id}
    raise InputError("choose what the payment is for")


@staff(*BILLING_STAFF)
async def record_payment(request: Request) -> Response:
    records = records_for(request)
    pid = patient_of(request)
    await blocking(records.patient, pid)  # another clinic's client: 404 first
    form = await form_input(request)
    try:
        account: Account = await blocking(records.account, pid)
        if not account.currency:
            raise InputError(account.problem)
        kind = form.get("kind") or "payment"
        if kind not in PAYMENT_KINDS:
            raise InputError("choose a payment or a refund")
        amount = parse_money(form.get("amount"), account.currency)
        row = await blocking(
            records.record_payment,
            pid,
            amount=amount,
            method=form.get("method"),
            kind=kind,
            reference=form.get("reference"),
            note=form.get("note"),
            **_line(form.get("line")),
        )
    except InputError as exc:
        if isinstance(exc, RecordNotFoundError):
            raise
        context = await blocking(_page_context, records, pid)
        context.update(values=form.values(), error=_sentence(exc))
        return page(request, "billing_account.html", context, status=422)
    what = "Refund" if row.kind == "refund" else "Payment"
    studio_of(request).flash(
        request.state.signed.session.token_hash,
        f"{what} of {format_money(row.amount, row.currency)} recorded: receipt R-{row.number:06d}.",
    )
    return redirect(f"/studio/patients/{rid(pid)}#payments")


@staff(*BILLING_STAFF)
async def issue_invoice(request: Request) -> Response:
    records = records_for(request)
    pid = patient_of(request)
    await blocking(records.patient, pid)
    await form_input(request)
    try:
        row = await blocking(records.issue_invoice, pid)
    except InputError as exc:
        if isinstance(exc, RecordNotFoundError):
            raise
        context = await blocking(_page_context, records, pid)
        context.update(error=_sentence(exc))
        return page(request, "billing_account.html", context, status=422)
    studio_of(request).flash(
        request.state.signed.session.token_hash,
        f"Invoice {row.number:06d} issued: {format_money(row.total, row.currency)}.",
    )
    return redirect(f"/studio/patients/{rid(pid)}#payments")


def _document_pdf(records: ClinicRecords, pid: int, kind: str, object_id: int) -> dict[str, Any]:
    account = records.account(pid)
    owned = account.payments if kind == "receipt" else account.invoices
    if object_id not in {x.id for x in owned}:
        raise RecordNotFoundError(f"no {kind} {object_id} for this client")
    doc = records.receipt(object_id) if kind == "receipt" else records.invoice_document(object_id)
    return asdict(doc)


def _pdf_response(data: bytes, filename: str) -> Response:
    return Response(
        data,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@staff(*BILLING_STAFF)
async def receipt_pdf(request: Request) -> Response:
    records = records_for(request)
    payment_id: int = request.path_params["payment_id"]
    fields = await blocking(_document_pdf, records, patient_of(request), "receipt", payment_id)
    data = await compute(studio_of(request), _render, fields)
    return _pdf_response(data, f"receipt-{fields['number']}.pdf")


@staff(*BILLING_STAFF)
async def invoice_pdf(request: Request) -> Response:
    records = records_for(request)
    invoice_id: int = request.path_params["invoice_id"]
    fields = await blocking(_document_pdf, records, patient_of(request), "invoice", invoice_id)
    data = await compute(studio_of(request), _render, fields)
    return _pdf_response(data, f"invoice-{fields['number']}.pdf")


def _render(fields: dict[str, Any]) -> bytes:
    return billing_pdf(**fields)


@staff(*BILLING_STAFF)
async def no_show(request: Request) -> Response:
    records = records_for(request)
    booking_id: int = request.path_params["booking_id"]
    await form_input(request)
    row = await blocking(records.mark_no_show, booking_id)
    fee = format_money(row.fee, row.currency) if row.fee else "no fee"
    studio_of(request).flash(
        request.state.signed.session.token_hash,
        f"Marked as a no-show ({row.notice_hours} h notice): {fee}.",
    )
    return redirect(f"/studio/patients/{rid(row.patient_id)}#payments")


_P = "/studio/patients/{patient_id:rid}"
routes = [
    Route(_P + "/payments", account_page, methods=["GET"]),
    Route(_P + "/payments", record_payment, methods=["POST"]),
    Route(_P + "/payments.json", account_json, methods=["GET"]),
    Route(_P + "/payments/{payment_id:rid}/receipt.pdf", receipt_pdf, methods=["GET"]),
    Route(_P + "/invoices", issue_invoice, methods=["POST"]),
    Route(_P + "/invoices/{invoice_id:rid}/invoice.pdf", invoice_pdf, methods=["GET"]),
    Route("/studio/bookings/{booking_id:rid}/no-show", no_show, methods=["POST"]),
]
