"""Recommended dilution per zone and session, by a contrast rule, from a clinic's table.

The contrast rule (docs/colour.md): a shaved hair shows as a dot about as much darker than
the scalp as the hair is, so the healed SMP dot's lightness contrast against the scalp should
fall in the natural stubble range::

    centre = max(visibility × (L*skin − L*hair), min_contrast) × zone factor × session factor
    range  = centre × (1 − tolerance) … centre × (1 + tolerance)

The recommended shade is the most diluted shade of the clinic's chart whose healed dot still
reaches the bottom of the range; a shade darker than the top of the range is flagged ("the
darker the dots against the scalp, the less natural"). No published numeric mapping from
skin tone and hair colour to dilution exists, so every number is in a
:class:`DilutionTable` that a clinic loads from JSON and overrides.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from smpstudio._errors import ColourError
from smpstudio._types import FloatArray
from smpstudio.colour._convert import (
    delta_e,
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
    "ZONE_NAMES",
    "ContrastRange",
    "DilutionAdvice",
    "DilutionTable",
    "assess_dilution",
    "dilution_chart",
    "load_dilution_table",
    "recommend_dilution",
    "stubble_range",
]

ZONE_NAMES: tuple[str, ...] = ("body", "transition", "sentinel", "scar", "enhancement")
"""The design's treated zones (:data:`smpstudio.density.ZONES` without ``none``)."""

FLAG_MESSAGES: dict[str, str] = {
    "darker_than_needed": "the healed dot is darker against the scalp than natural stubble: "
    "the darker the dots, the less natural; dilute more",
    "lighter_than_natural": "the healed dot is lighter than natural stubble: dilute less",
    "cannot_reach_target": "even the darkest shade stays lighter than the target on this skin: "
    "use it and expect a softer result",
    "hair_not_darker_than_skin": "the hair is not darker than the skin, so shaved stubble shows "
    "little; the minimum contrast is used",
}
"""What each flag of a :class:`DilutionAdvice` means."""

_TABLE_KEYS = {
    "about",
    "shades_ml_water",
    "hair_colours",
    "contrast_rule",
    "zone_contrast",
    "session_contrast",
    "chart",
}
_RULE_KEYS = {"stubble_visibility", "tolerance", "min_contrast"}
_EPS = 1e-9


@dataclass(frozen=True)
class ContrastRange:
    """Natural range of a healed dot's ΔL* against the scalp."""

    low: float
    high: float


