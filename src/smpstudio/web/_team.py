"""The clinic's set-up (owner): staff accounts, practitioners and their hours, rooms,
consent forms, the audit log; and the consultation requests from the public site (all)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smpstudio._errors import InputError
from smpstudio.clinic import (
    CONSENT_KINDS,
    LEAD_STATUSES,
    ROLES,
    ClinicRecords,
    Lead,
    RecordNotFoundError,
)
from smpstudio.web._clients import parse_date
from smpstudio.web._http import form_input, page, records_for, redirect, staff, studio_of
from smpstudio.web._ids import form_rid, rid
from smpstudio.web._state import Studio, blocking

__all__ = ["routes"]

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:]


def _actor(request: Request) -> str:
    return f"user:{request.state.signed.user.id}"


def _team_context(
    studio: Studio, records: ClinicRecords, clinic_id: int, actor: str
) -> dict[str, Any]:
    return {
        "title": "Team",
        "users": studio.accounts.users(clinic_id, actor=actor),
        "practitioners": records.practitioners(),
        "rooms": records.rooms(),
        "forms": {kind: records.consent_forms(kind) for kind in CONSENT_KINDS},
        "roles": ROLES,
        "weekdays": list(enumerate(WEEKDAYS)),
    }


async def _team_page(request: Request, *, status: int = 200, **extra: Any) -> Response:
    studio = studio_of(request)
    clinic_id = request.state.signed.user.clinic_id
    context = await blocking(
        _team_context, studio, records_for(request), clinic_id, _actor(request)
    )
    context.update(extra)
    context.setdefault("values", {})
    return page(request, "team.html", context, status=status)


@staff("owner")
async def team(request: Request) -> Response:
    return await _team_page(request)


@staff("owner")
async def team_action(request: Request) -> Response:
    """Every set-up form posts here with ``action``; errors re-show the page as typed."""
    studio = studio_of(request)
    form = await form_input(request)
    action = form.get("action")
    records = records_for(request)
    clinic_id = request.state.signed.user.clinic_id
    actor = _actor(request)
    key = request.state.signed.session.token_hash
    try:
        if action == "add-user":
            practitioner = form.get("practitioner_id")
            user, temporary = await blocking(
                studio.accounts.add_user,
                clinic_id,
                actor=actor,
                full_name=form.get("full_name"),
                email=form.get("email"),
                role=form.get("role"),
                practitioner_id=form_rid(practitioner),
            )
            return await _team_page(request, issued={"email": user.email, "password": temporary})
        if action == "update-user":
            user_id = _int_field(form.get("user_id"))
            await blocking(
                studio.accounts.update_user,
                clinic_id,
                user_id,
                actor=actor,
                role=form.get("role") or None,
                active=form.get("active") == "yes",
                full_name=form.get("full_name") or None,
                email=form.get("email") or None,
            )
            studio.flash(key, "Account updated.")
        elif action == "reset-password":
            user_id = _int_field(form.get("user_id"))
            temporary = await blocking(
                studio.accounts.reset_password, clinic_id, user_id, actor=actor
            )
            row = await blocking(studio.accounts.user, clinic_id, user_id)
            return await _team_page(request, issued={"email": row.email, "password": temporary})
        elif action == "add-practitioner":
            await blocking(_add_practitioner, records, form.values(), form.getlist("weekday"))
            studio.flash(key, "Practitioner added with their hours and attestation.")
        elif action == "add-room":
            await blocking(records.add_room, form.get("name"))
            studio.flash(key, "Room added.")
        elif action == "publish-form":
            await blocking(
                records.publish_consent_form,
                form.get("kind"),
                title=form.get("title"),
                body=form.get("body"),
            )
            studio.flash(key, "New consent form version published: clients sign it again.")
        else:
            raise InputError("unknown action")
    except InputError as exc:
        return await _team_page(
            request, status=422, error=_sentence(exc), values=form.values(), open=action
        )
    return redirect("/studio/team")


def _int_field(text: str) -> int:
    value = form_rid(text)
    if value is None:
        raise RecordNotFoundError("no such account")
    return value


def _add_practitioner(records: ClinicRecords, values: dict[str, str], weekdays: list[str]) -> None:
    """Check everything, then add the practitioner, their attestation and their hours."""
    certified = parse_date(values.get("certified_on", ""), "the certification date")
    attested = parse_date(values.get("attested_on", ""), "the hygiene attestation date")
    try:
        start = dt.time.fromisoformat(values.get("start", "09:00"))
        end = dt.time.fromisoformat(values.get("end", "18:00"))
    except ValueError:
        raise InputError("working hours must be like 09:00 and 18:00") from None
    days = sorted({int(d) for d in weekdays if d in ("0", "1", "2", "3", "4", "5", "6")})
    if not days:
        raise InputError("tick the days the practitioner works")
    if end <= start:
        raise InputError("the working day must end after it starts")
    if not values.get("attestation", "").strip():
        raise InputError("give the hygiene attestation's reference")
    p = records.add_practitioner(
        values.get("full_name", ""),
        certification_body=values.get("certification_body", ""),
        certification_number=values.get("certification_number", ""),
        certified_on=certified,
    )
    records.add_hygiene_attestation(
        p.id, kind="bloodborne-pathogens", reference=values["attestation"], issued_on=attested
    )
    for day in days:
        records.add_availability(p.id, weekday=day, start=start, end=end)


# --- consultation requests ---


@staff()
async def leads(request: Request) -> Response:
    rows = await blocking(records_for(request).leads, limit=200)
    return page(
        request,
        "leads.html",
        {"title": "Consultation requests", "rows": rows, "statuses": LEAD_STATUSES},
    )


def _lead(records: ClinicRecords, lead_id: int) -> Lead:
    for row in records.leads(limit=1000):
        if row.id == lead_id:
            return row
    raise RecordNotFoundError(f"no consultation request {lead_id}")


@staff()
async def lead_action(request: Request) -> Response:
    studio = studio_of(request)
    records = records_for(request)
    lead_id: int = request.path_params["lead_id"]
    form = await form_input(request)
    key = request.state.signed.session.token_hash
    try:
        if form.get("action") == "convert":
            row = await blocking(_lead, records, lead_id)
            given, _, family = row.name.rpartition(" ")
            born = parse_date(form.get("date_of_birth"), "the date of birth")
            patient = await blocking(
                records.add_patient,
                given or family,
                family if given else "-",
                date_of_birth=born,
                email=row.email,
                phone=row.phone,
                notes=row.message,
            )
            await blocking(records.update_lead, lead_id, status="converted", patient_id=patient.id)
            studio.flash(key, "Client created from the request.")
            return redirect(f"/studio/patients/{rid(patient.id)}")
        await blocking(records.update_lead, lead_id, status=form.get("status"))
        studio.flash(key, "Request updated.")
    except InputError as exc:
        studio.flash(key, _sentence(exc), "warn")
    return redirect("/studio/leads")


AUDIT_PAGE = 100
AUDIT_ACTIONS = (
    "read",
    "create",
    "update",
    "delete",
    "override",
    "trace",
    "sign-in",
    "sign-out",
    "denied",
)


@staff("owner")
async def audit(request: Request) -> Response:
    """The audit log a page at a time (newest first), filtered by action and by who; each
    actor shown by name."""
    studio = studio_of(request)
    params = request.query_params
    before = params.get("before", "")
    action = params.get("action", "")
    who = params.get("who", "")
    bad_action = action and not (len(action) <= 40 and action.replace("-", "").isalpha())
    if (before and not before.isdigit()) or len(before) > 18 or bad_action:
        raise InputError("the audit log's page or filter is not one it offers: open it again")
    clinic_id = request.state.signed.user.clinic_id
    users = await blocking(studio.accounts.users, clinic_id, actor=_actor(request))
    names = {f"user:{u.id}": f"{u.full_name} ({u.role})" for u in users}
    tokens = {f"user:{u.id}": rid(u.id) for u in users}  # the filter's values
    chosen = next((actor for actor, token in tokens.items() if token == who), None)
    if who and chosen is None:
        raise InputError("the audit log's filter names nobody of this clinic: open it again")
    rows = await blocking(
        records_for(request).audit_trail,
        limit=AUDIT_PAGE + 1,
        before_seq=int(before) if before else None,
        action=action or None,
        actor=chosen,
    )
    more = len(rows) > AUDIT_PAGE
    rows = rows[:AUDIT_PAGE]
    return page(
        request,
        "audit.html",
        {
            "title": "Audit log",
            "rows": rows,
            "names": names,
            "tokens": tokens,
            "actions": AUDIT_ACTIONS,
            "action": action,
            "who": who,
            "next_before": rows[-1].seq if more and rows else None,
            "paged": bool(before),
        },
    )


routes = [
    Route("/studio/team", team, methods=["GET"]),
    Route("/studio/team", team_action, methods=["POST"]),
    Route("/studio/leads", leads, methods=["GET"]),
    Route("/studio/leads/{lead_id:rid}", lead_action, methods=["POST"]),
    Route("/studio/audit", audit, methods=["GET"]),
]
