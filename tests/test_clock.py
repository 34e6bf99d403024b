"""The studio's clock (smpstudio._clock): the one reader of the wall clock for dates."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from smpstudio._clock import ENV_CLOCK, Clock
from smpstudio._errors import SettingError
from tests.conftest import TEST_NOW, TEST_TODAY


def test_a_started_clock_reads_its_instant_then_runs() -> None:
    start = datetime(2031, 1, 15, 12, tzinfo=UTC)
    clock = Clock.starting_at(start, since=time.time() - 90)
    elapsed = clock.now() - start
    assert timedelta(seconds=89) < elapsed < timedelta(seconds=120)
    assert clock.today(ZoneInfo("Pacific/Auckland")).isoformat() == "2031-01-16"
    assert clock.today(ZoneInfo("America/Los_Angeles")).isoformat() == "2031-01-15"


def test_processes_given_the_same_anchor_read_the_same_time() -> None:
    value = {ENV_CLOCK: "2031-01-15T12:00:00+00:00@1800000000"}
    a, b = Clock.from_env(value), Clock.from_env(value)
    assert abs(a.offset - b.offset) < timedelta(microseconds=1)
    assert a.offset == datetime(2031, 1, 15, 12, tzinfo=UTC) - datetime.fromtimestamp(
        1800000000, UTC
    )


def test_without_the_variable_it_is_the_system_clock() -> None:
    clock = Clock.from_env({})
    assert clock.offset == timedelta(0)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


@pytest.mark.parametrize("text", ["tomorrow", "2031-01-15T12:00:00", "2031-01-15T12:00Z@soon"])
def test_a_bad_value_is_one_clear_error(text: str) -> None:
    with pytest.raises(SettingError, match=ENV_CLOCK):
        Clock.from_env({ENV_CLOCK: text})


def test_the_suite_runs_on_its_own_calendar() -> None:
    """tests/conftest.py pins the clock: no test depends on the day it runs."""
    now = Clock.from_env().now()
    assert TEST_NOW <= now < TEST_NOW + timedelta(hours=6)
    assert Clock.from_env().today(UTC) == TEST_TODAY
