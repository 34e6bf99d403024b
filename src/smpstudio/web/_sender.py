"""The studio's periodic sender: every ``message_every_minutes`` it sends the messages due in
every clinic (``smpstudio.clinic.send_due_everywhere``), off the event loop. A failure (the
database away, a mail server down) is logged and the next round tries again: nothing is lost,
the outbox keeps every message and its error."""

from __future__ import annotations

import asyncio
import logging

from smpstudio.clinic import send_due_everywhere
from smpstudio.web._state import Studio, blocking

__all__ = ["send_messages_periodically"]

log = logging.getLogger("smpstudio.web")


async def send_messages_periodically(studio: Studio) -> None:
    """Send what is due now, then again every ``message_every_minutes``, until cancelled."""
    interval = studio.config.message_every_minutes * 60
    while True:
        try:
            for name, report in await blocking(send_due_everywhere, studio.db):
                if report.sent or report.failed or report.skipped:
                    log.info("messages of %s: %s", name, report)
        except Exception as exc:  # keep sending at the next round
            log.warning("sending messages failed: %s", type(exc).__name__)
        await asyncio.sleep(interval)
