"""The OpenAPI document (``GET /openapi.json``): exactly the router's routes, valid OpenAPI
3.1, served to anyone with the security headers, and its choices the handlers' own."""

from __future__ import annotations

import re

import jsonschema_rs
import pytest
import schemathesis
from starlette.routing import Mount, Route

from smpstudio.clinic import PHOTO_KINDS, PLAN_STATUSES, STAGES
from smpstudio.loss import PATTERN_NAMES
from smpstudio.web._openapi import openapi_document
from smpstudio.web._site import PATTERN_CHOICES
from tests.web.conftest import World, csrf_of

METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "trace"}


def router_operations(world: World) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every route of the app; HEAD follows GET and is not listed."""
    found: set[tuple[str, str]] = set()
    for route in world.app.routes:
        if isinstance(route, Route):
            path = re.sub(r"\{(\w+)(?::\w+)?\}", r"{\1}", route.path)
            found |= {(m.lower(), path) for m in route.methods or () if m != "HEAD"}
        elif isinstance(route, Mount):
            found.add(("get", route.path + "/{path}"))
        else:  # pragma: no cover - a new kind of route must be described here
            raise AssertionError(f"unknown route type {route!r}")
    return found


def document_operations(document: dict[str, object]) -> set[tuple[str, str]]:
    paths = document["paths"]
    assert isinstance(paths, dict)
    return {(m, path) for path, item in paths.items() for m in item if m in METHODS}


def test_the_document_lists_exactly_the_routes_of_the_router(world: World) -> None:
    routes = router_operations(world)
    documented = document_operations(openapi_document())
    assert len(routes) >= 57
    assert documented == routes, (
        f"routes not described: {sorted(routes - documented)}; "
        f"described but gone: {sorted(documented - routes)}"
    )


def test_every_path_parameter_of_a_route_is_described(world: World) -> None:
    document = openapi_document()
    for path, item in document["paths"].items():
        names = set(re.findall(r"\{(\w+)\}", path))
        for method, op in item.items():
            described = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert described == names, (method, path, described)


def test_the_document_is_valid_openapi_3_1() -> None:
    document = openapi_document()
    assert document["openapi"] == "3.1.0"
    loaded = schemathesis.openapi.from_dict(document)
    loaded.validate()  # against the OpenAPI 3.1 meta-schema; raises when invalid
    assert len(list(loaded.get_all_operations())) == len(document_operations(document))


def test_a_broken_document_is_refused_by_the_validation() -> None:
    document = openapi_document()
    document["paths"]["/"]["get"]["responses"] = "none"
    with pytest.raises(jsonschema_rs.ValidationError):
        schemathesis.openapi.from_dict(document).validate()


def test_it_is_served_to_anyone_as_json_with_the_security_headers(world: World) -> None:
    r = world.client().get("/openapi.json")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.json() == openapi_document()
    # An interface description only: no clinic's name or any client in it.
    assert world.a.records.clinic_name not in r.text
    assert world.a.records.patient(world.a.patient_id).given_name not in r.text


def test_its_choices_are_the_handlers_own() -> None:
    paths = openapi_document()["paths"]

    def form(path: str, method: str = "post") -> dict[str, dict[str, object]]:
        content = paths[path][method]["requestBody"]["content"]
        media = next(iter(content.values()))
        properties: dict[str, dict[str, object]] = media["schema"]["properties"]
        return properties

    assert form("/cost")["pattern"]["enum"] == [key for key, _ in PATTERN_CHOICES]
    assert form("/consultation")["stage"]["enum"] == ["", *STAGES]
    assert form("/studio/patients/{patient_id}/photos")["kind"]["enum"] == list(PHOTO_KINDS)
    status = form("/studio/patients/{patient_id}/plans/{plan_id}/status")["status"]
    assert status["enum"] == list(PLAN_STATUSES)
    preview = paths["/studio/preview"]["post"]["requestBody"]["content"]["application/json"]
    assert preview["schema"]["properties"]["pattern"]["enum"] == list(PATTERN_NAMES)


def test_the_sign_in_documents_the_refusal_of_a_nul_character(world: World) -> None:
    """Schemathesis found it: a NUL in the e-mail is refused with 422 (the database cannot
    store it; the same clear message on both back ends), which the document did not list."""
    visitor = world.client()
    token = csrf_of(visitor.get("/studio/sign-in").text)
    r = visitor.post(
        "/studio/sign-in",
        data={"csrf_token": token, "email": "a\x00@b.example", "password": "p"},
        follow_redirects=False,
    )
    responses = openapi_document()["paths"]["/studio/sign-in"]["post"]["responses"]
    assert str(r.status_code) in responses
    assert r.status_code == 422
