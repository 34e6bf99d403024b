"""The clinic's public site: what SMP is, a candidacy self-check, a cost estimator, "preview
your look", the consultation request (saved as a lead) and the contact page.

Nothing a visitor types is kept except a consultation request they send with their consent
to be contacted. A photo sent to "preview your look" is read in memory — for its skin tone
and, when it shows a face, to draw the design's healed result on it — and forgotten with the
answer. Renders for visitors are limited per address.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smpstudio import Design, Settings
from smpstudio._errors import InputError
from smpstudio.clinic import CONTRAINDICATIONS, STAGES, evaluate_candidacy
from smpstudio.colour import MONK_SWATCHES, DilutionTable
from smpstudio.dots import dilution_rule
from smpstudio.hairline import HAIRLINE_STYLES
from smpstudio.photo import PhotoAnalysis, PhotoTreatment, simulate_photo
from smpstudio.plan import (
    LASTS_YEARS,
    REFRESH_YEARS,
    GraftTable,
    PriceTable,
    client_guidance,
    smp_cost,
    transplant_cost,
)
from smpstudio.web._designer import preview_response
from smpstudio.web._http import (
    anon_csrf_ok,
    client_address,
    close_form,
    error_page,
    form_input,
    page,
    studio_of,
)
from smpstudio.web._load import checkpoint
from smpstudio.web._preview import PreviewParams
from smpstudio.web._state import Studio, blocking, public_compute
from smpstudio.web._uploads import (
    SKIN_SIDE_PX,
    SkinReading,
    UploadRejectedError,
    ingest_photo,
    jpeg_data_uri,
    read_photo,
)

__all__ = ["routes"]

PATTERN_CHOICES = (
    ("norwood-2", "Receding at the temples"),
    ("norwood-3", "Deeper temple recession"),
    ("norwood-3v", "Recession and a thinning crown"),
    ("norwood-4", "Receding front and a bald crown"),
    ("norwood-5", "Front and crown joining"),
    ("norwood-6", "Bald on top, hair at the sides"),
    ("norwood-7", "Only a band of hair at the sides and back"),
    ("ludwig-1", "Thinning along the parting"),
    ("ludwig-2", "Wider thinning on top"),
    ("diffuse", "Thinning all over"),
)
_PATTERN_NAMES = dict(PATTERN_CHOICES)
STYLE_TEXT = {
    "soft": "Soft: a natural, slightly broken edge",
    "broken": "Broken: a deliberately irregular, mature edge",
    "medium": "Medium: clean but not sharp",
    "defined": "Defined: a crisp, barbered line",
}


def _context(request: Request, **extra: Any) -> dict[str, Any]:
    return {"patterns": PATTERN_CHOICES, "styles": STYLE_TEXT, **extra}


async def home(request: Request) -> Response:
    """What SMP is, and what every client is told (the same words as the plan's PDF)."""
    studio = studio_of(request)
    contact = await blocking(clinic_contact, studio)
    context = _context(
        request,
        title="Scalp micropigmentation",
        guidance=client_guidance(contact=contact),
        lasts=(
            f"The result can last {LASTS_YEARS[0]} to {LASTS_YEARS[1]} years, with a refresh "
            f"usually {REFRESH_YEARS[0]} to {REFRESH_YEARS[1]} years after healing: see "
            "“Looking after it for years” below."
        ),
    )
    return page(request, "site_home.html", context)


def clinic_contact(studio: Studio) -> str:
    """The clinic's name and how to reach it, from its settings: "Name on phone or e-mail"."""
    contact = studio.contact()
    ways = " or ".join(x for x in (contact["phone"], contact["email"]) if x)
    name = studio.site_name()
    return f"{name} on {ways}" if ways else name


async def hero_image(request: Request) -> Response:
    """The home page's illustration: a healed SMP on the virtual head (rendered once)."""
    studio = studio_of(request)
    params = PreviewParams.parse(
        {
            "pattern": "norwood-6",
            "hairline": "soft",
            "height_cm": 7.6,
            "view": "top",
            "state": "healed",
            "size": 768,
            "skin": "#d7bd96",
            "hair": "dark-brown",
        }
    )
    response = await preview_response(studio, params, "")
    for name in ("x-smp-geometry", "x-smp-blend"):  # the practitioner's, not the public's
        if name in response.headers:
            del response.headers[name]
    return response


# --- candidacy self-check ---


async def candidacy(request: Request) -> Response:
    context = _context(request, title="Is SMP for me?", questions=CONTRAINDICATIONS, values={})
    if request.method == "GET":
        return page(request, "site_candidacy.html", context)
    if not await anon_csrf_ok(request):
        return error_page(request, 403, "Form expired", "Open the page again and resend it.")
    form = await form_input(request)
    values = form.values()
    missing = [q for q in CONTRAINDICATIONS if values.get(f"q_{q.key}") not in ("yes", "no")]
    if missing:
        context.update(
            values=values, error=f"Answer every question, yes or no ({len(missing)} left)."
        )
        return page(request, "site_candidacy.html", context, status=422)
    answers = {q.key: values.get(f"q_{q.key}") == "yes" for q in CONTRAINDICATIONS}
    result = evaluate_candidacy(answers)
    questions = {q.key: q.question for q in CONTRAINDICATIONS}
    context.update(
        values=values,
        result=result,
        findings=[(questions[f.key], f.rule, f.advice) for f in result.findings],
    )
    return page(request, "site_candidacy.html", context)


# --- cost estimator ---


def _estimate(studio: Studio, pattern: str, style: str, scar: str) -> dict[str, Any]:
    params = PreviewParams.parse(
        {"pattern": pattern, "hairline": style, "scars": [scar] if scar else []}
    )
    design = studio.preview.design(params)
    summary = design.summary
    own = studio.public_prices()  # the clinic's prices, as its plans use; else typical ones
    prices = own or PriceTable.default()
    extra = 1 if scar else 0
    cost = smp_cost(
        treated_area_cm2=summary.treatment_cm2,
        impressions=summary.impressions[-1],
        sessions=len(summary.impressions),
        extra_sessions=extra,
        prices=prices,
    )
    # The cost per graft is a US figure (Settings.plan_cost_per_graft_*): it stays in USD.
    transplant = transplant_cost(
        pattern, settings=Settings(), grafts=GraftTable.default(), currency="USD"
    )
    return {
        "cost": cost,
        "transplant": transplant,
        "area": summary.treatment_cm2,
        "impressions": summary.impressions[-1],
        "sessions": len(summary.impressions) + extra,
        "own_prices": own is not None,
    }


async def cost(request: Request) -> Response:
    studio = studio_of(request)
    context = _context(
        request, title="What it costs", values={"pattern": "norwood-4", "hairline": "soft"}
    )
    if request.method == "GET":
        return page(request, "site_cost.html", context)
    if not await anon_csrf_ok(request):
        return error_page(request, 403, "Form expired", "Open the page again and resend it.")
    form = await form_input(request)
    values = form.values()
    context["values"] = values
    if studio.visitor_renders.blocked(client_address(request)):
        return _wait_a_minute(
            page(
                request,
                "site_cost.html",
                {**context, "error": "Too many requests: wait a minute."},
                status=429,
            )
        )
    studio.visitor_renders.fail(client_address(request))
    pattern, style, scar = (
        values.get("pattern", ""),
        values.get("hairline", ""),
        values.get("scar", ""),
    )
    if (
        pattern not in _PATTERN_NAMES
        or style not in HAIRLINE_STYLES
        or scar not in ("", "fut", "fue")
    ):
        context["error"] = (
            "Choose your hair loss, the hairline you would like and whether you have a scar."
        )
        return page(request, "site_cost.html", context, status=422)
    context["estimate"] = await public_compute(studio, _estimate, studio, pattern, style, scar)
    context["pattern_name"] = _PATTERN_NAMES[pattern]
    return page(request, "site_cost.html", context)


# --- preview your look ---


LOOK_PHOTO_SIDE = 768
"""Longest side (px) of the visitor's own before and after images on the page (the page
shows them at most 512 px wide; 1.5× for sharp screens)."""
_LOOK_JPEG_QUALITY = 88
VISIBLE_LEVELS = 6
"""Change of a pixel (sum over R, G, B of 8-bit levels) from which it counts as visibly
changed: about two levels a channel."""
VISIBLE_SHARE = 0.001
"""Visibly changed pixels, as a share of the face's area, below which the result would not
show on the photo (measured with norwood-6, soft, black hair: a shaved crown 8 %, Biden's
thinning grey front 0.14 %, full heads of hair 0–0.07 %)."""


@dataclass(frozen=True)
class Look:
    """What "preview your look" shows: the skin tone used, the photo's reading, the
    visitor's own photo before and after (data URLs with their size; empty when the photo
    cannot show a result, ``photo_note`` says why) and the model head's before and after."""

    skin: str
    reading: SkinReading | None
    own: tuple[tuple[str, str, int, int], ...]
    photo_note: str | None
    model: tuple[tuple[str, str], ...]


_NO_RESULT_ON_PHOTO = (
    "Your photo shows no bald or thinning scalp behind the hairline you chose, so the "
    "result would not show on it: send a photo facing the camera that shows your hairline "
    "and the top of your head, or look at the model head."
)


def _look_images(studio: Studio, values: dict[str, str], photo: bytes | None) -> Look:
    """The skin tone (measured on the photo when one was sent, which is then forgotten; the
    chosen swatch when the photo cannot tell), the reading, the design's healed result on
    the visitor's own photo when it shows a face, and the model head's before and healed
    images, as data URLs; in the public lane, within its CPU budget."""
    skin = values.get("skin", MONK_SWATCHES[4])
    hair = values.get("hair", "dark-brown")
    base = {
        "pattern": values.get("pattern"),
        "hairline": values.get("hairline", "soft"),
        "skin": skin,
        "hair": hair,
        "view": "top",
        "size": 512,
    }
    reading: SkinReading | None = None
    own: tuple[tuple[str, str, int, int], ...] = ()
    note: str | None = None
    if photo is not None:
        design = studio.preview.design(PreviewParams.parse({**base, "state": "healed"}))
        treatment = PhotoTreatment.from_design(design)
        reading, analysis = read_photo(ingest_photo(photo, side=SKIN_SIDE_PX), treatment=treatment)
        if reading.tone is not None:
            skin = base["skin"] = reading.tone.hex
        checkpoint()
        if analysis is not None:
            own, note = _on_photo(analysis, treatment, design, skin=skin, hair=hair)
            checkpoint()
    model = []
    for state, label in (("before", "Today"), ("healed", "After SMP, healed")):
        params = PreviewParams.parse({**base, "state": state})
        found = studio.preview.render(params)
        assert found is not None
        model.append((label, "data:image/jpeg;base64," + base64.b64encode(found.jpeg).decode()))
        checkpoint()
    return Look(skin, reading, own, note, tuple(model))


def _on_photo(
    analysis: PhotoAnalysis, treatment: PhotoTreatment, design: Design, *, skin: str, hair: str
) -> tuple[tuple[tuple[str, str, int, int], ...], str | None]:
    """The visitor's photo before and with the design's healed result, or why not."""
    sim = simulate_photo(
        analysis,
        treatment=treatment,
        dilution=dilution_rule(skin, hair, settings=design.settings),
        seed=int(design.inputs["seed"] or 0),
    )
    if not _shows(sim.before, sim.after, analysis):
        return (), _NO_RESULT_ON_PHOTO
    x0, y0, x1, y1 = _head_box(analysis)
    images = []
    for label, pixels in (("Your photo today", sim.before), ("After SMP, healed", sim.after)):
        src, width, height = jpeg_data_uri(
            pixels[y0:y1, x0:x1], side=LOOK_PHOTO_SIDE, quality=_LOOK_JPEG_QUALITY
        )
        images.append((label, src, width, height))
    return tuple(images), None


HEAD_BOX = (0.9, 1.35, 0.3)
"""The head on the visitor's photo, in glabella–menton heights: half its width, its top
above the glabella and its bottom below the menton (the head is about 1.25 face heights
wide and rises 0.7–0.8 above the glabella; the rest is margin), so the result is seen at
the size of the head, not of the whole photo."""


def _head_box(analysis: PhotoAnalysis) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)`` of the head on the photo (the whole photo without a face)."""
    height, width = analysis.photo.pixels.shape[:2]
    marks = analysis.landmarks
    if marks is None or not marks.has("glabella", "menton"):
        return 0, 0, width, height
    (gx, gy), (_, my) = marks["glabella"], marks["menton"]
    drop = max(float(my - gy), 1.0)
    half, above, below = (share * drop for share in HEAD_BOX)
    x0, x1 = max(0, int(gx - half)), min(width, math.ceil(gx + half))
    y0, y1 = max(0, int(gy - above)), min(height, math.ceil(my + below))
    return x0, y0, x1, y1


def _shows(
    before: npt.NDArray[np.uint8], after: npt.NDArray[np.uint8], analysis: PhotoAnalysis
) -> bool:
    """Whether the result can be seen on the photo: at least :data:`VISIBLE_SHARE` of the
    face's area changes by more than :data:`VISIBLE_LEVELS`."""
    change = np.abs(after.astype(np.int16) - before.astype(np.int16)).sum(axis=2)
    seg = analysis.segmentation
    face_px = float(seg.mask("face").sum()) / seg.zoom**2
    return float((change > VISIBLE_LEVELS).sum()) >= VISIBLE_SHARE * face_px


