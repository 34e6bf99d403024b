"""The clinic's billing settings (migration 0007): currency, prices, deposit rule, no-show
fee policy and tax, checked when the owner changes them (``Database.update_clinic``) and read
by the billing service (``_billing``).

Prices feed the plan's own cost model (:func:`smpstudio.plan.smp_cost`): a price per treated
area band of the shipped price table (same areas and reference density) and a price per
extra session (a 4th session, a top-up). They are single prices (the table's low = high),
stored as whole minor units of the currency.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smpstudio._errors import ClinicError, InputError, PlanError
from smpstudio._money import MAX_MINOR, check_currency, format_money, minor_digits, percent_of
from smpstudio.clinic._models import Clinic, Payment
from smpstudio.clinic._validate import check_text
from smpstudio.plan import PriceTable

__all__ = [
    "DEPOSIT_KINDS",
    "BillingSettings",
    "PriceBand",
    "billing_settings",
    "billing_values",
    "check_currency_change",
]

DEPOSIT_KINDS: tuple[str, ...] = ("none", "percent", "amount")
"""A deposit per session: none, a percentage of the session's price, or a fixed amount."""

_MAX_TAX_BP = 5_000  # 50 %
_MAX_NOTICE_HOURS = 24 * 14


@dataclass(frozen=True)
class PriceBand:
    """A treated-area band of the price table and the clinic's price for the whole
    treatment (all the design's sessions) in that band."""

    up_to_cm2: float | None
    label: str
    price: int


@dataclass(frozen=True)
class BillingSettings:
    """What a clinic charges and how (money in minor units of ``currency``)."""

    currency: str
    bands: tuple[PriceBand, ...]
    extra_session: int
    reference_density_per_cm2: float
    deposit_kind: str
    deposit_value: int
    no_show_fee: int
    no_show_notice_hours: int
    tax_rate_bp: int
    tax_label: str
    tax_number: str

    @property
    def ready(self) -> bool:
        """True once the currency and the prices are set."""
        return bool(self.currency and self.bands)

    def price_table(self) -> PriceTable:
        """The prices as the plan's cost model reads them (major units, low = high)."""
        scale = 10 ** minor_digits(self.currency)
        return PriceTable.from_dict(
            {
                "about": "the clinic's prices (studio settings)",
                "currency": self.currency,
                "reference_density_per_cm2": self.reference_density_per_cm2,
                "bands": [
                    {
                        "up_to_cm2": b.up_to_cm2,
                        "label": b.label,
                        "low": b.price / scale,
                        "high": b.price / scale,
                    }
                    for b in self.bands
                ],
                "extra_session": {
                    "low": self.extra_session / scale,
                    "high": self.extra_session / scale,
                },
            }
        )

    def band_price(self, label: str) -> int:
        """The price of the band the cost model chose, by its label."""
        for band in self.bands:
            if band.label == label:
                return band.price
        raise ClinicError(f"no price for the band {label!r}: set the clinic's prices again")

    def deposit_for(self, price: int) -> int:
        """The deposit due on a session of ``price``: never more than the price."""
        if self.deposit_kind == "percent":
            return percent_of(price, self.deposit_value * 100)
        if self.deposit_kind == "amount":
            return min(self.deposit_value, price)
        return 0

    def tax_in(self, gross: int) -> int:
        """The tax contained in a price that includes it (prices are tax-inclusive)."""
        if not self.tax_rate_bp:
            return 0
        return gross - (gross * 10_000 + (10_000 + self.tax_rate_bp) // 2) // (
            10_000 + self.tax_rate_bp
        )

    def money(self, minor: int) -> str:
        """An amount in the clinic's currency, as people read it."""
        return format_money(minor, self.currency)

    @property
    def deposit_text(self) -> str:
        if self.deposit_kind == "percent":
            return f"{self.deposit_value} % of each session"
        if self.deposit_kind == "amount":
            return f"{self.money(self.deposit_value)} a session"
        return "no deposit"


def billing_settings(clinic: Clinic) -> BillingSettings:
    """A clinic's billing settings as stored."""
    bands: tuple[PriceBand, ...] = ()
    extra = 0
    density = PriceTable.default().reference_density_per_cm2
    if clinic.prices:
        data = json.loads(clinic.prices)
        bands = tuple(PriceBand(b["up_to_cm2"], b["label"], int(b["price"])) for b in data["bands"])
        extra = int(data["extra_session"])
        density = float(data["reference_density_per_cm2"])
    return BillingSettings(
        currency=clinic.currency,
        bands=bands,
        extra_session=extra,
        reference_density_per_cm2=density,
        deposit_kind=clinic.deposit_kind,
        deposit_value=clinic.deposit_value,
        no_show_fee=clinic.no_show_fee,
        no_show_notice_hours=clinic.no_show_notice_hours,
        tax_rate_bp=clinic.tax_rate_bp,
        tax_label=clinic.tax_label,
        tax_number=clinic.tax_number,
    )


