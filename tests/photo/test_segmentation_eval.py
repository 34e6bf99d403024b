"""The segmentation against the hand-labelled evaluation set (tests/data/photos/eval).

The floors are the figures measured when the hair model was added (docs/photo.md §5): a
change that makes the segmentation worse than that on this set fails here. The five photos
added later (``ADDED``: colour photos of dark skin, three-quarter views) have floors of their
own, and the first 22 keep theirs (``_first``). Raised on 2026-12-07 to the figures measured
after the smooth-crown rule, the person mask's guided filter and the relabelled head outlines
of congress-c001072, congress-s001184, interfaces-061, congress-b000382 and congress-a000055
(eval/SOURCES.md).
"""

from __future__ import annotations

import numpy as np
import pytest
from benchmarks.photo_segmentation import EVAL, evaluate, photos, pooled
from PIL import Image

from smpstudio.photo import analyze_photo, ingest_photo
from smpstudio.photo._hair import HAIR_MODEL, hair_probability
from tests.photo.conftest import SHAVED

# added to the set after the floors of the first 22 photos were measured
ADDED = (
    "congress-c001072",
    "congress-s001184",
    "interfaces-040",
    "interfaces-061",
)


@pytest.fixture(scope="module")
def scores() -> list:  # type: ignore[type-arg]
    return evaluate()


def test_the_set_is_complete() -> None:
    names = [p.stem for p in photos()]
    assert len(names) >= 20
    for name in names:
        with Image.open(EVAL / f"{name}.jpg") as image:
            assert max(image.size) <= 1024
            assert not image.getexif()
        mask = np.asarray(Image.open(EVAL / "masks" / f"{name}.png"))
        assert mask.shape == image.size[::-1]
        assert set(np.unique(mask)) <= {0, 1, 2, 3, 4}
    assert "astronaut-shaved" in (EVAL / "SOURCES.md").read_text()


def _pooled(scores: list, method: str) -> dict[str, float]:  # type: ignore[type-arg]
    return pooled([s for s in scores if s.method == method])


def _first(scores: list, method: str) -> dict[str, float]:  # type: ignore[type-arg]
    """Pooled over the first 22 photos (without ``ADDED``)."""
    return pooled([s for s in scores if s.method == method and s.name not in ADDED])


def test_parsing_floors(scores: list) -> None:  # type: ignore[type-arg]
    """With the labelled hairline: the hair/skin/background split itself."""
    first = _first(scores, "model, labelled hairline")
    assert first["iou"] >= 0.69  # measured 0.72
    assert first["mean_iou"] >= 0.72  # measured 0.75
    assert first["bg_fp"] <= 0.0007  # measured 0.05 %
    assert first["face_fp"] <= 0.0005  # measured 0.00 %
    model = _pooled(scores, "model, labelled hairline")  # all 26
    assert model["iou"] >= 0.70  # measured 0.73
    assert model["mean_iou"] >= 0.73  # measured 0.76
    assert model["bg_fp"] <= 0.0006  # measured 0.04 %
    assert model["face_fp"] <= 0.0005  # measured 0.00 %
    old = _pooled(scores, "heuristic, labelled hairline")
    assert model["iou"] > old["iou"] + 0.2  # heuristics: 0.36
    by = {s.name: s for s in scores if s.method == "model, labelled hairline"}
    floors = {  # measured: 0.83, 0.82, 0.75, 0.70, 0.78, 0.94, 0.94, 0.86, 0.90
        "astronaut-shaved": 0.80,
        "astronaut-shaved-side-light": 0.79,
        "biden-2013": 0.72,
        "biden-2013-dark": 0.67,
        "biden-2013-side-light": 0.75,
        "congress-b000382": 0.91,  # these two with their head's outline relabelled
        "congress-a000055": 0.91,
        "congress-b000755": 0.82,
        "congress-a000022": 0.86,  # greyscale, once refused as drawn
        # added: measured 0.90, 0.93, 0.93 (colour, dark skin; with their head's outline
        # relabelled, and c001072's smooth crown no longer hair), 0.47 (three-quarter)
        "congress-s001184": 0.87,
        "congress-c001072": 0.90,
        "interfaces-061": 0.90,
        "interfaces-040": 0.44,
    }
    for name, floor in floors.items():
        assert (by[name].iou or 0.0) >= floor, name
    assert max(s.bg_rate for s in by.values()) <= 0.024  # measured 2.22 % (congress-c000537)


