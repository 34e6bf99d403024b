"""Treatment plans: dated sessions, time, cost, aftercare, touch-up and adaptive re-planning.

:func:`build_plan` turns a design and its impressions into appointments: each design session
(1 base, 2 shading and definition, 3 adjustments; a 4th on request) with its impressions by
zone, needle and dilution, an estimated duration from practitioner rates, split when it would
exceed the longest session, dated by the session spacing. :func:`record_session` records how
a session held (retention per zone) and re-plans the rest. The plan also carries a cost
range from the clinic's price table beside a hair-transplant comparison, the aftercare
timeline and the touch-up date from the colour module's fading model;
:func:`client_guidance` is what every client is told (comfort, healing, hygiene, risks, the
touch-up, when to call). The model, its parameters and their sources are in ``docs/plan.md``.
"""

from smpstudio.plan._aftercare import (
    AFTERCARE_KINDS,
    LASTS_YEARS,
    REFRESH_YEARS,
    GuidanceSection,
    aftercare_events,
    client_guidance,
    long_date,
    touch_up_story,
)
from smpstudio.plan._build import (
    PLAN_SCHEMA,
    Plan,
    build_plan,
    check_date,
    plan_settings,
    record_session,
)
from smpstudio.plan._cost import smp_cost, transplant_cost
from smpstudio.plan._dots import DotWork
from smpstudio.plan._model import (
    AftercareEvent,
    CostEstimate,
    DesignFacts,
    Session,
    SessionStatus,
    TouchUp,
    TransplantEstimate,
    WorkItem,
)
from smpstudio.plan._tables import (
    GraftTable,
    PriceBand,
    PriceTable,
    load_graft_table,
    load_price_table,
)

__all__ = [
    "AFTERCARE_KINDS",
    "LASTS_YEARS",
    "PLAN_SCHEMA",
    "REFRESH_YEARS",
    "AftercareEvent",
    "CostEstimate",
    "DesignFacts",
    "DotWork",
    "GraftTable",
    "GuidanceSection",
    "Plan",
    "PriceBand",
    "PriceTable",
    "Session",
    "SessionStatus",
    "TouchUp",
    "TransplantEstimate",
    "WorkItem",
    "aftercare_events",
    "build_plan",
    "check_date",
    "client_guidance",
    "load_graft_table",
    "load_price_table",
    "long_date",
    "plan_settings",
    "record_session",
    "smp_cost",
    "touch_up_story",
    "transplant_cost",
]
