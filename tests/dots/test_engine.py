"""Impressions on the head: counts, sessions, stability, spacing, attributes, outputs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import numpy as np
import pytest
from scipy.spatial import cKDTree

import smpstudio
from smpstudio.density import ZONES
from smpstudio.dots import (
    CSV_HEADER,
    NEEDLES,
    chart_of,
    dilution_rule,
    impressions_csv,
    local_spacing,
    place_impressions,
    stencil_svg,
    surface_density_error,
    to_chart,
)

RULE = dilution_rule("#d7bd96", "dark-brown")


@pytest.fixture(scope="module")
def nw6():  # type: ignore[no-untyped-def]
    d = smpstudio.design(pattern="norwood-6", hairline="broken", seed=4, scars=["fut"])
    return d, place_impressions(d, dilution=RULE)


def test_counts_follow_the_planned_density_session_by_session(nw6) -> None:  # type: ignore[no-untyped-def]
    d, imp = nw6
    expected = d.summary.impressions
    for k in range(1, 4):
        assert abs(int(np.sum(imp.session <= k)) - expected[k - 1]) <= 0.01 * expected[k - 1]
    for k, share in enumerate(d.settings.session_fractions, start=1):
        assert surface_density_error(imp.upto(k).positions, d, share=share) < 0.06


def test_sessions_are_nested_and_session_one_is_the_majority(nw6) -> None:  # type: ignore[no-untyped-def]
    _, imp = nw6
    sizes = [len(imp.upto(k)) for k in (1, 2, 3)]
    assert sizes[0] < sizes[1] < sizes[2] == len(imp)
    assert sizes[0] > 0.5 * sizes[2]
    assert set(imp.upto(1).ident) <= set(imp.upto(2).ident)


def test_every_session_is_blue_noise_at_its_own_density(nw6) -> None:  # type: ignore[no-untyped-def]
    d, imp = nw6
    for k, share in enumerate(d.settings.session_fractions, start=1):
        sub = imp.upto(k)
        spacing = local_spacing(sub.positions, sub.target * share)
        assert spacing.median > 0.75
        # no two dots closer than half the local target spacing (1/sqrt(density))
        assert spacing.minimum * np.sqrt(2.0 / np.sqrt(3.0)) >= 0.5


def test_dots_lie_on_the_skin_and_only_where_the_design_wants_them(nw6) -> None:  # type: ignore[no-untyped-def]
    d, imp = nw6
    np.testing.assert_allclose(d.head.shape.gauge(imp.positions), 1.0, atol=1e-9)
    assert np.all(imp.target > 0)
    assert np.all(d.field.density(imp.positions) > 0)
    assert np.all(imp.zone != ZONES.index("none"))


def test_attributes(nw6) -> None:  # type: ignore[no-untyped-def]
    _, imp = nw6
    fine = np.isin(imp.zone, [ZONES.index(z) for z in ("transition", "sentinel", "scar")])
    assert np.all(np.asarray(NEEDLES)[imp.needle[fine]] == "1RL")
    assert np.all(np.asarray(NEEDLES)[imp.needle[~fine]] == "3RL")
    assert imp.diameter_mm.min() >= 0.08
    assert imp.diameter_mm.max() <= 0.16
    front = imp.zone == ZONES.index("sentinel")
    body = imp.zone == ZONES.index("body")
    assert imp.diameter_mm[front].mean() < imp.diameter_mm[body].mean()  # smaller at the hairline
    assert imp.dilution[front].mean() > imp.dilution[body].mean()  # lighter at the hairline
    assert {ZONES[z] for z in np.unique(imp.zone)} == {
        "body",
        "transition",
        "sentinel",
        "scar",
        "enhancement",
    }


def test_same_seed_same_dots_and_another_seed_moves_them() -> None:
    d = smpstudio.design(pattern="norwood-5", hairline="soft", seed=2)
    a = place_impressions(d, dilution=RULE)
    b = place_impressions(
        smpstudio.design(pattern="norwood-5", hairline="soft", seed=2), dilution=RULE
    )
    c = place_impressions(d, dilution=RULE, seed=3)
    np.testing.assert_array_equal(a.positions, b.positions)
    np.testing.assert_array_equal(a.session, b.session)
    gap, _ = cKDTree(c.positions).query(a.positions)
    assert np.mean(gap < 0.05) < 0.01  # hardly any dot stays put under another seed


def test_moving_the_hairline_replaces_only_dots_near_it() -> None:
    low = smpstudio.design(pattern="norwood-7", hairline="soft", hairline_height_cm=8.0, seed=2)
    high = smpstudio.design(pattern="norwood-7", hairline="soft", hairline_height_cm=8.5, seed=2)
    a, b = place_impressions(low, dilution=RULE), place_impressions(high, dilution=RULE)
    changed = set(a.ident) ^ set(b.ident)
    moved = np.isin(a.ident, list(changed))
    far = np.array([abs(s) > 25 for s in low.hairline.signed_distance(a.positions)])
    # dots far from both lines are kept exactly (cells that straddle the old line may trade a
    # marginal dot, so allow a handful)
    assert np.sum(moved & far) <= 0.002 * len(a)
    kept = ~moved & far
    assert np.sum(kept) > 0.9 * np.sum(far)


def test_chart_is_nearly_conformal_on_the_scalp(head_m) -> None:  # type: ignore[no-untyped-def]
    chart = chart_of(head_m)
    scalp = head_m.shape.project(head_m.mesh.centroids[::40])
    scalp = scalp[head_m.natural_scalp_mask(scalp)]
    assert chart.anisotropy(to_chart(scalp)).max() < 1.1
    fast, jac_fast = chart.to_surface_fast(to_chart(scalp))
    exact, jac = chart.to_surface(to_chart(scalp))
    assert np.abs(fast - exact).max() < 0.01
    np.testing.assert_allclose(jac_fast, jac, rtol=1e-3)


def test_csv(nw6) -> None:  # type: ignore[no-untyped-def]
    _, imp = nw6
    lines = impressions_csv(imp).splitlines()
    assert lines[0] == CSV_HEADER == "x_mm,y_mm,z_mm,session,zone,diameter_mm,needle,dilution"
    assert len(lines) == len(imp) + 1
    fields = lines[1].split(",")
    assert fields[4] in ZONES
    assert fields[6] in NEEDLES
    assert int(fields[3]) in (1, 2, 3)


def test_stencils_are_valid_svg_with_the_sessions_dots(nw6) -> None:  # type: ignore[no-untyped-def]
    d, imp = nw6
    for k in (1, 2, 3):
        root = ET.fromstring(stencil_svg(d, imp, k))
        assert root.tag.endswith("svg")
        title = root.find("{http://www.w3.org/2000/svg}title")
        assert title is not None
        assert title.text == f"Session {k} stencil"
        groups = root.findall("{http://www.w3.org/2000/svg}g")
        assert {g.get("id") for g in groups} >= {"front", "left", "top", "back"}
        black = [
            p for p in root.iter("{http://www.w3.org/2000/svg}path") if p.get("stroke") == "#111111"
        ]
        drawn = sum(p.get("d", "").count("M") for p in black)
        assert drawn >= np.sum(imp.session == k)  # each new dot shows in at least one view


@pytest.mark.parametrize(
    "kwargs",
    [
        {"pattern": "norwood-7", "hairline": "soft"},
        {"pattern": "norwood-4", "hairline": "broken", "scars": ["fut", "fue:count=300"]},
        {"pattern": "ludwig-2", "hairline": "medium", "areata": [(20.0, 80.0, -30.0, 4.0)]},
    ],
)
def test_the_candidate_pool_loses_no_dot(monkeypatch: pytest.MonkeyPatch, kwargs: dict) -> None:  # type: ignore[type-arg]
    """The pool drops candidates where no hairline could place a dot (hair-bearing scalp off
    scars); keeping every candidate instead places exactly the same dots."""
    from smpstudio._lru import Lru
    from smpstudio.dots import _engine

    d = smpstudio.design(seed=5, **kwargs)
    monkeypatch.setattr(_engine, "_POOLS", Lru(6))
    fast = place_impressions(d, dilution=RULE)
    pooled = len(next(iter(_engine._POOLS._items.values())).xy)
    may_get_dots = _engine._may_get_dots

    def every_candidate(design: Any, points: Any) -> Any:
        cov, scar, _ = may_get_dots(design, points)
        return cov, scar, np.ones(len(cov), dtype=bool)

    monkeypatch.setattr(_engine, "_may_get_dots", every_candidate)
    monkeypatch.setattr(_engine, "_POOLS", Lru(6))
    full = place_impressions(d, dilution=RULE)
    assert len(next(iter(_engine._POOLS._items.values())).xy) > pooled  # the test drops some
    np.testing.assert_array_equal(fast.ident, full.ident)
    np.testing.assert_array_equal(fast.session, full.session)
