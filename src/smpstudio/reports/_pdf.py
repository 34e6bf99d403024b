"""``plan.pdf``: the treatment plan the client takes home (reportlab)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from PIL import Image
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus import (
    Image as PdfImage,
)

from smpstudio import __version__
from smpstudio._errors import PlanError
from smpstudio.colour import dot_lab, lab_to_srgb, srgb_to_hex
from smpstudio.plan import (
    LASTS_YEARS,
    GuidanceSection,
    Plan,
    Session,
    client_guidance,
    long_date,
)

__all__ = ["PDF_TITLE", "plan_pdf"]

PDF_TITLE = "SMP treatment plan"
"""Document title in the PDF metadata (no client identifiers there)."""

_FONT, _BOLD = "SmpSans", "SmpSans-Bold"
_INK = colors.HexColor("#222226")
_MUTED = colors.HexColor("#6e6e76")
_RULE = colors.HexColor("#d9d6cf")
_BAND = colors.HexColor("#f3f1ec")
_WIDTH = A4[0] - 36 * mm
_MAX_IMAGE_PIXELS = 40_000_000


def plan_pdf(
    plan: Plan,
    images: Sequence[tuple[str, Image.Image]] = (),
    *,
    issued: dt.datetime,
    clinic: str | None = None,
    client_name: str | None = None,
    contact: str | None = None,
) -> bytes:
    """The client's treatment plan as PDF bytes.

    Parameters
    ----------
    plan
        The treatment plan.
    images
        (caption, image) pairs shown on the first page: the scalp chart, before/after
        renders. Consecutive images that are not wide (before and after) stand side by side,
        two to a row, on one page; wide ones (the chart) take the full width. Images are
        re-encoded from their pixels only (no metadata is carried over).
    issued
        Date printed on the plan; with the same plan, images and ``issued`` the bytes are the
        same.
    clinic
        The clinic's name, printed in the header and as the PDF author.
    client_name
        Printed as "Prepared for …" on the first page only, never in the PDF metadata.
    contact
        How to reach the clinic (name, phone, e-mail, from its settings), printed where the
        plan tells the client when to call.

    Examples
    --------
    >>> import datetime as dt, smpstudio
    >>> from smpstudio.dots import dilution_rule, place_impressions
    >>> from smpstudio.plan import build_plan
    >>> d = smpstudio.design(pattern="norwood-3", hairline="soft", seed=1)
    >>> dots = place_impressions(d, dilution=dilution_rule("#d7bd96", "black"))
    >>> plan = build_plan(d, dots, start=dt.date(2026, 3, 2), skin="#d7bd96")
    >>> pdf = plan_pdf(plan, issued=dt.datetime(2026, 2, 1))
    >>> pdf[:5], b"/Title (SMP treatment plan)" in pdf
    (b'%PDF-', True)
    """
    if not isinstance(issued, dt.datetime | dt.date):
        raise PlanError(f"issued must be a date, got {issued!r}")
    _register_fonts()
    styles = _styles()
    story: list[Flowable] = []
    story += _header(plan, styles, issued, clinic, client_name)
    story += _glance(plan, styles)
    story += _images(images, styles)
    guidance = {
        g.title: g
        for g in client_guidance(plan.settings, contact=contact or clinic, touch_up=plan.touch_up)
    }
    story += _sessions(plan, styles)
    story += _costs(plan, styles)
    story += _guidance(guidance.pop("What to expect"), styles)
    story += _guidance(guidance.pop("Hygiene"), styles)
    story += _aftercare(plan, styles)
    story += _guidance(guidance.pop("Looking after it for years"), styles)
    story.append(_p(f"Touch-up basis: {plan.touch_up.basis}.", styles["small"]))
    for section in guidance.values():  # risks, when to call
        story += _guidance(section, styles)
    story += _notes(plan, styles)
    return _build(
        story,
        title=PDF_TITLE,
        author=clinic or "smpstudio",
        subject="Scalp micropigmentation treatment plan",
        footer=f"smpstudio {__version__} · plan {plan.plan_id[:8]}",
        top_margin=16 * mm,
    )


def _build(
    story: list[Flowable],
    *,
    title: str,
    author: str,
    subject: str,
    footer: str,
    top_margin: float = 18 * mm,
) -> bytes:
    """``story`` as the bytes of an A4 PDF of smpstudio's: 18 mm margins (the top one
    ``top_margin``), the same bytes for the same story (reportlab's invariant mode, no
    keywords, English), and at the foot of every page ``footer`` on the left and the page
    number on the right, small and muted."""
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=top_margin,
        bottomMargin=18 * mm,
        title=title,
        author=author,
        subject=subject,
        creator=f"smpstudio {__version__}",
        producer=f"smpstudio {__version__}",
        keywords=[],
        invariant=1,
        lang="en",
    )

    def on_page(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(_FONT, 7.5)
        canvas.setFillColor(_MUTED)
        canvas.drawString(18 * mm, 10 * mm, footer)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"page {document.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


@lru_cache(maxsize=1)
def _register_fonts() -> None:
    fonts = resources.files("smpstudio").joinpath("render", "fonts")
    for name, file in ((_FONT, "DejaVuSans.ttf"), (_BOLD, "DejaVuSans-Bold.ttf")):
        with resources.as_file(fonts.joinpath(file)) as path:
            pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(_FONT, normal=_FONT, bold=_BOLD, italic=_FONT, boldItalic=_BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=_FONT, fontSize=9.5, leading=13, textColor=_INK)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5, textColor=_MUTED),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11, alignment=TA_LEFT),
        "title": ParagraphStyle("title", parent=base, fontName=_BOLD, fontSize=19, leading=24),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=_BOLD,
            fontSize=12.5,
            leading=16,
            spaceBefore=10,
            spaceAfter=5,
        ),
        "caption": ParagraphStyle(
            "caption", parent=base, fontSize=8, leading=10, textColor=_MUTED, spaceAfter=6
        ),
        "point": ParagraphStyle("point", parent=base, spaceAfter=4),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _date(day: dt.date) -> str:
    return long_date(day)


def _hours(hours: float) -> str:
    whole, minutes = divmod(round(hours * 60), 60)
    return f"{whole} h {minutes:02d} min" if minutes else f"{whole} h"


def _money(currency: str, low: float, high: float) -> str:
    if low == high:  # the clinic's own price (docs/clinic.md, "Payments")
        return f"{currency} {low:,.0f}"
    return f"{currency} {low:,.0f}–{high:,.0f}"


def _header(
    plan: Plan,
    st: dict[str, ParagraphStyle],
    issued: dt.date,
    clinic: str | None,
    client_name: str | None,
) -> list[Flowable]:
    line = [f"Issued {_date(issued)}"]
    if clinic:
        line.insert(0, clinic)
    if client_name:
        line.append(f"Prepared for {client_name}")
    return [
        _p("Your SMP treatment plan", st["title"]),
        _p("Scalp micropigmentation", st["body"]),
        Spacer(1, 2 * mm),
        _p(" · ".join(line), st["small"]),
        Spacer(1, 5 * mm),
    ]


def _glance(plan: Plan, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    d = plan.design
    sessions = plan.sessions
    shades = sorted({w.ml_water for s in sessions for w in s.work})
    zone, body = plan.final_shade
    dot_hex = srgb_to_hex(lab_to_srgb(dot_lab(plan.skin.lab, body)))
    hours = sum(s.duration_h for s in sessions)
    rows: list[tuple[str, Any]] = [
        _treatment_row(plan),
        ("Hair loss", f"{_pattern(d.pattern)}; {plan.treated_area_cm2:.0f} cm² to treat"),
        (
            "Pigment",
            f"Carbon black diluted with distilled water for your skin (Monk tone "
            f"{plan.skin.monk}) and {plan.hair} hair: final {zone} shade {body:g} mL of water "
            f"per mL of pigment"
            + (
                f", lighter {_where_lighter(d.restores_hairline)} (up to {max(shades):g} mL)"
                if shades
                else ""
            )
            + "; the healed dot colour is shown on the right",
        ),
        (
            "Sessions",
            f"{len(sessions)} sessions from {_date(sessions[0].date)} to "
            f"{_date(sessions[-1].date)}, about {hours:.1f} h in all, "
            f"{plan.impressions:,} impressions",
        ),
        ("Estimated cost", f"{_money(plan.currency, plan.cost.low, plan.cost.high)}"),
        (
            "Touch-up",
            f"around {plan.touch_up.date.strftime('%B %Y')} to keep it crisp; the result can "
            f"last {LASTS_YEARS[0]} to {LASTS_YEARS[1]} years (see “Looking after it for years”)",
        ),
    ]
    data: list[list[Any]] = [[_p(k, st["cell"]), _p(v, st["cell"]), ""] for k, v in rows]
    swatch = Table([["", ""]], colWidths=[9 * mm, 9 * mm], rowHeights=[9 * mm])
    swatch.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (0, 0), colors.HexColor(plan.skin.hex)),
                ("BACKGROUND", (1, 0), (1, 0), colors.HexColor(dot_hex)),
                ("BOX", (0, 0), (-1, -1), 0.4, _RULE),
            ]
        )
    )
    data[2][2] = swatch
    table = Table(data, colWidths=[30 * mm, _WIDTH - 52 * mm, 22 * mm])
    style = [
        ("FONTNAME", (0, 0), (0, -1), _BOLD),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (1, -1), 0.4, _RULE),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
    ]
    table.setStyle(TableStyle(style))
    legend = _p(
        f"Swatches: your skin {plan.skin.hex} and a healed dot of the final shade {dot_hex}.",
        st["small"],
    )
    return [table, Spacer(1, 1.5 * mm), legend, Spacer(1, 5 * mm)]


def _fine_work(hairline: bool) -> str:
    """Where the fine needle works: the hairline only when the plan rebuilds one."""
    return "at the hairline and scars" if hairline else "at the soft edges and on scars"


def _where_lighter(hairline: bool) -> str:
    return "toward the hairline and in the first session" if hairline else "in the first session"


def _treatment_row(plan: Plan) -> tuple[str, str]:
    """The hairline when the plan rebuilds one; otherwise what it does instead: density
    between the client's own hairs, scar camouflage (Ludwig, diffuse, scars only)."""
    d = plan.design
    if d.restores_hairline:
        return (
            "Hairline",
            f"{d.hairline_style.capitalize()} style, {d.hairline_shape} shape, "
            f"{d.hairline_height_cm:g} cm above the brow line (glabella)",
        )
    parts = []
    if d.pattern not in ("none", "norwood-1"):
        parts.append(
            "Density: dots placed between your own hairs where they thin, so the scalp shows "
            "through less; your own hairline stays as it is"
        )
    if d.scars:
        kinds = sorted({_SCAR_WORDS.get(x.split(":", 1)[0], "scar") for x in d.scars})
        parts.append(f"Scar camouflage: {', '.join(kinds)}, blended into the hair around it")
    if d.areata:
        parts.append(f"{d.areata} alopecia patch{'es' if d.areata > 1 else ''} filled in")
    return ("Treatment", "; ".join(parts) or "Density between your own hairs")


