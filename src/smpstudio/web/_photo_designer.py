"""The hairline designer on the client's own photo.

``GET /studio/patients/{id}/photos/{photo}/designer`` shows the photo (cropped to the head,
at the preview's size) with the proposed hairline as draggable points; the practitioner
drags them, picks the style, density, skin and hair colour, and paints areas to add to or
take out of the treatment. ``POST /studio/photos/{photo}/preview`` takes that as JSON (the
session's CSRF token in ``X-CSRF-Token``, a ``client`` key per tab) and answers the after
image as ``image/jpeg`` (rendered in a preview process: :mod:`smpstudio.web._photo_service`;
``Server-Timing`` says the request's time and, when it was rendered for it, the render's
CPU time), ``204`` when a newer request of the same tab made it stale, ``400``
with one sentence for bad input and ``503`` with ``Retry-After`` when the studio's heavy
work is at its limit. ``GET /studio/photos/{photo}/designer/before.jpg`` is the working
image itself. ``POST /studio/patients/{id}/photos/{photo}/designs`` saves the design as the
client's next design version, with the hairline's points in photo pixels and the photo it
was drawn on. The photo's analysis is made once and cached
(:mod:`smpstudio.web._photo_service`).
"""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from smpstudio._errors import InputError, PhotoError
from smpstudio.clinic import ClinicRecords, DesignVersion, RecordNotFoundError
from smpstudio.colour import MONK_SWATCHES, DilutionTable
from smpstudio.hairline import HAIRLINE_STYLES
from smpstudio.photo._live import LivePhoto
from smpstudio.web._clients import CLINICAL, patient_id
from smpstudio.web._http import form_input, page, records_for, redirect, staff, studio_of
from smpstudio.web._ids import rid
from smpstudio.web._photo_service import (
    DENSITY_RANGE,
    MAX_STROKE_POINTS,
    PhotoDesignParams,
    Rendered,
    sha256,
)
from smpstudio.web._state import Studio, blocking, compute

__all__ = ["routes"]

_MAX_JSON = 64 * 1024
STATES = (("healed", "Healed"), ("fresh", "Day 0"), ("year-5", "In 5 years"))
_DEFAULT_SKIN = "#a57257"


def _loader(records: ClinicRecords, clinic_id: int, photo_id: int) -> Any:
    def load() -> tuple[tuple[int, int, str], bytes]:
        data = records.photo_bytes(photo_id)
        return (clinic_id, photo_id, sha256(data)), data

    return load


async def _live(request: Request, photo_id: int) -> tuple[tuple[int, int, str], LivePhoto]:
    """The photo's analysis (cached; the first time an audited read and about a second of
    analysis on the compute lane)."""
    studio = studio_of(request)
    clinic_id = request.state.signed.user.clinic_id
    service = studio.photo_designs
    key = service.known(clinic_id, photo_id)
    if key is not None:
        found = service.lives.get(key)
        if found is not None:
            return key, found
    records = records_for(request)
    load = _loader(records, clinic_id, photo_id)
    loaded: dict[str, tuple[tuple[int, int, str], bytes]] = {}

    def read() -> tuple[tuple[int, int, str], bytes]:
        loaded["it"] = load()
        return loaded["it"]

    live = await compute(studio, service.live, key, read)
    if "it" in loaded:
        return loaded["it"][0], live
    assert key is not None
    return key, live


async def _read_json(request: Request) -> dict[str, Any]:
    body = await request.body()
    if len(body) > _MAX_JSON:
        raise InputError(f"the request is larger than {_MAX_JSON // 1024} KiB")
    try:
        data = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        raise InputError("the request is not JSON") from None
    if not isinstance(data, dict):
        raise InputError("the request must be a JSON object")
    return data


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"error": message[:1].upper() + message[1:]}, status_code=400)


