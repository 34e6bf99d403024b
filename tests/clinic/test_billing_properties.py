"""Property (Hypothesis, derandomized profile; both back ends): whatever sequence of
payments, refunds and re-plans the desk records, paid − refunded never exceeds what is due
on a line of the plan nor goes below 0, every refusal is exactly what the rules predict,
and the account's totals are the sums of the ledger."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from smpstudio import ClinicError
from smpstudio.clinic import Payment

from .conftest import World
from .test_billing import plan, priced

_op = st.one_of(
    st.tuples(
        st.sampled_from(["payment", "refund"]),
        st.integers(min_value=1, max_value=4),
        st.sampled_from([1, 999, 25_000, 58_334, 60_000, 83_333, 83_334, 90_000]),
        st.sampled_from(["card", "cash", "transfer"]),
    ),
    st.tuples(st.just("replan"), st.sampled_from(["plan-3", "plan-4", "plan-top-up"])),
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=30)
@given(ops=st.lists(_op, min_size=1, max_size=12))
def test_paid_less_refunded_stays_within_what_is_due(world: World, ops: list[Any]) -> None:
    r = world.records
    if not r.billing_settings().ready:
        priced(world)
    pid = r.add_patient("Prop", "Erty", date_of_birth=world.patient.date_of_birth).id
    r.save_plan(pid, plan("plan-3"))
    for op in ops:
        if op[0] == "replan":
            r.save_plan(pid, plan(op[1]))
            continue
        kind, number, amount, method = op
        line = r.account(pid).line(f"session-{number}")
        if line is None:
            allowed = False
        elif kind == "payment":
            allowed = amount <= line.balance
        else:
            allowed = amount <= line.net
        try:
            r.record_payment(pid, amount=amount, method=method, session_number=number, kind=kind)
        except ClinicError:
            assert not allowed, (op, line)
        else:
            assert allowed, (op, line)
        account = r.account(pid)
        for x in account.lines:
            assert x.net >= 0
            if x.status != "removed":
                assert x.net <= x.price, x
        with world.db.transaction(readonly=True) as s:
            ledger = list(
                s.scalars(
                    select(Payment).where(
                        Payment.clinic_id == r.clinic_id, Payment.patient_id == pid
                    )
                )
            )
        assert account.paid == sum(p.amount for p in ledger if p.kind == "payment")
        assert account.refunded == sum(p.amount for p in ledger if p.kind == "refund")
        assert account.balance == account.due - account.paid + account.refunded
        assert [p.id for p in account.payments] == sorted(p.id for p in ledger)
