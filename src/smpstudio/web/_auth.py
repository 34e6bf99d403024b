"""Signing in and out, the optional second step (TOTP), and one's own account.

Sign-in is limited to ``sign_in_failures_per_minute`` failures per account and five times
that per client address within 60 s; past that, attempts get 429 with ``Retry-After`` and
the password is not even checked. The same message answers an unknown address and a wrong
password. A successful sign-in gets a fresh session token (never one the browser had), in a
``__Host-`` cookie that is ``Secure``, ``HttpOnly`` and ``SameSite=Lax``.

Browsers keep such cookies only over HTTPS (and on ``localhost`` / ``127.0.0.1``): a page
opened over plain HTTP at another address says so, and names the two ways out (HTTPS
through a TLS proxy, or ``smpstudio serve --insecure-http`` on a trusted local network),
instead of a sign-in that fails as "the form expired".
"""

from __future__ import annotations

import base64
import io
import re
from urllib.parse import quote

import segno
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smpstudio._errors import ClinicError
from smpstudio.clinic import SignedIn
from smpstudio.web._http import (
    anon_csrf_ok,
    client_address,
    client_scheme,
    error_page,
    form_input,
    page,
    redirect,
    staff,
    studio_of,
)
from smpstudio.web._state import blocking

__all__ = ["plain_http_problem", "routes", "safe_next", "set_session_cookie"]

_WRONG = "The e-mail address or the password is not right."
_BASE32 = re.compile(r"(?:[A-Z2-7]{8}){2,8}")
"""A TOTP secret as the two-step page makes it: base32, whole 40-bit groups (16–64 long)."""


def safe_next(value: str) -> str:
    """Where to go after signing in: a page of the studio, never another site.

    >>> safe_next("/studio/patients/3/designer"), safe_next("//evil.example/x")
    ('/studio/patients/3/designer', '/studio')
    """
    ok = value.startswith("/studio") and not value.startswith("//") and "\\" not in value
    return value if ok and len(value) < 200 and "://" not in value else "/studio"


_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def plain_http_problem(request: Request) -> str | None:
    """Why signing in cannot work here, when the browser speaks plain HTTP to an address
    other than this machine's while the studio's cookies need HTTPS; else None."""
    if not studio_of(request).config.secure_cookies or client_scheme(request) == "https":
        return None
    host = (request.url.hostname or "").strip("[]").lower()
    if host in _LOCAL_HOSTS or host.endswith(".localhost"):
        return None
    return (
        f"The studio needs HTTPS: this page came over plain HTTP from {host}, and browsers "
        "keep the sign-in cookie only over HTTPS, so signing in cannot work. Open the studio "
        "at its https:// address (a TLS proxy in front of smpstudio serve), or, on a trusted "
        "local network only, start it with smpstudio serve --insecure-http."
    )


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    config = studio_of(request).config
    response.set_cookie(
        config.session_cookie,
        token,
        path="/",
        secure=config.secure_cookies,
        httponly=True,
        samesite="lax",
    )


async def sign_in_form(request: Request) -> Response:
    studio = studio_of(request)
    token = request.cookies.get(studio.config.session_cookie)
    signed = await blocking(studio.accounts.session, token)
    if signed is not None and signed.complete:
        return redirect("/studio")
    nxt = safe_next(request.query_params.get("next", "/studio"))
    context = {"values": {"next": nxt}, "plain_http": plain_http_problem(request)}
    return page(request, "sign_in.html", context)


async def sign_in(request: Request) -> Response:
    studio = studio_of(request)
    form = await form_input(request)
    values = {"email": form.get("email"), "next": safe_next(form.get("next"))}
    if not await anon_csrf_ok(request):
        problem = plain_http_problem(request)
        return _again(request, values, problem or "The form expired: please sign in again.", 403)
    email = form.get("email").strip().lower()[:254]
    address = client_address(request)
    if studio.account_limiter.blocked(email) or studio.address_limiter.blocked(address):
        response = _again(request, values, "Too many attempts: wait a minute and try again.", 429)
        response.headers["Retry-After"] = "60"
        return response
    user = await blocking(studio.accounts.authenticate, email, form.get("password"), client=address)
    if user is None:
        studio.account_limiter.fail(email)
        studio.address_limiter.fail(address)
        return _again(request, values, _WRONG, 401)
    studio.account_limiter.reset(email)
    token = await blocking(
        studio.accounts.start_session, user, client=address, complete=not user.totp_enabled
    )
    response = redirect("/studio/sign-in/code" if user.totp_enabled else values["next"])
    set_session_cookie(request, response, token)
    return response


def _again(request: Request, values: dict[str, str], message: str, status: int) -> Response:
    return page(request, "sign_in.html", {"values": values, "error": message}, status=status)


async def _pending(request: Request) -> SignedIn | None:
    studio = studio_of(request)
    signed = await blocking(
        studio.accounts.session, request.cookies.get(studio.config.session_cookie)
    )
    return signed if signed is not None and not signed.complete else None


