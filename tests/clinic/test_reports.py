"""Reports on both back ends: exact counts on a small clinic, the same answers as a plain
Python count on a few thousand synthetic rows (and fast), bad periods refused and audited,
another clinic's rows never counted."""

from __future__ import annotations

import json
import random
import time as timer
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from smpstudio._clock import Clock
from smpstudio._errors import ClinicError
from smpstudio.clinic import (
    REPORTS,
    AuditEntry,
    Booking,
    ClinicRecords,
    Consultation,
    Database,
    DesignVersion,
    FollowUp,
    Message,
    PigmentUse,
    Room,
    SessionRecord,
    open_database,
)
from smpstudio.clinic._synthetic import seed_sessions
from smpstudio.colour import skin_tone
from tests.clinic.conftest import World, make_world

LONDON = ZoneInfo("Europe/London")
SKINS = ("#f2d6c2", "#d7bd96", "#a07e56", "#825c43", "#3a2a22")


def _session(
    w: World, patient_id: int, day: date, records: ClinicRecords | None = None, **kw: object
) -> SessionRecord:
    return (records or w.records).record_session(
        patient_id,
        practitioner_id=w.practitioner.id,
        performed_on=day,
        duration_minutes=150,
        pigments=[PigmentUse("Carbon Black", "B-1", date(2032, 1, 1), water_ml=4)],
        needle_lots=["N-1"],
        needles_opened_in_front_of_client=True,
        anaesthetic_offered=False,
        anaesthetic_used=False,
        **kw,  # type: ignore[arg-type]
    )


def _book(w: World, patient_id: int, day: date) -> Booking:
    return w.records.book(
        patient_id,
        practitioner_id=w.practitioner.id,
        room_id=w.room.id,
        starts_at=datetime.combine(day, time(10), LONDON),
        duration=timedelta(hours=3),
    )


def test_the_four_reports_count_a_small_clinic_exactly(world: World) -> None:
    r, sam = world.records, world.patient  # Sam: consulted 2030-05-13 (30 days ago)
    kim = world.add_client("Kim", "Roe")  # consulted too, never treated
    _session(world, sam.id, date(2030, 6, 10))
    conversion = r.report("conversion", start=date(2030, 5, 1), end=date(2030, 6, 12))
    assert conversion.rows == [("2030-05", 2, 1, 50.0), ("2030-06", 0, 0, None)]
    assert kim.id != sam.id

    # Bookings on three Mondays ahead: one held, one cancelled, one left booked.
    held = _book(world, sam.id, date(2030, 6, 17))
    cancelled = _book(world, kim.id, date(2030, 6, 24))
    missed = _book(world, sam.id, date(2030, 7, 15))
    r.cancel_booking(cancelled.id)
    r.mark_no_show(_book(world, kim.id, date(2030, 6, 13)).id)  # a day's notice: a no-show
    later = open_database(
        world.db.config, clock=Clock.starting_at(datetime(2030, 7, 20, tzinfo=UTC))
    )
    try:
        r_later = later.clinic(r.clinic_id, actor="alex")
        _session(world, sam.id, date(2030, 6, 17), r_later, booking_id=held.id)
        shows = r_later.report("no-shows", start=date(2030, 6, 1), end=date(2030, 7, 20))
        assert shows.rows == [("2030-06", 1, 1, 1, 50.0), ("2030-07", 0, 1, 0, 100.0)]
        assert missed.local_day == date(2030, 7, 15)
    finally:
        later.close()

    due = r.add_follow_up(sam.id, due_on=date(2030, 6, 5), kind="touch-up")
    r.add_follow_up(kim.id, due_on=date(2030, 6, 20), kind="touch-up")
    r.add_follow_up(kim.id, due_on=date(2030, 6, 2), kind="review")  # not a touch-up
    r.complete_follow_up(due.id, done_on=date(2030, 6, 6), retention={"crown": 80})
    touch = r.report("touch-ups", start=date(2030, 6, 1), end=date(2030, 6, 30))
    assert touch.rows == [("2030-06", 0, 2, 1, 0)]

    retention = r.report("retention", start=date(2030, 1, 1), end=date(2030, 6, 12))
    # Sam: two sessions, first in the period, no design with a skin, a touch-up done.
    assert retention.rows[-1] == ("not recorded", 1, 1, 100.0, 0, 0.0, 1, 100.0)
    assert [row[1] for row in retention.rows[:10]] == [0] * 10
    entries = r.audit_trail(action="read")
    assert any(e.object_type == "report" and e.object_id == "retention" for e in entries)


