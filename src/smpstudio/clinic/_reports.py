"""Clinic reports: one declared list, each report a table aggregated in SQL.

:data:`REPORTS` is the one place a report is declared (datasette-style): its slug, title,
columns, the series its chart draws and the query that fills it. The studio's pages, the
CSV download and the chart all read this list, so adding a report is one entry::

    Report(
        slug="revenue",
        title="Revenue by month",
        description="Payments received, by month.",
        columns=(Column("month", "Month", "month"), Column("revenue", "Revenue", "money")),
        chart=("revenue",),
        query=_revenue,  # (ReportQuery) -> rows, one tuple per row in the order of columns
    )

A query receives a :class:`ReportQuery` (the open session, the clinic, the period, today
by the clinic's clock, and the month buckets) and returns its rows; it aggregates in SQL
(``GROUP BY`` on the clinic's rows in the period, on the indexes of ``_models``) so a
report costs a few queries whatever the number of records. Every report run is an audited
read (``read report <slug>``), in the same transaction as the query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any, Literal, TypeAlias
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    ColumnElement,
    and_,
    case,
    cast,
    exists,
    extract,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from smpstudio._errors import ClinicError, InputError
from smpstudio._money import minor_digits
from smpstudio.clinic._audit import AuditEvent
from smpstudio.clinic._models import (
    Booking,
    Clinic,
    Consultation,
    DesignVersion,
    FollowUp,
    Message,
    NoShow,
    Payment,
    SessionRecord,
)
from smpstudio.clinic._scope import Scope

__all__ = [
    "MAX_REPORT_DAYS",
    "REPORTS",
    "Column",
    "Period",
    "Report",
    "ReportQuery",
    "ReportResult",
    "ReportService",
    "report_by_slug",
]

ColumnKind: TypeAlias = Literal["text", "month", "count", "percent", "money"]
Row: TypeAlias = tuple[Any, ...]

MAX_REPORT_DAYS = 5 * 366
"""The longest period one report covers (five years)."""


@dataclass(frozen=True)
class Column:
    """One column of a report: its key (CSV header), label and kind (how it is shown)."""

    key: str
    label: str
    kind: ColumnKind = "count"


@dataclass(frozen=True)
class Period:
    """The days a report covers, both ends included (clinic-local dates)."""

    start: date
    end: date

    def months(self) -> list[int]:
        """Every month of the period as ``year * 100 + month``, in order."""
        found, year, month = [], self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            found.append(year * 100 + month)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found

    def __str__(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


@dataclass(frozen=True)
class ReportQuery:
    """What a report's query works with: one open session on one clinic's rows."""

    session: Session
    clinic_id: int
    period: Period
    today: date
    timezone: ZoneInfo

    def instant(self, day: date) -> datetime:
        """The UTC instant the clinic-local ``day`` begins."""
        return datetime.combine(day, time(), self.timezone).astimezone(UTC)


@dataclass(frozen=True)
class Report:
    """A declared report: the table's columns, the chart's series and the query."""

    slug: str
    title: str
    description: str
    columns: tuple[Column, ...]
    chart: tuple[str, ...]
    query: Callable[[ReportQuery], Sequence[Row]]
    notes: tuple[str, ...] = field(default=())

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


@dataclass(frozen=True)
class ReportResult:
    """A report run: its rows (tuples in the order of the columns) over a period."""

    report: Report
    period: Period
    today: date
    rows: list[Row]

    def as_dicts(self) -> list[dict[str, Any]]:
        keys = [c.key for c in self.report.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]


def month_label(value: int) -> str:
    """``202606`` → ``2026-06``.

    >>> month_label(203001)
    '2030-01'
    """
    return f"{value // 100:04d}-{value % 100:02d}"


def _year_month(column: Any) -> ColumnElement[int]:
    """``year * 100 + month`` of a date or timestamp column, on both back ends."""
    hundred: ColumnElement[int] = literal_column(
        "100"
    )  # not a bound parameter: GROUP BY repeats the text
    return (extract("year", column) * hundred + extract("month", column)).label("ym")


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _by_month(q: ReportQuery, found: dict[int, Row], empty: Row) -> list[Row]:
    """One row per month of the period; a month without records is ``empty``."""
    return [(month_label(m), *found.get(m, empty)) for m in q.period.months()]


# --- consultations → treatments ---


def _conversion(q: ReportQuery) -> list[Row]:
    c = Consultation
    treated = exists().where(
        SessionRecord.clinic_id == c.clinic_id,
        SessionRecord.patient_id == c.patient_id,
        SessionRecord.performed_on >= c.held_on,
    )
    ym = _year_month(c.held_on)
    query = (
        select(
            ym,
            func.count(func.distinct(c.patient_id)),
            func.count(func.distinct(case((treated, c.patient_id)))),
        )
        .where(c.clinic_id == q.clinic_id, c.held_on >= q.period.start, c.held_on <= q.period.end)
        .group_by(ym)
    )
    found = {
        int(m): (int(n), int(t), _percent(int(t), int(n))) for m, n, t in q.session.execute(query)
    }
    return _by_month(q, found, (0, 0, None))


# --- no-shows ---


def _no_shows(q: ReportQuery) -> list[Row]:
    b, n = Booking, NoShow
    ym = _year_month(b.local_day)
    marked = n.id.is_not(None)  # marked a no-show (late cancellation included): cancelled
    done = func.sum(case((b.status == "done", 1), else_=0))
    missed = func.sum(
        case((marked, 1), (and_(b.status == "booked", b.local_day < q.today), 1), else_=0)
    )
    cancelled = func.sum(case((and_(b.status == "cancelled", n.id.is_(None)), 1), else_=0))
    query = (
        select(ym, done, missed, cancelled)
        .select_from(b)
        .outerjoin(n, and_(n.clinic_id == b.clinic_id, n.booking_id == b.id))
        .where(
            b.clinic_id == q.clinic_id,
            b.local_day >= q.period.start,
            b.local_day <= q.period.end,
        )
        .group_by(ym)
    )
    found = {}
    for m, d, x, c in q.session.execute(query):
        d, x, c = int(d or 0), int(x or 0), int(c or 0)
        found[int(m)] = (d, x, c, _percent(x, d + x))
    return _by_month(q, found, (0, 0, 0, None))


# --- touch-ups due ---


def _touch_ups(q: ReportQuery) -> list[Row]:
    m = Message
    start, end = q.instant(q.period.start), q.instant(q.period.end + timedelta(days=1))
    recall_ym = _year_month(m.due_at)
    recalls = (
        select(recall_ym, func.count(func.distinct(m.patient_id)))
        .where(
            m.clinic_id == q.clinic_id,
            m.kind == "touch_up_recall",
            m.status != "cancelled",
            m.due_at >= start,
            m.due_at < end,
        )
        .group_by(recall_ym)
    )
    f = FollowUp
    follow_ym = _year_month(f.due_on)
    follow_ups = (
        select(
            follow_ym,
            func.count(),
            func.sum(case((f.done_on.is_not(None), 1), else_=0)),
            func.sum(case((and_(f.done_on.is_(None), f.due_on < q.today), 1), else_=0)),
        )
        .where(
            f.clinic_id == q.clinic_id,
            f.kind == "touch-up",
            f.due_on >= q.period.start,
            f.due_on <= q.period.end,
        )
        .group_by(follow_ym)
    )
    due = {int(month): int(n) for month, n in q.session.execute(recalls)}
    reviews = {
        int(month): (int(n), int(d or 0), int(o or 0))
        for month, n, d, o in q.session.execute(follow_ups)
    }
    found = {
        month: (due.get(month, 0), *reviews.get(month, (0, 0, 0)))
        for month in due.keys() | reviews.keys()
    }
    return _by_month(q, found, (0, 0, 0, 0))


# --- retention by Monk tone ---

NOT_RECORDED = "not recorded"


@cache
def _monk_of(skin: str | None) -> int | None:
    """The Monk tone of a design's recorded skin colour (None when there is none)."""
    if not skin:
        return None
    from smpstudio.colour import skin_tone

    try:
        return int(skin_tone(skin).monk)
    except (InputError, ValueError, TypeError):
        return None


