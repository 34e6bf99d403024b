"""Recommended dilution per zone and session, from a clinic's dilution chart.

SMP pigment is carbon black diluted with distilled water from a chart (domain reference
§1.7): little or no water — near-black — for dark skin with dark hair, heavy dilution for
fair skin and for light or grey hair, in between for medium hair; the darker the dots
against the scalp, the less natural (§5.4). No published numeric mapping exists, so the
shipped :class:`DilutionTable` holds a chart of body shades by Monk tone (rows) and named
hair colour (columns), each row citing its source or saying it is a derived default, and a
clinic replaces any part of it (docs/colour.md).

For a skin and a hair colour the chart gives a water ``w`` (the skin's nearest Monk row,
interpolated in the hair's lightness L* between the named colours). The hairline zones and
the early sessions take a lighter mix: the pigment concentration ``1 / (1 + w)`` is scaled
by the zone's and the session's strength factors, which gives the target water ``w'``::

    1 / (1 + w') = strength(zone) × strength(session) / (1 + w)
    range        = ΔL*(skin, w') × (1 − tolerance) … ΔL*(skin, w') × (1 + tolerance)

The recommended shade is the most diluted of the clinic's shades that is no more diluted than
``w'``; a practitioner's own shade is checked against the natural range of the healed dot's
contrast. Both steps are independent of the skin, so an order the chart keeps (darker skin
never more water, lighter hair never less) holds in every zone and session.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from smpstudio._errors import ColourError
from smpstudio._types import FloatArray
from smpstudio.colour._convert import (
    hex_to_srgb,
    lab_to_srgb,
    looks_like_hex,
    srgb_to_hex,
    srgb_to_lab,
)
from smpstudio.colour._pigment import DEFAULT_MODEL, PigmentModel, SkinLike, dot_contrast, dot_lab
from smpstudio.colour._skin import MONK_SWATCHES, SkinTone, nearest_monk

__all__ = [
    "FLAG_MESSAGES",
    "HAIR_LIGHTER_MARGIN",
    "ZONE_NAMES",
    "ContrastRange",
    "DilutionAdvice",
    "DilutionTable",
    "assess_dilution",
    "dilution_chart",
    "hair_lightness_lab",
    "load_dilution_table",
    "recommend_dilution",
    "shade_for",
    "stubble_range",
]

ZONE_NAMES: tuple[str, ...] = ("body", "transition", "sentinel", "scar", "enhancement")
"""The design's treated zones (:data:`smpstudio.density.ZONES` without ``none``)."""

HAIR_LIGHTER_MARGIN = 10.0
"""Hair this much lighter (L*) than the scalp is flagged ``hair_lighter_than_skin`` [U]."""

FLAG_MESSAGES: dict[str, str] = {
    "darker_than_needed": "the healed dot is darker against the scalp than the chart's shade for "
    "this skin and hair: the darker the dots, the less natural; dilute more",
    "lighter_than_natural": "the healed dot is lighter than the chart's shade for this skin and "
    "hair: dilute less",
    "cannot_reach_target": "even the darkest shade stays lighter than the target on this skin: "
    "use it and expect a softer result",
    "hair_lighter_than_skin": "the hair is clearly lighter than the scalp: SMP dots can only "
    "darken the scalp, so they give the shadow of shaved hair, not its colour; show the client "
    "the preview before deciding",
}
"""What each flag of a :class:`DilutionAdvice` means."""

_TABLE_KEYS = {
    "about",
    "shades_ml_water",
    "hair_colours",
    "tolerance",
    "zone_strength",
    "session_strength",
    "chart",
}
_SOURCE = "source"
_MONK_TONES = range(1, len(MONK_SWATCHES) + 1)
_EPS = 1e-9


@dataclass(frozen=True)
class ContrastRange:
    """Natural range of a healed dot's ΔL* against the scalp."""

    low: float
    high: float