@dataclass(frozen=True, kw_only=True)
class DilutionTable:
    """A clinic's dilution settings (docs/colour.md; defaults in ``default_dilution_table.json``).

    Parameters
    ----------
    shades_ml_water : tuple of float
        The chart's shades, mL of distilled water per mL of pigment, increasing.
    hair_colours : mapping of str to str
        Named hair colours as ``#rrggbb``.
    stubble_visibility : float
        Share of the hair-to-skin lightness difference a shaved hair shows as a dot.
    tolerance : float
        Half-width of the natural range, as a share of its centre.
    min_contrast : float
        Smallest range centre (ΔL*) so that every dot still reads as stubble.
    zone_contrast : mapping of str to float
        Contrast factor per zone (lighter in the transition zone and for sentinels).
    session_contrast : tuple of float
        Contrast factor per session, increasing (pigment builds darker session by session);
        sessions past the end use the last value.
    chart : mapping of int to mapping of str to float
        The clinic's own body shade for the final session, by Monk tone and hair colour
        name; an entry replaces the contrast rule's target there. Empty by default.
    about : str
        Free text: where the numbers come from.
    """

    shades_ml_water: tuple[float, ...]
    hair_colours: Mapping[str, str]
    stubble_visibility: float
    tolerance: float
    min_contrast: float
    zone_contrast: Mapping[str, float]
    session_contrast: tuple[float, ...]
    chart: Mapping[int, Mapping[str, float]] = field(default_factory=dict)
    about: str = ""

    @classmethod
    def default(cls) -> DilutionTable:
        """The shipped default table.

        Examples
        --------
        >>> table = DilutionTable.default()
        >>> table.shades_ml_water[:4], table.session_contrast
        ((0.0, 1.0, 2.0, 3.0), (0.8, 0.9, 1.0))
        """
        return _DEFAULT

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DilutionTable:
        """Build and check a table from its JSON form (every key required but ``about``).

        Examples
        --------
        >>> data = DilutionTable.default().to_dict()
        >>> data["chart"] = {"9": {"black": 0}}
        >>> DilutionTable.from_dict(data).chart
        {9: {'black': 0.0}}
        """
        _require_keys(data)
        rule = _mapping(data["contrast_rule"], "contrast_rule")
        _check_keys(rule, _RULE_KEYS, "contrast_rule")
        hair = _hair_colours(data["hair_colours"])
        shades = _shades(data["shades_ml_water"])
        return cls(
            shades_ml_water=shades,
            hair_colours=hair,
            stubble_visibility=_number(rule, "stubble_visibility", 0.05, 2.0),
            tolerance=_number(rule, "tolerance", 0.0, 0.9),
            min_contrast=_number(rule, "min_contrast", 0.0, 50.0),
            zone_contrast=_zone_contrast(data["zone_contrast"]),
            session_contrast=_session_contrast(data["session_contrast"]),
            chart=_chart(data["chart"], hair, shades),
            about=str(data.get("about", "")),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (what :meth:`from_dict` reads).

        Examples
        --------
        >>> sorted(DilutionTable.default().to_dict()["contrast_rule"])
        ['min_contrast', 'stubble_visibility', 'tolerance']
        """
        return {
            "about": self.about,
            "shades_ml_water": list(self.shades_ml_water),
            "hair_colours": dict(self.hair_colours),
            "contrast_rule": {
                "stubble_visibility": self.stubble_visibility,
                "tolerance": self.tolerance,
                "min_contrast": self.min_contrast,
            },
            "zone_contrast": dict(self.zone_contrast),
            "session_contrast": list(self.session_contrast),
            "chart": {str(k): dict(v) for k, v in self.chart.items()},
        }


def load_dilution_table(
    path: str | Path | None = None, *, overrides: Mapping[str, Any] | None = None
) -> DilutionTable:
    """Load a clinic's table: the default, updated by a JSON file, then by ``overrides``.

    The file and the overrides may hold only the keys they change; nested objects merge
    key by key (lists are replaced whole).

    Examples
    --------
    >>> t = load_dilution_table(overrides={"zone_contrast": {"transition": 0.7}})
    >>> t.zone_contrast["transition"], t.zone_contrast["sentinel"]
    (0.7, 0.6)
    """
    data = DilutionTable.default().to_dict()
    if path is not None:
        data = _merge(data, _read_json(Path(path)))
    if overrides is not None:
        data = _merge(data, overrides)
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
        Natural stubble range of ΔL* for this zone and session.
    dot_hex : str
        Healed dot colour, ``#rrggbb``.
    basis : str
        ``"contrast rule"``, ``"clinic chart"`` or ``"given"`` (assessed, not chosen).
    flags : tuple of str
        Keys of :data:`FLAG_MESSAGES`.
    """

    zone: str
    session: int | None
    ml_water: float
    delta_l: float
    natural: ContrastRange
    dot_hex: str
    basis: str
    flags: tuple[str, ...]

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
) -> ContrastRange:
    """Natural ΔL* range of a healed dot against the scalp (the contrast rule).

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
    >>> r = stubble_range([77.9, 3.47, 23.14], "black")
    >>> round(r.low, 1), round(r.high, 1)
    (35.4, 59.0)
    >>> r = stubble_range([77.9, 3.47, 23.14], "black", zone="transition", session=1)
    >>> round(r.low, 1), round(r.high, 1)
    (22.7, 37.8)
    """
    table = table or DilutionTable.default()
    difference = _skin_lab(skin)[0] - _hair_lab(hair, table)[0]
    centre = max(table.stubble_visibility * difference, table.min_contrast)
    centre *= _zone_factor(zone, tone, table) * _session_factor(session, table)
    return ContrastRange(low=centre * (1 - table.tolerance), high=centre * (1 + table.tolerance))


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
    """The most diluted shade whose healed dot still reaches the natural stubble range.

    Parameters are those of :func:`stubble_range`, plus the pigment ``model``. When the
    table's chart has the clinic's own body shade for the skin's Monk tone and the nearest
    named hair colour, that shade's contrast replaces the bottom of the range (scaled by the
    zone and session factors), and the advice says ``basis="clinic chart"``.

    Examples
    --------
    >>> skin = [77.9, 3.47, 23.14]  # Monk 5
    >>> [recommend_dilution(skin, h).ml_water for h in ("black", "brown", "grey", "white")]
    [1.0, 2.0, 10.0, 20.0]
    >>> [recommend_dilution(skin, "brown", session=s).ml_water for s in (1, 2, 3)]
    [3.0, 2.0, 2.0]
    >>> recommend_dilution(skin, "brown", zone="sentinel").ml_water
    5.0
    """
    table = table or DilutionTable.default()
    lab = _skin_lab(skin)
    natural = stubble_range(lab, hair, zone=zone, session=session, tone=tone, table=table)
    floor, basis = natural.low, "contrast rule"
    chart_shade = _chart_shade(lab, hair, table)
    if chart_shade is not None:
        scale = _zone_factor(zone, tone, table) * _session_factor(session, table)
        floor, basis = float(dot_contrast(lab, chart_shade, model=model)) * scale, "clinic chart"
    shades = np.asarray(table.shades_ml_water)
    contrasts = dot_contrast(lab, shades, model=model)
    reaching = np.flatnonzero(contrasts >= floor - _EPS)
    index = int(reaching[-1]) if reaching.size else 0
    flags = _flags(float(contrasts[index]), natural, lab, hair, table)
    if not reaching.size:
        flags = ("cannot_reach_target", *flags)
    return _advice(lab, float(shades[index]), zone, session, natural, basis, flags, model)


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
    """Check a practitioner's dilution against the natural stubble range.

    Examples
    --------
    >>> a = assess_dilution(0.0, [77.9, 3.47, 23.14], "grey")
    >>> a.flags
    ('darker_than_needed',)
    """
    table = table or DilutionTable.default()
    lab = _skin_lab(skin)
    natural = stubble_range(lab, hair, zone=zone, session=session, tone=tone, table=table)
    contrast = float(dot_contrast(lab, ml_water, model=model))
    flags = _flags(contrast, natural, lab, hair, table)
    return _advice(lab, float(ml_water), zone, session, natural, "given", flags, model)