@staff(*CLINICAL)
async def preview(request: Request) -> Response:
    """The after image of a design on the photo (JSON in, JPEG out)."""
    started = time.perf_counter()
    studio = studio_of(request)
    photo_id: int = request.path_params["photo_id"]
    try:
        key, live = await _live(request, photo_id)  # another clinic's photo: 404 first
        data = await _read_json(request)
        params = PhotoDesignParams.parse(data, size=live.size)
    except RecordNotFoundError:
        raise
    except InputError as exc:
        return _bad(str(exc))
    service = studio.photo_designs
    cached = service.cached(key, params)
    found = None if cached is None else Rendered(cached)
    if found is None:
        client = f"{request.state.signed.session.id}:{str(data.get('client', ''))[:40]}"
        ticket = service.claim(client)
        try:
            found = await compute(
                studio, service.render, key, live, params, client=client, ticket=ticket
            )
        except InputError as exc:
            return _bad(str(exc))
    if found is None:
        return Response(status_code=204)
    timing = f"render;dur={1000 * (time.perf_counter() - started):.1f}"
    if found.pid:  # rendered for this request: its CPU time where it ran
        timing += f", cpu;dur={found.cpu_ms:.1f}"
    return Response(found.jpeg, media_type="image/jpeg", headers={"server-timing": timing})


@staff(*CLINICAL)
async def before_image(request: Request) -> Response:
    """The working image (the photo cropped to the head, at the preview's size)."""
    studio = studio_of(request)
    try:
        key, live = await _live(request, request.path_params["photo_id"])
    except RecordNotFoundError:
        raise
    except InputError as exc:
        return _bad(str(exc))
    data = await compute(studio, studio.photo_designs.before, key, live)
    return Response(data, media_type="image/jpeg", headers={"cache-control": "private"})


def _context(records: ClinicRecords, pid: int, photo_id: int, version: str) -> dict[str, Any]:
    patient = records.patient(pid)
    photo = next((p for p in records.photos(pid) if p.id == photo_id), None)
    if photo is None:
        raise RecordNotFoundError(f"no photo {photo_id} for this client")
    designs = [d for d in records.designs(pid) if _photo_part(d).get("photo_id") == photo_id]
    chosen = next((d for d in designs if str(d.version) == version), None)
    if chosen is None and designs and not version:
        chosen = designs[-1]
    every = records.designs(pid)
    return {
        "title": "Design on the photo",
        "patient": patient,
        "photo": photo,
        "designs": designs,
        "chosen": chosen,
        "next_version": (every[-1].version + 1) if every else 1,
    }


def _photo_part(design: DesignVersion) -> dict[str, Any]:
    try:
        part = json.loads(design.content).get("photo")
    except (ValueError, AttributeError):
        return {}
    return part if isinstance(part, dict) else {}


def _initial(live: LivePhoto, chosen: DesignVersion | None) -> dict[str, Any]:
    """The page's starting state: the saved design's, or the proposal on the photo."""
    analysis = live.analysis
    skin = analysis.skin.hex if analysis.skin is not None else _DEFAULT_SKIN
    state: dict[str, Any] = {
        "points": [[round(float(x), 1), round(float(y), 1)] for x, y in live.handles],
        "skin": skin,
        "style": "soft",
        "density": 80.0,
        "hair": "dark-brown",
        "state": "healed",
        "strokes": [],
    }
    if chosen is not None:
        saved = _photo_part(chosen)
        state.update({k: saved[k] for k in ("skin", "style", "density", "hair") if k in saved})
        state["state"] = saved.get("state", "healed")
        state["points"] = _to_work(live, saved.get("hairline_px", []))
        state["strokes"] = [
            {
                "mode": s["mode"],
                "radius": round(float(s["radius_px"]) * live.factor, 1),
                "points": _to_work(live, s["points_px"]),
            }
            for s in saved.get("strokes", [])
        ]
    return state


def _to_work(live: LivePhoto, points: list[list[float]]) -> list[list[float]]:
    import numpy as np

    if not points:
        return []
    work = live.to_work(np.asarray(points, dtype=np.float64))
    width, height = live.size
    work[:, 0] = work[:, 0].clip(0, width)
    work[:, 1] = work[:, 1].clip(0, height)
    return [[round(float(x), 1), round(float(y), 1)] for x, y in work]


