"""Pigment and needle stock by lot, with expiry: received, used by sessions, counted.

An item is a pigment (its brand and product, as session records name it; counted in mL) or
a needle cartridge (counted in cartridges). Each lot has its expiry and quantity; every
change is a row of the append-only ledger ``stock_movements`` and an audit entry. A session
takes from stock what it used (``_inventory``, in the session's own transaction). No count
goes below 0: the service refuses with one message, nothing written and the refusal audited,
and a CHECK in the database stands behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from smpstudio._errors import ClinicError
from smpstudio.clinic import _inventory
from smpstudio.clinic._audit import AuditEvent
from smpstudio.clinic._models import StockItem, StockLot, StockMovement
from smpstudio.clinic._scope import Scope
from smpstudio.clinic._validate import check_choice, check_date, check_number, check_text

__all__ = ["STOCK_KINDS", "STOCK_UNITS", "StockService", "StockWarning"]

STOCK_KINDS: tuple[str, ...] = ("pigment", "needle")
STOCK_UNITS: dict[str, str] = {"pigment": "mL", "needle": "cartridges"}
"""What each kind is counted in."""

_MAX_QUANTITY = 100_000.0


@dataclass(frozen=True)
class StockWarning:
    """Something to act on: a lot ``expired`` or ``expiring`` (within
    ``stock_expiry_warning_days``), or an item ``low`` (usable stock at or below its
    threshold)."""

    kind: str
    item_id: int
    lot_id: int | None
    message: str


class StockService(Scope):
    """The clinic's pigment and needle stock."""

    def add_stock_item(self, kind: str, name: str, *, low_stock_at: float) -> StockItem:
        """Keep an item in stock: a pigment (brand and product, as on the label and in
        session records) or a needle cartridge, with its low-stock threshold."""
        with self._unit("create", "stock-item") as s:
            kind = check_choice(kind, "stock kind", STOCK_KINDS)
            name = " ".join(check_text(name, f"{kind} name", max_len=100).split())
            threshold = self._amount(low_stock_at, kind, "low-stock threshold", low=0)
            existing = s.scalar(
                select(StockItem.id).where(
                    StockItem.clinic_id == self.clinic_id,
                    StockItem.kind == kind,
                    StockItem.name == name,
                )
            )
            if existing is not None:
                raise ClinicError(f"{kind} {name} is already in the stock list")
            row = StockItem(
                clinic_id=self.clinic_id,
                kind=kind,
                name=name,
                unit=STOCK_UNITS[kind],
                low_stock_at=threshold,
                created_at=self._now(),
                created_by=self.actor,
            )
            s.add(row)
            s.flush()
            self._log(s, AuditEvent("create", "stock-item", row.id, detail=f"{kind} {name}"))
            return self._load_item(s, row.id)

    def stock_items(self) -> list[StockItem]:
        """Every item with its lots (earliest expiry first)."""
        with self._unit("read", "stock-item") as s:
            query = select(StockItem).where(StockItem.clinic_id == self.clinic_id)
            return list(s.scalars(query.order_by(StockItem.kind.desc(), StockItem.name)))

    def receive_stock(
        self,
        item_id: int,
        *,
        lot: str,
        expires_on: date,
        quantity: float,
        received_on: date | None = None,
    ) -> StockLot:
        """Add a delivery to stock: a new lot, or more of a lot already kept (same expiry).
        Expired stock, a quantity of 0 or less, or a date in the future are refused."""
        with self._unit("create", "stock-lot") as s:
            item = self._get(s, StockItem, item_id, "stock item")
            name = check_text(lot, f"{item.kind} lot", max_len=64)
            expires = check_date(expires_on, "expiry date")
            day = self.today() if received_on is None else check_date(received_on, "received on")
            if day > self.today():
                raise ClinicError(f"stock received on {day} is in the future")
            if expires < day:
                raise ClinicError(
                    f"{item.name} lot {name} expired on {expires}: expired stock may not be "
                    "received"
                )
            amount = self._amount(quantity, item.kind, "quantity received", low=0.01)
            row = self._lot_named(s, item, name)
            if row is None:
                row = StockLot(
                    clinic_id=self.clinic_id,
                    item_id=item.id,
                    lot=name,
                    expires_on=expires,
                    quantity=0.0,
                    received_on=day,
                    created_at=self._now(),
                    created_by=self.actor,
                )
                s.add(row)
                s.flush()
            elif row.expires_on != expires:
                raise ClinicError(
                    f"{item.name} lot {name} is in stock with expiry {row.expires_on}, not "
                    f"{expires}: check the label"
                )
            _inventory.move(s, self, row, amount, "received", item=item)
            s.flush()
            detail = f"{item.name} lot {name} +{_inventory.quantity_text(amount, item.unit)}"
            self._log(s, AuditEvent("create", "stock-lot", row.id, detail=detail))
            return row

    def adjust_stock(self, lot_id: int, *, counted: float, reason: str, note: str = "") -> StockLot:
        """Set a lot's quantity to what was ``counted`` (``count``), or record what was thrown
        away leaving ``counted`` (``discarded``); a negative count is refused."""
        with self._unit("update", "stock-lot") as s:
            lot = self._locked_lot(s, lot_id)
            item = self._get(s, StockItem, lot.item_id, "stock item")
            reason = check_choice(reason, "reason", ("count", "discarded"))
            text = check_text(note, "note", max_len=200, required=False)
            if isinstance(counted, int | float) and not isinstance(counted, bool) and counted < 0:
                raise ClinicError(
                    f"a stock count cannot be negative (got {counted:g} {item.unit} for "
                    f"{item.name} lot {lot.lot}): count again, 0 or more"
                )
            amount = self._amount(counted, item.kind, "count", low=0)
            if reason == "discarded" and amount > lot.quantity:
                raise ClinicError(
                    f"discarding leaves what remains, at most the "
                    f"{_inventory.quantity_text(lot.quantity, item.unit)} in stock"
                )
            change = amount - lot.quantity
            _inventory.move(s, self, lot, change, reason, item=item, note=text)
            s.flush()
            detail = (
                f"{item.name} lot {lot.lot} {reason}: now "
                f"{_inventory.quantity_text(lot.quantity, item.unit)}"
            )
            self._log(s, AuditEvent("update", "stock-lot", lot.id, detail=detail))
            return lot

    def stock_movements(self, lot_id: int) -> list[StockMovement]:
        """A lot's ledger, oldest first."""
        with self._unit("read", "stock-lot") as s:
            self._get(s, StockLot, lot_id, "stock lot")
            query = select(StockMovement).where(
                StockMovement.clinic_id == self.clinic_id, StockMovement.lot_id == lot_id
            )
            return list(s.scalars(query.order_by(StockMovement.id)))

    def stock_warnings(self) -> list[StockWarning]:
        """Expired lots still in stock, lots expiring within ``stock_expiry_warning_days``,
        and items whose usable stock is at or below their threshold."""
        today = self.today()
        horizon = today + timedelta(days=round(self.settings.stock_expiry_warning_days))
        found: list[StockWarning] = []
        for item in self.stock_items():
            usable = 0.0
            for lot in item.lots:
                if lot.quantity <= 0:
                    continue
                left = _inventory.quantity_text(lot.quantity, item.unit)
                if lot.expires_on < today:
                    found.append(StockWarning("expired", item.id, lot.id, (
                        f"{item.name} lot {lot.lot} expired on {lot.expires_on} "
                        f"({left} left): do not use it; discard it"
                    )))  # fmt: skip
                    continue
                usable += lot.quantity
                if lot.expires_on <= horizon:
                    days = (lot.expires_on - today).days
                    found.append(StockWarning("expiring", item.id, lot.id, (
                        f"{item.name} lot {lot.lot} expires on {lot.expires_on}, in {days} "
                        f"days ({left} left)"
                    )))  # fmt: skip
            if usable <= item.low_stock_at:
                found.append(
                    StockWarning(
                        "low",
                        item.id,
                        None,
                        f"{item.name}: {_inventory.quantity_text(round(usable, 2), item.unit)} "
                        f"usable, at or below the threshold of "
                        f"{_inventory.quantity_text(item.low_stock_at, item.unit)}: reorder",
                    )
                )
        return found

    @staticmethod
    def _amount(value: object, kind: str, what: str, *, low: float) -> float:
        unit = STOCK_UNITS[kind]
        amount = check_number(value, f"{what} ({unit})", low=low, high=_MAX_QUANTITY)
        if kind == "needle" and amount != int(amount):
            raise ClinicError(f"{what} counts whole cartridges, got {amount:g}")
        return round(amount, 2)

    def _lot_named(self, s: Session, item: StockItem, name: str) -> StockLot | None:
        query = select(StockLot).where(
            StockLot.clinic_id == self.clinic_id, StockLot.item_id == item.id, StockLot.lot == name
        )
        return s.scalar(query.with_for_update())

    def _locked_lot(self, s: Session, lot_id: int) -> StockLot:
        query = select(StockLot).where(StockLot.clinic_id == self.clinic_id, StockLot.id == lot_id)
        row = s.scalar(query.with_for_update())
        return row if row is not None else self._get(s, StockLot, lot_id, "stock lot")

    @staticmethod
    def _load_item(s: Session, item_id: int) -> StockItem:
        query = select(StockItem).where(StockItem.id == item_id)
        return s.scalars(query.execution_options(populate_existing=True)).one()
