"""Record ids in URLs, forms and JSON as opaque tokens: ``/studio/patients/k3x…`` instead of
``/studio/patients/4812``.

The database keeps its sequential integer keys; whatever reaches a browser carries their
tokens instead (the cipher, its format and what it refuses: ``smpstudio.clinic._record_ids``,
:class:`RecordIds`), so that a clinic cannot read from its own URLs how many records the
deployment holds (every clinic's) or how fast they grow. The studio answers a refused token
exactly as a missing record: 404.

The key comes from the request's app: :class:`RecordIdsMiddleware` sets it for the request
(a context variable), because Starlette's URL convertors and the Jinja filters are
process-wide while two apps of one process (the tests) have two databases and two keys.

- ``{patient_id:rid}`` in a route: the handler receives the int (``NOT_A_RECORD`` for a
  refused token, which the sign-in guards turn into a 404 like any id beyond 64 bits);
- ``{{ patient.id|rid }}`` in a template, :func:`rid` in Python (redirects, JSON);
- :func:`form_rid` for a record chosen in a form or a query.
"""

from __future__ import annotations

from contextvars import ContextVar

from starlette.convertors import Convertor, register_url_convertor
from starlette.types import ASGIApp, Receive, Scope, Send

from smpstudio.clinic import NOT_A_RECORD, TOKEN_REGEX, RecordIds

__all__ = [
    "RecordIdsMiddleware",
    "actor_text",
    "form_rid",
    "rid",
    "rid_text",
]


_current: ContextVar[RecordIds] = ContextVar("smpstudio_record_ids")


def current_ids() -> RecordIds:
    """The record ids of the app serving the current request."""
    try:
        return _current.get()
    except LookupError:
        raise RuntimeError("record ids are only known while a request is served") from None


def rid(record_id: int) -> str:
    """The token of ``record_id`` for a URL, form or JSON of the current request."""
    return current_ids().encode(record_id)


def rid_text(text: str) -> str:
    """A record id kept as text (an audit row's object id): its token; other text as is."""
    return current_ids().encode_text(text)


def actor_text(text: str) -> str:
    """An audit actor or detail with the ids of ``user:N`` and ``client:N`` as tokens."""
    return current_ids().encode_actors(text)


def form_rid(text: str) -> int | None:
    """The record chosen in a form field or query parameter (a token), or None."""
    return current_ids().decode(text.strip())


class RecordIdsMiddleware:
    """Make the app's record ids those of every request it serves (pure ASGI: the context
    variable is set in the task that routes the request and renders its pages)."""

    def __init__(self, app: ASGIApp, *, ids: RecordIds) -> None:
        self.app = app
        self.ids = ids

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = _current.set(self.ids)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)


class RecordIdConvertor(Convertor[int]):
    """``{name:rid}``: a record token in a path, the record id in ``path_params``."""

    regex = TOKEN_REGEX

    def convert(self, value: str) -> int:
        record_id = current_ids().decode(value)
        return NOT_A_RECORD if record_id is None else record_id

    def to_string(self, value: int) -> str:
        return rid(value)


register_url_convertor("rid", RecordIdConvertor())
