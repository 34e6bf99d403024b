"""Hairline design (domain reference §2.1–2.4)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import cKDTree

from smpstudio import HairlineError, Settings
from smpstudio.hairline import HAIRLINE_SHAPES, HAIRLINE_STYLES, design_hairline
from smpstudio.head import VirtualHead


class TestHeightLimits:
    """5–11 cm above the glabella, checked at the limits and 0.01 cm over."""

    @pytest.mark.parametrize("height", [5.0, 8.0, 11.0])
    def test_inside(self, head_m: VirtualHead, height: float) -> None:
        line = design_hairline(head_m, style="soft", height_cm=height)
        assert line.height_cm == height
        mid = np.array([line.mid_frontal_point])
        arc = head_m.shape.meridian_arc(0.0, mid[:, 1])[0]
        assert arc == pytest.approx(height * 10.0, abs=0.05)

    @pytest.mark.parametrize("height", [4.99, 11.01, 0.0, -8.0, float("nan"), float("inf")])
    def test_outside(self, head_m: VirtualHead, height: float) -> None:
        with pytest.raises(HairlineError, match=r"between 5 and 11 cm|must be a number"):
            design_hairline(head_m, style="soft", height_cm=height)

    def test_default_is_eight_cm(self, head_m: VirtualHead) -> None:
        assert design_hairline(head_m, style="medium").height_cm == 8.0


def test_thirds_rule_uses_half_the_face_height(head_m: VirtualHead) -> None:
    line = design_hairline(head_m, style="soft", rule="thirds")
    assert line.mid_frontal_point[1] == pytest.approx(head_m.measures.face_height_mm / 2, abs=0.01)
    assert 5.0 <= line.height_cm <= 11.0


def test_original_rule_uses_the_forehead_height(head_m: VirtualHead) -> None:
    line = design_hairline(head_m, style="medium", rule="original")
    assert line.height_cm == pytest.approx(head_m.measures.forehead_height_mm / 10)


def test_height_and_rule_together_are_refused(head_m: VirtualHead) -> None:
    with pytest.raises(HairlineError, match="either a hairline height or the rule"):
        design_hairline(head_m, style="soft", rule="thirds", height_cm=8.0)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"style": "wavy"}, "unknown hairline style"),
        ({"style": "soft", "shape": "square"}, "unknown hairline shape"),
        ({"style": "soft", "rule": "golden"}, "unknown hairline rule"),
    ],
)
def test_unknown_choices(head_m: VirtualHead, kw: dict[str, str], message: str) -> None:
    with pytest.raises(HairlineError, match=message):
        design_hairline(head_m, **kw)


@pytest.mark.parametrize("shape", HAIRLINE_SHAPES)
def test_temporal_points_sit_on_the_canthus_lines(head_m: VirtualHead, shape: str) -> None:
    line = design_hairline(head_m, style="defined", shape=shape)
    right, left = line.temporal_points
    half = head_m.measures.canthal_width_mm / 2
    assert left[0] == pytest.approx(half, abs=0.01)
    assert right[0] == pytest.approx(-half, abs=0.01)
    np.testing.assert_allclose(head_m.shape.gauge(np.array([left, right])), 1.0, atol=1e-6)


def test_rounded_temporal_points_are_higher_than_the_midpoint(head_m: VirtualHead) -> None:
    line = design_hairline(head_m, style="defined", shape="rounded")
    assert line.temporal_points[1][1] > line.mid_frontal_point[1] + 3.0


def test_widows_peak_dips_in_the_middle(head_m: VirtualHead) -> None:
    line = design_hairline(head_m, style="defined", shape="widows-peak")
    base = line.base_polyline
    centre = base[np.argmin(np.abs(base[:, 0]))]
    beside = base[np.argmin(np.abs(base[:, 0] - 15.0))]
    assert beside[1] > centre[1] + 3.0


def test_line_is_continuous_and_on_the_skin(head_m: VirtualHead) -> None:
    for style in HAIRLINE_STYLES:
        line = design_hairline(head_m, style=style, seed=3)
        steps = np.linalg.norm(np.diff(line.polyline, axis=0), axis=1)
        assert steps.max() < 0.6
        np.testing.assert_allclose(head_m.shape.gauge(line.polyline), 1.0, atol=1e-9)
        ends = line.polyline[[0, -1]]
        assert np.all(np.abs(head_m.shape.gauge(ends) - 1.0) < 1e-9)
        edge = head_m.natural_edge_height(head_m.shape.to_chart(ends)[0])
        np.testing.assert_allclose(ends[:, 1], edge, atol=0.5)  # it joins the natural edge


def _roughness(line_points: np.ndarray, base: np.ndarray) -> float:
    """RMS distance of the drawn line from its smooth base line."""
    d, _ = cKDTree(base).query(line_points)
    return float(np.sqrt(np.mean(d**2)))


def test_irregularity_ranks_the_styles(head_m: VirtualHead) -> None:
    rough = {}
    for style in ("defined", "medium", "soft", "broken"):
        line = design_hairline(head_m, style=style, shape="rounded", seed=9)
        rough[style] = _roughness(line.polyline, line.base_polyline)
    assert rough["defined"] < rough["medium"] < rough["soft"] < rough["broken"]
    assert rough["defined"] < 1.0  # crisp


def test_same_seed_same_line_other_seed_other_line(head_m: VirtualHead) -> None:
    a = design_hairline(head_m, style="broken", seed=1).polyline
    b = design_hairline(head_m, style="broken", seed=1).polyline
    c = design_hairline(head_m, style="broken", seed=2).polyline
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    gap, _ = cKDTree(c).query(a)
    assert 0.3 < gap.max() < 8.0  # the irregularity differs, the design does not


def _along_midline(head_m: VirtualHead, line, offsets: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Points at signed skin distances behind the mid-frontal point."""
    mid_arc = head_m.shape.meridian_arc(0.0, np.array([line.mid_frontal_point[1]]))[0]
    ys = head_m.shape.height_at_arc(0.0, mid_arc + offsets)
    return head_m.shape.from_chart(np.zeros_like(ys), ys)