@staff(*CLINICAL)
async def designer(request: Request) -> Response:
    pid = patient_id(request)
    photo_id: int = request.path_params["photo_id"]
    version = request.query_params.get("version", "")
    context = await blocking(_context, records_for(request), pid, photo_id, version)
    refused = None
    initial: dict[str, Any] = {}
    live = None
    try:
        key, live = await _live(request, photo_id)
        initial = _initial(live, context["chosen"])
    except PhotoError as exc:
        refused = str(exc)
    else:
        with contextlib.suppress(InputError):  # a saved design the checks now refuse
            first = PhotoDesignParams.parse(initial, size=live.size)
            # off the event loop: the first call starts a preview process
            await blocking(studio_of(request).photo_designs.prepare, key, live, first)
    analysis = None if live is None else live.analysis
    context.update(
        refused=refused,
        initial=json.dumps(initial),
        size=live.size if live else (768, 768),
        warnings=analysis.warnings if analysis else (),
        measured=analysis.skin.hex if analysis and analysis.skin else None,
        styles=tuple(HAIRLINE_STYLES),
        hair_colours=tuple(DilutionTable.default().hair_colours),
        monk=list(enumerate(MONK_SWATCHES, start=1)),
        states=STATES,
        density_range=DENSITY_RANGE,
        max_stroke_points=MAX_STROKE_POINTS,
    )
    return page(request, "photo_designer.html", context)


def _content(
    studio: Studio, live: LivePhoto, params: PhotoDesignParams, photo_id: int, sha: str
) -> dict[str, Any]:
    """design.json of a design drawn on a photo: the style's design, the look, and the
    photo part (the hairline's points and painted strokes in photo pixels)."""
    import numpy as np

    design = studio.photo_designs.design(params.style)
    content = design.to_dict()
    content["studio"] = {"skin": params.skin, "hair": params.hair}

    def photo_px(points: tuple[tuple[float, float], ...]) -> list[list[float]]:
        out = live.to_photo(np.asarray(points, dtype=np.float64))
        return [[round(float(x), 2), round(float(y), 2)] for x, y in out]

    content["photo"] = {
        "photo_id": photo_id,
        "sha256": sha,
        "hairline_px": photo_px(params.points),
        "strokes": [
            {
                "mode": s.mode,
                "radius_px": round(s.radius / live.factor, 1),
                "points_px": photo_px(s.points),
            }
            for s in params.strokes
        ],
        "style": params.style,
        "density": params.density,
        "skin": params.skin,
        "hair": params.hair,
        "state": params.state,
    }
    return content


@staff(*CLINICAL)
async def save(request: Request) -> Response:
    studio = studio_of(request)
    pid = patient_id(request)
    photo_id: int = request.path_params["photo_id"]
    records = records_for(request)
    target = f"/studio/patients/{rid(pid)}/photos/{rid(photo_id)}/designer"
    await blocking(_context, records, pid, photo_id, "")  # the photo is this client's
    form = await form_input(request)
    try:
        raw = json.loads(form.get("params") or "{}")
        if not isinstance(raw, dict):
            raise InputError("the design must be a JSON object")
        key, live = await _live(request, photo_id)
        params = PhotoDesignParams.parse(raw, size=live.size)
        content = await compute(studio, _content, studio, live, params, photo_id, key[2])
        saved = await blocking(records.save_design, pid, content)
    except RecordNotFoundError:
        raise
    except (InputError, ValueError, RecursionError) as exc:
        studio.flash(request.state.signed.session.token_hash, f"Not saved: {exc}", "warn")
        return redirect(target)
    message = f"Design version {saved.version} saved (drawn on the photo)."
    studio.flash(request.state.signed.session.token_hash, message)
    return redirect(f"{target}?version={saved.version}")


routes = [
    Route(
        "/studio/patients/{patient_id:rid}/photos/{photo_id:rid}/designer",
        designer,
        methods=["GET"],
    ),
    Route(
        "/studio/patients/{patient_id:rid}/photos/{photo_id:rid}/designs", save, methods=["POST"]
    ),
    Route("/studio/photos/{photo_id:rid}/preview", preview, methods=["POST"]),
    Route("/studio/photos/{photo_id:rid}/designer/before.jpg", before_image, methods=["GET"]),
]