_SCAR_WORDS = {"fut": "strip (FUT) scar", "fue": "FUE punch scars", "line": "scar"}


def _pattern(name: str) -> str:
    if name.startswith("norwood-"):
        return f"Norwood {name.split('-', 1)[1]} pattern"
    if name.startswith("ludwig-"):
        return f"Ludwig {name.split('-', 1)[1]} pattern"
    return f"{name.capitalize()} pattern"


def _images(
    images: Sequence[tuple[str, Image.Image]], st: dict[str, ParagraphStyle]
) -> list[Flowable]:
    out: list[Flowable] = []
    pending: list[tuple[str, Image.Image]] = []
    for caption, image in images:
        clean = _clean(caption, image)
        if clean.width <= _WIDE * clean.height:
            pending.append((caption, clean))
            if len(pending) == 2:
                out.append(_pair(pending, st))
                pending = []
            continue
        if pending:
            out.append(_pair(pending, st))
            pending = []
        out.append(KeepTogether(_figure(caption, clean, _WIDTH, 110 * mm, st)))
    if pending:
        out.append(_pair(pending, st))
    return out


_WIDE = 1.4  # wider than this × its height: a full-width image (the chart)


def _clean(caption: str, image: Image.Image) -> Image.Image:
    if not isinstance(image, Image.Image):
        raise PlanError(f"image {caption!r} is not a PIL image")
    if image.width * image.height > _MAX_IMAGE_PIXELS:
        raise PlanError(f"image {caption!r} has over 40 MP: scale it down first")
    return Image.frombytes("RGB", image.size, image.convert("RGB").tobytes())


