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
    assert (changed & never).sum() < 0.01 * changed.sum()  # splats' rims at the outline
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
