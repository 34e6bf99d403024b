"""Stock changes over the caller's transaction: what a recorded session takes from stock.

The session service calls :func:`deduct_for_session` in the same transaction as the session
record (no service imports another: ``_records``), so a session whose use would take a lot
below 0 is refused whole, and one that is recorded has its stock taken with it. The stock
service (``_stock``) uses :func:`move` for receiving, counting and discarding.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smpstudio._errors import ClinicError
from smpstudio.clinic._models import StockItem, StockLot, StockMovement
from smpstudio.clinic._scope import Scope

__all__ = ["StockUse", "deduct_for_session", "move", "quantity_text"]


@dataclass(frozen=True)
class StockUse:
    """What a session took: ``kind`` (pigment, needle), the item's name (pigment brand;
    empty for needles), the lot and the amount (mL, cartridges)."""

    kind: str
    name: str
    lot: str
    amount: float


def quantity_text(amount: float, unit: str) -> str:
    """An amount as people read it.

    >>> quantity_text(2.5, "mL"), quantity_text(1, "cartridges")
    ('2.5 mL', '1 cartridge')
    """
    if unit == "cartridges" and amount == 1:
        unit = "cartridge"
    return f"{amount:g} {unit}"


def move(
    s: Session,
    scope: Scope,
    lot: StockLot,
    change: float,
    reason: str,
    *,
    item: StockItem,
    session_id: int | None = None,
    note: str = "",
) -> StockMovement:
    """Change a lot's quantity by ``change``; refused (one message, nothing written) when it
    would go below 0."""
    after = round(lot.quantity + change, 2)
    if after < 0:
        raise ClinicError(
            f"{item.kind} {item.name} lot {lot.lot} has {quantity_text(lot.quantity, item.unit)}"
            f" in stock; taking {quantity_text(-change, item.unit)} would leave "
            f"{quantity_text(after, item.unit)}: a count cannot go below 0 — receive the "
            "stock or correct the count first"
        )
    lot.quantity = after + 0.0  # never -0.0
    row = StockMovement(
        clinic_id=scope.clinic_id,
        lot_id=lot.id,
        session_id=session_id,
        change=round(change, 2),
        quantity_after=lot.quantity,
        reason=reason,
        note=note,
        created_at=scope.now(),
        created_by=scope.actor,
    )
    s.add(row)
    return row


def deduct_for_session(
    s: Session, scope: Scope, session_id: int, uses: Sequence[StockUse]
) -> list[str]:
    """Take what a session used from the lots in stock; returns what was taken, for the
    audit. A lot the clinic does not keep in stock is left alone (nothing to take)."""
    taken = []
    totals: defaultdict[tuple[str, str, str], float] = defaultdict(float)
    for use in uses:
        totals[use.kind, use.name, use.lot] += use.amount
    for (kind, name, lot_name), amount in totals.items():
        if amount <= 0:
            continue
        found = _lot(s, scope, kind, name, lot_name)
        if found is None:
            continue
        lot, item = found
        move(s, scope, lot, -amount, "session", item=item, session_id=session_id)
        taken.append(f"{item.name} {lot.lot} −{quantity_text(amount, item.unit)}")
    s.flush()
    return taken


def _lot(
    s: Session, scope: Scope, kind: str, name: str, lot: str
) -> tuple[StockLot, StockItem] | None:
    query = (
        select(StockLot, StockItem)
        .join(
            StockItem,
            (StockItem.clinic_id == StockLot.clinic_id) & (StockItem.id == StockLot.item_id),
        )
        .where(StockLot.clinic_id == scope.clinic_id, StockLot.lot == lot, StockItem.kind == kind)
        .order_by(StockLot.id)
        .with_for_update()
    )
    if name:
        query = query.where(func.lower(StockItem.name) == " ".join(name.lower().split()))
    rows = [(row[0], row[1]) for row in s.execute(query)]
    if len(rows) > 1:
        names = ", ".join(item.name for _, item in rows)
        raise ClinicError(
            f"{kind} lot {lot} is in stock under several items ({names}): correct the stock "
            "so that the lot belongs to one"
        )
    return rows[0] if rows else None
