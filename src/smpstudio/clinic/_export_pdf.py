"""The readable summary (PDF) of a client's export: who, what is kept, and the main
records as tables. The full data is ``client.json`` beside it. The summary shows no record
id, not even a token: records are named by their dates, kinds and numbers."""

from __future__ import annotations

from functools import cache
from importlib import resources
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

__all__ = ["summary_pdf"]

_FONT, _BOLD = "SmpExportSans", "SmpExportSans-Bold"

# (table, heading, [(column, label)]) shown as tables in the summary.
_SECTIONS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("consultations", "Consultations", (("held_on", "Date"), ("stage", "Stage"),
                                        ("outcome", "Outcome"))),
    ("consents", "Consent", (("recorded_at", "Recorded"), ("form_id", "Consent to"),
                             ("decision", "Decision"))),
    ("treatment_plans", "Treatment plans", (("version", "Version"), ("status", "Status"),
                                            ("sessions_planned", "Sessions"))),
    ("bookings", "Bookings", (("local_day", "Day"), ("session_number", "Session"),
                              ("status", "Status"))),
    ("session_records", "Sessions", (("performed_on", "Date"), ("session_number", "Session"),
                                     ("duration_minutes", "Minutes"))),
    ("patch_tests", "Patch tests", (("applied_at", "Applied"), ("brand", "Pigment"),
                                    ("batch", "Batch"))),
    ("follow_ups", "Follow-ups", (("due_on", "Due"), ("kind", "Kind"), ("done_on", "Done"))),
    ("photos", "Photos", (("taken_at", "Taken"), ("view", "View"), ("kind", "Kind"),
                          ("created_at", "Stored"))),
    ("messages", "Messages", (("due_at", "Due"), ("kind", "Kind"), ("status", "Status"))),
)  # fmt: skip


@cache
def _register_fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    fonts = resources.files("smpstudio").joinpath("render", "fonts")
    for name, file in ((_FONT, "DejaVuSans.ttf"), (_BOLD, "DejaVuSans-Bold.ttf")):
        with resources.as_file(fonts.joinpath(file)) as path:
            pdfmetrics.registerFont(TTFont(name, str(path)))


def _text(value: Any) -> str:
    if value is None:
        return "–"
    text = str(value)
    return text[:10] if len(text) >= 19 and text[4] == "-" and text[10] == "T" else text


def summary_pdf(clinic: str, name: str, document: dict[str, Any], zone: ZoneInfo) -> bytes:
    """A few pages: the client, what the export holds, the main records as tables."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register_fonts()
    body = ParagraphStyle("body", fontName=_FONT, fontSize=9.5, leading=13)
    title = ParagraphStyle("title", parent=body, fontName=_BOLD, fontSize=18, leading=23)
    heading = ParagraphStyle("h2", parent=body, fontName=_BOLD, fontSize=12, spaceBefore=10)
    client = document["client"]
    records: dict[str, list[dict[str, Any]]] = document["records"]
    story: list[Any] = [
        Paragraph(escape(f"Data kept about {name}"), title),
        Paragraph(escape(f"{clinic} · exported {document['exported_at'][:10]} ({zone.key})"), body),
        Spacer(1, 4 * mm),
        Paragraph(
            escape(
                f"Date of birth {client.get('date_of_birth')} · e-mail "
                f"{client.get('email') or '–'} · phone {client.get('phone') or '–'}"
            ),
            body,
        ),
        Paragraph(
            escape(
                "Held: "
                + ", ".join(
                    f"{len(rows)} {table.replace('_', ' ')}"
                    for table, rows in records.items()
                    if rows and table != "patients"
                )
                + f"; {len(document['photos'])} photo files. Every record, in full, is in "
                "client.json; the photos are in the photos folder of this export."
            ),
            body,
        ),
    ]
    style = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), _FONT, 8.5),
            ("FONT", (0, 0), (-1, 0), _BOLD, 8.5),
            ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f3f1ee")]),
        ]
    )
    forms = {f["id"]: f"{f['kind']} v{f['version']}" for f in records.get("consent_forms", [])}
    for table, label, columns in _SECTIONS:
        rows = records.get(table) or []
        story.append(Paragraph(escape(f"{label} ({len(rows)})"), heading))
        if not rows:
            story.append(Paragraph("None.", body))
            continue
        data = [[c[1] for c in columns]] + [
            [_text(forms.get(r[c[0]]) if c[0] == "form_id" else r.get(c[0])) for c in columns]
            for r in rows
        ]
        story.append(Table(data, hAlign="LEFT", style=style, repeatRows=1))
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"Data kept about {name}",
        author=clinic,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        invariant=1,
    )
    doc.build(story)
    return buffer.getvalue()
