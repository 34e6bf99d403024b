"""Receipts and invoices as PDF (reportlab, A4): the clinic, the client, the lines and the
totals, as the clinic's billing service prepared them (every amount already printed with
its currency). The documents import nothing of the clinic: the studio passes the fields.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from smpstudio.reports._pdf import (
    _BAND,
    _BOLD,
    _FONT,
    _INK,
    _MUTED,
    _RULE,
    _build,
    _register_fonts,
)

__all__ = ["billing_pdf"]

_WIDTH = A4[0] - 36 * mm


def billing_pdf(
    *,
    title: str,
    number: str,
    issued: dt.datetime,
    seller: Sequence[str],
    buyer: Sequence[str],
    lines: Sequence[tuple[str, str]],
    totals: Sequence[tuple[str, str]],
    notes: Sequence[str] = (),
) -> bytes:
    """A receipt or an invoice as PDF bytes.

    Parameters
    ----------
    title, number
        "Invoice" and its number, "Receipt" and its number.
    issued
        When it was issued (its date is printed).
    seller, buyer
        The clinic (name, address lines, phone, e-mail, tax number) and the client.
    lines
        (description, amount) rows.
    totals
        (label, amount) rows under the lines; the last is printed bold.
    notes
        Small print at the end.
    """
    _register_fonts()
    base = ParagraphStyle("body", fontName=_FONT, fontSize=9.5, leading=13, textColor=_INK)
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=10.5, textColor=_MUTED)
    head = ParagraphStyle("head", parent=base, fontName=_BOLD, fontSize=19, leading=24)
    right = ParagraphStyle("right", parent=base, alignment=TA_RIGHT)
    bold_right = ParagraphStyle("bold_right", parent=right, fontName=_BOLD)

    def para(text: str, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(escape(text), style)

    story: list[object] = [
        para(f"{title} {number}", head),
        para(f"Issued {issued.date().isoformat()}", small),
        Spacer(1, 6 * mm),
    ]
    parties = Table(
        [
            [para("From", small), para("To", small)],
            [
                [para(x) for x in seller],
                [para(x) for x in buyer],
            ],
        ],
        colWidths=[_WIDTH / 2, _WIDTH / 2],
    )
    parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [parties, Spacer(1, 8 * mm)]
    rows: list[list[object]] = [[para("Description", small), para("Amount", small)]]
    rows += [[para(text), para(amount, right)] for text, amount in lines]
    for i, (label, amount) in enumerate(totals):
        last = i == len(totals) - 1
        style = bold_right if last else right
        rows.append([para(label, style), para(amount, style)])
    table = Table(rows, colWidths=[_WIDTH * 0.72, _WIDTH * 0.28], repeatRows=1)
    first_total = 1 + len(lines)
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, _RULE),
                ("LINEABOVE", (0, first_total), (-1, first_total), 0.6, _RULE),
                ("BACKGROUND", (0, -1), (-1, -1), _BAND),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TEXTCOLOR", (0, 0), (-1, -1), colors.black),
            ]
        )
    )
    story += [table, Spacer(1, 8 * mm)]
    story += [para(note, small) for note in notes]
    name, document = (seller[0] if seller else "smpstudio"), f"{title} {number}"
    return _build(
        story, title=document, author=name, subject=document, footer=f"{name} · {document}"
    )