async def code_form(request: Request) -> Response:
    if await _pending(request) is None:
        return redirect("/studio/sign-in")
    return page(request, "sign_in_code.html", {})


async def code(request: Request) -> Response:
    studio = studio_of(request)
    pending = await _pending(request)
    if pending is None:
        return redirect("/studio/sign-in")
    if not await anon_csrf_ok(request):
        return page(request, "sign_in_code.html", {"error": "The form expired."}, status=403)
    key = f"totp:{pending.user.id}"
    if studio.account_limiter.blocked(key):
        response = page(
            request, "sign_in_code.html", {"error": "Too many attempts: wait a minute."}, status=429
        )
        response.headers["Retry-After"] = "60"
        return response
    code_text = (await form_input(request)).get("code")
    address = client_address(request)
    if not await blocking(studio.accounts.verify_totp, pending.user, code_text, client=address):
        studio.account_limiter.fail(key)
        message = "That code is not right (or was used already): type the current one."
        return page(request, "sign_in_code.html", {"error": message}, status=401)
    old = request.cookies.get(studio.config.session_cookie, "")
    token = await blocking(studio.accounts.complete_session, old, client=address)
    done = redirect("/studio")
    set_session_cookie(request, done, token)
    return done


@staff()
async def sign_out(request: Request) -> Response:
    studio = studio_of(request)
    token = request.cookies.get(studio.config.session_cookie)
    await blocking(studio.accounts.end_session, token, audit=True)
    response = redirect("/studio/sign-in")
    response.delete_cookie(
        studio.config.session_cookie,
        path="/",
        secure=studio.config.secure_cookies,
        httponly=True,
        samesite="lax",
    )
    return response


@staff()
async def account(request: Request) -> Response:
    return page(request, "account.html", {})


@staff()
async def password_form(request: Request) -> Response:
    return page(request, "password.html", {})


@staff()
async def change_password(request: Request) -> Response:
    studio = studio_of(request)
    signed: SignedIn = request.state.signed
    form = await form_input(request)
    new, again = form.get("new_password"), form.get("new_password_again")
    try:
        if new != again:
            raise ClinicError("the two new passwords are not the same")
        await blocking(
            studio.accounts.change_password,
            signed.user,
            current=form.get("current_password"),
            new=new,
        )
    except ClinicError as exc:
        return page(request, "password.html", {"error": str(exc).capitalize()}, status=422)
    token = await blocking(
        studio.accounts.start_session, signed.user, client=client_address(request)
    )
    studio.flash(_key_of(token), "Password changed. Other devices were signed out.")
    response = redirect("/studio")
    set_session_cookie(request, response, token)
    return response


def _key_of(token: str) -> str:
    import hashlib

    return hashlib.sha256(token.encode()).hexdigest()


def _qr(uri: str) -> str:
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, border=2, xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _two_step_context(request: Request, secret: str) -> dict[str, str]:
    signed: SignedIn = request.state.signed
    label = quote(f"smpstudio:{signed.user.email}")
    uri = f"otpauth://totp/{label}?secret={secret}&issuer=smpstudio&digits=6&period=30"
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return {"secret": secret, "grouped": grouped, "qr": _qr(uri)}


@staff()
async def two_step_form(request: Request) -> Response:
    secret = studio_of(request).accounts.new_totp_secret()
    return page(request, "two_step.html", _two_step_context(request, secret))


@staff()
async def two_step(request: Request) -> Response:
    studio = studio_of(request)
    signed: SignedIn = request.state.signed
    form = await form_input(request)
    try:
        if form.get("action") == "disable":
            await blocking(studio.accounts.disable_totp, signed.user, password=form.get("password"))
            studio.flash(signed.session.token_hash, "Two-step sign-in is off.")
            return redirect("/studio/account")
        secret = form.get("secret")
        if not _BASE32.fullmatch(secret):
            return error_page(request, 400, "Start again", "Open the two-step page again.")
        await blocking(
            studio.accounts.enable_totp, signed.user, secret=secret, code=form.get("code")
        )
    except ClinicError as exc:
        if form.get("action") == "disable":
            return page(request, "account.html", {"error": str(exc).capitalize()}, status=422)
        context = {**_two_step_context(request, form.get("secret")), "error": str(exc).capitalize()}
        return page(request, "two_step.html", context, status=422)
    studio.flash(signed.session.token_hash, "Two-step sign-in is on: you will be asked for a code.")
    return redirect("/studio/account")


routes = [
    Route("/studio/sign-in", sign_in_form, methods=["GET"]),
    Route("/studio/sign-in", sign_in, methods=["POST"]),
    Route("/studio/sign-in/code", code_form, methods=["GET"]),
    Route("/studio/sign-in/code", code, methods=["POST"]),
    Route("/studio/sign-out", sign_out, methods=["POST"]),
    Route("/studio/account", account, methods=["GET"]),
    Route("/studio/account/password", password_form, methods=["GET"]),
    Route("/studio/account/password", change_password, methods=["POST"]),
    Route("/studio/account/two-step", two_step_form, methods=["GET"]),
    Route("/studio/account/two-step", two_step, methods=["POST"]),
]
