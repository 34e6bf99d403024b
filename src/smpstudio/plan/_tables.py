"""The clinic's price table and the hair-transplant graft table (JSON, validated)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from smpstudio._errors import PlanError

__all__ = [
    "GraftTable",
    "PriceBand",
    "PriceTable",
    "load_graft_table",
    "load_price_table",
]

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_PRICE_KEYS = {"about", "currency", "reference_density_per_cm2", "bands", "extra_session"}
_BAND_KEYS = {"up_to_cm2", "label", "low", "high"}


@dataclass(frozen=True, kw_only=True)
class PriceBand:
    """Price of a whole treatment (all planned sessions) up to a treated area.

    ``up_to_cm2`` is ``inf`` for the last, open band.
    """

    up_to_cm2: float
    label: str
    low: float
    high: float


@dataclass(frozen=True, kw_only=True)
class PriceTable:
    """A clinic's SMP prices (``default_price_table.json``; docs/plan.md).

    Parameters
    ----------
    currency : str
        ISO 4217 code of every price (and of the cost-per-graft settings).
    reference_density_per_cm2 : float
        Density the bands are priced at: a denser or sparser design counts as a larger or
        smaller area (area × mean density / reference).
    bands : tuple of PriceBand
        Increasing areas; the last band is open (``up_to_cm2`` = inf).
    extra_session : tuple of float
        Low and high price of each session beyond the design's (a 4th session, a top-up).
    about : str
        Where the numbers come from.
    """

    currency: str
    reference_density_per_cm2: float
    bands: tuple[PriceBand, ...]
    extra_session: tuple[float, float]
    about: str = ""

    @classmethod
    def default(cls) -> PriceTable:
        """The shipped table: USD 1,500–5,000 over four area bands.

        Examples
        --------
        >>> table = PriceTable.default()
        >>> table.currency, table.bands[0].low, table.bands[-1].high
        ('USD', 1500.0, 5000.0)
        """
        return _DEFAULT_PRICES

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PriceTable:
        """Build and check a table from its JSON form.

        Examples
        --------
        >>> data = PriceTable.default().to_dict()
        >>> data["currency"] = "EUR"
        >>> PriceTable.from_dict(data).currency
        'EUR'
        """
        data = _object(data, "the price table")
        _keys(data, _PRICE_KEYS, "price table")
        missing = sorted(_PRICE_KEYS - {"about"} - set(data))
        if missing:
            raise PlanError(f"price table: missing {', '.join(missing)}")
        currency = data["currency"]
        if not isinstance(currency, str) or not _CURRENCY.match(currency):
            raise PlanError(
                f"price table: currency {currency!r} must be an ISO 4217 code such as USD"
            )
        extra = _object(data["extra_session"], "extra_session")
        _keys(extra, {"low", "high"}, "price table extra_session")
        extra_low = _price(extra.get("low"), "extra_session.low")
        extra_high = _price(extra.get("high"), "extra_session.high")
        if extra_low > extra_high:
            raise PlanError("price table: extra_session.low must not exceed extra_session.high")
        return cls(
            currency=currency,
            reference_density_per_cm2=_number(
                data["reference_density_per_cm2"], "reference_density_per_cm2", 1.0, 500.0
            ),
            bands=_bands(data["bands"]),
            extra_session=(extra_low, extra_high),
            about=str(data.get("about", "")),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (what :meth:`from_dict` reads)."""
        return {
            "about": self.about,
            "currency": self.currency,
            "reference_density_per_cm2": self.reference_density_per_cm2,
            "bands": [
                {
                    "up_to_cm2": None if math.isinf(b.up_to_cm2) else b.up_to_cm2,
                    "label": b.label,
                    "low": b.low,
                    "high": b.high,
                }
                for b in self.bands
            ],
            "extra_session": {"low": self.extra_session[0], "high": self.extra_session[1]},
        }

    def band_for(self, area_cm2: float) -> PriceBand:
        """The band that prices ``area_cm2`` (area at the reference density).

        >>> PriceTable.default().band_for(120.0).label
        'partial: front or crown'
        """
        for band in self.bands:
            if area_cm2 <= band.up_to_cm2:
                return band
        return self.bands[-1]


def load_price_table(path: str | Path | None = None) -> PriceTable:
    """The default price table, or a clinic's own from a JSON file (the whole table).

    Examples
    --------
    >>> load_price_table().extra_session
    (400.0, 1000.0)
    """
    if path is None:
        return PriceTable.default()
    return PriceTable.from_dict(_read_json(Path(path), "price table"))


