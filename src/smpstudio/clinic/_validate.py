"""Checks of values typed by people: one-line :class:`ClinicError` messages."""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Collection, Mapping
from datetime import date, datetime
from typing import Any

from smpstudio._errors import ClinicError

__all__ = [
    "check_aware",
    "check_choice",
    "check_date",
    "check_email",
    "check_int",
    "check_number",
    "check_phone",
    "check_text",
    "json_object",
]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{5,40}$")


def check_text(value: object, field: str, *, max_len: int, required: bool = True) -> str:
    """A stripped single-line text of at most ``max_len`` characters.

    >>> check_text("  Alex  ", "name", max_len=10)
    'Alex'
    """
    if not isinstance(value, str):
        raise ClinicError(f"{field} must be text")
    text = value.strip()
    if required and not text:
        raise ClinicError(f"{field} is required")
    if len(text) > max_len:
        raise ClinicError(f"{field} is {len(text)} characters long; at most {max_len} allowed")
    if any(unicodedata.category(c) in {"Cc", "Cf"} for c in text if c not in "\n\t"):
        raise ClinicError(f"{field} contains control characters")
    return text


def check_email(value: str | None, field: str = "email") -> str | None:
    """An e-mail address of plausible form, or None."""
    if value is None or not value.strip():
        return None
    text = check_text(value, field, max_len=254)
    if not _EMAIL.match(text):
        raise ClinicError(f"{field} {text!r} is not an e-mail address like name@example.com")
    return text


def check_phone(value: str | None, field: str = "phone") -> str | None:
    """A phone number of digits, spaces and + ( ) . / -, or None."""
    if value is None or not value.strip():
        return None
    text = check_text(value, field, max_len=40)
    if not _PHONE.match(text):
        raise ClinicError(f"{field} {text!r} is not a phone number like +44 20 7946 0000")
    return text


def check_int(value: object, field: str, *, low: int, high: int) -> int:
    """An integer (not a bool) in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ClinicError(f"{field} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise ClinicError(f"{field} must be between {low} and {high}, got {value}")
    return value


def check_number(value: object, field: str, *, low: float, high: float) -> float:
    """A finite number in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ClinicError(f"{field} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise ClinicError(f"{field} must be between {low:g} and {high:g}, got {value!r}")
    return number


def check_choice(value: object, field: str, choices: Collection[str]) -> str:
    """One of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ClinicError(f"{field} must be one of {', '.join(choices)}, got {value!r}")
    return value


def check_date(value: object, field: str) -> date:
    """A calendar date (not a datetime)."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ClinicError(f"{field} must be a date like 2027-03-02, got {value!r}")
    return value


def check_aware(value: object, field: str) -> datetime:
    """A timezone-aware datetime."""
    if not isinstance(value, datetime):
        raise ClinicError(f"{field} must be a date and time, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ClinicError(f"{field} {value.isoformat()} has no time zone: give one")
    return value


def json_object(content: str | bytes | Mapping[str, Any], what: str) -> tuple[str, dict[str, Any]]:
    """The JSON text and the parsed object of a document given as text or a mapping."""
    if isinstance(content, Mapping):
        data = dict(content)
        try:
            text = json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ClinicError(f"{what} cannot be stored as JSON: {exc}") from None
        return text, data
    try:
        raw = content.decode() if isinstance(content, bytes) else content
        parsed = json.loads(raw)
    except (ValueError, RecursionError):  # also UnicodeDecodeError and a 4,301-digit integer
        raise ClinicError(f"{what} is not readable JSON") from None
    if not isinstance(parsed, dict):
        raise ClinicError(f"{what} must be a JSON object")
    return raw, parsed
