"""Signing clients in to the portal: one-time e-mailed links and portal sessions.

A client asks for a link with their e-mail address (or the studio sends one from the
client's record). The link carries a random token; the database keeps only its SHA-256, its
expiry (``portal_link_minutes``) and whether it was used. The e-mail goes through the message
outbox like every message to a client (kind ``portal_link``); once the link is used or
replaced, the link is blanked out of the outbox copy. An unknown address gets the same
answer as a known one (no account enumeration); the attempt is audited in the clinic's chain
without the address.

Opening a link (a POST from the page it lands on, so that mail scanners that fetch links do
not use it up) ends it and starts a portal session for that one client: a random cookie token
(kept as its SHA-256) with a form token and a lifetime of ``portal_session_hours``. An
expired, used, revoked or unknown link, or one of another clinic, is refused with one message
and audited.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from smpstudio._errors import ClinicError
from smpstudio.clinic._audit import AuditEvent, append_events
from smpstudio.clinic._errors import RecordNotFoundError
from smpstudio.clinic._models import Clinic, Message, Patient, PortalLink, PortalSession
from smpstudio.clinic._store import Store

__all__ = ["LINK_REFUSED", "PortalAccess", "PortalClient", "portal_actor"]

LINK_REFUSED = (
    "This sign-in link does not work: it has expired, it was used already, or it is not "
    "a link of this clinic. Ask for a new one below."
)
_USED = "[sign-in link removed: it was used or replaced]"


def portal_actor(patient_id: int) -> str:
    """The audit actor of everything a client does in the portal."""
    return f"client:{patient_id} via portal"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class PortalClient:
    """A live portal session: which client of which clinic, and its form token."""

    clinic_id: int
    patient_id: int
    csrf_token: str
    token_hash: str

    @property
    def actor(self) -> str:
        return portal_actor(self.patient_id)


class PortalAccess:
    """Sign-in links and sessions of the client portal (installation-wide, like
    :class:`~smpstudio.clinic.Accounts`)."""

    def __init__(self, db: Store) -> None:
        self._db = db

    def _now(self) -> datetime:
        return self._db.clock.now()

    def request_link(
        self,
        clinic_id: int,
        email: str,
        *,
        link_base: str,
        origin: str = "client",
        actor: str | None = None,
    ) -> list[int]:
        """Queue a sign-in link to every client of the clinic with this e-mail address;
        the ids of the queued messages (empty for an unknown address, which is audited and
        otherwise answered like a known one). ``link_base`` is the portal's address the
        token is appended to (``https://clinic.example/portal/sign-in?token=``)."""
        address = (email or "").strip().lower()[:254]
        now = self._now()
        with self._db.transaction() as s:
            clinic = s.get(Clinic, clinic_id)
            if clinic is None:
                raise ClinicError(f"no clinic {clinic_id}")
            patients = (
                list(
                    s.scalars(
                        select(Patient)
                        .where(
                            Patient.clinic_id == clinic_id,
                            func.lower(Patient.email) == address,
                        )
                        .order_by(Patient.id)
                    )
                )
                if "@" in address
                else []
            )
            who = actor or "portal visitor"
            if not patients:
                event = AuditEvent(
                    "sign-in", "portal-link", None, None, "refused",
                    "link asked for an address of no client (not sent)",
                )  # fmt: skip
                self._log(s, clinic_id, who, event)
                return []
            queued = []
            for patient in patients:
                message = self._queue_link(s, clinic, patient, link_base, origin, who, now)
                queued.append(message)
            return queued

    def invite(self, clinic_id: int, patient_id: int, *, link_base: str, actor: str) -> int:
        """The studio sends a client a sign-in link (from the client's record); the id of
        the queued message. A client of another clinic, or one without an e-mail address,
        is refused (audited)."""
        now = self._now()
        with self._db.transaction() as s:
            clinic = s.get(Clinic, clinic_id)
            patient = s.scalar(
                select(Patient).where(Patient.clinic_id == clinic_id, Patient.id == patient_id)
            )
            if clinic is not None and patient is not None and patient.email:
                return self._queue_link(s, clinic, patient, link_base, "studio", actor, now)
        why = (
            "the client has no e-mail address: add one to send a portal link"
            if patient is not None
            else f"no client {patient_id} in this clinic"
        )
        with self._db.transaction() as s:
            known = patient_id if patient is not None else None
            event = AuditEvent(
                "create", "portal-link", None, known,
                "refused" if patient is not None else "denied", why,
            )  # fmt: skip
            self._log(s, clinic_id, actor, event)
        if patient is None:
            raise RecordNotFoundError(why)
        raise ClinicError(why)

    def _queue_link(
        self,
        s: Session,
        clinic: Clinic,
        patient: Patient,
        link_base: str,
        origin: str,
        actor: str,
        now: datetime,
    ) -> int:
        revoked = self._revoke(s, clinic.id, patient.id, now)
        token = secrets.token_urlsafe(32)
        minutes = self._db.settings.portal_link_minutes
        expires = now + timedelta(minutes=minutes)
        link = f"{link_base}{token}"
        message = Message(
            clinic_id=clinic.id,
            patient_id=patient.id,
            kind="portal_link",
            channel="email",
            subject=f"Your sign-in link to {clinic.name}",
            body=(
                f"Hello {patient.given_name},\n\nOpen this link to sign in to your client "
                f"portal at {clinic.name}, where you can see your plan, sign your consent and "
                f"book your sessions:\n\n{link}\n\nThe link works once, for {minutes:g} "
                "minutes. If you did not ask for it, ignore this e-mail: nobody can sign in "
                f"without it.\n\n{clinic.name}\n"
            ),
            due_at=now,
            next_attempt_at=now,
            status="queued",
            attempts=0,
            last_error="",
            recipient="",
            created_at=now,
            updated_at=now,
        )
        s.add(message)
        s.flush()
        row = PortalLink(
            clinic_id=clinic.id,
            patient_id=patient.id,
            token_hash=_hash(token),
            origin=origin,
            message_id=message.id,
            created_at=now,
            created_by=actor,
            expires_at=expires,
            used_at=None,
            revoked_at=None,
        )
        s.add(row)
        s.flush()
        detail = f"link queued by e-mail (from the {origin}), valid {minutes:g} min"
        if revoked:
            detail += f"; {revoked} earlier link(s) revoked"
        self._log(s, clinic.id, actor, AuditEvent("create", "portal-link", row.id, patient.id,
                                                  detail=detail))  # fmt: skip
        return message.id

    def _revoke(self, s: Session, clinic_id: int, patient_id: int, now: datetime) -> int:
        """End the client's unused links and blank them out of the outbox."""
        live = list(
            s.scalars(
                select(PortalLink).where(
                    PortalLink.clinic_id == clinic_id,
                    PortalLink.patient_id == patient_id,
                    PortalLink.used_at.is_(None),
                    PortalLink.revoked_at.is_(None),
                )
            )
        )
        for row in live:
            row.revoked_at = now
            self._blank(s, row)
        return sum(1 for row in live if row.expires_at > now)

    @staticmethod
    def _blank(s: Session, link: PortalLink) -> None:
        if link.message_id is None:
            return
        message = s.get(Message, link.message_id)
        if message is None:
            return
        if message.status in ("queued", "failed"):
            message.status = "cancelled"
            message.next_attempt_at = None
            message.last_error = "the link was replaced or used before it was sent"
        lines = [
            _USED if line.startswith(("http://", "https://")) else line
            for line in message.body.split("\n")
        ]
        message.body = "\n".join(lines)

    def redeem(self, clinic_id: int, token: str, *, client: str = "") -> str:
        """Use a sign-in link of clinic ``clinic_id``: end it and start a portal session;
        returns the session's token (for the cookie). Anything wrong with the link is
        :data:`LINK_REFUSED`, audited."""
        now = self._now()
        token = token or ""
        with self._db.transaction() as s:
            row = (
                s.scalar(select(PortalLink).where(PortalLink.token_hash == _hash(token)))
                if 20 <= len(token) <= 100
                else None
            )
            why = self._why_not(row, clinic_id, now)
            if why is None:
                assert row is not None
                row.used_at = now
                self._blank(s, row)
                session_token = secrets.token_urlsafe(32)
                hours = self._db.settings.portal_session_hours
                session = PortalSession(
                    clinic_id=row.clinic_id,
                    patient_id=row.patient_id,
                    token_hash=_hash(session_token),
                    csrf_token=secrets.token_urlsafe(32),
                    created_at=now,
                    expires_at=now + timedelta(hours=hours),
                    ended_at=None,
                    client_address=(client or "")[:64],
                )
                s.add(session)
                s.flush()
                actor = portal_actor(row.patient_id)
                event = AuditEvent("sign-in", "portal-session", session.id, row.patient_id,
                                   detail="sign-in link used")  # fmt: skip
                self._log(s, row.clinic_id, actor, event)
                return session_token
        with self._db.transaction() as s:
            # Audited in the chain of the clinic whose portal was used; the link's own clinic
            # learns of the attempt on its link too.
            target = row.id if row is not None else None
            patient = row.patient_id if row is not None and row.clinic_id == clinic_id else None
            event = AuditEvent("sign-in", "portal-link", target, patient, "refused", why)
            self._log(s, clinic_id, f"portal visitor {client or 'unknown'}"[:200], event)
            if row is not None and row.clinic_id != clinic_id:
                other = AuditEvent("sign-in", "portal-link", row.id, row.patient_id, "refused",
                                   "link used on the portal of another clinic")  # fmt: skip
                self._log(s, row.clinic_id, f"portal visitor {client or 'unknown'}"[:200], other)
        raise ClinicError(LINK_REFUSED)

    @staticmethod
    def _why_not(row: PortalLink | None, clinic_id: int, now: datetime) -> str | None:
        if row is None:
            return "unknown sign-in link"
        if row.clinic_id != clinic_id:
            return "sign-in link of another clinic"
        if row.used_at is not None:
            return "sign-in link used already"
        if row.revoked_at is not None:
            return "sign-in link replaced by a newer one"
        if now >= row.expires_at:
            return "sign-in link expired"
        return None

    def session(self, token: str | None) -> PortalClient | None:
        """The live portal session of a cookie's token, or None."""
        if not token or len(token) > 200:
            return None
        with self._db.transaction(readonly=True) as s:
            row = s.scalar(
                select(PortalSession).where(
                    PortalSession.token_hash == _hash(token), PortalSession.ended_at.is_(None)
                )
            )
        if row is None or self._now() >= row.expires_at:
            return None
        return PortalClient(row.clinic_id, row.patient_id, row.csrf_token, row.token_hash)

    def end_session(self, token: str | None) -> None:
        """Sign out of the portal (audited)."""
        if not token:
            return
        now = self._now()
        with self._db.transaction() as s:
            row = s.scalar(select(PortalSession).where(PortalSession.token_hash == _hash(token)))
            if row is None or row.ended_at is not None:
                return
            row.ended_at = now
            event = AuditEvent("sign-out", "portal-session", row.id, row.patient_id)
            self._log(s, row.clinic_id, portal_actor(row.patient_id), event)

    def end_client_sessions(self, clinic_id: int, patient_id: int) -> int:
        """End every portal session of a client (the studio's "sign the client out")."""
        now = self._now()
        with self._db.transaction() as s:
            result = s.execute(
                update(PortalSession)
                .where(
                    PortalSession.clinic_id == clinic_id,
                    PortalSession.patient_id == patient_id,
                    PortalSession.ended_at.is_(None),
                )
                .values(ended_at=now)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def _log(self, s: Session, clinic_id: int, actor: str, event: AuditEvent) -> None:
        append_events(
            s, chain=clinic_id, actor=actor, clinic_id=clinic_id, events=[event], at=self._now()
        )