def _retention(q: ReportQuery) -> list[Row]:
    s = SessionRecord
    cohort = (
        select(
            s.patient_id.label("patient_id"),
            func.count().label("sessions"),
        )
        .where(s.clinic_id == q.clinic_id)
        .group_by(s.patient_id)
        .having(func.min(s.performed_on) >= q.period.start)
        .having(func.min(s.performed_on) <= q.period.end)
        .subquery()
    )
    d = DesignVersion
    latest = (
        select(d.patient_id.label("patient_id"), func.max(d.version).label("version"))
        .where(d.clinic_id == q.clinic_id)
        .group_by(d.patient_id)
        .subquery()
    )
    # PostgreSQL reads the text as JSON by a cast; SQLite's JSON functions read text as is
    # (a CAST there would give the text numeric affinity).
    postgres = q.session.get_bind().dialect.name == "postgresql"
    document = cast(d.content, JSON) if postgres else type_coerce(d.content, JSON)
    skin = document[("studio", "skin")].as_string().label("skin")
    touched_up = exists().where(
        FollowUp.clinic_id == q.clinic_id,
        FollowUp.patient_id == cohort.c.patient_id,
        FollowUp.kind == "touch-up",
        FollowUp.done_on.is_not(None),
    )
    query = (
        select(
            skin,
            func.count(),
            func.sum(case((cohort.c.sessions >= 2, 1), else_=0)),
            func.sum(case((cohort.c.sessions >= 3, 1), else_=0)),
            func.sum(case((touched_up, 1), else_=0)),
        )
        .select_from(cohort)
        .outerjoin(latest, latest.c.patient_id == cohort.c.patient_id)
        .outerjoin(
            d,
            and_(
                d.clinic_id == q.clinic_id,
                d.patient_id == latest.c.patient_id,
                d.version == latest.c.version,
            ),
        )
        .group_by(literal_column("skin"))  # by its name: the path is a bound parameter
    )
    totals: dict[int | None, list[int]] = {}
    for skin_value, n, second, third, touch in q.session.execute(query):
        tone = _monk_of(skin_value)
        acc = totals.setdefault(tone, [0, 0, 0, 0])
        for i, value in enumerate((n, second, third, touch)):
            acc[i] += int(value or 0)
    rows: list[Row] = []
    for tone in [*range(1, 11), None]:
        n, second, third, touch = totals.get(tone, [0, 0, 0, 0])
        if tone is None and n == 0:
            continue
        label = f"Monk {tone}" if tone is not None else NOT_RECORDED
        rows.append(
            (
                label,
                n,
                second,
                _percent(second, n),
                third,
                _percent(third, n),
                touch,
                _percent(touch, n),
            )
        )
    return rows


