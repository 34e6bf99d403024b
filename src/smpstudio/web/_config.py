"""The web studio's own limits and switches (the clinic's settings live in the database)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["WebConfig"]


@dataclass(frozen=True, kw_only=True)
class WebConfig:
    """How the web studio behaves.

    Attributes
    ----------
    secure_cookies
        Mark cookies ``Secure`` with the ``__Host-`` prefix (browsers accept them on
        ``https://`` and on ``http://127.0.0.1`` / ``localhost``). Turn off only for tests that
        speak plain HTTP to another host.
    session_idle_minutes, session_max_hours
        A staff session ends after this long without a request, and after this long in all.
    sign_in_failures_per_minute
        Failed sign-ins per account (and 5× that per client address) within 60 s before
        further attempts get 429 Too Many Requests.
    max_body_bytes
        Largest request body (a photo upload and its form).
    max_form_fields
        Most fields in one form.
    preview_size
        Width and height of the designer's live preview, in pixels.
    compute_workers
        Threads for the studio's heavy work: designs, renders, photo uploads, plans and PDFs
        (requests beyond them wait, up to ``studio_heavy_requests``).
    studio_heavy_requests
        Heavy studio requests admitted at once, running or waiting for a compute thread; one
        more is answered 503 with ``Retry-After`` instead of queueing.
    public_heavy_requests
        Heavy public requests ("preview your look", the cost estimate) admitted at once; they
        run one at a time on a thread of their own at a lower CPU priority, so that visitors
        cannot slow the designers down. One more is answered 503 with ``Retry-After``.
    studio_cpu_budget_s, public_cpu_budget_s
        Thread CPU seconds one heavy request may spend; past it, 503 with ``Retry-After``.
    trusted_proxies
        Addresses or networks (``10.0.0.0/8``) of the reverse proxies in front of the studio:
        only for requests from them are ``X-Forwarded-For`` (the client's address, for the
        rate limits, sign-in lockout and audit) and ``X-Forwarded-Proto`` believed.
    preview_processes
        Processes that render live previews side by side (each with its own interpreter, so
        they use every core); 0 renders on the compute threads. When None: one per usable
        core up to ``compute_workers``, and none on a single core.
    public_clinic_id
        The clinic the public site speaks for (contact page, consultation requests); the
        first clinic when None.
    clinic_address, clinic_phone, clinic_email
        What the public contact page shows when the clinic has not set its own.
    portal_url
        The studio's public address (``https://clinic.example``) put in the client portal's
        e-mailed sign-in links. Set it in production: when empty, links use the address the
        request came to, which a visitor controls (the ``Host`` header).
    message_every_minutes
        Send the clinic's due messages (reminders, aftercare, recalls) this often from the
        studio itself; 0 leaves it to ``smpstudio messages send-due`` (cron, a timer).
    """

    secure_cookies: bool = True
    session_idle_minutes: float = 30.0
    session_max_hours: float = 12.0
    sign_in_failures_per_minute: int = 10
    max_body_bytes: int = 26 * 1024 * 1024
    max_form_fields: int = 200
    preview_size: int = 768
    compute_workers: int = 2
    studio_heavy_requests: int = 16
    public_heavy_requests: int = 2
    studio_cpu_budget_s: float = 120.0
    public_cpu_budget_s: float = 3.0
    trusted_proxies: tuple[str, ...] = ()
    preview_processes: int | None = None
    public_clinic_id: int | None = None
    clinic_address: str = ""
    clinic_phone: str = ""
    clinic_email: str = ""
    message_every_minutes: float = 0.0
    portal_url: str = ""

    @property
    def session_cookie(self) -> str:
        return "__Host-smp_session" if self.secure_cookies else "smp_session"

    @property
    def form_cookie(self) -> str:
        return "__Host-smp_form" if self.secure_cookies else "smp_form"
