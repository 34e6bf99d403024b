"""Patch tests on the client's record: record one (pigment brand, batch, expiry, where and
when it was applied) and its reading (reaction, who read it and when).

A refused form comes back (422) with what is wrong and the values given; nothing is saved.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smpstudio._errors import InputError
from smpstudio.clinic import REACTIONS, ClinicRecords, PatchTest, RecordNotFoundError
from smpstudio.web._clients import CLINICAL, parse_date, patient_id
from smpstudio.web._http import (
    FormInput,
    form_input,
    page,
    records_for,
    redirect,
    staff,
    studio_of,
)
from smpstudio.web._ids import form_rid, rid
from smpstudio.web._state import blocking

__all__ = ["local_time", "routes"]


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:]


def local_time(records: ClinicRecords, day: str, clock: str, what: str) -> dt.datetime:
    """A date and time of the form in the clinic's time zone."""
    date = parse_date(day, f"the {what} date")
    try:
        time = dt.time.fromisoformat(clock.strip())
    except ValueError:
        raise InputError(f"the {what} time must be like 10:30") from None
    return dt.datetime.combine(date, time, records.timezone)


def _practitioner(form: FormInput) -> int:
    value = form_rid(form.get("practitioner_id"))
    if value is None:
        raise InputError("choose the practitioner")
    return value


def _now_values(records: ClinicRecords, request: Request) -> dict[str, str]:
    now = records.now().astimezone(records.timezone)
    linked = request.state.signed.user.practitioner_id
    return {
        "day": now.date().isoformat(),
        "time": now.strftime("%H:%M"),
        "practitioner_id": rid(linked) if linked else "",
    }


def _context(records: ClinicRecords, pid: int) -> dict[str, Any]:
    return {
        "title": "Record a patch test",
        "patient": records.patient(pid),
        "practitioners": [p for p in records.practitioners() if p.active],
    }


# --- a new patch test ---


@staff(*CLINICAL)
async def patch_test_form(request: Request) -> Response:
    records = records_for(request)
    context = await blocking(_context, records, patient_id(request))
    context["values"] = {**_now_values(records, request), "site": "behind the ear"}
    return page(request, "patch_test_form.html", context)


@staff(*CLINICAL)
async def new_patch_test(request: Request) -> Response:
    records = records_for(request)
    pid = patient_id(request)
    form = await form_input(request)
    try:
        fields = {
            "practitioner_id": _practitioner(form),
            "applied_at": local_time(records, form.get("day"), form.get("time"), "patch test"),
            "brand": form.get("brand"),
            "batch": form.get("batch"),
            "expires_on": parse_date(form.get("expires_on"), "the pigment's expiry date"),
            "site": form.get("site"),
            "notes": form.get("notes"),
        }
        await blocking(records.record_patch_test, pid, **fields)
    except InputError as exc:
        context = await blocking(_context, records, pid)
        context.update(values=form.values(), error=_sentence(exc))
        return page(request, "patch_test_form.html", context, status=422)
    studio_of(request).flash(
        request.state.signed.session.token_hash,
        "Patch test recorded. Record its reading when you check the skin.",
    )
    return redirect(f"/studio/patients/{rid(pid)}#patch-tests")


# --- its reading ---


def _find(records: ClinicRecords, pid: int, patch_test_id: int) -> PatchTest:
    for test in records.patch_tests(pid):
        if test.id == patch_test_id:
            return test
    raise RecordNotFoundError(f"no patch test {patch_test_id} for this client")


def _reading_context(records: ClinicRecords, pid: int, patch_test_id: int) -> dict[str, Any]:
    return {
        **_context(records, pid),
        "title": "Read a patch test",
        "test": _find(records, pid, patch_test_id),
        "reactions": REACTIONS,
        "zone": records.timezone,
    }


@staff(*CLINICAL)
async def reading_form(request: Request) -> Response:
    records = records_for(request)
    ids = (patient_id(request), int(request.path_params["patch_test_id"]))
    context = await blocking(_reading_context, records, *ids)
    context["values"] = _now_values(records, request)
    return page(request, "patch_test_reading.html", context)


@staff(*CLINICAL)
async def read_patch_test(request: Request) -> Response:
    records = records_for(request)
    pid, patch_test_id = patient_id(request), int(request.path_params["patch_test_id"])
    await blocking(_find, records, pid, patch_test_id)
    form = await form_input(request)
    try:
        await blocking(
            records.read_patch_test,
            patch_test_id,
            practitioner_id=_practitioner(form),
            read_at=local_time(records, form.get("day"), form.get("time"), "reading"),
            reaction=form.get("reaction"),
            notes=form.get("notes"),
        )
    except InputError as exc:
        context = await blocking(_reading_context, records, pid, patch_test_id)
        context.update(values=form.values(), error=_sentence(exc))
        return page(request, "patch_test_reading.html", context, status=422)
    studio_of(request).flash(request.state.signed.session.token_hash, "Reading recorded.")
    return redirect(f"/studio/patients/{rid(pid)}#patch-tests")


_PATCH = "/studio/patients/{patient_id:rid}/patch-tests"
routes = [
    Route(f"{_PATCH}/new", patch_test_form, methods=["GET"]),
    Route(f"{_PATCH}/new", new_patch_test, methods=["POST"]),
    Route(_PATCH + "/{patch_test_id:rid}/reading", reading_form, methods=["GET"]),
    Route(_PATCH + "/{patch_test_id:rid}/reading", read_patch_test, methods=["POST"]),
]
