"""Per-dot work of the plan: which impressions each session lays, with which needle and shade."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from smpstudio._types import BoolArray, FloatArray, IntArray
from smpstudio.dots import TONE_STEP, Impressions

__all__ = ["FINE_NEEDLE", "DotWork", "darker", "hash_rank", "shade_lookup", "tone_steps"]

FINE_NEEDLE = 0  # code of 1RL in smpstudio.dots.NEEDLES
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True, eq=False)
class DotWork:
    """Parallel arrays, one entry per impression to lay in a session or stage."""

    zone: IntArray
    needle: IntArray
    ml_water: FloatArray
    tone: FloatArray
    ident: IntArray
    front: FloatArray  # angle ahead of the vertex about the ear-to-ear axis (radians)
    redo: BoolArray

    def __len__(self) -> int:
        return int(self.zone.shape[0])

    @classmethod
    def of(cls, impressions: Impressions) -> DotWork:
        p = impressions.positions
        return cls(
            zone=impressions.zone.astype(np.int64),
            needle=impressions.needle.astype(np.int64),
            ml_water=impressions.dilution.astype(np.float64),
            tone=impressions.tone.astype(np.float64),
            ident=impressions.ident.astype(np.int64),
            front=np.arctan2(p[:, 2], p[:, 1]) if len(p) else np.zeros(0),
            redo=np.zeros(len(p), dtype=np.bool_),
        )

    def take(self, which: BoolArray | IntArray) -> DotWork:
        return DotWork(
            self.zone[which],
            self.needle[which],
            self.ml_water[which],
            self.tone[which],
            self.ident[which],
            self.front[which],
            self.redo[which],
        )

    def with_shades(self, ml_water: FloatArray, *, redo: bool | None = None) -> DotWork:
        flags = self.redo if redo is None else np.full(len(self), redo, dtype=np.bool_)
        return DotWork(self.zone, self.needle, ml_water, self.tone, self.ident, self.front, flags)

    @staticmethod
    def concat(parts: Sequence[DotWork]) -> DotWork:
        names = ("zone", "needle", "ml_water", "tone", "ident", "front", "redo")
        arrays = [np.concatenate([getattr(p, n) for p in parts]) for n in names]
        return DotWork(*arrays)


def tone_steps(tone: FloatArray) -> IntArray:
    steps: IntArray = np.round(np.asarray(tone, dtype=np.float64) / TONE_STEP).astype(np.int64)
    return steps


def shade_lookup(impressions: Impressions) -> dict[tuple[int, int, int], float]:
    """The dots' shade by (zone, session, rounded tone): how the rule mixed each cup."""
    steps = tone_steps(impressions.tone)
    keys = np.stack([impressions.zone, impressions.session, steps], axis=1).astype(np.int64)
    unique, first = np.unique(keys, axis=0, return_index=True)
    return {
        (int(z), int(k), int(t)): float(impressions.dilution[i])
        for (z, k, t), i in zip(unique.tolist(), first.tolist(), strict=True)
    }


def hash_rank(ident: IntArray, salt: int) -> IntArray:
    """A fixed pseudo-random order of dots (for choosing a share of them reproducibly)."""
    with np.errstate(over="ignore"):
        mixed = (ident.astype(np.uint64) + np.uint64(salt)) * _GOLDEN
        mixed ^= mixed >> np.uint64(29)
        mixed *= _GOLDEN
    return np.argsort(np.argsort(mixed, kind="stable"), kind="stable").astype(np.int64)


def darker(ml_water: FloatArray, steps: int, shades: Sequence[float]) -> FloatArray:
    """Move each shade ``steps`` places darker on the clinic's chart (never below its first).

    >>> darker(np.array([5.0, 2.0, 0.0, 4.5]), 1, [0, 1, 2, 3, 4, 5]).tolist()
    [4.0, 1.0, 0.0, 4.0]
    """
    chart = np.asarray(sorted(shades), dtype=np.float64)
    ml = np.asarray(ml_water, dtype=np.float64)
    if steps <= 0 or ml.size == 0:
        return ml.copy()
    below = np.searchsorted(chart, ml - 1e-9, side="left") - 1  # next darker chart shade
    moved = chart[np.clip(below - (steps - 1), 0, None)]
    return np.where(below >= 0, moved, ml)
