"""Remaining hair as freshly shaved stubble in follicular units.

Follicular units (FU) sit as blue noise on the natural scalp at ``FU_DENSITY × coverage``
(non-balding FU density 90–100 FU/cm², domain reference §4); each holds 1–4 hairs (Han
Chinese composition 28 / 53 / 18 / 1 %, Guo et al., §4) of 60–80 µm shafts (Wolfram 2003,
§4). A shaved head's stubble is the setting ``shaved_stubble_mm`` (0.8 mm: a 0-guard buzz
cut; a razor's shave is 0.35 mm a day later), the length the blended shade is solved against
(:func:`smpstudio.dots.blend_for`). Hairs lean away from the crown
whorl, which sits in the midline about 30° behind the vertex, and spiral slightly around it.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from smpstudio._rng import rng_for
from smpstudio._types import FloatArray, IntArray
from smpstudio.colour import SHAVED
from smpstudio.dots import sample_on_head

if TYPE_CHECKING:
    from smpstudio._design import Design

__all__ = ["FU_DENSITY", "LONG_FROM_MM", "Stubble", "stubble"]

FU_DENSITY = SHAVED.fu_per_cm2  # follicular units per cm² on full hair
LONG_FROM_MM = 8.0
"""Hair this long or longer lies on the scalp as strands (:mod:`._strands`); shorter hair
stands as stubble of its length."""
_HAIRS_PER_FU = np.array([0.28, 0.53, 0.18, 0.01])
_SHAFT_MM = SHAVED.shaft_mm
_WHORL_ALPHA_DEG = -30.0
_SPIRAL = 0.35
_SPREAD_MM = 0.12  # hairs of one unit emerge this close together


@dataclass(frozen=True)
class Stubble:
    """Hair shafts: roots on the skin, unit directions along the skin, lengths (mm)."""

    roots: FloatArray
    directions: FloatArray
    lengths: FloatArray
    key: tuple[object, ...] = ()
    """What the stubble was grown from (pattern, patches, head, scars, edge, seed, length)."""
    width_mm: float = _SHAFT_MM
    counts: IntArray | None = None
    """Hairs of each follicular unit, in order: unit ``u`` holds the hairs from
    ``counts[:u].sum()`` on."""


def stubble(design: Design, *, seed: int) -> Stubble:
    """The shaved stubble of the design's remaining hair.

    Kept for the last few (pattern, patches, head, scars, edge, seed): dragging the hairline
    changes none of them, so the live designer grows the hair once per client.
    """
    scars = tuple(scar.spec for scar in design.scars)
    key = (
        design.pattern.name,
        design.pattern.patches,
        design.head.measures,
        scars,
        design.settings.pattern_edge_mm,
        seed,
        _standing_length(design),
    )
    found = _GROWN.get(key)
    if found is None:
        found = _grow(design, seed, key)
        _GROWN[key] = found
        while len(_GROWN) > _GROWN_KEPT:
            _GROWN.popitem(last=False)
    _GROWN.move_to_end(key)
    return found


_GROWN: OrderedDict[tuple[object, ...], Stubble] = OrderedDict()
_GROWN_KEPT = 8


def _grow(design: Design, seed: int, key: tuple[object, ...]) -> Stubble:
    head = design.head

    def hair_density(points: FloatArray) -> FloatArray:
        coverage = design.field.coverage(points) * head.natural_scalp_mask(points)
        return np.asarray(FU_DENSITY * coverage, dtype=np.float64)

    units, _ = sample_on_head(
        head, hair_density, cap_per_cm2=FU_DENSITY, seed=seed, purpose="hair-follicles"
    )
    rng = rng_for(seed, "hair-shafts")
    counts = rng.choice(len(_HAIRS_PER_FU), size=len(units), p=_HAIRS_PER_FU) + 1
    roots = np.repeat(units, counts, axis=0)
    normals = head.shape.normal(roots)
    roots = head.shape.project(roots + _tangent_jitter(rng, normals, _SPREAD_MM))
    directions = _lean(head, roots, head.shape.normal(roots), rng)
    lengths = _standing_length(design) * rng.uniform(0.6, 1.4, size=len(roots))
    return Stubble(roots, directions, lengths, key, counts=np.asarray(counts, dtype=np.int64))


def _standing_length(design: Design) -> float:
    """The stubble's mean length (mm): the design's hair length when it stands as stubble,
    else — shaved, or long (drawn as strands, :mod:`._strands`) — ``shaved_stubble_mm``."""
    length = design.hair_length_mm
    return length if 0.0 < length < LONG_FROM_MM else design.settings.shaved_stubble_mm


def _tangent_jitter(rng: np.random.Generator, normals: FloatArray, scale: float) -> FloatArray:
    step = rng.normal(0.0, scale, size=normals.shape)
    return np.asarray(
        step - np.sum(step * normals, axis=1, keepdims=True) * normals, dtype=np.float64
    )


def _lean(
    head: object, roots: FloatArray, normals: FloatArray, rng: np.random.Generator
) -> FloatArray:
    alpha = math.radians(_WHORL_ALPHA_DEG)
    whorl = head.shape.project(np.array([[0.0, math.cos(alpha), math.sin(alpha)]]))[0]  # type: ignore[attr-defined]
    away = roots - whorl
    away -= np.sum(away * normals, axis=1, keepdims=True) * normals
    away /= np.maximum(np.linalg.norm(away, axis=1, keepdims=True), 1e-9)
    swirl = np.cross(normals, away)
    direction = (
        away + _SPIRAL * swirl * np.exp(-np.linalg.norm(roots - whorl, axis=1) / 40.0)[:, None]
    )
    direction += 0.25 * _tangent_jitter(rng, normals, 1.0)
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    return np.asarray(direction, dtype=np.float64)