@dataclass(frozen=True, kw_only=True)
class DilutionTable:
    """A clinic's dilution chart and factors (docs/colour.md; ``default_dilution_table.json``).

    Parameters
    ----------
    shades_ml_water : tuple of float
        The shades the clinic mixes, mL of distilled water per mL of pigment, increasing.
    hair_colours : mapping of str to str
        Named hair colours as ``#rrggbb``.
    tolerance : float
        Half-width of the natural range around the target, as a share of it.
    zone_strength : mapping of str to float
        Pigment concentration factor per zone (lighter in the transition zone and for
        sentinels).
    session_strength : tuple of float
        Pigment concentration factor per session, increasing (pigment builds darker session
        by session); sessions past the end use the last value.
    chart : mapping of int to mapping of str to float
        Body shade of the final session by Monk tone (1–10, every row) and hair colour name.
        For a given hair colour the water never rises from Monk 1 to 10.
    chart_sources : mapping of int to str
        Where each row comes from (a citation, "derived default" or the clinic's table).
    about : str
        Free text: where the numbers come from.
    """

    shades_ml_water: tuple[float, ...]
    hair_colours: Mapping[str, str]
    tolerance: float
    zone_strength: Mapping[str, float]
    session_strength: tuple[float, ...]
    chart: Mapping[int, Mapping[str, float]]
    chart_sources: Mapping[int, str] = field(default_factory=dict)
    about: str = ""

    @classmethod
    def default(cls) -> DilutionTable:
        """The shipped default table.

        Examples
        --------
        >>> table = DilutionTable.default()
        >>> table.chart[1]["black"], table.chart[10]["black"], table.chart[1]["white"]
        (5.0, 0.0, 25.0)
        """
        return _DEFAULT

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DilutionTable:
        """Build and check a table from its JSON form (every key required but ``about``).

        Examples
        --------
        >>> data = DilutionTable.default().to_dict()
        >>> data["chart"]["10"]["white"] = 8
        >>> DilutionTable.from_dict(data).chart[10]["white"]
        8.0
        >>> data["chart"]["10"]["black"] = 1
        >>> DilutionTable.from_dict(data)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        smpstudio._errors.ColourError: dilution table: chart row 10 (Monk 10) gives black hair ...
        """
        _require_keys(data)
        hair = _hair_colours(data["hair_colours"])
        shades = _shades(data["shades_ml_water"])
        chart, sources = _chart(data["chart"], hair, shades)
        table = cls(
            shades_ml_water=shades,
            hair_colours=hair,
            tolerance=_finite(data["tolerance"], "tolerance", 0.0, 0.9),
            zone_strength=_zone_strength(data["zone_strength"]),
            session_strength=_session_strength(data["session_strength"]),
            chart=chart,
            chart_sources=sources,
            about=str(data.get("about", "")),
        )
        _check_darker_skin_never_more_water(table)
        return table

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (what :meth:`from_dict` reads).

        Examples
        --------
        >>> sorted(DilutionTable.default().to_dict()["chart"]["1"])[:3]
        ['black', 'blond', 'brown']
        """
        return {
            "about": self.about,
            "shades_ml_water": list(self.shades_ml_water),
            "hair_colours": dict(self.hair_colours),
            "tolerance": self.tolerance,
            "zone_strength": dict(self.zone_strength),
            "session_strength": list(self.session_strength),
            "chart": {
                str(tone): {_SOURCE: self.chart_sources.get(tone, ""), **row}
                for tone, row in self.chart.items()
            },
        }

    def chart_water(self, monk: int, hair_lightness: float) -> float:
        """The chart's water for a Monk row and a hair lightness L*.

        Linear in L* between the row's named hair colours (held flat beyond the lightest
        and the darkest), so a named colour gets exactly its entry.

        Examples
        --------
        >>> t = DilutionTable.default()
        >>> t.chart_water(5, 10.0), t.chart_water(5, 100.0)
        (3.0, 20.0)
        """
        lightness, water = self._row_points(monk)
        return float(np.interp(hair_lightness, lightness, water))

    def _row_points(self, monk: int) -> tuple[FloatArray, FloatArray]:
        row = self.chart[monk]
        names = sorted(row, key=lambda n: (self.hair_lightness(n), n))
        lightness = np.array([self.hair_lightness(n) for n in names])
        return lightness, np.array([row[n] for n in names])

    def hair_lightness(self, name: str) -> float:
        """L* of a named hair colour of the table."""
        return _named_lightness(self.hair_colours[name])


def load_dilution_table(
    path: str | Path | None = None, *, overrides: Mapping[str, Any] | None = None
) -> DilutionTable:
    """Load a clinic's table: the default, updated by a JSON file, then by ``overrides``.

    The file and the overrides may hold only the keys they change; nested objects merge
    key by key (lists are replaced whole). A chart row the clinic changes without giving
    its ``source`` is marked as the clinic's.

    Examples
    --------
    >>> t = load_dilution_table(overrides={"chart": {"9": {"black": 0, "grey": 4}}})
    >>> t.chart[9]["grey"], t.chart_sources[9]
    (4.0, 'clinic override')
    """
    data = DilutionTable.default().to_dict()
    if path is not None:
        path = Path(path)
        data = _merge(data, _mark_clinic_rows(_read_json(path), f"clinic table {path.name}"))
    if overrides is not None:
        data = _merge(data, _mark_clinic_rows(overrides, "clinic override"))
    return DilutionTable.from_dict(data)


@dataclass(frozen=True)
class DilutionAdvice:
    """A dilution for one zone and session, its healed contrast and any warnings.

    Attributes
    ----------
    zone : str
    session : int or None
        Session number (1-based); None for the final result.
    ml_water : float
        mL of distilled water per mL of pigment.
    delta_l : float
        Healed dot's ΔL* against the scalp.
    natural : ContrastRange
        Natural range of ΔL* for this skin, hair, zone and session.
    dot_hex : str
        Healed dot colour, ``#rrggbb``.
    basis : str
        ``"chart"`` (recommended) or ``"given"`` (a practitioner's shade, assessed).
    flags : tuple of str
        Keys of :data:`FLAG_MESSAGES`.
    monk : int
        The chart row used (the skin's nearest Monk tone).
    source : str
        Where that row of the chart comes from.
    """

    zone: str
    session: int | None
    ml_water: float
    delta_l: float
    natural: ContrastRange
    dot_hex: str
    basis: str
    flags: tuple[str, ...]
    monk: int = 0
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python fields, for JSON (flags explained)."""
        return {
            "zone": self.zone,
            "session": self.session,
            "ml_water": self.ml_water,
            "delta_L": self.delta_l,
            "natural_delta_L": [self.natural.low, self.natural.high],
            "dot_hex": self.dot_hex,
            "basis": self.basis,
            "chart_row": self.monk,
            "source": self.source,
            "flags": {flag: FLAG_MESSAGES[flag] for flag in self.flags},
        }


def stubble_range(
    skin: SkinLike,
    hair: str | npt.ArrayLike,
    *,
    zone: str = "body",
    session: int | None = None,
    tone: float | None = None,
    table: DilutionTable | None = None,
    model: PigmentModel = DEFAULT_MODEL,
) -> ContrastRange:
    """Natural ΔL* range of a healed dot against the scalp, around the chart's target.

    Parameters
    ----------
    skin : SkinTone or array_like
        Scalp colour, CIELAB.
    hair : str or array_like
        Remaining-hair colour: a name from the table, ``#rrggbb``, or CIELAB.
    zone : str
        One of :data:`ZONE_NAMES`.
    session : int, optional
        Session number from 1; the final result when omitted.
    tone : float, optional
        Relative pigment strength from the design (:class:`smpstudio.density.FieldSample`),
        replacing the zone's factor.
    table : DilutionTable, optional
        The clinic's table; the default when omitted.

    Examples
    --------
    >>> r = stubble_range([77.9, 3.47, 23.14], "black")  # Monk 5: the chart says 3 mL
    >>> round(r.low, 1), round(r.high, 1)
    (18.1, 30.2)
    """
    table = table or DilutionTable.default()
    lab = _skin_lab(skin)
    water = max(_target_water(lab, hair, zone, session, tone, table), 0.0)  # at most undiluted
    target = float(dot_contrast(lab, water, model=model))
    return ContrastRange(low=target * (1 - table.tolerance), high=target * (1 + table.tolerance))


def recommend_dilution(
    skin: SkinLike,
    hair: str | npt.ArrayLike,
    *,
    zone: str = "body",
    session: int | None = None,
    tone: float | None = None,
    table: DilutionTable | None = None,
    model: PigmentModel = DEFAULT_MODEL,
) -> DilutionAdvice:
    """The most diluted shade whose healed dot still reaches the chart's target.

    Parameters are those of :func:`stubble_range`, plus the pigment ``model``. For the body
    of the final session on a skin at a Monk swatch and a named hair colour this is the
    chart's entry.

    Examples
    --------
    >>> skin = [77.9, 3.47, 23.14]  # Monk 5
    >>> [recommend_dilution(skin, h).ml_water for h in ("black", "brown", "grey", "white")]
    [3.0, 5.0, 12.0, 20.0]
    >>> [recommend_dilution(skin, "brown", session=s).ml_water for s in (1, 2, 3)]
    [6.0, 5.0, 5.0]
    >>> recommend_dilution(skin, "brown", zone="sentinel").ml_water
    8.0
    """
    table = table or DilutionTable.default()
    lab = _skin_lab(skin)
    natural = stubble_range(
        lab, hair, zone=zone, session=session, tone=tone, table=table, model=model
    )
    water = _target_water(lab, hair, zone, session, tone, table)
    shades = np.asarray(table.shades_ml_water)
    reaching = np.flatnonzero(shades <= water + _EPS)
    shade = float(shades[reaching[-1]]) if reaching.size else float(shades[0])
    flags = _flags(float(dot_contrast(lab, shade, model=model)), natural, lab, hair, table)
    if not reaching.size:
        flags = ("cannot_reach_target", *flags)
    return _advice(lab, shade, zone, session, natural, "chart", flags, table, model)


def assess_dilution(
    ml_water: float,
    skin: SkinLike,
    hair: str | npt.ArrayLike,
    *,
    zone: str = "body",
    session: int | None = None,
    tone: float | None = None,
    table: DilutionTable | None = None,
    model: PigmentModel = DEFAULT_MODEL,
) -> DilutionAdvice:
    """Check a practitioner's dilution against the natural range.

    Examples
    --------
    >>> assess_dilution(0.0, [77.9, 3.47, 23.14], "grey").flags
    ('darker_than_needed',)
    """
    table = table or DilutionTable.default()
    lab = _skin_lab(skin)
    natural = stubble_range(lab, hair, zone=zone, session=session, tone=tone, table=table)
    contrast = float(dot_contrast(lab, ml_water, model=model))
    flags = _flags(contrast, natural, lab, hair, table)
    return _advice(lab, float(ml_water), zone, session, natural, "given", flags, table, model)


def dilution_chart(
    *, table: DilutionTable | None = None, model: PigmentModel = DEFAULT_MODEL
) -> dict[int, dict[str, float]]:
    """The body shade (final session) recommended at each Monk swatch for each named hair.

    With the shipped table this is its chart; a clinic's hair colours without chart entries
    are filled in by lightness.

    Examples
    --------
    >>> chart = dilution_chart()
    >>> chart[1]["black"], chart[1]["white"], chart[10]["black"]
    (5.0, 25.0, 0.0)
    """
    table = table or DilutionTable.default()
    return {
        tone: {
            name: recommend_dilution(_swatch_lab(tone), name, table=table, model=model).ml_water
            for name in table.hair_colours
        }
        for tone in _MONK_TONES
    }


def shade_for(
    body_ml_water: float,
    *,
    zone: str = "body",
    session: int | None = None,
    tone: float | None = None,
    table: DilutionTable | None = None,
) -> float:
    """The shade a zone and session take when the final session's body shade is
    ``body_ml_water``: the concentration scaled by the zone's (or ``tone``) and the
    session's strength, then the most diluted of the table's shades no more diluted than
    that (the darkest shade when none is).

    >>> [shade_for(4.0, session=s) for s in (1, 2, 3)], shade_for(4.0, zone="sentinel")
    ([5.0, 4.0, 4.0], 6.0)
    """
    table = table or DilutionTable.default()
    strength = _zone_factor(zone, tone, table) * _session_factor(session, table)
    target = (1.0 + body_ml_water) / strength - 1.0
    shades = np.asarray(table.shades_ml_water)
    reaching = np.flatnonzero(shades <= target + _EPS)
    return float(shades[reaching[-1]]) if reaching.size else float(shades[0])


def hair_lightness_lab(hair: str | npt.ArrayLike, table: DilutionTable | None = None) -> FloatArray:
    """CIELAB of a hair colour: a name of the table, ``#rrggbb`` or CIELAB values."""
    return _hair_lab(hair, table or DilutionTable.default())


def _target_water(
    lab: FloatArray,
    hair: str | npt.ArrayLike,
    zone: str,
    session: int | None,
    tone: float | None,
    table: DilutionTable,
) -> float:
    """The chart's water with the concentration scaled by the zone and session strengths
    (below 0: stronger than undiluted pigment)."""
    water = table.chart_water(nearest_monk(lab)[0], float(_hair_lab(hair, table)[0]))
    strength = _zone_factor(zone, tone, table) * _session_factor(session, table)
    return (1.0 + water) / strength - 1.0


def _advice(
    lab: FloatArray,
    ml_water: float,
    zone: str,
    session: int | None,
    natural: ContrastRange,
    basis: str,
    flags: tuple[str, ...],
    table: DilutionTable,
    model: PigmentModel,
) -> DilutionAdvice:
    dot = dot_lab(lab, ml_water, model=model)
    monk = nearest_monk(lab)[0]
    return DilutionAdvice(
        zone=zone,
        session=session,
        ml_water=ml_water,
        delta_l=float(lab[0] - dot[0]),
        natural=natural,
        dot_hex=srgb_to_hex(lab_to_srgb(dot)),
        basis=basis,
        flags=flags,
        monk=monk,
        source=table.chart_sources.get(monk, ""),
    )


def _flags(
    contrast: float,
    natural: ContrastRange,
    skin_lab: FloatArray,
    hair: str | npt.ArrayLike,
    table: DilutionTable,
) -> tuple[str, ...]:
    flags: list[str] = []
    if contrast > natural.high + _EPS:
        flags.append("darker_than_needed")
    elif contrast < natural.low - _EPS:
        flags.append("lighter_than_natural")
    if _hair_lab(hair, table)[0] > skin_lab[0] + HAIR_LIGHTER_MARGIN:
        flags.append("hair_lighter_than_skin")
    return tuple(flags)


def _hair_lab(hair: str | npt.ArrayLike, table: DilutionTable) -> FloatArray:
    if isinstance(hair, str):
        key = hair.strip().lower()
        if key in table.hair_colours:
            return srgb_to_lab(hex_to_srgb(table.hair_colours[key]))
        if not key.startswith("#") and not looks_like_hex(key):
            names = ", ".join(table.hair_colours)
            raise ColourError(f"unknown hair colour {hair!r}: give #rrggbb or one of {names}")
        return srgb_to_lab(hex_to_srgb(hair))
    lab = np.asarray(hair, dtype=np.float64)
    if lab.shape != (3,) or not np.all(np.isfinite(lab)):
        raise ColourError(f"a hair colour is a name, #rrggbb or CIELAB L*, a*, b*, got {hair!r}")
    return lab


def _named_lightness(code: str) -> float:
    return float(srgb_to_lab(hex_to_srgb(code))[0])


def _skin_lab(skin: SkinLike) -> FloatArray:
    lab = skin.lab if isinstance(skin, SkinTone) else np.asarray(skin, dtype=np.float64)
    if lab.shape != (3,) or not np.all(np.isfinite(lab)):
        raise ColourError(f"a skin colour is CIELAB L*, a*, b* (finite numbers), got {skin!r}")
    return lab


def _swatch_lab(tone: int) -> FloatArray:
    return srgb_to_lab(hex_to_srgb(MONK_SWATCHES[tone - 1]))


def _zone_factor(zone: str, tone: float | None, table: DilutionTable) -> float:
    if zone not in ZONE_NAMES:
        raise ColourError(f"unknown zone {zone!r}: use one of {', '.join(ZONE_NAMES)}")
    if tone is None:
        return table.zone_strength[zone]
    if not (math.isfinite(tone) and 0 < tone <= 1.5):
        raise ColourError(f"pigment tone must lie in (0, 1.5] (1 = body shade), got {tone}")
    return tone


def _session_factor(session: int | None, table: DilutionTable) -> float:
    if session is None:
        return table.session_strength[-1]
    if isinstance(session, bool) or not isinstance(session, int) or session < 1:
        raise ColourError(f"session numbers start at 1, got {session!r}")
    return table.session_strength[min(session, len(table.session_strength)) - 1]


# --- reading and checking a table -------------------------------------------------------


def _read_json(path: Path) -> Mapping[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ColourError(f"dilution table {str(path)!r} not found: give a JSON file") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        # ValueError: also an integer of more than 4,300 digits; RecursionError: deep nesting
        raise ColourError(f"dilution table {str(path)!r} is not readable JSON: {exc}") from None
    return _mapping(data, "the file")


def _mark_clinic_rows(update: Mapping[str, Any], label: str) -> Mapping[str, Any]:
    """``update`` with ``source`` set to ``label`` on each chart row that does not give one."""
    chart = _mapping(update, "the update").get("chart")
    if not isinstance(chart, Mapping):
        return update
    rows = {
        key: {_SOURCE: label, **row} if isinstance(row, Mapping) and _SOURCE not in row else row
        for key, row in chart.items()
    }
    return {**update, "chart": rows}


def _merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in _mapping(update, "the overrides").items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _require_keys(data: Mapping[str, Any]) -> None:
    _check_keys(_mapping(data, "the table"), _TABLE_KEYS, "dilution table")
    missing = sorted(_TABLE_KEYS - {"about"} - set(data))
    if missing:
        raise ColourError(f"dilution table: missing {', '.join(missing)}")


def _check_keys(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ColourError(
            f"{where}: unknown key {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ColourError(f"dilution table: {where} must be a JSON object")
    return value


def _finite(value: Any, where: str, low: float, high: float) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not (math.isfinite(value) and low <= value <= high):
        raise ColourError(f"dilution table: {where} must be a number in {low:g}–{high:g}")
    return float(value)


def _shades(values: Any) -> tuple[float, ...]:
    if not isinstance(values, list) or not values:
        raise ColourError("dilution table: shades_ml_water must be a non-empty list of numbers")
    shades = sorted({_finite(v, "each shade (mL water)", 0.0, 1000.0) for v in values})
    return tuple(shades)


def _hair_colours(value: Any) -> dict[str, str]:
    colours = _mapping(value, "hair_colours")
    if not colours:
        raise ColourError("dilution table: hair_colours needs at least one named colour")
    for name, code in colours.items():
        if not isinstance(code, str):
            raise ColourError(f"dilution table: hair colour {name!r} must be #rrggbb")
        hex_to_srgb(code)
        if str(name).strip().lower() == _SOURCE:
            raise ColourError(f"dilution table: {_SOURCE!r} cannot name a hair colour")
    return {str(name).lower(): str(code) for name, code in colours.items()}


def _zone_strength(value: Any) -> dict[str, float]:
    zones = _mapping(value, "zone_strength")
    _check_keys(zones, set(ZONE_NAMES), "zone_strength")
    missing = [z for z in ZONE_NAMES if z not in zones]
    if missing:
        raise ColourError(f"dilution table: zone_strength lacks {', '.join(missing)}")
    return {z: _finite(zones[z], f"zone_strength.{z}", 0.05, 1.5) for z in ZONE_NAMES}


def _session_strength(values: Any) -> tuple[float, ...]:
    if not isinstance(values, list) or not values:
        raise ColourError("dilution table: session_strength must be a non-empty list")
    factors = tuple(_finite(v, "each session_strength", 0.05, 1.5) for v in values)
    if any(b < a for a, b in itertools.pairwise(factors)):
        raise ColourError(
            "dilution table: session_strength must not decrease (sessions build darker)"
        )
    return factors


def _chart(
    value: Any, hair: Mapping[str, str], shades: tuple[float, ...]
) -> tuple[dict[int, dict[str, float]], dict[int, str]]:
    chart: dict[int, dict[str, float]] = {}
    sources: dict[int, str] = {}
    for key, row in _mapping(value, "chart").items():
        tone = int(key) if str(key).isdigit() else 0
        if tone not in _MONK_TONES:
            raise ColourError(f"dilution table: chart key {key!r} is not a Monk tone 1–10")
        entries = dict(_mapping(row, f"chart.{key}"))
        source = entries.pop(_SOURCE, None)
        if not isinstance(source, str) or not source.strip():
            raise ColourError(
                f"dilution table: chart.{key} needs a {_SOURCE!r}: where its shades come from "
                "(a citation, 'derived default' or your clinic's chart)"
            )
        chart[tone], sources[tone] = {}, source.strip()
        for name, shade in entries.items():
            if str(name).lower() not in hair:
                raise ColourError(
                    f"dilution table: chart.{key} names hair colour {name!r}, not in "
                    f"hair_colours ({', '.join(hair)})"
                )
            chart[tone][str(name).lower()] = _chart_shade_value(
                shade, f"chart.{key}.{name}", shades
            )
        if not chart[tone]:
            raise ColourError(f"dilution table: chart.{key} gives no shade for any hair colour")
    missing = [str(t) for t in _MONK_TONES if t not in chart]
    if missing:
        raise ColourError(
            f"dilution table: the chart lacks the row(s) for Monk {', '.join(missing)}; "
            "give a row for every Monk tone 1–10"
        )
    return dict(sorted(chart.items())), dict(sorted(sources.items()))


def _chart_shade_value(value: Any, where: str, shades: tuple[float, ...]) -> float:
    shade = _finite(value, where, 0.0, 1000.0)
    if shade not in shades:
        raise ColourError(
            f"dilution table: {where} = {shade:g} mL is not one of shades_ml_water; "
            "add it there or use a listed shade"
        )
    return shade


def _check_darker_skin_never_more_water(table: DilutionTable) -> None:
    """For every hair colour, the water must not rise from one Monk row to the next darker."""
    for name in table.hair_colours:
        lightness = table.hair_lightness(name)
        previous = table.chart_water(1, lightness)
        for tone in _MONK_TONES[1:]:
            water = table.chart_water(tone, lightness)
            if water > previous + _EPS:
                given = "gives" if name in table.chart[tone] else "implies (from its other shades)"
                raise ColourError(
                    f"dilution table: chart row {tone} (Monk {tone}) {given} {name} hair "
                    f"{water:g} mL of water, more than row {tone - 1}'s {previous:g} mL; the "
                    f"water must not rise as the skin darkens: lower row {tone} or raise row "
                    f"{tone - 1}"
                )
            previous = water


def _load_default() -> DilutionTable:
    text = resources.files("smpstudio.colour").joinpath("default_dilution_table.json").read_text()
    return DilutionTable.from_dict(json.loads(text))


_DEFAULT = _load_default()
