"""The reports pages: every declared report renders its chart and table and downloads as
CSV with the same rows; roles as the clinical pages; a bad period is one clear message;
another report name is not found; each run is audited."""

from __future__ import annotations

import csv
import html
import io
from datetime import date

import pytest

from smpstudio.clinic import REPORTS, ReportResult, report_by_slug
from smpstudio.clinic._reports import Period
from smpstudio.web._reports import chart_svg, csv_text
from tests.web.conftest import World


@pytest.mark.parametrize("slug", [r.slug for r in REPORTS])
def test_each_report_shows_a_chart_and_a_table_and_downloads_the_same_rows(
    world: World, slug: str
) -> None:
    c = world.as_role("practitioner")
    page = c.get(f"/studio/reports/{slug}?start=2030-01-01&end=2030-06-12")
    assert page.status_code == 200
    text = page.text
    assert 'role="img" aria-labelledby="chart-title chart-desc"' in text
    assert "The table below holds every number." in text
    assert f'href="/studio/reports/{slug}.csv?start=2030-01-01&amp;end=2030-06-12"' in text
    download = c.get(f"/studio/reports/{slug}.csv?start=2030-01-01&end=2030-06-12")
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert f'filename="{slug}-2030-01-01-2030-06-12.csv"' in download.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(download.text)))
    report = report_by_slug(slug)
    assert rows[0] == [col.key for col in report.columns]
    expected = world.a.records.report(slug, start=date(2030, 1, 1), end=date(2030, 6, 12))
    assert rows[1:] == [["" if v is None else str(v) for v in row] for row in expected.rows]
    trail = world.a.records.audit_trail(limit=20)
    assert sum(e.object_type == "report" and e.object_id == slug for e in trail) >= 2


def test_the_conversion_report_counts_the_worlds_consultation(world: World) -> None:
    c = world.as_role("owner")
    page = c.get("/studio/reports/conversion?start=2030-05-01&end=2030-05-31")
    cells = html.unescape(page.text)
    assert '<th scope="row">2030-05</th>' in cells
    assert c.get("/studio/reports").status_code == 200
    assert "Consultations → treatments" in c.get("/studio/reports").text


def test_roles_bad_periods_and_unknown_reports(world: World) -> None:
    desk = world.as_role("front-desk")
    assert desk.get("/studio/reports/no-shows").status_code == 403
    assert desk.get("/studio/reports/no-shows.csv").status_code == 403
    assert "/studio/reports" not in desk.get("/studio").text
    c = world.as_role("practitioner")
    assert 'href="/studio/reports"' in c.get("/studio").text
    bad = c.get("/studio/reports/no-shows?start=2030-06-12&end=2030-06-01")
    assert bad.status_code == 422
    assert (
        "The report starts on 2030-06-12, after it ends on 2030-06-01: choose a start on or "
        "before the end"
    ) in html.unescape(bad.text)
    unreadable = c.get("/studio/reports/no-shows.csv?start=12/06/2030")
    assert unreadable.status_code == 422
    assert "The start of a report must be a date like 2030-01-31" in html.unescape(unreadable.text)
    trail = world.a.records.audit_trail(limit=5)
    assert any(e.object_type == "report" and e.outcome == "refused" for e in trail)
    assert c.get("/studio/reports/nope").status_code == 404
    assert c.get("/studio/reports/nope.csv").status_code == 404
    default = c.get("/studio/reports/touch-ups")
    assert 'value="2029-07-01"' in default.text
    assert 'value="2030-06-12"' in default.text


def test_the_chart_describes_itself_and_csv_defuses_formulas() -> None:
    report = report_by_slug("retention")
    period = Period(date(2030, 1, 1), date(2030, 6, 30))
    rows = [("=cmd()", 4, 2, 50.0, 1, 25.0, 0, 0.0), ("Monk 5", 2, 0, 0.0, 0, 0.0, 0, 0.0)]
    result = ReportResult(report, period, date(2030, 6, 12), rows)  # type: ignore[arg-type]
    svg = str(chart_svg(result))
    assert svg.count("<rect") == 6
    assert "Session 2 rate: highest 50.0 % (=cmd())." in html.unescape(svg)
    assert "<script" not in svg
    assert "style=" not in svg
    assert csv_text(result).splitlines()[1].startswith("'=cmd()")