async def look(request: Request) -> Response:
    try:
        return await _look(request)
    finally:
        await close_form(request)


async def _look(request: Request) -> Response:
    studio = studio_of(request)
    context = _context(
        request,
        title="Preview your look",
        monk=list(enumerate(MONK_SWATCHES, start=1)),
        hair_colours=tuple(DilutionTable.default().hair_colours),
        values={
            "pattern": "norwood-5",
            "hairline": "soft",
            "skin": MONK_SWATCHES[4],
            "hair": "dark-brown",
        },
    )
    if request.method == "GET":
        return page(request, "site_preview.html", context)
    if not await anon_csrf_ok(request):
        return error_page(request, 403, "Form expired", "Open the page again and resend it.")
    address = client_address(request)
    form = await form_input(request)
    values = form.values()
    context["values"] = values
    if studio.visitor_renders.blocked(address):
        context["error"] = "Too many previews in a minute: wait a moment and try again."
        return _wait_a_minute(page(request, "site_preview.html", context, status=429))
    studio.visitor_renders.fail(address)
    try:
        if values.get("pattern") not in _PATTERN_NAMES:
            raise InputError("choose your hair loss")
        upload = form.file("photo")
        data = await upload.read() if upload is not None else None
        look_ = await public_compute(studio, _look_images, studio, values, data)
        reading = look_.reading
        if reading is not None:
            context["measured"] = None if reading.tone is None else look_.skin
            context["skin_notes"] = reading.notes
        if reading is not None and reading.tone is not None:  # the swatch nearest the reading
            context["values"] = {**values, "skin": MONK_SWATCHES[reading.tone.monk - 1]}
    except UploadRejectedError as exc:
        context["error"] = str(exc)[:1].upper() + str(exc)[1:]
        return page(request, "site_preview.html", context, status=exc.status)
    except InputError as exc:
        context["error"] = str(exc)[:1].upper() + str(exc)[1:]
        return page(request, "site_preview.html", context, status=422)
    context.update(images=look_.model, own=look_.own, photo_note=look_.photo_note, skin=look_.skin)
    return page(request, "site_preview.html", context)


