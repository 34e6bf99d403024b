"""The documents of a plan as files: what ``smpstudio plan`` writes and the studio serves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from PIL import Image

from smpstudio._design import Design
from smpstudio.plan import Plan
from smpstudio.render import Look, render_chart
from smpstudio.reports._ics import plan_ics
from smpstudio.reports._json import plan_json
from smpstudio.reports._pdf import plan_pdf

__all__ = ["CHART_CAPTION", "plan_files"]

CHART_CAPTION = "Scalp chart: where the impressions go and how dense"


def plan_files(
    d: Design,
    plan: Plan,
    *,
    issued: dt.datetime,
    clinic: str | None = None,
    client_name: str | None = None,
    contact: str | None = None,
    booked: Collection[int] = (),
    images: Sequence[tuple[str, Image.Image]] = (),
    chart: Image.Image | None = None,
    look: Look | None = None,
) -> dict[str, bytes]:
    """``plan.json``, ``plan.pdf`` (the ``images``, e.g. before/after renders, then the
    design's scalp chart, drawn in the client's skin (``look``) unless given) and
    ``aftercare.ics``, by file name.
    ``contact`` is whom the client calls (the clinic's name, phone, e-mail; the clinic's name
    when not given); ``booked`` the numbers of the sessions booked (CONFIRMED in the
    calendar, the others TENTATIVE)."""
    chart = chart or render_chart(d, look=look)
    return {
        "plan.json": plan_json(plan).encode("utf-8"),
        "plan.pdf": plan_pdf(
            plan,
            [*images, (CHART_CAPTION, chart)],
            issued=issued,
            clinic=clinic,
            client_name=client_name,
            contact=contact,
        ),
        "aftercare.ics": plan_ics(plan, issued=issued, clinic=clinic, booked=booked),
    }