def test_end_to_end_floors(scores: list) -> None:  # type: ignore[type-arg]
    """With the proposed hairline, as `smpstudio analyze` runs: the line between forehead
    and scalp is the client's natural hairline estimated from the face mesh (a dome), not
    the SMP hairline proposal (half the glabella–menton height up, temporal points 15 mm
    higher: it made the end-to-end IoU 0.09)."""
    first = _first(scores, "model")
    assert first["iou"] >= 0.59  # measured 0.62 (parsing, the ceiling: 0.72)
    assert first["mean_iou"] >= 0.59  # measured 0.62
    assert first["bg_fp"] <= 0.0007  # measured 0.05 %
    assert first["face_fp"] <= 0.005  # measured 0.35 %
    # all 26: the added bald heads (dark skin, a three-quarter view) lose much of the
    # forehead to the scalp, their estimated forehead edge lying below the labelled one
    model = _pooled(scores, "model")
    assert model["iou"] >= 0.45  # measured 0.48 (parsing, the ceiling: 0.73)
    assert model["mean_iou"] >= 0.50  # measured 0.53
    assert model["bg_fp"] <= 0.0008  # measured 0.05 %
    assert model["face_fp"] <= 0.035  # measured 3.04 % (target 0.5 %: not met)
    by = {s.name: s for s in scores if s.method == "model"}
    floors = {  # measured: 0.68, 0.66, 0.61, 0.65, 0.71, 0.66, 0.74, 0.81, 0.76
        "astronaut-shaved": 0.65,
        "astronaut-shaved-side-light": 0.63,
        "biden-2013": 0.58,
        "biden-2013-dark": 0.62,
        "biden-2013-side-light": 0.68,
        "congress-a000022": 0.63,
        "congress-a000055": 0.71,
        "congress-b000382": 0.78,
        "congress-b000755": 0.73,
        # added: measured 0.20, 0.34, 0.43, 0.22
        "congress-s001184": 0.17,
        "congress-c001072": 0.31,
        "interfaces-061": 0.40,
        "interfaces-040": 0.19,
    }
    for name, floor in floors.items():
        assert (by[name].iou or 0.0) >= floor, name
    # the forehead called scalp on the added bald heads (measured 8.23, 7.76, 10.81 %)
    for name, ceiling in (
        ("congress-s001184", 0.09),
        ("congress-c001072", 0.085),
        ("interfaces-061", 0.12),
    ):
        assert by[name].face_rate <= ceiling, name
    # a full hairline in colour: the forehead runs up to the hair (measured 0.00–0.86 %)
    for name in ("chris", "luciano", "luciano-dim-cool", "obama-2012", "obama-2012-dim-warm"):
        assert by[name].face_rate <= 0.012, name
    analysed = [s for s in scores if s.method == "model" and not s.hair_source.startswith("ref")]
    assert len(analysed) == len(photos())  # none refused (congress-a000022 once was)
    assert all(s.hair_source == HAIR_MODEL for s in analysed)


def test_hair_model_is_deterministic_and_sees_a_shaved_crown() -> None:
    photo = ingest_photo(SHAVED)
    p = hair_probability(photo.pixels, (140, 0, 200, 200))
    q = hair_probability(photo.pixels, (140, 0, 200, 200))
    assert np.array_equal(p, q)
    assert p[40, 225] < 0.2  # the shaved crown is not hair
    assert p[90, 165] > 0.8  # the hair left at her temple is
    analysis = analyze_photo(photo)
    assert analysis.to_dict()["hair_from"] == HAIR_MODEL


def test_ears_clothing_and_long_hair_are_their_own_regions() -> None:
    from smpstudio.photo._segment import CLOTHING, EARS, HAIR, REGIONS

    analysis = analyze_photo(ingest_photo(EVAL / "obama-2012.jpg"))
    labels = analysis.segmentation.labels
    assert labels[700, 200] == CLOTHING  # his suit
    assert labels[150, 30] == REGIONS.index("background")  # the flag
    ears = np.argwhere(labels == EARS)
    assert (ears[:, 1] < 340).sum() > 200  # his right ear
    assert (ears[:, 1] > 545).sum() > 200  # his left ear
    assert ears[:, 0].min() > 120  # beside the eyes and nose, not above
    assert ears[:, 0].max() < 300
    long_hair = analyze_photo(ingest_photo(EVAL / "congress-a000368.jpg")).segmentation.labels
    assert long_hair[200, 25] == HAIR  # her hair on the shoulder, below the head
    again = analyze_photo(ingest_photo(EVAL / "obama-2012.jpg")).segmentation.labels
    assert np.array_equal(labels, again)


