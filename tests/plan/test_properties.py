"""Properties of every plan: spacing, session length after splitting, cost range, coverage."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from smpstudio import Settings
from smpstudio.plan import Plan, record_session
from tests.plan.cases import case, plan_of

ZONES_RECORDED = ("body", "transition", "sentinel", "enhancement")


@st.composite
def plan_settings(draw: st.DrawFn) -> tuple[Settings, float]:
    max_h = draw(st.floats(1.0, 6.0))
    values = {
        "plan_rate_body_per_hour": draw(st.floats(500.0, 10000.0)),
        "plan_rate_fine_per_hour": draw(st.floats(250.0, 10000.0)),
        "plan_setup_first_minutes": draw(st.floats(0.0, 55.0)),
        "plan_setup_minutes": draw(st.floats(0.0, 55.0)),
        "session_max_hours": max_h,
        "session_min_hours": draw(st.floats(0.5, min(max_h, 4.0))),
        "plan_split_gap_days": draw(st.integers(1, 14)),
    }
    spacing = draw(st.floats(7.0, 60.0))
    return Settings.from_overrides(values), spacing


def _check(plan: Plan) -> None:
    s = plan.settings
    sessions = plan.sessions
    for a, b in itertools.pairwise(sessions):
        assert b.date > a.date
        if b.stage != a.stage:
            assert (b.date - a.date).days >= 7
            assert (b.date - a.date).days >= s.session_spacing_min_days
    for stage in {x.stage for x in sessions}:
        later = [x.date for x in sessions if x.stage > stage]
        mine = [x.date for x in sessions if x.stage == stage]
        if later:
            assert (min(later) - max(mine)).days >= 7
    for x in sessions:
        assert x.duration_h <= s.session_max_hours + 1e-9
        assert x.duration_h <= x.booked_h <= s.session_max_hours
        assert x.booked_h >= min(s.session_min_hours, s.session_max_hours)
    assert plan.cost.low <= plan.cost.high
    if plan.transplant is not None:
        assert plan.transplant.low <= plan.transplant.high
    assert all(e.date <= (e.until or e.date) for e in plan.aftercare)
    assert plan.touch_up.date > sessions[-1].date


@settings(max_examples=25)
@given(drawn=plan_settings(), big=st.booleans())
def test_every_plan_keeps_the_limits(drawn: tuple[Settings, float], big: bool) -> None:
    s, spacing = drawn
    pattern, scars = ("norwood-7", ("fut",)) if big else ("norwood-5", ())
    plan = plan_of(pattern, scars, settings=s, spacing_days=spacing)
    _check(plan)
    _, dots = case(pattern, scars)
    placed = np.concatenate([plan.session_work(x.index).ident for x in plan.sessions])
    assert np.array_equal(np.sort(placed), np.sort(dots.ident))


@settings(max_examples=20)
@given(
    retention=st.lists(
        st.dictionaries(st.sampled_from(ZONES_RECORDED), st.floats(0.0, 100.0), max_size=4),
        min_size=1,
        max_size=3,
    ),
    delays=st.lists(st.integers(0, 20), min_size=3, max_size=3),
)
def test_re_planning_keeps_the_limits(retention: list[dict[str, float]], delays: list[int]) -> None:
    plan = plan_of()
    for k, kept in enumerate(retention, start=1):
        when = plan.sessions[k - 1].date + dt.timedelta(days=delays[k - 1])
        before = plan
        plan = record_session(plan, index=k, retention=kept, date=when)
        assert plan.sessions[k - 1].status == "done"
        lost = sum(
            round(before.sessions[k - 1].zones.get(z, 0) * (1 - v / 100)) for z, v in kept.items()
        )
        if k < len(before.sessions):
            assert plan.impressions >= before.impressions + lost - 1
        _check(plan)
