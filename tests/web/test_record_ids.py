"""Record ids in URLs are opaque tokens (issue 19, item 6): a keyed permutation of the id
per deployment, refused (404, like a missing record) when forged, and never the digits."""

from __future__ import annotations

import base64
import random
import re
from pathlib import Path

import pytest

from smpstudio.clinic import TOKEN_PATTERN, ClinicConfig, RecordIds
from smpstudio.web import create_app
from tests.web.conftest import World, make_world, rid

EDGES = [0, 1, 2, 10**6, 2**31 - 1, 2**32, 2**63 - 1, 2**64 - 1]


def test_tokens_round_trip_over_a_million_ids_and_the_64_bit_edge() -> None:
    ids = RecordIds(bytes(range(16)))
    sample = random.Random(19).sample(range(1, 10**6 + 1), 20_000)
    tokens = {ids.encode(n): n for n in [*sample, *EDGES]}
    assert len(tokens) == len(sample) + len(EDGES)  # a permutation: no two ids share one
    for token, n in tokens.items():
        assert re.fullmatch(TOKEN_PATTERN, token)
        assert ids.decode(token) == n


def test_neighbouring_ids_share_no_visible_order() -> None:
    ids = RecordIds(bytes(16))
    tokens = [ids.encode(n) for n in range(1, 201)]
    assert tokens != sorted(tokens)
    assert len({t[:4] for t in tokens}) > 150


def test_ids_kept_as_text_and_actors_become_tokens() -> None:
    """An audit row's object id (text) and its actors ``user:N`` / ``client:N``: the audit
    page and the client export show their tokens; other text stays as it is."""
    ids = RecordIds(bytes(range(16)))
    assert ids.encode_text("12") == ids.encode(12)
    assert ids.encode_text("v3") == "v3"
    assert ids.encode_text("99999999999999999999") == "99999999999999999999"  # beyond 64 bits
    assert ids.encode_actors("client:7 via portal") == f"client:{ids.encode(7)} via portal"
    assert ids.encode_actors("user:12, owner") == f"user:{ids.encode(12)}, owner"
    assert ids.encode_actors("superuser:12 and user:x") == "superuser:12 and user:x"


def _flip(token: str, bit: int) -> str:
    raw = bytearray(base64.b32decode(token.upper() + "======"))
    raw[bit // 8] ^= 1 << (bit % 8)
    return base64.b32encode(bytes(raw)).decode().rstrip("=").lower()


def _one_letter_upper(token: str) -> str:
    at = next(i for i, char in enumerate(token) if char.isalpha())
    return token[:at] + token[at].upper() + token[at + 1 :]


def test_a_forged_token_decodes_to_nothing() -> None:
    ids = RecordIds(bytes(range(16)))
    token = ids.encode(12)
    last = token[-1]
    spare = "abcdefghijklmnopqrstuvwxyz234567"[("abcdefghijklmnopqrstuvwxyz234567".index(last)) | 1]
    forged = [
        "",
        "12",
        token[:-1],
        token + "a",
        token.upper(),
        _one_letter_upper(token),
        token[:-1] + "1",
        token[:-1] + spare,  # a spare bit of the last character set
        *(_flip(token, bit) for bit in range(128)),
    ]
    assert all(ids.decode(f) is None for f in forged if f != token)


def test_two_deployments_give_different_tokens(tmp_path: Path) -> None:
    worlds = [
        make_world(
            ClinicConfig.from_env(db=str(tmp_path / f"{n}.sqlite3"), data_dir=tmp_path), tmp_path
        )
        for n in range(2)
    ]
    try:
        first, second = (rid(w, 12) for w in worlds)
        assert first != second
        assert RecordIds(worlds[1].db.record_id_key()).decode(first) != 12
    finally:
        for w in worlds:
            w.close()
            w.db.close()


def test_tokens_are_stable_across_restarts(fresh_world: World) -> None:
    pid = fresh_world.a.patient_id
    before = rid(fresh_world, pid)
    again = create_app(fresh_world.db, accounts=fresh_world.accounts)
    assert rid(again, pid) == before
    with_again = World(
        fresh_world.db, fresh_world.accounts, again, fresh_world.a, fresh_world.b, fresh_world.tmp
    )
    c = with_again.as_role("owner")
    assert c.get(f"/studio/patients/{before}").status_code == 200
    with_again.close()


def test_forged_tokens_are_404_like_a_missing_record(world: World) -> None:
    c = world.as_role("owner")
    token = rid(world, world.a.patient_id)
    assert c.get(f"/studio/patients/{token}").status_code == 200
    missing = c.get(f"/studio/patients/{rid(world, 2**62)}")
    assert missing.status_code == 404
    for forged in (
        _flip(token, 3),
        _flip(token, 77),
        token[:-1],
        token.upper(),
        _one_letter_upper(token),
        str(world.a.patient_id),
        rid(world, 2**64 - 1),
    ):
        r = c.get(f"/studio/patients/{forged}")
        assert r.status_code == 404, (forged, r.url, r.text[:300])
        assert "There is nothing here, or it is not yours." in r.text


def test_another_clinics_token_is_404(world: World) -> None:
    b = world.as_role("owner", clinic="b")
    r = b.get(f"/studio/patients/{rid(world, world.a.patient_id)}")
    assert r.status_code == 404
    assert b.get(f"/studio/patients/{rid(world, world.b.patient_id)}").status_code == 200


@pytest.mark.parametrize("role", ["owner", "practitioner", "front-desk"])
def test_no_page_shows_a_record_id(world: World, role: str) -> None:
    c = world.as_role(role)
    pid = world.a.patient_id
    pages = [
        "/studio",
        "/studio/patients",
        "/studio/schedule",
        "/studio/leads",
        "/studio/stock",
        f"/studio/patients/{rid(world, pid)}",
        f"/studio/patients/{rid(world, pid)}/book",
    ]
    if role != "front-desk":
        pages += [
            f"/studio/patients/{rid(world, pid)}/sessions/new",
            f"/studio/patients/{rid(world, pid)}/patch-tests/new",
            f"/studio/patients/{rid(world, pid)}/gallery",
        ]
    if role == "owner":
        pages += ["/studio/team", "/studio/audit", f"/studio/patients/{rid(world, pid)}/export"]
    digits = re.compile(
        r"/(patients|bookings|photos|plans|lots|leads|payments|invoices|patch-tests)/\d+[\"/?#]"
        r"|(consent|plan)-\d+\.pdf|name=\"\w+_id\" value=\"\d+\""
    )
    for path in pages:
        r = c.get(path)
        assert r.status_code == 200, path
        assert not digits.search(r.text), (path, digits.search(r.text))