def test_defined_edge_is_crisp_within_two_mm(head_m: VirtualHead) -> None:
    line = design_hairline(head_m, style="defined", seed=0)
    sample = line.sample(_along_midline(head_m, line, np.array([-2.5, 2.5])))
    assert sample.factor[0] == 0.0
    assert sample.factor[1] == 1.0


@pytest.mark.parametrize("style", ["soft", "broken"])
def test_soft_styles_have_a_wide_transition_and_sentinels(head_m: VirtualHead, style: str) -> None:
    line = design_hairline(head_m, style=style, seed=0)
    settings = Settings()
    offsets = np.linspace(-10, 15, 501)
    sample = line.sample(_along_midline(head_m, line, offsets))
    signed = sample.signed
    behind = (signed > 0.5) & (signed < line.transition_mm - 0.5)
    assert np.all(sample.factor[behind] < 1.0)
    assert np.all(sample.factor[behind] >= settings.transition_edge_fraction)
    assert np.all(sample.factor[signed > line.transition_mm] == 1.0)
    sentinels = (signed < 0) & (signed > -settings.sentinel_band_mm)
    assert np.all(sample.factor[sentinels] > 0)
    far = signed < -settings.broken_scatter_mm - 0.1
    assert np.all(sample.factor[far] == 0.0)
    scatter = (signed < -settings.sentinel_band_mm - 0.1) & (signed > -settings.broken_scatter_mm)
    if style == "broken":
        assert np.all(sample.factor[scatter] > 0)  # isolated dots up to a few mm ahead
    else:
        assert np.all(sample.factor[scatter] == 0)


def test_medium_follows_the_original_hairline(head_m: VirtualHead) -> None:
    line = design_hairline(
        head_m, style="medium", height_cm=head_m.measures.forehead_height_mm / 10
    )
    assert line.shape == "original"
    x = line.base_polyline[:, 0]
    front = np.abs(x) < head_m.measures.canthal_width_mm / 2 - 2
    natural = head_m.natural_edge_height(head_m.shape.to_chart(line.base_polyline[front])[0])
    np.testing.assert_allclose(line.base_polyline[front, 1], natural, atol=0.3)


def test_high_hairlines_keep_temporal_points_on_the_canthus_lines(head_m: VirtualHead) -> None:
    settings = Settings()
    low = design_hairline(head_m, style="soft", height_cm=7.0)
    high = design_hairline(head_m, style="soft", height_cm=11.0)
    assert low.temporal_rise_mm == pytest.approx(settings.hairline_temporal_rise_mm, abs=0.1)
    assert high.temporal_rise_mm < low.temporal_rise_mm  # the top of the head leaves less room
    half = head_m.measures.canthal_width_mm / 2
    assert high.temporal_points[1][0] == pytest.approx(half, abs=0.01)


