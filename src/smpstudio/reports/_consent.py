"""``consent.pdf``: the copy of a consent signed in the client portal (reportlab).

The clinic's consent text exactly as published (version and SHA-256 of the text printed),
the client, the name typed and the drawn signature, and when it was signed. Like the plan's
PDF it uses the bundled DejaVu fonts and is byte for byte the same for the same inputs.
"""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from typing import Any

from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer, Table
from reportlab.platypus import Image as PdfImage

from smpstudio.plan import long_date
from smpstudio.reports._pdf import _build, _grid, _p, _register_fonts, _styles

__all__ = ["CONSENT_PDF_TITLE", "consent_pdf"]

CONSENT_PDF_TITLE = "Signed consent"
"""Document title in the PDF metadata (no client identifiers there)."""


def consent_pdf(
    *,
    clinic_name: str,
    client_name: str,
    date_of_birth: dt.date,
    title: str,
    version: int,
    body: str,
    body_sha256: str,
    signed_name: str,
    signed_at: dt.datetime,
    reference: str,
    signature_png: bytes,
) -> bytes:
    """The PDF copy of a signed consent (see the module documentation).

    ``signed_at`` is printed in its own time zone (the clinic's); ``reference`` identifies
    the consent in the clinic's records.
    """
    _register_fonts()
    st = _styles()
    width = A4[0] - 36 * mm
    story: list[Flowable] = [
        _p(clinic_name, st["small"]),
        _p(title, st["title"]),
        _p(f"Version {version} of the clinic's consent text", st["small"]),
        Spacer(1, 4 * mm),
    ]
    story += [_p(part, st["point"]) for part in body.split("\n") if part.strip()]
    story.append(Spacer(1, 5 * mm))
    with Image.open(BytesIO(signature_png)) as image:
        w, h = image.size
    scale = min(70 * mm / w, 28 * mm / h)
    drawn = PdfImage(BytesIO(signature_png), width=w * scale, height=h * scale)
    zone = signed_at.tzname() or ""
    when = f"{long_date(signed_at.date())} at {signed_at:%H:%M} {zone}"
    where = "In the clinic's client portal, with a one-time link sent to the client's e-mail"
    facts = [
        ("Client", f"{client_name}, born {long_date(date_of_birth)}"),
        ("Name as signed", signed_name),
        ("Signed", when),
        ("Signed where", where),
        ("Reference", reference),
    ]
    rows: list[list[Any]] = [[_p(k, st["cell"]), _p(v, st["cell"])] for k, v in facts]
    rows.insert(2, [_p("Signature", st["cell"]), drawn])
    rows.append([_p("Text fingerprint", st["cell"]), _p(f"SHA-256 {body_sha256}", st["small"])])
    table = Table(rows, colWidths=[38 * mm, width - 38 * mm])
    table.setStyle(_grid())
    story += [_p("Signed", st["h2"]), table, Spacer(1, 4 * mm)]
    story.append(
        _p(
            "You may withdraw this consent at any time in the client portal or by telling the "
            "clinic; what was done before the withdrawal stays in your record.",
            st["small"],
        )
    )
    return _build(
        story,
        title=CONSENT_PDF_TITLE,
        author=clinic_name or "smpstudio",
        subject="Consent signed in the client portal",
        footer=f"{clinic_name} · {CONSENT_PDF_TITLE} · {reference}",
    )