def test_the_forehead_ends_at_a_dome_below_the_smp_line() -> None:
    """On a bald head the line between forehead and scalp is the natural hairline: a dome
    (highest in the middle), below the SMP hairline proposal, whose temporal points rise
    into an M; a hairline drawn by hand is used as it is."""
    from benchmarks.photo_segmentation import labelled_hairline

    from smpstudio.photo import PhotoEdits

    photo = ingest_photo(EVAL / "congress-b000382.jpg")
    analysis = analyze_photo(photo)
    marks, line, edge = analysis.landmarks, analysis.hairline, analysis.segmentation.boundary
    assert marks is not None
    assert line is not None
    assert edge is not None
    assert edge.rule == "forehead"
    g, up, across = marks["glabella"], marks.up, marks.across

    def height_at(points: np.ndarray, s: float) -> float:
        order = np.argsort((points - g) @ across)
        return float(np.interp(s, ((points - g) @ across)[order], ((points - g) @ up)[order]))

    canthus = float((marks["left_canthus"] - g) @ across)
    mid, side = height_at(edge.polyline, 0.0), height_at(edge.polyline, canthus)
    assert side < mid - 3  # a dome (pixels: 5.8 mm lower above the canthus)
    assert height_at(line.polyline, canthus) > height_at(line.polyline, 0.0)  # an M
    assert mid < height_at(line.polyline, 0.0) - 5  # below the proposal
    drawn = analyze_photo(photo, edits=PhotoEdits(hairline=labelled_hairline("congress-b000382")))
    assert drawn.segmentation.boundary is drawn.hairline


def test_a_shiny_dark_bald_crown_is_not_hair() -> None:
    """The crown of a dark, shiny bald head (congress-c001072, Monk 6–7, colour): the hair
    model calls its shaded rim and the highlight (the backdrop's hue, outside the skin's
    chromaticity) hair; it is as smooth as bare skin, and bare skin it is. With the
    labelled hairline, of the labelled bald-scalp pixels inside the person, 2,277 of 7,832
    (29 %) were hair before the texture rule; now 41 of 7,902 (0.5 %)."""
    from benchmarks.photo_segmentation import labelled_hairline

    from smpstudio.photo import PhotoEdits
    from smpstudio.photo._segment import HAIR

    name = "congress-c001072"
    photo = ingest_photo(EVAL / f"{name}.jpg")
    seg = analyze_photo(photo, edits=PhotoEdits(hairline=labelled_hairline(name))).segmentation
    truth = np.asarray(Image.open(EVAL / "masks" / f"{name}.png"))
    scalp = (truth == 4) & (seg.labels != 0)  # labelled bald scalp the person mask holds
    assert scalp.sum() > 5000
    assert (seg.labels[scalp] == HAIR).mean() < 0.02


def test_only_skin_smoother_than_the_face_is_bare_whatever_the_model() -> None:
    """The texture rule on a synthetic head: a smooth shaded dome (a broad highlight, no
    fine texture) is bare; strands as fine as hair, a face with pores, and a dark shadow
    are not."""
    from smpstudio.photo._segment import _bare_smooth

    rng = np.random.default_rng(7)
    rows, cols = 200, 300
    y, x = np.mgrid[0:rows, 0:cols].astype(np.float32)
    light = np.full((rows, cols), 55.0, dtype=np.float32)
    light[:, :100] += 20.0 * np.exp(-((x[:, :100] - 50) ** 2 + (y[:, :100] - 60) ** 2) / 900)
    face = np.s_[:, 100:200]  # skin with pores
    light[face] += rng.normal(0.0, 2.0, (rows, 100)).astype(np.float32)
    light[:, 200:] += np.where((x[:, 200:].astype(int) // 2) % 2 == 0, 6.0, -6.0)  # strands
    light[150:, :100] = 5.0  # a deep shadow, far darker than the skin
    near = np.zeros((rows, cols), dtype=bool)
    near[80:120, 130:170] = True
    bare = _bare_smooth(light, near, skin_light=55.0)
    assert bare[20:140, 10:90].all()  # the dome, highlight and all
    assert not bare[:, 210:290].any()  # the strands
    assert bare[10:190, 110:190].mean() < 0.05  # the face's own skin
    assert not bare[160:, 10:90].any()  # the shadow
    assert not _bare_smooth(light, None, skin_light=55.0).any()  # no face, no rule
