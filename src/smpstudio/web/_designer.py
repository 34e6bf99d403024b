"""The hairline designer: a live preview that follows the drag, and saved design versions.

``POST /studio/preview`` takes the design and look as JSON (never in the URL) with the
session's CSRF token in ``X-CSRF-Token`` and a ``client`` key per browser tab; it answers
``image/jpeg`` with the draggable points' geometry in the ``X-Smp-Geometry`` header and, for
states with impressions, how the healed scalp's tone meets the remaining hair's in
``X-Smp-Blend`` (JSON: shade, chart shade, blended shade, predicted ΔL*, darkening, limit,
notice), or ``204 No Content`` when a newer request of the same tab has made it stale.
"""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from smpstudio._errors import InputError
from smpstudio.clinic import STAGES, ClinicRecords, DesignVersion, RecordNotFoundError
from smpstudio.colour import MONK_SWATCHES, DilutionTable
from smpstudio.hairline import HAIRLINE_SHAPES, HAIRLINE_STYLES
from smpstudio.loss import PATTERN_NAMES
from smpstudio.render import PHOTO_VIEWS
from smpstudio.web._clients import CLINICAL, patient_id
from smpstudio.web._http import form_input, page, records_for, redirect, staff, studio_of
from smpstudio.web._ids import rid
from smpstudio.web._preview import Preview, PreviewParams
from smpstudio.web._state import Studio, blocking, compute
from smpstudio.web._uploads import SKIN_SIDE_PX, ingest_photo, read_skin

__all__ = ["params_of_design", "preview_response", "routes"]

_MAX_JSON = 16 * 1024
STATES = (("before", "Before"), ("fresh", "Day 0"), ("healed", "Healed"), ("year-5", "In 5 years"))


async def preview_response(studio: Studio, params: PreviewParams, client: str) -> Response:
    """The preview image (or 204 when stale) with its geometry and timing headers."""
    started = time.perf_counter()
    found = studio.preview.cached(params)
    if found is None:
        ticket = studio.preview.claim(client) if client else 0
        found = await compute(studio, studio.preview.render, params, client=client, ticket=ticket)
    if found is None:
        return Response(status_code=204)
    return _image(found, started)


def _image(found: Preview, started: float) -> Response:
    headers = {"server-timing": f"render;dur={1000 * (time.perf_counter() - started):.1f}"}
    if found.geometry is not None:
        headers["x-smp-geometry"] = json.dumps(found.geometry, separators=(",", ":"))
    if found.blend is not None:  # ASCII: a header carries no other characters
        headers["x-smp-blend"] = json.dumps(found.blend, separators=(",", ":"))
    return Response(found.jpeg, media_type="image/jpeg", headers=headers)


async def read_json(request: Request) -> dict[str, Any]:
    body = await request.body()
    if len(body) > _MAX_JSON:
        raise InputError("the preview request is too large")
    try:
        data = json.loads(body or b"{}")
    except (ValueError, RecursionError):  # RecursionError: nested too deeply
        raise InputError("the preview request is not JSON") from None
    if not isinstance(data, dict):
        raise InputError("the preview request must be a JSON object")
    return data


@staff(*CLINICAL)
async def preview(request: Request) -> Response:
    studio = studio_of(request)
    try:
        data = await read_json(request)
        params = PreviewParams.parse(data, default_size=studio.config.preview_size)
        client = f"{request.state.signed.session.id}:{str(data.get('client', ''))[:40]}"
        # A design the model refuses (a hairline off the forehead …) is refused as JSON too.
        return await preview_response(studio, params, client)
    except InputError as exc:
        return JSONResponse({"error": str(exc)}, status_code=422)


def params_of_design(content: str) -> dict[str, Any]:
    """Preview parameters of a saved design.json (with the look saved beside it)."""
    data = json.loads(content)
    inputs = data.get("inputs", {})
    look = data.get("studio", {})
    return {
        "pattern": inputs.get("pattern", "norwood-5"),
        "hairline": inputs.get("hairline", "soft"),
        "shape": inputs.get("hairline_shape")
        or ("custom" if inputs.get("hairline_profile") else None),
        "height_cm": inputs.get("hairline_height_cm")
        or data.get("hairline", {}).get("height_cm", 8.0),
        "temporal_rise_mm": inputs.get("temporal_rise_mm"),
        "profile": inputs.get("hairline_profile"),
        "head": inputs.get("head", "M"),
        "seed": inputs.get("seed", 7),
        "scars": [s.split(":")[0] for s in inputs.get("scars", [])],
        "hair_length_mm": inputs.get("hair_length_mm"),
        "sex": inputs.get("face", {}).get("sex", "male"),
        "age_years": inputs.get("face", {}).get("age_years", 35.0),
        "skin": look.get("skin", "#d7bd96"),
        "hair": look.get("hair", "dark-brown"),
    }


