"""The person against the background: the trained selfie segmenter, and the colour fallback."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

import smpstudio
from smpstudio.colour import skin_tone
from smpstudio.dots import dilution_rule
from smpstudio.photo import Photo, PhotoTreatment, analyze_photo, simulate_photo
from smpstudio.photo._cv import opencv
from smpstudio.photo._person import PERSON_MODEL, person_probability
from smpstudio.photo._segment import BACKGROUND, CLOTHING, REGIONS


def _grey(pixels: np.ndarray) -> np.ndarray:
    return np.repeat(pixels.mean(axis=2, keepdims=True), 3, axis=2).astype(np.uint8)


@pytest.fixture(scope="module")
def photos(shaved_photo):
    return {
        "colour": shaved_photo,
        "greyscale": Photo.from_array(_grey(shaved_photo.pixels)),
    }


@pytest.mark.parametrize("kind", ["colour", "greyscale"])
def test_the_trained_model_tells_the_person(photos, kind):
    analysis = analyze_photo(photos[kind])
    seg = analysis.segmentation
    assert seg.person_source == PERSON_MODEL
    assert analysis.to_dict()["person_from"] == PERSON_MODEL
    # The wall, the flag and the shuttle model behind her are background, never scalp (in
    # greyscale the person model takes a strip of the flag for her suit: clothing).
    allowed = (BACKGROUND,) if kind == "colour" else (BACKGROUND, CLOTHING)
    for corner in (seg.labels[:40, :40], seg.labels[:60, -80:], seg.labels[200:260, :30]):
        assert np.isin(corner, allowed).all()
    scalp = seg.mask("scalp", "thinning")
    assert scalp.sum() > 500


@pytest.mark.parametrize("kind", ["colour", "greyscale"])
def test_no_dot_lands_outside_the_person(photos, kind):
    photo = photos[kind]
    treatment = PhotoTreatment.from_design(
        smpstudio.design(pattern="norwood-6", hairline="soft", seed=3)
    )
    analysis = analyze_photo(photo, treatment=treatment)
    assert (analysis.skin is None) == (kind == "greyscale")  # no tone read off a grey photo
    sim = simulate_photo(
        analysis,
        treatment=treatment,
        dilution=dilution_rule(analysis.skin or skin_tone("#c69c7a"), "dark-brown"),
        seed=3,
    )
    changed = np.any(sim.after != photo.pixels, axis=2)
    person = (person_probability(photo.pixels) > 0.5).astype(np.uint8)
    grown = opencv().dilate(person, np.ones((9, 9), np.uint8)).astype(bool)
    assert changed.sum() > 300
    assert not (changed & ~grown).any()


def test_a_close_up_the_model_does_not_know_falls_back_to_colour():
    # A crop of skin and hair only, no face: the segmenter is not asked to decide alone.
    crop = Photo.from_array(np.ascontiguousarray(data.astronaut()[20:90, 170:280]), view="top")
    analysis = analyze_photo(crop)
    assert analysis.segmentation.person_source in ("colour", PERSON_MODEL)
    assert set(np.unique(analysis.segmentation.labels)) <= set(range(len(REGIONS)))


def test_the_person_outline_follows_the_photos_edge() -> None:
    """The selfie segmenter's soft, 256-px probability is pulled to the photo's edges: on a
    1000-px photo of skin below a plain backdrop, a probability ramp (10 px wide) crossing
    0.5 four pixels outside the edge, or four inside, crosses it within 2 px of the edge
    after the filter (without it: 4), with a step of more than 0.3 at the edge."""
    from smpstudio.photo._segment import _snap_to_edges

    rows, cols = 1000, 600
    y = np.arange(rows, dtype=np.float32)[:, None] * np.ones((1, cols), dtype=np.float32)
    image = np.zeros((rows, cols, 3), dtype=np.uint8)
    image[:] = (90, 120, 140)  # a blue-grey backdrop above row 500
    image[500:] = (150, 100, 70)  # skin below
    for shift in (-4.0, 4.0):
        soft = np.clip(0.5 + (y - (500.0 + shift)) / 10.0, 0.0, 1.0).astype(np.float32)
        snapped = _snap_to_edges(soft, image)
        column = snapped[:, cols // 2]
        first = int(np.flatnonzero(column > 0.5)[0])
        assert abs(first - 500) <= 2, (shift, first)
        assert column[500] - column[499] > 0.3
        assert np.array_equal(snapped, _snap_to_edges(soft, image))  # deterministic
