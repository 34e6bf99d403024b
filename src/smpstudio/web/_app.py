"""The ASGI application: routes, middleware, error pages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from importlib.resources import files
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from smpstudio._errors import InputError
from smpstudio._memory import tune_allocator
from smpstudio.clinic import (
    Accounts,
    Database,
    RecordIds,
    RecordNotFoundError,
    database_unavailable,
    finish_pending_erasures,
)
from smpstudio.web import (
    _auth,
    _billing,
    _clients,
    _clinic,
    _designer,
    _export,
    _openapi,
    _patch_tests,
    _photo_compare,
    _photo_designer,
    _photo_series,
    _plans,
    _portal,
    _reports,
    _schedule,
    _site,
    _stock,
    _team,
)
from smpstudio.web._config import WebConfig
from smpstudio.web._http import error_page, warm_templates
from smpstudio.web._ids import RecordIdsMiddleware
from smpstudio.web._load import Overloaded
from smpstudio.web._preview import stop_preview_processes
from smpstudio.web._security import SecurityMiddleware
from smpstudio.web._sender import send_messages_periodically
from smpstudio.web._state import Studio

__all__ = ["create_app"]

log = logging.getLogger("smpstudio.web")


class _Static(StaticFiles):
    """Static files, cached by browsers (their URLs carry a content hash)."""

    async def get_response(self, path: str, scope: dict) -> Response:  # type: ignore[override,type-arg]
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["cache-control"] = "public, max-age=31536000, immutable"
        return response


def create_app(
    db: Database,
    *,
    config: WebConfig | None = None,
    accounts: Accounts | None = None,
    hasher: PasswordHasher | None = None,
) -> Starlette:
    """The web studio for ``db`` (migrated to the current schema).

    Parameters
    ----------
    db
        The clinic database; the app does not close it.
    config
        Limits and switches (:class:`WebConfig`).
    accounts
        The staff accounts (built from ``db`` and ``config`` when omitted).
    hasher
        argon2id parameters for new accounts (tests pass a cheap one).
    """
    config = config or WebConfig()
    db.require_current_schema()
    accounts = accounts or Accounts(
        db,
        hasher=hasher,
        idle=_minutes(config.session_idle_minutes),
        lifetime=_minutes(60 * config.session_max_hours),
    )
    tune_allocator()  # before the studio's threads: smpstudio._memory
    studio = Studio(db, accounts, config)
    ids = RecordIds(db.record_id_key())  # read once: URLs stay the same across restarts
    warm_templates()
    static = Path(str(files("smpstudio.web") / "static"))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        studio.preview.warm_up()
        try:  # photo files of an erasure a crash interrupted after its commit
            finish_pending_erasures(db)
        except Exception:  # the database may be away: the next erasure finishes them
            log.exception("could not finish the pending erasures")
        sender = None
        if config.message_every_minutes > 0:
            sender = asyncio.create_task(send_messages_periodically(studio))
        yield
        if sender is not None:
            sender.cancel()
            with suppress(asyncio.CancelledError):
                await sender
        studio.close()
        stop_preview_processes()

    app = Starlette(
        routes=[
            *_site.routes,
            *_auth.routes,
            *_clients.routes,
            *_photo_compare.routes,
            *_photo_series.routes,
            *_designer.routes,
            *_photo_designer.routes,
            *_plans.routes,
            *_patch_tests.routes,
            *_schedule.routes,
            *_stock.routes,
            *_billing.routes,
            *_reports.routes,
            *_export.routes,
            *_team.routes,
            *_clinic.routes,
            *_portal.routes,
            *_openapi.routes,
            Mount("/static", app=_Static(directory=static), name="static"),
        ],
        middleware=[
            Middleware(SecurityMiddleware, max_body_bytes=config.max_body_bytes),
            Middleware(RecordIdsMiddleware, ids=ids),
        ],
        exception_handlers={
            RecordNotFoundError: _not_found,
            InputError: _refused,
            ClientDisconnect: _client_gone,
            HTTPException: _http_error,
            DBAPIError: _database_error,
            PoolTimeoutError: _database_error,
            Overloaded: _overloaded,
            Exception: _server_error,
        },
        lifespan=lifespan,
    )
    app.state.studio = studio
    app.state.record_ids = ids
    return app


def _minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


async def _not_found(request: Request, exc: Exception) -> Response:
    return error_page(request, 404, "Not found", "There is nothing here, or it is not yours.")


async def _refused(request: Request, exc: Exception) -> Response:
    text = str(exc)
    return error_page(request, 422, "Not possible", text[:1].upper() + text[1:])


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return await _not_found(request, exc)
    if exc.status_code == 405:
        return error_page(request, 405, "Not allowed", "This page cannot be used that way.")
    return error_page(request, exc.status_code, "Refused", str(exc.detail))


RETRY_AFTER_S = 5
"""``Retry-After`` of a 503 while the database cannot be reached."""

_PLAIN_503 = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Unavailable</title>"
    "<h1>The database cannot be reached</h1><p>Nothing was saved. Try again in a moment.</p>"
    "</html>"
)


async def _database_error(request: Request, exc: Exception) -> Response:
    """503 (with ``Retry-After``) while the database is away or too busy; any other database
    error is a fault and goes on to the 500 handler (which logs it)."""
    if not database_unavailable(exc):
        raise exc
    cause = type(getattr(exc, "orig", None) or exc).__name__
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, cause)
    headers = {"retry-after": str(RETRY_AFTER_S)}
    try:
        response: Response = error_page(
            request,
            503,
            "The database cannot be reached",
            "Nothing was saved. The studio will work again as soon as its database is back: "
            "try again in a moment.",
        )
    except Exception:  # the page itself needed the database (a visitor's first request)
        response = HTMLResponse(_PLAIN_503, status_code=503)
    response.headers.update(headers)
    return response


async def _overloaded(request: Request, exc: Exception) -> Response:
    """503 with ``Retry-After`` when heavy work is refused (its lane is full) or cut short
    (its CPU budget ran out): answered at once instead of queueing (``smpstudio.web._load``)."""
    assert isinstance(exc, Overloaded)
    log.info("overloaded on %s %s: %s", request.method, request.url.path, exc)
    response = error_page(
        request,
        503,
        "The studio is busy",
        "Nothing was lost: try again in a moment. " + str(exc)[:1].upper() + str(exc)[1:] + ".",
    )
    response.headers["retry-after"] = str(exc.retry_after)
    return response


async def _client_gone(request: Request, exc: Exception) -> Response:
    """The browser went away while sending its request (a closed tab, a newer drag): not a
    fault, and nobody is left to read an answer."""
    log.debug("client gone during %s %s", request.method, request.url.path)
    return Response(status_code=400)


async def _server_error(request: Request, exc: Exception) -> Response:
    # The message is not logged: it may quote what someone typed about a client.
    log.error("internal error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return error_page(
        request, 500, "Something went wrong", "Nothing was saved. Try again, or tell the owner."
    )
