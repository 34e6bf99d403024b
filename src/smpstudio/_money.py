"""Money as integer minor units with its ISO 4217 currency: never a float.

The clinic's prices, deposits, fees, payments and invoices are whole numbers of the
currency's minor unit (cents for USD, pence for GBP, yen for JPY, fils for KWD); this module
checks currency codes, reads amounts typed by people and prints them.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from smpstudio._errors import InputError

__all__ = [
    "CURRENCIES",
    "MAX_MINOR",
    "check_currency",
    "format_money",
    "minor_digits",
    "parse_money",
    "percent_of",
]

_ZERO = frozenset(
    (
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    )
)
_THREE = frozenset(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"])
_CODES = """
AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL
GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF
KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN
MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD
SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH
UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
"""
CURRENCIES: dict[str, int] = {
    code: 0 if code in _ZERO else 3 if code in _THREE else 2 for code in _CODES.split()
}
"""Active ISO 4217 currency codes (no funds or metals) and their minor-unit digits."""

MAX_MINOR = 10**12
"""Largest amount accepted, in minor units (10 billion dollars; fits 64 bits easily)."""

_AMOUNT = re.compile(r"^[0-9]{1,13}([.][0-9]+)?$")


def check_currency(code: object) -> str:
    """An ISO 4217 code such as ``USD``, ``EUR`` or ``GBP`` (upper case).

    >>> check_currency("eur")
    'EUR'
    """
    text = code.strip().upper() if isinstance(code, str) else ""
    if text not in CURRENCIES:
        raise InputError(
            f"currency {code!r} is not an ISO 4217 code: use three letters such as USD, EUR or GBP"
        )
    return text


def minor_digits(currency: str) -> int:
    """Digits of the currency's minor unit (2 for USD, 0 for JPY, 3 for KWD)."""
    return CURRENCIES[check_currency(currency)]


def format_money(minor: int, currency: str) -> str:
    """An amount as people read it.

    >>> format_money(123456, "USD"), format_money(-5000, "JPY"), format_money(1500, "KWD")
    ('USD 1,234.56', 'JPY -5,000', 'KWD 1.500')
    """
    digits = CURRENCIES.get(currency, 2)
    sign = "-" if minor < 0 else ""
    whole, part = divmod(abs(minor), 10**digits)
    text = f"{whole:,}" + (f".{part:0{digits}d}" if digits else "")
    return f"{currency} {sign}{text}"


def parse_money(text: object, currency: str, what: str = "the amount") -> int:
    """An amount typed by a person (``1500``, ``1,500.50``) in minor units of ``currency``;
    negative, malformed or over-precise amounts are refused.

    >>> parse_money("1,500.5", "USD"), parse_money("3000", "JPY")
    (150050, 3000)
    """
    digits = minor_digits(currency)
    raw = text.strip().replace(",", "").replace(" ", "") if isinstance(text, str) else ""
    if not _AMOUNT.match(raw):
        example = "150" if digits == 0 else "150.00"
        raise InputError(f"{what} must be an amount like {example} (got {text!r})")
    try:
        value = Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the pattern already holds
        raise InputError(f"{what} must be a number (got {text!r})") from None
    scaled = value.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise InputError(f"{what} has more decimals than {currency} has ({digits}): got {text!r}")
    minor = int(scaled)
    if minor > MAX_MINOR:
        raise InputError(f"{what} is too large (at most {format_money(MAX_MINOR, currency)})")
    return minor


def percent_of(minor: int, basis_points: int) -> int:
    """``basis_points`` / 10,000 of an amount, rounded half up to the minor unit.

    >>> percent_of(100001, 3000), percent_of(5, 5000)
    (30000, 3)
    """
    exact = Decimal(minor) * Decimal(basis_points) / Decimal(10_000)
    return int(exact.to_integral_value(rounding=ROUND_HALF_UP))
