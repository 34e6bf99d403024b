"""Patients, consultations, consent, designs, plans, sessions, follow-ups, leads, photos —
on both back ends, with every limit tested exactly one unit over."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from smpstudio import DESIGN_SCHEMA, ClinicError
from smpstudio.clinic import PHOTO_MAX_BYTES, PigmentUse, RecordNotFoundError

from .conftest import World, no_contraindications

JPEG = b"\xff\xd8\xff\xe0" + bytes(200)
DESIGN = {"schema": DESIGN_SCHEMA, "inputs": {"pattern": "norwood-5", "hairline": "soft"}}


def _years_ago(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _session(w: World, **changes: Any) -> Any:
    args: dict[str, Any] = {
        "practitioner_id": w.practitioner.id,
        "performed_on": w.records.today() - timedelta(days=1),
        "duration_minutes": 180,
        "pigments": [PigmentUse("Carbon Black", "B-100", date(2032, 1, 1), water_ml=10.0)],
        "needle_lots": ["NL-1", "NL-2"],
        "needles_opened_in_front_of_client": True,
        "anaesthetic_offered": True,
        "anaesthetic_used": False,
        "pain_score": 3,
    }
    args.update(changes)
    return w.records.record_session(w.patient.id, **args)


# --- patients ---


def test_patients_round_trip_and_reads_are_audited(world: World) -> None:
    r = world.records
    p = r.add_patient(
        "Ana",
        "Silva",
        date_of_birth=date(1979, 2, 3),
        email="ana@example.com",
        phone="+44 20 7946 0000",
    )
    again = r.patient(p.id)
    assert (again.given_name, again.family_name, again.date_of_birth) == (
        "Ana",
        "Silva",
        date(1979, 2, 3),
    )
    assert again.created_at.tzinfo is not None
    actions = [(e.action, e.object_type, e.patient_id) for e in r.audit_trail(patient_id=p.id)]
    assert ("create", "patient", p.id) in actions
    assert ("read", "patient", p.id) in actions


def test_update_patient_logs_the_fields_not_the_values(world: World) -> None:
    r = world.records
    p = r.update_patient(world.patient.id, email="new@example.com", notes="prefers mornings")
    assert p.email == "new@example.com"
    entry = r.audit_trail(patient_id=p.id, limit=1)[0]
    assert entry.action == "update"
    assert entry.detail == "changed email, notes"
    assert "new@example.com" not in entry.detail
    with pytest.raises(ClinicError, match="cannot change clinic_id"):
        r.update_patient(p.id, clinic_id=99)


def test_find_patients_by_name_prefix(world: World) -> None:
    r = world.records
    r.add_patient("Zoe", "O'Neil_x%", date_of_birth=date(1990, 1, 1))
    assert [p.family_name for p in r.find_patients("o'neil_x%")] == ["O'Neil_x%"]
    assert r.find_patients("o'neil_y") == []
    assert r.find_patients("neil_x%x") == []  # % and _ are letters, not wildcards
    assert {p.id for p in r.find_patients()} >= {world.patient.id}


def test_find_patients_by_any_part_of_name_phone_or_email(world: World) -> None:
    r = world.records
    r.add_patient(
        "James",
        "O'Neill",
        date_of_birth=date(1980, 5, 1),
        phone="+44 20 7946 0018",
        email="j.oneill@example.org",
    )
    r.add_patient("Jamie", "Lee-Smith", date_of_birth=date(1985, 2, 2), phone="(555) 010-2030")

    def found(text: str) -> list[str]:
        return [p.family_name for p in r.find_patients(text)]

    assert found("Neill") == ["O'Neill"]  # inside the name, not only at its start
    assert found("oneill") == ["O'Neill"]  # apostrophe ignored
    assert found("james neill") == ["O'Neill"]  # every word must match
    assert found("jam") == ["Lee-Smith", "O'Neill"]
    assert found("leesmith") == ["Lee-Smith"]
    assert found("7946 0018") == ["O'Neill"]  # a phone number typed with spaces
    assert found("020 7946") == ["O'Neill"]
    assert found("555-010") == ["Lee-Smith"]
    assert found("example.org") == ["O'Neill"]
    assert found("james smith") == []
    assert found("12") == []  # two digits: too short to search a phone by


def test_client_age_limit_is_exact(world: World) -> None:
    r = world.records
    today = r.today()
    r.add_patient("Eve", "Adult", date_of_birth=_years_ago(today, 18))
    with pytest.raises(ClinicError, match="the client is 17: SMP is for adults"):
        r.add_patient("Eve", "Minor", date_of_birth=_years_ago(today, 18) + timedelta(days=1))
    with pytest.raises(ClinicError, match="in the future"):
        r.add_patient("Eve", "Unborn", date_of_birth=today + timedelta(days=1))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"given_name": "x" * 101}, "given name is 101 characters long; at most 100"),
        ({"given_name": "  "}, "given name is required"),
        ({"email": "not-an-email"}, "is not an e-mail address"),
        ({"phone": "call me"}, "is not a phone number"),
        ({"given_name": "Al\x00ex"}, "control characters"),
        ({"date_of_birth": "1980-01-01"}, "date of birth must be a date"),
    ],
)
def test_bad_patient_details_are_refused_in_one_line(
    world: World, changes: dict[str, Any], message: str
) -> None:
    args: dict[str, Any] = {
        "given_name": "A",
        "family_name": "B",
        "date_of_birth": date(1980, 1, 1),
    }
    args.update(changes)
    with pytest.raises(ClinicError, match=message) as info:
        world.records.add_patient(**args)
    assert "\n" not in str(info.value)


def test_names_at_the_limit_are_kept(world: World) -> None:
    p = world.records.add_patient("x" * 100, "y" * 100, date_of_birth=date(1980, 1, 1))
    assert world.records.patient(p.id).given_name == "x" * 100


# --- consultations and consent ---


def test_consultation_stores_reasons_stage_answers_and_outcome(world: World) -> None:
    r = world.records
    answers = no_contraindications() | {"blood-thinners": True}
    c = r.record_consultation(
        world.patient.id,
        held_on=date(2026, 1, 5),
        reasons=["scar", "pattern-loss", "scar"],
        stage="norwood-6",
        answers=answers,
        practitioner_id=world.practitioner.id,
    )
    assert c.outcome == "refer"
    assert json.loads(c.reasons) == ["pattern-loss", "scar"]
    assert json.loads(c.findings)[0]["key"] == "blood-thinners"
    assert json.loads(c.rules)["blood-thinners"] == "refer"
    assert r.consultations(world.patient.id)[0].id == c.id  # ordered by the date held


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reasons": ["vanity"]}, "reason must be one of pattern-loss"),
        ({"reasons": []}, "give one or more reasons"),
        ({"stage": "norwood-8"}, "stage must be one of"),
        ({"answers": {"pregnancy": False}}, "questionnaire incomplete"),
    ],
)
def test_bad_consultations_are_refused(world: World, changes: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {
        "held_on": date(2026, 1, 5),
        "reasons": ["alopecia"],
        "answers": no_contraindications(),
    }
    args.update(changes)
    with pytest.raises(ClinicError, match=message):
        world.records.record_consultation(world.patient.id, **args)


def test_consent_is_versioned_and_withdrawable(world: World) -> None:
    r = world.records
    p = world.add_client("Lou", "Ng")
    assert r.consent_status(p.id, "marketing").granted is False
    v1 = r.publish_consent_form("marketing", title="Marketing", body="Use my photos.")
    r.record_consent(p.id, v1.id, decision="granted", signed_name="Lou Ng")
    status = r.consent_status(p.id, "marketing")
    assert (status.granted, status.signed_version, status.current_version) == (True, 1, 1)
    v2 = r.publish_consent_form("marketing", title="Marketing", body="Use my photos online too.")
    assert v2.version == 2
    assert v2.body_sha256 == hashlib.sha256(b"Use my photos online too.").hexdigest()
    stale = r.consent_status(p.id, "marketing")
    assert (stale.granted, stale.signed_version, stale.current_version) == (False, 1, 2)
    r.record_consent(p.id, v2.id, decision="granted", signed_name="Lou Ng")
    assert r.consent_status(p.id, "marketing").granted
    r.record_consent(p.id, v2.id, decision="withdrawn", signed_name="Lou Ng")
    assert r.consent_status(p.id, "marketing").decision == "withdrawn"
    assert not r.consent_status(p.id, "marketing").granted
    assert r.consent_status(p.id, "treatment").granted  # the kinds are separate


# --- designs and plans ---


def test_designs_and_plans_are_numbered_per_client(world: World) -> None:
    r = world.records
    d1 = r.save_design(world.patient.id, DESIGN)
    d2 = r.save_design(world.patient.id, json.dumps(DESIGN | {"seed": 2}))
    assert (d1.version, d2.version, d2.pattern, d2.hairline_style) == (1, 2, "norwood-5", "soft")
    assert json.loads(d2.content)["seed"] == 2
    assert d2.content_sha256 == hashlib.sha256(d2.content.encode()).hexdigest()
    plan = r.save_plan(
        world.patient.id,
        {"sessions": [{}, {}, {}, {}], "spacing_days": 21},
        design_version_id=d2.id,
    )
    assert (plan.version, plan.sessions_planned, plan.spacing_days, plan.status) == (
        1,
        4,
        21.0,
        "draft",
    )
    assert r.set_plan_status(plan.id, "accepted").status == "accepted"
    assert [p.id for p in r.plans(world.patient.id)] == [plan.id]
    assert [d.version for d in r.designs(world.patient.id)] == [1, 2]


@pytest.mark.parametrize(
    ("content", "kwargs", "message"),
    [
        ("{not json", {}, "not readable JSON"),
        ("[1, 2]", {}, "must be a JSON object"),
        ({"schema": "other/thing"}, {}, "not a smpstudio plan"),
        ({}, {"sessions_planned": 13}, "sessions planned must be between 1 and 12, got 13"),
        ({}, {"sessions_planned": 0}, "between 1 and 12, got 0"),
        ({}, {"spacing_days": 6.99}, "plan spacing \\(days\\) must be between 7 and 30"),
        ({}, {"spacing_days": 30.01}, "between 7 and 30"),
    ],
)
def test_bad_plans_are_refused(
    world: World, content: Any, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ClinicError, match=message):
        world.records.save_plan(world.patient.id, content, **kwargs)


def test_plan_limits_are_inclusive(world: World) -> None:
    r = world.records
    top = r.save_plan(world.patient.id, {}, sessions_planned=12, spacing_days=7)
    assert (top.sessions_planned, top.spacing_days) == (12, 7)
    assert r.save_plan(world.patient.id, {}, sessions_planned=1, spacing_days=30).spacing_days == 30


def test_a_plan_json_as_smpstudio_plan_writes_it(world: World) -> None:
    content = {
        "schema": "smpstudio/plan@1",
        "sessions": [{"index": 1}, {"index": 2}, {"index": 3}],
        "rates": {"spacing_days": 21},
    }
    plan = world.records.save_plan(world.patient.id, content)
    assert (plan.sessions_planned, plan.spacing_days) == (3, 21)
    assert json.loads(plan.content) == content


def test_a_design_must_be_a_smpstudio_design(world: World) -> None:
    with pytest.raises(ClinicError, match="not a smpstudio design"):
        world.records.save_design(world.patient.id, {"hello": 1})


def test_another_clients_design_cannot_back_a_plan(world: World) -> None:
    other = world.add_client("Ola", "Berg")
    design = world.records.save_design(other.id, DESIGN)
    with pytest.raises(ClinicError, match="belongs to another client"):
        world.records.save_plan(world.patient.id, {}, design_version_id=design.id)


# --- session records ---


def test_a_session_keeps_every_lot(world: World) -> None:
    s = _session(
        world,
        pigments=[
            PigmentUse("Carbon Black", "B-100", date(2032, 1, 1), water_ml=10.0),
            PigmentUse("Carbon Black", "B-101", date(2032, 1, 1), water_ml=20.0, pigment_ml=0.5),
        ],
        needle_lots=["NL-7", "NL-8", "NL-9"],
        anaesthetic_used=True,
        anaesthetic_product="lidocaine 5 %",
    )
    assert [(p.batch, p.dilution_water_ml, p.dilution_pigment_ml) for p in s.pigments] == [
        ("B-100", 10.0, 1.0),
        ("B-101", 20.0, 0.5),
    ]
    assert [n.lot for n in s.needle_lots] == ["NL-7", "NL-8", "NL-9"]
    assert all(n.opened_in_front_of_client for n in s.needle_lots)
    listed = world.records.session_records(world.patient.id)
    assert [x.id for x in listed] == [s.id]
    assert [n.lot for n in listed[0].needle_lots] == ["NL-7", "NL-8", "NL-9"]


@pytest.mark.parametrize("pain", [0, 10, None])
def test_pain_limits_are_inclusive(world: World, pain: int | None) -> None:
    assert _session(world, pain_score=pain).pain_score == pain


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"pain_score": 11}, "pain score \\(0–10\\) must be between 0 and 10, got 11"),
        ({"pain_score": -1}, "got -1"),
        ({"pain_score": True}, "whole number"),
        ({"duration_minutes": 241}, "duration \\(minutes\\) must be between 1 and 240, got 241"),
        ({"duration_minutes": 0}, "got 0"),
        ({"needles_opened_in_front_of_client": False}, "opened in front of the client"),
        ({"needle_lots": []}, "lot number of every needle cartridge"),
        ({"needle_lots": "NL-1"}, "lot number of every needle cartridge"),
        ({"pigments": []}, "record the pigment used"),
        ({"anaesthetic_offered": False, "anaesthetic_used": True}, "used but not offered"),
        ({"performed_on": date(2999, 1, 1)}, "cannot be recorded before it happens"),
        ({"practitioner_id": 10**9}, "no practitioner"),
    ],
)
def test_bad_sessions_are_refused(world: World, changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ClinicError, match=message) as info:
        _session(world, **changes)
    assert "\n" not in str(info.value)
    assert world.records.session_records(world.patient.id) == []


def test_duration_limit_is_inclusive(world: World) -> None:
    assert _session(world, duration_minutes=240).duration_minutes == 240


def test_expired_pigment_is_refused_from_the_day_after_expiry(world: World) -> None:
    day = world.records.today() - timedelta(days=1)
    ok = PigmentUse("Carbon Black", "B-EDGE", day, water_ml=0.0)
    assert _session(world, performed_on=day, pigments=[ok]).pigments[0].expires_on == day
    late = PigmentUse("Carbon Black", "B-OLD", day - timedelta(days=1), water_ml=0.0)
    with pytest.raises(ClinicError, match=r"pigment batch B-OLD expired on .*may not be used"):
        _session(world, performed_on=day, pigments=[late])


def test_sessions_need_consent_and_a_non_blocking_candidacy(world: World) -> None:
    r = world.records
    p = r.add_patient("Nia", "Cole", date_of_birth=date(1990, 1, 1))
    with pytest.raises(ClinicError, match="not granted treatment consent"):
        r.record_session(p.id, **_session_args(world))
    form = r.consent_forms("treatment")[-1]
    r.record_consent(p.id, form.id, decision="granted", signed_name="Nia Cole")
    with pytest.raises(ClinicError, match="record a consultation"):
        r.record_session(p.id, **_session_args(world))
    answers = no_contraindications() | {"pregnancy": True}
    r.record_consultation(p.id, held_on=r.today(), reasons=["thinning"], answers=answers)
    with pytest.raises(ClinicError, match="contraindication that blocks SMP"):
        r.record_session(p.id, **_session_args(world))


def _session_args(w: World) -> dict[str, Any]:
    return {
        "practitioner_id": w.practitioner.id,
        "performed_on": w.records.today(),
        "duration_minutes": 150,
        "pigments": [PigmentUse("Carbon Black", "B-1", date(2032, 1, 1), water_ml=5.0)],
        "needle_lots": ["NL-1"],
        "needles_opened_in_front_of_client": True,
        "anaesthetic_offered": False,
        "anaesthetic_used": False,
    }


def test_records_are_append_only_so_corrections_are_appended(world: World) -> None:
    first = _session(world, notes="first")
    second = _session(world, notes="correction of the first record")
    assert [s.id for s in world.records.session_records(world.patient.id)] == [first.id, second.id]


# --- follow-ups and leads ---


def test_follow_up_retention_per_zone(world: World) -> None:
    r = world.records
    s = _session(world)
    fu = r.add_follow_up(
        world.patient.id, due_on=date(2027, 1, 1), kind="healing-check", session_id=s.id
    )
    assert fu.done_on is None
    assert fu.zones == []
    done = r.complete_follow_up(
        fu.id, done_on=date(2027, 1, 3), retention={"hairline": 0, "crown": 100}
    )
    assert {z.zone: z.retention_percent for z in done.zones} == {"crown": 100, "hairline": 0}
    assert [f.id for f in r.follow_ups(patient_id=world.patient.id)] == [fu.id]
    assert r.follow_ups(patient_id=world.patient.id, open_only=True) == []
    with pytest.raises(ClinicError, match="was completed on 2027-01-03"):
        r.complete_follow_up(fu.id, done_on=date(2027, 1, 4), retention={"crown": 90})


@pytest.mark.parametrize(
    ("retention", "message"),
    [
        ({"crown": 101}, "retention in crown \\(%\\) must be between 0 and 100, got 101"),
        ({"crown": -1}, "got -1"),
        ({"eyebrows": 50}, "zone must be one of"),
        ({}, "give the retention"),
    ],
)
def test_bad_retention_is_refused(world: World, retention: dict[str, int], message: str) -> None:
    fu = world.records.add_follow_up(world.patient.id, due_on=date(2027, 1, 1), kind="touch-up")
    with pytest.raises(ClinicError, match=message):
        world.records.complete_follow_up(fu.id, done_on=date(2027, 1, 2), retention=retention)
    assert world.records.follow_ups(patient_id=world.patient.id)[0].done_on is None


def test_leads_from_the_web_site(world: World) -> None:
    r = world.records
    lead = r.add_lead(
        "Jo Park",
        email="jo@example.com",
        message="m" * 2000,
        stage="norwood-3",
        contact_consent=True,
    )
    assert (lead.status, lead.patient_id) == ("new", None)
    with pytest.raises(ClinicError, match="names the patient"):
        r.update_lead(lead.id, status="converted")
    converted = r.update_lead(lead.id, status="converted", patient_id=world.patient.id)
    assert (converted.status, converted.patient_id) == ("converted", world.patient.id)
    assert lead.id in {x.id for x in r.leads(status="converted")}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"email": "jo@example.com"}, "must agree to be contacted"),
        ({"contact_consent": True}, "give an e-mail address or a phone number"),
        (
            {"email": "jo@example.com", "contact_consent": True, "message": "m" * 2001},
            "message is 2001",
        ),
    ],
)
def test_bad_leads_are_refused(world: World, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ClinicError, match=message):
        world.records.add_lead("Jo", **kwargs)


# --- photos ---


def test_photos_live_outside_the_database_with_their_hash(world: World) -> None:
    r = world.records
    photo = r.add_photo(
        world.patient.id, JPEG, kind="before", taken_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    path = world.db.config.photos_dir / photo.path
    assert path.read_bytes() == JPEG
    assert photo.sha256 == hashlib.sha256(JPEG).hexdigest()
    assert (photo.media_type, photo.size_bytes) == ("image/jpeg", len(JPEG))
    assert r.photo_bytes(photo.id) == JPEG
    assert [p.id for p in r.photos(world.patient.id)] == [photo.id]
    path.write_bytes(JPEG + b"tampered")
    with pytest.raises(
        ClinicError, match=r"is damaged \(its SHA-256 no longer matches\): ask whoever"
    ):
        r.photo_bytes(photo.id)
    path.unlink()
    with pytest.raises(ClinicError, match="is missing"):
        r.photo_bytes(photo.id)


def test_a_photo_says_which_view_it_shows_and_a_change_is_audited(world: World) -> None:
    r = world.records
    front = r.add_photo(world.patient.id, JPEG, kind="before", view="front")
    untold = r.add_photo(world.patient.id, JPEG, kind="session")
    assert (front.view, untold.view) == ("front", None)
    assert r.set_photo_view(untold.id, "top").view == "top"
    assert r.set_photo_view(front.id, None).view is None
    assert [p.view for p in r.photos(world.patient.id)] == [None, "top"]
    trail = r.audit_trail(patient_id=world.patient.id, action="update")
    details = [e.detail for e in trail if e.object_type == "photo"]
    assert details[:2] == ["view front -> not said", "view not said -> top"]  # newest first
    folder = world.db.config.photos_dir / str(r.clinic_id)
    files = sorted(folder.iterdir())
    with pytest.raises(ClinicError, match="photo view must be one of front, three-quarter"):
        r.add_photo(world.patient.id, JPEG, kind="before", view="side")
    with pytest.raises(ClinicError, match="got 'crown'"):
        r.set_photo_view(untold.id, "crown")
    assert sorted(folder.iterdir()) == files  # nothing written
    assert r.photos(world.patient.id)[1].view == "top"  # nothing changed
    with pytest.raises(RecordNotFoundError):
        r.set_photo_view(10**9, "front")


def test_photo_size_limit_is_exact(world: World) -> None:
    r = world.records
    at_limit = JPEG + bytes(PHOTO_MAX_BYTES - len(JPEG))
    assert r.add_photo(world.patient.id, at_limit, kind="session").size_bytes == PHOTO_MAX_BYTES
    folder = world.db.config.photos_dir / str(r.clinic_id)
    before = sorted(folder.iterdir())
    with pytest.raises(ClinicError, match="at most 26,214,400 \\(25 MiB\\)"):
        r.add_photo(world.patient.id, at_limit + b"\x00", kind="session")
    assert sorted(folder.iterdir()) == before  # nothing written


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"%PDF-1.7", "must be a JPEG, PNG or WebP"), (b"GIF89a", "must be a JPEG, PNG or WebP")],
)
def test_other_files_are_refused(world: World, data: bytes, message: str) -> None:
    with pytest.raises(ClinicError, match=message):
        world.records.add_photo(world.patient.id, data, kind="before")


def test_photos_need_photo_consent(world: World) -> None:
    r = world.records
    p = r.add_patient("No", "Photos", date_of_birth=date(1980, 1, 1))
    with pytest.raises(ClinicError, match="not granted photo consent"):
        r.add_photo(p.id, JPEG, kind="before")
    folder = world.db.config.photos_dir / str(r.clinic_id)
    assert not folder.exists() or not any(folder.iterdir())


def test_unknown_ids_are_not_found(world: World) -> None:
    r = world.records
    for call in (
        lambda: r.patient(10**9),
        lambda: r.photo_bytes(10**9),
        lambda: r.consultations(10**9),
        lambda: r.complete_follow_up(10**9, done_on=date(2027, 1, 1), retention={"crown": 1}),
    ):
        with pytest.raises(RecordNotFoundError, match="in this clinic"):
            call()
