"""``smpstudio messages``: send the clinic's due messages (reminders, aftercare, recalls)."""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from smpstudio._errors import ClinicError
from smpstudio._settings import Settings
from smpstudio.cli._db import _data_dir_option, _db_option
from smpstudio.cli._group import cli
from smpstudio.clinic import SmsProvider, open_database, send_due_everywhere

__all__: list[str] = []


@cli.group("messages")
def messages_group() -> None:
    """Send the clinic's messages to clients: reminders, aftercare, touch-up recalls."""


@messages_group.command("send-due")
@_db_option
@_data_dir_option
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="Change a setting for this run (smtp_host, smtp_port, smtp_security, smtp_from, "
    "message_retry_minutes …; 'smpstudio settings' lists them).",
)
@click.option(
    "--sms-provider",
    metavar="MODULE:CLASS",
    default=None,
    help="The clinic's SMS gateway adapter, a subclass of smpstudio.clinic.SmsProvider "
    "built without arguments. Without it SMS messages wait in the outbox.",
)
@click.option("--clinic", "clinic_id", type=int, default=None, help="Only this clinic's id.")
def send_due_command(
    db_url: str | None,
    data_dir: Path | None,
    overrides: tuple[str, ...],
    sms_provider: str | None,
    clinic_id: int | None,
) -> None:
    """Send every message due by now, in every clinic (or one); failures are kept and tried
    again at a later run, and every outcome is audited.

    Run it every few minutes (cron, a systemd timer). E-mail goes through the SMTP server of
    the smtp_* settings; with smtp_host empty, e-mail waits in the outbox.
    """
    settings = Settings.from_overrides(overrides)
    sms = _load_provider(sms_provider) if sms_provider else None
    with open_database(db_url, data_dir=data_dir, settings=settings, create=False) as db:
        db.require_current_schema()
        if clinic_id is not None and clinic_id not in {c.id for c in db.clinics()}:
            raise ClinicError(f"no clinic {clinic_id} in this database")
        for name, report in send_due_everywhere(db, sms=sms, clinic_id=clinic_id):
            click.echo(f"{name}: {report}")


def _load_provider(spec: str) -> SmsProvider:
    module_name, _, class_name = spec.partition(":")
    try:
        provider = getattr(importlib.import_module(module_name), class_name)()
    except (ImportError, AttributeError, TypeError, ValueError) as exc:
        raise ClinicError(
            f"--sms-provider {spec!r} is not MODULE:CLASS of an importable SmsProvider "
            f"built without arguments ({type(exc).__name__})"
        ) from None
    if not isinstance(provider, SmsProvider):
        raise ClinicError(f"--sms-provider {spec!r} is not a smpstudio.clinic.SmsProvider")
    return provider
