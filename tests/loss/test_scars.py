"""Scars: FUT strip, FUE punctate field, polylines; malformed specifications."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import cKDTree

from smpstudio import ScarError
from smpstudio.head import VirtualHead, monte_carlo_area
from smpstudio.loss import parse_scar


def test_fut_strip_area_is_length_times_width(head_m: VirtualHead) -> None:
    scar = parse_scar("fut:width=3:length=200", head_m)
    assert scar.length_mm == pytest.approx(200.0, abs=1.0)
    area, err = monte_carlo_area(
        head_m.shape, lambda p: scar.mask(p).astype(float), samples=4_000_000, seed=2
    )
    assert area == pytest.approx(scar.nominal_area_mm2(), rel=0.05)
    assert err < 0.03 * area
    assert np.all(scar.centres[:, 2] < 0)  # across the back of the head
    assert np.all(head_m.natural_scalp_mask(scar.centres))


def test_fue_field_count_spacing_and_seed(head_m: VirtualHead) -> None:
    a = parse_scar("fue:count=800:punch=0.9", head_m, seed=4)
    b = parse_scar("fue:count=800:punch=0.9", head_m, seed=4)
    c = parse_scar("fue:count=800:punch=0.9", head_m, seed=5)
    assert len(a.centres) == 800
    np.testing.assert_array_equal(a.centres, b.centres)
    assert not np.array_equal(a.centres, c.centres)
    assert not cKDTree(a.centres).query_pairs(2.5 * 0.9 * (1 - 1e-9))
    assert np.all(head_m.natural_scalp_mask(a.centres))


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
        ("fue:count=6001", "outside 1–6000"),
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
