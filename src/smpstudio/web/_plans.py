"""Treatment plans (sessions, cost, aftercare, touch-up, PDF and calendar) and the session
log with pigment batches and needle lots.

A plan is stored as its ``plan.json`` with the inputs it was built from (``inputs``: the
design version, start, sessions, trial, spacing, time, look, a random reference and the
issue time), so its PDF and calendar are rebuilt on download — byte for byte the same each
time, and the calendar's event UIDs stay stable.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

from PIL import Image
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smpstudio._design import Design, design_from_inputs
from smpstudio._errors import ClinicError, InputError
from smpstudio.clinic import (
    DILUTION_ZONES,
    PLAN_STATUSES,
    ClinicRecords,
    DesignVersion,
    PatchTestRequiredError,
    PigmentUse,
    RecordNotFoundError,
    TreatmentPlan,
)
from smpstudio.dots import DilutionRule, dilution_rule, place_impressions
from smpstudio.plan import Plan, PriceTable, build_plan
from smpstudio.render import look_for, render_sheet
from smpstudio.reports import plan_files, plan_ics
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
from smpstudio.web._site import clinic_contact
from smpstudio.web._state import Studio, blocking, compute

__all__ = ["build_saved_plan", "find_plan", "routes"]


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:]


# --- new plan ---


@staff(*CLINICAL)
async def new_plan_form(request: Request) -> Response:
    records = records_for(request)
    pid = patient_id(request)
    context = await blocking(_plan_form_context, records, pid)
    default_start = records.today() + dt.timedelta(days=7)
    context["values"] = {
        "start": default_start.isoformat(),
        "sessions": "3",
        "time": "10:00",
        "spacing_days": "14",
    }
    return page(request, "plan_form.html", context)


def _plan_form_context(records: ClinicRecords, pid: int) -> dict[str, Any]:
    return {"title": "New plan", "patient": records.patient(pid), "designs": records.designs(pid)}


@staff(*CLINICAL)
async def new_plan(request: Request) -> Response:
    studio = studio_of(request)
    records = records_for(request)
    pid = patient_id(request)
    form = await form_input(request)
    try:
        designs = await blocking(records.designs, pid)
        chosen = _design_version(designs, form.get("design_version"))
        inputs = _plan_inputs(form, chosen, records.timezone.key, issued=records.now())
        billing = await blocking(records.billing_settings)
        if billing.ready:  # the clinic's own prices (Clinic page), else the shipped table
            inputs["prices"] = billing.price_table().to_dict()
        plan = await compute(studio, build_saved_plan, chosen.content, inputs)
        content = {**plan.to_dict(), "inputs": inputs}
        saved = await blocking(
            records.save_plan,
            pid,
            content,
            design_version_id=chosen.id,
            sessions_planned=len(plan.sessions),
        )
    except InputError as exc:
        context = await blocking(_plan_form_context, records, pid)
        context.update(values=form.values(), error=_sentence(exc))
        return page(request, "plan_form.html", context, status=422)
    studio.flash(request.state.signed.session.token_hash, f"Plan version {saved.version} saved.")
    return redirect(f"/studio/patients/{rid(pid)}/plans/{rid(saved.id)}")


def _design_version(designs: list[DesignVersion], chosen: str) -> DesignVersion:
    if not designs:
        raise InputError("save a design in the hairline designer first")
    design_id = form_rid(chosen)
    for d in designs:
        if d.id == design_id:
            return d
    raise InputError("choose one of the client's designs")


def _plan_inputs(
    form: FormInput, design: DesignVersion, timezone: str, *, issued: dt.datetime
) -> dict[str, Any]:
    start = parse_date(form.get("start"), "the first session's date")
    sessions = form.get("sessions", "3")
    if sessions not in ("3", "4"):
        raise InputError("plan 3 sessions, or 4 for scars, alopecia or difficult skin")
    try:
        spacing = float(form.get("spacing_days") or 14)
    except ValueError:
        raise InputError("the spacing must be a number of days") from None
    time_text = form.get("time").strip()
    if time_text:
        try:
            dt.time.fromisoformat(time_text)
        except ValueError:
            raise InputError("the appointment time must be like 10:00") from None
    look = json.loads(design.content).get("studio", {})
    return {
        "design_version_id": design.id,
        "start": start.isoformat(),
        "sessions": int(sessions),
        "trial": form.checked("trial"),
        "spacing_days": spacing,
        "time": time_text or None,
        "timezone": timezone,
        "skin": look.get("skin", "#d7bd96"),
        "hair": look.get("hair", "dark-brown"),
        "reference": secrets.token_hex(8),
        "issued": issued.replace(microsecond=0).isoformat(),
    }


def _blended(design: Design, inputs: dict[str, Any]) -> DilutionRule:
    """The dilutions of the designer's preview: the body shade that blends the healed scalp
    with the remaining hair (docs/render.md, "Blending")."""
    return dilution_rule(inputs["skin"], inputs["hair"], settings=design.settings)


def build_saved_plan(design_content: str, inputs: dict[str, Any]) -> Plan:
    """Build (or rebuild) a plan from a saved design and the plan's inputs."""
    design = design_from_inputs(json.loads(design_content)["inputs"])
    dots = place_impressions(design, dilution=_blended(design, inputs))
    sessions = int(inputs["sessions"])
    return build_plan(
        design,
        dots,
        start=dt.date.fromisoformat(inputs["start"]),
        skin=inputs["skin"],
        hair=inputs["hair"],
        sessions=sessions if sessions != len(design.settings.session_fractions) else None,
        trial=bool(inputs["trial"]),
        spacing_days=float(inputs["spacing_days"]),
        time=dt.time.fromisoformat(inputs["time"]) if inputs.get("time") else None,
        timezone=inputs["timezone"] if inputs.get("time") else None,
        reference=inputs["reference"],
        price_table=PriceTable.from_dict(inputs["prices"]) if inputs.get("prices") else None,
    )


