"""Sessions, durations, splitting, spacing, the 4th session, cost, aftercare and touch-up."""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys

import numpy as np
import pytest

from smpstudio import PlanError, SettingError, Settings
from smpstudio.colour import FadeConditions, PigmentModel, skin_tone, touch_up_years
from smpstudio.density import ZONES
from smpstudio.dots import NEEDLES
from smpstudio.plan import (
    PLAN_SCHEMA,
    GraftTable,
    PriceTable,
    build_plan,
    load_price_table,
    smp_cost,
    transplant_cost,
)
from smpstudio.reports import plan_json
from tests.plan.cases import HAIR, SKIN, START, case, plan_of


def _settings(**changes: float) -> Settings:
    return Settings.from_overrides(changes)


def test_default_plan_follows_the_design_sessions_and_the_dots() -> None:
    d, dots = case()
    plan = plan_of()
    assert [s.stage for s in plan.sessions] == [1, 2, 3]
    assert [s.date for s in plan.sessions] == [START + dt.timedelta(days=14 * k) for k in range(3)]
    for s in plan.sessions:
        mine = dots.session == s.stage
        assert s.impressions == int(mine.sum())
        assert s.zones == {z: n for z, n in dots.counts[s.stage].items() if n}
        assert s.needles == {
            NEEDLES[k]: int(np.sum(mine & (dots.needle == k)))
            for k in range(2)
            if np.any(mine & (dots.needle == k))
        }
        values, counts = np.unique(dots.dilution[mine], return_counts=True)
        assert s.dilutions == dict(zip(values.tolist(), counts.tolist(), strict=True))
        assert s.density_per_cm2 == pytest.approx(80 * d.settings.session_fractions[s.stage - 1])
    assert plan.impressions == len(dots)
    assert plan.sessions[0].purpose.startswith("Base")
    assert "most of the pigment" in plan.sessions[0].purpose
    assert plan.sessions[1].purpose.startswith("Shading and definition")
    assert plan.sessions[2].purpose.startswith("Adjustments")
    assert plan.warnings == ()


def test_durations_follow_the_documented_rates() -> None:
    plan = plan_of()
    s = plan.settings
    for k, session in enumerate(plan.sessions):
        fine = session.needles.get("1RL", 0)
        body = session.needles.get("3RL", 0)
        work = fine / s.plan_rate_fine_per_hour + body / s.plan_rate_body_per_hour
        setup = (s.plan_setup_first_minutes if k == 0 else s.plan_setup_minutes) / 60
        assert session.work_h == pytest.approx(work)
        assert session.setup_h == pytest.approx(setup)
        assert session.duration_h == pytest.approx(work + setup)
        assert session.duration_h <= session.booked_h <= s.session_max_hours
        assert session.booked_h >= s.session_min_hours
        assert session.booked_h * 4 == int(session.booked_h * 4)
    faster = plan_of(settings=_settings(plan_rate_body_per_hour=7000))
    assert faster.sessions[0].duration_h < plan.sessions[0].duration_h


def test_a_session_over_the_maximum_is_split_front_first() -> None:
    plan = plan_of("norwood-7", ("fut",))
    s = plan.settings
    first = [x for x in plan.sessions if x.stage == 1]
    assert [(x.part, x.parts) for x in first] == [(1, 2), (2, 2)]
    assert all(x.duration_h <= s.session_max_hours + 1e-9 for x in plan.sessions)
    assert (first[1].date - first[0].date).days == 1
    front = [float(np.mean(plan.session_work(x.index).front)) for x in first]
    assert front[0] > front[1]
    assert "part 1 of 2: front" in first[0].purpose
    _, dots = case("norwood-7", ("fut",))
    assert sum(x.impressions for x in first) == int(np.sum(dots.session == 1))
    unsplit = sum(x.work_h for x in first)
    assert unsplit + s.plan_setup_first_minutes / 60 > s.session_max_hours


@pytest.mark.parametrize(("delta", "parts"), [(1e-6, 1), (-1e-6, 2)])
def test_session_max_hours_one_unit_over(delta: float, parts: int) -> None:
    duration = plan_of().sessions[0].duration_h
    plan = plan_of(settings=_settings(session_max_hours=duration + delta))
    assert plan.sessions[0].parts == parts
    assert all(x.duration_h <= duration + delta for x in plan.sessions)


def test_a_long_first_setup_still_splits_into_appointments_that_fit() -> None:
    # Found by Hypothesis: equal-length cuts could not fit when the first appointment's
    # setup took most of the session and the later ones took none.
    s = _settings(
        session_max_hours=1.0,
        session_min_hours=1.0,
        plan_setup_first_minutes=51.4,
        plan_setup_minutes=0,
        plan_rate_body_per_hour=7998,
        plan_rate_fine_per_hour=250,
    )
    plan = plan_of(settings=s)
    first = [x for x in plan.sessions if x.stage == 1]
    assert len(first) > 1
    assert all(x.duration_h <= 1.0 + 1e-9 for x in plan.sessions)
    _, dots = case()
    assert sum(x.impressions for x in first) == int(np.sum(dots.session == 1))


