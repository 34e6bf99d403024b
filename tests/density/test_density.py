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
    before_temple = shape.project(np.array([left]) + np.array([[4.0, -12.0, 14.0]]))
    for p in (face, forehead, back_hair, before_temple):
        assert d.field.density(p)[0] == 0.0


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
