"""Record ids as opaque tokens: what a browser, a client's export or any other reader outside
the database sees instead of the sequential integer keys (issue 19).

The token of id ``n`` is AES-128 of one block (8 zero bytes, then ``n`` as a big-endian
64-bit integer) under the installation's key (``Database.record_id_key``, made by migration
0011 and carried by backup and restore), written as 26 lowercase base32 characters: a keyed
permutation, so two ids never share a token and neighbouring ids look unrelated, and a clinic
cannot read from its tokens how many records the deployment holds or how fast they grow.

Decoding refuses anything else — not 26 base32 characters, a non-canonical spelling, or a
block whose upper 8 bytes do not decrypt to zero (one forged token in 2⁶⁴ passes that
check, and then names a record of someone else or none: the clinic scoping still refuses
it). The web glue (URL convertor, template filter, the request's key) is
``smpstudio.web._ids``; the client export (``_export``) writes its ids with the same key.
"""

from __future__ import annotations

import base64
import re
import threading

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = ["NOT_A_RECORD", "TOKEN_LENGTH", "TOKEN_PATTERN", "TOKEN_REGEX", "RecordIds"]

TOKEN_LENGTH = 26
TOKEN_REGEX = f"[a-z2-7]{{{TOKEN_LENGTH}}}"
TOKEN_PATTERN = f"^{TOKEN_REGEX}$"
"""What a record token looks like (the OpenAPI description's pattern)."""
NOT_A_RECORD = 2**64
"""The id a refused token stands for: beyond every 64-bit key, so it is never found."""
_TOKEN = re.compile(TOKEN_PATTERN)
_HIGH_ZEROS = bytes(8)
_ACTOR_ID = re.compile(r"\b(user|client):([0-9]{1,19})\b")


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

    def encode_text(self, text: str) -> str:
        """A record id kept as text (an audit row's object id): its token; other text as
        is."""
        if text.isascii() and text.isdigit() and len(text) < 20 and int(text) < 2**64:
            return self.encode(int(text))
        return text

    def encode_actors(self, text: str) -> str:
        """An audit actor or detail with the ids of ``user:N`` and ``client:N`` as tokens."""
        return _ACTOR_ID.sub(
            lambda m: f"{m[1]}:{self.encode(int(m[2]))}" if int(m[2]) < 2**64 else m[0], text
        )


def _text(sealed: bytes) -> str:
    """16 bytes as 26 characters of RFC 4648 base32, lower case, without padding."""
    return base64.b32encode(sealed).decode("ascii").rstrip("=").lower()