def test_the_fourth_session_reworks_scars_and_a_share() -> None:
    three = plan_of("norwood-7", ("fut",))
    four = plan_of("norwood-7", ("fut",), sessions=4)
    extra = [x for x in four.sessions if x.stage == 4]
    assert len(extra) == 1
    _, dots = case("norwood-7", ("fut",))
    scars = int(np.sum(dots.zone == ZONES.index("scar")))
    others = len(dots) - scars
    assert extra[0].zones["scar"] == scars
    assert extra[0].impressions == scars + round(0.15 * others)
    assert extra[0].purpose.startswith("Reinforcement")
    assert four.cost.extra_sessions == 1
    assert four.cost.low == three.cost.low + 400
    assert four.cost.high == three.cost.high + 1000
    assert any("further session" in note for note in three.notes)


@pytest.mark.parametrize("sessions", [2, 5, True, "3", 3.0])
def test_impossible_session_counts(sessions: object) -> None:
    with pytest.raises(PlanError, match="session"):
        plan_of(sessions=sessions)


@pytest.mark.parametrize(
    ("days", "ok"), [(7, True), (6.5, True), (6, False), (365, True), (366, False)]
)
def test_spacing_limits(days: float, ok: bool) -> None:
    if not ok:
        with pytest.raises(PlanError, match="days apart"):
            plan_of(spacing_days=days)
        return
    plan = plan_of(spacing_days=days)
    assert (plan.sessions[1].date - plan.sessions[0].date).days == math.ceil(days)
    assert bool(plan.warnings) == (days > 30)


def test_spacing_warns_one_day_past_the_maximum() -> None:
    assert plan_of(spacing_days=30).warnings == ()
    (warning,) = plan_of(spacing_days=31).warnings
    assert "exceed session_spacing_max_days (30)" in warning
    assert [x.date.day for x in plan_of(settings=_settings(session_spacing_days=10)).sessions] == [
        2,
        12,
        22,
    ]


@pytest.mark.parametrize(
    "start",
    [dt.datetime(2026, 3, 2, 10), "2026-03-02", dt.date(1999, 12, 31), dt.date(2101, 1, 1)],
)
def test_impossible_start_dates(start: object) -> None:
    with pytest.raises(PlanError, match="date"):
        plan_of(start=start)


def test_plan_settings_that_contradict_each_other() -> None:
    with pytest.raises(SettingError, match="plan_cost_per_graft_low"):
        plan_of(settings=_settings(plan_cost_per_graft_low=12))
    with pytest.raises(SettingError, match="leaves no time"):
        plan_of(settings=_settings(session_max_hours=1, session_min_hours=1, plan_setup_minutes=60))
    with pytest.raises(SettingError, match="outside its range"):
        _settings(plan_rate_body_per_hour=499)


def test_time_and_time_zone_are_checked() -> None:
    plan = plan_of(time=dt.time(10), timezone="Europe/London")
    assert plan.to_dict()["appointment_time"] == "10:00"
    with pytest.raises(PlanError, match="unknown time zone"):
        plan_of(time=dt.time(10), timezone="Mars/Olympus")
    with pytest.raises(PlanError, match="needs an appointment time"):
        plan_of(timezone="Europe/London")


def test_impressions_of_another_session_plan_are_refused() -> None:
    import smpstudio
    from smpstudio.dots import dilution_rule, place_impressions

    two = smpstudio.design(
        pattern="norwood-3",
        hairline="soft",
        seed=7,
        settings=Settings.from_overrides({"session_fractions": "0.5,1"}),
    )
    dots = place_impressions(two, dilution=dilution_rule(SKIN, HAIR))
    d, _ = case()
    with pytest.raises(PlanError, match="placed for 2 sessions"):
        build_plan(d, dots, start=START, skin=SKIN)
    plan = build_plan(two, dots, start=START, skin=SKIN)
    assert [x.purpose.split(":")[0] for x in plan.sessions] == ["Base", "Adjustments"]


# --- cost ---------------------------------------------------------------------------------