def _skin_from_photos(records: ClinicRecords, pid: int) -> dict[str, Any] | None:
    """The skin tone read on the client's latest stored photo, by the one photo analysis
    (:func:`~smpstudio.web._uploads.read_skin`), or why it could not be read; None without
    photos."""
    photos = records.photos(pid)
    if not photos:
        return None
    latest = photos[-1]
    when = (latest.taken_at or latest.created_at).date().isoformat()
    try:
        reading = read_skin(ingest_photo(records.photo_bytes(latest.id), side=SKIN_SIDE_PX))
    except InputError as exc:
        return {"hex": None, "when": when, "notes": (str(exc),)}
    if reading.tone is None:
        return {"hex": None, "when": when, "notes": reading.notes}
    tone = reading.tone
    return {
        "hex": tone.hex,
        "monk": tone.monk,
        "ita": round(tone.ita),
        "where": reading.measured_on,
        "when": when,
        "notes": reading.notes,
    }


def _designer_context(records: ClinicRecords, pid: int, version: str) -> dict[str, Any]:
    row = records.patient(pid)
    measured = _skin_from_photos(records, pid)
    designs = records.designs(pid)
    chosen = next(
        (d for d in designs if str(d.version) == version), designs[-1] if designs else None
    )
    if chosen is not None:
        params = params_of_design(chosen.content)
    else:
        stage = None
        consultations = records.consultations(pid)
        if consultations and consultations[-1].stage:
            stage = consultations[-1].stage
        params = {
            "pattern": stage if stage in PATTERN_NAMES else "norwood-5",
            "hairline": "soft",
            "height_cm": 8.0,
            "seed": 7,
            "head": "M",
            "skin": measured["hex"] if measured and measured["hex"] else "#d7bd96",
            "hair": "dark-brown",
        }
    params.update(state="healed", view="front")
    return {
        "title": "Hairline designer",
        "patient": row,
        "designs": designs,
        "chosen": chosen,
        "next_version": (designs[-1].version + 1) if designs else 1,
        "initial": json.dumps(PreviewParams.parse(params).to_dict()),
        "measured_skin": measured,
    }


@staff(*CLINICAL)
async def designer(request: Request) -> Response:
    pid = patient_id(request)
    version = request.query_params.get("version", "")
    context = await blocking(_designer_context, records_for(request), pid, version)
    context.update(
        patterns=PATTERN_NAMES,
        styles=tuple(HAIRLINE_STYLES),
        shapes=(*HAIRLINE_SHAPES, "custom"),
        hair_colours=tuple(DilutionTable.default().hair_colours),
        monk=list(enumerate(MONK_SWATCHES, start=1)),
        states=STATES,
        views=PHOTO_VIEWS,
        stages=STAGES,
    )
    return page(request, "designer.html", context)


@staff(*CLINICAL)
async def save_design(request: Request) -> Response:
    studio = studio_of(request)
    pid = patient_id(request)
    records = records_for(request)
    form = await form_input(request)
    try:
        raw = json.loads(form.get("params") or "{}")
        params = PreviewParams.parse(raw if isinstance(raw, dict) else {})
        design = await compute(studio, studio.preview.design, params)
        content = await compute(studio, design.to_dict)
        content["studio"] = {"skin": params.skin, "hair": params.hair}
        saved = await blocking(records.save_design, pid, content)
    except (InputError, ValueError, RecursionError) as exc:
        studio.flash(request.state.signed.session.token_hash, f"Not saved: {exc}", "warn")
        return redirect(f"/studio/patients/{rid(pid)}/designer")
    message = f"Design version {saved.version} saved."
    studio.flash(request.state.signed.session.token_hash, message)
    return redirect(f"/studio/patients/{rid(pid)}/designer?version={saved.version}")


@staff(*CLINICAL)
async def design_image(request: Request) -> Response:
    """A saved design rendered for the gallery (front, three-quarter, top …, any state)."""
    studio = studio_of(request)
    pid = patient_id(request)
    design_id: int = request.path_params["design_id"]
    designs = await blocking(records_for(request).designs, pid)
    chosen: DesignVersion | None = next((d for d in designs if d.id == design_id), None)
    if chosen is None:
        raise RecordNotFoundError(f"no design {design_id} for this client")
    params = params_of_design(chosen.content)
    params.update(view=request.path_params["view"], state=request.path_params["state"], size=512)
    try:
        parsed = PreviewParams.parse(params)
    except InputError as exc:
        raise RecordNotFoundError(str(exc)) from None
    return await preview_response(studio, parsed, "")


routes = [
    Route("/studio/preview", preview, methods=["POST"]),
    Route("/studio/patients/{patient_id:rid}/designer", designer, methods=["GET"]),
    Route("/studio/patients/{patient_id:rid}/designs", save_design, methods=["POST"]),
    Route(
        "/studio/patients/{patient_id:rid}/designs/{design_id:rid}/{view}/{state}.jpg",
        design_image,
        methods=["GET"],
    ),
]
