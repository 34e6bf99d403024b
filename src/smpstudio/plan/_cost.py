"""Cost of the SMP treatment, and of a hair transplant for comparison."""

from __future__ import annotations

from smpstudio._settings import Settings
from smpstudio.plan._model import CostEstimate, TransplantEstimate
from smpstudio.plan._tables import GraftTable, PriceTable

__all__ = ["smp_cost", "transplant_cost"]


def smp_cost(
    *,
    treated_area_cm2: float,
    impressions: int,
    sessions: int,
    extra_sessions: int,
    prices: PriceTable,
) -> CostEstimate:
    """Price range of a treatment from its treated area and density.

    The area is counted at the price table's reference density (area × mean density /
    reference = impressions / reference), so a denser design costs like a larger area; its
    band gives the range of the whole treatment, and every session beyond the design's adds
    the table's extra-session range.

    Examples
    --------
    >>> cost = smp_cost(treated_area_cm2=141.4, impressions=8910, sessions=3,
    ...                 extra_sessions=0, prices=PriceTable.default())
    >>> cost.low, cost.high, cost.currency, cost.band
    (2000.0, 3500.0, 'USD', 'partial: front or crown')
    """
    equivalent = impressions / prices.reference_density_per_cm2
    band = prices.band_for(equivalent)
    extra_low, extra_high = prices.extra_session
    cur = prices.currency
    mean = impressions / treated_area_cm2 if treated_area_cm2 > 0 else 0.0
    basis = (
        f"{treated_area_cm2:.0f} cm² treated with {impressions:,} impressions "
        f"({mean:.0f}/cm² on average) counts as {equivalent:.0f} cm² at the price table's "
        f"{prices.reference_density_per_cm2:g}/cm²: band '{band.label}', "
        f"{cur} {_span(band.low, band.high)} for the {sessions} planned sessions"
    )
    if extra_sessions:
        basis += (
            f", plus {extra_sessions} extra session{'s' if extra_sessions > 1 else ''} at "
            f"{cur} {_span(extra_low, extra_high)} each"
        )
    return CostEstimate(
        low=band.low + extra_sessions * extra_low,
        high=band.high + extra_sessions * extra_high,
        currency=cur,
        basis=basis + ".",
        band=band.label,
        area_equivalent_cm2=equivalent,
        extra_sessions=extra_sessions,
    )


def _span(low: float, high: float) -> str:
    """A price range, or one price when a clinic's table gives one (low = high)."""
    return f"{low:,.0f}" if low == high else f"{low:,.0f}–{high:,.0f}"


def transplant_cost(
    pattern: str, *, settings: Settings, grafts: GraftTable, currency: str
) -> TransplantEstimate | None:
    """A first hair-transplant session for the same Norwood class, for comparison.

    None when the graft table has no figure for the pattern (Norwood 1–2, female and
    diffuse patterns).

    Examples
    --------
    >>> from smpstudio import Settings
    >>> t = transplant_cost("norwood-5", settings=Settings(), grafts=GraftTable.default(),
    ...                     currency="USD")
    >>> t.grafts_low, t.grafts_high, t.low, t.high
    (2500, 2800, 10000.0, 28000.0)
    """
    if pattern in grafts.with_crown:
        low, high = grafts.with_crown[pattern]
        which = "with the crown"
    elif pattern in grafts.front:
        low, high = grafts.front[pattern]
        which = "front"
    else:
        return None
    per_low, per_high = settings.plan_cost_per_graft_low, settings.plan_cost_per_graft_high
    name = pattern.replace("norwood-", "Norwood ")
    basis = (
        f"{low:,}–{high:,} grafts for a first transplant session, {name} {which} (Bernstein "
        f"Medical), × {currency} {per_low:g}–{per_high:g} a graft; advanced loss often needs "
        "more than one surgery and enough donor hair"
    )
    return TransplantEstimate(
        norwood=name,
        grafts_low=low,
        grafts_high=high,
        low=low * per_low,
        high=high * per_high,
        currency=currency,
        basis=basis + ".",
    )
