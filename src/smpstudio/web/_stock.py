"""Stock, lot recall and a client's message choices in the studio.

- ``/studio/stock``: pigment and needle stock by lot, the warnings (expired, expiring, low),
  adding an item, receiving a delivery, a stock-take count or a discard. A refused form
  comes back (422) with what is wrong and the values given; nothing is saved.
- ``/studio/recall``: who received a pigment batch or needle lot (sessions and patch tests),
  with their contact details; the lot is POSTed and every client shown is audited.
- ``/studio/patients/{id}/messages/opt-out``: the client's choice per channel.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smpstudio._errors import InputError
from smpstudio.clinic import CHANNELS, STOCK_KINDS, ClinicRecords, RecordNotFoundError
from smpstudio.web._clients import CLINICAL, parse_date, patient_id
from smpstudio.web._http import form_input, page, records_for, redirect, staff, studio_of
from smpstudio.web._ids import form_rid, rid
from smpstudio.web._state import blocking

__all__ = ["routes"]

_STAFF = ("owner", "practitioner", "front-desk")


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:]


def _number(text: str, what: str) -> float:
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        raise InputError(f"{what} must be a number like 15 or 2.5") from None


def _stock_context(records: ClinicRecords) -> dict[str, Any]:
    items = records.stock_items()
    warnings = records.stock_warnings()
    return {
        "title": "Stock",
        "items": items,
        "warnings": warnings,
        "flagged": {w.lot_id: w.kind for w in warnings if w.lot_id is not None},
        "low": {w.item_id for w in warnings if w.kind == "low"},
        "kinds": STOCK_KINDS,
        "today": records.today(),
        "warning_days": round(records.settings.stock_expiry_warning_days),
    }


def _flash(request: Request, message: str) -> None:
    studio_of(request).flash(request.state.signed.session.token_hash, message)


@staff(*_STAFF)
async def stock(request: Request) -> Response:
    context = await blocking(_stock_context, records_for(request))
    return page(request, "stock.html", {**context, "values": {}})


async def _refused(request: Request, exc: InputError, values: dict[str, str]) -> Response:
    """The stock page again (422) with what is wrong; another clinic's record is a 404."""
    if isinstance(exc, RecordNotFoundError):
        raise exc
    context = await blocking(_stock_context, records_for(request))
    context.update(values=values, error=_sentence(exc))
    return page(request, "stock.html", context, status=422)


@staff(*_STAFF)
async def add_item(request: Request) -> Response:
    records = records_for(request)
    form = await form_input(request)
    try:
        item = await blocking(
            records.add_stock_item,
            form.get("kind"),
            form.get("name"),
            low_stock_at=_number(form.get("low_stock_at") or "0", "the low-stock threshold"),
        )
    except InputError as exc:
        return await _refused(request, exc, form.values())
    _flash(request, f"{item.name} added to the stock list: receive its first lot below.")
    return redirect("/studio/stock")


@staff(*_STAFF)
async def receive(request: Request) -> Response:
    records = records_for(request)
    form = await form_input(request)
    try:
        item_id = form_rid(form.get("item_id"))
        if item_id is None:
            raise InputError("choose the item received")
        lot = await blocking(
            records.receive_stock,
            item_id,
            lot=form.get("lot"),
            expires_on=parse_date(form.get("expires_on"), "the expiry date"),
            quantity=_number(form.get("quantity"), "the quantity received"),
        )
    except InputError as exc:
        return await _refused(request, exc, form.values())
    _flash(request, f"Received: lot {lot.lot} now has {lot.quantity:g} in stock.")
    return redirect("/studio/stock")


@staff(*_STAFF)
async def count(request: Request) -> Response:
    records = records_for(request)
    lot_id: int = request.path_params["lot_id"]
    await blocking(records.stock_movements, lot_id)  # another clinic's lot: 404 first
    form = await form_input(request)
    try:
        lot = await blocking(
            records.adjust_stock,
            lot_id,
            counted=_number(form.get("counted"), "the count"),
            reason=form.get("reason") or "count",
            note=form.get("note"),
        )
    except InputError as exc:
        return await _refused(request, exc, {**form.values(), "lot_id": rid(lot_id)})
    _flash(request, f"Lot {lot.lot}: {lot.quantity:g} in stock.")
    return redirect("/studio/stock")


# --- recall by lot ---


def _recall(records: ClinicRecords, lot: str) -> dict[str, Any]:
    sessions = records.clients_with_pigment_batch(lot)
    needles = records.sessions_with_needle_lot(lot)
    patch_tests = records.patch_tests_with_pigment_batch(lot)
    clients = {h.patient_id for h in [*sessions, *needles]} | {h.patient_id for h in patch_tests}
    return {
        "lot": lot,
        "pigment_hits": sessions,
        "needle_hits": needles,
        "patch_test_hits": patch_tests,
        "client_count": len(clients),
        "practitioners": {p.id: p.full_name for p in records.practitioners()},
        "zone": records.timezone,
    }


@staff(*CLINICAL)
async def recall(request: Request) -> Response:
    """The form (GET) and, POSTed, who received the lot: no lot number in a URL."""
    context: dict[str, Any] = {"title": "Recall by lot", "lot": ""}
    if request.method == "POST":
        lot = (await form_input(request)).get("lot").strip()
        try:
            context.update(await blocking(_recall, records_for(request), lot))
        except InputError as exc:
            context.update(lot=lot[:64], error=_sentence(exc))
            return page(request, "recall.html", context, status=422)
        context["searched"] = True
    return page(request, "recall.html", context)


# --- a client's message choices ---


@staff(*_STAFF)
async def opt_out(request: Request) -> Response:
    pid = patient_id(request)
    records = records_for(request)
    await blocking(records.message_opt_outs, pid)  # another clinic's client: 404 first
    form = await form_input(request)
    channel = form.get("channel")
    if channel not in CHANNELS:
        raise InputError(f"choose the channel ({', '.join(CHANNELS)})")
    choice = form.get("opted_out") == "yes"
    await blocking(records.set_message_opt_out, pid, channel=channel, opted_out=choice)
    label = "e-mail" if channel == "email" else "text messages"
    _flash(request, f"No more {label} to this client." if choice else f"{label.capitalize()} on.")
    return redirect(f"/studio/patients/{rid(pid)}#messages")


routes = [
    Route("/studio/stock", stock, methods=["GET"]),
    Route("/studio/stock/items", add_item, methods=["POST"]),
    Route("/studio/stock/receive", receive, methods=["POST"]),
    Route("/studio/stock/lots/{lot_id:rid}/count", count, methods=["POST"]),
    Route("/studio/recall", recall, methods=["GET", "POST"]),
    Route("/studio/patients/{patient_id:rid}/messages/opt-out", opt_out, methods=["POST"]),
]
