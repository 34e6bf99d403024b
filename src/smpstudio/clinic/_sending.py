"""Sending every clinic's due messages: what ``smpstudio messages send-due`` and the studio's
periodic sender (``smpstudio serve --send-messages-every``) run."""

from __future__ import annotations

from smpstudio.clinic._database import Database
from smpstudio.clinic._delivery import SmsProvider, SmtpMailer
from smpstudio.clinic._messages import DeliveryReport

__all__ = ["send_due_everywhere"]

SENDER = "messages"
"""The actor of every send in the audit log."""


def send_due_everywhere(
    db: Database, *, sms: SmsProvider | None = None, clinic_id: int | None = None
) -> list[tuple[str, DeliveryReport]]:
    """Send the messages due by now in every clinic (or one), e-mail through the SMTP server
    of ``db.settings`` (none while ``smtp_host`` is empty: e-mail waits); each clinic's
    name with what was done."""
    mailer = SmtpMailer.from_settings(db.settings)
    done = []
    for clinic in db.clinics():
        if clinic_id is not None and clinic.id != clinic_id:
            continue
        report = db.clinic(clinic.id, actor=SENDER).send_due_messages(mailer=mailer, sms=sms)
        done.append((clinic.name, report))
    return done
