"""The client portal (``/portal``): a client signs in with a one-time e-mailed link and sees
their plan, bookings, aftercare, photos and documents; signs consent with a drawn signature;
books or moves the sessions of their course; uploads the healed photos the plan asks for.

Sign-in and sessions are :class:`smpstudio.clinic.PortalAccess`; everything else goes
through the clinic's record services with the client as the actor (``client:<id> via
portal``), so it is scoped to the client and audited like the studio's own work. The portal
cookie (``__Host-smp_portal``: ``Secure``, ``HttpOnly``, ``SameSite=Lax``) is separate from
the staff session's, and every change carries the portal session's form token.

E-mail (the sign-in link, the PDF copy of a signed consent) is queued in the clinic's message
outbox and sent at once after the answer (a background task running the same sender as
``smpstudio messages send-due``): the answer to "send me a link" does not wait for the mail
server, and takes as long for an unknown address as for a known one.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import json
import logging
import weakref
from collections.abc import Callable
from functools import wraps
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smpstudio._errors import ClinicError, InputError
from smpstudio.clinic import (
    CONSENT_KINDS,
    LINK_REFUSED,
    BookingConflictError,
    ClinicRecords,
    ConsentPaper,
    PortalAccess,
    PortalClient,
    RecordNotFoundError,
    send_due_everywhere,
)
from smpstudio.reports import consent_pdf
from smpstudio.web._clients import CLINICAL
from smpstudio.web._http import (
    Endpoint,
    anon_csrf_ok,
    check_path_ids,
    client_address,
    client_scheme,
    close_form,
    error_page,
    form_input,
    page,
    redirect,
    staff,
    studio_of,
)
from smpstudio.web._ids import form_rid, rid
from smpstudio.web._plans import _documents, _pdf
from smpstudio.web._site import clinic_contact
from smpstudio.web._state import RateLimiter, Studio, blocking, compute
from smpstudio.web._uploads import UploadRejectedError, ingest_photo

__all__ = ["portal_cookie", "routes"]

log = logging.getLogger("smpstudio.web")

_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_SIGNATURE_FIELD_MAX = 420_000
"""Longest ``data:image/png;base64,…`` accepted (a 300 kB PNG in base64)."""
_LIMITERS: weakref.WeakKeyDictionary[Studio, tuple[RateLimiter, RateLimiter]] = (
    weakref.WeakKeyDictionary()
)  # per studio, gone with it (an id() could pass to a later studio with its counts)


def portal_cookie(secure: bool) -> str:
    return "__Host-smp_portal" if secure else "smp_portal"


def _access(request: Request) -> PortalAccess:
    return PortalAccess(studio_of(request).db)


def _limiters(studio: Studio) -> tuple[RateLimiter, RateLimiter]:
    """Link requests a minute: 5 per e-mail address (no mail bombing), and per client
    address as many as the staff sign-in allows failures (``5 × sign_in_failures_per_minute``)."""
    per_address = 5 * studio.config.sign_in_failures_per_minute
    return _LIMITERS.setdefault(studio, (RateLimiter(5), RateLimiter(per_address)))


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:]


def _send_now(studio: Studio, clinic_id: int) -> None:
    """Send the clinic's due messages (the link just queued among them); a failure is
    logged and the message stays in the outbox for the next round."""
    try:
        for name, report in send_due_everywhere(studio.db, clinic_id=clinic_id):
            log.info("portal: messages of %s: %s", name, report)
    except Exception as exc:  # the outbox keeps the message and its error
        log.warning("portal: sending failed: %s", type(exc).__name__)


def _link_base(request: Request, clinic_id: int) -> str:
    configured = studio_of(request).config.portal_url.rstrip("/")
    base = configured or f"{client_scheme(request)}://{request.url.netloc}"
    return f"{base}/portal/sign-in?clinic={rid(clinic_id)}&token="


def _portal_clinic(request: Request) -> int | None:
    chosen = form_rid(request.query_params.get("clinic", ""))
    return chosen if chosen is not None else studio_of(request).public_clinic_id()


# --- signing in ---


async def request_form(request: Request) -> Response:
    studio = studio_of(request)
    current = await blocking(_access(request).session, _cookie(request))
    if current is not None:
        return redirect("/portal/home")
    clinic_id = _portal_clinic(request)
    return page(request, "portal_request.html", await blocking(_request_context, studio, clinic_id))


def _request_context(studio: Studio, clinic_id: int | None) -> dict[str, Any]:
    name = studio.clinic_name(clinic_id) if clinic_id is not None else studio.site_name()
    return {
        "title": "Client portal",
        "clinic_id": clinic_id,
        "portal_clinic": name,
        "minutes": studio.db.settings.portal_link_minutes,
        "values": {},
    }


async def request_link(request: Request) -> Response:
    studio = studio_of(request)
    form = await form_input(request)
    clinic_id = form_rid(form.get("clinic"))
    if clinic_id is None:
        clinic_id = studio.public_clinic_id()
    if clinic_id is None:
        raise RecordNotFoundError("no clinic")
    context = await blocking(_request_context, studio, clinic_id)
    email = form.get("email").strip()[:254]
    context["values"] = {"email": email}
    if not await anon_csrf_ok(request):
        context["error"] = "The form expired: please send it again."
        return page(request, "portal_request.html", context, status=403)
    if "@" not in email or len(email) < 3:
        context["error"] = "Type the e-mail address the clinic has for you."
        return page(request, "portal_request.html", context, status=422)
    (per_email, per_address), address = _limiters(studio), client_address(request)
    if per_address.blocked(address) or per_email.blocked(email.lower()):
        context["error"] = "Too many links asked for: wait a minute and try again."
        response = page(request, "portal_request.html", context, status=429)
        response.headers["Retry-After"] = "60"
        return response
    per_address.fail(address)
    per_email.fail(email.lower())
    await blocking(
        _access(request).request_link,
        clinic_id,
        email,
        link_base=_link_base(request, clinic_id),
        actor=f"portal visitor {address}",
    )
    context["sent"] = True
    response = page(request, "portal_request.html", context)
    response.background = BackgroundTask(_send_now, studio, clinic_id)
    return response


async def link_form(request: Request) -> Response:
    """Where the e-mailed link lands: a button that signs in (a POST), so that a mail
    scanner fetching the link does not use it up."""
    token = request.query_params.get("token", "")[:200]
    clinic = form_rid(request.query_params.get("clinic", ""))
    context = {"title": "Sign in", "token": token, "clinic_id": clinic}
    return page(request, "portal_sign_in.html", context)


async def redeem(request: Request) -> Response:
    studio = studio_of(request)
    form = await form_input(request)
    clinic_id = form_rid(form.get("clinic"))
    context = await blocking(_request_context, studio, clinic_id or studio.public_clinic_id())
    if not await anon_csrf_ok(request):
        context["error"] = "The form expired: open the link in your e-mail again."
        return page(request, "portal_request.html", context, status=403)
    try:
        token = await blocking(
            _access(request).redeem,
            clinic_id or 0,
            form.get("token"),
            client=client_address(request),
        )
    except ClinicError:
        context["error"] = LINK_REFUSED
        return page(request, "portal_request.html", context, status=403)
    response = redirect("/portal/home")
    response.set_cookie(
        portal_cookie(studio.config.secure_cookies),
        token,
        path="/",
        secure=studio.config.secure_cookies,
        httponly=True,
        samesite="lax",
    )
    return response


def _cookie(request: Request) -> str | None:
    return request.cookies.get(portal_cookie(studio_of(request).config.secure_cookies))


def client() -> Callable[[Endpoint], Endpoint]:
    """Decorate a portal page: a live portal session (else back to /portal), and on a
    change the session's form token."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @wraps(endpoint)
        async def guarded(request: Request) -> Response:
            studio = studio_of(request)
            current = await blocking(_access(request).session, _cookie(request))
            if current is None:
                if request.method == "GET":
                    return redirect("/portal")
                return error_page(
                    request, 401, "Signed out", "Your portal session ended: ask for a new link."
                )
            request.state.portal = current
            request.state.clinic_name = await blocking(studio.clinic_name, current.clinic_id)
            if request.method in _UNSAFE:
                sent = (await form_input(request)).get("csrf_token")
                if not hmac.compare_digest(sent.encode(), current.csrf_token.encode()):
                    return error_page(
                        request, 403, "Form expired", "Reload the page and submit it again."
                    )
            try:
                check_path_ids(request)
                return await endpoint(request)
            finally:
                await close_form(request)

        return guarded

    return decorate


