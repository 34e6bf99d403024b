"""Messages to clients on both back ends: reminders queued by bookings, aftercare and the
touch-up recall by sessions, sent by a REAL SMTP server process (aiosmtpd) read back, a
server that is down (failed with the error, retried later, nothing lost), opt-outs (skipped,
audited), moved and cancelled bookings. The clinic's clock is set by each test: nothing
depends on today's date."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from smpstudio import ClinicError, Settings
from smpstudio._clock import ENV_CLOCK, Clock
from smpstudio.clinic import (
    Booking,
    ClinicConfig,
    DeliveryError,
    Message,
    PigmentUse,
    SmsProvider,
    SmtpMailer,
    open_database,
)

from ._smtp import SmtpServer, free_port
from .conftest import MONDAY, World, make_world

LONDON = ZoneInfo("Europe/London")
START = datetime(2031, 3, 1, 8, 0, tzinfo=UTC)  # Saturday; MONDAY is 2031-03-03 (GMT)
SESSION_START = datetime.combine(MONDAY, datetime.min.time(), LONDON).replace(hour=10)


class Clocked:
    """A world whose clock the test moves."""

    def __init__(self, world: World, clock: Clock) -> None:
        self.world = world
        self.clock = clock

    @property
    def r(self) -> Any:
        return self.world.records

    def set(self, instant: datetime) -> None:
        self.clock.offset += instant - self.clock.now()


class RecordingSms(SmsProvider):
    """An SMS gateway adapter that keeps what it was given (the tests' own gateway)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send_sms(self, *, to: str, text: str) -> str:
        self.sent.append((to, text))
        return f"sms-{len(self.sent)}"


class BrokenSms(SmsProvider):
    def send_sms(self, *, to: str, text: str) -> str:
        raise DeliveryError("gateway answered 503")


def _settings(**changes: Any) -> Settings:
    return Settings.from_overrides({"message_retry_minutes": 15, **changes})


@pytest.fixture
def clocked(backend: str, make_config: Callable[[str], ClinicConfig]) -> Iterator[Clocked]:
    clock = Clock.starting_at(START)
    with open_database(make_config(backend), clock=clock, settings=_settings()) as db:
        db.upgrade()
        yield Clocked(make_world(db), clock)


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    server = SmtpServer(tmp_path / "maildir").start()
    yield server
    server.stop()


def _mailer(port: int) -> SmtpMailer:
    settings = Settings.from_overrides(
        {
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_security": "none",
            "smtp_from": "Soho SMP <hello@clinic.example>",
            "smtp_timeout_s": 5,
        }
    )
    mailer = SmtpMailer.from_settings(settings, environ={})
    assert mailer is not None
    return mailer


def _book(c: Clocked, start: datetime = SESSION_START) -> Booking:
    w = c.world
    booking: Booking = c.r.book(
        w.patient.id,
        practitioner_id=w.practitioner.id,
        room_id=w.room.id,
        starts_at=start,
        duration=timedelta(hours=3),
    )
    return booking


def _log(c: Clocked, patient_id: int | None = None) -> list[Message]:
    rows: list[Message] = c.r.messages(patient_id or c.world.patient.id)
    return rows


def _by_kind(rows: list[Message]) -> dict[tuple[str, str], Message]:
    return {(m.kind, m.channel): m for m in rows}


def test_a_booking_queues_reminders_that_a_real_smtp_server_receives_when_due(
    clocked: Clocked, smtp: SmtpServer
) -> None:
    c = clocked
    booking = _book(c)
    log = _by_kind(_log(c))
    assert set(log) == {("reminder_48h", "email"), ("reminder_24h", "email")}
    assert log["reminder_48h", "email"].due_at == SESSION_START - timedelta(hours=48)
    assert log["reminder_24h", "email"].due_at == SESSION_START - timedelta(hours=24)
    assert {m.booking_id for m in log.values()} == {booking.id}
    mailer = _mailer(smtp.port)

    report = c.r.send_due_messages(mailer=mailer)  # Saturday 08:00: nothing is due yet
    assert (report.sent, report.failed) == ([], [])
    assert smtp.received() == []

    c.set(SESSION_START - timedelta(hours=48, minutes=-1))
    report = c.r.send_due_messages(mailer=mailer)
    assert report.sent == [log["reminder_48h", "email"].id]
    [mail] = smtp.received()
    assert mail["To"] == "c@example.com"
    assert mail["From"] == "Soho SMP <hello@clinic.example>"
    assert "Mon 3 March 2031 at 10:00" in str(mail["Subject"])
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert "Hello Sam," in body.decode()
    assert "Europe/London" in body.decode()

    c.set(SESSION_START - timedelta(hours=23))
    assert len(c.r.send_due_messages(mailer=mailer).sent) == 1
    assert len(smtp.received()) == 2
    assert c.r.send_due_messages(mailer=mailer).sent == []  # each is sent once
    done = _by_kind(_log(c))
    assert {m.status for m in done.values()} == {"sent"}
    assert all(m.attempts == 1 and m.recipient == "c@example.com" for m in done.values())
    sent_at = done["reminder_24h", "email"].sent_at
    assert sent_at is not None
    assert timedelta(0) <= c.clock.now() - sent_at < timedelta(minutes=1)
    sends = [e for e in c.r.audit_trail(action="send") if e.object_type == "message"]
    assert len(sends) == 2
    assert all("sent (attempt 1)" in e.detail for e in sends)


def test_a_mail_server_that_is_down_fails_the_message_with_the_error_then_it_is_retried(
    clocked: Clocked, tmp_path: Path
) -> None:
    c = clocked
    _book(c)
    server = SmtpServer(tmp_path / "later", port=free_port())  # nothing listens yet
    mailer = _mailer(server.port)
    c.set(SESSION_START - timedelta(hours=47))
    report = c.r.send_due_messages(mailer=mailer)
    assert report.failed == [_by_kind(_log(c))["reminder_48h", "email"].id]
    failed = _by_kind(_log(c))["reminder_48h", "email"]
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert f"cannot reach the mail server 127.0.0.1:{server.port}" in failed.last_error
    assert failed.next_attempt_at is not None
    wait = failed.next_attempt_at - c.clock.now()
    assert timedelta(minutes=14) < wait <= timedelta(minutes=15)
    entry = c.r.audit_trail(action="send", limit=1)[0]
    assert (entry.outcome, entry.object_id) == ("refused", str(failed.id))
    assert "failed (attempt 1, retry at" in entry.detail

    # Before the retry time nothing is tried; the server comes back; the retry delivers.
    c.set(c.clock.now() + timedelta(minutes=5))
    assert c.r.send_due_messages(mailer=mailer).failed == []
    server.start()
    try:
        c.set(c.clock.now() + timedelta(minutes=11))
        assert c.r.send_due_messages(mailer=mailer).sent == [failed.id]
        [mail] = server.received()
        assert "Reminder" in str(mail["Subject"])
    finally:
        server.stop()
    again = _by_kind(_log(c))["reminder_48h", "email"]
    assert (again.status, again.attempts, again.last_error) == ("sent", 2, "")


def test_after_the_last_attempt_a_message_stays_failed_and_visible(
    backend: str, make_config: Callable[[str], ClinicConfig]
) -> None:
    clock = Clock.starting_at(START)
    settings = _settings(message_max_attempts=2)
    with open_database(make_config(backend), clock=clock, settings=settings) as db:
        db.upgrade()
        c = Clocked(make_world(db), clock)
        _book(c)
        mailer = _mailer(free_port())
        c.set(SESSION_START - timedelta(hours=47))
        assert len(c.r.send_due_messages(mailer=mailer).failed) == 1
        c.set(c.clock.now() + timedelta(minutes=16))
        assert len(c.r.send_due_messages(mailer=mailer).failed) == 1
        c.set(c.clock.now() + timedelta(hours=2))
        assert c.r.send_due_messages(mailer=mailer).failed == []
        gave_up = _by_kind(_log(c))["reminder_48h", "email"]
        assert (gave_up.status, gave_up.attempts, gave_up.next_attempt_at) == ("failed", 2, None)
        assert "gave up" in c.r.audit_trail(action="send", limit=1)[0].detail


def test_sms_goes_through_the_clinic_provider_and_waits_without_one(clocked: Clocked) -> None:
    c = clocked
    patient = c.r.add_patient(
        "Noor", "Haddad", date_of_birth=date(1985, 2, 2), phone="+44 7700 900123"
    )
    c.r.record_consultation(
        patient.id,
        held_on=c.r.today() - timedelta(days=3),
        reasons=["pattern-loss"],
        stage="norwood-5",
        answers=dict.fromkeys(_contraindication_keys(), False),
    )
    c.r.book(
        patient.id,
        practitioner_id=c.world.practitioner.id,
        room_id=c.world.room.id,
        starts_at=SESSION_START + timedelta(days=1),
        duration=timedelta(hours=3),
    )
    assert {(m.kind, m.channel) for m in _log(c, patient.id)} == {
        ("reminder_48h", "sms"),
        ("reminder_24h", "sms"),
    }
    c.set(SESSION_START - timedelta(hours=20))
    report = c.r.send_due_messages(mailer=None, sms=None)
    assert len(report.waiting) == 1  # no provider: it stays queued, nothing lost
    assert {m.status for m in _log(c, patient.id)} == {"queued"}
    broken = c.r.send_due_messages(mailer=None, sms=BrokenSms())
    assert len(broken.failed) == 1
    assert _by_kind(_log(c, patient.id))["reminder_48h", "sms"].last_error == (
        "gateway answered 503"
    )
    gateway = RecordingSms()
    c.set(c.clock.now() + timedelta(minutes=16))
    assert len(c.r.send_due_messages(mailer=None, sms=gateway).sent) == 1
    [(to, text)] = gateway.sent
    assert to == "+44 7700 900123"
    assert "reminder of your SMP session Tue 4 March 2031 at 10:00" in text


def _contraindication_keys() -> tuple[str, ...]:
    from smpstudio.clinic import CONTRAINDICATION_KEYS

    return tuple(CONTRAINDICATION_KEYS)


def test_an_opted_out_channel_is_skipped_and_audited(clocked: Clocked, smtp: SmtpServer) -> None:
    c = clocked
    pid = c.world.patient.id
    _book(c)
    c.r.set_message_opt_out(pid, channel="email", opted_out=True)
    assert c.r.message_opt_outs(pid) == {"email": True, "sms": False}
    entry = c.r.audit_trail(action="update", limit=1)[0]
    assert (entry.object_type, entry.detail) == ("message-opt-out", "email opted out")
    c.set(SESSION_START - timedelta(hours=47))
    report = c.r.send_due_messages(mailer=_mailer(smtp.port))
    assert (report.sent, len(report.skipped)) == ([], 1)
    assert smtp.received() == []
    skipped = _by_kind(_log(c))["reminder_48h", "email"]
    assert (skipped.status, skipped.last_error) == ("skipped", "the client opted out of email")
    send = c.r.audit_trail(action="send", limit=1)[0]
    assert send.detail == "reminder_48h by email: skipped: the client opted out of email"
    c.r.set_message_opt_out(pid, channel="email", opted_out=False)  # opting in again
    c.set(SESSION_START - timedelta(hours=23))
    assert len(c.r.send_due_messages(mailer=_mailer(smtp.port)).sent) == 1
    with pytest.raises(ClinicError, match="channel must be one of email, sms"):
        c.r.set_message_opt_out(pid, channel="fax", opted_out=True)


def test_moving_a_booking_requeues_its_reminders_and_cancelling_withdraws_them(
    clocked: Clocked,
) -> None:
    c = clocked
    booking = _book(c)
    moved_to = SESSION_START + timedelta(days=2, hours=1)  # Wed 11:00
    moved = c.r.move_booking(booking.id, starts_at=moved_to)
    assert (moved.starts_at, moved.local_day) == (moved_to, MONDAY + timedelta(days=2))
    rows = _log(c)
    live = {(m.kind, m.due_at) for m in rows if m.status == "queued"}
    assert live == {
        ("reminder_48h", moved_to - timedelta(hours=48)),
        ("reminder_24h", moved_to - timedelta(hours=24)),
    }
    old = [m for m in rows if m.status == "cancelled"]
    assert len(old) == 2
    assert {m.last_error for m in old} == {"booking moved"}
    assert "moved from 2031-03-03 to 2031-03-05" in c.r.audit_trail(action="update")[0].detail
    c.r.cancel_booking(booking.id)
    assert {m.status for m in _log(c)} == {"cancelled"}
    c.set(moved_to - timedelta(hours=2))
    assert c.r.send_due_messages(mailer=_mailer(free_port())).failed == []


def test_a_refused_move_changes_nothing(clocked: Clocked) -> None:
    c = clocked
    booking = _book(c)
    other = c.world.add_client("Kim", "Roe")
    c.r.book(
        other.id,
        practitioner_id=c.world.practitioner.id,
        room_id=c.world.room2.id,
        starts_at=SESSION_START + timedelta(days=1),
        duration=timedelta(hours=3),
    )
    with pytest.raises(ClinicError, match="already has an SMP client on 2031-03-04"):
        c.r.move_booking(booking.id, starts_at=SESSION_START + timedelta(days=1))
    assert c.r.bookings(MONDAY, MONDAY)[0].starts_at == SESSION_START
    assert {m.status for m in _log(c)} == {"queued"}


def test_a_recorded_session_queues_the_aftercare_calendar_and_the_touch_up_recall(
    clocked: Clocked,
) -> None:
    c = clocked
    pid = c.world.patient.id
    booking = _book(c)
    plan = c.r.save_plan(
        pid,
        {"schema": "smpstudio/plan", "sessions": 1, "touch_up": {"date": "2035-06-01"}},
        sessions_planned=1,
    )
    c.set(SESSION_START + timedelta(hours=4))  # Monday 14:00, after the session
    record = c.r.record_session(
        pid,
        practitioner_id=c.world.practitioner.id,
        performed_on=MONDAY,
        duration_minutes=180,
        pigments=[PigmentUse("Carbon Black", "B-1", date(2033, 1, 1), water_ml=4.0)],
        needle_lots=["NL-1"],
        needles_opened_in_front_of_client=True,
        anaesthetic_offered=False,
        anaesthetic_used=False,
        booking_id=booking.id,
        plan_id=plan.id,
        session_number=1,
    )
    after = {m.kind: m for m in _log(c) if m.session_id == record.id}
    settings = Settings()
    shave_day = MONDAY + timedelta(days=round(settings.aftercare_shave_from_day))
    moisturise_day = MONDAY + timedelta(days=round(settings.aftercare_moisturise_from_day))
    nine = datetime.min.time().replace(hour=9)
    assert timedelta(0) <= c.clock.now() - after["aftercare_day0"].due_at < timedelta(minutes=1)
    assert "keep your scalp dry" in after["aftercare_day0"].body
    assert after["aftercare_shave"].due_at == datetime.combine(shave_day, nine, LONDON)
    assert after["aftercare_moisturise"].due_at == datetime.combine(moisturise_day, nine, LONDON)
    assert after["touch_up_recall"].due_at == datetime.combine(date(2035, 6, 1), nine, LONDON)
    created = c.r.audit_trail(action="create", limit=1)[0]
    assert created.object_type == "message"
    assert created.detail.startswith("4 queued: aftercare_day0, aftercare_shave")


def test_send_due_from_the_command_line(clocked: Clocked, smtp: SmtpServer, tmp_path: Path) -> None:
    c = clocked
    _book(c)
    config = c.world.db.config
    env = {
        **os.environ,
        ENV_CLOCK: (SESSION_START - timedelta(hours=47)).isoformat(),
        "SMPSTUDIO_DB": str(config.sqlite_path)
        if config.backend == "sqlite"
        else config.url.render_as_string(hide_password=False).replace("+psycopg", ""),
        "SMPSTUDIO_DATA_DIR": str(tmp_path / "data"),
    }
    args = [
        sys.executable, "-m", "smpstudio", "messages", "send-due",
        "--set", "smtp_host=127.0.0.1", "--set", f"smtp_port={smtp.port}",
        "--set", "smtp_security=none", "--set", "smtp_from=hello@clinic.example",
    ]  # fmt: skip
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "1 sent, 0 failed" in done.stdout
    [mail] = smtp.received()
    assert mail["To"] == "c@example.com"
    bad = subprocess.run(
        [*args[:5], "--set", "smtp_security=ssl"], env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.strip() == ("error: setting smtp_security must be one of starttls, tls, none")


def test_messages_of_another_clinic_do_not_exist(clocked: Clocked) -> None:
    c = clocked
    other = c.world.db.create_clinic("Other", timezone="UTC", actor="owner")
    stranger = c.world.db.clinic(other.id, actor="eve")
    from smpstudio.clinic import RecordNotFoundError

    with pytest.raises(RecordNotFoundError):
        stranger.messages(c.world.patient.id)
    with pytest.raises(RecordNotFoundError):
        stranger.set_message_opt_out(c.world.patient.id, channel="sms", opted_out=True)
    assert json.dumps(stranger.send_due_messages(mailer=None).sent) == "[]"


def test_two_senders_at_once_send_each_message_once(clocked: Clocked, smtp: SmtpServer) -> None:
    """Two ``send-due`` runs at the same moment (cron overlapping itself): the claim step
    gives each due message to one of them (row locks with SKIP LOCKED on PostgreSQL, one
    writer on SQLite), so every client gets one e-mail."""
    import threading

    c = clocked
    c.set(SESSION_START + timedelta(hours=4))
    clients = [c.world.add_client(f"Kim{n}", "Roe") for n in range(6)]
    for patient in clients:
        c.r.record_session(
            patient.id,
            practitioner_id=c.world.practitioner.id,
            performed_on=MONDAY,
            duration_minutes=120,
            pigments=[PigmentUse("Carbon Black", "B-2", date(2033, 1, 1), water_ml=4.0)],
            needle_lots=["NL-2"],
            needles_opened_in_front_of_client=True,
            anaesthetic_offered=False,
            anaesthetic_used=False,
        )
    mailer = _mailer(smtp.port)
    reports: list[Any] = []
    start = threading.Barrier(2)

    def send() -> None:
        start.wait()
        reports.append(c.r.send_due_messages(mailer=mailer))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    sent = sorted(i for report in reports for i in report.sent)
    assert len(sent) == len(set(sent)) == 6
    assert len(smtp.received()) == 6
    for patient in clients:
        [day0] = [m for m in _log(c, patient.id) if m.kind == "aftercare_day0"]
        assert (day0.status, day0.attempts) == ("sent", 1)
