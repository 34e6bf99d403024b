"""Results on all photos: the client's saved design on every photo of a visit, consistently.

``GET /studio/patients/{id}/photos/series?photos=ID,ID,…`` simulates the client's latest saved
design (or the default soft design) on the chosen photos — by default those of the latest
visit (one session, one consultation, or one day) — as one series
(:func:`smpstudio.photo.analyze_series`): one skin reading pooled from the well-lit photos,
one pigment, one hairline height carried to every photo with a face. The work runs on the
studio's compute lane, off the event loop; the before and after images come inline in the
page (nothing is stored). Reads go through :class:`~smpstudio.clinic.ClinicRecords`: scoped
to the clinic and audited.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import smpstudio
from smpstudio._design import Design, design_from_inputs
from smpstudio._errors import InputError
from smpstudio._lru import Lru
from smpstudio.clinic import ClinicRecords, Photo
from smpstudio.photo import (
    PhotoTreatment,
    analyze_series,
    ingest_photo,
    series_pigment,
    simulate_series,
)
from smpstudio.web._clients import CLINICAL, patient_id
from smpstudio.web._http import page, records_for, staff, studio_of
from smpstudio.web._ids import form_rid, rid
from smpstudio.web._photo_compare import VIEW_LABELS
from smpstudio.web._state import blocking, compute
from smpstudio.web._uploads import jpeg_data_uri

__all__ = ["MAX_PHOTOS", "routes"]

MAX_PHOTOS = 6
"""Photos of one series page (each is analysed and simulated)."""
WORK_SIDE_PX = 1600
"""Longest side the photos are simulated at."""
SHOWN_SIDE_PX = 720
"""Longest side of the before and after images in the page."""
_CORE_VIEW = {"front": "frontal", "three-quarter": "frontal"}


@dataclass(frozen=True)
class Visit:
    """Photos taken at one visit: one session, one consultation, or one day."""

    key: str
    label: str
    photo_ids: tuple[int, ...]

    @property
    def query(self) -> str:
        return ",".join(rid(i) for i in self.photo_ids)


def _visit_key(photo: Photo, zone: Any) -> tuple[str, str]:
    when = (photo.taken_at or photo.created_at).astimezone(zone)
    if photo.session_id is not None:
        return f"session-{photo.session_id}", f"session · {when:%d %b %Y}"
    if photo.consultation_id is not None:
        return f"consultation-{photo.consultation_id}", f"consultation · {when:%d %b %Y}"
    return f"day-{when:%Y-%m-%d}", f"{when:%d %b %Y}"


def _visits(photos: list[Photo], zone: Any) -> list[Visit]:
    groups: dict[str, tuple[str, list[int]]] = {}
    for p in photos:
        key, label = _visit_key(p, zone)
        groups.setdefault(key, (label, []))[1].append(p.id)
    return [Visit(k, label, tuple(ids)) for k, (label, ids) in groups.items()]


def _chosen(raw: str, photos: list[Photo], visits: list[Visit]) -> list[Photo]:
    by_id = {p.id: p for p in photos}
    if not raw.strip():
        return [by_id[i] for i in visits[-1].photo_ids][-MAX_PHOTOS:] if visits else []
    parts = [form_rid(part) for part in raw.split(",") if part.strip()]
    if len(parts) > MAX_PHOTOS:
        raise InputError(f"choose at most {MAX_PHOTOS} photos for one series")
    if not all(part is not None for part in parts):
        raise InputError("photos must be the page's photo tokens separated by commas")
    ids = list(dict.fromkeys(part for part in parts if part is not None))
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise InputError("a photo chosen is not among this client's photos")
    return [by_id[i] for i in ids]


def _design_of(records: ClinicRecords, pid: int) -> tuple[Design, str, str]:
    """The client's latest saved design (or the default soft one), its hair colour and what
    it is, in words."""
    designs = records.designs(pid)
    if not designs:
        return (
            smpstudio.design(pattern="norwood-5", hairline="soft", seed=7),
            "dark-brown",
            ("the default soft hairline, Norwood 5 (no saved design yet)"),
        )
    latest = designs[-1]
    data = json.loads(latest.content)
    hair = str(data.get("studio", {}).get("hair", "dark-brown"))
    return design_from_inputs(data["inputs"]), hair, f"design version {latest.version}"


def _gather(records: ClinicRecords, pid: int, raw: str) -> dict[str, Any]:
    patient = records.patient(pid)
    photos = records.photos(pid)
    visits = _visits(photos, records.timezone)
    chosen = _chosen(raw, photos, visits)
    design, hair, which = _design_of(records, pid) if chosen else (None, "", "")
    zone = records.timezone
    shots = [
        {
            "id": p.id,
            "view": p.view,
            "label": f"{VIEW_LABELS.get(p.view or '', 'View not said')} · "
            f"{(p.taken_at or p.created_at).astimezone(zone):%d %b %Y}",
            "data": records.photo_bytes(p.id),
        }
        for p in chosen
    ]
    return {
        "patient": patient,
        "visits": visits,
        "shots": shots,
        "design": design,
        "hair": hair,
        "design_label": which,
        "selected": ",".join(rid(p.id) for p in chosen),
    }


def _data_uri(pixels: np.ndarray[Any, Any]) -> str:
    return jpeg_data_uri(pixels, side=SHOWN_SIDE_PX, quality=85)[0]


def series_results(shots: list[dict[str, Any]], design: Design, hair: str) -> dict[str, Any]:
    """Analyse and simulate the shots as one series (numeric work: the compute lane)."""
    photos = []
    for n, shot in enumerate(shots, start=1):
        view = _CORE_VIEW.get(shot["view"] or "front", shot["view"] or "frontal")
        try:
            photos.append(
                ingest_photo(shot["data"], view=view, name=None, decode_side=WORK_SIDE_PX)
            )
        except InputError as exc:
            raise InputError(f"photo {n} ({shot['label']}) cannot be used: {exc}") from None
    treatment = PhotoTreatment.from_design(design)
    series = analyze_series(photos, treatment=treatment, seed=int(design.inputs["seed"]))
    if series.skin.tone is None:
        raise InputError(
            "no photo of the series lets the skin be measured (greyscale, coloured light or no "
            "skin): add a colour photo in daylight"
        )
    pigment = series_pigment(series.skin.tone, hair, settings=design.settings)
    sims = simulate_series(series, treatment=treatment, pigment=pigment)
    rows = []
    for i, (shot, sim) in enumerate(zip(shots, sims.simulations, strict=True)):
        analysis = series.analyses[i]
        rows.append(
            {
                "label": shot["label"],
                "before": _data_uri(sim.before),
                "after": _data_uri(sim.after),
                "notes": [*series.notes[i], *analysis.warnings],
                "vote": series.skin.votes[i],
                "dots": len(sim.impressions),
            }
        )
    outvoted = [v for v in series.skin.votes if v.tone is not None and not v.used]
    return {
        "skin": series.skin,
        "pigment": pigment,
        "design_units": series.design,
        "rows": rows,
        "outvoted": outvoted,
    }


_RESULTS: Lru[str, dict[str, Any]] = Lru(8)
"""Series pages made lately, by the photos' contents, the design and the hair colour: the page
opened again (a reload, back from the record) is not simulated again (5–10 s of CPU for two
photos; an entry holds its images as JPEG, about 100 kB a photo)."""


def _results_key(shots: list[dict[str, Any]], design: Design, hair: str) -> str:
    digest = hashlib.sha256()
    for shot in shots:
        digest.update(hashlib.sha256(shot["data"]).digest())
        digest.update(json.dumps([shot["view"], shot["label"]]).encode())
    digest.update(json.dumps(design.inputs, sort_keys=True, default=str).encode())
    digest.update(hair.encode())
    return digest.hexdigest()


@staff(*CLINICAL)
async def series_page(request: Request) -> Response:
    pid = patient_id(request)
    raw = request.query_params.get("photos", "")
    gathered = await blocking(_gather, records_for(request), pid, raw)
    results = None
    if gathered["shots"]:
        shots, design, hair = gathered["shots"], gathered["design"], gathered["hair"]
        key = _results_key(shots, design, hair)
        results = _RESULTS.get(key)
        if results is None:
            made = await compute(studio_of(request), series_results, shots, design, hair)
            results = _RESULTS.put(key, made)
    context = {
        "title": "Results on all photos",
        **{k: v for k, v in gathered.items() if k not in ("shots", "design")},
        "count": len(gathered["shots"]),
        "results": results,
        "max_photos": MAX_PHOTOS,
    }
    return page(request, "photo_series.html", context)


routes = [
    Route("/studio/patients/{patient_id:rid}/photos/series", series_page, methods=["GET"]),
]
