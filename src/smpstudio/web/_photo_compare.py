"""A client's clinical photos of one view of the head, compared session by session.

``GET /studio/patients/{id}/photos/compare?view=front&a=ID&b=ID`` shows two photos of one
view one over the other, cut at a divider the practitioner drags (the earlier on the left),
with every photo of that view listed by session and date; ``POST /studio/photos/{id}/view``
says which view a stored photo shows. Reads and changes go through
:class:`~smpstudio.clinic.ClinicRecords`: scoped to the clinic and audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smpstudio._errors import ClinicError, InputError
from smpstudio.clinic import PHOTO_VIEWS, ClinicRecords, Photo, RecordNotFoundError
from smpstudio.web._clients import CLINICAL, patient_id
from smpstudio.web._http import form_input, page, records_for, redirect, staff, studio_of
from smpstudio.web._ids import form_rid, rid
from smpstudio.web._state import blocking

__all__ = ["routes"]

VIEW_LABELS = {
    "front": "Front",
    "three-quarter": "Three-quarter",
    "left": "Left side",
    "right": "Right side",
    "top": "From above",
    "back": "Back",
}


@dataclass(frozen=True)
class Shot:
    """A photo as the comparison lists it."""

    id: int
    label: str
    view: str | None


def _label(photo: Photo, session_numbers: dict[int, int | None], zone: Any) -> str:
    when = (photo.taken_at or photo.created_at).astimezone(zone).strftime("%d %b %Y")
    number = session_numbers.get(photo.session_id) if photo.session_id else None
    what = f"session {number}" if number else photo.kind
    return f"{what} · {when}"


def _comparison(records: ClinicRecords, pid: int, query: dict[str, str]) -> dict[str, Any]:
    patient = records.patient(pid)
    photos = records.photos(pid)
    numbers = {s.id: s.session_number for s in records.session_records(pid)}
    zone = records.timezone
    shots = [Shot(p.id, _label(p, numbers, zone), p.view) for p in photos]
    by_view = {v: [s for s in shots if s.view == v] for v in PHOTO_VIEWS}
    view = query.get("view") or next(
        (v for v in PHOTO_VIEWS if len(by_view[v]) >= 2),
        next((v for v in PHOTO_VIEWS if by_view[v]), "front"),
    )
    if view not in PHOTO_VIEWS:
        raise InputError(f"view must be one of {', '.join(PHOTO_VIEWS)}")
    these = by_view[view]
    chosen = {s.id: s for s in these}
    a, b = (_pick(query.get(k), chosen, k) for k in ("a", "b"))
    earlier = a or (these[0] if these else None)
    later = b or (these[-1] if len(these) >= 2 else None)
    return {
        "title": "Compare photos",
        "patient": patient,
        "views": [(v, VIEW_LABELS[v], len(by_view[v])) for v in PHOTO_VIEWS],
        "view": view,
        "view_label": VIEW_LABELS[view],
        "shots": these,
        "earlier": earlier,
        "later": later,
        "untagged": [s for s in shots if s.view is None],
        "view_choices": [(v, VIEW_LABELS[v]) for v in PHOTO_VIEWS],
    }


def _pick(raw: str | None, chosen: dict[int, Shot], key: str) -> Shot | None:
    if not raw:
        return None
    photo_id = form_rid(raw)
    if photo_id is None or photo_id not in chosen:
        raise InputError(f"photo {key} is not among the photos of this view of this client")
    return chosen[photo_id]


@staff(*CLINICAL)
async def compare(request: Request) -> Response:
    pid = patient_id(request)
    query = {k: request.query_params.get(k, "") for k in ("view", "a", "b")}
    context = await blocking(_comparison, records_for(request), pid, query)
    return page(request, "photo_compare.html", context)


@staff(*CLINICAL)
async def set_view(request: Request) -> Response:
    photo_id: int = request.path_params["photo_id"]
    form = await form_input(request)
    view = form.get("view") or None
    records = records_for(request)
    try:
        if view is not None and view not in PHOTO_VIEWS:
            raise InputError(f"view must be one of {', '.join(PHOTO_VIEWS)} or not said")
        row = await blocking(records.set_photo_view, photo_id, view)
    except RecordNotFoundError:
        raise
    except ClinicError as exc:
        raise InputError(str(exc)) from None
    said = VIEW_LABELS[view].lower() if view else "not said"
    studio_of(request).flash(request.state.signed.session.token_hash, f"Photo view: {said}.")
    target = f"/studio/patients/{rid(row.patient_id)}/photos/compare"
    return redirect(f"{target}?view={view}" if view else target)


routes = [
    Route("/studio/patients/{patient_id:rid}/photos/compare", compare, methods=["GET"]),
    Route("/studio/photos/{photo_id:rid}/view", set_view, methods=["POST"]),
]