# --- revenue ---


def _revenue(q: ReportQuery) -> list[Row]:
    """Payments and refunds recorded in each clinic-local month, in the clinic's currency
    (major units; the ledger keeps minor units)."""
    clinic = q.session.get(Clinic, q.clinic_id)
    currency = clinic.currency if clinic is not None and clinic.currency else "USD"
    scale = 10 ** minor_digits(currency)
    rows = q.session.execute(
        select(Payment.created_at, Payment.kind, Payment.amount).where(
            Payment.clinic_id == q.clinic_id,
            Payment.created_at >= q.instant(q.period.start),
            Payment.created_at < q.instant(q.period.end + timedelta(days=1)),
        )
    ).all()
    totals: dict[int, list[int]] = {}
    for at, kind, amount in rows:
        local = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(q.timezone)
        t = totals.setdefault(local.year * 100 + local.month, [0, 0, 0])
        t[0 if kind == "payment" else 1] += int(amount)
        t[2] += 1
    found: dict[int, Row] = {
        m: (paid / scale, refunded / scale, (paid - refunded) / scale, n)
        for m, (paid, refunded, n) in totals.items()
    }
    return _by_month(q, found, (0.0, 0.0, 0.0, 0))


_MONTH = Column("month", "Month", "month")

REPORTS: tuple[Report, ...] = (
    Report(
        slug="conversion",
        title="Consultations → treatments",
        description=(
            "Clients consulted in each month, and how many of them had a session recorded "
            "on or after the consultation."
        ),
        columns=(
            _MONTH,
            Column("consulted", "Clients consulted"),
            Column("treated", "Went on to treatment"),
            Column("conversion_percent", "Conversion", "percent"),
        ),
        chart=("consulted", "treated"),
        query=_conversion,
        notes=("A client consulted twice in one month counts once.",),
    ),
    Report(
        slug="no-shows",
        title="No-shows",
        description=(
            "Booked sessions by the month of their day: held (a session was recorded for "
            "the booking), no-shows (marked as such — a late cancellation included — or the "
            "day has passed and no session was recorded) and cancelled."
        ),
        columns=(
            _MONTH,
            Column("held", "Held"),
            Column("no_shows", "No-shows"),
            Column("cancelled", "Cancelled"),
            Column("no_show_percent", "No-show rate", "percent"),
        ),
        chart=("held", "no_shows", "cancelled"),
        query=_no_shows,
        notes=("The no-show rate is no-shows out of held and no-shows.",),
    ),
    Report(
        slug="touch-ups",
        title="Touch-ups due",
        description=(
            "Clients whose touch-up recall falls in each month (the plan's touch-up date, "
            "queued when the course's last session is recorded), and the touch-up "
            "follow-ups due: done, and overdue (not done, day passed)."
        ),
        columns=(
            _MONTH,
            Column("recalls_due", "Clients due a touch-up"),
            Column("follow_ups_due", "Touch-up follow-ups"),
            Column("follow_ups_done", "Done"),
            Column("follow_ups_overdue", "Overdue"),
        ),
        chart=("recalls_due", "follow_ups_due", "follow_ups_done"),
        query=_touch_ups,
        notes=(
            "A recall counts in the month of its due time in UTC (9:00 at the clinic): far "
            "from UTC, a recall due on the 1st can count in the month before.",
        ),
    ),
    Report(
        slug="retention",
        title="Retention by Monk tone",
        description=(
            "Clients whose first session falls in the period, by the Monk tone recorded for "
            "them (the skin colour of their latest design), and how many came back for a "
            "second session, a third, and a touch-up (a touch-up follow-up marked done)."
        ),
        columns=(
            Column("monk_tone", "Monk tone", "text"),
            Column("clients", "Clients"),
            Column("second_session", "Came back for session 2"),
            Column("second_percent", "Session 2 rate", "percent"),
            Column("third_session", "Came back for session 3"),
            Column("third_percent", "Session 3 rate", "percent"),
            Column("touch_up", "Came back for a touch-up"),
            Column("touch_up_percent", "Touch-up rate", "percent"),
        ),
        chart=("second_percent", "third_percent", "touch_up_percent"),
        query=_retention,
        notes=(f"Clients without a design that records their skin are '{NOT_RECORDED}'.",),
    ),
    Report(
        slug="revenue",
        title="Revenue by month",
        description=(
            "Payments and refunds recorded in each month (card, cash and transfer), and what "
            "the clinic kept, in the clinic's currency."
        ),
        columns=(
            _MONTH,
            Column("payments", "Payments", "money"),
            Column("refunds", "Refunds", "money"),
            Column("net", "Net", "money"),
            Column("entries", "Entries"),
        ),
        chart=("payments", "refunds"),
        query=_revenue,
        notes=("Months are the clinic's own (its time zone), by the day a payment was recorded.",),
    ),
)
"""Every report of the studio, in the order the reports page lists them."""