def test_cost_from_area_and_density_with_its_basis() -> None:
    plan = plan_of()
    cost = plan.cost
    assert (cost.low, cost.high, cost.currency) == (2000.0, 3500.0, "USD")
    assert cost.area_equivalent_cm2 == pytest.approx(plan.impressions / 80)
    assert f"{plan.treated_area_cm2:.0f} cm² treated" in cost.basis
    assert f"{plan.impressions:,} impressions" in cost.basis
    big = plan_of("norwood-7", ("fut",))
    assert big.cost.band == "full head"
    assert (big.cost.low, big.cost.high) == (3500.0, 5000.0)
    table = PriceTable.default()
    assert min(b.low for b in table.bands) == 1500
    assert max(b.high for b in table.bands) == 5000


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"currency": "usd"}, "ISO 4217"),
        ({"bands": []}, "non-empty"),
        ({"colour": 1}, "unknown key colour"),
        ({"reference_density_per_cm2": 0}, "reference_density_per_cm2"),
        ({"extra_session": {"low": 900, "high": 100}}, "must not exceed"),
        (
            {"bands": [{"up_to_cm2": 10, "low": 1, "high": 2}, {"up_to_cm2": 5, "low": 3}]},
            "last band must be open",
        ),
        (
            {
                "bands": [
                    {"up_to_cm2": 10, "low": 1, "high": 2},
                    {"up_to_cm2": 5, "low": 3, "high": 4},
                    {"up_to_cm2": None, "low": 5, "high": 6},
                ]
            },
            "must increase",
        ),
        ({"bands": [{"up_to_cm2": None, "low": 3, "high": 2}]}, "exceeds high"),
        (
            {
                "bands": [
                    {"up_to_cm2": 10, "low": 5, "high": 6},
                    {"up_to_cm2": None, "low": 1, "high": 2},
                ]
            },
            "must not cost less",
        ),
    ],
)
def test_bad_price_tables(change: dict[str, object], message: str) -> None:
    data = {**PriceTable.default().to_dict(), **change}
    with pytest.raises(PlanError, match=message):
        PriceTable.from_dict(data)