def _me(request: Request) -> tuple[PortalClient, ClinicRecords]:
    current: PortalClient = request.state.portal
    return current, studio_of(request).records(current.clinic_id, actor=current.actor)


def _page(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    current: PortalClient = request.state.portal
    studio = studio_of(request)
    full = {
        "csrf": current.csrf_token,
        "flashes": studio.take_flashes(current.token_hash),
        "portal_clinic": request.state.clinic_name,
        "signed_portal": True,
        **context,
    }
    return page(request, template, full, status=status)


@client()
async def sign_out(request: Request) -> Response:
    studio = studio_of(request)
    await blocking(_access(request).end_session, _cookie(request))
    response = redirect("/portal")
    response.delete_cookie(
        portal_cookie(studio.config.secure_cookies),
        path="/",
        secure=studio.config.secure_cookies,
        httponly=True,
        samesite="lax",
    )
    return response


# --- the client's page ---


def _current_plan(records: ClinicRecords, pid: int) -> tuple[Any, dict[str, Any]] | None:
    plans = [p for p in records.plans(pid) if p.status != "cancelled"]
    if not plans:
        return None
    plan = max(plans, key=lambda p: p.version)
    return plan, json.loads(plan.content)


def _home(records: ClinicRecords, pid: int) -> dict[str, Any]:
    patient = records.patient(pid)
    found = _current_plan(records, pid)
    bookings = records.portal_bookings(pid)
    sessions: list[dict[str, Any]] = []
    data: dict[str, Any] = {}
    plan = None
    if found is not None:
        plan, data = found
        booked = {b.session_number: b for b in bookings if b.plan_id == plan.id}
        for s in data.get("sessions", []):
            b = booked.get(s["index"])
            sessions.append({"index": s["index"], "planned": s["date"], "purpose": s["purpose"],
                             "booking": b})  # fmt: skip
    photos = records.photos(pid)
    return {
        "title": "Your portal",
        "patient": patient,
        "plan": plan,
        "data": data,
        "sessions": sessions,
        "bookings": bookings,
        "zone": records.timezone,
        "consents": {kind: records.consent_status(pid, kind) for kind in CONSENT_KINDS},
        "documents": records.consent_documents(pid),
        "photos": photos,
        "requests": records.healed_photo_requests(pid),
    }


@client()
async def home(request: Request) -> Response:
    current, records = _me(request)
    return _page(request, "portal_home.html", await blocking(_home, records, current.patient_id))


# --- consent ---


def _consent_context(records: ClinicRecords, pid: int, kind: str) -> dict[str, Any]:
    if kind not in CONSENT_KINDS:
        raise RecordNotFoundError(f"no {kind} consent")
    forms = records.consent_forms(kind)
    if not forms:
        raise RecordNotFoundError(f"the clinic has no {kind} consent form")
    patient = records.patient(pid)
    return {
        "title": forms[-1].title,
        "kind": kind,
        "form": forms[-1],
        "status": records.consent_status(pid, kind),
        "patient": patient,
        "values": {"signed_name": f"{patient.given_name} {patient.family_name}"},
    }


@client()
async def consent_form(request: Request) -> Response:
    current, records = _me(request)
    kind: str = request.path_params["kind"]
    context = await blocking(_consent_context, records, current.patient_id, kind)
    return _page(request, "portal_consent.html", context)


def _render_consent(paper: ConsentPaper) -> bytes:
    return consent_pdf(
        clinic_name=paper.clinic_name,
        client_name=paper.client_name,
        date_of_birth=paper.date_of_birth,
        title=paper.title,
        version=paper.version,
        body=paper.body,
        body_sha256=paper.body_sha256,
        signed_name=paper.signed_name,
        signed_at=paper.signed_at,
        reference=paper.reference,
        signature_png=paper.signature_png,
    )


def _signature_bytes(value: str) -> bytes:
    prefix = "data:image/png;base64,"
    if not value:
        raise InputError("draw your signature in the box first")
    if not value.startswith(prefix) or len(value) > _SIGNATURE_FIELD_MAX:
        raise InputError("the signature must be drawn on the signature pad (a PNG image)")
    try:
        return base64.b64decode(value[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        raise InputError("the signature could not be read: draw it again") from None


@client()
async def consent_sign(request: Request) -> Response:
    current, records = _me(request)
    kind: str = request.path_params["kind"]
    form = await form_input(request)
    for_patient = form_rid(form.get("for")) or 0
    try:
        if form.get("action") == "withdraw":
            await blocking(
                records.withdraw_consent_in_portal,
                current.patient_id,
                kind,
                for_patient_id=for_patient,
            )
            message = "Your consent is withdrawn. The clinic has been told in your record."
        else:
            signature = _signature_bytes(form.get("signature"))
            await blocking(
                records.sign_consent_in_portal,
                current.patient_id,
                kind,
                for_patient_id=for_patient,
                signed_name=form.get("signed_name"),
                signature_png=signature,
                render_pdf=_render_consent,
            )
            message = (
                "Thank you: your consent is signed. Your PDF copy is below and on its way by "
                "e-mail."
            )
    except RecordNotFoundError:
        raise
    except InputError as exc:
        if kind not in CONSENT_KINDS:
            raise RecordNotFoundError(f"no {kind} consent") from None
        context = await blocking(_consent_context, records, current.patient_id, kind)
        context["values"] = {"signed_name": form.get("signed_name")}
        context["error"] = _sentence(exc)
        return _page(request, "portal_consent.html", context, status=422)
    studio = studio_of(request)
    studio.flash(current.token_hash, message)
    response = redirect("/portal/home#documents")
    response.background = BackgroundTask(_send_now, studio, current.clinic_id)
    return response


# --- documents and photos ---


@client()
async def consent_document(request: Request) -> Response:
    current, records = _me(request)
    document_id: int = request.path_params["document_id"]
    try:
        data = await blocking(records.consent_document_pdf, current.patient_id, document_id)
    except RecordNotFoundError:
        raise
    except ClinicError:
        raise RecordNotFoundError("not your document") from None
    return Response(
        data,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="consent-{rid(document_id)}.pdf"'},
    )


@client()
async def plan_document(request: Request) -> Response:
    current, records = _me(request)
    studio = studio_of(request)
    plan_id: int = request.path_params["plan_id"]
    design, inputs, name = await blocking(_documents, studio, records, current.patient_id, plan_id)
    contact = await blocking(clinic_contact, studio)
    data = await compute(studio, _pdf, design, inputs, records.clinic_name, name, contact)
    return Response(
        data,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="plan-{rid(plan_id)}.pdf"'},
    )


@client()
async def photo(request: Request) -> Response:
    current, records = _me(request)
    photo_id: int = request.path_params["photo_id"]

    def own() -> bytes:
        if photo_id not in {p.id for p in records.photos(current.patient_id)}:
            raise RecordNotFoundError("not your photo")
        return records.photo_bytes(photo_id)

    data = await blocking(own)
    kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    if data[:4] == b"RIFF":
        kind = "image/webp"
    return Response(
        data,
        media_type=kind,
        headers={"content-security-policy": "sandbox; default-src 'none'"},
    )


@client()
async def upload_photo(request: Request) -> Response:
    current, records = _me(request)
    studio = studio_of(request)
    form = await form_input(request)
    upload = form.file("photo")
    try:
        session_id = form_rid(form.get("session"))
        asked = await blocking(records.healed_photo_requests, current.patient_id)
        if session_id is None or session_id not in {r.session_id for r in asked}:
            raise InputError("your plan asks for no healed photo of that session now")
        if upload is None:
            raise InputError("choose a photo of your healed scalp")
        data = await upload.read()
        cleaned = await compute(studio, ingest_photo, data)
        await blocking(
            records.add_photo,
            current.patient_id,
            cleaned.jpeg,
            kind="follow-up",
            session_id=session_id,
        )
    except UploadRejectedError as exc:
        studio.flash(current.token_hash, f"Photo refused: {_sentence(exc)}", "warn")
        return redirect("/portal/home#photos")
    except InputError as exc:
        studio.flash(current.token_hash, _sentence(exc), "warn")
        return redirect("/portal/home#photos")
    studio.flash(current.token_hash, "Thank you: your healed photo is with the clinic.")
    return redirect("/portal/home#photos")


# --- booking the course ---


def _book_context(records: ClinicRecords, pid: int) -> dict[str, Any]:
    found = _current_plan(records, pid)
    if found is None:
        raise InputError("the clinic has not made your treatment plan yet: nothing to book")
    plan, data = found
    bookings = [b for b in records.portal_bookings(pid) if b.plan_id == plan.id]
    booked = {b.session_number: b for b in bookings}
    now = records.now()
    practitioner = _practitioner(records, bookings)
    rows = []
    for s in data.get("sessions", []):
        b = booked.get(s["index"])
        fixed = b is not None and b.starts_at <= now
        local = b.starts_at.astimezone(records.timezone) if b is not None else None
        rows.append(
            {
                "index": s["index"],
                "purpose": s["purpose"],
                "planned": s["date"],
                "hours": _hours(records, s),
                "booking": b,
                "fixed": fixed,
                "date": local.date().isoformat() if local else s["date"],
                "time": f"{local:%H:%M}" if local else "10:00",
            }
        )
    return {
        "title": "Book your sessions",
        "plan": plan,
        "rows": rows,
        "zone": records.timezone,
        "practitioner": practitioner,
        "hours": _weekly_hours(records, practitioner.id) if practitioner else [],
        "spacing": records.settings.session_spacing_min_days,
    }


def _practitioner(records: ClinicRecords, bookings: list[Any]) -> Any:
    active = [p for p in records.practitioners() if p.active]
    mine = {b.practitioner_id for b in bookings}
    for p in active:
        if p.id in mine:
            return p
    return active[0] if active else None


def _weekly_hours(records: ClinicRecords, practitioner_id: int) -> list[str]:
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    found = []
    for w in records.working_hours(practitioner_id):
        a, b = w.start_minute, w.end_minute
        found.append(f"{names[w.weekday]} {a // 60:02d}:{a % 60:02d}–{b // 60:02d}:{b % 60:02d}")
    return found


def _hours(records: ClinicRecords, session: dict[str, Any]) -> float:
    low, high = records.settings.session_min_hours, records.settings.session_max_hours
    return float(min(max(float(session.get("booked_h") or low), low), high))


@client()
async def book_form(request: Request) -> Response:
    current, records = _me(request)
    try:
        context = await blocking(_book_context, records, current.patient_id)
    except InputError as exc:
        studio_of(request).flash(current.token_hash, _sentence(exc), "warn")
        return redirect("/portal/home")
    return _page(request, "portal_book.html", context)


@client()
async def book(request: Request) -> Response:
    current, records = _me(request)
    form = await form_input(request)
    error: str | None = None
    try:
        context = await blocking(_book_context, records, current.patient_id)
        starts: dict[int, dt.datetime] = {}
        durations: dict[int, dt.timedelta] = {}
        for row in context["rows"]:
            if row["fixed"]:
                continue
            n = row["index"]
            day_text, time_text = form.get(f"date_{n}").strip(), form.get(f"time_{n}").strip()
            if not day_text:
                continue
            try:
                day = dt.date.fromisoformat(day_text)
                at = dt.time.fromisoformat(time_text or "10:00")
            except ValueError:
                raise InputError(
                    f"session {n}: type the date as 2031-03-03 and the time as 10:00"
                ) from None
            start = dt.datetime.combine(day, at, tzinfo=records.timezone)
            if row["booking"] is not None and row["booking"].starts_at == start:
                continue  # unchanged: neither moved nor audited
            starts[n] = start
            durations[n] = dt.timedelta(hours=row["hours"])
        if context["practitioner"] is None:
            raise InputError("the clinic has no practitioner taking bookings")
        if not starts and any(r["booking"] for r in context["rows"]):
            studio_of(request).flash(current.token_hash, "Nothing changed.")
            return redirect("/portal/home#sessions")
        await blocking(
            records.schedule_course,
            current.patient_id,
            context["plan"].id,
            starts,
            durations=durations,
            practitioner_id=context["practitioner"].id,
        )
    except BookingConflictError as exc:
        error = _sentence(exc)
    except InputError as exc:
        error = _sentence(exc)
    if error is None:
        studio_of(request).flash(
            current.token_hash, "Your sessions are booked. Reminders will come by e-mail."
        )
        return redirect("/portal/home#sessions")
    context = await blocking(_book_context, records, current.patient_id)
    for row in context["rows"]:
        n = row["index"]
        if not row["fixed"]:
            row["date"] = form.get(f"date_{n}") or row["date"]
            row["time"] = form.get(f"time_{n}") or row["time"]
    context["error"] = error
    return _page(request, "portal_book.html", context, status=409)


# --- the studio invites a client ---


@staff()
async def invite(request: Request) -> Response:
    studio = studio_of(request)
    signed = request.state.signed
    pid: int = request.path_params["patient_id"]
    clinic_id = signed.user.clinic_id
    try:
        await blocking(
            _access(request).invite,
            clinic_id,
            pid,
            link_base=_link_base(request, clinic_id),
            actor=f"user:{signed.user.id}",
        )
    except RecordNotFoundError:
        raise
    except ClinicError as exc:
        studio.flash(signed.session.token_hash, _sentence(exc), "warn")
        return redirect(f"/studio/patients/{rid(pid)}")
    studio.flash(signed.session.token_hash, "Portal sign-in link sent by e-mail.")
    response = redirect(f"/studio/patients/{rid(pid)}")
    response.background = BackgroundTask(_send_now, studio, clinic_id)
    return response


@staff(*CLINICAL)
async def studio_consent_document(request: Request) -> Response:
    """The PDF copy of a consent the client signed in the portal, from the client's record."""
    signed = request.state.signed
    records = studio_of(request).records(signed.user.clinic_id, actor=f"user:{signed.user.id}")
    pid: int = request.path_params["patient_id"]
    document_id: int = request.path_params["document_id"]
    try:
        data = await blocking(records.consent_document_pdf, pid, document_id)
    except RecordNotFoundError:
        raise
    except ClinicError:
        raise RecordNotFoundError("not this client's document") from None
    return Response(
        data,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="consent-{rid(document_id)}.pdf"'},
    )


routes = [
    Route("/portal", request_form, methods=["GET"]),
    Route("/portal", request_link, methods=["POST"]),
    Route("/portal/sign-in", link_form, methods=["GET"]),
    Route("/portal/sign-in", redeem, methods=["POST"]),
    Route("/portal/sign-out", sign_out, methods=["POST"]),
    Route("/portal/home", home, methods=["GET"]),
    Route("/portal/consent/{kind:str}", consent_form, methods=["GET"]),
    Route("/portal/consent/{kind:str}", consent_sign, methods=["POST"]),
    Route("/portal/documents/consent-{document_id:rid}.pdf", consent_document, methods=["GET"]),
    Route("/portal/documents/plan-{plan_id:rid}.pdf", plan_document, methods=["GET"]),
    Route("/portal/photos", upload_photo, methods=["POST"]),
    Route("/portal/photos/{photo_id:rid}", photo, methods=["GET"]),
    Route("/portal/book", book_form, methods=["GET"]),
    Route("/portal/book", book, methods=["POST"]),
    Route("/studio/patients/{patient_id:rid}/portal-invite", invite, methods=["POST"]),
    Route(
        "/studio/patients/{patient_id:rid}/consent-documents/{document_id:rid}.pdf",
        studio_consent_document,
        methods=["GET"],
    ),
]
