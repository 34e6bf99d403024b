"""plan.pdf read back with pypdf: pages, images, text, metadata, determinism, speed."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader

from smpstudio import PlanError
from smpstudio.reports import PDF_TITLE, plan_pdf
from tests.plan.cases import plan_of

ISSUED = dt.datetime(2026, 2, 1, 9, 30)
NAME = "ZZTESTPATIENT"


def _picture(width: int, height: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, size=(height // 8, width // 8, 3), dtype=np.uint8)
    return Image.fromarray(pixels).resize((width, height), Image.Resampling.NEAREST)


def _text(reader: PdfReader) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_pages_images_and_text() -> None:
    plan = plan_of()
    images = [("Scalp chart", _picture(900, 420, 1)), ("After session 3", _picture(600, 600, 2))]
    pdf = plan_pdf(plan, images, issued=ISSUED, clinic="Example Clinic", client_name=NAME)
    reader = PdfReader(BytesIO(pdf))
    assert len(reader.pages) >= 2
    assert sum(len(page.images) for page in reader.pages) == 2
    assert len(reader.pages[0].images) >= 1
    first = reader.pages[0].images[0].image
    assert first is not None
    assert first.size == (900, 420)
    text = _text(reader)
    for expected in (
        "Your SMP treatment plan",
        "Example Clinic",
        f"Prepared for {NAME}",
        "Soft style, rounded shape, 8 cm",
        "2 March 2026",
        "30 March 2026",
        "USD 2,000–3,500",
        "USD 10,000–28,000",
        "Scalp chart",
        "After session 3",
        "keep your scalp dry",
        f"we suggest around {plan.touch_up.date:%B %Y}",
        "mL of water per mL of pigment",
    ):
        assert expected in text, expected
    for session in plan.sessions:
        assert f"{session.impressions:,}" in text


def test_no_client_identifiers_in_the_metadata() -> None:
    pdf = plan_pdf(plan_of(), issued=ISSUED, clinic="Example Clinic", client_name=NAME)
    meta = PdfReader(BytesIO(pdf)).metadata
    assert meta is not None
    assert meta.title == PDF_TITLE
    assert meta.author == "Example Clinic"
    for key in ("/Author", "/Title", "/Subject", "/Keywords", "/Creator", "/Producer"):
        assert NAME not in str(meta.get(key, ""))
    assert NAME.encode() not in pdf.split(b"stream")[0]


def test_same_inputs_same_bytes() -> None:
    chart = [("chart", _picture(400, 200, 3))]
    a = plan_pdf(plan_of(), chart, issued=ISSUED)
    b = plan_pdf(plan_of(), chart, issued=ISSUED)
    assert a == b
    assert a != plan_pdf(plan_of(), chart, issued=ISSUED + dt.timedelta(days=1))


def test_image_metadata_is_not_carried_over() -> None:
    picture = _picture(300, 200, 4)
    exif = Image.Exif()
    exif[0x010F] = "ZZCAMERAMAKE"  # Make
    buffer = BytesIO()
    picture.save(buffer, format="JPEG", exif=exif, comment=b"ZZCOMMENT")
    buffer.seek(0)
    with Image.open(buffer) as tagged:
        assert tagged.info.get("exif")
        pdf = plan_pdf(plan_of(), [("photo", tagged)], issued=ISSUED)
    reader = PdfReader(BytesIO(pdf))
    (embedded,) = reader.pages[0].images
    assert embedded.image is not None
    assert not embedded.image.getexif()
    for page in reader.pages:
        for obj in page.images:
            assert b"ZZCAMERAMAKE" not in obj.data
            assert b"ZZCOMMENT" not in obj.data


def test_twelve_photos_are_all_embedded() -> None:
    """(Its speed is measured by make bench, not asserted here.)"""
    photos = [(f"photo {k}", _picture(1200, 900, k)) for k in range(12)]
    pdf = plan_pdf(plan_of(), photos, issued=ISSUED)
    reader = PdfReader(BytesIO(pdf))
    assert sum(len(page.images) for page in reader.pages) == 12


@pytest.mark.parametrize(
    ("images", "message"),
    [
        ([("not an image", b"png")], "not a PIL image"),
        ([("huge", Image.new("L", (8000, 6000)))], "over 40 MP"),
    ],
)
def test_bad_images(images: list[tuple[str, object]], message: str) -> None:
    with pytest.raises(PlanError, match=message):
        plan_pdf(plan_of(), images, issued=ISSUED)  # type: ignore[arg-type]


def test_provisional_and_redone_sessions_are_shown() -> None:
    from smpstudio.plan import record_session

    plan = record_session(plan_of(trial=True), index=1, retention={"body": 70})
    text = _text(PdfReader(BytesIO(plan_pdf(plan, issued=ISSUED))))
    assert "redone" in text
    trial = _text(PdfReader(BytesIO(plan_pdf(plan_of(trial=True), issued=ISSUED))))
    assert "(provisional)" in trial
    assert "Trial start" in trial


def test_the_plan_tells_the_client_what_the_brief_promises() -> None:
    """Issue 18: shaving, long-term sun, normal scabbing and fading, signs of infection and
    who to call, pain, redness, hygiene, risks and one touch-up story."""
    plan = plan_of()
    contact = "Example Clinic on 020 7946 0000 or hello@example.com"
    pdf = plan_pdf(plan, issued=ISSUED, clinic="Example Clinic", contact=contact)
    text = _text(PdfReader(BytesIO(pdf)))
    for expected in (
        "What to expect",
        "about 3 out of 10",
        "no downtime",
        "gone by the next day",
        "flake off by themselves",
        "That fading is normal",
        "you may shave again",
        "Hygiene",
        "opened in front of you",
        "Looking after it for years",
        "SPF 30 to 50",
        "can last 7 to 10 years",
        "usually 3 to 5 years after healing",
        "Risks",
        "blurring",
        "blue shift",
        "laser treatment",
        "When to call us",
        "signs of infection",
        f"call {contact}",
    ):
        assert expected in text, expected
    assert "a day or two" not in text
    assert "4–5 years" not in text


def test_before_and_after_stand_side_by_side_on_one_page() -> None:
    images = [
        ("Before (top view)", _picture(640, 640, 1)),
        ("After, healed (top view)", _picture(640, 640, 2)),
        ("Scalp chart", _picture(1800, 848, 3)),
    ]
    reader = PdfReader(BytesIO(plan_pdf(plan_of(), images, issued=ISSUED)))
    pages = [len(page.images) for page in reader.pages]
    assert pages[0] >= 2  # before and after together, on the first page
    first = reader.pages[0]
    text = " ".join((first.extract_text() or "").split())
    assert "Before (top view)" in text
    assert "After, healed (top view)" in text


@pytest.mark.parametrize(
    ("pattern", "scars", "says"),
    [
        ("ludwig-2", (), "Density: dots placed between your own hairs"),
        ("diffuse", (), "your own hairline stays as it is"),
        ("none", ("fut",), "Scar camouflage: strip (FUT) scar"),
    ],
)
def test_no_hairline_is_spoken_of_when_there_is_none(
    pattern: str, scars: tuple[str, ...], says: str
) -> None:
    plan = plan_of(pattern, scars)
    assert not plan.design.restores_hairline
    text = _text(PdfReader(BytesIO(plan_pdf(plan, issued=ISSUED))))
    assert says in text
    assert "Soft style" not in text
    assert "hairline is defined" not in text
    assert "toward the hairline" not in text
    assert "1RL at the soft edges and on scars" in text
    # "hairline" only where the plan says the client's own stays as it is, or quotes the
    # clinic's price band by its name
    said = text.replace("your own hairline stays as it is", "").replace(
        "'small area: hairline, scar or patch'", ""
    )
    assert "hairline" not in said.lower()


def test_a_receding_pattern_keeps_its_hairline_row() -> None:
    plan = plan_of("norwood-3")
    assert plan.design.restores_hairline
    text = _text(PdfReader(BytesIO(plan_pdf(plan, issued=ISSUED))))
    assert "Soft style, rounded shape" in text
    assert "1RL at the hairline and scars" in text
