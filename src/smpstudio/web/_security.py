"""Headers on every response, the cross-site request check, and the request-size limit.

- **Headers** (OWASP ASVS V3): a strict Content-Security-Policy (only this origin's scripts,
  styles and images — no inline script or style anywhere — ``object-src 'none'``,
  ``base-uri 'none'``, ``frame-ancestors 'none'``, ``form-action 'self'``), HSTS for two
  years, ``nosniff``, ``Referrer-Policy: same-origin`` (``no-referrer`` would make
  browsers send ``Origin: null`` with forms), a Permissions-Policy that switches
  off sensors, and cross-origin isolation headers. Every response that is not a static file
  carries ``Cache-Control: no-store``: patient data is never kept by a browser or a proxy.
- **Cross-site requests** (ASVS 3.5): a request that changes something (POST, PUT, PATCH,
  DELETE) is refused with 403 when the browser says it comes from another site
  (``Sec-Fetch-Site: cross-site`` or ``same-site``) or its ``Origin`` is not this origin,
  as datasette and Go's ``CrossOriginProtection`` do; forms also carry a token
  (:mod:`smpstudio.web._auth`).
- **Size**: a body larger than ``max_body_bytes`` is refused with 413 before it is read
  (``Content-Length``) or as soon as it grows past the limit (chunked).
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CSP", "SECURITY_HEADERS", "SecurityMiddleware"]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
)

_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_PAGE_403 = (
    b"<!doctype html><html lang=en><meta charset=utf-8><title>Refused</title>"
    b"<h1>Refused</h1><p>This request came from another site, so it was refused. "
    b"Open the page again from this site and submit it there.</p></html>"
)
_PAGE_413 = (
    b"<!doctype html><html lang=en><meta charset=utf-8><title>Too large</title>"
    b"<h1>Too large</h1><p>What you sent is larger than this studio accepts (%d MiB). "
    b"Go back and send a smaller file.</p></html>"
)


class _TooLargeError(Exception):
    pass


class SecurityMiddleware:
    """Pure ASGI middleware: headers, cross-site check and size limit (see module doc)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        static = scope["path"].startswith("/static/")
        if scope["method"] in _UNSAFE and not same_origin(scope, headers):
            await _plain(send, 403, _PAGE_403)
            return
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body_bytes:
            await _plain(send, 413, _PAGE_413 % (self.max_body_bytes // (1024 * 1024)))
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                extra = list(SECURITY_HEADERS)
                existing = {k.lower() for k, _ in message.get("headers", [])}
                if not static and b"cache-control" not in existing:
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, self._limited(receive), send_with_headers)
        except _TooLargeError:
            if not started:
                await _plain(send, 413, _PAGE_413 % (self.max_body_bytes // (1024 * 1024)))

    def _limited(self, receive: Receive) -> Receive:
        total = 0

        async def limited() -> Message:
            nonlocal total
            message = await receive()
            if message["type"] == "http.request":
                total += len(message.get("body", b""))
                if total > self.max_body_bytes:
                    raise _TooLargeError
            return message

        return limited


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def own_origin(scope: Scope, headers: dict[str, str]) -> str:
    """``scheme://host[:port]`` of this server as the browser addressed it."""
    scheme = scope.get("scheme", "http")
    host = headers.get("host")
    if host is None:
        server: Any = scope.get("server") or ("localhost", None)
        host = server[0] if server[1] in (None, 80, 443) else f"{server[0]}:{server[1]}"
    return f"{scheme}://{host}".lower()


def same_origin(scope: Scope, headers: dict[str, str]) -> bool:
    """Whether an unsafe request comes from this site (browsers send these headers)."""
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = headers.get("origin")
    return origin is None or origin.lower() == own_origin(scope, headers)


async def _plain(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
