"""Real-browser flows (Chromium through Playwright, a real uvicorn server) for the reports
and for a client's export and erasure, on a phone-sized screen (390 px) with the strict
CSP on, then axe-core on each page (its own context: injecting axe needs the CSP off)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from smpstudio.clinic import ClinicConfig
from tests.web.conftest import LiveServer, World, make_world, needs_chromium, rid
from tests.web.test_browser import _axe, _no_sideways_scroll, _sign_in, _watch_csp

pytestmark = needs_chromium
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, LiveServer]]:
    tmp = tmp_path_factory.mktemp("reports-browser")
    world = make_world(ClinicConfig.from_env(db=str(tmp / "c.sqlite3"), data_dir=tmp), tmp)
    with LiveServer(world) as server:
        yield world, server
    world.close()
    world.db.close()


def test_a_practitioner_opens_a_report_and_downloads_its_csv_at_390_px(
    live: tuple[World, LiveServer], browser: Browser, tmp_path: Path, shots: Path
) -> None:
    world, server = live
    context = browser.new_context(viewport=PHONE, accept_downloads=True, bypass_csp=False)
    page = context.new_page()
    refused = _watch_csp(page)
    _sign_in(page, server.url, world.a.staff["practitioner"])
    page.get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Consultations → treatments").click()
    page.get_by_label("From").fill("2030-01-01")
    page.get_by_label("To (included)").fill("2030-06-12")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("heading", name="Table, 2030-01-01 to 2030-06-12").wait_for()
    chart = page.get_by_role("img", name="Consultations → treatments, 2030-01-01 to 2030-06-12")
    assert chart.is_visible()
    row = page.get_by_role("row", name="2030-05")
    assert row.inner_text().split("\t")[1:3] == ["1", "0"]
    _no_sideways_scroll(page)
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download CSV").click()
    download = waiting.value
    assert download.suggested_filename == "conversion-2030-01-01-2030-06-12.csv"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    rows = list(csv.reader(io.StringIO(target.read_text())))
    assert rows[0] == ["month", "consulted", "treated", "conversion_percent"]
    assert ["2030-05", "1", "0", "0.0"] in rows
    page.get_by_label("From").fill("2030-06-12")
    page.get_by_label("To (included)").fill("2030-06-01")
    page.get_by_role("button", name="Show").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text().startswith("The report starts on 2030-06-12, after it ends on")
    assert refused == [], refused
    context.close()

    scan = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = scan.new_page()
    _sign_in(page, server.url, world.a.staff["practitioner"], "/studio/reports")
    assert _axe(page) == []
    for slug in ("conversion", "no-shows", "touch-ups", "retention"):
        page.goto(f"{server.url}/studio/reports/{slug}")
        assert _axe(page) == [], slug
        _no_sideways_scroll(page)
    page.goto(f"{server.url}/studio/reports/conversion?start=2029-07-01&end=2030-06-12")
    page.screenshot(path=str(shots / "report-390.png"), full_page=True)
    scan.close()


def test_the_owner_exports_then_erases_a_client_at_390_px(
    live: tuple[World, LiveServer], browser: Browser, tmp_path: Path, shots: Path
) -> None:
    world, server = live
    pid = world.new_patient()
    given = world.a.records.patient(pid).given_name
    context = browser.new_context(viewport=PHONE, accept_downloads=True, bypass_csp=False)
    page = context.new_page()
    refused = _watch_csp(page)
    _sign_in(page, server.url, world.a.staff["owner"], f"/studio/patients/{rid(world, pid)}")
    _no_sideways_scroll(page)
    page.get_by_role("link", name="Export or erase").click()
    page.get_by_role("heading", name=f"Export or erase: {given} Lee").wait_for()
    _no_sideways_scroll(page)
    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download the export").click()
    download = waiting.value
    assert download.suggested_filename == f"client-{rid(world, pid)}-export.zip"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    with zipfile.ZipFile(target) as archive:
        assert sorted(archive.namelist()) == ["client.json", "summary.pdf"]
        client = json.loads(archive.read("client.json"))["client"]
        assert client["given_name"] == given
        assert client["id"] == rid(world, pid)  # a token, never the database's integer

    confirm = page.get_by_label("Type the client's full name")
    confirm.fill("Somebody Else")
    page.get_by_role("button", name="Erase this client").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text().startswith("The name typed does not match the client's record")
    page.get_by_label("Type the client's full name").fill(f"{given} Lee")
    page.get_by_role("button", name="Erase this client").click()
    page.wait_for_url(f"{server.url}/studio/patients")
    page.get_by_text(f"records and 0 photos of {given} Lee.", exact=False).wait_for()
    assert page.goto(f"{server.url}/studio/patients/{rid(world, pid)}").status == 404  # type: ignore[union-attr]
    assert refused == [], refused
    context.close()

    scan = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = scan.new_page()
    other = world.new_patient()
    _sign_in(
        page, server.url, world.a.staff["owner"], f"/studio/patients/{rid(world, other)}/export"
    )
    assert _axe(page) == []
    _no_sideways_scroll(page)
    page.screenshot(path=str(shots / "export-390.png"), full_page=True)
    scan.close()