def test_bad_periods_and_unknown_reports_are_refused_and_audited(world: World) -> None:
    r = world.records
    with pytest.raises(ClinicError, match="starts on 2030-06-12, after it ends on 2030-06-01"):
        r.report("no-shows", start=date(2030, 6, 12), end=date(2030, 6, 1))
    with pytest.raises(ClinicError, match="at most five years"):
        r.report("no-shows", start=date(2020, 1, 1), end=date(2030, 6, 1))
    with pytest.raises(ClinicError, match="no report 'nope': the reports are conversion, "):
        r.report("nope")
    with pytest.raises(ClinicError, match="the end of a report must be a date like 2030-01-31"):
        r.report("no-shows", start="2030-01-01", end="31/01/2030")
    refused = [e for e in r.audit_trail() if e.object_type == "report"]
    assert [e.outcome for e in refused[:4]] == ["refused"] * 4
    assert r.report("no-shows", start=" 2030-05-01 ", end="").period.start == date(2030, 5, 1)
    default = r.report("conversion")
    assert (default.period.start, default.period.end) == (date(2029, 7, 1), date(2030, 6, 12))
    assert len(default.rows) == 12


def test_another_clinics_records_are_never_counted(world: World) -> None:
    other = make_world(world.db)
    _session(other, other.patient.id, date(2030, 6, 10))
    mine = world.records.report("conversion", start=date(2030, 5, 1), end=date(2030, 5, 31))
    theirs = other.records.report("conversion", start=date(2030, 5, 1), end=date(2030, 5, 31))
    assert mine.rows == [("2030-05", 1, 0, 0.0)]
    assert theirs.rows == [("2030-05", 1, 1, 100.0)]


# --- a few thousand synthetic rows: SQL answers = a plain Python count, and fast ---


