"""Named hair-loss patterns: Hamilton–Norwood, Ludwig, diffuse thinning, none.

Norwood's and Ludwig's classes are drawings, not geometry (their exact definitions are not
sourced: domain reference §3, [U]). The regions below follow the published stage
descriptions: II mature hairline with some temporal recession; III deeper temporal recession;
III vertex adds the crown; IV more frontal loss and a larger crown with a solid band of hair
between; V both enlarge and the bridge thins; VI the bridge is gone; VII only a wreath at the
sides and back remains; the A variants recede front to back with no central island and a
spared vertex. Ludwig I–III thin the crown more and more widely with the frontal fringe kept.
Angles are in degrees (see :mod:`smpstudio.loss._primitives`), so a pattern scales with the
head.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from smpstudio._errors import PatternError
from smpstudio._kernels import coverage_kernel
from smpstudio._types import FloatArray
from smpstudio.loss._primitives import (
    Crown,
    Oval,
    PackedRegions,
    Patch,
    Recession,
    Region,
    pack_regions,
)

__all__ = ["PATTERN_NAMES", "LossPattern", "loss_pattern"]

_CROWN_ALPHA = -30.0

_NORWOOD: dict[str, tuple[Region, ...]] = {
    "norwood-1": (),
    "norwood-2": (
        Recession(((0, 49.0), (14, 47.0), (24, 40.0), (31, 37.0), (38, 42.0), (44, 70.0))),
    ),
    "norwood-2a": (Recession(((0, 42.0), (18, 41.5), (28, 39.0), (36, 42.0), (43, 70.0))),),
    "norwood-3": (
        Recession(((0, 45.0), (12, 42.0), (22, 31.0), (30, 25.0), (37, 30.0), (45, 70.0))),
    ),
    "norwood-3a": (Recession(((0, 31.0), (18, 30.0), (28, 27.0), (36, 33.0), (44, 70.0))),),
    "norwood-3v": (
        Recession(((0, 45.0), (12, 42.0), (22, 31.0), (30, 25.0), (37, 30.0), (45, 70.0))),
        Crown(_CROWN_ALPHA, 13.0),
    ),
    "norwood-4": (
        Recession(((0, 31.0), (12, 27.0), (22, 18.0), (30, 14.0), (38, 24.0), (47, 70.0))),
        Crown(_CROWN_ALPHA, 18.0),
    ),
    "norwood-4a": (Recession(((0, 12.0), (18, 12.0), (28, 14.0), (36, 24.0), (45, 70.0))),),
    "norwood-5": (
        Recession(((0, 16.0), (12, 12.0), (22, 5.0), (30, 4.0), (39, 20.0), (48, 70.0))),
        Crown(_CROWN_ALPHA - 2.0, 23.0),
        Oval(alpha=-6.0, radius_deg=16.0, width_deg=24.0, level=0.55, plateau=0.4),
    ),
    "norwood-5a": (
        Recession(((0, -22.0), (16, -20.0), (26, -12.0), (34, 6.0), (42, 30.0), (50, 70.0))),
    ),
    "norwood-6": (
        Recession(((0, -60.0), (16, -56.0), (26, -44.0), (34, -18.0), (41, 16.0), (49, 70.0))),
    ),
    "norwood-7": (
        Recession(
            ((0, -82.0), (18, -80.0), (30, -70.0), (38, -46.0), (44, -6.0), (51, 40.0), (56, 70.0))
        ),
    ),
}

_LUDWIG: dict[str, tuple[Region, ...]] = {
    "ludwig-1": (Oval(alpha=2.0, radius_deg=34.0, width_deg=17.0, level=0.55, plateau=0.2),),
    "ludwig-2": (Oval(alpha=2.0, radius_deg=42.0, width_deg=25.0, level=0.88, plateau=0.2),),
    "ludwig-3": (Oval(alpha=0.0, radius_deg=50.0, width_deg=33.0, level=0.97, plateau=0.35),),
}

_OTHER: dict[str, tuple[Region, ...]] = {
    "none": (),
    "diffuse": (Oval(alpha=-10.0, radius_deg=85.0, width_deg=60.0, level=0.5, plateau=0.55),),
}

_CATALOGUE: dict[str, tuple[Region, ...]] = {**_NORWOOD, **_LUDWIG, **_OTHER}
PATTERN_NAMES: tuple[str, ...] = tuple(_CATALOGUE)


@dataclass(frozen=True, eq=False)
class LossPattern:
    """A hair-loss pattern: named regions plus any alopecia areata patches.

    Examples
    --------
    >>> pattern = loss_pattern("norwood-3v")
    >>> crown, back_of_head = [0.0, 80.0, -46.0], [0.0, 20.0, -95.0]
    >>> pattern.coverage(np.array([crown, back_of_head]), edge_mm=12.0).round(2).tolist()
    [0.0, 1.0]
    """

    name: str
    regions: tuple[Region, ...]
    patches: tuple[Patch, ...] = ()

    @cached_property
    def packed(self) -> PackedRegions:
        return pack_regions((*self.regions, *self.patches))

    def coverage(self, points: FloatArray, *, edge_mm: float) -> FloatArray:
        """Remaining-hair coverage in [0, 1] at surface points (1 = full hair)."""
        pts = np.ascontiguousarray(np.asarray(points, dtype=np.float64).reshape(-1, 3))
        k = self.packed
        cov = coverage_kernel(pts, k.rec_tab, k.rec_level, k.crowns, k.ovals, k.patches, edge_mm)
        return np.asarray(cov.reshape(np.shape(points)[:-1]), dtype=np.float64)

    @property
    def recedes_hairline(self) -> bool:
        """True when the frontal hairline recedes (Norwood 2 and beyond): the treatment then
        rebuilds a hairline. Ludwig, diffuse thinning, none and Norwood 1 keep the client's
        own hairline."""
        return any(isinstance(r, Recession) for r in self.regions)

    def with_patches(self, patches: tuple[Patch, ...]) -> LossPattern:
        return LossPattern(self.name, self.regions, self.patches + patches)


def loss_pattern(name: str) -> LossPattern:
    """Return the named pattern (see :data:`PATTERN_NAMES`)."""
    key = name.strip().lower()
    if key not in _CATALOGUE:
        raise PatternError(f"unknown pattern {name!r}: choose one of {', '.join(PATTERN_NAMES)}")
    return LossPattern(key, _CATALOGUE[key])
