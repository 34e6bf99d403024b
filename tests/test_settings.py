"""The one declared list of settings: documented, validated, overridable."""

from __future__ import annotations

from pathlib import Path

import pytest

from smpstudio import SettingError, Settings
from smpstudio._settings import parse_session_fractions, setting_specs, settings_markdown

DOCS = Path(__file__).resolve().parents[1] / "docs" / "settings.md"


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text()
    missing = [spec.name for spec in setting_specs() if f"`{spec.name}`" not in text]
    assert not missing, f"document these settings in docs/settings.md: {missing}"
    assert settings_markdown() in text, "regenerate the table: smpstudio settings --markdown"


def test_overrides_are_typed_and_ranged() -> None:
    s = Settings.from_overrides(["density_full_per_cm2=100", "scar_overfill=2"])
    assert s.density_full_per_cm2 == 100.0
    assert s.scar_overfill == 2.0
    with pytest.raises(SettingError, match="outside its range 20–150"):
        Settings.from_overrides(["density_full_per_cm2=150.5"])
    with pytest.raises(SettingError, match="needs a number"):
        Settings.from_overrides(["density_full_per_cm2=lots"])
    with pytest.raises(SettingError, match="NAME=VALUE"):
        Settings.from_overrides(["density_full_per_cm2"])
    with pytest.raises(SettingError, match="lower than coverage_hair_from"):
        Settings.from_overrides({"coverage_bald_below": 0.5, "coverage_hair_from": 0.5})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("standard", (0.6, 0.9, 1.0)),
        ("LIU-2025", (0.3, 0.7, 1.0)),
        ("0.5,1", (0.5, 1.0)),
        ("0.4,0.6,0.8,1.0", (0.4, 0.6, 0.8, 1.0)),
    ],
)
def test_session_plans(text: str, expected: tuple[float, ...]) -> None:
    assert parse_session_fractions(text) == expected


@pytest.mark.parametrize(
    "text", ["0.6,0.9", "0.9,0.6,1", "0,1", "a,b", "0.1,0.2,0.3,0.4,0.5,0.6,1", "nan,1"]
)
def test_bad_session_plans(text: str) -> None:
    with pytest.raises(SettingError):
        parse_session_fractions(text)
