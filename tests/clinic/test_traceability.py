"""Lot traceability at scale: with 100,000 session records, "every client who received
pigment batch X" and "every session that used needle lot Y" each answer in ≤ 1 s."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from smpstudio.clinic import ClinicConfig, open_database
from smpstudio.clinic._synthetic import batch_name, lot_name, seed_sessions

SESSIONS = 100_000
LIMIT_S = 1.0


@pytest.mark.slow
def test_lot_recall_with_100k_sessions(
    backend: str, make_config: Callable[[str], ClinicConfig]
) -> None:
    with open_database(make_config(backend)) as db:
        db.upgrade()
        clinic = db.create_clinic("Traceability", timezone="UTC", actor="test")
        summary = seed_sessions(db, clinic.id, SESSIONS, seed=1)
        assert summary.sessions == SESSIONS
        records = db.clinic(clinic.id, actor="recall")
        timings: dict[str, float] = {}
        for i in range(5):
            start = time.perf_counter()
            hits = records.clients_with_pigment_batch(batch_name(i * 397))
            timings[f"batch {i}"] = time.perf_counter() - start
            assert hits
            assert all(h.performed_on and h.family_name for h in hits)
            start = time.perf_counter()
            sessions = records.sessions_with_needle_lot(lot_name(i * 991))
            timings[f"lot {i}"] = time.perf_counter() - start
            assert sessions
        assert records.clients_with_pigment_batch("NO-SUCH-BATCH") == []
        slowest = max(timings.values())
        print(f"\n{backend}: {SESSIONS:,} sessions, slowest recall query {slowest * 1e3:.0f} ms")
        assert slowest <= LIMIT_S, timings
        assert db.verify_audit().ok
