"""Patch tests and the first-session rule; dilution overrides against the chart — on both
back ends. Each refusal names what is wrong, writes nothing and is audited."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from smpstudio import DESIGN_SCHEMA, ClinicError, Settings
from smpstudio.clinic import (
    ClinicConfig,
    DilutionOverride,
    PatchTest,
    PatchTestReading,
    PatchTestRequiredError,
    PigmentUse,
    RecordNotFoundError,
    SessionRecord,
    open_database,
)
from smpstudio.colour import recommend_dilution, skin_tone

from .conftest import World, make_world

PIGMENT = "Carbon Black"
_batches = itertools.count()


def _fresh_client(w: World) -> int:
    r = w.records
    patient = r.add_patient("Ira", "Nopatch", date_of_birth=date(1981, 1, 1))
    r.record_consultation(
        patient.id,
        held_on=r.today() - timedelta(days=20),
        reasons=["pattern-loss"],
        stage="norwood-5",
        answers=dict.fromkeys(_contraindications(), False),
    )
    form = r.consent_forms("treatment")[-1]
    r.record_consent(patient.id, form.id, decision="granted", signed_name="Ira Nopatch")
    return patient.id


def _contraindications() -> tuple[str, ...]:
    from smpstudio.clinic import CONTRAINDICATION_KEYS

    return tuple(CONTRAINDICATION_KEYS)


def _session(w: World, pid: int, **changes: Any) -> SessionRecord:
    args: dict[str, Any] = {
        "practitioner_id": w.practitioner.id,
        "performed_on": w.records.today(),
        "duration_minutes": 120,
        "pigments": [PigmentUse(PIGMENT, f"S-{next(_batches)}", date(2032, 1, 1), water_ml=4.0)],
        "needle_lots": ["NL-1"],
        "needles_opened_in_front_of_client": True,
        "anaesthetic_offered": True,
        "anaesthetic_used": False,
    }
    args.update(changes)
    return w.records.record_session(pid, **args)


def _patch(
    w: World, pid: int, *, hours_ago: float = 0, at: datetime | None = None, brand: str = PIGMENT
) -> PatchTest:
    return w.records.record_patch_test(
        pid,
        practitioner_id=w.practitioner.id,
        applied_at=at or w.records.now() - timedelta(hours=hours_ago),
        brand=brand,
        batch=f"PX-{next(_batches)}",
        expires_on=date(2032, 1, 1),
        site="behind the left ear",
    )


def _read(w: World, test: PatchTest, reaction: str = "none", **kw: Any) -> PatchTest:
    args: dict[str, Any] = {"read_at": w.records.now() - timedelta(hours=1)}
    args.update(kw)
    return w.records.read_patch_test(
        test.id, practitioner_id=w.practitioner.id, reaction=reaction, **args
    )


def _count(w: World, model: type[Any]) -> int:
    with w.db.transaction(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _last_audit(w: World) -> Any:
    return w.records.audit_trail(limit=1)[0]


# --- recording and reading ---


def test_a_patch_test_is_recorded_read_and_listed_with_who_and_when(world: World) -> None:
    pid = _fresh_client(world)
    test = _patch(world, pid, hours_ago=50)
    assert test.reading is None
    assert (test.brand, test.site, test.created_by) == (PIGMENT, "behind the left ear", "alex")
    assert _last_audit(world).action == "create"
    read = _read(world, test, "mild", notes="slight redness at 48 h")
    assert read.reading is not None
    assert (read.reading.reaction, read.reading.notes) == ("mild", "slight redness at 48 h")
    assert read.reading.practitioner_id == world.practitioner.id
    assert timedelta(hours=1) <= world.records.now() - read.reading.read_at < timedelta(hours=2)
    entry = _last_audit(world)
    assert (entry.action, entry.object_type, entry.detail) == ("update", "patch-test", "mild")
    listed = world.records.patch_tests(pid)
    assert [t.id for t in listed] == [test.id]
    assert listed[0].reading is not None


def test_patch_tests_are_traceable_by_batch(world: World) -> None:
    pid = _fresh_client(world)
    test = _patch(world, pid, hours_ago=5)
    hits = world.records.patch_tests_with_pigment_batch(test.batch)
    assert [(h.patient_id, h.patch_test_id) for h in hits] == [(pid, test.id)]
    entry = _last_audit(world)
    assert (entry.action, entry.patient_id, entry.detail) == ("trace", pid, "lot recall")
    assert world.records.patch_tests_with_pigment_batch("NO-SUCH-LOT") == []


BAD_PATCH_TESTS = [
    ({"applied_at": "future"}, "in the future: record it once it is applied"),
    ({"applied_at": datetime(2030, 1, 1, 10)}, "has no time zone"),
    ({"applied_at": "2030-01-01"}, "must be a date and time"),
    ({"batch": "  "}, "patch test pigment batch is required"),
    ({"brand": ""}, "patch test pigment brand is required"),
    ({"batch": "L" * 65}, "patch test pigment batch"),
    ({"expires_on": "expired"}, "expired pigment may not be used, not even for a patch test"),
    ({"practitioner_id": 10**12}, "no practitioner"),
]


@pytest.mark.parametrize(("change", "message"), BAD_PATCH_TESTS)
def test_bad_patch_tests_are_refused_whole_and_audited(
    world: World, change: dict[str, Any], message: str
) -> None:
    pid = _fresh_client(world)
    args: dict[str, Any] = {
        "practitioner_id": world.practitioner.id,
        "applied_at": world.records.now() - timedelta(hours=3),
        "brand": PIGMENT,
        "batch": "PT-BAD",
        "expires_on": date(2032, 1, 1),
    }
    args.update(change)
    if change.get("applied_at") == "future":
        args["applied_at"] = world.records.now() + timedelta(minutes=5)
    if change.get("expires_on") == "expired":
        args["expires_on"] = world.records.today() - timedelta(days=2)
    before = _count(world, PatchTest)
    with pytest.raises(ClinicError, match=message):
        world.records.record_patch_test(pid, **args)
    assert _count(world, PatchTest) == before
    entry = _last_audit(world)
    assert entry.outcome in ("refused", "denied")
    assert entry.object_type == "patch-test"


def test_a_patch_test_needs_treatment_consent(world: World) -> None:
    patient = world.records.add_patient("No", "Consent", date_of_birth=date(1980, 1, 1))
    with pytest.raises(ClinicError, match="has not granted treatment consent"):
        _patch(world, patient.id, hours_ago=1)


def test_bad_readings_are_refused_and_a_reading_is_final(world: World) -> None:
    pid = _fresh_client(world)
    test = _patch(world, pid, hours_ago=50)
    now = world.records.now()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"read_at": now + timedelta(hours=1)}, "in the future: record it once it is read"),
        ({"read_at": now - timedelta(hours=51)}, "is before the patch test was applied"),
        ({"reaction": "severe"}, "reaction must be one of none, mild, marked"),
        ({"reaction": "marked"}, "describe the marked reaction in the notes"),
    ]
    for change, message in cases:
        args: dict[str, Any] = {"read_at": now - timedelta(hours=1), "reaction": "none"}
        args.update(change)
        with pytest.raises(ClinicError, match=message):
            world.records.read_patch_test(test.id, practitioner_id=world.practitioner.id, **args)
        assert _last_audit(world).outcome == "refused"
    assert _count_readings(world, test.id) == 0
    _read(world, test)
    applied = f"{test.applied_at:%Y-%m-%d}"
    read_already = rf"^the patch test of {test.brand} applied on {applied} was read already .*"
    with pytest.raises(ClinicError, match=read_already + "a reading is final"):  # not its id
        _read(world, test, "marked", notes="late")
    assert _count_readings(world, test.id) == 1
    with pytest.raises(RecordNotFoundError, match="no patch test 999999"):
        world.records.read_patch_test(
            999999, practitioner_id=world.practitioner.id, read_at=now, reaction="none"
        )
    assert _last_audit(world).outcome == "denied"


def _count_readings(w: World, test_id: int) -> int:
    with w.db.transaction(readonly=True) as s:
        query = select(func.count()).where(PatchTestReading.patch_test_id == test_id)
        return int(s.scalar(query) or 0)


def test_another_clinics_patch_test_does_not_exist(world: World, shared_db: Any) -> None:
    other = make_world(shared_db)
    test = _patch(world, _fresh_client(world), hours_ago=50)
    with pytest.raises(RecordNotFoundError, match="no patch test"):
        other.records.read_patch_test(
            test.id,
            practitioner_id=other.practitioner.id,
            read_at=other.records.now(),
            reaction="none",
        )
    assert test.id not in {t.id for t in other.records.patch_tests(other.patient.id)}


def test_patch_test_rows_are_append_only(world: World) -> None:
    pid = _fresh_client(world)
    _read(world, _patch(world, pid, hours_ago=80))
    _session(world, pid)
    for table in ("patch_tests", "patch_test_readings"):
        with pytest.raises(DBAPIError, match="append-only"), world.db.transaction() as s:
            s.execute(text(f"DELETE FROM {table}"))
        with pytest.raises(DBAPIError, match="append-only"), world.db.transaction() as s:
            s.execute(text(f"UPDATE {table} SET notes = 'edited'"))


# --- the first session ---


def test_a_first_session_without_a_patch_test_is_refused_whole_and_audited(
    world: World,
) -> None:
    pid = _fresh_client(world)
    before = _count(world, SessionRecord)
    with pytest.raises(PatchTestRequiredError, match="no patch test on record") as caught:
        _session(world, pid)
    assert "override with the reason" in str(caught.value)
    assert caught.value.finding == "the client has no patch test on record"
    assert _count(world, SessionRecord) == before
    entry = _last_audit(world)
    assert (entry.outcome, entry.object_type, entry.patient_id) == ("refused", "session", pid)
    with pytest.raises(PatchTestRequiredError):
        _session(world, pid, patch_test_override="   ")


def test_an_override_with_a_reason_records_the_first_session_and_is_audited(
    world: World,
) -> None:
    pid = _fresh_client(world)
    reason = "client patch-tested with this pigment at another clinic last month (letter on file)"
    row = _session(world, pid, patch_test_override=reason)
    [override] = row.patch_test_overrides
    assert (override.reason, override.finding) == (reason, "the client has no patch test on record")
    assert (override.created_by, override.practitioner_id) == ("alex", world.practitioner.id)
    trail = world.records.audit_trail(patient_id=pid, limit=5)
    found = [e for e in trail if e.action == "override"]
    assert [e.object_type for e in found] == ["patch-test"]
    assert found[0].detail == (
        "the client has no patch test on record; reason in patch_test_overrides"
    )
    assert found[0].object_id == str(row.id)
    # the second session needs no patch test
    assert _session(world, pid).patch_test_overrides == []


def test_the_patch_test_must_be_clean_and_of_the_sessions_pigment(world: World) -> None:
    pid = _fresh_client(world)
    marked = _read(world, _patch(world, pid, hours_ago=90), "marked", notes="weal 8 mm")
    with pytest.raises(PatchTestRequiredError, match="showed a marked reaction"):
        _session(world, pid)
    unread = _patch(world, pid, hours_ago=85)
    with pytest.raises(PatchTestRequiredError, match="has not been read"):
        _session(world, pid)
    _read(world, unread)
    other = [PigmentUse("Other Ink Dark", "X-1", date(2032, 1, 1), water_ml=4.0)]
    with pytest.raises(PatchTestRequiredError, match="pigment Other Ink Dark was not patch-tested"):
        _session(world, pid, pigments=other)
    both = [other[0], PigmentUse(" carbon  BLACK ", "X-2", date(2032, 1, 1), water_ml=4.0)]
    with pytest.raises(PatchTestRequiredError, match="Other Ink Dark"):
        _session(world, pid, pigments=both)
    assert marked.reading is not None
    row = _session(world, pid, pigments=both[1:])  # the clean test clears it, case aside
    assert row.patch_test_overrides == []


def _two_days_ago_at_13(w: World) -> datetime:
    r = w.records
    return datetime.combine(r.today() - timedelta(days=2), time(13, 0), r.timezone)


def test_the_patch_test_must_be_applied_the_set_hours_before_the_session(world: World) -> None:
    pid = _fresh_client(world)
    _read(world, _patch(world, pid, at=_two_days_ago_at_13(world)))
    with pytest.raises(PatchTestRequiredError, match=r"applied 35 h before the session; 48 h"):
        _session(world, pid)  # no time given: the day's first minute counts
    with pytest.raises(PatchTestRequiredError, match=r"applied 47 h before"):
        _session(world, pid, start_time=time(12, 0))
    with pytest.raises(ClinicError, match="the start time must be a time like 10:00"):
        _session(world, pid, start_time="13:00")
    assert _count_sessions(world, pid) == 0
    row = _session(world, pid, start_time=time(13, 0))  # 48 h exactly
    assert row.patch_test_overrides == []


def test_a_booked_first_session_counts_from_the_bookings_start(world: World) -> None:
    r = world.records
    pid = _fresh_client(world)
    _read(world, _patch(world, pid, at=_two_days_ago_at_13(world)))
    start = datetime.combine(r.today(), time(14, 0), r.timezone)
    booking = r.book(
        pid,
        practitioner_id=world.practitioner.id,
        room_id=world.room.id,
        starts_at=start,
        duration=timedelta(hours=2),
    )
    row = _session(world, pid, booking_id=booking.id)  # 49 h after the test
    assert row.booking_id == booking.id
    assert row.patch_test_overrides == []


def _count_sessions(w: World, pid: int) -> int:
    with w.db.transaction(readonly=True) as s:
        query = select(func.count()).where(SessionRecord.patient_id == pid)
        return int(s.scalar(query) or 0)


def test_a_session_numbered_1_needs_the_patch_test_even_after_others(world: World) -> None:
    pid = _fresh_client(world)
    _session(world, pid, patch_test_override="tested elsewhere, letter on file")
    with pytest.raises(PatchTestRequiredError):
        _session(world, pid, session_number=1)
    assert _session(world, pid, session_number=2).patch_test_overrides == []


def test_a_clinic_setting_turns_the_rule_off(
    backend: str, make_config: Callable[[str], ClinicConfig]
) -> None:
    settings = Settings.from_overrides({"patch_test_min_hours": 0})
    with open_database(make_config(backend), settings=settings) as db:
        db.upgrade()
        w = make_world(db)
        pid = _fresh_client(w)
        assert _session(w, pid).patch_test_overrides == []
    with pytest.raises(Exception, match=r"patch_test_min_hours=-1 is outside its range 0–336"):
        Settings.from_overrides({"patch_test_min_hours": -1})


def test_override_rows_are_append_only(world: World) -> None:
    pid = _fresh_client(world)
    _session(world, pid, patch_test_override="tested elsewhere, letter on file")
    with pytest.raises(DBAPIError, match="append-only"), world.db.transaction() as s:
        s.execute(text("UPDATE patch_test_overrides SET reason = 'x'"))


# --- dilution against the chart ---

LOOK = {"skin": "#d7bd96", "hair": "dark-brown"}


def _design(w: World, pid: int, look: dict[str, str] | None = LOOK) -> None:
    content: dict[str, Any] = {
        "schema": DESIGN_SCHEMA,
        "inputs": {"pattern": "norwood-5", "hairline": "soft"},
    }
    if look is not None:
        content["studio"] = look
    w.records.save_design(pid, content)


def _expected(session: int, zone: str = "body") -> float:
    advice = recommend_dilution(skin_tone(LOOK["skin"]), LOOK["hair"], zone=zone, session=session)
    return advice.ml_water


def test_the_recommendation_follows_the_clients_latest_design(world: World) -> None:
    r = world.records
    pid = world.patient.id
    assert r.recommended_dilutions(pid) == {}  # no design yet
    _design(world, pid, look=None)
    assert r.recommended_dilutions(pid) == {}  # a design saved without a look
    _design(world, pid)
    chart = r.recommended_dilutions(pid)
    assert list(chart) == ["body", "transition", "sentinel", "scar", "enhancement"]
    body = chart["body"]
    assert (body.water_ml, body.session_number, body.zone) == (_expected(1), 1, "body")
    assert (body.skin, body.hair, body.design_version) == ("#d7bd96", "dark-brown", 2)
    later = r.recommended_dilutions(pid, session_number=3)["transition"]
    assert later.water_ml == _expected(3, "transition")
    assert r.audit_trail(limit=1)[0].object_type == "dilution"
    with pytest.raises(ClinicError, match="session number"):
        r.recommended_dilutions(pid, session_number=13)


def test_the_recommended_dilution_needs_no_reason_and_records_no_override(world: World) -> None:
    pid = world.patient.id
    _design(world, pid)
    water = _expected(1)
    mix = PigmentUse(PIGMENT, "D-SAME", date(2032, 1, 1), water_ml=water / 2, pigment_ml=0.5)
    row = _session(world, pid, pigments=[mix])
    assert row.dilution_overrides == []


def test_another_dilution_needs_a_reason_and_keeps_both_values(world: World) -> None:
    r = world.records
    pid = world.patient.id
    _design(world, pid)
    recommended = _expected(1)
    chosen = recommended + 2.0
    mix = PigmentUse(PIGMENT, "D-OTHER", date(2032, 1, 1), water_ml=chosen)
    before = (_count(world, SessionRecord), _count(world, DilutionOverride))
    message = (
        rf"pigment 1 \(batch D-OTHER\) is mixed {chosen:g} mL of water per mL, the chart "
        rf"recommends {recommended:g} mL for this client .*give the reason"
    )
    with pytest.raises(ClinicError, match=message):
        _session(world, pid, pigments=[mix])
    assert (_count(world, SessionRecord), _count(world, DilutionOverride)) == before
    assert _last_audit(world).outcome == "refused"
    reason = "client asked for a softer first pass; scalp very fair under the lights"
    done = _session(
        world,
        pid,
        pigments=[
            PigmentUse(
                PIGMENT, "D-OTHER", date(2032, 1, 1), water_ml=chosen, dilution_reason=reason
            )
        ],
    )
    [override] = done.dilution_overrides
    assert (override.recommended_water_ml, override.chosen_water_ml) == (recommended, chosen)
    assert (override.reason, override.batch, override.zone) == (reason, "D-OTHER", "body")
    assert (override.created_by, override.practitioner_id) == ("alex", world.practitioner.id)
    assert override.created_at.tzinfo is UTC
    assert [o.id for o in r.dilution_overrides(pid)] == [override.id]
    entry = next(e for e in r.audit_trail(patient_id=pid, limit=10) if e.action == "override")
    assert entry.object_type == "dilution"
    assert entry.detail == (
        f"batch D-OTHER body: {chosen:g} mL water per mL, recommended {recommended:g}; "
        "reason in dilution_overrides"
    )


def test_the_zone_of_a_mix_sets_its_recommendation(world: World) -> None:
    pid = world.patient.id
    _design(world, pid)
    water = _expected(1, "transition")
    mix = PigmentUse(PIGMENT, "D-T", date(2032, 1, 1), water_ml=water, zone="transition")
    assert _session(world, pid, pigments=[mix]).dilution_overrides == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"water_ml": -1.0}, r"dilution water \(mL\) must be"),
        ({"pigment_ml": 0.0}, r"dilution pigment \(mL\) must be"),
        ({"zone": "crown"}, "pigment zone must be one of body"),
        ({"dilution_reason": "x" * 2001}, "dilution reason"),
    ],
)
def test_bad_mixes_are_refused_whole(world: World, change: dict[str, Any], message: str) -> None:
    pid = world.patient.id
    _design(world, pid)
    args: dict[str, Any] = {"water_ml": 3.0, "dilution_reason": "because"}
    args.update(change)
    before = (_count(world, SessionRecord), _count(world, DilutionOverride))
    with pytest.raises(ClinicError, match=message):
        _session(world, pid, pigments=[PigmentUse(PIGMENT, "D-BAD", date(2032, 1, 1), **args)])
    assert (_count(world, SessionRecord), _count(world, DilutionOverride)) == before
