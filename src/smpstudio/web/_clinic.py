"""The clinic's own details (owner): name, time zone, address, phone, e-mail, opening hours,
and what it charges: currency, prices, deposit, no-show fee, tax (``_billing``).

The public site's contact page and the plans' "when to call us" show them (each falling back
to ``smpstudio serve --address/--phone/--email``). A refused form comes back (422) with what
is wrong and the values given; nothing is saved. Every change is audited.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import available_timezones

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smpstudio._errors import InputError
from smpstudio.web._billing import (
    PRICE_BANDS,
    billing_form_fields,
    billing_form_values,
)
from smpstudio.web._http import form_input, page, redirect, staff, studio_of
from smpstudio.web._state import blocking

__all__ = ["FIELDS", "routes"]

FIELDS = ("name", "timezone", "address", "phone", "email", "opening_hours")
"""The clinic's details the owner edits, as form fields."""


@cache
def time_zones() -> tuple[str, ...]:
    """Every IANA time zone the machine knows, sorted (the form's choices)."""
    return tuple(sorted(available_timezones()))


def _values(request: Request) -> dict[str, str]:
    row = studio_of(request).clinic_row(request.state.signed.user.clinic_id)
    return {field: getattr(row, field) for field in FIELDS} | billing_form_values(row)


def _context(values: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "title": "Clinic",
        "values": values,
        "zones": time_zones(),
        "bands": PRICE_BANDS,
        **extra,
    }


@staff("owner")
async def clinic_form(request: Request) -> Response:
    values = await blocking(_values, request)
    return page(request, "clinic.html", _context(values))


@staff("owner")
async def save_clinic(request: Request) -> Response:
    studio = studio_of(request)
    form = await form_input(request)
    fields = {field: form.get(field) for field in FIELDS}
    signed = request.state.signed
    try:
        await blocking(
            studio.update_clinic,
            signed.user.clinic_id,
            actor=f"user:{signed.user.id}",
            **fields,
            **billing_form_fields(form),
        )
    except InputError as exc:
        text = str(exc)
        error = text[:1].upper() + text[1:]
        values = fields | {k: v for k, v in form.values().items() if k not in fields}
        return page(request, "clinic.html", _context(values, error=error), status=422)
    studio.flash(signed.session.token_hash, "Clinic details saved.")
    return redirect("/studio/clinic")


routes = [
    Route("/studio/clinic", clinic_form, methods=["GET"]),
    Route("/studio/clinic", save_clinic, methods=["POST"]),
]
