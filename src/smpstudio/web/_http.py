"""Pages, forms, sign-in checks and errors shared by every part of the studio."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime
from functools import cache, wraps
from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from smpstudio.clinic import ClinicRecords, RecordNotFoundError, SignedIn
from smpstudio.web._ids import actor_text, rid, rid_text
from smpstudio.web._state import Studio, blocking

__all__ = [
    "Endpoint",
    "FormInput",
    "anon_csrf",
    "check_path_ids",
    "client_address",
    "client_scheme",
    "error_page",
    "form_id",
    "form_input",
    "page",
    "records_for",
    "redirect",
    "staff",
    "studio_of",
    "warm_templates",
]

Endpoint = Callable[[Request], Awaitable[Response]]

_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
MAX_RECORD_ID = 2**63 - 1
"""Largest id a record can have (64-bit keys): a larger one in a path is not found."""
_STATIC = Path(str(files("smpstudio.web") / "static"))

NAV = (
    ("Today", "/studio", ("owner", "practitioner", "front-desk")),
    ("Clients", "/studio/patients", ("owner", "practitioner", "front-desk")),
    ("Schedule", "/studio/schedule", ("owner", "practitioner", "front-desk")),
    ("Requests", "/studio/leads", ("owner", "practitioner", "front-desk")),
    ("Stock", "/studio/stock", ("owner", "practitioner", "front-desk")),
    ("Reports", "/studio/reports", ("owner", "practitioner")),
    ("Team", "/studio/team", ("owner",)),
    ("Clinic", "/studio/clinic", ("owner",)),
    ("Audit", "/studio/audit", ("owner",)),
)


SITE_NAV = (
    ("What is SMP", "/"),
    ("Is it for me?", "/candidacy"),
    ("Cost", "/cost"),
    ("Preview your look", "/preview"),
    ("Contact", "/contact"),
)


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("smpstudio.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = static_url
    env.filters["money"] = lambda v: f"{v:,.0f}"
    env.filters["day"] = _day
    env.filters["when"] = _when
    env.filters["thousands"] = lambda v: f"{v:,}"
    env.filters["rid"] = rid
    env.filters["rid_text"] = rid_text
    env.filters["actor_text"] = actor_text
    return env


def warm_templates() -> None:
    """Compile every template once, so that no visitor waits for it."""
    env = _environment()
    for name in env.list_templates(extensions=["html"]):
        env.get_template(name)


def _day(value: date | None) -> str:
    return "" if value is None else f"{value:%a %d %b %Y}"


def _when(value: datetime | None, zone: Any = None) -> str:
    if value is None:
        return ""
    local = value.astimezone(zone) if zone is not None else value
    return f"{local:%a %d %b %Y, %H:%M}"


@cache
def _static_version(name: str) -> str:
    data = (_STATIC / name).read_bytes()
    return hashlib.sha256(data).hexdigest()[:10]


def static_url(name: str) -> str:
    """``/static/<name>?v=<content hash>``: a new file is never served from an old cache."""
    return f"/static/{name}?v={_static_version(name)}"


def studio_of(request: Request) -> Studio:
    studio: Studio = request.app.state.studio
    return studio


def client_address(request: Request) -> str:
    """The client's address: the peer's, or behind a trusted proxy the one it forwarded
    (``trusted_proxies``; see ``smpstudio.web._load``). Rate limits, the sign-in lockout and
    the audit log key on it."""
    peer = request.client.host if request.client else "unknown"
    return studio_of(request).proxies.client(peer, request.headers.get("x-forwarded-for"))


def client_scheme(request: Request) -> str:
    """``https`` or ``http``, as the browser spoke it (a trusted proxy's word for it)."""
    peer = request.client.host if request.client else "unknown"
    forwarded = request.headers.get("x-forwarded-proto")
    return studio_of(request).proxies.scheme(peer, request.url.scheme, forwarded)


def page(
    request: Request, template: str, context: Mapping[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    """Render a template with the common context (user, CSRF token, flashes, navigation)."""
    studio = studio_of(request)
    signed: SignedIn | None = getattr(request.state, "signed", None)
    ctx: dict[str, Any] = {
        "request": request,
        "path": request.url.path,
        "signed": signed,
        "user": signed.user if signed else None,
        "csrf": signed.session.csrf_token if signed else anon_csrf(request),
        "nav": [
            (label, href)
            for label, href, roles in NAV
            if signed is not None and signed.user.role in roles
        ],
        "flashes": studio.take_flashes(signed.session.token_hash) if signed else [],
        "clinic_name": getattr(request.state, "clinic_name", ""),
        "site_name": studio.site_name(),
        "site_nav": SITE_NAV,
    }
    ctx.update(context or {})
    html = _environment().get_template(template).render(ctx)
    response = HTMLResponse(html, status_code=status)
    if signed is None:
        _set_form_cookie(request, response)
    return response


def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return page(request, "error.html", {"title": title, "message": message}, status=status)


def redirect(url: str) -> RedirectResponse:
    """303 See Other: after a form, the browser GETs the next page."""
    return RedirectResponse(url, status_code=303)


# --- forms ---


class FormInput:
    """A submitted form: text values (stripped of nothing), lists and files."""

    def __init__(self, form: FormData) -> None:
        self._form = form

    def get(self, name: str, default: str = "") -> str:
        value = self._form.get(name)
        return value if isinstance(value, str) else default

    def getlist(self, name: str) -> list[str]:
        return [v for v in self._form.getlist(name) if isinstance(v, str)]

    def file(self, name: str) -> UploadFile | None:
        value = self._form.get(name)
        return value if isinstance(value, UploadFile) and value.filename else None

    def checked(self, name: str) -> bool:
        return self.get(name) in ("on", "yes", "true", "1")

    async def close(self) -> None:
        await self._form.close()

    def values(self) -> dict[str, str]:
        """Every text field, to show the form again as it was typed."""
        return {k: v for k, v in self._form.multi_items() if isinstance(v, str)}


async def form_input(request: Request) -> FormInput:
    """The request's form, parsed once, within the studio's field and size limits."""
    cached: FormInput | None = getattr(request.state, "form_input", None)
    if cached is not None:
        return cached
    limit = studio_of(request).config
    form = await request.form(
        max_files=4, max_fields=limit.max_form_fields, max_part_size=limit.max_body_bytes
    )
    parsed = FormInput(form)
    request.state.form_input = parsed
    return parsed


def form_id(text: str) -> int | None:
    """A record id typed or chosen in a form, or None when the text is not one: empty, not
    ASCII digits (``int`` refuses ``"²"``, which ``str.isdigit`` accepts) or beyond the
    64-bit keys (the database would refuse it).

    >>> form_id("12"), form_id(" 7 "), form_id("²"), form_id(""), form_id("9" * 20)
    (12, 7, None, None, None)
    """
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    value = int(text)
    return value if value <= MAX_RECORD_ID else None


async def close_form(request: Request) -> None:
    """Close the uploaded files of the request's form (also when the endpoint failed)."""
    parsed: FormInput | None = getattr(request.state, "form_input", None)
    if parsed is not None:
        await parsed.close()


# --- CSRF for visitors (sign-in, public forms): a double-submit cookie ---


def anon_csrf(request: Request) -> str:
    """The form token of a visitor: their form cookie (made on first sight)."""
    token: str | None = getattr(request.state, "anon_csrf", None)
    if token is None:
        cookie = request.cookies.get(studio_of(request).config.form_cookie, "")
        token = cookie if 20 <= len(cookie) <= 100 else secrets.token_urlsafe(32)
        request.state.anon_csrf = token
    return token


def _set_form_cookie(request: Request, response: Response) -> None:
    config = studio_of(request).config
    token = anon_csrf(request)
    if request.cookies.get(config.form_cookie) != token:
        response.set_cookie(
            config.form_cookie,
            token,
            max_age=8 * 3600,
            path="/",
            secure=config.secure_cookies,
            httponly=True,
            samesite="strict",
        )


async def anon_csrf_ok(request: Request) -> bool:
    """Whether a visitor's form carries the token of their form cookie."""
    cookie = request.cookies.get(studio_of(request).config.form_cookie, "")
    sent = (await form_input(request)).get("csrf_token")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), sent.encode())


# --- staff pages ---


def staff(*roles: str) -> Callable[[Endpoint], Endpoint]:
    """Decorate an endpoint that needs a signed-in member of staff (with one of ``roles``).

    Not signed in: GET redirects to the sign-in page, anything else gets 401. Wrong role:
    403 (function-level authorisation). A change (POST …) must carry the session's CSRF
    token in the form field ``csrf_token`` or the ``X-CSRF-Token`` header.
    """

    def decorate(endpoint: Endpoint) -> Endpoint:
        @wraps(endpoint)
        async def guarded(request: Request) -> Response:
            studio = studio_of(request)
            token = request.cookies.get(studio.config.session_cookie)
            signed = await blocking(studio.accounts.session, token)
            if signed is None or not signed.complete:
                if request.method == "GET":
                    return redirect("/studio/sign-in")
                return error_page(request, 401, "Signed out", "Sign in again to continue.")
            request.state.signed = signed
            request.state.clinic_name = await blocking(studio.clinic_name, signed.user.clinic_id)
            path = request.url.path
            if signed.user.must_change_password and path not in _PASSWORD_PATHS:
                return redirect("/studio/account/password")
            if roles and signed.user.role not in roles:
                return error_page(
                    request, 403, "Not for your role", "Your role does not give access to this."
                )
            if request.method in _UNSAFE and not await _staff_csrf_ok(request, signed):
                return error_page(
                    request, 403, "Form expired", "Reload the page and submit the form again."
                )
            try:
                check_path_ids(request)
                return await endpoint(request)
            finally:
                await close_form(request)

        return guarded

    return decorate


def check_path_ids(request: Request) -> None:
    """404 for a record id no record can have: beyond the 64-bit keys (the database would
    refuse it), which includes a refused token (``smpstudio.clinic.NOT_A_RECORD``)."""
    if any(isinstance(v, int) and v > MAX_RECORD_ID for v in request.path_params.values()):
        raise RecordNotFoundError("no such record")


_PASSWORD_PATHS = ("/studio/account/password", "/studio/sign-out")


async def _staff_csrf_ok(request: Request, signed: SignedIn) -> bool:
    header = request.headers.get("x-csrf-token")
    if header is not None:
        return studio_of(request).accounts.csrf_matches(signed, header)
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return False
    sent = (await form_input(request)).get("csrf_token")
    return studio_of(request).accounts.csrf_matches(signed, sent)


def records_for(request: Request) -> ClinicRecords:
    """The clinic records as the signed-in user sees them (scoped and audited)."""
    signed: SignedIn = request.state.signed
    return studio_of(request).records(signed.user.clinic_id, actor=f"user:{signed.user.id}")