@dataclass(frozen=True, kw_only=True)
class GraftTable:
    """Grafts for a first hair-transplant session by Norwood class (Bernstein Medical).

    ``front`` maps a pattern name to (low, high) grafts for the front; ``with_crown`` to the
    figure that includes the crown, where the source gives one.
    """

    front: Mapping[str, tuple[int, int]]
    with_crown: Mapping[str, tuple[int, int]]
    about: str = ""

    @classmethod
    def default(cls) -> GraftTable:
        """The shipped table (domain reference §3.1).

        Examples
        --------
        >>> GraftTable.default().with_crown["norwood-5"]
        (2500, 2800)
        """
        return _DEFAULT_GRAFTS

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GraftTable:
        """Build and check a table from its JSON form.

        >>> GraftTable.from_dict({"classes": {"norwood-3": {"front": [900, 1500]}}}).front
        {'norwood-3': (900, 1500)}
        """
        data = _object(data, "the graft table")
        _keys(data, {"about", "classes"}, "graft table")
        front: dict[str, tuple[int, int]] = {}
        crown: dict[str, tuple[int, int]] = {}
        for name, row in _object(data.get("classes"), "classes").items():
            row = _object(row, f"classes.{name}")
            _keys(row, {"front", "with_crown"}, f"graft table classes.{name}")
            front[str(name)] = _graft_range(row.get("front"), f"{name}.front")
            if "with_crown" in row:
                crown[str(name)] = _graft_range(row["with_crown"], f"{name}.with_crown")
        return cls(front=front, with_crown=crown, about=str(data.get("about", "")))


def load_graft_table(path: str | Path | None = None) -> GraftTable:
    """The default graft table, or one from a JSON file of the same form.

    >>> load_graft_table().front["norwood-3"]
    (1000, 1600)
    """
    if path is None:
        return GraftTable.default()
    return GraftTable.from_dict(_read_json(Path(path), "graft table"))


def _bands(value: Any) -> tuple[PriceBand, ...]:
    if not isinstance(value, list) or not value:
        raise PlanError("price table: bands must be a non-empty list")
    bands: list[PriceBand] = []
    for k, raw in enumerate(value):
        row = _object(raw, f"bands[{k}]")
        _keys(row, _BAND_KEYS, f"price table bands[{k}]")
        last = k == len(value) - 1
        edge = row.get("up_to_cm2")
        if last and edge is not None:
            raise PlanError("price table: the last band must be open (up_to_cm2: null)")
        up_to = math.inf if last else _number(edge, f"bands[{k}].up_to_cm2", 0.0, 10_000.0)
        low = _price(row.get("low"), f"bands[{k}].low")
        high = _price(row.get("high"), f"bands[{k}].high")
        if low > high:
            raise PlanError(f"price table: bands[{k}] low {low:g} exceeds high {high:g}")
        if bands and up_to <= bands[-1].up_to_cm2:
            raise PlanError("price table: band areas (up_to_cm2) must increase")
        if bands and (low < bands[-1].low or high < bands[-1].high):
            raise PlanError("price table: a larger band must not cost less than a smaller one")
        bands.append(
            PriceBand(up_to_cm2=up_to, label=str(row.get("label", "")), low=low, high=high)
        )
    return tuple(bands)


def _graft_range(value: Any, where: str) -> tuple[int, int]:
    ok = isinstance(value, list) and len(value) == 2
    if ok and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value):
        low, high = int(value[0]), int(value[1])
        if low <= high:
            return low, high
    raise PlanError(f"graft table: {where} must be [low, high] whole numbers of grafts")


def _price(value: Any, where: str) -> float:
    return _number(value, where, 0.0, 1e7)


def _number(value: Any, where: str, low: float, high: float) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not (math.isfinite(value) and low <= value <= high):
        raise PlanError(f"price table: {where} must be a number in {low:g}–{high:g}")
    return float(value)


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PlanError(f"{where} must be a JSON object")
    return value


def _keys(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise PlanError(
            f"{where}: unknown key {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )


def _read_json(path: Path, what: str) -> Mapping[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanError(f"{what} {str(path)!r} not found: give a JSON file") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        # ValueError: also an integer of more than 4,300 digits; RecursionError: deep nesting
        raise PlanError(f"{what} {str(path)!r} is not readable JSON: {exc}") from None
    return _object(data, f"{what} {str(path)!r}")


def _load(name: str) -> Mapping[str, Any]:
    text = resources.files("smpstudio.plan").joinpath(name).read_text(encoding="utf-8")
    data: Mapping[str, Any] = json.loads(text)
    return data


_DEFAULT_PRICES = PriceTable.from_dict(_load("default_price_table.json"))
_DEFAULT_GRAFTS = GraftTable.from_dict(_load("graft_table.json"))
