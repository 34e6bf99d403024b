"""Hair-loss patterns (domain reference §3.1–3.2)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from smpstudio import PatternError
from smpstudio.head import VirtualHead, mesh_area, monte_carlo_area
from smpstudio.loss import PATTERN_NAMES, Patch, loss_pattern

EDGE = 12.0


def _bald(head: VirtualHead, name: str) -> float:
    pattern = loss_pattern(name)

    def weight(p: np.ndarray) -> np.ndarray:
        return (head.natural_scalp_mask(p) & (pattern.coverage(p, edge_mm=EDGE) < 0.2)).astype(
            float
        )

    return mesh_area(head.shape, weight, subdivisions=96) / 100.0


@pytest.mark.parametrize(
    "series",
    [
        ["norwood-1", "norwood-2", "norwood-3", "norwood-4", "norwood-5", "norwood-6", "norwood-7"],
        ["norwood-2a", "norwood-3a", "norwood-4a", "norwood-5a"],
        ["norwood-3", "norwood-3v", "norwood-4"],
        ["ludwig-1", "ludwig-2", "ludwig-3"],
    ],
)
def test_bald_area_grows_with_stage(head_m: VirtualHead, series: list[str]) -> None:
    areas = [_bald(head_m, name) for name in series]
    assert all(b > a for a, b in itertools.pairwise(areas)), dict(zip(series, areas, strict=True))


def test_no_loss_and_stage_one_are_full(head_m: VirtualHead) -> None:
    assert _bald(head_m, "none") == 0.0
    assert _bald(head_m, "norwood-1") == 0.0
    assert _bald(head_m, "ludwig-1") == 0.0  # Ludwig I thins; it does not bald


def test_norwood_7_leaves_a_wreath(head_m: VirtualHead) -> None:
    nw7 = loss_pattern("norwood-7")
    lm = head_m.landmarks
    crown_and_top = np.array([lm["vertex"], head_m.shape.project(np.array([[0.0, 1.0, -0.6]]))[0]])
    sides_and_back = head_m.shape.project(np.array([[1.0, 0.05, -0.2], [0.0, -0.1, -1.0]]))
    assert np.all(nw7.coverage(crown_and_top, edge_mm=EDGE) == 0.0)
    assert np.all(nw7.coverage(sides_and_back, edge_mm=EDGE) == 1.0)


def test_vertex_variant_adds_a_crown_spot(head_m: VirtualHead) -> None:
    crown = head_m.shape.project(np.array([[0.0, 1.0, -0.62]]))
    assert loss_pattern("norwood-3").coverage(crown, edge_mm=EDGE)[0] == 1.0
    assert loss_pattern("norwood-3v").coverage(crown, edge_mm=EDGE)[0] == 0.0


@given(st.sampled_from(PATTERN_NAMES), st.lists(st.floats(-1, 1), min_size=3, max_size=3))
def test_coverage_is_a_fraction(name: str, direction: list[float]) -> None:
    d = np.array([direction])
    if np.linalg.norm(d) < 1e-6:
        return
    head = VirtualHead.preset("M")
    c = loss_pattern(name).coverage(head.shape.project(d), edge_mm=EDGE)
    assert 0.0 <= c[0] <= 1.0


@pytest.mark.parametrize("name", ["norwood-9", "Norwood 5", "", "ludwig-4"])
def test_unknown_pattern_is_refused_with_the_list(name: str) -> None:
    with pytest.raises(PatternError, match="choose one of norwood-1"):
        loss_pattern(name)


def test_areata_patch_has_its_disc_area(head_m: VirtualHead) -> None:
    centre = tuple(head_m.shape.project(np.array([[0.3, 1.0, -0.3]]))[0])
    radius = 15.0
    pattern = loss_pattern("none").with_patches((Patch(centre, radius),))  # type: ignore[arg-type]

    def inside(p: np.ndarray) -> np.ndarray:
        return (pattern.coverage(p, edge_mm=EDGE) < 0.5).astype(float)

    area, err = monte_carlo_area(head_m.shape, inside, samples=2_000_000, seed=5)
    # chord radius on a curved surface: the geodesic disc is a hair larger than pi r^2
    assert area == pytest.approx(math.pi * radius**2, rel=0.03)
    assert err < 0.02 * area
