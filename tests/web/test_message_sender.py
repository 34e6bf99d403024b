"""The studio sends the due messages itself (``--send-messages-every``): a real SMTP server
process receives the aftercare of a session logged today, while the studio runs."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from starlette.testclient import TestClient

from smpstudio import Settings
from smpstudio.clinic import PigmentUse, open_database
from smpstudio.web import WebConfig, create_app
from tests.clinic._smtp import SmtpServer
from tests.web.conftest import PATCH_TESTED_PIGMENT, World


def test_the_studio_sends_due_messages_while_it_runs(fresh_world: World, tmp_path: Path) -> None:
    world = fresh_world
    r = world.a.records
    pid = world.new_patient()
    r.record_session(
        pid,
        practitioner_id=world.a.practitioner_id,
        performed_on=r.today(),
        duration_minutes=120,
        pigments=[PigmentUse(PATCH_TESTED_PIGMENT, "SEND-1", date(2099, 1, 1), water_ml=4)],
        needle_lots=["N-1"],
        needles_opened_in_front_of_client=True,
        anaesthetic_offered=False,
        anaesthetic_used=False,
    )
    email = r.patient(pid).email
    server = SmtpServer(tmp_path / "mail").start()
    settings = Settings.from_overrides(
        {
            "smtp_host": "127.0.0.1",
            "smtp_port": server.port,
            "smtp_security": "none",
            "smtp_from": "desk@clinic.example",
        }
    )
    try:
        with open_database(world.db.config, settings=settings) as db:
            config = WebConfig(message_every_minutes=0.02, preview_processes=0)
            with TestClient(create_app(db, config=config)):
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    if any(m["To"] == email for m in server.received()):
                        break
                    time.sleep(0.2)
        mails = [m for m in server.received() if m["To"] == email]
    finally:
        server.stop()
    assert [str(m["Subject"]).startswith("Aftercare for your scalp") for m in mails] == [True]
    sent = [m for m in r.messages(pid) if m.kind == "aftercare_day0"]
    assert [(m.status, m.recipient) for m in sent] == [("sent", email)]
    assert any(e.actor == "messages" and e.action == "send" for e in r.audit_trail(patient_id=pid))
