"""The studio's reports: a page per declared report (``smpstudio.clinic.REPORTS``).

- ``/studio/reports``: the list of reports.
- ``/studio/reports/{slug}?start=&end=``: the period form, the chart (an SVG drawn here, on
  the server, with a text alternative) and the table, which is the data.
- ``/studio/reports/{slug}.csv?start=&end=``: the same rows as CSV.

Each declared report gets its two routes (no path parameter: a name that is not a report is
simply not found).

Owner and practitioner, like the clinical pages; every run is an audited read.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smpstudio._errors import InputError
from smpstudio.clinic import REPORTS, Report, ReportResult
from smpstudio.web._clients import CLINICAL
from smpstudio.web._http import page, records_for, staff
from smpstudio.web._state import blocking

__all__ = ["chart_svg", "csv_text", "report_path", "routes"]

SERIES_COLOURS = ("#1f5f8b", "#c2571a", "#4d7c0f", "#7c3aed")
"""Bar colours (each at least 3:1 against white, told apart by the legend's order too)."""

_W, _H = 420, 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 40, 6, 12, 30
_FONT = 13


def _cell(value: Any, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "percent":
        return f"{value:.1f} %"
    if kind in ("count", "money") and isinstance(value, int | float):
        return f"{value:,.0f}" if kind == "count" else f"{value:,.2f}"
    return str(value)


def _nice_top(peak: float) -> float:
    """The top of the value axis: four equal steps of 1, 2 or 5 × 10ⁿ reaching ``peak``.

    >>> _nice_top(1), _nice_top(7), _nice_top(50), _nice_top(330)
    (4.0, 8.0, 80.0, 400.0)
    """
    scale = 1.0
    while True:
        for step in (scale, 2 * scale, 5 * scale):
            if 4 * step >= peak:
                return 4 * step
        scale *= 10


def chart_description(result: ReportResult) -> str:
    """The chart's text alternative: what it draws, and where each series peaks."""
    report = result.report
    labels = [report.column(k).label for k in report.chart]
    first = report.columns[0].label.lower()
    parts = [f"Bar chart of {', '.join(labels)} by {first}, {result.period}."]
    for key, label in zip(report.chart, labels, strict=True):
        index = [c.key for c in report.columns].index(key)
        values = [(row[index], row[0]) for row in result.rows if row[index] is not None]
        if values:
            peak, where = max(values, key=lambda v: v[0])
            shown = _cell(peak, report.column(key).kind)
            parts.append(f"{label}: highest {shown} ({where}).")
    parts.append("The table below holds every number.")
    return " ".join(parts)


def chart_svg(result: ReportResult) -> Markup:
    """Grouped bars, one group per row, one bar per chart series; no script, no style."""
    report = result.report
    keys = [c.key for c in report.columns]
    indexes = [keys.index(k) for k in report.chart]
    values = [[row[i] or 0 for i in indexes] for row in result.rows]
    top = _nice_top(max((v for group in values for v in group), default=0))
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    slot = plot_w / max(1, len(values))
    bar = max(1.0, slot * 0.8 / len(indexes))
    title = f"{report.title}, {result.period}"
    out = [
        f'<svg class="chart" viewBox="0 0 {_W} {_H}" role="img" '
        'aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(chart_description(result))}</desc>',
    ]
    percent = report.column(report.chart[0]).kind == "percent"
    for step in range(5):
        value = top * step / 4
        y = _TOP + plot_h - plot_h * step / 4
        label = f"{value:g}{'%' if percent else ''}"
        out.append(
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#d0d5dd" stroke-width="1"/>'
            f'<text x="{_LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="{_FONT}" '
            f'fill="#344054">{escape(label)}</text>'
        )
    every = -(-len(values) // 5)  # at most five labels: they stay legible on a phone
    for n, (row, group) in enumerate(zip(result.rows, values, strict=True)):
        x0 = _LEFT + n * slot + slot * 0.1
        for k, value in enumerate(group):
            height = plot_h * float(value) / top
            y = _TOP + plot_h - height
            out.append(
                f'<rect x="{x0 + k * bar:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                f'height="{height:.1f}" fill="{SERIES_COLOURS[k % len(SERIES_COLOURS)]}"/>'
            )
        if n % every == 0:
            label = str(row[0])
            out.append(
                f'<text x="{_LEFT + n * slot + slot / 2:.1f}" y="{_H - _BOTTOM + 16}" '
                f'text-anchor="middle" font-size="{_FONT}" fill="#344054">{escape(label)}</text>'
            )
    out.append("</svg>")
    return Markup("".join(out))


def csv_text(result: ReportResult) -> str:
    """The report's rows as CSV, with a header of the column keys (text cells that a
    spreadsheet would run as a formula are quoted with a leading apostrophe)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.key for c in result.report.columns])
    for row in result.rows:
        writer.writerow(["" if v is None else _safe(v) for v in row])
    return buffer.getvalue()


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _period(request: Request) -> tuple[str, str]:
    """The period as given (checked, and a refusal audited, by the records)."""
    return request.query_params.get("start", ""), request.query_params.get("end", "")


@staff(*CLINICAL)
async def reports(request: Request) -> Response:
    return page(request, "reports.html", {"title": "Reports", "reports": REPORTS})


async def _report_page(request: Request, report: Report) -> Response:
    start, end = _period(request)
    shown = {"start": start[:40], "end": end[:40]}  # echoed in the form
    context: dict[str, Any] = {"title": report.title, "report": report, "values": shown}
    try:
        result = await blocking(records_for(request).report, report.slug, start=start, end=end)
    except InputError as exc:
        text = str(exc)
        context["error"] = text[:1].upper() + text[1:]
        return page(request, "reports_report.html", context, status=422)
    query = f"start={result.period.start.isoformat()}&end={result.period.end.isoformat()}"
    context.update(
        result=result,
        values={"start": result.period.start.isoformat(), "end": result.period.end.isoformat()},
        chart=chart_svg(result),
        colours=SERIES_COLOURS,
        cells=[
            [_cell(v, c.kind) for v, c in zip(row, report.columns, strict=True)]
            for row in result.rows
        ],
        csv_url=f"{report_path(report)}.csv?{query}",
    )
    return page(request, "reports_report.html", context)


async def _report_csv(request: Request, report: Report) -> Response:
    start, end = _period(request)
    result = await blocking(records_for(request).report, report.slug, start=start, end=end)
    name = f"{report.slug}-{result.period.start.isoformat()}-{result.period.end.isoformat()}.csv"
    return Response(
        csv_text(result).encode(),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def report_path(report: Report) -> str:
    """The page of a declared report; its CSV is the same path with ``.csv``."""
    return f"/studio/reports/{report.slug}"


def _routes_of(report: Report) -> list[Route]:
    """The page and the CSV of one declared report (a route each: no name in a path
    parameter, so an unknown report is simply not found)."""

    @staff(*CLINICAL)
    async def report_page(request: Request) -> Response:
        return await _report_page(request, report)

    @staff(*CLINICAL)
    async def report_csv(request: Request) -> Response:
        return await _report_csv(request, report)

    path = report_path(report)
    return [
        Route(path, report_page, methods=["GET"]),
        Route(f"{path}.csv", report_csv, methods=["GET"]),
    ]


routes = [
    Route("/studio/reports", reports, methods=["GET"]),
    *(route for report in REPORTS for route in _routes_of(report)),
]