# --- a plan ---


def find_plan(
    records: ClinicRecords, pid: int, plan_id: int
) -> tuple[TreatmentPlan, dict[str, Any]]:
    for p in records.plans(pid):
        if p.id == plan_id:
            return p, json.loads(p.content)
    raise RecordNotFoundError(f"no plan {plan_id} for this client")


def _plan_context(records: ClinicRecords, pid: int, plan_id: int) -> dict[str, Any]:
    row, content = find_plan(records, pid, plan_id)
    return {
        "title": f"Plan version {row.version}",
        "patient": records.patient(pid),
        "plan": row,
        "data": content,
        "statuses": PLAN_STATUSES,
        "booked": records.booked_sessions(row.id),
    }


@staff(*CLINICAL)
async def plan_page(request: Request) -> Response:
    plan_id: int = request.path_params["plan_id"]
    context = await blocking(_plan_context, records_for(request), patient_id(request), plan_id)
    return page(request, "plan.html", context)


@staff(*CLINICAL)
async def plan_status(request: Request) -> Response:
    plan_id: int = request.path_params["plan_id"]
    records = records_for(request)
    pid = patient_id(request)
    await blocking(find_plan, records, pid, plan_id)
    status = (await form_input(request)).get("status")
    await blocking(records.set_plan_status, plan_id, status)
    studio_of(request).flash(request.state.signed.session.token_hash, f"The plan is {status}.")
    return redirect(f"/studio/patients/{rid(pid)}/plans/{rid(plan_id)}")


def _documents(
    studio: Studio, records: ClinicRecords, pid: int, plan_id: int
) -> tuple[str, dict[str, Any], str]:
    _, content = find_plan(records, pid, plan_id)
    inputs = content.get("inputs")
    if not isinstance(inputs, dict):
        raise ClinicError("this plan was not made in the studio: its documents cannot be rebuilt")
    design = next((d for d in records.designs(pid) if d.id == inputs["design_version_id"]), None)
    if design is None:
        raise RecordNotFoundError("the plan's design is missing")
    patient = records.patient(pid)
    return design.content, inputs, f"{patient.given_name} {patient.family_name}"


