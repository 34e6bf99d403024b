"""The client's face options: sex, age and a few MakeHuman morphs (validated)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from smpstudio._errors import HeadMorphError

__all__ = [
    "AGE_RANGE_YEARS",
    "ANCESTRIES",
    "HEAD_SHAPES",
    "MORPH_NAMES",
    "SEXES",
    "Face",
    "FaceMorphs",
]

SEXES = ("male", "female")
AGE_RANGE_YEARS = (18.0, 90.0)
ANCESTRIES = ("african", "asian", "caucasian")
HEAD_SHAPES = ("head-oval", "head-round", "head-square")
MORPH_NAMES = (*ANCESTRIES, *HEAD_SHAPES)
"""Morphs a head accepts, each weighted 0–1: the three MakeHuman ancestries (normalised to
sum 1; an equal mix when none is given) and three face outlines (added as given)."""
_YOUNG, _CHILD, _OLD = 25.0, 11.0, 90.0  # MakeHuman's macro model ages (years)


@dataclass(frozen=True, kw_only=True)
class FaceMorphs:
    """Sex, age and morph weights of the client's face.

    The scalp is the design surface whatever these are; they shape the face, ears and neck
    drawn under it.

    Examples
    --------
    >>> FaceMorphs().to_dict()
    {'sex': 'male', 'age_years': 35.0, 'morphs': {}}
    >>> FaceMorphs(morphs={"asian": 1}).ancestry_weights()
    {'african': 0.0, 'asian': 1.0, 'caucasian': 0.0}
    >>> FaceMorphs(age_years=12)
    Traceback (most recent call last):
    ...
    smpstudio._errors.HeadMorphError: age 12 years is outside 18–90 years
    """

    sex: str = "male"
    age_years: float = 35.0
    morphs: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.sex not in SEXES:
            raise HeadMorphError(f"sex {self.sex!r} is unknown: use male or female")
        low, high = AGE_RANGE_YEARS
        age = _number(self.age_years, "age")
        if not low <= age <= high:
            raise HeadMorphError(f"age {age:g} years is outside {low:g}–{high:g} years")
        object.__setattr__(self, "age_years", age)
        object.__setattr__(self, "morphs", _checked_morphs(self.morphs))

    def __hash__(self) -> int:
        return hash((self.sex, self.age_years, tuple(sorted(self.morphs.items()))))

    def to_dict(self) -> dict[str, Any]:
        """The options as JSON-ready values (round-trip with ``FaceMorphs(**d)``)."""
        return {"sex": self.sex, "age_years": self.age_years, "morphs": dict(self.morphs)}

    def ancestry_weights(self) -> dict[str, float]:
        """Weights of the MakeHuman ancestries, summing to 1."""
        given = {name: self.morphs.get(name, 0.0) for name in ANCESTRIES}
        total = sum(given.values())
        if not any(name in self.morphs for name in ANCESTRIES):
            return {name: 1.0 / len(ANCESTRIES) for name in ANCESTRIES}
        return {name: value / total for name, value in given.items()}

    def age_weights(self) -> dict[str, float]:
        """Weights of MakeHuman's child / young / old targets at this age (linear between
        11, 25 and 90 years, as MakeHuman's age slider)."""
        age = self.age_years
        if age < _YOUNG:
            child = (_YOUNG - age) / (_YOUNG - _CHILD)
            return {"child": child, "young": 1.0 - child, "old": 0.0}
        old = (age - _YOUNG) / (_OLD - _YOUNG)
        return {"child": 0.0, "young": 1.0 - old, "old": old}


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise HeadMorphError(f"{what} must be a number, got {value!r}")
    return float(value)


def _checked_morphs(morphs: object) -> Mapping[str, float]:
    if not isinstance(morphs, Mapping):
        raise HeadMorphError(f"morphs must map names to weights 0–1, got {morphs!r}")
    checked: dict[str, float] = {}
    for name, raw in sorted(morphs.items()):
        if name not in MORPH_NAMES:
            raise HeadMorphError(
                f"unknown head morph {name!r}: choose from {', '.join(MORPH_NAMES)} (each 0–1)"
            )
        value = _number(raw, f"head morph {name}")
        if not 0.0 <= value <= 1.0:
            raise HeadMorphError(f"head morph {name}={value:g} is outside 0–1")
        checked[name] = value
    if any(n in checked for n in ANCESTRIES) and sum(checked.get(n, 0.0) for n in ANCESTRIES) == 0:
        raise HeadMorphError(
            f"the ancestry morphs ({', '.join(ANCESTRIES)}) are all 0: give one above 0"
        )
    return _FrozenMapping(checked)


class _FrozenMapping(dict[str, float]):
    """A dict that refuses changes (the morphs of a frozen, hashable FaceMorphs)."""

    def _refuse(self, *args: object, **kwargs: object) -> None:
        raise TypeError("face morphs cannot be changed; build a new FaceMorphs")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple[type[_FrozenMapping], tuple[dict[str, float]]]:
        return (_FrozenMapping, (dict(self),))  # rebuilt whole, not item by item (pickle, copy)


@dataclass(frozen=True)
class Face:
    """What the render mesh needs beyond the scalp surface: the face options, and the face
    height (glabella to menton) and canthal width of the head measures (mm)."""

    morphs: FaceMorphs = field(default_factory=FaceMorphs)
    height_mm: float = 136.0
    canthal_width_mm: float = 91.0
