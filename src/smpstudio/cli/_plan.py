"""``smpstudio plan``: the treatment plan of a design as plan.json, plan.pdf and aftercare.ics."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from smpstudio._clock import Clock
from smpstudio._design import Design, load_design
from smpstudio._errors import PlanError
from smpstudio._settings import Settings, setting_specs
from smpstudio.cli._common import PathType, stderr_console, stdout_console, write_atomically
from smpstudio.cli._dots import colour_options, place
from smpstudio.cli._group import cli
from smpstudio.colour import load_dilution_table
from smpstudio.plan import Plan, build_plan, load_price_table, record_session
from smpstudio.render import look_for
from smpstudio.reports import plan_files

__all__ = ["issued_now", "parse_day", "parse_record", "plan_files"]

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_RECORD = re.compile(r"^(\d+)(?:@([^:]+))?:(.*)$")
_PLAN_PREFIXES = ("plan_", "aftercare_", "session_spacing_", "session_min_", "session_max_")


def parse_day(text: str, what: str) -> dt.date:
    """A date written YYYY-MM-DD.

    >>> parse_day("2026-03-02", "--start")
    datetime.date(2026, 3, 2)
    """
    try:
        if not _DAY.match(text.strip()):
            raise ValueError
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise PlanError(
            f"{what} {text!r} is not a date: write it YYYY-MM-DD, e.g. 2026-03-02"
        ) from None


def parse_record(text: str) -> tuple[int, dt.date | None, dict[str, float]]:
    """``INDEX[@YYYY-MM-DD]:ZONE=PERCENT,…`` → (index, date, retention).

    >>> parse_record("1@2026-03-03:body=80,transition=90")
    (1, datetime.date(2026, 3, 3), {'body': 80.0, 'transition': 90.0})
    """
    match = _RECORD.match(text.strip())
    if not match:
        raise PlanError(
            f"--record {text!r} must be INDEX[@YYYY-MM-DD]:ZONE=PERCENT,…, e.g. 1:body=85"
        )
    index, day, rest = match.groups()
    retention: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        zone, sep, value = item.partition("=")
        try:
            retention[zone.strip()] = float(value) if sep else float("nan")
        except ValueError:
            retention[zone.strip()] = float("nan")
    when = parse_day(day, "--record date") if day else None
    return int(index), when, retention


def issued_now() -> dt.datetime:
    """SOURCE_DATE_EPOCH when set (reproducible builds), else the clock's time, in UTC."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None:
        return Clock.from_env().now().replace(microsecond=0)
    try:
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise PlanError(f"SOURCE_DATE_EPOCH={epoch!r} must be whole seconds since 1970") from None


def _settings(
    d: Design, overrides: tuple[str, ...], rate: float | None, fine: float | None
) -> Settings:
    known = {spec.name for spec in setting_specs()}
    pairs: dict[str, Any] = {}
    for item in overrides:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep:
            raise PlanError(f"--set {item!r} is not NAME=VALUE")
        if name in known and not name.startswith(_PLAN_PREFIXES):
            raise PlanError(
                f"setting {name} shapes the design, not the plan: design again with "
                f"'smpstudio design --set {name}=…'"
            )
        pairs[name] = value.strip()
    if rate is not None:
        pairs["plan_rate_body_per_hour"] = rate
    if fine is not None:
        pairs["plan_rate_fine_per_hour"] = fine
    return Settings.from_overrides(pairs, base=d.settings)


def _time(text: str | None) -> dt.time | None:
    if text is None:
        return None
    if not _TIME.match(text.strip()):
        raise PlanError(f"--time {text!r} is not a time of day: write it HH:MM, e.g. 09:30")
    return dt.time.fromisoformat(text.strip())