def _figure(
    caption: str,
    clean: Image.Image,
    max_width: float,
    max_height: float,
    st: dict[str, ParagraphStyle],
) -> list[Flowable]:
    width = max_width
    height = width * clean.height / clean.width
    if height > max_height:
        height = max_height
        width = height * clean.width / clean.height
    picture = PdfImage(_embeddable(clean), width=width, height=height)
    return [picture, Spacer(1, 1.5 * mm), _p(caption, st["caption"])]


def _embeddable(clean: Image.Image) -> BytesIO:
    """What the PDF embeds: JPEG, quality 92 without chroma subsampling (thin lines and
    text in the chart stay clean), stored as it is — reportlab does not re-encode a JPEG,
    where a PNG costs it a decode and a recompression."""
    data = BytesIO()
    clean.save(data, format="JPEG", quality=92, subsampling=0)
    data.seek(0)
    return data


def _pair(items: list[tuple[str, Image.Image]], st: dict[str, ParagraphStyle]) -> Flowable:
    """Two images side by side on one row (before and after), kept on one page."""
    gap = 6 * mm
    cell = (_WIDTH - gap) / 2
    figures = [_figure(caption, clean, cell, 95 * mm, st) for caption, clean in items]
    row = Table([[*figures, ""][:2]], colWidths=[cell, cell], hAlign="LEFT")
    row.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (0, -1), gap),
                ("RIGHTPADDING", (1, 0), (1, -1), 0),
            ]
        )
    )
    return KeepTogether([row, Spacer(1, 2 * mm)])


