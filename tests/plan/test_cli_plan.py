"""``smpstudio plan``: three files written atomically, one-line errors, determinism."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import pytest
import vobject
from pypdf import PdfReader

from smpstudio.cli import main

FILES = ("plan.json", "plan.pdf", "aftercare.ics")


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def design_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("design")
    code = main(
        [
            "design",
            "--pattern",
            "norwood-5",
            "--hairline",
            "soft",
            "--seed",
            "7",
            "--out",
            str(folder),
        ]
    )
    assert code == 0
    return folder / "design.json"


def test_plan_writes_json_pdf_and_calendar(
    design_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1769940000")
    args = [
        "plan",
        "--design",
        str(design_file),
        "--start",
        "2026-03-02",
        "--time",
        "10:00",
        "--tz",
        "Europe/London",
        "--rate",
        "4000",
        "--clinic",
        "Example Clinic",
        "--client-name",
        "ZZTESTPATIENT",
    ]
    code, out, err = _run([*args, "--out", str(tmp_path / "a")], capsys)
    assert code == 0, err
    data = json.loads((tmp_path / "a" / "plan.json").read_text())
    assert [s["date"] for s in data["sessions"]] == ["2026-03-02", "2026-03-16", "2026-03-30"]
    assert data["rates"]["body_3rl_per_hour"] == 4000
    assert data["appointment_time"] == "10:00"
    assert data["cost_estimate"]["currency"] == "USD"
    pdf = PdfReader(BytesIO((tmp_path / "a" / "plan.pdf").read_bytes()))
    assert len(pdf.pages) >= 2
    assert pdf.pages[0].images
    ics = (tmp_path / "a" / "aftercare.ics").read_bytes()
    events = vobject.readOne(ics.decode()).vevent_list
    assert all(e.dtstamp.value.timestamp() == 1769940000 for e in events)
    assert b"ZZTESTPATIENT" not in ics
    assert "cost" in out
    assert "touch-up" in out
    assert "wrote" in out
    assert _run([*args, "--out", str(tmp_path / "b")], capsys)[0] == 0
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_trial_fourth_session_and_records(
    design_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(
        [
            "plan",
            "--design",
            str(design_file),
            "--start",
            "2026-03-02",
            "--sessions",
            "4",
            "--trial",
            "--record",
            "1@2026-03-03:body=70,transition=80",
            "--set",
            "aftercare_dry_days=3",
            "--out",
            str(tmp_path),
        ],
        capsys,
    )
    assert code == 0, err
    data = json.loads((tmp_path / "plan.json").read_text())
    statuses = [s["status"] for s in data["sessions"]]
    assert statuses == ["done", "planned", "planned", "planned"]
    assert data["sessions"][0]["date"] == "2026-03-03"
    assert data["sessions"][0]["retention_percent"] == {"body": 70.0, "transition": 80.0}
    assert data["sessions"][1]["redo"] > 0
    assert data["settings"]["aftercare_dry_days"] == 3
    assert "done" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2026-02-30"], "is not a date"),
        (["--start", "02/03/2026"], "YYYY-MM-DD"),
        (["--start", "20260302"], "YYYY-MM-DD"),
        (["--start", "1999-12-31"], "outside 2000–2100"),
        (["--start", "2026-03-02", "--spacing-days", "6"], "too close"),
        (["--start", "2026-03-02", "--spacing-days", "366"], "at most 365"),
        (["--start", "2026-03-02", "--sessions", "2"], "plan 3, or 4"),
        (["--start", "2026-03-02", "--sessions", "5"], "plan 3, or 4"),
        (["--start", "2026-03-02", "--sessions", "x"], "'x' is not a valid integer"),
        (["--start", "2026-03-02", "--rate", "499"], "outside its range"),
        (["--start", "2026-03-02", "--set", "density_full_per_cm2=90"], "shapes the design"),
        (["--start", "2026-03-02", "--set", "colour=red"], "unknown setting"),
        (["--start", "2026-03-02", "--time", "24:00"], "HH:MM"),
        (["--start", "2026-03-02", "--time", "10:00", "--tz", "Mars/Base"], "unknown time zone"),
        (["--start", "2026-03-02", "--tz", "Europe/London"], "needs an appointment time"),
        (["--start", "2026-03-02", "--currency", "EUR"], "in USD, not EUR"),
        (["--start", "2026-03-02", "--price-table", "/nonexistent.json"], "not found"),
        (["--start", "2026-03-02", "--record", "2:body=80"], "record in order"),
        (["--start", "2026-03-02", "--record", "1:body=101"], "percentage 0–100"),
        (["--start", "2026-03-02", "--record", "1:body=lots"], "percentage 0–100"),
        (["--start", "2026-03-02", "--record", "one"], "INDEX[@YYYY-MM-DD]"),
        (
            ["--start", "2026-03-02", "--record", "1:body=80", "--record", "2@2026-03-05:"],
            "only 3 days after",
        ),
        (["--start", "2026-03-02", "--skin", "#12345"], "malformed colour"),
        (["--start", "2026-03-02", "--booked", "0,1"], "session numbers 1–12"),
        (["--start", "2026-03-02", "--booked", "one"], "session numbers 1–12"),
        (["--start", "2026-03-02", "--design", "/nonexistent/design.json"], "does not exist"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    design_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    out_dir = tmp_path / "out"
    design = [] if "--design" in args else ["--design", str(design_file)]
    code, _, err = _run(["plan", *design, *args, "--out", str(out_dir)], capsys)
    assert code == 2, err
    assert err.startswith("error: ")
    assert err.count("\n") == 1
    assert message in err
    assert not out_dir.exists()


def test_a_bad_source_date_epoch_is_refused(
    design_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    code, _, err = _run(
        ["plan", "--design", str(design_file), "--start", "2026-03-02", "--out", str(tmp_path)],
        capsys,
    )
    assert code == 2
    assert "SOURCE_DATE_EPOCH" in err
    assert not any(tmp_path.iterdir())


def test_contact_is_in_the_pdf_and_booked_sessions_are_confirmed(
    design_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(
        [
            "plan",
            "--design",
            str(design_file),
            "--start",
            "2026-03-02",
            "--time",
            "10:00",
            "--clinic",
            "Example Clinic",
            "--contact",
            "Example Clinic on 020 7946 0000",
            "--booked",
            "1,2",
            "--out",
            str(tmp_path),
        ],
        capsys,
    )
    assert code == 0, err
    pdf = PdfReader(BytesIO((tmp_path / "plan.pdf").read_bytes()))
    text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    assert "020 7946 0000" in text
    events = vobject.readOne((tmp_path / "aftercare.ics").read_text()).vevent_list
    appointments = [e for e in events if e.summary.value.startswith("Appointment ")]
    assert [e.status.value for e in appointments] == ["CONFIRMED", "CONFIRMED", "TENTATIVE"]