def dilution_chart(
    *, table: DilutionTable | None = None, model: PigmentModel = DEFAULT_MODEL
) -> dict[int, dict[str, float]]:
    """The contrast rule's body shade (final session) for each Monk swatch and hair colour.

    This is the chart the rule implies; a clinic can copy it into its table's ``chart`` and
    edit it.

    Examples
    --------
    >>> chart = dilution_chart()
    >>> chart[1]["black"], chart[1]["white"], chart[10]["black"]
    (1.0, 20.0, 6.0)
    """
    base = replace(table or DilutionTable.default(), chart={})
    return {
        tone: {
            name: recommend_dilution(_swatch_lab(tone), name, table=base, model=model).ml_water
            for name in base.hair_colours
        }
        for tone in range(1, len(MONK_SWATCHES) + 1)
    }


def _advice(
    lab: FloatArray,
    ml_water: float,
    zone: str,
    session: int | None,
    natural: ContrastRange,
    basis: str,
    flags: tuple[str, ...],
    model: PigmentModel,
) -> DilutionAdvice:
    dot = dot_lab(lab, ml_water, model=model)
    return DilutionAdvice(
        zone=zone,
        session=session,
        ml_water=ml_water,
        delta_l=float(lab[0] - dot[0]),
        natural=natural,
        dot_hex=srgb_to_hex(lab_to_srgb(dot)),
        basis=basis,
        flags=flags,
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
    if _hair_lab(hair, table)[0] >= skin_lab[0]:
        flags.append("hair_not_darker_than_skin")
    return tuple(flags)


def _chart_shade(
    skin_lab: FloatArray, hair: str | npt.ArrayLike, table: DilutionTable
) -> float | None:
    if not table.chart:
        return None
    monk, _ = nearest_monk(skin_lab)
    return table.chart.get(monk, {}).get(_nearest_hair_name(hair, table))


def _nearest_hair_name(hair: str | npt.ArrayLike, table: DilutionTable) -> str:
    if isinstance(hair, str) and hair.strip().lower() in table.hair_colours:
        return hair.strip().lower()
    names = list(table.hair_colours)
    swatches = srgb_to_lab(np.stack([hex_to_srgb(table.hair_colours[n]) for n in names]))
    target = np.broadcast_to(_hair_lab(hair, table), swatches.shape)
    return names[int(np.argmin(delta_e(target, swatches)))]


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
        return table.zone_contrast[zone]
    if not (math.isfinite(tone) and 0 < tone <= 1.5):
        raise ColourError(f"pigment tone must lie in (0, 1.5] (1 = body shade), got {tone}")
    return tone


def _session_factor(session: int | None, table: DilutionTable) -> float:
    if session is None:
        return table.session_contrast[-1]
    if isinstance(session, bool) or not isinstance(session, int) or session < 1:
        raise ColourError(f"session numbers start at 1, got {session!r}")
    return table.session_contrast[min(session, len(table.session_contrast)) - 1]


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


def _merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in _mapping(update, "the overrides").items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _require_keys(data: Mapping[str, Any]) -> None:
    _check_keys(data, _TABLE_KEYS, "dilution table")
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


def _number(rule: Mapping[str, Any], key: str, low: float, high: float) -> float:
    return _finite(rule[key], f"contrast_rule.{key}", low, high)


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
    return {str(name).lower(): str(code) for name, code in colours.items()}


def _zone_contrast(value: Any) -> dict[str, float]:
    zones = _mapping(value, "zone_contrast")
    _check_keys(zones, set(ZONE_NAMES), "zone_contrast")
    missing = [z for z in ZONE_NAMES if z not in zones]
    if missing:
        raise ColourError(f"dilution table: zone_contrast lacks {', '.join(missing)}")
    return {z: _finite(zones[z], f"zone_contrast.{z}", 0.05, 1.5) for z in ZONE_NAMES}


def _session_contrast(values: Any) -> tuple[float, ...]:
    if not isinstance(values, list) or not values:
        raise ColourError("dilution table: session_contrast must be a non-empty list")
    factors = tuple(_finite(v, "each session_contrast", 0.05, 1.5) for v in values)
    if any(b < a for a, b in itertools.pairwise(factors)):
        raise ColourError(
            "dilution table: session_contrast must not decrease (sessions build darker)"
        )
    return factors


def _chart(
    value: Any, hair: Mapping[str, str], shades: tuple[float, ...]
) -> dict[int, dict[str, float]]:
    chart: dict[int, dict[str, float]] = {}
    for key, row in _mapping(value, "chart").items():
        tone = int(key) if str(key).isdigit() else 0
        if not 1 <= tone <= len(MONK_SWATCHES):
            raise ColourError(f"dilution table: chart key {key!r} is not a Monk tone 1–10")
        chart[tone] = {}
        for name, shade in _mapping(row, f"chart.{key}").items():
            if str(name).lower() not in hair:
                raise ColourError(
                    f"dilution table: chart.{key} names hair colour {name!r}, not in hair_colours"
                )
            chart[tone][str(name).lower()] = _chart_shade_value(
                shade, f"chart.{key}.{name}", shades
            )
    return chart


def _chart_shade_value(value: Any, where: str, shades: tuple[float, ...]) -> float:
    shade = _finite(value, where, 0.0, 1000.0)
    if shade not in shades:
        raise ColourError(
            f"dilution table: {where} = {shade:g} mL is not one of shades_ml_water; "
            "add it there or use a listed shade"
        )
    return shade


def _load_default() -> DilutionTable:
    text = resources.files("smpstudio.colour").joinpath("default_dilution_table.json").read_text()
    return DilutionTable.from_dict(json.loads(text))


_DEFAULT = _load_default()