@cli.command("plan")
@click.option(
    "--design",
    "design_path",
    required=True,
    type=PathType(dir_okay=False, path_type=Path),
    help="design.json written by 'smpstudio design' or 'smpstudio dots'.",
)
@click.option("--start", required=True, metavar="YYYY-MM-DD", help="Date of the first session.")
@click.option(
    "--sessions",
    type=int,
    default=None,
    metavar="N",
    help="The design's session count (default), or one more for scars, alopecia or difficult skin.",
)
@click.option(
    "--trial",
    is_flag=True,
    help="Start with one session and see: later sessions stay provisional.",
)
@click.option(
    "--spacing-days",
    type=float,
    default=None,
    metavar="DAYS",
    help="Days between sessions (setting session_spacing_days; at least 7).",
)
@click.option(
    "--rate",
    type=float,
    default=None,
    metavar="N",
    help="Impressions an hour with the 3RL needle (setting plan_rate_body_per_hour).",
)
@click.option(
    "--fine-rate",
    type=float,
    default=None,
    metavar="N",
    help="Impressions an hour with the 1RL needle (setting plan_rate_fine_per_hour).",
)
@click.option("--time", "start_time", default=None, metavar="HH:MM", help="Appointment time.")
@click.option(
    "--tz", "timezone", default=None, metavar="ZONE", help="Time zone, e.g. Europe/London."
)
@colour_options
@click.option(
    "--price-table",
    type=PathType(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="The clinic's price table (JSON, see docs/plan.md).",
)
@click.option(
    "--currency", default=None, metavar="CODE", help="Currency of the price table (checked)."
)
@click.option("--clinic", default=None, metavar="NAME", help="Clinic name for the documents.")
@click.option(
    "--contact",
    default=None,
    metavar="TEXT",
    help="Whom the client calls with a question or a sign of infection, e.g. "
    "'Example Clinic on 020 7946 0000' (default: the clinic name).",
)
@click.option(
    "--booked",
    default="",
    metavar="N,N",
    callback=lambda _ctx, _param, value: _booked(value),
    help="Sessions already booked (e.g. 1,2): CONFIRMED in aftercare.ics; the rest TENTATIVE.",
)
@click.option(
    "--client-name",
    default=None,
    metavar="NAME",
    help="Printed on the PDF only (never in its metadata or the calendar).",
)
@click.option(
    "--reference",
    default="",
    metavar="TEXT",
    help="Case reference mixed into the calendar UIDs (never printed).",
)
@click.option(
    "--record",
    "records",
    multiple=True,
    metavar="N[@DATE]:ZONE=PCT,…",
    help="Record how session N held (percent kept per zone) and re-plan; repeatable, in order.",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="Change a plan setting (plan_*, aftercare_*, session_*), repeatable.",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=PathType(file_okay=False, path_type=Path),
    help="Folder for plan.json, plan.pdf and aftercare.ics.",
)
def plan_command(
    design_path: Path,
    start: str,
    out_dir: Path,
    skin: str,
    hair: str,
    dilution_table: Path | None,
    **params: Any,
) -> None:
    """Plan the treatment of a design: sessions, dates, time, cost, aftercare, touch-up.

    Writes DIR/plan.json, DIR/plan.pdf and DIR/aftercare.ics.
    """
    first = parse_day(start, "--start")
    when = _time(params["start_time"])
    records = [parse_record(text) for text in params["records"]]
    issued = issued_now()
    err = stderr_console()
    with err.status("reading the design…"):
        d = load_design(design_path)
        settings = _settings(d, params["overrides"], params["rate"], params["fine_rate"])
        prices = load_price_table(params["price_table"])
    with err.status("placing impressions…"):
        impressions = place(d, skin, hair, dilution_table)
        shades = load_dilution_table(dilution_table).shades_ml_water
    plan = build_plan(
        d,
        impressions,
        start=first,
        skin=skin,
        hair=hair,
        sessions=params["sessions"],
        trial=params["trial"],
        spacing_days=params["spacing_days"],
        settings=settings,
        price_table=prices,
        currency=params["currency"],
        shades=shades,
        time=when,
        timezone=params["timezone"],
        reference=params["reference"],
    )
    for index, day, retention in records:
        plan = record_session(plan, index=index, retention=retention, date=day)
    with err.status("writing the plan, PDF and calendar…"):
        files = plan_files(
            d,
            plan,
            issued=issued,
            clinic=params["clinic"],
            client_name=params["client_name"],
            contact=params["contact"],
            booked=params["booked"],
            look=look_for(skin, hair),
        )
    written = write_atomically(out_dir, files)
    print_plan(plan)
    for path in written:
        stdout_console().print(f"wrote {path}")


def print_plan(plan: Plan) -> None:
    """Sessions, cost, comparison and touch-up of a plan."""
    out = stdout_console()
    table = Table(
        "#", "date", "stage", "impressions", "estimate", "booked", "shades (mL)", "status"
    )
    for s in plan.sessions:
        stage = f"{s.stage}" + (f" ({s.part}/{s.parts})" if s.parts > 1 else "")
        shades = ", ".join(f"{ml:g}" for ml in s.dilutions)
        table.add_row(
            str(s.index),
            s.date.isoformat(),
            stage,
            f"{s.impressions:,}",
            f"{s.duration_h:.1f} h",
            f"{s.booked_h:g} h",
            shades,
            s.status,
        )
    out.print(table)
    c = plan.cost
    out.print(f"cost      {c.currency} {c.low:,.0f}–{c.high:,.0f} ({c.band})")
    if plan.transplant is not None:
        t = plan.transplant
        out.print(
            f"transplant {t.currency} {t.low:,.0f}–{t.high:,.0f} "
            f"({t.grafts_low:,}–{t.grafts_high:,} grafts, {t.norwood})"
        )
    out.print(f"touch-up  {plan.touch_up.date.isoformat()} ({plan.touch_up.years:.1f} years)")
    for note in plan.notes:
        out.print(f"note: {note}")
    for warning in plan.warnings:
        out.print(f"warning: {warning}")


def _booked(text: str) -> frozenset[int]:
    """``--booked 1,2``: session numbers, or a usage error naming the option."""
    numbers = [part.strip() for part in text.split(",") if part.strip()]
    if not all(n.isdigit() and 1 <= int(n) <= 12 for n in numbers):
        raise click.BadParameter(
            f"{text!r}: give session numbers 1–12 separated by commas, e.g. --booked 1,2",
            param_hint="--booked",
        )
    return frozenset(int(n) for n in numbers)
