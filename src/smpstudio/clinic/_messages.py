"""Messages to clients: the outbox as a delivery log, opt-outs, and sending what is due.

What is queued and when is decided in ``_outbox`` (reminders when a session is booked,
aftercare and the touch-up recall when one is recorded). :meth:`send_due_messages` sends
what is due by the clinic's clock in three steps, so that nothing is lost and no database
lock is held while a mail server is slow: it claims the due messages (one attempt more, and
a retry time, committed), hands each over (:class:`~smpstudio.clinic._delivery.Mailer`,
:class:`~smpstudio.clinic._delivery.SmsProvider`), then records each outcome. A message
whose claim was committed but whose outcome was not (the process died) is due again at its
retry time: delivery is at least once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from smpstudio.clinic._audit import AuditEvent
from smpstudio.clinic._delivery import Attachment, DeliveryError, Mailer, SmsProvider
from smpstudio.clinic._models import Message, MessageOptOut, Patient
from smpstudio.clinic._outbox import CHANNELS
from smpstudio.clinic._scope import Scope
from smpstudio.clinic._validate import check_choice, check_int

__all__ = ["DeliveryReport", "MessageService"]


@dataclass
class DeliveryReport:
    """What one run of :meth:`MessageService.send_due_messages` did, message ids by outcome.

    ``waiting``: due, but no mailer (``smtp_host`` empty) or SMS provider is configured for
    its channel; it stays queued.
    """

    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{len(self.sent)} sent, {len(self.failed)} failed, {len(self.skipped)} skipped "
            f"(opted out or no address), {len(self.waiting)} waiting for a mail server or SMS "
            "provider"
        )


@dataclass(frozen=True)
class _Claim:
    id: int
    patient_id: int
    kind: str
    channel: str
    to: str
    subject: str
    body: str
    attempt: int
    attachments: tuple[Attachment, ...] = ()


class MessageService(Scope):
    """The clinic's message outbox: delivery log, opt-outs, sending what is due."""

    def messages(self, patient_id: int) -> list[Message]:
        """A client's messages, newest due first: the delivery log (an audited read)."""
        with self._unit("read", "message", patient_id=patient_id) as s:
            self._get(s, Patient, patient_id, "patient")
            rows = list(
                s.scalars(
                    select(Message)
                    .where(Message.clinic_id == self.clinic_id, Message.patient_id == patient_id)
                    .order_by(Message.due_at.desc(), Message.id.desc())
                )
            )
            self._log(s, AuditEvent("read", "message", None, patient_id, detail="delivery log"))
            return rows

    def message_opt_outs(self, patient_id: int) -> dict[str, bool]:
        """Whether the client opted out of each channel (an audited read)."""
        with self._unit("read", "message-opt-out", patient_id=patient_id) as s:
            self._get(s, Patient, patient_id, "patient")
            found = dict.fromkeys(CHANNELS, False)
            found.update(
                (row.channel, row.opted_out)
                for row in s.scalars(
                    select(MessageOptOut).where(
                        MessageOptOut.clinic_id == self.clinic_id,
                        MessageOptOut.patient_id == patient_id,
                    )
                )
            )
            self._log(s, AuditEvent("read", "message-opt-out", None, patient_id))
            return found

    def set_message_opt_out(self, patient_id: int, *, channel: str, opted_out: bool) -> None:
        """Record the client's choice for one channel (``email`` or ``sms``), audited; an
        opted-out channel's messages are skipped when due."""
        with self._unit("update", "message-opt-out", patient_id=patient_id) as s:
            self._get(s, Patient, patient_id, "patient")
            channel = check_choice(channel, "channel", CHANNELS)
            if not isinstance(opted_out, bool):
                raise TypeError("opted_out is True or False")
            row = s.scalar(
                select(MessageOptOut).where(
                    MessageOptOut.clinic_id == self.clinic_id,
                    MessageOptOut.patient_id == patient_id,
                    MessageOptOut.channel == channel,
                )
            )
            if row is None:
                row = MessageOptOut(clinic_id=self.clinic_id, patient_id=patient_id)
                row.channel = channel
                s.add(row)
            row.opted_out = opted_out
            row.updated_at = self._now()
            row.updated_by = self.actor
            s.flush()
            detail = f"{channel} {'opted out' if opted_out else 'opted in'}"
            self._log(s, AuditEvent("update", "message-opt-out", row.id, patient_id, detail=detail))

    def send_due_messages(
        self, *, mailer: Mailer | None, sms: SmsProvider | None = None, limit: int = 200
    ) -> DeliveryReport:
        """Send the messages due by now (at most ``limit``); every outcome is audited.

        A message whose client opted out of its channel, or has no address for it, is
        skipped. One that cannot be handed over is ``failed`` with the error and tried again
        after ``message_retry_minutes``, up to ``message_max_attempts`` attempts.
        """
        check_int(limit, "limit", low=1, high=10_000)
        report = DeliveryReport()
        transports = {"email": mailer, "sms": sms}
        claims = self._claim_due(transports, limit, report)
        for claim in claims:
            try:
                if claim.channel == "email":
                    assert mailer is not None
                    mailer.send_email(
                        to=claim.to,
                        subject=claim.subject,
                        body=claim.body,
                        attachments=claim.attachments,
                    )
                else:
                    assert sms is not None
                    sms.send_sms(to=claim.to, text=claim.body)
            except DeliveryError as exc:
                self._record_outcome(claim, str(exc), permanent=exc.permanent)
                report.failed.append(claim.id)
            else:
                self._record_outcome(claim, None, permanent=False)
                report.sent.append(claim.id)
        return report

    def _claim_due(
        self,
        transports: dict[str, Mailer | SmsProvider | None],
        limit: int,
        report: DeliveryReport,
    ) -> list[_Claim]:
        """Step 1: mark each due message as attempted, with a retry time, and commit."""
        with self._unit("send", "message") as s:
            now = self._now()
            query = (
                select(Message)
                .where(
                    Message.clinic_id == self.clinic_id,
                    Message.status.in_(("queued", "failed")),
                    Message.next_attempt_at <= now,
                )
                .order_by(Message.next_attempt_at, Message.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            claims: list[_Claim] = []
            events: list[AuditEvent] = []
            opted_out = self._opted_out(s)
            for row in s.scalars(query):
                patient = s.get(Patient, row.patient_id)
                assert patient is not None
                address = patient.email if row.channel == "email" else patient.phone
                why = self._skip_reason(row, address, opted_out)
                if why is not None:
                    self._finish(row, "skipped", why, now)
                    events.append(self._event(row, f"skipped: {why}"))
                    report.skipped.append(row.id)
                    continue
                if transports[row.channel] is None:
                    report.waiting.append(row.id)
                    continue
                assert address is not None
                row.attempts += 1
                row.recipient = address
                row.next_attempt_at = now + self._retry_after()
                row.updated_at = now
                attached = (
                    (Attachment(row.attachment_name, "application/pdf", row.attachment),)
                    if row.attachment is not None and row.attachment_name
                    else ()
                )
                claims.append(
                    _Claim(row.id, row.patient_id, row.kind, row.channel, address,
                           row.subject, row.body, row.attempts, attached)
                )  # fmt: skip
            self._log(s, *events)
            return claims

    def _record_outcome(self, claim: _Claim, error: str | None, *, permanent: bool) -> None:
        """Step 3: the outcome of one hand-over, audited."""
        with self._unit("send", "message", patient_id=claim.patient_id) as s:
            row = self._get(s, Message, claim.id, "message")
            now = self._now()
            if error is None:
                self._finish(row, "sent", "", now)
                row.sent_at = now
                detail = f"sent (attempt {claim.attempt})"
            else:
                row.status = "failed"
                row.last_error = error[:1000]
                row.updated_at = now
                last = permanent or claim.attempt >= round(self.settings.message_max_attempts)
                row.next_attempt_at = None if last else now + self._retry_after()
                then = "gave up" if last else f"retry at {row.next_attempt_at:%Y-%m-%d %H:%M} UTC"
                detail = f"failed (attempt {claim.attempt}, {then}): {error}"
            outcome = "ok" if error is None else "refused"
            self._log(s, self._event(row, detail, outcome=outcome))

    def _opted_out(self, s: Session) -> set[tuple[int, str]]:
        rows = s.execute(
            select(MessageOptOut.patient_id, MessageOptOut.channel).where(
                MessageOptOut.clinic_id == self.clinic_id, MessageOptOut.opted_out.is_(True)
            )
        )
        return {(p, c) for p, c in rows}

    @staticmethod
    def _skip_reason(
        row: Message, address: str | None, opted_out: set[tuple[int, str]]
    ) -> str | None:
        if (row.patient_id, row.channel) in opted_out:
            return f"the client opted out of {row.channel}"
        if not address:
            return "no e-mail address" if row.channel == "email" else "no phone number"
        return None

    @staticmethod
    def _finish(row: Message, status: str, why: str, now: datetime) -> None:
        row.status = status
        row.last_error = why
        row.next_attempt_at = None
        row.updated_at = now

    def _retry_after(self) -> timedelta:
        return timedelta(minutes=self.settings.message_retry_minutes)

    @staticmethod
    def _event(row: Message, detail: str, *, outcome: str = "ok") -> AuditEvent:
        return AuditEvent(
            "send",
            "message",
            row.id,
            row.patient_id,
            outcome="refused" if outcome == "refused" else "ok",
            detail=f"{row.kind} by {row.channel}: {detail}"[:500],
        )
