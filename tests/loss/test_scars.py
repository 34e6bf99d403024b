"""Scars: FUT strip, FUE punctate field, polylines; malformed specifications."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import cKDTree

import smpstudio
from smpstudio import ScarError
from smpstudio.density import ZONES
from smpstudio.head import VirtualHead, monte_carlo_area
from smpstudio.loss import loss_pattern, parse_scar


def test_fut_strip_area_is_its_width_along_its_length(head_m: VirtualHead) -> None:
    scar = parse_scar("fut:width=3:length=200", head_m)
    assert scar.length_mm == pytest.approx(200.0, abs=1.0)
    area, err = monte_carlo_area(
        head_m.shape, lambda p: scar.mask(p).astype(float), samples=4_000_000, seed=2
    )
    assert area == pytest.approx(scar.nominal_area_mm2(), rel=0.05)
    assert err < 0.03 * area
    assert np.all(scar.centres[:, 2] < 0)  # across the back of the head
    assert np.all(head_m.natural_scalp_mask(scar.centres))


def test_fut_strip_is_a_crescent_following_the_occipital_contour(head_m: VirtualHead) -> None:
    """Issue 18: lowest in the midline just above the occipital protuberance, rising toward
    its ends above the ears, its true width in the middle tapering toward the ends."""
    scar = parse_scar("fut:width=3:rise=20", head_m)
    y = scar.centres[:, 1]
    middle = len(y) // 2
    assert abs(scar.centres[middle, 0]) < 0.5  # centred in the midline
    assert y[middle] == pytest.approx(y.min(), abs=0.05)
    assert y[middle] > head_m.landmarks["occipital_protuberance"][1]
    assert y[0] - y[middle] == pytest.approx(20.0, abs=0.5)
    assert y[-1] - y[middle] == pytest.approx(20.0, abs=0.5)
    assert np.all(np.diff(y[middle:]) >= -1e-9)  # rises steadily toward each end
    radii = scar.centre_radii
    assert radii[middle] == pytest.approx(1.5)
    assert radii[0] == pytest.approx(0.4 * 1.5)
    assert np.all(np.diff(radii[middle:]) <= 1e-12)
    level = parse_scar("fut:width=3:rise=0", head_m).centres[:, 1]
    assert np.ptp(level) < 0.01  # rise=0 is a level strip


def test_fut_margin_feathers_dots_into_the_hair(head_m: VirtualHead) -> None:
    d = smpstudio.design(pattern="norwood-3", hairline="soft", scars=["fut:width=3:margin=4"])
    scar = d.scars[0]
    middle = scar.centres[len(scar.centres) // 2]
    up = np.array([0.0, 1.0, 0.0])
    beyond = [0.5, 1.0, 2.0, 3.0, 3.8, 4.5, 6.0]  # mm past the scar's upper edge
    points = d.head.shape.project(middle + np.outer(1.5 + np.array(beyond), up))
    sample = d.field.sample(points)
    full = d.settings.density_full_per_cm2 * d.settings.scar_overfill
    inside = sample.density[:5]
    assert np.all(np.diff(inside) < 0)  # falling toward the hair
    assert np.all((inside > 0) & (inside < full))
    assert set(sample.zone[:5].tolist()) == {ZONES.index("enhancement")}
    assert np.all(sample.coverage[:5] == 1.0)  # the hair stays
    assert np.all(sample.density[5:] == 0.0)  # past the 4 mm margin: nothing
    on = d.field.sample(middle[None])
    assert on.density[0] == full
    assert on.zone[0] == ZONES.index("scar")
    assert scar.mask(points).sum() == 0  # the margin is not scar tissue
    assert scar.mask(points, margin=True)[:5].all()


@pytest.mark.parametrize(
    ("margin", "ok"), [(0, True), (3, True), (5, True), (10, True), (10.1, False)]
)
def test_fut_margin_limits(head_m: VirtualHead, margin: float, ok: bool) -> None:
    spec = f"fut:margin={margin}"
    if ok:
        assert parse_scar(spec, head_m).margin_mm == margin
    else:
        with pytest.raises(ScarError, match="outside 0–10"):
            parse_scar(spec, head_m)


def test_fue_field_count_spacing_and_seed(head_m: VirtualHead) -> None:
    a = parse_scar("fue:count=800:punch=0.9", head_m, seed=4)
    b = parse_scar("fue:count=800:punch=0.9", head_m, seed=4)
    c = parse_scar("fue:count=800:punch=0.9", head_m, seed=5)
    assert len(a.centres) == 800
    np.testing.assert_array_equal(a.centres, b.centres)
    assert not np.array_equal(a.centres, c.centres)
    assert not cKDTree(a.centres).query_pairs(1.9 * (1 - 1e-9))
    assert np.all(head_m.natural_scalp_mask(a.centres))


def test_fue_harvest_of_5000_punches_in_the_safe_donor_zone(head_m: VirtualHead) -> None:
    """Issue 18: at least 5,000 punches (before: about 1,850), spread evenly over the safe
    donor zone (the hair a Norwood 7 keeps), a punch plus 1 mm apart."""
    scar = parse_scar("fue:count=5000:punch=0.9", head_m, seed=1)
    centres = scar.centres
    assert len(centres) == 5000
    assert scar.parameters["spacing_mm"] == pytest.approx(1.9)
    nearest, _ = cKDTree(centres).query(centres, k=2)
    assert nearest[:, 1].min() >= 1.9
    wreath = loss_pattern("norwood-7").coverage(centres, edge_mm=12.0)
    assert np.all(wreath == 1.0)  # never where a Norwood 7 goes bald
    phi, y = head_m.shape.to_chart(centres)
    assert np.all(y >= head_m.natural_edge_height(phi) + 15.0 - 1e-6)  # above the nape edge
    assert np.all(np.abs(phi) >= np.radians(60.0))  # behind the front of the ears
    # evenly spread: every 2 cm² of the zone holds its share (no bald gaps, no clusters)
    back = centres[(np.abs(phi) > np.radians(150.0)) & (y > -40.0) & (y < -10.0)]
    assert len(back) > 0.9 * 5000 / scar.parameters["donor_zone_cm2"] * 30.0 * 0.5


def test_fue_more_punches_than_fit_are_refused(head_m: VirtualHead) -> None:
    with pytest.raises(ScarError, match=r"do not fit in the safe donor zone \(\d+ cm²\)"):
        parse_scar("fue:count=7000", head_m)
    with pytest.raises(ScarError, match="less than the punch"):
        parse_scar("fue:punch=1.2:spacing=1.0", head_m)


def test_line_scar_follows_its_points(head_m: VirtualHead) -> None:
    scar = parse_scar("line:width=4:points=0,80,-50;30,75,-50;45,60,-55", head_m)
    assert scar.radius_mm == 2.0
    assert scar.length_mm > 40.0
    np.testing.assert_allclose(head_m.shape.gauge(scar.centres), 1.0, atol=1e-9)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "unknown kind"),
        ("staple", "unknown kind 'staple'"),
        ("fut:depth=3", "unknown field 'depth'"),
        ("fut:width", "is not FIELD=VALUE"),
        ("fut:width=abc", "width must be a number"),
        ("fut:width=15.1", "outside 0.5–15"),
        ("fut:width=2:width=3", "given twice"),
        ("fut:length=330:height=40", "does not fit|outside"),
        ("fue:count=2.5", "whole number"),
        ("fue:count=8001", "outside 1–8000"),
        ("fue:spacing=0.9", "outside 1–10"),
        ("fut:rise=41", "outside 0–40"),
        ("line:width=3", "needs points"),
        ("line:points=0,80,-50;30,75,-50", "needs width"),
        ("line:width=3:points=0,80,-50", "at least two points"),
        ("line:width=3:points=0,80;30,75,-50", "point 1"),
        ("line:width=3:points=0,0,0;30,75,-50", "head centre"),
        ("line:width=3:points=0,-60,90;0,-50,95", "off the scalp"),
    ],
)
def test_malformed_scars_say_what_is_wrong(head_m: VirtualHead, spec: str, message: str) -> None:
    with pytest.raises(ScarError, match=message):
        parse_scar(spec, head_m)


def test_width_at_the_limit_is_accepted(head_m: VirtualHead) -> None:
    assert parse_scar("fut:width=15", head_m).radius_mm == 7.5
