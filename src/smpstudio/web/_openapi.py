"""The OpenAPI 3.1 description of the web app's HTTP interface, served at ``/openapi.json``.

Every route of the app is here — the public site, the studio's pages and forms, the
designer's JSON preview and the downloads (JPEG, PNG, PDF, calendar) — with the parameters,
form fields and answers the handlers really have: enumerations are read from the same
constants the handlers check against, so the document cannot offer a choice the studio
refuses. ``tests/web/test_openapi.py`` checks that it lists exactly the router's routes and
is valid OpenAPI 3.1; ``tests/reliability/test_api_contract.py`` runs schemathesis against
it.

The document describes the interface only (paths, fields, limits, status codes): no record,
name or setting of any clinic, so it is served to anyone, like the public pages' forms
that already show the same fields.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smpstudio._design import HAIR_LENGTH_RANGE_MM
from smpstudio.clinic import (
    CHANNELS,
    CONSENT_KINDS,
    CONSULTATION_REASONS,
    CONTRAINDICATION_KEYS,
    DEPOSIT_KINDS,
    DILUTION_ZONES,
    LEAD_STATUSES,
    PAYMENT_KINDS,
    PAYMENT_METHODS,
    PHOTO_KINDS,
    PLAN_STATUSES,
    REACTIONS,
    REPORTS,
    ROLES,
    STAGES,
    STOCK_KINDS,
    TOKEN_PATTERN,
    TOKEN_REGEX,
)
from smpstudio.clinic import PHOTO_VIEWS as CLINICAL_PHOTO_VIEWS
from smpstudio.colour import DilutionTable
from smpstudio.hairline import HAIRLINE_SHAPES, HAIRLINE_STYLES
from smpstudio.head import AGE_RANGE_YEARS, SEXES
from smpstudio.loss import PATTERN_NAMES
from smpstudio.photo._live import MAX_HAIRLINE_POINTS
from smpstudio.render import PHOTO_VIEWS
from smpstudio.web._http import MAX_RECORD_ID
from smpstudio.web._photo_service import (
    DENSITY_RANGE,
    MAX_STROKE_POINTS,
    MAX_STROKES,
    PHOTO_STATES,
    RADIUS_RANGE,
)
from smpstudio.web._preview import HEADS, HEIGHT_RANGE_CM, PROFILE_RANGE, RISE_RANGE_MM, SIZES
from smpstudio.web._site import PATTERN_CHOICES

__all__ = ["MAX_ID", "openapi_document", "routes"]

MAX_ID = MAX_RECORD_ID
"""Largest record id (64-bit keys); a larger one in a path is simply not found (404)."""

Schema = dict[str, Any]

SESSION_COOKIE = "__Host-smp_session"
FORM_COOKIE = "__Host-smp_form"
PORTAL_COOKIE = "__Host-smp_portal"

# Values the public site offers (its handlers check against the same list).
SITE_PATTERNS = tuple(key for key, _ in PATTERN_CHOICES)

# --- building blocks ---------------------------------------------------------------------


def _string(max_length: int | None = None, **extra: Any) -> Schema:
    schema: Schema = {"type": "string", **extra}
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


def _enum(values: tuple[str, ...] | list[str], **extra: Any) -> Schema:
    return {"type": "string", "enum": list(values), **extra}


DATE = _string(format="date", description="A date like 2027-03-02.")
TIME = _string(pattern="^([01][0-9]|2[0-3]):[0-5][0-9]$", description="A time like 10:00.")
DIGITS = _string(pattern="^[0-9]+$", description="A whole number.")
RECORD = _string(pattern=TOKEN_PATTERN, description="A record's token (``smpstudio.web._ids``).")
NUMBER = _string(pattern="^-?[0-9]{1,6}([.,][0-9]{1,2})?$", description="An amount like 15 or 2.5.")
CHECKBOX = _enum(("on",), description="Sent (as `on`) when the box is ticked.")
HEX = _string(pattern="^#[0-9a-fA-F]{6}$", description="A colour like #d7bd96.")
HAIR = _enum(tuple(DilutionTable.default().hair_colours))


def _html(description: str) -> Schema:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


def _redirect(description: str) -> Schema:
    return {
        "description": description,
        "headers": {"Location": {"required": True, "schema": {"type": "string"}}},
    }


def _binary(description: str, *media_types: str) -> Schema:
    return {
        "description": description,
        "content": {m: {"schema": {"type": "string", "format": "binary"}} for m in media_types},
    }


def _form(
    properties: dict[str, Schema],
    *,
    required: tuple[str, ...] = (),
    media_types: tuple[str, ...] = ("application/x-www-form-urlencoded",),
    encoding: dict[str, Schema] | None = None,
) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    content: Schema = {}
    for media_type in media_types:
        entry: Schema = {"schema": schema}
        if encoding and media_type == "multipart/form-data":
            entry["encoding"] = encoding
        content[media_type] = entry
    return {"required": True, "content": content}


def _id(name: str, what: str) -> Schema:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": (
            f"The {what}'s token: its id as 26 opaque characters, which tell nothing of how "
            "many records there are (another clinic's, a forged one, or none: 404)."
        ),
        "schema": RECORD,
    }


def _query(name: str, schema: Schema, description: str) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


# Answers every public form can give besides its own.
_PUBLIC_POST = {
    "400": _html("The form could not be read (malformed, or more than 200 fields)."),
    "403": _html(
        "The form's token does not match the visitor's form cookie, or the request "
        "came from another site."
    ),
    "413": _html("The body is larger than the studio accepts (26 MiB)."),
}
# Answers every staff page can give besides its own.
_STAFF_GET = {
    "303": _redirect("Not signed in (to the sign-in page), or the password must be changed first."),
    "403": _html("The signed-in role does not give access to this page."),
}
_STAFF_POST = {
    "303": _redirect("Done, or refused with a message shown on the page it leads to."),
    "400": _html("The form could not be read (malformed, or more than 200 fields)."),
    "401": _html("Not signed in (or the session ended)."),
    "403": _html("Wrong role, a missing or wrong CSRF token, or a request from another site."),
    "413": _html("The body is larger than the studio accepts (26 MiB)."),
}
_UNAVAILABLE = {
    **_html(
        "The database cannot be reached (or is too busy), or the studio is at its limit of "
        "heavy work (renders, photos, plans, PDFs) or the request used up its computing time: "
        "nothing was saved; try again after Retry-After seconds."
    ),
    "headers": {"Retry-After": {"schema": {"type": "string"}}},
}
_NOT_FOUND = {"404": _html("No such record in the signed-in user's clinic.")}
_PAGE = {"200": _html("The page.")}
_REFUSED = {"422": _html("Refused: the page again with what is wrong.")}

Security = list[dict[str, list[str]]]
_STAFF_SECURITY: Security = [{"session": []}]
_CHANGE_SECURITY: Security = [{"session": [], "csrfHeader": []}]
_VISITOR_SECURITY: Security = [{"formCookie": []}]
_CSRF_FIELD = _string(
    description="The session's CSRF token (staff; or the X-CSRF-Token header) or the value "
    "of the visitor's form cookie (public forms)."
)


def _op(
    summary: str,
    tag: str,
    responses: dict[str, Schema],
    *,
    parameters: list[Schema] | None = None,
    body: Schema | None = None,
    security: Security | None = None,
    database: bool = True,
) -> Schema:
    if database:
        responses = {"503": _UNAVAILABLE, **responses}
    op: Schema = {"summary": summary, "tags": [tag], "responses": responses}
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = body
    op["security"] = security if security is not None else []
    return op


def _public_page(summary: str) -> Schema:
    return _op(summary, "site", dict(_PAGE))


def _public_form(
    summary: str, properties: dict[str, Schema], responses: dict[str, Schema], **kw: Any
) -> Schema:
    body = _form({"csrf_token": _CSRF_FIELD, **properties}, required=("csrf_token",), **kw)
    return _op(
        summary, "site", {**_PUBLIC_POST, **responses}, body=body, security=_VISITOR_SECURITY
    )


def _staff_page(
    summary: str,
    tag: str,
    *,
    ids: tuple[Schema, ...] = (),
    query: tuple[Schema, ...] = (),
    ok: Schema | None = None,
    extra: dict[str, Schema] | None = None,
) -> Schema:
    responses = {"200": ok or _html("The page."), **_STAFF_GET, **(extra or {})}
    if ids:
        responses.update(_NOT_FOUND)
    return _op(summary, tag, responses, parameters=[*ids, *query], security=_STAFF_SECURITY)


def _staff_form(
    summary: str,
    tag: str,
    properties: dict[str, Schema],
    responses: dict[str, Schema],
    *,
    ids: tuple[Schema, ...] = (),
    required: tuple[str, ...] = (),
    **kw: Any,
) -> Schema:
    body = _form({"csrf_token": _CSRF_FIELD, **properties}, required=required, **kw)
    all_responses = {**_STAFF_POST, **responses}
    if ids:
        all_responses.update(_NOT_FOUND)
    return _op(
        summary, tag, all_responses, parameters=list(ids), body=body, security=_CHANGE_SECURITY
    )


# --- the document --------------------------------------------------------------------------


def _json_error(description: str) -> Schema:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}},
                }
            }
        },
    }


def _live_preview(
    summary: str,
    request: Schema,
    ok: Schema,
    refusal: dict[str, Schema],
    *,
    parameters: list[Schema] | None = None,
    extra: dict[str, Schema] | None = None,
) -> Schema:
    """A designer's live preview: the design as JSON in, the image out (``ok``), 204 when a
    newer request of the same tab made it stale, the answers of a signed-in change, the
    ``refusal`` (its status code in order among those) and then any ``extra`` answers."""
    common: dict[str, Schema] = {
        "200": ok,
        "204": {"description": "A newer request of the same tab made this stale."},
        "401": _html("Not signed in."),
        "403": _html("Wrong role, a missing or wrong X-CSRF-Token, another site."),
        "413": _html("The body is larger than the studio accepts (26 MiB)."),
    }
    responses = {**dict(sorted({**common, **refusal}.items())), **(extra or {})}
    return _op(
        summary,
        "designer",
        responses,
        parameters=parameters,
        body={"required": True, "content": {"application/json": {"schema": request}}},
        security=_CHANGE_SECURITY,
    )


def _photo_preview_request() -> Schema:
    point = {
        "type": "array",
        "items": {"type": "number", "minimum": 0},
        "minItems": 2,
        "maxItems": 2,
        "description": "[x, y] in pixels of the working image (the before image's).",
    }
    low, high = DENSITY_RANGE
    return {
        "type": "object",
        "required": ["points", "skin"],
        "properties": {
            "client": _string(description="A key per browser tab (first 40 characters used)."),
            "points": {
                "type": "array",
                "items": point,
                "minItems": 2,
                "maxItems": MAX_HAIRLINE_POINTS,
                "description": "The hairline, from the client's right to the left.",
            },
            "skin": HEX,
            "style": _enum(tuple(HAIRLINE_STYLES), description="[soft]"),
            "density": {"type": "number", "minimum": low, "maximum": high},
            "hair": HAIR,
            "state": _enum(PHOTO_STATES, description="[healed]"),
            "strokes": {
                "type": "array",
                "maxItems": MAX_STROKES,
                "description": f"Painted areas; at most {MAX_STROKE_POINTS} points in all.",
                "items": {
                    "type": "object",
                    "required": ["mode", "radius", "points"],
                    "properties": {
                        "mode": _enum(("add", "remove")),
                        "radius": {
                            "type": "number",
                            "minimum": RADIUS_RANGE[0],
                            "maximum": RADIUS_RANGE[1],
                        },
                        "points": {"type": "array", "items": point, "minItems": 1},
                    },
                },
            },
        },
    }


def _preview_request() -> Schema:
    low, high = PROFILE_RANGE
    return {
        "type": "object",
        "description": "A design and a look; every key is optional (defaults in brackets).",
        "properties": {
            "client": _string(description="A key per browser tab (first 40 characters used)."),
            "pattern": _enum(PATTERN_NAMES, description="[norwood-5]"),
            "hairline": _enum(tuple(HAIRLINE_STYLES), description="[soft]"),
            "shape": {
                "anyOf": [_enum((*HAIRLINE_SHAPES, "custom")), {"type": "null"}],
                "description": "The hairline's shape (custom: the profile's).",
            },
            "height_cm": {
                "type": "number",
                "minimum": HEIGHT_RANGE_CM[0],
                "maximum": HEIGHT_RANGE_CM[1],
                "description": "Mid-frontal point above the glabella [8].",
            },
            "temporal_rise_mm": {
                "anyOf": [
                    {"type": "number", "minimum": RISE_RANGE_MM[0], "maximum": RISE_RANGE_MM[1]},
                    {"type": "null"},
                ],
            },
            "hair_length_mm": {
                "anyOf": [
                    {
                        "type": "number",
                        "minimum": HAIR_LENGTH_RANGE_MM[0],
                        "maximum": HAIR_LENGTH_RANGE_MM[1],
                    },
                    {"type": "null"},
                ],
                "description": "Length of the client's remaining hair; null: the pattern's "
                "default (150 mm for Ludwig and diffuse thinning, shaved otherwise).",
            },
            "profile": {
                "anyOf": [
                    {
                        "type": "array",
                        "items": {"type": "number", "minimum": low, "maximum": high},
                        "minItems": 3,
                        "maxItems": 3,
                    },
                    {"type": "null"},
                ],
                "description": "The control points' shares of the temporal rise.",
            },
            "head": _enum(HEADS, description="[M]"),
            "sex": _enum(SEXES, description="The face under the scalp [male]."),
            "age_years": {
                "type": "number",
                "minimum": AGE_RANGE_YEARS[0],
                "maximum": AGE_RANGE_YEARS[1],
                "description": "The client's age, for the face [35].",
            },
            "seed": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
            "scars": {"type": "array", "items": _enum(("fut", "fue")), "maxItems": 4},
            "skin": HEX,
            "hair": HAIR,
            "state": _string(pattern="^(before|fresh|healed|year-([0-9]|1[0-9]|20))$"),
            "view": _enum(PHOTO_VIEWS, description="[front]"),
            "size": {"type": "integer", "enum": list(SIZES)},
        },
    }


def _report_paths() -> dict[str, Schema]:
    """A page and a CSV per declared report (smpstudio.clinic.REPORTS)."""
    period = (
        _query("start", DATE, "The first day (default: the first of the month 11 months ago)."),
        _query("end", DATE, "The last day, included (default: today)."),
    )
    bad = {"422": _html("A date that cannot be read, a start after the end, over five years.")}
    paths: dict[str, Schema] = {
        "/studio/reports": {"get": _staff_page("The reports there are.", "reports")}
    }
    for report in REPORTS:
        path = f"/studio/reports/{report.slug}"
        paths[path] = {
            "get": _staff_page(
                f"{report.title}: chart and table over a period (an audited read).",
                "reports",
                query=period,
                extra=bad,
            )
        }
        paths[f"{path}.csv"] = {
            "get": _staff_page(
                f"{report.title} as CSV (an audited read).",
                "reports",
                query=period,
                ok=_binary("The CSV file (an attachment).", "text/csv"),
                extra=bad,
            )
        }
    return paths


def _paths() -> dict[str, Schema]:
    p = "/studio/patients/{patient_id}"
    patient = _id("patient_id", "client")
    plan = _id("plan_id", "plan")

    def plan_file(summary: str, ok: Schema) -> Schema:
        """A file made from a saved plan (PDF, calendar)."""
        refused = {"422": _html("The plan was not made in the studio.")}
        return {"get": _staff_page(summary, "plans", ids=(patient, plan), ok=ok, extra=refused)}

    questions = {f"q_{key}": _enum(("yes", "no")) for key in CONTRAINDICATION_KEYS}
    photo_upload = {
        "photo": _string(format="binary", description="JPEG, PNG, WebP or HEIC; 50 MP at most."),
    }
    look_fields = {
        "pattern": _enum(SITE_PATTERNS),
        "hairline": _enum(tuple(HAIRLINE_STYLES)),
        "skin": HEX,
        "hair": HAIR,
    }
    patient_fields = {
        "given_name": _string(100),
        "family_name": _string(100),
        "date_of_birth": DATE,
        "email": _string(254, format="email"),
        "phone": _string(40),
        "notes": _string(10_000),
    }
    patient_required = ("given_name", "family_name", "date_of_birth")
    consultation_fields: dict[str, Schema] = {
        "step": _enum(("1", "2", "3")),
        "back": _string(10),
        "held_on": DATE,
        "reasons": {"type": "array", "items": _enum(CONSULTATION_REASONS)},
        "practitioner_id": RECORD,
        "stage": _enum(("", *STAGES)),
        "notes": _string(10_000),
        **questions,
    }
    for kind in CONSENT_KINDS:
        consultation_fields[f"consent_{kind}"] = _enum(("", "granted", "refused"))
        consultation_fields[f"signed_{kind}"] = _string(200)
    session_fields: dict[str, Schema] = {
        "practitioner_id": RECORD,
        "performed_on": DATE,
        "duration_minutes": _string(pattern="^[0-9]{1,4}$"),
        "needle_lots": _string(1000, description="One lot a line (or comma-separated)."),
        "opened_in_front": CHECKBOX,
        "anaesthetic_offered": CHECKBOX,
        "anaesthetic_used": CHECKBOX,
        "anaesthetic_product": _string(100),
        "pain_score": _string(pattern="^([0-9]|10)?$"),
        "notes": _string(10_000),
        "booking_id": RECORD,
        "plan_id": RECORD,
        "session_number": DIGITS,
        "start_time": TIME,
        "patch_test_override": _string(
            2000,
            description="Why a first session goes ahead without a clean patch test (audited).",
        ),
    }
    for i in (1, 2, 3):
        session_fields |= {
            f"brand_{i}": _string(100),
            f"batch_{i}": _string(64),
            f"expires_{i}": DATE,
            f"water_ml_{i}": _string(pattern="^[0-9]{1,2}([.,][0-9]{1,2})?$"),
            f"pigment_ml_{i}": _string(pattern="^[0-9]{1,2}([.,][0-9]{1,2})?$"),
            f"used_ml_{i}": _string(
                pattern="^[0-9]{0,3}([.,][0-9]{1,2})?$",
                description="mL drawn from the bottle, taken from the lot in stock.",
            ),
            f"zone_{i}": _enum(DILUTION_ZONES),
            f"dilution_reason_{i}": _string(
                2000, description="Why the mix departs from the chart's dilution (recorded)."
            ),
        }
    patch_test_fields = {
        "practitioner_id": RECORD,
        "day": DATE,
        "time": TIME,
        "site": _string(100),
        "brand": _string(100),
        "batch": _string(64),
        "expires_on": DATE,
        "notes": _string(10_000),
    }
    reading_fields = {
        "practitioner_id": RECORD,
        "day": DATE,
        "time": TIME,
        "reaction": _enum(REACTIONS),
        "notes": _string(10_000),
    }
    patch_test = _id("patch_test_id", "patch test")
    team_fields = {
        "action": _enum(
            (
                "add-user",
                "update-user",
                "reset-password",
                "add-practitioner",
                "add-room",
                "publish-form",
            )
        ),
        "full_name": _string(200),
        "email": _string(254, format="email"),
        "role": _enum(ROLES),
        "practitioner_id": RECORD,
        "user_id": RECORD,
        "active": _enum(("yes", "no")),
        "certification_body": _string(200),
        "certification_number": _string(100),
        "certified_on": DATE,
        "attestation": _string(200),
        "attested_on": DATE,
        "start": TIME,
        "end": TIME,
        "weekday": {"type": "array", "items": _enum(tuple(str(d) for d in range(7)))},
        "name": _string(100),
        "kind": _enum(CONSENT_KINDS),
        "title": _string(200),
        "body": _string(100_000),
    }
    image = _binary("The image (JPEG).", "image/jpeg")
    return {
        # --- the public site ---
        "/": {"get": _public_page("What SMP is (the clinic's home page).")},
        "/look/hero.jpg": {
            "get": _op(
                "The home page's illustration (a rendered healed SMP).", "site", {"200": image}
            )
        },
        "/candidacy": {
            "get": _public_page("The candidacy self-check (nothing is stored)."),
            "post": _public_form(
                "Check the answers: the outcome and what each answer means.",
                questions,
                {"200": _html("The outcome."), "422": _html("Some questions are unanswered.")},
            ),
        },
        "/cost": {
            "get": _public_page("The cost estimator."),
            "post": _public_form(
                "Estimate the cost of SMP and of a transplant for a hair loss and hairline.",
                {
                    "pattern": _enum(SITE_PATTERNS),
                    "hairline": _enum(tuple(HAIRLINE_STYLES)),
                    "scar": _enum(("", "fut", "fue")),
                },
                {
                    "200": _html("The estimate."),
                    "422": _html("A choice is missing or unknown."),
                    "429": _html("Too many estimates and previews from this address a minute."),
                },
            ),
        },
        "/preview": {
            "get": _public_page("Preview your look."),
            "post": _public_form(
                "Before and healed renders for a hair loss, hairline and skin tone; a photo, "
                "if sent, is read for its skin tone in memory and never stored.",
                {**look_fields, **photo_upload},
                {
                    "200": _html("The page with both renders inline."),
                    "415": _html("The photo is not an accepted image format."),
                    "422": _html("A choice is unknown, or the photo cannot be used."),
                    "429": _html("Too many estimates and previews from this address a minute."),
                },
                media_types=("multipart/form-data", "application/x-www-form-urlencoded"),
                encoding={"photo": {"contentType": "image/jpeg, image/png, image/webp"}},
            ),
        },
        "/consultation": {
            "get": _public_page("The consultation request form."),
            "post": _public_form(
                "Ask for a consultation (kept as a request only with consent to be contacted).",
                {
                    "name": _string(200),
                    "email": _string(254, format="email"),
                    "phone": _string(40),
                    "message": _string(2000),
                    "stage": _enum(("", *STAGES)),
                    "contact_consent": CHECKBOX,
                    "website": _string(100, description="Left empty by people (a robot trap)."),
                },
                {
                    "200": _html("Thank you."),
                    "422": _html("A name and a way to reply, and consent, are needed."),
                    "429": _html("Several requests from this address within a minute."),
                    "503": {
                        **_html("The clinic is not set up yet, or the database cannot be reached."),
                        "headers": {"Retry-After": {"schema": {"type": "string"}}},
                    },
                },
            ),
        },
        "/contact": {"get": _public_page("The clinic's address, phone and e-mail.")},
        "/static/{path}": {
            "get": _op(
                "The studio's style sheet, script and icon (versioned by a content hash).",
                "site",
                {
                    "200": _binary("The file.", "text/css", "text/javascript", "image/svg+xml"),
                    "404": _html("No such file."),
                },
                database=False,
                parameters=[
                    {
                        "name": "path",
                        "in": "path",
                        "required": True,
                        "schema": _string(200, minLength=1),
                    }
                ],
            )
        },
        "/openapi.json": {
            "get": _op(
                "This description of the HTTP interface (no data of any clinic).",
                "site",
                {
                    "200": {
                        "description": "OpenAPI 3.1.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["openapi", "info", "paths"],
                                }
                            }
                        },
                    }
                },
                database=False,
            )
        },
        # --- signing in ---
        "/studio/sign-in": {
            "get": _op(
                "The sign-in page.",
                "account",
                {"200": _html("The form."), "303": _redirect("Signed in already: the studio.")},
                parameters=[_query("next", _string(200), "A studio page to go to afterwards.")],
            ),
            "post": _op(
                "Sign in with e-mail and password.",
                "account",
                {
                    **_PUBLIC_POST,
                    "303": _redirect("Signed in (on to the second step when it is on)."),
                    "401": _html("The e-mail address or the password is not right."),
                    "422": _html(
                        "Refused: the e-mail address holds a character no address can have "
                        "(NUL), which the database cannot store."
                    ),
                    "429": {
                        **_html("Too many failures for the account or the address."),
                        "headers": {"Retry-After": {"schema": {"type": "string"}}},
                    },
                },
                body=_form(
                    {
                        "csrf_token": _CSRF_FIELD,
                        "email": _string(254),
                        "password": _string(512),
                        "next": _string(200),
                    },
                    required=("csrf_token",),
                ),
                security=_VISITOR_SECURITY,
            ),
        },
        "/studio/sign-in/code": {
            "get": _op(
                "The second step (TOTP code) of a sign-in.",
                "account",
                {"200": _html("The form."), "303": _redirect("No sign-in waits for a code.")},
            ),
            "post": _op(
                "Finish a sign-in with the code from the authenticator app.",
                "account",
                {
                    **_PUBLIC_POST,
                    "303": _redirect("Signed in, or no sign-in waits for a code."),
                    "401": _html("The code is not right."),
                    "429": _html("Too many wrong codes."),
                },
                body=_form(
                    {"csrf_token": _CSRF_FIELD, "code": _string(10)}, required=("csrf_token",)
                ),
                security=_VISITOR_SECURITY,
            ),
        },
        "/studio/sign-out": {
            "post": _staff_form("Sign out (the session ends on the server).", "account", {}, {})
        },
        "/studio/account": {"get": _staff_page("One's own account.", "account")},
        "/studio/account/password": {
            "get": _staff_page("The password form.", "account"),
            "post": _staff_form(
                "Change one's password (every other session ends).",
                "account",
                {
                    "current_password": _string(512),
                    "new_password": _string(512),
                    "new_password_again": _string(512),
                },
                _REFUSED,
            ),
        },
        "/studio/account/two-step": {
            "get": _staff_page(
                "Turn on two-step sign-in: a new secret and its QR code.", "account"
            ),
            "post": _staff_form(
                "Turn two-step sign-in on (secret and a code) or off (action=disable, password).",
                "account",
                {
                    "action": _enum(("enable", "disable")),
                    "secret": _string(64, pattern="^[A-Z2-7]*$"),
                    "code": _string(10),
                    "password": _string(512),
                },
                {"400": _html("The secret is missing or malformed: start again."), **_REFUSED},
            ),
        },
        # --- the studio: clients ---
        "/studio": {
            "get": _staff_page("Today: the week's sessions, requests, follow-ups.", "studio")
        },
        "/studio/patients": {
            "get": _staff_page("The clients.", "clients"),
            "post": _staff_form(
                "Search the clients by name (POSTed: no name in a URL).",
                "clients",
                {"q": _string(100)},
                {"200": _html("The clients found."), "422": _html("The search is not a name.")},
            ),
        },
        "/studio/patients/new": {
            "get": _staff_page("The new-client form.", "clients"),
            "post": _staff_form(
                "Add a client.",
                "clients",
                patient_fields,
                _REFUSED,
                required=patient_required,
            ),
        },
        p: {"get": _staff_page("A client's record.", "clients", ids=(patient,))},
        p + "/edit": {
            "get": _staff_page("Edit a client's details.", "clients", ids=(patient,)),
            "post": _staff_form(
                "Save a client's details.",
                "clients",
                patient_fields,
                _REFUSED,
                ids=(patient,),
                required=patient_required,
            ),
        },
        p + "/consultation": {
            "get": _staff_page("The consultation wizard, step 1.", "clinical", ids=(patient,)),
            "post": _staff_form(
                "The next step of the consultation wizard (step 3 saves it).",
                "clinical",
                consultation_fields,
                {"200": _html("The next step."), **_REFUSED},
                ids=(patient,),
            ),
        },
        p + "/photos": {
            "post": _staff_form(
                "Store a clinical photo (cleaned and re-encoded; no metadata kept).",
                "clinical",
                {
                    "kind": _enum(PHOTO_KINDS),
                    "view": _enum(("", *CLINICAL_PHOTO_VIEWS)),  # "": not said
                    **photo_upload,
                },
                {
                    "415": _html("Not an accepted image format."),
                    "422": _html("The image cannot be used (too large, truncated)."),
                },
                ids=(patient,),
                media_types=("multipart/form-data",),
                encoding={"photo": {"contentType": "image/jpeg, image/png, image/webp"}},
            )
        },
        p + "/gallery": {
            "get": _staff_page("Before and after: renders and photos.", "clinical", ids=(patient,))
        },
        p + "/photos/compare": {
            "get": _staff_page(
                "Two photos of one view of the head, one over the other with a divider.",
                "clinical",
                ids=(patient,),
                query=(
                    _query(
                        "view",
                        _enum(("", *CLINICAL_PHOTO_VIEWS)),
                        "The view (default: one with photos).",
                    ),
                    _query(
                        "a",
                        {"type": "string", "pattern": f"^({TOKEN_REGEX})?$"},
                        "The left photo (default: the earliest of the view).",
                    ),
                    _query(
                        "b",
                        {"type": "string", "pattern": f"^({TOKEN_REGEX})?$"},
                        "The right photo (default: the latest of the view).",
                    ),
                ),
                extra=_REFUSED,
            )
        },
        p + "/photos/series": {
            "get": _staff_page(
                "The client's latest design on every photo of a visit: before and after of "
                "each, one skin reading, one pigment and one hairline height for all.",
                "clinical",
                ids=(patient,),
                query=(
                    _query(
                        "photos",
                        {"type": "string", "pattern": f"^{TOKEN_REGEX}(,{TOKEN_REGEX}){{0,5}}$|^$"},
                        "The photos' tokens, comma-separated, at most 6 (default: the latest "
                        "visit's).",
                    ),
                ),
                extra=_REFUSED,
            )
        },
        "/studio/photos/{photo_id}/view": {
            "post": _staff_form(
                "Say which view of the head a stored photo shows.",
                "clinical",
                {"view": _enum(("", *CLINICAL_PHOTO_VIEWS))},
                {"303": _redirect("To the comparison of that view."), **_REFUSED},
                ids=(_id("photo_id", "photo"),),
            )
        },
        "/studio/photos/{photo_id}": {
            "get": _staff_page(
                "A stored photo.",
                "clinical",
                ids=(_id("photo_id", "photo"),),
                ok=_binary("The photo.", "image/jpeg", "image/png", "image/webp"),
            )
        },
        # --- the designer ---
        "/studio/preview": {
            "post": _live_preview(
                "The designer's live preview (design and look as JSON, never in the URL).",
                _preview_request(),
                {
                    **image,
                    "headers": {
                        "X-Smp-Geometry": {
                            "description": "The draggable points (front view), JSON.",
                            "schema": {"type": "string"},
                        }
                    },
                },
                {"422": _json_error("Refused, with the reason.")},
            )
        },
        # --- the designer on the client's photo ---
        "/studio/photos/{photo_id}/preview": {
            "post": _live_preview(
                "The designer on a client's photo: the after image of a hairline drawn "
                "through points and painted areas (JSON, never in the URL).",
                _photo_preview_request(),
                image,
                {
                    "400": _json_error(
                        "Refused with one sentence: not JSON, a point outside the image, too "
                        "many points or strokes, a photo without a face or scale."
                    )
                },
                parameters=[_id("photo_id", "photo")],
                extra=_NOT_FOUND,
            )
        },
        "/studio/photos/{photo_id}/designer/before.jpg": {
            "get": _staff_page(
                "The photo as the designer on it shows it (cropped to the head, preview size).",
                "designer",
                ids=(_id("photo_id", "photo"),),
                ok=image,
                extra={"400": _json_error("The photo cannot be designed on, and why.")},
            )
        },
        p + "/photos/{photo_id}/designer": {
            "get": _staff_page(
                "The hairline designer on one of the client's photos.",
                "designer",
                ids=(patient, _id("photo_id", "photo")),
                query=(_query("version", _string(20), "A saved design version to open."),),
                extra=_REFUSED,
            )
        },
        p + "/photos/{photo_id}/designs": {
            "post": _staff_form(
                "Save the design drawn on the photo as a new design version.",
                "designer",
                {"params": _string(65_536, description="The preview request, as JSON text.")},
                {},
                ids=(patient, _id("photo_id", "photo")),
            )
        },
        p + "/designer": {
            "get": _staff_page(
                "The hairline designer.",
                "designer",
                ids=(patient,),
                query=(_query("version", _string(20), "A saved design version to open."),),
            )
        },
        p + "/designs": {
            "post": _staff_form(
                "Save the designer's state as a new design version.",
                "designer",
                {"params": _string(16_384, description="The preview request, as JSON text.")},
                {},
                ids=(patient,),
            )
        },
        p + "/designs/{design_id}/{view}/{state}.jpg": {
            "get": _staff_page(
                "A saved design rendered (gallery).",
                "designer",
                ids=(
                    patient,
                    _id("design_id", "design"),
                    {"name": "view", "in": "path", "required": True, "schema": _enum(PHOTO_VIEWS)},
                    {
                        "name": "state",
                        "in": "path",
                        "required": True,
                        "schema": _string(pattern="^(before|fresh|healed|year-([0-9]|1[0-9]|20))$"),
                    },
                ),
                ok=image,
            )
        },
        # --- plans and sessions ---
        p + "/plans/new": {
            "get": _staff_page("The new-plan form.", "plans", ids=(patient,)),
            "post": _staff_form(
                "Build and save a treatment plan from a saved design.",
                "plans",
                {
                    "design_version": RECORD,
                    "start": DATE,
                    "time": TIME,
                    "sessions": _enum(("3", "4")),
                    "spacing_days": _string(pattern="^[0-9]{1,2}(\\.[0-9])?$"),
                    "trial": CHECKBOX,
                },
                _REFUSED,
                ids=(patient,),
            ),
        },
        p + "/plans/{plan_id}": {
            "get": _staff_page("A treatment plan.", "plans", ids=(patient, plan))
        },
        p + "/plans/{plan_id}/status": {
            "post": _staff_form(
                "Change a plan's status.",
                "plans",
                {"status": _enum(PLAN_STATUSES)},
                _REFUSED,
                ids=(patient, plan),
            )
        },
        p + "/plans/{plan_id}/plan.pdf": plan_file(
            "The plan as a PDF (rebuilt, byte for byte the same).",
            _binary("The PDF (an attachment).", "application/pdf"),
        ),
        p + "/plans/{plan_id}/aftercare.ics": plan_file(
            "The sessions and aftercare as a calendar.",
            _binary("The iCalendar file (an attachment).", "text/calendar"),
        ),
        p + "/sessions/new": {
            "get": _staff_page("The session log form.", "plans", ids=(patient,)),
            "post": _staff_form(
                "Log a session with its pigment batches and needle lots.",
                "plans",
                session_fields,
                _REFUSED,
                ids=(patient,),
            ),
        },
        p + "/patch-tests/new": {
            "get": _staff_page("The patch test form.", "plans", ids=(patient,)),
            "post": _staff_form(
                "Record a patch test: the pigment (brand, batch, expiry), where and when.",
                "plans",
                patch_test_fields,
                _REFUSED,
                ids=(patient,),
            ),
        },
        p + "/patch-tests/{patch_test_id}/reading": {
            "get": _staff_page("The patch test reading form.", "plans", ids=(patient, patch_test)),
            "post": _staff_form(
                "Record the reading of a patch test: the reaction, who read it and when.",
                "plans",
                reading_fields,
                _REFUSED,
                ids=(patient, patch_test),
            ),
        },
        # --- schedule ---
        "/studio/schedule": {
            "get": _staff_page(
                "The week's bookings.",
                "schedule",
                query=(_query("week", DATE, "A day of the week to show (this week otherwise)."),),
            )
        },
        p + "/book": {
            "get": _staff_page(
                "The booking form (from a plan: filled from its session).",
                "schedule",
                ids=(patient,),
                query=(
                    _query("plan", RECORD, "A plan of the client to fill the form from."),
                    _query("session", DIGITS, "The plan's session to book."),
                ),
                extra=_REFUSED,
            ),
            "post": _staff_form(
                "Book a session.",
                "schedule",
                {
                    "date": DATE,
                    "time": TIME,
                    "hours": _string(pattern="^[0-9]{1,2}([.,][0-9]{1,2})?$"),
                    "practitioner_id": RECORD,
                    "room_id": RECORD,
                    "plan_id": RECORD,
                    "session_number": DIGITS,
                },
                {
                    "409": _html("The time is taken: why, and the next free slot."),
                    **_REFUSED,
                },
                ids=(patient,),
            ),
        },
        "/studio/bookings/{booking_id}/move": {
            "get": _staff_page(
                "The form to move a booked session.",
                "schedule",
                ids=(_id("booking_id", "booking"),),
                extra=_REFUSED,
            ),
            "post": _staff_form(
                "Move a booked session (checked like a new booking; reminders follow).",
                "schedule",
                {
                    "date": DATE,
                    "time": TIME,
                    "hours": _string(pattern="^[0-9]{1,2}([.,][0-9]{1,2})?$"),
                    "practitioner_id": RECORD,
                    "room_id": RECORD,
                },
                {
                    "409": _html("The time is taken: why, and the next free slot."),
                    **_REFUSED,
                },
                ids=(_id("booking_id", "booking"),),
            ),
        },
        "/studio/bookings/{booking_id}/cancel": {
            "post": _staff_form(
                "Cancel a booking.",
                "schedule",
                {},
                _REFUSED,
                ids=(_id("booking_id", "booking"),),
            )
        },
        # --- stock, recall, messages ---
        "/studio/stock": {
            "get": _staff_page("Stock by lot, with expiry and low-stock warnings.", "stock")
        },
        "/studio/stock/items": {
            "post": _staff_form(
                "Keep an item in stock (a pigment in mL, a needle cartridge).",
                "stock",
                {"kind": _enum(STOCK_KINDS), "name": _string(100), "low_stock_at": NUMBER},
                _REFUSED,
            )
        },
        "/studio/stock/receive": {
            "post": _staff_form(
                "Receive a delivery: a lot with its expiry and quantity.",
                "stock",
                {"item_id": RECORD, "lot": _string(64), "expires_on": DATE, "quantity": NUMBER},
                {**_REFUSED, **_NOT_FOUND},
            )
        },
        "/studio/stock/lots/{lot_id}/count": {
            "post": _staff_form(
                "A stock-take count, or what is left after a discard; never below 0.",
                "stock",
                {
                    "counted": NUMBER,
                    "reason": _enum(("count", "discarded")),
                    "note": _string(200),
                },
                _REFUSED,
                ids=(_id("lot_id", "stock lot"),),
            )
        },
        "/studio/recall": {
            "get": _staff_page("The recall form.", "stock"),
            "post": _staff_form(
                "Who received a pigment batch or needle lot (audited per client).",
                "stock",
                {"lot": _string(64)},
                {"200": _html("The clients who received the lot."), **_REFUSED},
            ),
        },
        **_report_paths(),
        p + "/export": {
            "get": _staff_page(
                "The client's export and erasure (owner).", "clients", ids=(patient,)
            )
        },
        p + "/export.zip": {
            "get": _staff_page(
                "Every record and photo of the client: client.json, photos/, summary.pdf "
                "(owner; an audited read).",
                "clients",
                ids=(patient,),
                ok=_binary("The zip (an attachment).", "application/zip"),
                extra={"422": _html("A photo of the client is missing or damaged.")},
            )
        },
        p + "/erase": {
            "post": _staff_form(
                "Erase every record and photo of the client (owner; audited with counts only).",
                "clients",
                {"confirm": _string(210, description="The client's full name, as on the record.")},
                {"422": _html("Refused: the name does not match, or a session is booked ahead.")},
                ids=(patient,),
                required=("confirm",),
            )
        },
        p + "/messages/opt-out": {
            "post": _staff_form(
                "The client's choice for one channel (audited).",
                "clients",
                {"channel": _enum(CHANNELS), "opted_out": _enum(("yes", "no"))},
                _REFUSED,
                ids=(patient,),
            )
        },
        # --- the clinic ---
        "/studio/clinic": {
            "get": _staff_page("The clinic's details.", "team"),
            "post": _staff_form(
                "Change the clinic's name, time zone, contact and opening hours (audited).",
                "team",
                {
                    "name": _string(200),
                    "timezone": _string(64, description="An IANA time zone, e.g. Europe/London."),
                    "address": _string(300),
                    "phone": _string(40),
                    "email": _string(254),
                    "opening_hours": _string(500),
                    "currency": _string(3, description="An ISO 4217 code, e.g. USD."),
                    **{f"price_{i}": _string(20) for i in range(4)},
                    "price_extra": _string(20),
                    "deposit_kind": _enum(DEPOSIT_KINDS),
                    "deposit_value": _string(20),
                    "no_show_fee": _string(20),
                    "no_show_notice_hours": _string(6, pattern="^[0-9]*$"),
                    "tax_rate": _string(8),
                    "tax_label": _string(20),
                    "tax_number": _string(40),
                },
                _REFUSED,
                required=("name", "timezone"),
            ),
        },
        "/studio/team": {
            "get": _staff_page("Accounts, practitioners, rooms, consent forms.", "team"),
            "post": _staff_form(
                "One of the set-up forms (by action).",
                "team",
                team_fields,
                {
                    "200": _html("A one-time password, shown once."),
                    **_REFUSED,
                },
                required=("action",),
            ),
        },
        "/studio/leads": {"get": _staff_page("The consultation requests.", "team")},
        "/studio/leads/{lead_id}": {
            "post": _staff_form(
                "Change a request's status, or make a client of it (action=convert).",
                "team",
                {
                    "action": _enum(("", "convert")),
                    "status": _enum(LEAD_STATUSES),
                    "date_of_birth": DATE,
                },
                {},
                ids=(_id("lead_id", "consultation request"),),
            )
        },
        "/studio/audit": {
            "get": _staff_page(
                "The audit log, 100 entries a page, newest first.",
                "team",
                query=(
                    _query(
                        "before",
                        {"type": "string", "pattern": "^[0-9]{1,18}$"},
                        "Entries older than this one (the page's 'Older entries' link).",
                    ),
                    _query(
                        "action",
                        {"type": "string", "pattern": "^[a-z-]{0,40}$"},
                        "Only entries of this action (read, create, update …).",
                    ),
                    _query(
                        "who",
                        {"type": "string", "maxLength": 40},
                        "Only entries by this account (its token, from the page's list).",
                    ),
                ),
                extra=_REFUSED,
            )
        },
    }


# --- the client portal (smpstudio.web._portal) ----------------------------------------------

_PORTAL_SECURITY: Security = [{"portalSession": []}]
_PORTAL_GET = {"303": _redirect("No portal session (back to /portal to ask for a link).")}
_PORTAL_POST = {
    "303": _redirect("Done (or refused, with the message on the page it leads to)."),
    "400": _html("The form could not be read (malformed, or more than 200 fields)."),
    "401": _html("No portal session (it ended or expired): ask for a new link."),
    "403": _html("A missing or wrong form token, or a request from another site."),
    "413": _html("The body is larger than the studio accepts (26 MiB)."),
}
_CLINIC_QUERY = _query(
    "clinic",
    {"type": "string", "maxLength": 26},
    "The clinic whose portal (default: the public one).",
)


def _portal_page(summary: str, responses: dict[str, Schema], **kw: Any) -> Schema:
    return _op(summary, "portal", {**_PORTAL_GET, **responses}, security=_PORTAL_SECURITY, **kw)


def _portal_form(
    summary: str, properties: dict[str, Schema], responses: dict[str, Schema], **kw: Any
) -> Schema:
    body = _form({"csrf_token": _CSRF_FIELD, **properties}, required=("csrf_token",), **kw)
    return _op(
        summary, "portal", {**_PORTAL_POST, **responses}, body=body, security=_PORTAL_SECURITY
    )


def _portal_paths() -> dict[str, Schema]:
    kind = {"name": "kind", "in": "path", "required": True, "schema": _enum(CONSENT_KINDS)}
    link_fields = {"token": _string(200), "clinic": _string(26)}
    sessions = {f"date_{n}": DATE for n in range(1, 5)} | {f"time_{n}": TIME for n in range(1, 5)}
    return {
        "/portal": {
            "get": _op(
                "The client portal: ask for a sign-in link by e-mail.",
                "portal",
                {"200": _html("The form."), "303": _redirect("Signed in already."), **_NOT_FOUND},
                parameters=[_CLINIC_QUERY],
            ),
            "post": _op(
                "E-mail a one-time sign-in link to the client with this address (the same "
                "answer for an unknown address).",
                "portal",
                {
                    **_PUBLIC_POST,
                    "200": _html("Check your e-mail (whether or not the address is known)."),
                    "422": _html("Not an e-mail address."),
                    "429": _html("Too many links asked for within a minute."),
                    **_NOT_FOUND,
                },
                body=_form(
                    {"csrf_token": _CSRF_FIELD, "email": _string(254), "clinic": _string(26)},
                    required=("csrf_token",),
                ),
                security=_VISITOR_SECURITY,
            ),
        },
        "/portal/sign-in": {
            "get": _op(
                "Where the e-mailed link lands: a button that signs in.",
                "portal",
                {"200": _html("The page.")},
                parameters=[
                    _query("token", _string(200), "The link's one-time token."),
                    _CLINIC_QUERY,
                ],
            ),
            "post": _op(
                "Sign in with the link (once; expired, used or another clinic's: refused).",
                "portal",
                {
                    **_PUBLIC_POST,
                    "303": _redirect("Signed in: the client's page."),
                    "403": _html("The link does not work (expired, used, another clinic's)."),
                    **_NOT_FOUND,
                },
                body=_form({"csrf_token": _CSRF_FIELD, **link_fields}, required=("csrf_token",)),
                security=_VISITOR_SECURITY,
            ),
        },
        "/portal/sign-out": {"post": _portal_form("Sign out of the portal.", {}, {})},
        "/portal/home": {
            "get": _portal_page(
                "The client's plan, bookings, aftercare, consent, documents and photos.",
                {"200": _html("The page.")},
            )
        },
        "/portal/consent/{kind}": {
            "get": _portal_page(
                "A consent text to sign (or withdraw).",
                {"200": _html("The page."), "404": _html("No such consent.")},
                parameters=[kind],
            ),
            "post": _op(
                "Sign with a drawn signature (PNG data URL), or withdraw (action=withdraw).",
                "portal",
                {
                    **_PORTAL_POST,
                    "404": _html("No such consent."),
                    "422": _html("Refused: the page again with what is wrong."),
                },
                parameters=[kind],
                body=_form(
                    {
                        "csrf_token": _CSRF_FIELD,
                        "for": RECORD,
                        "signed_name": _string(200),
                        "signature": _string(420_000, description="data:image/png;base64,…"),
                        "action": _enum(("", "withdraw")),
                    },
                    required=("csrf_token",),
                ),
                security=_PORTAL_SECURITY,
            ),
        },
        "/portal/documents/consent-{document_id}.pdf": {
            "get": _portal_page(
                "The PDF copy of a consent the client signed in the portal.",
                {"200": _binary("The PDF.", "application/pdf"), "404": _html("Not yours.")},
                parameters=[_id("document_id", "signed consent")],
            )
        },
        "/portal/documents/plan-{plan_id}.pdf": {
            "get": _portal_page(
                "The client's treatment plan as PDF.",
                {
                    "200": _binary("The PDF.", "application/pdf"),
                    "404": _html("Not yours."),
                    **_REFUSED,
                },
                parameters=[_id("plan_id", "plan")],
            )
        },
        "/portal/photos": {
            "post": _portal_form(
                "A healed photo the plan asks for (cleaned: no EXIF or GPS).",
                {"session": RECORD, "photo": _string(format="binary")},
                {},
                media_types=("multipart/form-data",),
            )
        },
        "/portal/photos/{photo_id}": {
            "get": _portal_page(
                "One of the client's photos.",
                {
                    "200": _binary("The photo.", "image/jpeg", "image/png", "image/webp"),
                    "404": _html("Not yours."),
                    **_REFUSED,
                },
                parameters=[_id("photo_id", "photo")],
            )
        },
        "/portal/book": {
            "get": _portal_page(
                "Book or move the sessions of the plan.", {"200": _html("The form.")}
            ),
            "post": _portal_form(
                "Book or move the whole course at once (all or nothing, under the clinic's rules).",
                sessions,
                {"409": _html("Refused by a rule: the form again with the reason.")},
            ),
        },
        "/studio/patients/{patient_id}/consent-documents/{document_id}.pdf": {
            "get": _staff_page(
                "The PDF copy of a consent the client signed in the portal.",
                "clients",
                ids=(_id("patient_id", "client"), _id("document_id", "signed consent")),
                ok=_binary("The PDF.", "application/pdf"),
            )
        },
        "/studio/patients/{patient_id}/portal-invite": {
            "post": _staff_form(
                "E-mail the client a portal sign-in link.",
                "clients",
                {},
                {},
                ids=(_id("patient_id", "client"),),
            )
        },
    }


def _billing_paths() -> dict[str, Schema]:
    """Payments (web/_billing.py)."""
    p = "/studio/patients/{patient_id}"
    patient = _id("patient_id", "client")
    money = _string(
        20,
        pattern="^[0-9][0-9,]{0,16}([.][0-9]{1,3})?$",
        description="An amount in the currency's units, like 250 or 1,250.50.",
    )
    pdf = _binary("The PDF.", "application/pdf")
    line = _string(
        34,
        pattern=f"^(session-[0-9]{{1,9}}|no-show-{TOKEN_REGEX})$",
        description="What it is for: session-N (the plan's session N) or no-show-<token>.",
    )
    account = {
        "description": "The account: lines due per plan session and no-show fee, payments, "
        "invoices; amounts in minor units of the currency.",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
    return {
        p + "/payments": {
            "get": _staff_page("The client's payments.", "payments", ids=(patient,)),
            "post": _staff_form(
                "Record a payment or a refund (at most the balance; a refund at most what "
                "was paid; audited).",
                "payments",
                {
                    "line": line,
                    "kind": _enum(PAYMENT_KINDS),
                    "method": _enum(PAYMENT_METHODS),
                    "amount": money,
                    "reference": _string(100),
                    "note": _string(200),
                },
                _REFUSED,
                ids=(patient,),
                required=("line", "amount", "method"),
            ),
        },
        p + "/payments.json": {
            "get": _staff_page(
                "The client's account as JSON.", "payments", ids=(patient,), ok=account
            )
        },
        p + "/payments/{payment_id}/receipt.pdf": {
            "get": _staff_page(
                "A payment's or refund's receipt.",
                "payments",
                ids=(patient, _id("payment_id", "payment")),
                ok=pdf,
            )
        },
        p + "/invoices": {
            "post": _staff_form(
                "Issue an invoice for what the account has due (numbered per clinic).",
                "payments",
                {},
                _REFUSED,
                ids=(patient,),
            )
        },
        p + "/invoices/{invoice_id}/invoice.pdf": {
            "get": _staff_page(
                "An issued invoice.",
                "payments",
                ids=(patient, _id("invoice_id", "invoice")),
                ok=pdf,
            )
        },
        "/studio/bookings/{booking_id}/no-show": {
            "post": _staff_form(
                "The client did not come, or cancelled within the notice window: the booking "
                "is cancelled and the clinic's no-show fee becomes due.",
                "payments",
                {},
                {"422": _html("Refused: the booking is not booked, or is outside the window.")},
                ids=(_id("booking_id", "booking"),),
            )
        },
    }


@cache
def _document_bytes() -> bytes:
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "smpstudio web studio",
            "version": "1",
            "description": (
                "The clinic's public site and the staff studio (docs/web.md). Pages answer "
                "HTML; forms are posted as application/x-www-form-urlencoded or "
                "multipart/form-data and answer 303 See Other when done, or the page again "
                "with the reason (4xx). Staff routes need the session cookie; every change "
                "needs the session's CSRF token (form field csrf_token or X-CSRF-Token). "
                "Public forms carry the visitor's form-cookie value as csrf_token. HEAD "
                "follows GET; any other method not listed is 405."
            ),
        },
        "tags": [
            {"name": name}
            for name in (
                "site",
                "account",
                "studio",
                "clients",
                "clinical",
                "designer",
                "plans",
                "schedule",
                "stock",
                "payments",
                "reports",
                "team",
                "portal",
            )
        ],
        "paths": {**_paths(), **_billing_paths(), **_portal_paths()},
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE},
                "csrfHeader": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-CSRF-Token",
                    "description": "The session's CSRF token (or the form field csrf_token).",
                },
                "portalSession": {"type": "apiKey", "in": "cookie", "name": PORTAL_COOKIE},
                "formCookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": FORM_COOKIE,
                    "description": "A visitor's form token; forms echo it in csrf_token.",
                },
            }
        },
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document (a fresh copy)."""
    document: dict[str, Any] = json.loads(_document_bytes())
    return document


async def openapi_json(request: Request) -> Response:
    return Response(_document_bytes(), media_type="application/json")


routes = [Route("/openapi.json", openapi_json, methods=["GET"])]