def report_by_slug(slug: str) -> Report:
    """The declared report ``slug``, or :class:`ClinicError` naming the reports there are."""
    for report in REPORTS:
        if report.slug == slug:
            return report
    known = ", ".join(r.slug for r in REPORTS)
    raise ClinicError(f"no report {slug!r}: the reports are {known}")


def _day(value: date | str | None, what: str) -> date | None:
    """A day of a report's period: a date, an ISO date text, or None (empty: the default)."""
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    elif value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    raise ClinicError(f"the {what} of a report must be a date like 2030-01-31")


def default_period(today: date) -> Period:
    """The twelve months ending today: the first day of the month eleven months ago on."""
    year, month = today.year, today.month - 11
    if month < 1:
        year, month = year - 1, month + 12
    return Period(date(year, month, 1), today)


class ReportService(Scope):
    """Reports over the clinic's records (each run an audited read)."""

    def report(
        self, slug: str, *, start: date | None = None, end: date | None = None
    ) -> ReportResult:
        """Run the declared report ``slug`` over ``start``–``end`` (clinic-local days, both
        included; default: the twelve months ending today)."""
        with self._unit("read", "report") as s:
            report = report_by_slug(slug)
            today = self.today()
            period = self._period(start, end, today)
            query = ReportQuery(s, self.clinic_id, period, today, self.timezone)
            rows = [tuple(row) for row in report.query(query)]
            self._log(s, AuditEvent("read", "report", report.slug, detail=str(period)))
            return ReportResult(report, period, today, rows)

    @staticmethod
    def _period(start: date | str | None, end: date | str | None, today: date) -> Period:
        default = default_period(today)
        start, end = _day(start, "start"), _day(end, "end")
        period = Period(start or default.start, end or default.end)
        if period.start > period.end:
            raise ClinicError(
                f"the report starts on {period.start.isoformat()}, after it ends on "
                f"{period.end.isoformat()}: choose a start on or before the end"
            )
        if (period.end - period.start).days >= MAX_REPORT_DAYS:
            raise ClinicError("a report covers at most five years: choose a shorter period")
        return period
