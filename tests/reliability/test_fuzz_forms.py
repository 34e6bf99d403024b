"""Fuzz: web form fields (issue 9, item 1).

The public consultation request, the cost estimator, the candidacy self-check, "preview your
look", the sign-in and the studio's client form get arbitrary field values (unicode, control
characters, NUL, very long text, markup, numbers at their edges, repeated and unknown
fields, raw bodies that are not valid UTF-8) through the ASGI app, with a valid CSRF token.
The answer is never a 5xx: a page (200 / 303) or a clear 4xx, and nothing typed comes back
unescaped.

Each example is a new visitor address, so the per-address limits (40 renders, 5 requests a
minute) hold but do not end the fuzz after a few examples.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from smpstudio import InputError
from smpstudio.clinic import CONTRAINDICATIONS, ClinicConfig
from smpstudio.web._preview import PreviewParams
from tests.web.conftest import World, csrf_of, make_world, rid

from ._fuzz import HOSTILE_TEXT, assert_one_line, attempt, budget

MARK = "<script>zzfuzz</script>"
OK = {200, 303, 400, 401, 403, 404, 409, 413, 415, 422, 429}
_addresses = itertools.count(1)

TEXT = st.one_of(
    HOSTILE_TEXT.filter(lambda t: not any(0xD800 <= ord(c) <= 0xDFFF for c in t)),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=60),
    st.just(MARK),
    st.just("x" * 70_000),
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp: Path = tmp_path_factory.mktemp("fuzz-forms")
    made = make_world(ClinicConfig.from_env(db=str(tmp / "clinic.sqlite3"), data_dir=tmp), tmp)
    yield made
    made.close()
    made.db.close()


def visitor(world: World, path: str) -> tuple[TestClient, str]:
    """A new visitor (own address) on ``path``, with the form token of its cookie."""
    n = next(_addresses)
    client = TestClient(
        world.app,
        base_url="https://testserver",
        client=(f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}", 40000),
    )
    return client, csrf_of(client.get(path).text)


def _check(response_status: int, text: str, sent: dict[str, object]) -> None:
    assert response_status in OK, (response_status, text[:500])
    assert response_status < 500
    if any(isinstance(v, str) and MARK in v for v in sent.values()):
        assert MARK not in text


def _fields(names: list[str], extra: bool = True) -> st.SearchStrategy[dict[str, str]]:
    keys = st.sampled_from(names)
    if extra:
        keys = st.one_of(keys, st.text(max_size=10).filter(lambda k: k != "csrf_token"))
    return st.dictionaries(keys, TEXT, max_size=len(names) + 2)


PUBLIC_FORMS = {
    "/consultation": ["name", "email", "phone", "message", "stage", "contact_consent", "website"],
    "/cost": ["pattern", "hairline", "scar"],
    "/candidacy": [f"q_{q.key}" for q in CONTRAINDICATIONS],
    "/preview": ["pattern", "hairline", "skin", "hair"],
}
VALID = {
    "stage": ["norwood-5", "ludwig-2", ""],
    "pattern": ["norwood-4", "diffuse"],
    "hairline": ["soft", "defined"],
    "scar": ["", "fut", "fue"],
    "contact_consent": ["on"],
    "email": ["sam@example.com"],
    "name": ["Sam Lee"],
}


@st.composite
def public_post(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    path = draw(st.sampled_from(sorted(PUBLIC_FORMS)))
    values = draw(_fields(PUBLIC_FORMS[path]))
    for name in PUBLIC_FORMS[path]:
        if name.startswith("q_"):
            values.setdefault(name, draw(st.sampled_from(["yes", "no", "yes", "no", "maybe"])))
        elif name in VALID and draw(st.booleans()):
            values[name] = draw(st.sampled_from(VALID[name]))
    if path == "/preview" and values.get("pattern") in ("norwood-4", "diffuse"):
        values["skin"] = draw(TEXT)  # a render only when the colour is refused: keep it quick
    return path, values


@budget(60)
@given(case=public_post())
@example(case=("/consultation", {"name": "Sam", "email": "a@b", "contact_consent": "on"}))
@example(case=("/cost", {"pattern": "norwood-4", "hairline": "soft", "scar": "fue"}))
@example(case=("/preview", {"pattern": "norwood-4", "skin": "#zzzzzz"}))
@example(case=("/preview", {"pattern": "norwood-4", "skin": "#a07e56", "hair": "purple"}))
def test_public_forms_never_5xx(world: World, case: tuple[str, dict[str, str]]) -> None:
    path, values = case
    client, token = visitor(world, path)
    response = client.post(path, data={**values, "csrf_token": token}, follow_redirects=False)
    event(f"{path} {response.status_code}")
    _check(response.status_code, response.text, values)


RAW_BODIES = [
    b"name=%FF%FE%00&email=%C0%80&contact_consent=on",
    b"name=" + b"%00" * 1000,
    b"pattern=norwood-4&pattern=diffuse&hairline=soft&hairline=x",
    b"&&&===&&&",
    b"name",
    b"%",
    b"a=" + b"b" * 100_000,
    "name=Zoë&message=✓".encode(),
]


@pytest.mark.parametrize("body", RAW_BODIES)
@pytest.mark.parametrize("path", ["/consultation", "/cost", "/candidacy", "/preview"])
def test_raw_bodies(world: World, path: str, body: bytes) -> None:
    client, token = visitor(world, path)
    response = client.post(
        path,
        content=body + f"&csrf_token={token}".encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    _check(response.status_code, response.text, {})


@budget(20)
@given(
    name=st.one_of(TEXT, st.sampled_from(["a.jpg", "../../x.png", "", "x.heic", "\x00.jpg"])),
    data=st.one_of(st.binary(max_size=200), st.sampled_from([b"\xff\xd8\xff", b"GIF89a"])),
)
def test_preview_photo_uploads(world: World, name: str, data: bytes) -> None:
    client, token = visitor(world, "/preview")
    response = client.post(
        "/preview",
        data={"csrf_token": token, "pattern": "norwood-4"},
        files={"photo": (name or "x", data, "image/jpeg")},
        follow_redirects=False,
    )
    _check(response.status_code, response.text, {})


@budget(40)
@given(values=_fields(["email", "password", "next"]))
@example(values={"email": "x" * 10_000, "password": "\x00"})
@example(values={"next": "//evil.example/"})
def test_sign_in_never_5xx(world: World, values: dict[str, str]) -> None:
    client, token = visitor(world, "/studio/sign-in")
    response = client.post(
        "/studio/sign-in", data={**values, "csrf_token": token}, follow_redirects=False
    )
    event(f"sign-in {response.status_code}")
    _check(response.status_code, response.text, values)
    if response.status_code == 303:
        assert not re.match(r"(https?:)?//", response.headers["location"])


@pytest.fixture(scope="module")
def practitioner(world: World) -> tuple[TestClient, str]:
    client = world.as_role("practitioner")
    return client, csrf_of(client.get("/studio/patients/new").text)


PATIENT = ["given_name", "family_name", "date_of_birth", "email", "phone", "notes"]
DATES = st.one_of(
    TEXT,
    st.sampled_from(["1980-05-01", "0001-01-01", "9999-12-31", "1980-02-30", "2999-01-01"]),
    st.dates().map(str),
)


@budget(60)
@given(values=_fields(PATIENT), dob=DATES, edit=st.booleans())
@example(
    values={"given_name": "Sam", "family_name": "Lee", "notes": MARK}, dob="1980-05-01", edit=False
)
def test_studio_client_form_never_5xx(
    world: World,
    practitioner: tuple[TestClient, str],
    values: dict[str, str],
    dob: str,
    edit: bool,
) -> None:
    client, token = practitioner
    sent = {"given_name": "Sam", "family_name": "Lee", **values, "date_of_birth": dob}
    path = (
        f"/studio/patients/{rid(world, world.a.patient_id)}/edit"
        if edit
        else "/studio/patients/new"
    )
    response = client.post(path, data={**sent, "csrf_token": token}, follow_redirects=False)
    _check(response.status_code, response.text, sent)
    if response.status_code == 303:
        page = client.get(response.headers["location"])
        assert page.status_code == 200
        assert MARK not in page.text


PREVIEW_KEYS = [
    "pattern", "hairline", "shape", "height_cm", "temporal_rise_mm", "profile", "skin", "hair",
    "state", "size", "view", "scars", "areata", "seed",
]  # fmt: skip
JSON_ANY = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=20),
        st.sampled_from([10**400, "norwood-5", "soft", "#a07e56", "top", "healed", 512]),
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


@budget(150)
@given(data=st.dictionaries(st.sampled_from(PREVIEW_KEYS), JSON_ANY, max_size=6))
@example(data={"profile": [float("nan")] * 3})
@example(data={"size": 10**400})  # was: OverflowError, a 500 from /studio/preview
@example(data={"shape": ["rounded"]})
def test_designer_preview_parameters(data: dict[str, object]) -> None:
    """What the designer posts to /studio/preview (JSON) and saves as a design."""
    params, error = attempt(lambda: PreviewParams.parse(data), InputError)
    if params is None:
        assert_one_line(error)


@pytest.mark.parametrize("depth", [2_000, 15_000])
def test_designer_json_nested_too_deeply(
    world: World, practitioner: tuple[TestClient, str], depth: int
) -> None:
    """Found by the fuzz: json.loads' RecursionError was a 500 (preview) and unsaved (save)."""
    client, token = practitioner
    body = "[" * depth + "]" * depth
    response = client.post(
        "/studio/preview", content=body.encode(), headers={"x-csrf-token": token}
    )
    assert response.status_code in (413, 422), response.text[:300]
    response = client.post(
        f"/studio/patients/{rid(world, world.a.patient_id)}/designs",
        data={"csrf_token": token, "params": body},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith("/designer")
