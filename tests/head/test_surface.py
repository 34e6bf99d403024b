"""Head surface geometry against exact references."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import ellipeinc, ellipkinc

from smpstudio.head import (
    HEAD_PRESETS,
    HeadMeasures,
    HeadShape,
    VirtualHead,
    mesh_area,
    monte_carlo_area,
)
from smpstudio.head._kernels import intersect_rays, shape_params
from smpstudio.head._surface import superellipse_perimeter


def _sphere(radius: float) -> HeadShape:
    return HeadShape(
        a=radius,
        c=radius,
        n_front=2.0,
        n_back=2.0,
        b_up=radius,
        b_down=radius,
        e_up=2.0,
        e_down=2.0,
    )


def _ellipsoid_area(a: float, b: float, c: float) -> float:
    """Exact ellipsoid surface area (Legendre's form with incomplete elliptic integrals)."""
    a, b, c = sorted((a, b, c), reverse=True)
    phi = math.acos(c / a)
    m = (a * a * (b * b - c * c)) / (b * b * (a * a - c * c))
    e_inc, f_inc = ellipeinc(phi, m), ellipkinc(phi, m)
    return 2 * math.pi * c * c + 2 * math.pi * a * b / math.sin(phi) * (
        e_inc * math.sin(phi) ** 2 + f_inc * math.cos(phi) ** 2
    )


def _everywhere(points: np.ndarray) -> np.ndarray:
    return np.ones(len(points))


def test_sphere_area_is_four_pi_r_squared() -> None:
    shape = _sphere(90.0)
    exact = 4 * math.pi * 90.0**2
    assert mesh_area(shape, _everywhere) == pytest.approx(exact, rel=2e-4)
    area, err = monte_carlo_area(shape, _everywhere, samples=200_000)
    assert area == pytest.approx(exact, rel=1e-9)  # constant integrand on a sphere: no variance
    assert err < 1e-6 * exact


def test_ellipsoid_area_matches_elliptic_integrals() -> None:
    shape = HeadShape(
        a=77.0, c=97.0, n_front=2.0, n_back=2.0, b_up=94.0, b_down=94.0, e_up=2.0, e_down=2.0
    )
    exact = _ellipsoid_area(77.0, 94.0, 97.0)
    assert mesh_area(shape, _everywhere) == pytest.approx(exact, rel=2e-4)
    area, err = monte_carlo_area(shape, _everywhere, samples=1_000_000, seed=3)
    assert abs(area - exact) < 4 * err
    assert area == pytest.approx(exact, rel=2e-3)


def test_superellipse_perimeter_of_a_circle() -> None:
    assert superellipse_perimeter(50.0, 50.0, 2.0, 2.0) == pytest.approx(
        2 * math.pi * 50.0, rel=1e-7
    )


@pytest.mark.parametrize("preset", list(HEAD_PRESETS))
def test_shape_reproduces_the_measures(preset: str) -> None:
    m = HEAD_PRESETS[preset]
    shape = HeadShape.from_measures(m)
    assert shape.section_perimeter() == pytest.approx(m.circumference_mm, abs=1e-6)
    front, back = shape.project(np.array([[0.0, 0.0, 1.0], [0.0, 0.0, -1.0]]))
    assert front[2] - back[2] == pytest.approx(m.length_mm)
    side = shape.project(np.array([[1.0, 0.0, 0.0]]))[0]
    assert 2 * side[0] == pytest.approx(m.breadth_mm)
    ring = shape.from_chart(np.linspace(-math.pi, math.pi, 20001), np.zeros(20001))
    assert 2 * ring[:, 0].max() == pytest.approx(m.breadth_mm, rel=1e-9)
    top = shape.project(np.array([[0.0, 1.0, 0.0]]))[0]
    assert top[1] == pytest.approx(m.vertex_height_mm)


def test_presets_grow_with_size() -> None:
    areas = [VirtualHead.preset(p).scalp_area_cm2 for p in "SML"]
    assert areas[0] < areas[1] < areas[2]


@given(st.floats(-1, 1), st.floats(-1, 1), st.floats(-1, 1))
def test_projection_lands_on_the_surface(x: float, y: float, z: float) -> None:
    d = np.array([[x, y, z]])
    if np.linalg.norm(d) < 1e-3:
        return
    shape = HeadShape.from_measures(HEAD_PRESETS["M"])
    p = shape.project(d)
    assert shape.gauge(p)[0] == pytest.approx(1.0, abs=1e-12)
    n = shape.normal(p)[0]
    assert np.linalg.norm(n) == pytest.approx(1.0)
    assert float(n @ p[0]) > 0  # outward


@given(st.floats(-math.pi, math.pi), st.floats(-100.0, 90.0))
def test_chart_round_trip(phi: float, y: float) -> None:
    shape = HeadShape.from_measures(HEAD_PRESETS["M"])
    p = shape.from_chart(np.array([phi]), np.array([y]))
    assert shape.gauge(p)[0] == pytest.approx(1.0, abs=1e-9)
    phi2, y2 = shape.to_chart(p)
    assert y2[0] == pytest.approx(y)
    assert math.remainder(phi2[0] - phi, 2 * math.pi) == pytest.approx(0.0, abs=1e-9)


def test_meridian_arc_inverts() -> None:
    shape = HeadShape.from_measures(HEAD_PRESETS["M"])
    arcs = np.array([10.0, 50.0, 80.0, 110.0])
    ys = shape.height_at_arc(0.0, arcs)
    assert shape.meridian_arc(0.0, ys) == pytest.approx(arcs, abs=1e-3)
    assert np.all(np.diff(ys) > 0)
    assert ys[0] == pytest.approx(10.0, rel=0.01)  # the lower forehead is nearly vertical


def test_gradient_matches_finite_differences() -> None:
    shape = HeadShape.from_measures(HEAD_PRESETS["L"])
    rng = np.random.default_rng(1)
    p = shape.project(rng.standard_normal((200, 3))) * 1.05
    _, grad = shape.gauge_gradient(p)
    h = 1e-6
    for axis in range(3):
        step = np.zeros(3)
        step[axis] = h
        fd = (shape.gauge(p + step) - shape.gauge(p - step)) / (2 * h)
        np.testing.assert_allclose(grad[:, axis], fd, atol=1e-7)


def test_compiled_ray_kernel_hits_the_numpy_surface() -> None:
    shape = HeadShape.from_measures(HEAD_PRESETS["M"])
    rng = np.random.default_rng(2)
    origins = np.column_stack(
        [rng.uniform(-90, 90, 2000), rng.uniform(-110, 100, 2000), np.full(2000, 300.0)]
    )
    direction = np.array([0.0, 0.0, -1.0])
    t, hit = intersect_rays(origins, direction, shape_params(shape), 60)
    points = origins + t[:, None] * direction
    assert hit.sum() > 1000
    np.testing.assert_allclose(shape.gauge(points[hit]), 1.0, atol=1e-8)
    # rays that miss pass outside the head: the gauge along them stays above 1
    for o in origins[~hit][:50]:
        zs = np.linspace(-150, 150, 601)
        line = np.column_stack([np.full(601, o[0]), np.full(601, o[1]), zs])
        assert shape.gauge(line).min() > 1.0


class TestMeasureLimits:
    """Accepted ranges, checked exactly at the limit and one tenth of a millimetre over."""

    @pytest.mark.parametrize(
        ("name", "limit", "over"),
        [
            ("forehead_height_mm", 100.0, 100.1),
            ("forehead_height_mm", 40.0, 39.9),
            ("face_height_mm", 165.0, 165.1),
            ("vertex_height_mm", 80.0, 79.9),
        ],
    )
    def test_limit_and_one_over(self, name: str, limit: float, over: float) -> None:
        base = HEAD_PRESETS["M"]
        assert getattr(base.replace(**{name: limit}), name) == limit
        with pytest.raises(ValueError, match=name):
            base.replace(**{name: over})

    def test_swapped_length_and_breadth(self) -> None:
        with pytest.raises(ValueError, match="swap"):
            HEAD_PRESETS["M"].replace(length_mm=170.0, breadth_mm=175.0)

    def test_impossible_circumference(self) -> None:
        m = HEAD_PRESETS["M"].replace(circumference_mm=480.0)
        with pytest.raises(ValueError, match="does not fit"):
            HeadShape.from_measures(m)

    def test_unknown_preset(self) -> None:
        with pytest.raises(ValueError, match="S, M or L"):
            HeadMeasures.preset("XL")
