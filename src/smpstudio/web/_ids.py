"""Record ids in URLs, forms and JSON as opaque tokens: ``/studio/patients/k3x…`` instead of
``/studio/patients/4812``.

The database keeps its sequential integer keys; whatever reaches a browser carries a keyed
pseudo-random permutation of them instead, so that a clinic cannot read from its own URLs
how many records the deployment holds (every clinic's) or how fast they grow. The token of
id ``n`` is AES-128 of one block (8 zero bytes, then ``n`` as a big-endian 64-bit integer)
under the installation's key (``Database.record_id_key``, made by migration 0011), written
as 26 lowercase base32 characters. Decoding refuses anything else — not 26 base32
characters, a non-canonical spelling, or a block whose upper 8 bytes do not decrypt to
zero (one forged token in 2⁶⁴ passes that check, and then names a record of someone else
or none: the clinic scoping still answers 404) — and the studio answers a refused token
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

import base64
import re
import threading
from contextvars import ContextVar

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from starlette.convertors import Convertor, register_url_convertor
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "NOT_A_RECORD",
    "TOKEN_PATTERN",
    "TOKEN_REGEX",
    "RecordIds",
    "RecordIdsMiddleware",
    "actor_text",
    "form_rid",
    "rid",
    "rid_text",
]

TOKEN_LENGTH = 26
TOKEN_REGEX = f"[a-z2-7]{{{TOKEN_LENGTH}}}"
TOKEN_PATTERN = f"^{TOKEN_REGEX}$"
"""What a record token looks like (the OpenAPI description's pattern)."""
NOT_A_RECORD = 2**64
"""The id a refused token stands for: beyond every 64-bit key, so it is never found."""
_TOKEN = re.compile(TOKEN_PATTERN)
_HIGH_ZEROS = bytes(8)


class RecordIds:
    """The tokens of one installation's key (16 bytes)."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 16:
            raise ValueError("a record-id key has 16 bytes")
        cipher = Cipher(algorithms.AES(key), modes.ECB())
        # One context each way, reused (ECB keeps no state between blocks): making one per
        # call costs ~30 µs; the lock because a context is not safe across threads.
        self._seal, self._open = cipher.encryptor(), cipher.decryptor()
        self._lock = threading.Lock()

    def encode(self, record_id: int) -> str:
        """The token of ``record_id`` (0 ≤ id < 2⁶⁴)."""
        block = _HIGH_ZEROS + record_id.to_bytes(8, "big")
        with self._lock:
            sealed = self._seal.update(block)
        return _text(sealed)

    def decode(self, token: str) -> int | None:
        """The record id of ``token``, or None when it is not a token of this key."""
        if len(token) != TOKEN_LENGTH or not _TOKEN.match(token):
            return None
        sealed = base64.b32decode(token.upper() + "======")
        if _text(sealed) != token:
            return None  # the last character's two spare bits are not zero
        with self._lock:
            block = self._open.update(sealed)
        if block[:8] != _HIGH_ZEROS:
            return None
        return int.from_bytes(block[8:], "big")


def _text(sealed: bytes) -> str:
    """16 bytes as 26 characters of RFC 4648 base32, lower case, without padding."""
    return base64.b32encode(sealed).decode("ascii").rstrip("=").lower()


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
    if text.isascii() and text.isdigit() and len(text) < 20 and int(text) < 2**64:
        return rid(int(text))
    return text


_ACTOR_ID = re.compile(r"\b(user|client):([0-9]{1,19})\b")


def actor_text(text: str) -> str:
    """An audit actor or detail with the ids of ``user:N`` and ``client:N`` as tokens."""
    return _ACTOR_ID.sub(lambda m: f"{m[1]}:{rid(int(m[2]))}" if int(m[2]) < 2**64 else m[0], text)


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