# --- consultation request and contact ---


async def consultation(request: Request) -> Response:
    studio = studio_of(request)
    context = _context(request, title="Book a consultation", stages=STAGES, values={})
    if request.method == "GET":
        return page(request, "site_consultation.html", context)
    if not await anon_csrf_ok(request):
        return error_page(request, 403, "Form expired", "Open the page again and resend it.")
    form = await form_input(request)
    values = form.values()
    context["values"] = values
    clinic_id = await blocking(studio.public_clinic_id)
    if clinic_id is None:
        return error_page(request, 503, "Not open yet", "The clinic is not taking requests yet.")
    if form.get("website"):  # a field people never see: only robots fill it
        return page(request, "site_thanks.html", _context(request, title="Thank you"))
    address = client_address(request)
    if studio.visitor_leads.blocked(address):
        context["error"] = "Several requests came from here just now: wait a minute."
        return _wait_a_minute(page(request, "site_consultation.html", context, status=429))
    records = studio.db.clinic(clinic_id, actor=f"web:{address}")
    try:
        stage = values.get("stage") or None
        await blocking(
            records.add_lead,
            values.get("name", ""),
            email=values.get("email") or None,
            phone=values.get("phone") or None,
            message=values.get("message", ""),
            stage=stage,
            contact_consent=form.checked("contact_consent"),
        )
    except InputError as exc:
        context["error"] = str(exc)[:1].upper() + str(exc)[1:] + "."
        return page(request, "site_consultation.html", context, status=422)
    studio.visitor_leads.fail(address)
    return page(request, "site_thanks.html", _context(request, title="Thank you"))


async def contact(request: Request) -> Response:
    details = await blocking(studio_of(request).contact)
    return page(request, "site_contact.html", _context(request, title="Contact", contact=details))


routes = [
    Route("/", home, methods=["GET"]),
    Route("/look/hero.jpg", hero_image, methods=["GET"]),
    Route("/candidacy", candidacy, methods=["GET", "POST"]),
    Route("/cost", cost, methods=["GET", "POST"]),
    Route("/preview", look, methods=["GET", "POST"]),
    Route("/consultation", consultation, methods=["GET", "POST"]),
    Route("/contact", contact, methods=["GET"]),
]


def _wait_a_minute(response: Response) -> Response:
    """A visitor's 429 says when to come back: the limits count a minute per address."""
    response.headers["Retry-After"] = "60"
    return response
