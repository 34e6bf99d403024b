"""Each dot's dilution from the colour module's dilution chart."""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from smpstudio._settings import Settings
from smpstudio._types import FloatArray, IntArray
from smpstudio.colour import (
    SHAVED,
    BlendAdvice,
    DilutionTable,
    ShavedOptics,
    SkinLike,
    blend_shade,
    recommend_dilution,
    shade_for,
    skin_tone,
)
from smpstudio.density import ZONES
from smpstudio.dots._engine import DilutionRule

__all__ = ["TONE_STEP", "blend_for", "dilution_rule", "shaved_optics"]

TONE_STEP = 0.05
"""Tones are rounded to this step before asking the dilution chart (lighter hairline dots
get one of a handful of shades, as a practitioner mixes a few cups, not a gradient)."""


def blend_for(
    skin: SkinLike | str,
    hair: str | npt.ArrayLike,
    settings: Settings,
    *,
    table: DilutionTable | None = None,
) -> BlendAdvice:
    """The body shade that blends a design's healed dots with the remaining hair
    (:func:`smpstudio.colour.blend_shade` at the design's full density, session shares and
    body dot diameter, against stubble of ``shaved_stubble_mm`` as the renderer draws it)."""
    scalp = skin_tone(skin) if isinstance(skin, str) else skin
    return blend_shade(
        scalp,
        hair,
        density_per_cm2=settings.density_full_per_cm2,
        session_fractions=settings.session_fractions,
        diameter_mm=settings.dot_diameter_body_mm,
        table=table,
        optics=shaved_optics(settings),
    )


def shaved_optics(settings: Settings) -> ShavedOptics:
    """The shaved-head optics with the clinic's stubble length (``shaved_stubble_mm``)."""
    return dataclasses.replace(SHAVED, stubble_mm=settings.shaved_stubble_mm)


def dilution_rule(
    skin: SkinLike | str,
    hair: str | npt.ArrayLike,
    *,
    table: DilutionTable | None = None,
    settings: Settings | None = None,
) -> DilutionRule:
    """A rule giving dots the recommended dilution for their zone, session and tone.

    ``skin`` is a :class:`~smpstudio.colour.SkinTone`, CIELAB values or ``#rrggbb``;
    ``hair`` a hair-colour name of the dilution table, ``#rrggbb`` or CIELAB. With a
    design's ``settings`` the body shade is the one that blends the healed scalp with the
    remaining hair (:func:`blend_for`) instead of the chart's, and the other zones and
    sessions are scaled from it as from the chart's.

    Answers are cached by (zone, session, rounded tone), so re-placing dots with the same
    rule — while a hairline is dragged — costs no colour science.

    >>> rule = dilution_rule("#d7bd96", "dark-brown")
    >>> zones = np.array([1, 1, 2])          # body, body, transition
    >>> rule(zones, np.array([1, 3, 3]), np.array([1.0, 1.0, 0.6])).tolist()
    [5.0, 4.0, 6.0]
    """
    scalp = skin_tone(skin) if isinstance(skin, str) else skin
    cache: dict[tuple[int, int, float], float] = {}
    # Answer the commonest question now, so that a wrong skin or hair colour is refused here
    # even when the design places no dot (and the rule is never asked).
    body = ZONES.index("body")
    first = recommend_dilution(scalp, hair, zone="body", session=1, tone=1.0, table=table)
    blended = None if settings is None else blend_for(scalp, hair, settings, table=table).ml_water

    def shade(zone: str, session: int, tone: float) -> float:
        if blended is None:
            advice = recommend_dilution(
                scalp, hair, zone=zone, session=session, tone=tone, table=table
            )
            return advice.ml_water
        return shade_for(blended, zone=zone, session=session, tone=tone, table=table)

    cache[(body, 1, 1.0)] = first.ml_water if blended is None else shade("body", 1, 1.0)

    def rule(zone: IntArray, session: IntArray, tone: FloatArray) -> FloatArray:
        steps = np.round(np.asarray(tone) / TONE_STEP).astype(np.int64)
        packed = (np.asarray(zone, dtype=np.int64) * 1_000 + np.asarray(session)) * 1_000 + steps
        unique, inverse = np.unique(packed, return_inverse=True)
        values = np.empty(len(unique))
        for k, code in enumerate(unique.tolist()):
            z, rest = divmod(code, 1_000_000)
            s, t = divmod(rest, 1_000)
            key = (z, s, round(t * TONE_STEP, 4))
            if key not in cache:
                cache[key] = shade(ZONES[key[0]], key[1], key[2])
            values[k] = cache[key]
        return np.asarray(values[inverse.ravel()], dtype=np.float64)

    return rule