def test_price_table_files_and_currency(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    data = PriceTable.default().to_dict()
    data["currency"] = "EUR"
    (folder / "eur.json").write_text(json.dumps(data))
    table = load_price_table(folder / "eur.json")
    plan = plan_of(price_table=table, currency="eur")
    assert plan.cost.currency == plan.transplant.currency == "EUR"  # type: ignore[union-attr]
    with pytest.raises(PlanError, match="in USD, not EUR"):
        plan_of(currency="EUR")
    with pytest.raises(PlanError, match="not found"):
        load_price_table(folder / "missing.json")
    (folder / "bad.json").write_text("{nope")
    with pytest.raises(PlanError, match="not readable JSON"):
        load_price_table(folder / "bad.json")


def test_transplant_comparison_from_bernstein_graft_counts() -> None:
    s = Settings()
    grafts = GraftTable.default()
    five = transplant_cost("norwood-5", settings=s, grafts=grafts, currency="USD")
    assert five is not None
    assert (five.grafts_low, five.grafts_high, five.low, five.high) == (2500, 2800, 10000, 28000)
    three = transplant_cost("norwood-3", settings=s, grafts=grafts, currency="USD")
    assert three is not None
    assert (three.grafts_low, three.grafts_high) == (1000, 1600)
    assert "front" in three.basis
    for pattern in ("norwood-1", "norwood-2", "ludwig-2", "diffuse"):
        assert transplant_cost(pattern, settings=s, grafts=grafts, currency="USD") is None
    assert grafts.front["norwood-7"] == (2500, 3200)
    assert grafts.with_crown["norwood-6"] == (
        2800,
        3400,
    )


def test_cost_is_a_range_with_low_at_most_high() -> None:
    table = PriceTable.default()
    for impressions in (1, 3_999, 4_000, 4_001, 12_000, 20_001, 60_000):
        for extra in (0, 1, 2):
            c = smp_cost(
                treated_area_cm2=100.0,
                impressions=impressions,
                sessions=3,
                extra_sessions=extra,
                prices=table,
            )
            assert c.low <= c.high
    at_edge = smp_cost(
        treated_area_cm2=50, impressions=4000, sessions=3, extra_sessions=0, prices=table
    )
    over = smp_cost(
        treated_area_cm2=50, impressions=4001, sessions=3, extra_sessions=0, prices=table
    )
    assert (at_edge.low, over.low) == (1500.0, 2000.0)


# --- aftercare and touch-up ---------------------------------------------------------------


def test_aftercare_defaults_per_session() -> None:
    plan = plan_of()
    first = {e.kind: e for e in plan.aftercare if e.session == 1}
    day = START
    assert set(first) == {"shower", "dry", "sun", "swim", "exercise", "shave", "moisturise"}
    assert first["shave"].date == day + dt.timedelta(days=4)
    assert "electric foil shaver" in first["shave"].text
    assert "no blade razor until the scabs have gone" in first["shave"].text
    assert first["shower"].date == day
    assert "12 hours before" in first["shower"].text
    assert first["dry"].until == day + dt.timedelta(days=4)
    assert first["sun"].until == day + dt.timedelta(days=4)
    assert "1 h a day" in first["sun"].text
    assert "cap" in first["sun"].text
    assert first["exercise"].until == day + dt.timedelta(days=5)
    assert first["moisturise"].date == day + dt.timedelta(days=5)
    # 30 days of no swimming stop the day before session 2, whose aftercare follows
    assert first["swim"].until == plan.sessions[1].date - dt.timedelta(days=1)
    last = {e.kind: e for e in plan.aftercare if e.session == 3}
    assert last["swim"].until == plan.sessions[2].date + dt.timedelta(days=30)
    assert all(e.date <= (e.until or e.date) for e in plan.aftercare)
    assert [e.date for e in plan.aftercare] == sorted(e.date for e in plan.aftercare)


def test_aftercare_rules_are_settings() -> None:
    plan = plan_of(
        settings=_settings(
            aftercare_dry_days=3,
            aftercare_shower_before_hours=0,
            aftercare_moisturise_from_day=0,
            aftercare_shave_from_day=0,
        )
    )
    kinds = {e.kind for e in plan.aftercare}
    assert "shower" not in kinds
    assert "moisturise" not in kinds
    assert "shave" not in kinds
    dry = next(e for e in plan.aftercare if e.kind == "dry")
    assert dry.until == START + dt.timedelta(days=3)


def test_split_parts_share_one_until_next_event() -> None:
    plan = plan_of("norwood-7", ("fut",))
    first = [e for e in plan.aftercare if e.session == 1]
    assert {e.kind for e in first} == {"shower", "until-next"}
    (bridge,) = [e for e in first if e.kind == "until-next"]
    assert bridge.until == plan.sessions[0].date


def test_touch_up_from_the_fading_model() -> None:
    plan = plan_of()
    zone, ml = plan.final_shade
    assert zone == "body"
    years = touch_up_years(skin_tone(SKIN), ml, model=PigmentModel(touch_up_contrast_drop=0.3))
    healed = plan.sessions[-1].date + dt.timedelta(days=28)
    assert plan.touch_up.years == pytest.approx(years)
    assert plan.touch_up.date == healed + dt.timedelta(days=round(years * 365.25))
    assert 2 <= plan.touch_up.years <= 8
    scarred = plan_of("norwood-7", ("fut",))
    assert scarred.touch_up.zone == "scar"
    sunny = plan_of(fade=FadeConditions(sun="high"))
    cared = plan_of(fade=FadeConditions(moisturised=True))
    assert sunny.touch_up.date < plan.touch_up.date < cared.touch_up.date
    sooner = plan_of(settings=_settings(plan_touch_up_contrast_drop=0.2))
    assert sooner.touch_up.date < plan.touch_up.date


# --- plan.json, identity, purity ----------------------------------------------------------


def test_plan_json_fields_and_determinism() -> None:
    text = plan_json(plan_of())
    assert text == plan_json(plan_of())
    data = json.loads(text)
    assert data["schema"] == PLAN_SCHEMA
    for session in data["sessions"]:
        assert {"index", "date", "impressions", "duration_h", "dilution", "zones"} <= set(session)
        assert sum(cup["impressions"] for cup in session["dilution"]) == session["impressions"]
    assert data["treated_area_cm2"] == pytest.approx(plan_of().treated_area_cm2, abs=0.01)
    assert {"low", "high", "currency", "basis"} <= set(data["cost_estimate"])
    assert all({"date", "text"} <= set(e) for e in data["aftercare"])
    assert {"date", "years"} <= set(data["touch_up"])
    assert data["transplant_estimate"]["grafts"] == [2500, 2800]
    assert "name" not in json.dumps(data["client"])


def test_plan_identity_ignores_dates_but_not_the_case() -> None:
    a = plan_of()
    assert plan_of(start=dt.date(2026, 5, 4)).plan_id == a.plan_id
    assert plan_of(reference="case 17").plan_id != a.plan_id
    assert plan_of(skin="#a07e56").plan_id != a.plan_id


def test_plan_and_reports_import_no_cli_web_or_database_code() -> None:
    code = (
        "import sys, smpstudio.plan, smpstudio.reports; bad = [m for m in sys.modules if "
        "m.split('.')[0] in {'click', 'rich', 'sqlalchemy', 'starlette', 'fastapi', 'jinja2'}]; "
        "print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_nothing_to_plan() -> None:
    import smpstudio
    from smpstudio.dots import dilution_rule, place_impressions

    d = smpstudio.design(pattern="none", hairline="soft", hairline_rule="original")
    dots = place_impressions(d, dilution=dilution_rule(SKIN, HAIR))
    if len(dots):
        pytest.skip("this design has impressions")
    with pytest.raises(PlanError, match="no impressions"):
        build_plan(d, dots, start=START, skin=SKIN)
