"""Adaptive re-planning: retention per zone recorded after a session, the rest recomputed."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from smpstudio import PlanError
from smpstudio.colour import DilutionTable
from smpstudio.density import ZONES
from smpstudio.plan import record_session
from smpstudio.plan._dots import darker
from tests.plan.cases import START, plan_of

SHADES = DilutionTable.default().shades_ml_water


def test_start_with_one_session_and_see() -> None:
    plan = plan_of(trial=True)
    assert [s.status for s in plan.sessions] == ["planned", "provisional", "provisional"]
    assert any("Trial start" in note for note in plan.notes)
    after = record_session(plan, index=1, retention={})
    assert [s.status for s in after.sessions] == ["done", "planned", "planned"]
    assert after.sessions[1].redo == 0
    assert [s.impressions for s in after.sessions] == [s.impressions for s in plan.sessions]


def test_lost_impressions_are_reworked_in_the_next_session() -> None:
    plan = plan_of()
    first = plan.sessions[0]
    after = record_session(plan, index=1, retention={"body": 70, "transition": 90})
    lost_body = round(first.zones["body"] * 0.3)
    lost_transition = round(first.zones["transition"] * 0.1)
    second = after.sessions[1]
    assert second.redo == lost_body + lost_transition
    assert second.impressions == plan.sessions[1].impressions + second.redo
    assert after.sessions[0].retention == {"body": 70.0, "transition": 90.0}
    assert after.sessions[0].status == "done"
    work = after.session_work(2)
    redone = work.ident[work.redo]
    assert set(redone.tolist()) <= set(plan.session_work(1).ident.tolist())
    assert second.duration_h > plan.sessions[1].duration_h


def test_poor_retention_gives_a_darker_shade_from_then_on() -> None:
    plan = plan_of()
    body = ZONES.index("body")
    after = record_session(plan, index=1, retention={"body": 74.9, "transition": 75})
    for k in (2, 3):
        before, now = plan.session_work(k), after.session_work(k)
        kept = ~now.redo
        at = now.zone[kept] == body
        expected = darker(before.ml_water[before.zone == body], 1, SHADES)
        assert np.array_equal(np.sort(now.ml_water[kept][at]), np.sort(expected))
        transition = now.zone[kept] == ZONES.index("transition")
        assert np.array_equal(
            np.sort(now.ml_water[kept][transition]),
            np.sort(before.ml_water[before.zone == ZONES.index("transition")]),
        )
    assert np.all(after.session_work(1).ml_water == plan.session_work(1).ml_water)


def test_after_the_last_session_a_top_up_only_below_the_threshold() -> None:
    plan = plan_of()
    for k in (1, 2):
        plan = record_session(plan, index=k, retention={})
    fine = record_session(plan, index=3, retention={"body": 90})
    assert len(fine.sessions) == 3
    assert any("no further session" in note for note in fine.notes)
    short = record_session(plan, index=3, retention={"body": 89.9})
    assert len(short.sessions) == 4
    top_up = short.sessions[3]
    assert top_up.purpose.startswith("Top-up")
    assert top_up.redo == top_up.impressions == round(plan.sessions[2].zones["body"] * 0.101)
    assert top_up.date == plan.sessions[2].date + dt.timedelta(days=14)
    assert short.cost.extra_sessions == 1


def test_the_recorded_date_moves_the_later_sessions() -> None:
    plan = plan_of()
    later = START + dt.timedelta(days=3)
    after = record_session(plan, index=1, retention={}, date=later)
    assert after.sessions[0].date == later
    assert after.sessions[1].date == later + dt.timedelta(days=14)


def test_split_parts_keep_their_split_when_one_is_recorded() -> None:
    plan = plan_of("norwood-7", ("fut",))
    after = record_session(plan, index=1, retention={"body": 50})
    assert [(s.stage, s.part) for s in after.sessions[:2]] == [(1, 1), (1, 2)]
    assert after.sessions[1].redo == 0
    assert after.sessions[2].redo > 0
    assert after.sessions[1].date == after.sessions[0].date + dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"index": 2, "retention": {}}, "record in order"),
        ({"index": 1, "retention": {"scalp": 80}}, "unknown zone 'scalp'"),
        ({"index": 1, "retention": {"body": 100.01}}, "percentage 0–100"),
        ({"index": 1, "retention": {"body": -0.01}}, "percentage 0–100"),
        ({"index": 1, "retention": {"body": float("nan")}}, "percentage 0–100"),
        ({"index": 1, "retention": {"body": True}}, "percentage 0–100"),
        ({"index": 1, "retention": {}, "date": dt.date(1999, 1, 1)}, "outside"),
    ],
)
def test_bad_records(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(PlanError, match=message):
        record_session(plan_of(), **kwargs)  # type: ignore[arg-type]


def test_a_recorded_session_too_soon_after_the_previous_is_refused() -> None:
    plan = record_session(plan_of(), index=1, retention={})
    with pytest.raises(PlanError, match="only 6 days after"):
        record_session(plan, index=2, retention={}, date=START + dt.timedelta(days=6))
    ok = record_session(plan, index=2, retention={}, date=START + dt.timedelta(days=7))
    assert ok.sessions[1].date == START + dt.timedelta(days=7)
    late = record_session(plan, index=2, retention={}, date=START + dt.timedelta(days=31))
    assert any("31 days after" in w for w in late.warnings)
    done = record_session(ok, index=3, retention={})
    with pytest.raises(PlanError, match="every session is recorded"):
        record_session(done, index=4, retention={})


def test_retention_choice_is_reproducible() -> None:
    plan = plan_of()
    a = record_session(plan, index=1, retention={"body": 60})
    b = record_session(plan, index=1, retention={"body": 60})
    assert np.array_equal(a.session_work(2).ident, b.session_work(2).ident)
    assert len(np.unique(a.session_work(2).ident)) == a.sessions[1].impressions