def _pdf(
    design_content: str, inputs: dict[str, Any], clinic: str, client: str, contact: str
) -> bytes:
    plan = build_saved_plan(design_content, inputs)
    design = design_from_inputs(json.loads(design_content)["inputs"])
    dots = place_impressions(design, dilution=_blended(design, inputs))
    look = look_for(inputs["skin"], inputs["hair"])
    images: list[tuple[str, Image.Image]] = [
        (
            "Today and healed, from above, and the scalp close up (simulation)",
            render_sheet(design, dots, look, view_name="top", size=640),
        ),
    ]
    issued = dt.datetime.fromisoformat(inputs["issued"])
    files = plan_files(
        design,
        plan,
        issued=issued,
        clinic=clinic,
        client_name=client,
        contact=contact,
        images=images,
        look=look,
    )
    return files["plan.pdf"]


def _ics(design_content: str, inputs: dict[str, Any], clinic: str, booked: frozenset[int]) -> bytes:
    plan = build_saved_plan(design_content, inputs)
    issued = dt.datetime.fromisoformat(inputs["issued"])
    return plan_ics(plan, issued=issued, clinic=clinic, booked=booked)


@staff(*CLINICAL)
async def plan_pdf(request: Request) -> Response:
    studio = studio_of(request)
    records = records_for(request)
    plan_id: int = request.path_params["plan_id"]
    design, inputs, client = await blocking(
        _documents, studio, records, patient_id(request), plan_id
    )
    contact = await blocking(clinic_contact, studio)
    data = await compute(studio, _pdf, design, inputs, records.clinic_name, client, contact)
    return Response(
        data,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="plan-{rid(plan_id)}.pdf"'},
    )


@staff(*CLINICAL)
async def plan_calendar(request: Request) -> Response:
    studio = studio_of(request)
    records = records_for(request)
    plan_id: int = request.path_params["plan_id"]
    design, inputs, _ = await blocking(_documents, studio, records, patient_id(request), plan_id)
    booked = frozenset(await blocking(records.booked_sessions, plan_id))
    data = await compute(studio, _ics, design, inputs, records.clinic_name, booked)
    return Response(
        data,
        media_type="text/calendar",
        headers={"content-disposition": f'attachment; filename="aftercare-{rid(plan_id)}.ics"'},
    )


# --- session log ---


def _session_context(records: ClinicRecords, pid: int) -> dict[str, Any]:
    day = records.today()
    bookings = [
        b for b in records.bookings(day - dt.timedelta(days=60), day) if b.patient_id == pid
    ]
    return {
        "title": "Log a session",
        "patient": records.patient(pid),
        "practitioners": [p for p in records.practitioners() if p.active],
        "plans": records.plans(pid),
        "bookings": bookings,
        "zone": records.timezone,
        "zones": DILUTION_ZONES,
        "chart": records.recommended_dilutions(pid),
    }


@staff(*CLINICAL)
async def session_form(request: Request) -> Response:
    records = records_for(request)
    context = await blocking(_session_context, records, patient_id(request))
    linked = request.state.signed.user.practitioner_id
    context["values"] = {
        "performed_on": records.today().isoformat(),
        "duration_minutes": "180",
        "practitioner_id": rid(linked) if linked else "",
        "pigment_ml_1": "1",
    }
    body = context["chart"].get("body")
    if body is not None:
        context["values"]["water_ml_1"] = f"{body.water_ml:g}"
    return page(request, "session_form.html", context)


@staff(*CLINICAL)
async def log_session(request: Request) -> Response:
    records = records_for(request)
    pid = patient_id(request)
    form = await form_input(request)
    try:
        fields = _session_fields(form)
        await blocking(records.record_session, pid, **fields)
    except InputError as exc:
        context = await blocking(_session_context, records, pid)
        context.update(values=form.values(), error=_sentence(exc))
        if isinstance(exc, PatchTestRequiredError):
            context["patch_test_finding"] = exc.finding
        return page(request, "session_form.html", context, status=422)
    studio_of(request).flash(
        request.state.signed.session.token_hash, "Session recorded with its lots."
    )
    return redirect(f"/studio/patients/{rid(pid)}")


