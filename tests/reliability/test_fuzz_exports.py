"""Fuzz: CSV and iCalendar exports (issue 9, item 1).

``dots.csv``: any impressions (negative, tiny and large coordinates, every zone and needle)
read back with the csv module give the same values, one row per dot, and a cell that starts
with a spreadsheet formula character (=, +, -, @, tab, CR) is always a plain number
(a negative coordinate), never text a spreadsheet would run. smpstudio writes no other CSV
(the clinic's records are exported as a database backup, not as CSV), so names and notes
never reach a CSV file.

``aftercare.ics``: clinic and client names with commas, semicolons, quotes, backslashes,
CR / LF, control characters, formula prefixes and any unicode give a file whose lines are
all at most 75 octets and end in CRLF, which vobject (an independent parser) reads back with
the same names.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import unicodedata

import numpy as np
import vobject
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from smpstudio.density import ZONES
from smpstudio.dots import CSV_HEADER, Impressions, impressions_csv
from smpstudio.dots._engine import NEEDLES
from smpstudio.reports import plan_ics
from tests.plan.cases import plan_of

from ._fuzz import budget

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ISSUED = dt.datetime(2026, 2, 1, 9, 30, tzinfo=dt.UTC)


@st.composite
def impressions(draw: st.DrawFn) -> Impressions:
    n = draw(st.integers(0, 40))
    coords = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
    return Impressions(
        positions=draw(hnp.arrays(np.float64, (n, 3), elements=coords)),
        session=draw(hnp.arrays(np.int64, n, elements=st.integers(1, 5))),
        zone=draw(hnp.arrays(np.int64, n, elements=st.integers(0, len(ZONES) - 1))),
        diameter_mm=draw(hnp.arrays(np.float64, n, elements=st.floats(0.01, 2.0))),
        needle=draw(hnp.arrays(np.int64, n, elements=st.integers(0, len(NEEDLES) - 1))),
        dilution=draw(hnp.arrays(np.float64, n, elements=st.floats(0, 40))),
        tone=np.ones(n),
        target=np.full(n, 80.0),
        ident=np.arange(n),
        sessions=5,
    )


@budget(50)
@given(dots=impressions())
def test_dots_csv_reads_back_and_never_starts_a_formula(dots: Impressions) -> None:
    text = impressions_csv(dots)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert ",".join(rows[0]) == CSV_HEADER
    assert len(rows) == len(dots) + 1
    for k, row in enumerate(rows[1:]):
        assert len(row) == 8
        for cell in row:
            if cell.startswith(FORMULA_START):
                assert re.fullmatch(r"-\d+(\.\d+)?", cell), cell  # a negative number
        x, y, z = (float(v) for v in row[:3])
        # three decimals: at most half a unit of the last place away, a tie (0.0625) included
        assert np.allclose([x, y, z], dots.positions[k], atol=5e-4 + 1e-12, rtol=0)
        assert int(row[3]) == dots.session[k]
        assert row[4] == ZONES[dots.zone[k]]
        # three decimals, ties to even: 0.0625 is written 0.062 (half a unit, plus float error)
        assert math.isclose(float(row[5]), dots.diameter_mm[k], abs_tol=5e-4 + 1e-12)
        assert row[6] == NEEDLES[dots.needle[k]]
        assert math.isclose(float(row[7]), dots.dilution[k], rel_tol=1e-5, abs_tol=1e-5)


NAMES = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=120),
    st.sampled_from(
        [
            'Soho, London; "SMP" \\ Studio',
            '=HYPERLINK("http://evil")',
            "+1 555",
            "-2",
            "@SUM(A1)",
            "line one\r\nline two\rthree\nfour",
            "Zoë 🧑‍🦲 Łódź 東京 " * 8,
            "tab\there\x0bvt\x00nul\x1fus\x7fdel",
            "ends with a backslash \\",
            "x" * 300,
        ]
    ),
)


def _unfolded_values(ics: bytes) -> None:
    text = ics.decode("utf-8")
    assert text.endswith("\r\n")
    lines = text.split("\r\n")[:-1]
    for line in lines:
        assert "\r" not in line, line
        assert "\n" not in line, line
        assert len(line.encode("utf-8")) <= 75, line


@budget(30)
@given(clinic=NAMES, client=NAMES)
@example(clinic="tab\there\x0bvt\x00nul\x1fus\x7fdel", client="line one\r\nline two")
@example(clinic="a\nb", client="x")  # was: AssertionError from icalendar (unescaped new line)
@example(clinic="a\rb", client="x")  # was: a file vobject could not read
@example(clinic=" \r\n ", client="\x00")
def test_aftercare_ics_lines_and_round_trip(clinic: str, client: str) -> None:
    plan = plan_of()
    ics = plan_ics(plan, issued=ISSUED, clinic=clinic, client_name=client, name_in_events=True)
    _unfolded_values(ics)
    calendar = vobject.readOne(ics.decode("utf-8"))
    events = list(calendar.vevent_list)
    assert len(events) == len(plan.sessions) + len(plan.aftercare) + 1
    first = next(e for e in events if e.summary.value.startswith("Appointment 1 "))
    shown_clinic, shown_client = _shown(clinic), _shown(client)
    title = f"Appointment 1 of {len(plan.sessions)}"
    if shown_clinic:
        assert first.location.value == shown_clinic
        title += f" – {shown_clinic}"
    else:
        assert not hasattr(first, "location")
    if shown_client:
        title += f" – {shown_client}"
    assert first.summary.value == title


def _shown(value: str) -> str:
    """A name as the calendar shows it: one line, no control characters."""
    return "".join(c for c in " ".join(value.split()) if unicodedata.category(c) != "Cc")
