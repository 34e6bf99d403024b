"""The patch test on the client's record, the session log's first-session rule with its
override, and dilutions against the chart — through the studio's pages."""

from __future__ import annotations

import html
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from starlette.testclient import TestClient

from smpstudio import DESIGN_SCHEMA
from smpstudio.clinic import (
    DilutionOverride,
    PatchTest,
    PatchTestReading,
    SessionRecord,
)
from smpstudio.colour import recommend_dilution, skin_tone
from tests.web.conftest import World, csrf_of, no_contraindications, rid


def _count(world: World, model: type[Any]) -> int:
    with world.db.transaction(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _post(c: TestClient, form_page: str, path: str, data: dict[str, str], **kw: Any) -> Any:
    token = csrf_of(c.get(form_page).text)
    return c.post(path, data={"csrf_token": token, **data}, **kw)


def _client_without_patch_test(world: World) -> int:
    r = world.a.records
    patient = r.add_patient("Noa", "Untested", date_of_birth=date(1982, 3, 4))
    r.record_consultation(
        patient.id,
        held_on=r.today() - timedelta(days=20),
        reasons=["pattern-loss"],
        stage="norwood-5",
        answers=no_contraindications(),
    )
    form = r.consent_forms("treatment")[-1]
    r.record_consent(patient.id, form.id, decision="granted", signed_name="Noa Untested")
    return patient.id


def _session_form(world: World, **changes: str) -> dict[str, str]:
    form = {
        "practitioner_id": rid(world, world.a.practitioner_id),
        "performed_on": world.a.records.today().isoformat(),
        "duration_minutes": "150",
        "brand_1": "Lumen Carbon",
        "batch_1": "LC-77",
        "expires_1": "2099-01-01",
        "water_ml_1": "4",
        "pigment_ml_1": "1",
        "needle_lots": "N-1",
        "opened_in_front": "on",
    }
    form.update(changes)
    return form


def test_a_patch_test_is_recorded_and_read_on_the_clients_record(world: World) -> None:
    c = world.as_role("practitioner")
    pid = _client_without_patch_test(world)
    new = f"/studio/patients/{rid(world, pid)}/patch-tests/new"
    page = c.get(new)
    assert page.status_code == 200
    assert 'name="batch"' in page.text
    records = world.a.records
    now = records.now().astimezone(records.timezone)
    form = {
        "practitioner_id": rid(world, world.a.practitioner_id),
        "day": (now.date() + timedelta(days=1)).isoformat(),
        "time": "09:30",
        "site": "behind the left ear",
        "brand": "Lumen Carbon",
        "batch": "LC-77",
        "expires_on": "2099-01-01",
    }
    before = _count(world, PatchTest)
    r = _post(c, new, new, form)
    assert r.status_code == 422
    assert "in the future: record it once it is applied" in html.unescape(r.text)
    assert 'value="LC-77"' in r.text  # the form comes back as typed
    assert _count(world, PatchTest) == before
    form["day"] = (now.date() - timedelta(days=3)).isoformat()
    r = _post(c, new, new, form, follow_redirects=False)
    assert r.status_code == 303
    record = c.get(f"/studio/patients/{rid(world, pid)}").text
    assert "LC-77" in record
    assert "not read yet" in record
    [test] = records.patch_tests(pid)
    reading = f"/studio/patients/{rid(world, pid)}/patch-tests/{rid(world, test.id)}/reading"
    assert reading in record
    bad = {
        "practitioner_id": rid(world, world.a.practitioner_id),
        "day": form["day"],
        "time": "10:00",
    }
    readings = _count(world, PatchTestReading)
    r = _post(c, reading, reading, {**bad, "reaction": "mild"})
    assert r.status_code == 422
    assert "Describe the mild reaction in the notes" in r.text
    assert _count(world, PatchTestReading) == readings
    ok = {**bad, "day": now.date().isoformat(), "time": "08:00", "reaction": "none"}
    r = _post(c, reading, reading, ok, follow_redirects=False)
    assert r.status_code == 303
    record = c.get(f"/studio/patients/{rid(world, pid)}").text
    assert "reaction-none" in record
    assert "not read yet" not in record


def test_the_session_log_refuses_a_first_session_and_offers_the_override(world: World) -> None:
    c = world.as_role("practitioner")
    pid = _client_without_patch_test(world)
    path = f"/studio/patients/{rid(world, pid)}/sessions/new"
    assert 'name="patch_test_override"' not in c.get(path).text
    before = _count(world, SessionRecord)
    r = _post(c, path, path, _session_form(world))
    assert r.status_code == 422
    text = html.unescape(r.text)
    assert "The first session needs a clean patch test: the client has no patch test" in text
    assert 'name="patch_test_override"' in r.text
    assert f"/studio/patients/{rid(world, pid)}/patch-tests/new" in r.text
    assert 'value="LC-77"' in r.text
    assert _count(world, SessionRecord) == before
    reason = "patch-tested with Lumen Carbon at our Leeds clinic, clear; letter scanned"
    form = _session_form(world, patch_test_override=reason)
    r = _post(c, path, path, form, follow_redirects=False)
    assert r.status_code == 303
    assert _count(world, SessionRecord) == before + 1
    record = html.unescape(c.get(f"/studio/patients/{rid(world, pid)}").text)
    assert f"Without a clean patch test (the client has no patch test on record): {reason}" in (
        record
    )


def test_a_dilution_against_the_chart_needs_its_reason_and_shows_on_the_record(
    world: World,
) -> None:
    c = world.as_role("practitioner")
    pid = world.new_patient()
    look = {"skin": "#a07a5a", "hair": "black"}
    design = {
        "schema": DESIGN_SCHEMA,
        "inputs": {"pattern": "norwood-4", "hairline": "soft"},
        "studio": look,
    }
    world.a.records.save_design(pid, design)
    chart = recommend_dilution(skin_tone(look["skin"]), look["hair"], session=1).ml_water
    path = f"/studio/patients/{rid(world, pid)}/sessions/new"
    page = c.get(path).text
    assert 'id="dilution-chart"' in page
    assert f'name="water_ml_1" type="number" min="0" max="60" step="0.5" value="{chart:g}"' in page
    chosen = chart + 1.5
    form = _session_form(world, brand_1="Ink Co Carbon", water_ml_1=f"{chosen:g}")
    before = (_count(world, SessionRecord), _count(world, DilutionOverride))
    r = _post(c, path, path, form)
    assert r.status_code == 422
    assert (
        f"is mixed {chosen:g} mL of water per mL, the chart recommends {chart:g} mL"
        in html.unescape(r.text)
    )
    assert (_count(world, SessionRecord), _count(world, DilutionOverride)) == before
    reason = "scalp reddens easily: a lighter first pass"
    form["dilution_reason_1"] = reason
    r = _post(c, path, path, form, follow_redirects=False)
    assert r.status_code == 303
    record = html.unescape(c.get(f"/studio/patients/{rid(world, pid)}").text)
    assert f"{chosen:g} mL water per mL, chart {chart:g} — {reason}" in record


def test_clinic_b_cannot_reach_clinic_as_patch_tests(world: World) -> None:
    pid = world.a.patient_id
    [test] = world.a.records.patch_tests(pid)
    b = world.as_role("owner", clinic="b")
    for path in (
        f"/studio/patients/{rid(world, pid)}/patch-tests/new",
        f"/studio/patients/{rid(world, pid)}/patch-tests/{rid(world, test.id)}/reading",
    ):
        r = b.get(path)
        assert r.status_code == 404
        assert test.batch not in r.text
    desk = world.as_role("front-desk")
    assert desk.get(f"/studio/patients/{rid(world, pid)}/patch-tests/new").status_code == 403