def _sessions(plan: Plan, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    head = ["#", "Date", "What it does", "Impressions", "Time", "Pigment: mL water (dots)"]
    rows: list[list[Any]] = [[_p(h, st["cell"]) for h in head]]
    for s in plan.sessions:
        rows.append(
            [
                _p(str(s.index), st["cell"]),
                _p(_session_when(plan, s), st["cell"]),
                _p(s.purpose + (" (provisional)" if s.status == "provisional" else ""), st["cell"]),
                _p(f"{s.impressions:,}" + (f" ({s.redo:,} redone)" if s.redo else ""), st["cell"]),
                _p(f"about {s.duration_h:.1f} h; book {_hours(s.booked_h)}", st["cell"]),
                _p(_shades(s), st["cell"]),
            ]
        )
    widths = [7 * mm, 25 * mm, 58 * mm, 24 * mm, 24 * mm, _WIDTH - 138 * mm]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(_grid())
    basis = _p(
        f"Durations: {plan.settings.plan_rate_body_per_hour:,.0f} impressions an hour with the "
        f"3RL needle, {plan.settings.plan_rate_fine_per_hour:,.0f} with the 1RL "
        f"{_fine_work(plan.design.restores_hairline)}, plus "
        f"{plan.settings.plan_setup_first_minutes:g} min to prepare "
        f"the first session and {plan.settings.plan_setup_minutes:g} min the others; a session "
        f"never runs over {plan.settings.session_max_hours:g} h (a longer one is split). "
        "Pigment: mL of distilled water per mL of carbon-black pigment.",
        st["small"],
    )
    return [_p("Sessions", st["h2"]), table, Spacer(1, 1.5 * mm), basis]


def _session_when(plan: Plan, s: Session) -> str:
    day = s.date.strftime("%a ") + _date(s.date)
    if plan.time is not None:
        day += f", {plan.time.strftime('%H:%M')}"
    return day


def _shades(s: Session) -> str:
    cups = s.dilutions
    if not cups:
        return "–"
    return ", ".join(f"{ml:g} ({n:,})" for ml, n in cups.items())


def _grid() -> TableStyle:
    return TableStyle(
        [
            ("BACKGROUND", (0, 0), (-1, 0), _BAND),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, _RULE),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]
    )


def _costs(plan: Plan, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    cost = plan.cost
    out: list[Flowable] = [
        _p("Cost estimate", st["h2"]),
        _p(f"{_money(cost.currency, cost.low, cost.high)} for the whole treatment.", st["body"]),
        _p(f"Basis: {cost.basis}", st["small"]),
    ]
    t = plan.transplant
    if t is not None:
        out += [
            Spacer(1, 2 * mm),
            _p(
                f"For comparison, a hair transplant: {_money(t.currency, t.low, t.high)}.",
                st["body"],
            ),
            _p(f"Basis: {t.basis}", st["small"]),
        ]
    out.append(
        _p(
            "Estimates for planning, not a quote: your clinic confirms the price.",
            st["small"],
        )
    )
    return out


def _aftercare(plan: Plan, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    rows: list[list[Any]] = [[_p(h, st["cell"]) for h in ("From", "Until", "What to do")]]
    for e in plan.aftercare:
        until = "" if e.until is None else _date(e.until)
        rows.append([_p(_date(e.date), st["cell"]), _p(until, st["cell"]), _p(e.text, st["cell"])])
    table = Table(rows, colWidths=[27 * mm, 27 * mm, _WIDTH - 54 * mm], repeatRows=1)
    table.setStyle(_grid())
    return [_p("Aftercare", st["h2"]), table]


def _guidance(section: GuidanceSection, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    """A heading and its points, each a paragraph kept on one page (the heading with the
    first); a short lead-in before a colon in bold."""
    points: list[Flowable] = []
    for text in section.points:
        lead, colon, rest = text.partition(": ")
        if colon and len(lead) <= 20:
            points.append(Paragraph(f"<b>{escape(lead)}:</b> {escape(rest)}", st["point"]))
        else:
            points.append(_p(text, st["point"]))
    heading = _p(section.title, st["h2"])
    return [KeepTogether([heading, points[0]]), *(KeepTogether([p]) for p in points[1:])]


def _notes(plan: Plan, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    items = [*plan.notes, *(f"Warning: {w}" for w in plan.warnings)]
    if not items:
        return []
    return [_p("Notes", st["h2"]), *(_p(text, st["body"]) for text in items)]
