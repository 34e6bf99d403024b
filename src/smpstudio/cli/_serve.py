"""``smpstudio serve``: the web studio and the clinic's public site."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from smpstudio._settings import Settings
from smpstudio.cli._common import stdout_console
from smpstudio.cli._db import _data_dir_option, _database, _db_option
from smpstudio.cli._group import cli
from smpstudio.clinic import Accounts, Database

__all__: list[str] = []

_DEFAULT_CLINIC = "My SMP clinic"
_DEFAULT_EMAIL = "owner@clinic.example"


def _local_zone() -> str:
    try:
        name = Path("/etc/timezone").read_text(encoding="utf-8").strip()
    except OSError:
        name = ""
    return name or "UTC"


@cli.command("serve")
@_db_option
@_data_dir_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--clinic", "clinic_name", default=None, help="First run: the clinic's name.")
@click.option("--timezone", default=None, help="First run: the clinic's time zone (IANA).")
@click.option("--owner-name", default=None, help="First run: the owner's name.")
@click.option("--owner-email", default=None, help="First run: the owner's e-mail address.")
@click.option("--address", "clinic_address", default="", help="Shown on the contact page.")
@click.option("--phone", "clinic_phone", default="", help="Shown on the contact page.")
@click.option("--email", "clinic_email", default="", help="Shown on the contact page.")
@click.option(
    "--insecure-http",
    is_flag=True,
    help="Sign in over plain HTTP (cookies without Secure): only on a trusted local network; "
    "anywhere else put a TLS proxy in front.",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    metavar="ADDRESS",
    help="Address or network of a reverse proxy in front of the studio (repeatable): only "
    "for requests from it is X-Forwarded-For believed (the client's address for limits).",
)
@click.option(
    "--send-messages-every",
    "message_every_minutes",
    type=click.FloatRange(0, 1440),
    default=0,
    show_default=True,
    metavar="MINUTES",
    help="Send the clinic's due messages (reminders, aftercare, recalls) this often; 0 leaves "
    "it to 'smpstudio messages send-due' run by cron or a timer.",
)
@click.option(
    "--portal-url",
    default="",
    metavar="URL",
    help="The studio's public address (https://clinic.example) for the client portal's "
    "e-mailed sign-in links; without it a link uses the address the request came to.",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="Change a setting (smtp_host, smtp_from, … for the messages; 'smpstudio settings').",
)
def serve_command(
    db_url: str | None,
    data_dir: Path | None,
    host: str,
    port: int,
    clinic_name: str | None,
    timezone: str | None,
    owner_name: str | None,
    owner_email: str | None,
    clinic_address: str,
    clinic_phone: str,
    clinic_email: str,
    insecure_http: bool,
    trusted_proxies: tuple[str, ...],
    message_every_minutes: float,
    portal_url: str,
    overrides: tuple[str, ...],
) -> None:
    """Run the web studio (staff) and the clinic's site on HOST:PORT.

    The database is created or migrated first. On the first run the clinic and its owner
    account are created: asked for at a terminal, otherwise from the options, with a
    one-time password printed once (the owner chooses their own at the first sign-in).
    """
    import uvicorn

    from smpstudio.web import WebConfig, create_app

    out = stdout_console()
    if portal_url and not portal_url.startswith(("https://", "http://")):
        raise click.BadParameter("give the address with https://", param_hint="--portal-url")
    proxies = _networks(trusted_proxies)
    settings = Settings.from_overrides(overrides)
    with _database(db_url, data_dir, create=True, settings=settings) as db:
        db.upgrade()
        accounts = Accounts(db)
        if accounts.user_count() == 0:
            _first_run(db, accounts, clinic_name, timezone, owner_name, owner_email)
        config = WebConfig(
            clinic_address=clinic_address,
            clinic_phone=clinic_phone,
            clinic_email=clinic_email,
            trusted_proxies=proxies,
            secure_cookies=not insecure_http,
            message_every_minutes=message_every_minutes,
            portal_url=portal_url,
        )
        app = create_app(db, accounts=accounts, config=config)
        if insecure_http:
            out.print(
                "note: --insecure-http: sign-ins travel unencrypted; use it only on a "
                "trusted local network"
            )
        elif host not in ("127.0.0.1", "localhost", "::1"):
            out.print(
                "note: browsers only keep the sign-in cookie over HTTPS: put a TLS proxy in "
                "front of this address (--trusted-proxy ADDRESS), or on a trusted local "
                "network use --insecure-http"
            )
        out.print(f"studio:  http://{host}:{port}/studio   site: http://{host}:{port}/")
        uvicorn.run(
            app, host=host, port=port, log_level="info", server_header=False, proxy_headers=False
        )


def _networks(entries: tuple[str, ...]) -> tuple[str, ...]:
    import ipaddress

    for entry in entries:
        try:
            ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            raise click.BadParameter(
                f"{entry!r} is not an IP address or network (e.g. 127.0.0.1 or 10.0.0.0/8)",
                param_hint="--trusted-proxy",
            ) from None
    return tuple(e.strip() for e in entries)


def _first_run(
    db: Database,
    accounts: Accounts,
    clinic_name: str | None,
    timezone: str | None,
    owner_name: str | None,
    owner_email: str | None,
) -> None:
    from smpstudio.web._defaults import publish_default_consent_forms

    out = stdout_console()
    interactive = sys.stdin.isatty() and owner_email is None
    password: str | None = None
    if interactive:
        out.print("First run: create the clinic and its owner account.")
        clinic_name = click.prompt("Clinic name", default=clinic_name or _DEFAULT_CLINIC)
        timezone = click.prompt("Time zone", default=timezone or _local_zone())
        owner_name = click.prompt("Your name", default=owner_name or "Owner")
        owner_email = click.prompt("Your e-mail address")
        typed = click.prompt(
            "Password (empty: print a one-time password)",
            default="",
            hide_input=True,
            confirmation_prompt=True,
            show_default=False,
        )
        password = typed or None
    clinic, user, temporary = accounts.create_first_owner(
        clinic_name=clinic_name or _DEFAULT_CLINIC,
        timezone=timezone or _local_zone(),
        full_name=owner_name or "Owner",
        email=owner_email or _DEFAULT_EMAIL,
        password=password,
    )
    publish_default_consent_forms(db.clinic(clinic.id, actor=f"user:{user.id}"))
    out.print(f"first run: created the clinic {clinic.name!r} ({clinic.timezone}) and its owner")
    out.print(f"  e-mail    {user.email}")
    if temporary is not None:
        out.print(f"  password  {temporary}   (shown once; choose your own at the first sign-in)")
