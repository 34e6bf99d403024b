"""The hairline redrawn on an analysed photo (smpstudio.photo._live): the same bytes for the
same inputs, the segmentation's split reproduces segment_photo, dots only on the scalp."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from smpstudio._errors import PhotoError
from smpstudio.dots import dilution_rule
from smpstudio.photo import Correction, PhotoTreatment, ingest_photo, segment_photo
from smpstudio.photo._live import MAX_HAIRLINE_POINTS, check_points, prepare_live, redraw
from smpstudio.photo._segment import REGIONS

EVAL = Path(__file__).resolve().parents[1] / "data" / "photos" / "eval"


@pytest.fixture(scope="module")
def live():  # type: ignore[no-untyped-def]
    return prepare_live(ingest_photo(EVAL / "astronaut-shaved.jpg"))


def _draw(live, points, corrections=()):  # type: ignore[no-untyped-def]
    treatment = PhotoTreatment.from_settings()
    rule = dilution_rule(live.analysis.skin, "dark-brown")
    return redraw(live, points=points, corrections=corrections, treatment=treatment, dilution=rule)


def test_the_base_finishes_to_the_same_segmentation_as_segment_photo(live) -> None:  # type: ignore[no-untyped-def]
    a = live.analysis
    whole = segment_photo(
        a.photo, landmarks=a.landmarks, hairline=a.hairline, mm_per_px=a.mm_per_px
    )
    again = live.base.regions(hairline=a.hairline)
    assert np.array_equal(whole.labels, again.labels)
    assert np.array_equal(whole.coverage, again.coverage)


def test_a_redraw_is_deterministic_and_dots_stay_on_the_scalp(live) -> None:  # type: ignore[no-untyped-def]
    points = live.handles.copy()
    points[2:7, 1] += 50.0
    first = _draw(live, points)
    assert np.array_equal(first, _draw(live, points.copy()))
    before = live.analysis.photo.pixels
    changed = (first != before).any(axis=2)
    assert changed.sum() > 1000
    # Where the dots went: the segmentation of the same line says scalp, thinning or the
    # sentinel band of the forehead; never background, ears or clothing.
    from smpstudio.photo._hairline import hairline_from_points
    from smpstudio.photo._live import smooth_hairline

    line = hairline_from_points(
        smooth_hairline(points),
        marks=live.analysis.landmarks,
        mm_per_px=live.analysis.mm_per_px,
        size=live.size,
    )
    labels = live.base.regions(hairline=line).labels
    never = np.isin(labels, [REGIONS.index(r) for r in ("background", "ears", "clothing")])
    # the dots' shadows are cut at the segmentation's outline (SkinMask)
    assert not (changed & never).any()
    # Lower line: more of the scalp is treated.
    lower = points.copy()
    lower[2:7, 1] += 30.0
    assert ((_draw(live, lower) != before).any(axis=2)).sum() > changed.sum()


def test_a_painted_area_is_kept_untreated(live) -> None:  # type: ignore[no-untyped-def]
    points = live.handles.copy()
    points[2:7, 1] += 50.0
    plain = _draw(live, points)
    x0, y0, x1, _y1 = live.scalp_box
    stroke = np.array([[x0 + 0.3 * (x1 - x0), y0 + 40.0], [x0 + 0.7 * (x1 - x0), y0 + 40.0]])
    kept = _draw(live, points, [Correction("hair", stroke=stroke, radius_px=30.0)])
    before = live.analysis.photo.pixels
    band = (slice(int(y0 + 20), int(y0 + 60)), slice(int(stroke[0, 0]), int(stroke[1, 0])))
    assert (plain[band] != before[band]).any()
    assert not (kept[band] != before[band]).any()


def test_points_are_checked_one_unit_over_each_limit(live) -> None:  # type: ignore[no-untyped-def]
    width, height = live.size
    ok = np.array([[0.0, 0.0], [width, height]])
    assert check_points(ok, live.size).shape == (2, 2)
    for bad, words in (
        (np.array([[width + 1.0, 5.0], [5.0, 5.0]]), "outside"),
        (np.array([[5.0, -1.0], [5.0, 5.0]]), "outside"),
        (np.zeros((MAX_HAIRLINE_POINTS + 1, 2)) + 5.0, "at most"),
        (np.array([[5.0, 5.0]]), "at least two"),
        (np.array([[np.nan, 5.0], [5.0, 5.0]]), "numbers"),
    ):
        with pytest.raises(PhotoError, match=words):
            check_points(bad, live.size)
    assert check_points(np.zeros((MAX_HAIRLINE_POINTS, 2)) + 5.0, live.size).shape[0] == 40


def _placed(live, points, density=80.0, seed=7):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from smpstudio.photo._live import _placed as placed

    treatment = replace(PhotoTreatment.from_settings(), density_full_per_cm2=density)
    rule = dilution_rule(live.analysis.skin, "dark-brown")
    made = placed(live, points, (), treatment=treatment, dilution=rule, seed=seed)
    return made, treatment, rule


def test_the_pool_gives_the_target_density_as_the_exact_sampler_does(live) -> None:  # type: ignore[no-untyped-def]
    """Thresholding the ranked candidates keeps the target's count within a few per cent of
    the exact-count sampler on the same window, nested by session, on the scalp only."""
    from smpstudio.photo import place_on_photo

    points = live.handles.copy()
    points[2:7, 1] += 50.0
    placed, treatment, rule = _placed(live, points)
    fast = placed.dots
    assert fast is not None
    assert len(fast) > 2000
    x0, y0 = placed.box[:2]
    glabella = live.analysis.landmarks["glabella"] - np.array([x0, y0])
    exact = place_on_photo(
        placed.seg,
        hairline=placed.line,
        glabella=glabella,
        mm_per_px=live.analysis.mm_per_px,
        treatment=treatment,
        dilution=rule,
        seed=7,
    )
    assert abs(len(fast) - len(exact)) < 0.03 * len(exact)
    for k, share in enumerate(treatment.session_fractions, start=1):
        assert abs(float(np.mean(fast.session <= k)) - share) < 0.02
    r = (fast.xy[:, 1] - y0).astype(int)
    c = (fast.xy[:, 0] - x0).astype(int)
    labels = placed.seg.labels[r, c]
    allowed = [REGIONS.index(name) for name in ("scalp", "thinning", "face")]
    assert np.isin(labels, allowed).all()
    # Double the density: about twice the dots.
    dense = _placed(live, points, density=160.0)[0].dots
    assert dense is not None
    assert 1.9 < len(dense) / len(fast) < 2.1


def test_a_drag_moves_only_the_dots_near_the_line(live) -> None:  # type: ignore[no-untyped-def]
    """A dot's fate depends on its place, rank and the target there: dots far behind both
    lines stay where they were."""
    points = live.handles.copy()
    points[2:7, 1] += 50.0
    moved = points.copy()
    moved[4, 1] += 6.0
    a = _placed(live, points)[0].dots
    b = _placed(live, moved)[0].dots
    assert a is not None
    assert b is not None
    far = a.xy[:, 1] < points[:, 1].min() - 60.0
    kept = {tuple(p) for p in np.round(b.xy, 6).tolist()}
    assert far.sum() > 500
    assert all(tuple(p) in kept for p in np.round(a.xy[far], 6).tolist())


def test_the_caches_are_bounded_and_shared(live) -> None:  # type: ignore[no-untyped-def]
    from smpstudio.photo._live import POOLS_PER_PHOTO

    points = live.handles.copy()
    points[2:7, 1] += 50.0
    _placed(live, points, density=40.0)
    laid = len(live.caches.pools)
    for density in (80.0, 150.0):  # the designer's densities share one pool
        _placed(live, points, density=density)
    assert len(live.caches.pools) == laid
    for seed in range(1, 2 * POOLS_PER_PHOTO):
        _placed(live, points, seed=seed)
    assert len(live.caches.pools) == POOLS_PER_PHOTO
    _draw(live, points)
    layers, _ = live.caches.layers(lambda: pytest.fail("the layers are made once per photo"))
    assert layers.covers((live.scalp_box[0], live.scalp_box[1], *live.scalp_box[2:]))
    assert live.caches.nbytes < 40 * 1024 * 1024


def _draw_elsewhere(name: str, dy: float) -> str:
    import hashlib

    live = prepare_live(ingest_photo(EVAL / name))
    points = live.handles.copy()
    points[2:7, 1] += dy
    return hashlib.sha256(_draw(live, points).tobytes()).hexdigest()


def test_a_redraw_is_the_same_bytes_in_another_process(live) -> None:  # type: ignore[no-untyped-def]
    import hashlib
    import multiprocessing

    points = live.handles.copy()
    points[2:7, 1] += 50.0
    here = hashlib.sha256(_draw(live, points).tobytes()).hexdigest()
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        there = pool.apply(_draw_elsewhere, ("astronaut-shaved.jpg", 50.0))
    assert here == there