class TestControlPoints:
    """The designer's draggable points: profile (three shares) and temporal rise."""

    def _height_at(self, line: object, x: float) -> float:
        base = line.base_polyline  # type: ignore[attr-defined]
        front = base[base[:, 2] > 0]
        return float(front[np.argmin(np.abs(front[:, 0] - x)), 1])

    def test_profile_moves_the_curve_through_its_points(self, head_m: VirtualHead) -> None:
        low = design_hairline(head_m, style="defined", profile=(0.0, 0.0, 0.0))
        high = design_hairline(head_m, style="defined", profile=(0.9, 1.0, 1.0))
        half = head_m.measures.canthal_width_mm / 2
        assert low.shape == high.shape == "custom"
        assert self._height_at(high, half / 2) > self._height_at(low, half / 2) + 5.0
        np.testing.assert_allclose(low.mid_frontal_point, high.mid_frontal_point, atol=1e-9)
        np.testing.assert_allclose(low.temporal_points, high.temporal_points, atol=1e-9)

    def test_straight_profile_matches_the_rounded_shape_ends(self, head_m: VirtualHead) -> None:
        custom = design_hairline(head_m, style="defined", profile=(1 / 16, 1 / 4, 9 / 16))
        rounded = design_hairline(head_m, style="defined", shape="rounded")
        half = head_m.measures.canthal_width_mm / 2
        for x in np.linspace(0.0, half, 9):
            assert self._height_at(custom, x) == pytest.approx(self._height_at(rounded, x), abs=0.5)

    def test_temporal_rise_lifts_the_temporal_points(self, head_m: VirtualHead) -> None:
        flat = design_hairline(head_m, style="defined", shape="rounded", temporal_rise_mm=0.0)
        steep = design_hairline(head_m, style="defined", shape="rounded", temporal_rise_mm=35.0)
        assert steep.temporal_points[1][1] > flat.temporal_points[1][1] + 8.0
        assert steep.temporal_rise_mm > flat.temporal_rise_mm

    @pytest.mark.parametrize(
        "profile", [(-0.31, 0.5, 0.8), (0.2, 0.5, 1.31), (0.2, 0.5), (0.1, 0.2, 0.3, 0.4)]
    )
    def test_profile_one_unit_over_is_refused(
        self, head_m: VirtualHead, profile: tuple[float, ...]
    ) -> None:
        with pytest.raises(HairlineError, match=r"three numbers from -0\.3 to 1\.3"):
            design_hairline(head_m, style="soft", profile=profile)

    @pytest.mark.parametrize("profile", [(-0.3, 0.5, 1.3), (0.0, 0.0, 0.0)])
    def test_profile_at_the_limits_is_accepted(
        self, head_m: VirtualHead, profile: tuple[float, ...]
    ) -> None:
        assert design_hairline(head_m, style="soft", profile=profile).shape == "custom"

    @pytest.mark.parametrize("rise", [-0.01, 35.01, float("nan"), True])
    def test_temporal_rise_outside_is_refused(self, head_m: VirtualHead, rise: float) -> None:
        with pytest.raises(HairlineError, match="temporal rise"):
            design_hairline(head_m, style="soft", temporal_rise_mm=rise)


def _level_spread(line, half: float) -> float:  # type: ignore[no-untyped-def]
    """Height range of the smooth line across the middle 60 % of the forehead."""
    base = line.base_polyline
    front = base[(np.abs(base[:, 0]) <= 0.6 * half) & (base[:, 2] > 0)]
    return float(np.ptp(front[:, 1]))


def test_defined_is_a_straight_crisp_edge_by_default(head_m: VirtualHead) -> None:
    """Issue 18 / domain reference §2.4: defined is the lined-up, edge-up line — straight
    across (default shape not rounded), its transition at most half the soft style's."""
    half = head_m.measures.canthal_width_mm / 2
    defined = design_hairline(head_m, style="defined", seed=9)
    soft = design_hairline(head_m, style="soft", seed=9)
    assert defined.shape == "flat"
    assert soft.shape == "rounded"
    assert defined.transition_mm <= 0.5 * soft.transition_mm
    assert _level_spread(defined, half) < 0.5  # level within half a millimetre
    assert _level_spread(soft, half) > 2.0  # the rounded line rises toward the temples
    d, _ = cKDTree(defined.base_polyline).query(defined.polyline)
    assert d.max() < 0.6  # drawn within about half a millimetre of its straight base
    assert defined.sentinel_mm == 0.0


@pytest.mark.parametrize("style", ["soft", "broken"])
def test_soft_styles_are_irregular_and_feathered(head_m: VirtualHead, style: str) -> None:
    line = design_hairline(head_m, style=style, seed=9)
    d, _ = cKDTree(line.base_polyline).query(line.polyline)
    assert float(np.sqrt(np.mean(d**2))) > 0.8  # undulates by millimetres
    assert d.max() > 2.0
    assert line.transition_mm >= 5.0  # density rises over 5–10 mm (domain reference §2.3)
    assert line.sentinel_mm > 0.0
