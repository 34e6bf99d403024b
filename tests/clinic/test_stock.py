"""Pigment and needle stock on both back ends: receiving, a session taking what it used,
warnings before expiry and at low stock, a negative count refused whole and audited."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from smpstudio import ClinicError
from smpstudio._clock import Clock
from smpstudio.clinic import (
    PigmentUse,
    RecordNotFoundError,
    StockLot,
    StockMovement,
    open_database,
)

from .conftest import World

_n = itertools.count()


def _session(w: World, pigments: list[PigmentUse], lots: list[str]) -> Any:
    return w.records.record_session(
        w.patient.id,
        practitioner_id=w.practitioner.id,
        performed_on=w.records.today(),
        duration_minutes=120,
        pigments=pigments,
        needle_lots=lots,
        needles_opened_in_front_of_client=True,
        anaesthetic_offered=False,
        anaesthetic_used=False,
        session_number=2,
    )


class Stocked:
    def __init__(self, ink: Any, needle: Any, ink_lot: StockLot, needle_lot: StockLot) -> None:
        self.ink, self.needle, self.ink_lot, self.needle_lot = ink, needle, ink_lot, needle_lot


def _stocked(w: World) -> Stocked:
    r = w.records
    ink = r.add_stock_item("pigment", "  Carbon   Black ", low_stock_at=5)
    needle = r.add_stock_item("needle", "3RL 0.25 mm", low_stock_at=10)
    ink_lot = r.receive_stock(ink.id, lot="B-77", expires_on=date(2032, 1, 1), quantity=15)
    needle_lot = r.receive_stock(needle.id, lot="NL-9", expires_on=date(2032, 6, 1), quantity=20)
    return Stocked(ink, needle, ink_lot, needle_lot)


def _lot(w: World, lot_id: int) -> StockLot:
    [item] = [i for i in w.records.stock_items() for lot in i.lots if lot.id == lot_id]
    return next(lot for lot in item.lots if lot.id == lot_id)


def test_received_stock_is_listed_by_item_and_lot(world: World) -> None:
    st = _stocked(world)
    ink, needle, ink_lot = st.ink, st.needle, st.ink_lot
    assert (ink.name, ink.unit, needle.unit) == ("Carbon Black", "mL", "cartridges")
    again = world.records.receive_stock(ink.id, lot="B-77", expires_on=date(2032, 1, 1), quantity=5)
    assert (again.id, again.quantity) == (ink_lot.id, 20.0)
    items = {i.name: i for i in world.records.stock_items()}
    assert [(lot.lot, lot.quantity) for lot in items["Carbon Black"].lots] == [("B-77", 20.0)]
    assert [m.reason for m in world.records.stock_movements(ink_lot.id)] == [
        "received",
        "received",
    ]
    entry = world.records.audit_trail(limit=1)[0]
    assert (entry.action, entry.object_type, entry.detail) == (
        "create",
        "stock-lot",
        "Carbon Black lot B-77 +5 mL",
    )


def test_a_session_takes_what_it_used_from_stock(world: World) -> None:
    st = _stocked(world)
    ink_lot, needle_lot = st.ink_lot, st.needle_lot
    pigment = PigmentUse("carbon black", "B-77", date(2032, 1, 1), water_ml=4.0, used_ml=2.5)
    record = _session(world, [pigment], ["NL-9", "NL-9", "UNTRACKED-1"])
    assert _lot(world, ink_lot.id).quantity == 12.5
    assert _lot(world, needle_lot.id).quantity == 18.0
    [_, used] = world.records.stock_movements(ink_lot.id)
    assert (used.reason, used.change, used.session_id, used.quantity_after) == (
        "session",
        -2.5,
        record.id,
        12.5,
    )
    details = [e.detail for e in world.records.audit_trail(limit=5)]
    assert any(
        "taken from stock: Carbon Black B-77 −2.5 mL; 3RL 0.25 mm NL-9" in d for d in details
    )


def test_a_session_that_would_take_stock_below_zero_is_refused_whole(world: World) -> None:
    st = _stocked(world)
    needle_lot = st.needle_lot
    sessions_before = len(world.records.session_records(world.patient.id))
    pigment = PigmentUse("Carbon Black", "B-77", date(2032, 1, 1), water_ml=4.0, used_ml=16)
    with pytest.raises(ClinicError) as info:
        _session(world, [pigment], ["NL-9"])
    assert str(info.value) == (
        "pigment Carbon Black lot B-77 has 15 mL in stock; taking 16 mL would leave -1 mL: a "
        "count cannot go below 0 — receive the stock or correct the count first"
    )
    entry = world.records.audit_trail(limit=1)[0]
    assert (entry.outcome, entry.object_type) == ("refused", "session")
    assert len(world.records.session_records(world.patient.id)) == sessions_before
    assert _lot(world, needle_lot.id).quantity == 20.0  # nothing half-written


@pytest.mark.parametrize(
    ("counted", "reason", "message"),
    [
        (-1, "count", "a stock count cannot be negative (got -1 mL for Carbon Black lot B-77)"),
        (16, "discarded", "discarding leaves what remains, at most the 15 mL in stock"),
        (1.5, "lost", "reason must be one of count, discarded"),
        ("ten", "count", "count (mL) must be a number"),
    ],
)
def test_bad_counts_are_refused_with_one_message_and_audited(
    world: World, counted: Any, reason: str, message: str
) -> None:
    st = _stocked(world)
    ink_lot = st.ink_lot
    with pytest.raises(ClinicError, match=message.replace("(", r"\(").replace(")", r"\)")):
        world.records.adjust_stock(ink_lot.id, counted=counted, reason=reason)
    assert _lot(world, ink_lot.id).quantity == 15.0
    assert len(world.records.stock_movements(ink_lot.id)) == 1
    entry = world.records.audit_trail(limit=1)[0]
    assert (entry.outcome, entry.object_type) == ("refused", "stock-lot")


def test_a_count_and_a_discard_are_ledger_rows(world: World) -> None:
    st = _stocked(world)
    ink_lot, needle_lot = st.ink_lot, st.needle_lot
    world.records.adjust_stock(ink_lot.id, counted=14, reason="count", note="stock-take")
    world.records.adjust_stock(ink_lot.id, counted=0, reason="discarded", note="dropped")
    assert [
        (m.reason, m.change, m.quantity_after) for m in world.records.stock_movements(ink_lot.id)
    ] == [
        ("received", 15.0, 15.0),
        ("count", -1.0, 14.0),
        ("discarded", -14.0, 0.0),
    ]
    with pytest.raises(ClinicError, match=r"counts whole cartridges, got 2\.5"):
        world.records.adjust_stock(needle_lot.id, counted=2.5, reason="count")


def test_the_database_refuses_a_negative_quantity_and_changes_to_the_ledger(world: World) -> None:
    st = _stocked(world)
    ink_lot = st.ink_lot
    with pytest.raises(DBAPIError), world.db.transaction() as s:
        s.execute(text("UPDATE stock_lots SET quantity = -1 WHERE id = :i"), {"i": ink_lot.id})
    with pytest.raises(DBAPIError), world.db.transaction() as s:
        s.execute(text("DELETE FROM stock_movements WHERE lot_id = :i"), {"i": ink_lot.id})
    with world.db.transaction(readonly=True) as s:
        count = s.scalar(
            select(func.count())
            .select_from(StockMovement)
            .where(StockMovement.lot_id == ink_lot.id)
        )
    assert count == 1


def test_warnings_before_expiry_at_low_stock_and_for_expired_lots(world: World) -> None:
    r = world.records
    today = r.today()
    ink = r.add_stock_item("pigment", "Dark Grey", low_stock_at=8)
    soon = r.receive_stock(ink.id, lot="DG-1", expires_on=today + timedelta(days=20), quantity=4)
    later = r.receive_stock(ink.id, lot="DG-2", expires_on=today + timedelta(days=31), quantity=3)
    old = r.receive_stock(
        ink.id, lot="DG-0", expires_on=today, quantity=2, received_on=today - timedelta(days=90)
    )
    warnings = {(w.kind, w.lot_id): w.message for w in r.stock_warnings() if w.item_id == ink.id}
    assert set(warnings) == {("expiring", soon.id), ("expiring", old.id)}
    assert warnings["expiring", soon.id] == (
        f"Dark Grey lot DG-1 expires on {today + timedelta(days=20)}, in 20 days (4 mL left)"
    )
    assert later.id not in {lot for _, lot in warnings}  # 31 days: beyond the 30-day warning
    # The next day lot DG-0 has expired: it no longer counts, and the item runs low.
    tomorrow = Clock.starting_at(r.now() + timedelta(days=1))
    with open_database(world.db.config, clock=tomorrow) as later_db:
        next_day = later_db.clinic(r.clinic_id, actor="alex").stock_warnings()
    found = {(w.kind, w.lot_id): w.message for w in next_day if w.item_id == ink.id}
    assert found["expired", old.id] == (
        f"Dark Grey lot DG-0 expired on {today} (2 mL left): do not use it; discard it"
    )
    assert found["low", None] == (
        "Dark Grey: 7 mL usable, at or below the threshold of 8 mL: reorder"
    )
    with pytest.raises(ClinicError, match=r"expired on .*: expired stock may not be received"):
        r.receive_stock(ink.id, lot="DG-X", expires_on=today - timedelta(days=1), quantity=1)


def test_stock_of_another_clinic_does_not_exist(world: World) -> None:
    st = _stocked(world)
    ink, ink_lot = st.ink, st.ink_lot
    other = world.db.create_clinic(
        f"Other {next(_n)} {world.records.clinic_id}", timezone="UTC", actor="o"
    )
    stranger = world.db.clinic(other.id, actor="eve")
    assert stranger.stock_items() == []
    with pytest.raises(RecordNotFoundError):
        stranger.adjust_stock(ink_lot.id, counted=0, reason="count")
    with pytest.raises(RecordNotFoundError):
        stranger.receive_stock(ink.id, lot="X", expires_on=date(2032, 1, 1), quantity=1)