def _seed(db: Database, clinic_id: int, rng: random.Random) -> dict[str, list[dict[str, object]]]:
    seed_sessions(db, clinic_id, 3000, seed=5)  # 1,000 clients, 3,000 sessions over 5 years
    now = db.clock.now()
    today = now.date()
    rows: dict[str, list[dict[str, object]]] = defaultdict(list)
    with db.transaction() as s:
        patients = list(
            s.scalars(select(SessionRecord.patient_id).where(SessionRecord.clinic_id == clinic_id))
        )
        practitioners = sorted(
            set(
                s.scalars(
                    select(SessionRecord.practitioner_id).where(
                        SessionRecord.clinic_id == clinic_id
                    )
                )
            )
        )
        clients = sorted(set(patients))
        for pid in clients:
            rows["consultations"].append(
                {
                    "clinic_id": clinic_id,
                    "patient_id": pid,
                    "held_on": today - timedelta(days=rng.randrange(1, 1800)),
                    "reasons": "[]",
                    "answers": "{}",
                    "rules": "{}",
                    "outcome": "candidate",
                    "findings": "[]",
                    "created_at": now,
                    "created_by": "synthetic",
                }
            )
            if rng.random() < 0.8:
                skin = rng.choice(SKINS)
                for version in (1, 2):
                    content = json.dumps({"studio": {"skin": skin if version == 2 else "#ffffff"}})
                    rows["design_versions"].append(
                        {
                            "clinic_id": clinic_id,
                            "patient_id": pid,
                            "version": version,
                            "pattern": "norwood-5",
                            "hairline_style": "soft",
                            "content": content,
                            "content_sha256": "0" * 64,
                            "created_at": now,
                            "created_by": "synthetic",
                        }
                    )
            if rng.random() < 0.5:
                due = today + timedelta(days=rng.randrange(-900, 300))
                done = due + timedelta(days=3) if rng.random() < 0.5 and due < today else None
                rows["follow_ups"].append(
                    {
                        "clinic_id": clinic_id,
                        "patient_id": pid,
                        "kind": rng.choice(("touch-up", "review")),
                        "due_on": due,
                        "done_on": done,
                        "created_at": now,
                        "created_by": "synthetic",
                    }
                )
            if rng.random() < 0.4:
                due_at = now + timedelta(days=rng.randrange(-900, 300))
                for channel in ("email", "sms"):
                    rows["messages"].append(
                        {
                            "clinic_id": clinic_id,
                            "patient_id": pid,
                            "kind": "touch_up_recall",
                            "channel": channel,
                            "subject": "Touch-up",
                            "body": "Time for a touch-up",
                            "due_at": due_at,
                            "status": rng.choice(("queued", "sent", "cancelled")),
                            "attempts": 0,
                            "last_error": "",
                            "recipient": "",
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
        rooms = []
        for n in range(len(practitioners)):
            rooms.append(
                s.execute(
                    insert(Room).values(
                        clinic_id=clinic_id, name=f"Synthetic room {n}", active=True
                    )
                ).inserted_primary_key[0]
            )
        taken = set()
        while len(rows["bookings"]) < 2000:
            k = rng.randrange(len(practitioners))
            day = today + timedelta(days=rng.randrange(-1800, 60))
            if (k, day) in taken:
                continue
            taken.add((k, day))
            start = datetime.combine(day, time(10), LONDON)
            rows["bookings"].append(
                {
                    "clinic_id": clinic_id,
                    "patient_id": rng.choice(clients),
                    "practitioner_id": practitioners[k],
                    "room_id": rooms[k],
                    "starts_at": start,
                    "ends_at": start + timedelta(hours=3),
                    "local_day": day,
                    "status": rng.choice(("booked", "done", "done", "cancelled")),
                    "created_at": now,
                    "created_by": "synthetic",
                }
            )
        models = {
            "consultations": Consultation,
            "design_versions": DesignVersion,
            "follow_ups": FollowUp,
            "messages": Message,
            "bookings": Booking,
        }
        for table, model in models.items():
            s.execute(insert(model), rows[table])
    with db.transaction(readonly=True) as s:
        rows["sessions"] = [
            {"patient_id": p, "performed_on": d}
            for p, d in s.execute(
                select(SessionRecord.patient_id, SessionRecord.performed_on).where(
                    SessionRecord.clinic_id == clinic_id
                )
            )
        ]
    return rows


def _ym(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _expected(rows: dict[str, list[dict[str, object]]], start: date, end: date, today: date):  # type: ignore[no-untyped-def]
    sessions: dict[object, list[date]] = defaultdict(list)
    for row in rows["sessions"]:
        sessions[row["patient_id"]].append(row["performed_on"])  # type: ignore[arg-type]
    months = sorted({_ym(start + timedelta(days=d)) for d in range((end - start).days + 1)})
    conv: dict[str, tuple[set[object], set[object]]] = {m: (set(), set()) for m in months}
    for c in rows["consultations"]:
        held = c["held_on"]
        assert isinstance(held, date)
        if start <= held <= end:
            consulted, treated = conv[_ym(held)]
            consulted.add(c["patient_id"])
            if any(d >= held for d in sessions.get(c["patient_id"], [])):
                treated.add(c["patient_id"])
    conversion = [(m, len(a), len(b), _pct(len(b), len(a))) for m, (a, b) in conv.items()]
    shows = {m: [0, 0, 0] for m in months}
    for b in rows["bookings"]:
        day = b["local_day"]
        assert isinstance(day, date)
        if start <= day <= end:
            if b["status"] == "done":
                shows[_ym(day)][0] += 1
            elif b["status"] == "booked" and day < today:
                shows[_ym(day)][1] += 1
            elif b["status"] == "cancelled":
                shows[_ym(day)][2] += 1
    no_shows = [(m, h, n, x, _pct(n, h + n)) for m, (h, n, x) in shows.items()]
    recalls: dict[str, set[object]] = {m: set() for m in months}
    for msg in rows["messages"]:
        due_at = msg["due_at"]
        assert isinstance(due_at, datetime)
        local = due_at.astimezone(LONDON).date()
        if msg["status"] != "cancelled" and start <= local <= end:
            recalls[_ym(due_at.astimezone(UTC).date())].add(msg["patient_id"])
    reviews = {m: [0, 0, 0] for m in months}
    for f in rows["follow_ups"]:
        due = f["due_on"]
        assert isinstance(due, date)
        if f["kind"] == "touch-up" and start <= due <= end:
            reviews[_ym(due)][0] += 1
            reviews[_ym(due)][1] += f["done_on"] is not None
            reviews[_ym(due)][2] += f["done_on"] is None and due < today
    touch = [(m, len(recalls[m]), *reviews[m]) for m in months]
    skins = {d["patient_id"]: d["content"] for d in rows["design_versions"] if d["version"] == 2}
    done_touch = {
        f["patient_id"] for f in rows["follow_ups"] if f["kind"] == "touch-up" and f["done_on"]
    }
    tones: dict[object, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for pid, days in sessions.items():
        if start <= min(days) <= end:
            content = skins.get(pid)
            tone = (
                f"Monk {skin_tone(json.loads(content)['studio']['skin']).monk}"  # type: ignore[arg-type]
                if content
                else "not recorded"
            )
            acc = tones[tone]
            acc[0] += 1
            acc[1] += len(days) >= 2
            acc[2] += len(days) >= 3
            acc[3] += pid in done_touch
    retention = {
        t: (n, a, _pct(a, n), b, _pct(b, n), c, _pct(c, n)) for t, (n, a, b, c) in tones.items()
    }
    return conversion, no_shows, touch, retention


def test_reports_on_thousands_of_rows_match_a_plain_count_and_are_fast(
    fresh_world: World, backend: str
) -> None:
    db, r = fresh_world.db, fresh_world.records
    rng = random.Random(11)
    rows = _seed(db, r.clinic_id, rng)
    start, end, today = date(2027, 1, 1), date(2030, 6, 12), r.today()
    # The few hand-made records of the world (one client, consulted 30 days ago) count too.
    rows["consultations"].append(
        {"patient_id": fresh_world.patient.id, "held_on": date(2030, 5, 13)}
    )
    conversion, no_shows, touch, retention = _expected(rows, start, end, today)
    timings = {}
    results = {}
    for report in REPORTS:
        t0 = timer.perf_counter()
        results[report.slug] = r.report(report.slug, start=start, end=end)
        timings[report.slug] = timer.perf_counter() - t0
    assert results["conversion"].rows == conversion
    assert results["no-shows"].rows == no_shows
    assert results["touch-ups"].rows == touch
    got = {row[0]: row[1:] for row in results["retention"].rows if row[1]}
    assert got == retention
    assert sum(row[1] for row in results["retention"].rows) > 300
    print(f"\n{backend} report timings (ms):", {k: round(v * 1000) for k, v in timings.items()})
    assert max(timings.values()) < 1.0, timings
    entries = r.audit_trail(limit=10)
    assert sum(e.object_type == "report" for e in entries) == len(REPORTS)
    assert all(isinstance(e, AuditEntry) for e in entries)
