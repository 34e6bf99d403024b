"""Each dot's dilution from the colour module's dilution chart."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from smpstudio._types import FloatArray, IntArray
from smpstudio.colour import DilutionTable, SkinLike, recommend_dilution, skin_tone
from smpstudio.density import ZONES
from smpstudio.dots._engine import DilutionRule

__all__ = ["TONE_STEP", "dilution_rule"]

TONE_STEP = 0.05
"""Tones are rounded to this step before asking the dilution chart (lighter hairline dots
get one of a handful of shades, as a practitioner mixes a few cups, not a gradient)."""


def dilution_rule(
    skin: SkinLike | str, hair: str | npt.ArrayLike, *, table: DilutionTable | None = None
) -> DilutionRule:
    """A rule giving dots the recommended dilution for their zone, session and tone.

    ``skin`` is a :class:`~smpstudio.colour.SkinTone`, CIELAB values or ``#rrggbb``;
    ``hair`` a hair-colour name of the dilution table, ``#rrggbb`` or CIELAB.

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
    cache[(body, 1, 1.0)] = first.ml_water

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
                advice = recommend_dilution(
                    scalp, hair, zone=ZONES[key[0]], session=key[1], tone=key[2], table=table
                )
                cache[key] = advice.ml_water
            values[k] = cache[key]
        return np.asarray(values[inverse.ravel()], dtype=np.float64)

    return rule
