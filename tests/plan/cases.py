"""Designs and their impressions, built once per test process (they are immutable)."""

from __future__ import annotations

import datetime as dt
from functools import cache

import smpstudio
from smpstudio.dots import Impressions, dilution_rule, place_impressions
from smpstudio.plan import Plan, build_plan

START = dt.date(2026, 3, 2)
SKIN = "#d7bd96"
HAIR = "dark-brown"


@cache
def case(
    pattern: str = "norwood-5", scars: tuple[str, ...] = (), seed: int = 7
) -> tuple[smpstudio.Design, Impressions]:
    d = smpstudio.design(pattern=pattern, hairline="soft", seed=seed, scars=list(scars))
    return d, place_impressions(d, dilution=dilution_rule(SKIN, HAIR))


def plan_of(pattern: str = "norwood-5", scars: tuple[str, ...] = (), **kwargs: object) -> Plan:
    d, dots = case(pattern, scars)
    options: dict[str, object] = {"start": START, "skin": SKIN, "hair": HAIR, **kwargs}
    return build_plan(d, dots, **options)  # type: ignore[arg-type]
