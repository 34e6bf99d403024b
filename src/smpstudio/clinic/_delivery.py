"""How messages leave the clinic: e-mail over SMTP, SMS through a provider the clinic plugs in.

:class:`SmtpMailer` speaks SMTP with the standard library (``smtplib``, ``email``): STARTTLS,
implicit TLS or plain (a relay on the same machine), with a login when
``SMPSTUDIO_SMTP_USER`` / ``SMPSTUDIO_SMTP_PASSWORD`` are set. SMS has no built-in gateway:
:class:`SmsProvider` is the adapter a clinic implements for its own (``send`` returns the
provider's id of the message, or raises :class:`DeliveryError`); until one is given, SMS
messages wait in the outbox, which is the record of what was to be sent.
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from smpstudio._errors import ClinicError
from smpstudio._settings import Settings

__all__ = [
    "ENV_SMTP_PASSWORD",
    "ENV_SMTP_USER",
    "Attachment",
    "DeliveryError",
    "Mailer",
    "SmsProvider",
    "SmtpMailer",
]

ENV_SMTP_USER = "SMPSTUDIO_SMTP_USER"
ENV_SMTP_PASSWORD = "SMPSTUDIO_SMTP_PASSWORD"


@dataclass(frozen=True)
class Attachment:
    """A file sent with an e-mail (the PDF copy of a consent signed in the portal)."""

    name: str
    media_type: str
    data: bytes


class DeliveryError(Exception):
    """A message could not be handed over (server down, refused recipient …); it is tried
    again later. ``permanent`` means trying again cannot help (the address is refused)."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class Mailer(ABC):
    """Sends one e-mail; raises :class:`DeliveryError` when it cannot."""

    @abstractmethod
    def send_email(
        self, *, to: str, subject: str, body: str, attachments: Sequence[Attachment] = ()
    ) -> str:
        """Hand over one plain-text e-mail (with files attached); returns its Message-ID."""


class SmsProvider(ABC):
    """The adapter to a clinic's SMS gateway: implement :meth:`send_sms` for yours.

    ::

        class MyGateway(SmsProvider):
            def send_sms(self, *, to: str, text: str) -> str:
                reply = my_gateway_client.send(to, text)   # the clinic's own client
                if not reply.ok:
                    raise DeliveryError(reply.error)
                return reply.id
    """

    @abstractmethod
    def send_sms(self, *, to: str, text: str) -> str:
        """Hand over one text message; returns the provider's id for it."""


@dataclass(frozen=True, kw_only=True)
class SmtpMailer(Mailer):
    """E-mail through an SMTP server (settings ``smtp_host`` … ``smtp_timeout_s``)."""

    host: str
    port: int
    sender: str
    security: str = "starttls"
    timeout_s: float = 10.0
    user: str = ""
    password: str = ""

    @classmethod
    def from_settings(
        cls, settings: Settings, environ: Mapping[str, str] | None = None
    ) -> SmtpMailer | None:
        """The mailer the settings describe, or None while ``smtp_host`` is empty."""
        if not settings.smtp_host:
            return None
        sender = settings.smtp_from
        if "@" not in parseaddr(sender)[1]:
            raise ClinicError(
                "set smtp_from to the clinic's sender address, e.g. "
                "'Soho SMP <hello@clinic.example>', to send e-mail"
            )
        env = os.environ if environ is None else environ
        return cls(
            host=settings.smtp_host,
            port=round(settings.smtp_port),
            sender=sender,
            security=settings.smtp_security,
            timeout_s=settings.smtp_timeout_s,
            user=env.get(ENV_SMTP_USER, ""),
            password=env.get(ENV_SMTP_PASSWORD, ""),
        )

    def send_email(
        self, *, to: str, subject: str, body: str, attachments: Sequence[Attachment] = ()
    ) -> str:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "localhost"
        message["Message-ID"] = make_msgid(domain=domain)
        message.set_content(body)
        for attachment in attachments:
            main, _, sub = attachment.media_type.partition("/")
            message.add_attachment(
                attachment.data, maintype=main, subtype=sub, filename=attachment.name
            )
        try:
            with self._connect() as server:
                if self.user:
                    server.login(self.user, self.password)
                refused = server.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()), (0, b""))
            reason = f"{code} {text.decode(errors='replace')}"[:300]
            raise DeliveryError(f"the mail server refused {to}: {reason}", permanent=True) from None
        except smtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.smtp_code < 600
            raise DeliveryError(
                f"the mail server answered {_reply(exc)}", permanent=permanent
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(
                f"cannot reach the mail server {self.host}:{self.port}: {_reply(exc)}"
            ) from None
        if refused:
            raise DeliveryError(f"the mail server refused {to}", permanent=True)
        return str(message["Message-ID"])

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            context = ssl.create_default_context()
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s, context=context)
        server = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        try:
            if self.security == "starttls":
                server.starttls(context=ssl.create_default_context())
        except BaseException:
            server.close()
            raise
        return server


def _reply(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        return f"{exc.smtp_code} {' '.join(text.split())}"[:300]
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    return " ".join(str(exc).split())[:300] or type(exc).__name__
