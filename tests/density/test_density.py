"""Target density, sessions and zones (domain reference §1.6, §4, §8)."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import smpstudio
from smpstudio import Settings
from smpstudio.density import ZONES

FULL = 80.0


def test_default_full_density_is_natural_fu_density(make_design) -> None:  # type: ignore[no-untyped-def]
    d = make_design(pattern="norwood-7", hairline="soft")
    assert 65.0 <= d.settings.density_full_per_cm2 <= 100.0
    vertex = np.array([d.head.landmarks["vertex"]])
    assert d.field.density(vertex).tolist() == [FULL]


def test_sessions_build_up_with_session_one_the_majority(make_design) -> None:  # type: ignore[no-untyped-def]
    d = make_design(pattern="norwood-7", hairline="soft")
    vertex = np.array([d.head.landmarks["vertex"]])
    per_session = [float(d.field.density(vertex, session=k)[0]) for k in (1, 2, 3)]
    assert per_session == pytest.approx([48.0, 72.0, 80.0])
    assert per_session[0] > FULL / 2


def test_liu_2025_preset(make_design) -> None:  # type: ignore[no-untyped-def]
    d = make_design(
        pattern="norwood-7",
        hairline="soft",
        settings=Settings.from_overrides({"session_fractions": "liu-2025"}),
    )
    vertex = np.array([d.head.landmarks["vertex"]])
    assert [float(d.field.density(vertex, session=k)[0]) for k in (1, 2, 3)] == pytest.approx(
        [24.0, 56.0, 80.0]
    )
    with pytest.raises(ValueError, match="session must be 1–3"):
        d.field.density(vertex, session=4)


def test_zero_off_scalp_below_hairline_in_hair_and_before_temporal_points(make_design) -> None:  # type: ignore[no-untyped-def]
    d = make_design(pattern="norwood-5", hairline="soft")
    shape = d.head.shape
    face = shape.project(np.array([[0.0, -0.3, 1.0]]))
    forehead = shape.from_chart(np.zeros(1), np.array([d.hairline.mid_frontal_point[1] - 12.0]))
    back_hair = shape.project(np.array([[0.0, -0.2, -1.0]]))
    _right, left = d.hairline.temporal_points
    forehead_corner = shape.project(np.array([left]) + np.array([[-8.0, -12.0, 14.0]]))
    for p in (face, forehead, back_hair, forehead_corner):
        assert d.field.density(p)[0] == 0.0


@pytest.mark.parametrize("pattern", ["norwood-3", "norwood-4", "norwood-6"])
def test_receded_temples_behind_the_temporal_points_are_rebuilt(make_design, pattern: str) -> None:  # type: ignore[no-untyped-def]
    """Issue 18: the temple lateral of the canthus line, below the temporal point, is bald in
    Norwood 2–6 and treated at full density (it lies behind the rebuilt temporal hairline)."""
    d = make_design(pattern=pattern, hairline="defined")
    shape = d.head.shape
    _right, left = d.hairline.temporal_points
    temple = shape.project(np.array([left]) + np.array([[8.0, -15.0, 0.0]]))
    sample = d.field.sample(temple)
    assert sample.coverage[0] < d.settings.coverage_bald_below  # the temple is bald
    assert sample.hairline_mm[0] > d.hairline.transition_mm  # behind the line
    assert sample.density[0] == FULL


def test_scars_are_over_filled(make_design) -> None:  # type: ignore[no-untyped-def]
    d = make_design(pattern="norwood-5", hairline="soft", scars=("fut:width=4",))
    on_scar = d.scars[0].centres[::50]
    sample = d.field.sample(on_scar)
    assert np.all(sample.density == FULL * d.settings.scar_overfill)
    assert np.all(sample.zone == ZONES.index("scar"))
    assert np.all(sample.coverage == 0.0)


def test_thinning_gets_enhancement_between_the_hairs(make_design) -> None:  # type: ignore[no-untyped-def]
    d = make_design(pattern="diffuse", hairline="medium")
    vertex = np.array([d.head.landmarks["vertex"]])
    sample = d.field.sample(vertex)
    assert 0.2 <= sample.coverage[0] < 0.8
    assert 0 < sample.density[0] < FULL
    assert sample.zone[0] == ZONES.index("enhancement")


def test_hairline_zones_and_lighter_tone(make_design) -> None:  # type: ignore[no-untyped-def]
    d = make_design(pattern="norwood-6", hairline="soft")
    pts = d.head.mesh.centroids
    sample = d.field.sample(d.head.shape.project(pts))
    for name in ("body", "transition", "sentinel"):
        assert np.any(sample.zone == ZONES.index(name)), name
    tz = sample.zone == ZONES.index("transition")
    body = sample.zone == ZONES.index("body")
    assert sample.density[tz].mean() < sample.density[body].mean()
    assert sample.tone[tz].mean() < sample.tone[body].mean() == 1.0
    sentinel = sample.zone == ZONES.index("sentinel")
    assert sample.density[sentinel].max() < 0.5 * FULL


@functools.lru_cache(maxsize=1)
def _shared_design() -> smpstudio.Design:
    return smpstudio.design(pattern="norwood-6", hairline="broken", scars=["fut"])


@given(st.lists(st.floats(-1, 1), min_size=3, max_size=3))
def test_density_is_bounded(direction: list[float]) -> None:
    d = np.array([direction])
    if np.linalg.norm(d) < 1e-6:
        return
    design = _shared_design()
    value = design.field.density(design.head.shape.project(d))[0]
    assert 0.0 <= value <= FULL * design.settings.scar_overfill


def test_impressions_estimate_integrates_the_density(make_design) -> None:  # type: ignore[no-untyped-def]
    d = make_design(pattern="norwood-7", hairline="soft")
    s = d.summary
    assert s.impressions[-1] == pytest.approx(s.treatment_cm2 * FULL, rel=0.12)
    assert (
        s.impressions[0] == round(s.impressions[-1] * 0.6)
        or abs(s.impressions[0] - 0.6 * s.impressions[-1]) <= 1
    )


NORWOOD_2_TO_6 = ["norwood-2", "norwood-2a", "norwood-3", "norwood-3a", "norwood-3v", "norwood-4"]
NORWOOD_2_TO_6 += ["norwood-4a", "norwood-5", "norwood-5a", "norwood-6"]


@pytest.mark.parametrize("pattern", NORWOOD_2_TO_6)
def test_recession_behind_the_default_hairline_is_treated(make_design, pattern: str) -> None:  # type: ignore[no-untyped-def]
    """Issue 18: with the default 8 cm hairline no bald or thinning scalp behind it is left
    without impressions (before: the temples of Norwood 2–6 stayed bald, 14–62 %)."""
    d = make_design(pattern=pattern, hairline="soft")
    data = d.to_dict()
    assert data["areas_cm2"]["untreated_behind_hairline"] <= 0.01 * (
        data["areas_cm2"]["bald"] + data["areas_cm2"]["thinning"]
    )
    assert data["warnings"] == []


def test_untreated_recession_is_measured_warned_and_charted() -> None:
    settings = Settings.from_overrides({"hairline_temporal_peak_mm": 25})
    d = smpstudio.design(pattern="norwood-3", hairline="defined", settings=settings)
    s = d.summary
    assert s.untreated_behind_share > 0.10
    [warning] = d.warnings
    assert f"{s.untreated_behind_cm2:.1f} cm² of bald or thinning scalp behind the hairline" in (
        warning
    )
    assert d.to_dict()["warnings"] == [warning]
    # The area is the integral of the mask the chart paints.
    mesh = d.head.mesh
    points = d.head.shape.project(mesh.centroids)
    mask = d.untreated_behind_hairline(points, d.field.sample(points))
    area = float(mesh.triangle_areas[mask].sum()) / 100.0
    assert area == pytest.approx(s.untreated_behind_cm2)
    # Where it lies: lateral of the canthus lines, below the temporal points (the temples).
    x_c = d.head.measures.canthal_width_mm / 2
    assert np.all(np.abs(points[mask, 0]) >= x_c)
    assert np.all(points[mask, 1] < d.hairline.temporal_points[1][1])


def test_forehead_in_front_of_the_hairline_is_not_counted(make_design) -> None:  # type: ignore[no-untyped-def]
    """The bald skin between the client's own (juvenile) line and a higher designed line is
    forehead by design, not untreated recession."""
    d = make_design(pattern="norwood-2", hairline="soft", hairline_height_cm=9.0)
    forehead = d.head.shape.from_chart(
        np.zeros(1), np.array([d.hairline.mid_frontal_point[1] - 8.0])
    )
    sample = d.field.sample(forehead)
    assert sample.density[0] == 0.0
    assert not d.untreated_behind_hairline(forehead, sample)[0]
    assert d.summary.untreated_behind_cm2 == pytest.approx(0.0, abs=0.05)