def _int(text: str, what: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise InputError(f"{what} must be a whole number") from None


def _id(text: str, what: str) -> int:
    value = form_rid(text)
    if value is None:
        raise InputError(f"{what} is not one of the client's")
    return value


def _float(text: str, what: str) -> float:
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        raise InputError(f"{what} must be a number") from None


def _session_fields(form: FormInput) -> dict[str, Any]:
    pigments = []
    for i in (1, 2, 3):
        brand, batch = form.get(f"brand_{i}").strip(), form.get(f"batch_{i}").strip()
        if not (brand or batch):
            continue
        pigments.append(
            PigmentUse(
                brand=brand,
                batch=batch,
                expires_on=parse_date(form.get(f"expires_{i}"), f"pigment {i}'s expiry date"),
                water_ml=_float(form.get(f"water_ml_{i}") or "0", f"pigment {i}'s water (mL)"),
                pigment_ml=_float(
                    form.get(f"pigment_ml_{i}") or "1", f"pigment {i}'s pigment (mL)"
                ),
                zone=form.get(f"zone_{i}") or "body",
                dilution_reason=form.get(f"dilution_reason_{i}"),
                used_ml=_float(form.get(f"used_ml_{i}") or "0", f"pigment {i} drawn (mL)"),
            )
        )
    lots = [
        lot.strip()
        for lot in form.get("needle_lots").replace(",", "\n").splitlines()
        if lot.strip()
    ]
    practitioner = form_rid(form.get("practitioner_id"))
    if practitioner is None:
        raise InputError("choose the practitioner who did the session")
    pain = form.get("pain_score").strip()
    booking, plan, number = form.get("booking_id"), form.get("plan_id"), form.get("session_number")
    return {
        "practitioner_id": practitioner,
        "performed_on": parse_date(form.get("performed_on"), "the session date"),
        "duration_minutes": _int(form.get("duration_minutes"), "the duration (minutes)"),
        "pigments": pigments,
        "needle_lots": lots,
        "needles_opened_in_front_of_client": form.checked("opened_in_front"),
        "anaesthetic_offered": form.checked("anaesthetic_offered"),
        "anaesthetic_used": form.checked("anaesthetic_used"),
        "anaesthetic_product": form.get("anaesthetic_product").strip() or None,
        "pain_score": _int(pain, "the pain score") if pain else None,
        "notes": form.get("notes"),
        "booking_id": _id(booking, "the booking") if booking.strip() else None,
        "plan_id": _id(plan, "the plan") if plan.strip() else None,
        "session_number": _int(number, "the session number") if number else None,
        "start_time": _time(form.get("start_time")),
        "patch_test_override": form.get("patch_test_override"),
    }


def _time(text: str) -> dt.time | None:
    if not text.strip():
        return None
    try:
        return dt.time.fromisoformat(text.strip())
    except ValueError:
        raise InputError("the session's start time must be like 10:00") from None


_PLAN = "/studio/patients/{patient_id:rid}/plans"
routes = [
    Route(f"{_PLAN}/new", new_plan_form, methods=["GET"]),
    Route(f"{_PLAN}/new", new_plan, methods=["POST"]),
    Route(_PLAN + "/{plan_id:rid}", plan_page, methods=["GET"]),
    Route(_PLAN + "/{plan_id:rid}/status", plan_status, methods=["POST"]),
    Route(_PLAN + "/{plan_id:rid}/plan.pdf", plan_pdf, methods=["GET"]),
    Route(_PLAN + "/{plan_id:rid}/aftercare.ics", plan_calendar, methods=["GET"]),
    Route("/studio/patients/{patient_id:rid}/sessions/new", session_form, methods=["GET"]),
    Route("/studio/patients/{patient_id:rid}/sessions/new", log_session, methods=["POST"]),
]
