"""``plan.json``: the plan as data, for the practitioner's tools and the clinic record."""

from __future__ import annotations

import json

from smpstudio.plan import Plan

__all__ = ["plan_json"]


def plan_json(plan: Plan) -> str:
    """The plan as JSON text (UTF-8, sorted as built, newline-terminated); deterministic.

    Holds ``sessions`` (each ``index``, ``date``, ``impressions``, ``duration_h``,
    ``dilution``, ``zones`` and more), ``treated_area_cm2``, ``cost_estimate`` {``low``,
    ``high``, ``currency``, ``basis``}, ``transplant_estimate``, ``aftercare`` (events with
    ``date`` and ``text``), ``touch_up`` {``date``, ``years``}, the rates and settings used.

    Examples
    --------
    >>> import datetime as dt, smpstudio
    >>> from smpstudio.dots import dilution_rule, place_impressions
    >>> from smpstudio.plan import build_plan
    >>> d = smpstudio.design(pattern="norwood-3", hairline="soft", seed=1)
    >>> dots = place_impressions(d, dilution=dilution_rule("#d7bd96", "black"))
    >>> data = json.loads(plan_json(build_plan(d, dots, start=dt.date(2026, 3, 2),
    ...                                         skin="#d7bd96")))
    >>> [s["date"] for s in data["sessions"]], data["cost_estimate"]["currency"]
    (['2026-03-02', '2026-03-16', '2026-03-30'], 'USD')
    """
    return json.dumps(plan.to_dict(), indent=2, ensure_ascii=False) + "\n"