def _minor(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ClinicError(f"{what} must be a whole number of minor units (cents), got {value!r}")
    if not 0 <= value <= MAX_MINOR:
        raise ClinicError(f"{what} must be between 0 and {MAX_MINOR:,} minor units")
    return value


def _whole(value: object, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ClinicError(f"{what} must be a whole number from {low} to {high}, got {value!r}")
    return value


def billing_values(
    *,
    currency: str | None = None,
    band_prices: Sequence[int] | None = None,
    extra_session_price: int | None = None,
    deposit_kind: str | None = None,
    deposit_value: int | None = None,
    no_show_fee: int | None = None,
    no_show_notice_hours: int | None = None,
    tax_rate_bp: int | None = None,
    tax_label: str | None = None,
    tax_number: str | None = None,
    current: Clinic,
) -> dict[str, Any]:
    """The billing fields given, each checked, as the ``clinics`` columns they set."""
    values: dict[str, Any] = {}
    try:
        if currency is not None:
            values["currency"] = check_currency(currency) if currency.strip() else ""
    except InputError as exc:
        raise ClinicError(str(exc)) from None
    if (band_prices is None) != (extra_session_price is None):
        raise ClinicError("give the band prices and the extra-session price together")
    if band_prices is not None and extra_session_price is not None:
        values["prices"] = _prices(band_prices, extra_session_price, values, current)
    kind = deposit_kind if deposit_kind is not None else current.deposit_kind
    if deposit_kind is not None:
        if deposit_kind not in DEPOSIT_KINDS:
            raise ClinicError(f"the deposit is one of {', '.join(DEPOSIT_KINDS)}")
        values["deposit_kind"] = deposit_kind
    if deposit_value is not None:
        if kind == "percent":
            values["deposit_value"] = _whole(deposit_value, "the deposit (%)", 0, 100)
        else:
            values["deposit_value"] = _minor(deposit_value, "the deposit")
    if no_show_fee is not None:
        values["no_show_fee"] = _minor(no_show_fee, "the no-show fee")
    if no_show_notice_hours is not None:
        values["no_show_notice_hours"] = _whole(
            no_show_notice_hours, "the no-show notice (hours)", 0, _MAX_NOTICE_HOURS
        )
    if tax_rate_bp is not None:
        values["tax_rate_bp"] = _whole(tax_rate_bp, "the tax rate (basis points)", 0, _MAX_TAX_BP)
    if tax_label is not None:
        values["tax_label"] = check_text(tax_label, "tax name", max_len=20, required=False)
    if tax_number is not None:
        values["tax_number"] = check_text(tax_number, "tax number", max_len=40, required=False)
    return values


def _prices(band_prices: Sequence[int], extra: int, values: dict[str, Any], current: Clinic) -> str:
    shipped = PriceTable.default()
    if len(band_prices) != len(shipped.bands):
        raise ClinicError(f"give {len(shipped.bands)} band prices, one per treated area")
    prices = [
        _minor(p, f"the price of '{b.label}'")
        for p, b in zip(band_prices, shipped.bands, strict=True)
    ]
    if any(p == 0 for p in prices):
        raise ClinicError("every treated-area band needs a price above 0")
    currency = values.get("currency", current.currency)
    if not currency:
        raise ClinicError("set the clinic's currency with its prices")
    data = {
        "reference_density_per_cm2": shipped.reference_density_per_cm2,
        "bands": [
            {
                "up_to_cm2": None if b.up_to_cm2 == float("inf") else b.up_to_cm2,
                "label": b.label,
                "price": p,
            }
            for b, p in zip(shipped.bands, prices, strict=True)
        ],
        "extra_session": _minor(extra, "the extra-session price"),
    }
    settings = billing_settings(
        Clinic(
            currency=currency,
            prices=json.dumps(data),
            deposit_kind="none",
            deposit_value=0,
            no_show_fee=0,
            no_show_notice_hours=0,
            tax_rate_bp=0,
            tax_label="",
            tax_number="",
        )
    )
    try:
        settings.price_table()  # the plan's own checks: a larger area never cheaper
    except PlanError as exc:
        raise ClinicError(str(exc).replace("price table: ", "prices: ")) from None
    return json.dumps(data, separators=(",", ":"))


def check_currency_change(session: Session, clinic: Clinic, currency: str) -> None:
    """The currency changes only while no payment is recorded (they are in the old one)."""
    count = session.scalar(
        select(func.count()).select_from(Payment).where(Payment.clinic_id == clinic.id)
    )
    if count:
        raise ClinicError(
            f"{count} payment(s) are recorded in {clinic.currency}: the currency cannot change "
            f"to {currency} (prices are never converted)"
        )
