"""Today's overview, clients (list, record, details), the consultation wizard, photos and
the before/after gallery.

Front desk sees and edits clients' contact details and their bookings; the clinical record
(consultations, consent, designs, plans, sessions, photos) is for owners and practitioners.
Every read goes through :class:`~smpstudio.clinic.ClinicRecords`, so it is scoped to the
user's clinic (another clinic's client is a 404) and audited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smpstudio._errors import ClinicError, InputError
from smpstudio.clinic import (
    CONSENT_KINDS,
    CONSULTATION_REASONS,
    CONTRAINDICATIONS,
    PHOTO_KINDS,
    PHOTO_VIEWS,
    STAGES,
    ClinicRecords,
    ConsentStatus,
    Patient,
    evaluate_candidacy,
)
from smpstudio.web._billing import account_context
from smpstudio.web._http import (
    FormInput,
    error_page,
    form_input,
    page,
    records_for,
    redirect,
    staff,
    studio_of,
)
from smpstudio.web._ids import form_rid, rid
from smpstudio.web._state import blocking, compute
from smpstudio.web._uploads import UploadRejectedError, ingest_photo

__all__ = ["CLINICAL", "parse_date", "patient_id", "routes"]

CLINICAL = ("owner", "practitioner")

REASON_LABELS = {
    "pattern-loss": "Pattern hair loss",
    "alopecia": "Alopecia",
    "cancer-treatment": "Hair loss after cancer treatment",
    "thinning": "Thinning hair",
    "scar": "Scar",
    "trauma": "Trauma or burn",
    "transplant-scar": "Hair-transplant scar",
}


def patient_id(request: Request) -> int:
    value: int = request.path_params["patient_id"]
    return value


def parse_date(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{what} must be a date like 2027-03-02") from None


def _clinical(request: Request) -> bool:
    return bool(request.state.signed.user.role in CLINICAL)


# --- today ---


@staff()
async def today(request: Request) -> Response:
    clinical = _clinical(request)
    context = await blocking(_today, records_for(request), clinical)
    return page(request, "dashboard.html", context)


def _today(records: ClinicRecords, clinical: bool) -> dict[str, Any]:
    day = records.today()
    bookings = records.bookings(day, day + timedelta(days=6))
    names = _names(records, {b.patient_id for b in bookings})
    leads = records.leads(status="new", limit=50)
    follow_ups = (
        records.follow_ups(due_by=day + timedelta(days=7), open_only=True) if clinical else []
    )
    return {
        "title": "Today",
        "today": day,
        "bookings": bookings,
        "names": names,
        "rooms": {r.id: r.name for r in records.rooms()},
        "practitioners": {p.id: p.full_name for p in records.practitioners()},
        "lead_count": len(leads),
        "follow_ups": follow_ups,
        "stock_warnings": records.stock_warnings(),
        "zone": records.timezone,
    }


def _names(records: ClinicRecords, ids: set[int]) -> dict[int, str]:
    out = {}
    for pid in sorted(ids):
        p = records.patient(pid)
        out[pid] = f"{p.given_name} {p.family_name}"
    return out


# --- clients ---


@staff()
async def patients(request: Request) -> Response:
    """The list; a search is POSTed so that no name ever appears in a URL."""
    query = ""
    if request.method == "POST":
        query = (await form_input(request)).get("q").strip()[:100]
    rows = await blocking(records_for(request).find_patients, query, limit=200)
    return page(request, "patients.html", {"title": "Clients", "rows": rows, "q": query})


@staff()
async def new_patient_form(request: Request) -> Response:
    return page(request, "patient_form.html", {"title": "New client", "values": {}})


@staff()
async def new_patient(request: Request) -> Response:
    form = await form_input(request)
    records = records_for(request)
    try:
        fields = _patient_fields(form)
        row = await blocking(records.add_patient, **fields)
    except InputError as exc:
        return page(
            request,
            "patient_form.html",
            {"title": "New client", "values": form.values(), "error": _sentence(exc)},
            status=422,
        )
    studio_of(request).flash(request.state.signed.session.token_hash, "Client added.")
    return redirect(f"/studio/patients/{rid(row.id)}")


def _patient_fields(form: FormInput) -> dict[str, Any]:
    return {
        "given_name": form.get("given_name"),
        "family_name": form.get("family_name"),
        "date_of_birth": parse_date(form.get("date_of_birth"), "date of birth"),
        "email": form.get("email") or None,
        "phone": form.get("phone") or None,
        "notes": form.get("notes"),
    }


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


@staff()
async def edit_patient_form(request: Request) -> Response:
    row = await blocking(records_for(request).patient, patient_id(request))
    values = {
        "given_name": row.given_name,
        "family_name": row.family_name,
        "date_of_birth": row.date_of_birth.isoformat(),
        "email": row.email or "",
        "phone": row.phone or "",
        "notes": row.notes,
    }
    context = {"title": "Edit client", "values": values, "patient": row}
    return page(request, "patient_form.html", context)


@staff()
async def edit_patient(request: Request) -> Response:
    form = await form_input(request)
    records = records_for(request)
    pid = patient_id(request)
    row = await blocking(records.patient, pid)
    try:
        await blocking(records.update_patient, pid, **_patient_fields(form))
    except InputError as exc:
        context = {
            "title": "Edit client",
            "values": form.values(),
            "patient": row,
            "error": _sentence(exc),
        }
        return page(request, "patient_form.html", context, status=422)
    studio_of(request).flash(request.state.signed.session.token_hash, "Details saved.")
    return redirect(f"/studio/patients/{rid(pid)}")


@staff()
async def patient(request: Request) -> Response:
    context = await blocking(_record, records_for(request), patient_id(request), _clinical(request))
    return page(request, "patient.html", context)


def _record(records: ClinicRecords, pid: int, clinical: bool) -> dict[str, Any]:
    row = records.patient(pid)
    day = records.today()
    upcoming = [b for b in records.bookings(day, day + timedelta(days=365)) if b.patient_id == pid]
    context: dict[str, Any] = {
        "title": f"{row.given_name} {row.family_name}",
        "patient": row,
        "age": _age(row, day),
        "upcoming": upcoming,
        "zone": records.timezone,
        "rooms": {r.id: r.name for r in records.rooms()},
        "practitioners": {p.id: p.full_name for p in records.practitioners()},
        "clinical": clinical,
        "messages": records.messages(pid),
        "opt_outs": records.message_opt_outs(pid),
        **account_context(records, pid),
    }
    if clinical:
        consultations = records.consultations(pid)
        context.update(
            consultations=[_consultation_view(c) for c in reversed(consultations)],
            consents={kind: records.consent_status(pid, kind) for kind in CONSENT_KINDS},
            designs=list(reversed(records.designs(pid))),
            plans=list(reversed(records.plans(pid))),
            sessions=list(reversed(records.session_records(pid))),
            patch_tests=records.patch_tests(pid),
            patch_test_hours=records.settings.patch_test_min_hours,
            photos=records.photos(pid),
            photo_kinds=PHOTO_KINDS,
            photo_views=PHOTO_VIEWS,
            consent_documents=records.consent_documents(pid),
        )
    return context


def _age(row: Patient, day: date) -> int:
    born = row.date_of_birth
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _consultation_view(c: Any) -> dict[str, Any]:
    return {
        "held_on": c.held_on,
        "outcome": c.outcome,
        "stage": c.stage,
        "reasons": [REASON_LABELS.get(r, r) for r in json.loads(c.reasons)],
        "findings": json.loads(c.findings),
    }


# --- consultation wizard: reasons → health questions → outcome and consent ---


@dataclass
class _Wizard:
    step: int
    values: dict[str, Any]
    error: str | None = None


QUESTION_KEYS = [c.key for c in CONTRAINDICATIONS]


@staff(*CLINICAL)
async def consultation(request: Request) -> Response:
    records = records_for(request)
    pid = patient_id(request)
    row = await blocking(records.patient, pid)
    practitioners = await blocking(records.practitioners)
    base = {
        "patient": row,
        "practitioners": practitioners,
        "title": "Consultation",
        "reasons": [(r, REASON_LABELS[r]) for r in CONSULTATION_REASONS],
        "stages": STAGES,
        "questions": CONTRAINDICATIONS,
    }
    if request.method == "GET":
        values = {"held_on": records.today().isoformat()}
        linked = request.state.signed.user.practitioner_id
        if linked is not None:
            values["practitioner_id"] = str(linked)
        return page(request, "consultation.html", {**base, "step": 1, "values": values})
    form = await form_input(request)
    wizard = _advance(form)
    if wizard.step == 4:
        try:
            await blocking(_save_consultation, records, pid, wizard.values)
        except InputError as exc:
            wizard = _Wizard(3, wizard.values, _sentence(exc))
        else:
            message = "Consultation saved."
            studio_of(request).flash(request.state.signed.session.token_hash, message)
            return redirect(f"/studio/patients/{rid(pid)}")
    extra: dict[str, Any] = {}
    if wizard.step == 3:
        extra = await blocking(_outcome_context, records, pid, wizard.values)
    status = 422 if wizard.error else 200
    context = {
        **base,
        "step": wizard.step,
        "values": wizard.values,
        "error": wizard.error,
        "selected_reasons": wizard.values.get("reasons", []),
        **extra,
    }
    return page(request, "consultation.html", context, status=status)


def _advance(form: FormInput) -> _Wizard:
    """The step to show next, checking what the submitted step asked for."""
    values: dict[str, Any] = form.values()
    values["reasons"] = form.getlist("reasons")
    step = form.get("step", "1")
    if form.get("back"):
        return _Wizard(int(step) - 1 if step in ("2", "3", "4") else 1, values)
    if step == "1":
        try:
            parse_date(values.get("held_on", ""), "the consultation date")
            if not values["reasons"]:
                raise InputError("tick at least one reason for the visit")
        except InputError as exc:
            return _Wizard(1, values, _sentence(exc))
        return _Wizard(2, values)
    if step == "2":
        missing = [
            c.question for c in CONTRAINDICATIONS if values.get(f"q_{c.key}") not in ("yes", "no")
        ]
        if missing:
            return _Wizard(2, values, f"Answer every question ({len(missing)} left), yes or no.")
        return _Wizard(3, values)
    if step == "3":
        return _Wizard(4, values)
    return _Wizard(1, values)


def _answers(values: dict[str, Any]) -> dict[str, bool]:
    return {key: values.get(f"q_{key}") == "yes" for key in QUESTION_KEYS}


def _outcome_context(records: ClinicRecords, pid: int, values: dict[str, Any]) -> dict[str, Any]:
    result = evaluate_candidacy(_answers(values))
    questions = {c.key: c.question for c in CONTRAINDICATIONS}
    forms = {}
    statuses: dict[str, ConsentStatus] = {}
    for kind in CONSENT_KINDS:
        published = records.consent_forms(kind)
        forms[kind] = published[-1] if published else None
        statuses[kind] = records.consent_status(pid, kind)
    return {
        "result": result,
        "finding_rows": [(questions[f.key], f.rule, f.advice) for f in result.findings],
        "forms": forms,
        "statuses": statuses,
    }


def _save_consultation(records: ClinicRecords, pid: int, values: dict[str, Any]) -> None:
    """Check everything first, then write: nothing is half-saved by a typing mistake."""
    held_on = parse_date(values.get("held_on", ""), "the consultation date")
    practitioner = values.get("practitioner_id") or None
    stage = values.get("stage") or None
    if stage is not None and stage not in STAGES:
        raise InputError(f"unknown stage {stage!r}")
    decisions = []
    for kind in CONSENT_KINDS:
        decision = values.get(f"consent_{kind}", "")
        if decision in ("granted", "refused"):
            forms = records.consent_forms(kind)
            if not forms:
                raise ClinicError(f"no {kind} consent form is published yet")
            signed = values.get(f"signed_{kind}", "").strip()
            if not signed:
                raise InputError(f"the client types their name to record the {kind} consent")
            decisions.append((forms[-1].id, decision, signed))
    records.record_consultation(
        pid,
        held_on=held_on,
        reasons=values["reasons"],
        answers=_answers(values),
        stage=stage,
        practitioner_id=form_rid(practitioner) if practitioner else None,
        notes=values.get("notes", ""),
    )
    for consent_form_id, decision, signed in decisions:
        records.record_consent(pid, consent_form_id, decision=decision, signed_name=signed)


# --- photos ---


@staff(*CLINICAL)
async def upload_photo(request: Request) -> Response:
    pid = patient_id(request)
    records = records_for(request)
    form = await form_input(request)
    upload = form.file("photo")
    try:
        if upload is None:
            raise InputError("choose a photo to upload")
        kind = form.get("kind")
        if kind not in PHOTO_KINDS:
            raise InputError(f"choose what the photo shows ({', '.join(PHOTO_KINDS)})")
        view = form.get("view") or None
        if view is not None and view not in PHOTO_VIEWS:
            raise InputError(f"choose the view of the head ({', '.join(PHOTO_VIEWS)}) or none")
        data = await upload.read()
        cleaned = await compute(studio_of(request), ingest_photo, data)
        await blocking(records.add_photo, pid, cleaned.jpeg, kind=kind, view=view)
    except UploadRejectedError as exc:
        return error_page(request, exc.status, "Photo refused", _sentence(exc))
    except InputError as exc:
        studio_of(request).flash(request.state.signed.session.token_hash, _sentence(exc), "warn")
        return redirect(f"/studio/patients/{rid(pid)}#photos")
    studio_of(request).flash(request.state.signed.session.token_hash, "Photo stored.")
    return redirect(f"/studio/patients/{rid(pid)}#photos")


@staff(*CLINICAL)
async def photo(request: Request) -> Response:
    photo_id: int = request.path_params["photo_id"]
    data = await blocking(records_for(request).photo_bytes, photo_id)
    kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    if data[:4] == b"RIFF":
        kind = "image/webp"
    return Response(
        data,
        media_type=kind,
        headers={
            "content-disposition": f'inline; filename="photo-{rid(photo_id)}{_suffix(kind)}"',
            "content-security-policy": "sandbox; default-src 'none'",
        },
    )


def _suffix(kind: str) -> str:
    return {"image/png": ".png", "image/webp": ".webp"}.get(kind, ".jpg")


@staff(*CLINICAL)
async def gallery(request: Request) -> Response:
    context = await blocking(_gallery, records_for(request), patient_id(request))
    return page(request, "gallery.html", context)


def _gallery(records: ClinicRecords, pid: int) -> dict[str, Any]:
    row = records.patient(pid)
    photos = records.photos(pid)
    designs = records.designs(pid)
    return {
        "title": "Before and after",
        "patient": row,
        "design": designs[-1] if designs else None,
        "befores": [p for p in photos if p.kind in ("before", "consultation")],
        "afters": [p for p in photos if p.kind in ("after", "follow-up", "session")],
    }


routes = [
    Route("/studio", today, methods=["GET"]),
    Route("/studio/patients", patients, methods=["GET", "POST"]),
    Route("/studio/patients/new", new_patient_form, methods=["GET"]),
    Route("/studio/patients/new", new_patient, methods=["POST"]),
    Route("/studio/patients/{patient_id:rid}", patient, methods=["GET"]),
    Route("/studio/patients/{patient_id:rid}/edit", edit_patient_form, methods=["GET"]),
    Route("/studio/patients/{patient_id:rid}/edit", edit_patient, methods=["POST"]),
    Route("/studio/patients/{patient_id:rid}/consultation", consultation, methods=["GET", "POST"]),
    Route("/studio/patients/{patient_id:rid}/photos", upload_photo, methods=["POST"]),
    Route("/studio/patients/{patient_id:rid}/gallery", gallery, methods=["GET"]),
    Route("/studio/photos/{photo_id:rid}", photo, methods=["GET"]),
]
