"""Segmentation with corrections, skin tone, and SMP placed and rendered on the photo."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from PIL import Image

from smpstudio import PhotoError
from smpstudio.dots import dilution_rule
from smpstudio.photo import (
    Correction,
    Photo,
    PhotoEdits,
    PhotoTreatment,
    analyze_photo,
    parse_correction,
    simulate_photo,
)
from smpstudio.photo._landmarks import FACE_OVAL
from smpstudio.photo._segment import _polygon_mask

LUT = ((np.arange(256) / 255.0 + 0.055) / 1.055) ** 2.4


def _linear(pixels: np.ndarray) -> np.ndarray:
    return LUT[pixels].mean(axis=2)


class TestSegmentation:
    def test_astronaut_face_hair_and_no_bald_scalp(self, astronaut_analysis):
        seg = astronaut_analysis.segmentation
        oval = _polygon_mask(seg.labels.shape, astronaut_analysis.landmarks.mesh[list(FACE_OVAL)])
        face_share = float(np.mean(seg.labels[oval] == 1))
        head = seg.mask("hair", "thinning", "scalp")
        bald_share = float(seg.mask("scalp", "thinning").sum() / head.sum())
        assert face_share > 0.9, face_share
        assert bald_share < 0.03, bald_share  # a full head of hair: almost nothing to treat
        areas = seg.areas_px()
        assert sum(areas.values()) == 512 * 512
        assert areas["hair"] > 6000
        assert astronaut_analysis.skin_measured_on == "forehead and cheeks"
        assert astronaut_analysis.skin.ita_class in ("very light", "light")

    def test_shaved_crown_is_found(self, shaved_analysis):
        seg = shaved_analysis.segmentation
        rows, cols = seg.labels.shape
        yy, xx = np.mgrid[0:rows, 0:cols]
        u, v = (xx - 226.0) / 60.0, (yy - 104.0) / 80.0
        crown = (u**2 + v**2 < 1.0) & (yy < 90) & (np.abs(u) < 0.8)  # as built
        # the crown as built, behind the client's natural hairline (the forehead's edge)
        assert seg.boundary is not None
        assert seg.boundary.rule == "forehead"
        behind = seg.boundary.signed_distance((rows, cols)) > 2
        truth = crown & behind
        found = seg.mask("scalp", "thinning")
        iou = float((truth & found).sum() / (truth | found).sum())
        assert truth.sum() > 300
        assert iou > 0.75, iou  # 0.82 measured (0.71 against the proposed hairline before)
        assert shaved_analysis.skin_measured_on == "forehead and cheeks"  # never the scalp
        assert not seg.mask("scalp", "thinning")[yy > 95].any()  # never on the face

    def test_corrections_relabel_in_order(self, astronaut_photo):
        square = np.array([[100.0, 300.0], [140.0, 300.0], [140.0, 340.0], [100.0, 340.0]])
        edits = PhotoEdits(
            corrections=(
                Correction("scalp", polygon=square),
                Correction("hair", stroke=np.array([[100.0, 320.0], [140.0, 320.0]]), radius_px=5),
            )
        )
        seg = analyze_photo(astronaut_photo, edits=edits).segmentation
        assert seg.labels[305, 105] == 4
        assert seg.labels[335, 135] == 4
        assert seg.labels[320, 120] == 2  # the later brush wins
        mask = np.zeros((512, 512), dtype=bool)
        mask[10:20, 10:30] = True
        seg = analyze_photo(
            astronaut_photo, edits=PhotoEdits(corrections=(Correction("thinning", mask=mask),))
        ).segmentation
        assert seg.areas_px()["thinning"] >= 200

    def test_mask_files(self, astronaut_photo, tmp_path):
        good, bad = tmp_path / "mask.png", tmp_path / "small.png"
        white = np.zeros((512, 512, 3), np.uint8)
        white[50:60, 50:60] = 255
        Image.fromarray(white).save(good)
        Image.fromarray(white[:100]).save(bad)
        correction = parse_correction("mask", f"scalp={good}", size=astronaut_photo.size)
        assert correction.mask.sum() == 100
        with pytest.raises(PhotoError, match="is 512×100 px but the photo is 512×512"):
            parse_correction("mask", f"scalp={bad}", size=astronaut_photo.size)
        with pytest.raises(PhotoError, match="unknown region 'skin'"):
            parse_correction("polygon", "skin=1,1;5,1;5,5", size=(10, 10))
        with pytest.raises(PhotoError, match="RADIUS:x,y"):
            parse_correction("brush", "hair=1,1;5,5", size=(10, 10))


def _top_view(*, lit: bool = False, hairs: bool = False) -> Photo:
    """A synthetic top view: a skin-coloured disc (the crown, 150 mm across at 0.25 mm/px)
    on a dark backdrop, optionally lit from one side, optionally with dark hairs."""
    rng = np.random.default_rng(1)
    size = 800
    yy, xx = np.mgrid[0:size, 0:size]
    disc = (xx - 400) ** 2 + (yy - 400) ** 2 < 300**2
    skin = np.array([200, 160, 128], dtype=np.float64)
    image = np.where(disc[..., None], skin, np.array([40.0, 42.0, 48.0]))
    if lit:
        image[:, :400] *= 0.55
    image += rng.normal(0.0, 1.5, image.shape)
    if hairs:
        for x in range(330, 470, 14):
            image[340:460, x : x + 2] = (45, 35, 30)
    return Photo.from_array(np.clip(image, 0, 255).astype(np.uint8), view="top")


@pytest.fixture(scope="module")
def top_analysis():
    return analyze_photo(_top_view(), edits=PhotoEdits(mm_per_px=0.25))


@pytest.fixture(scope="module")
def top_sim(top_analysis):
    return simulate_photo(
        top_analysis,
        treatment=PhotoTreatment(),
        dilution=dilution_rule(top_analysis.skin, "dark-brown"),
        seed=5,
    )


class TestPhysicalDensity:
    def test_whole_crown_is_bald_scalp(self, top_analysis):
        seg = top_analysis.segmentation
        disc_px = math.pi * 300**2
        assert seg.areas_px()["scalp"] == pytest.approx(disc_px, rel=0.03)
        assert top_analysis.hairline is None
        assert top_analysis.landmarks is None

    def test_dots_per_square_centimetre_of_skin(self, top_sim):
        dots = top_sim.impressions
        r = np.hypot(*(dots.xy - 400).T)
        centre = r < 80  # 20 mm around the vertex, nearly facing the camera
        skin_cm2 = (math.pi * 80**2 * 0.25**2 / 100.0) / np.mean(dots.cos[centre])
        assert centre.sum() / skin_cm2 == pytest.approx(80.0, rel=0.05)
        # over the whole dome: each dot stands for 1/80 cm² of skin, whatever its tilt
        skin_total = np.sum(1.0 / 80.0 * np.ones(len(dots)))
        projected = skin_total * 100.0 * np.mean(dots.cos) / 0.25**2
        assert projected == pytest.approx(math.pi * 300**2, rel=0.08)
        assert np.mean(dots.zone == 1) > 0.9  # body; enhancement only at the outline
        assert np.all((dots.diameter_mm > 0.11) & (dots.diameter_mm < 0.15))

    def test_sessions_nest(self, top_sim):
        dots = top_sim.impressions
        first = dots.upto(1)
        assert len(first) / len(dots) == pytest.approx(0.6, abs=0.02)

    def test_only_the_treatment_region_changes(self, top_sim):
        changed = np.any(top_sim.after != top_sim.before, axis=2)
        yy, xx = np.mgrid[0:800, 0:800]
        assert not changed[(xx - 400) ** 2 + (yy - 400) ** 2 > 305**2].any()
        inner = (xx - 400) ** 2 + (yy - 400) ** 2 < 200**2
        darker = 1.0 - _linear(top_sim.after)[inner].mean() / _linear(top_sim.before)[inner].mean()
        # healed SMP seen at 0.25 mm/px: a 0-guard buzz cut's shadow, lighter than the
        # lightest photographed buzz cut (0.63 of the light stopped)
        assert 0.15 < darker < 0.6, darker

    def test_the_dots_shadows_never_fall_on_the_background(self):
        """A strip across the crown marked background: the dots beside it are placed up to
        its edge and their shadows (a halo reaches 1.2 mm, 5 px here) would darken it, but
        no pixel the segmentation calls background changes (the mask is interpolated between
        its cells, so the strip's edge pixel itself may)."""
        from smpstudio.photo import Correction

        strip = Correction(
            "background", polygon=np.array([[100, 380], [700, 380], [700, 420], [100, 420]])
        )
        analysis = analyze_photo(
            _top_view(), edits=PhotoEdits(mm_per_px=0.25, corrections=(strip,))
        )
        seg = analysis.segmentation
        assert seg.zoom == 1.0
        sim = simulate_photo(
            analysis,
            treatment=PhotoTreatment(),
            dilution=dilution_rule(analysis.skin, "black"),
            seed=5,
        )
        changed = np.any(sim.after != sim.before, axis=2)
        background = seg.mask("background")
        assert changed[370:380, 150:650].sum() > 1000  # treated up to the strip
        inner = np.zeros_like(background)  # the strip, a pixel in from its edges
        inner[382:419, 120:680] = background[382:419, 120:680]
        assert inner.sum() > 15_000
        assert not (changed & inner).any()

    def test_deterministic_and_seeded(self, top_analysis, top_sim):
        rule = dilution_rule(top_analysis.skin, "dark-brown")
        again = simulate_photo(top_analysis, treatment=PhotoTreatment(), dilution=rule, seed=5)
        other = simulate_photo(top_analysis, treatment=PhotoTreatment(), dilution=rule, seed=6)
        assert np.array_equal(again.after, top_sim.after)
        assert not np.array_equal(other.after, top_sim.after)

    def test_scale_from_the_head_width_or_none(self, top_analysis):
        analysis = analyze_photo(_top_view())
        assert analysis.scale.source == "head-width"
        assert any("head's width" in w for w in analysis.warnings)
        assert analysis.mm_per_px == pytest.approx(152.0 / 600.0, rel=0.05)
        unscaled = dataclasses.replace(top_analysis, scale=None)
        with pytest.raises(PhotoError, match="needs its scale"):
            simulate_photo(
                unscaled, treatment=PhotoTreatment(), dilution=dilution_rule("#c8a080", "black")
            )


class TestLooksPhotographed:
    def _sim(self, photo, **kwargs):
        analysis = analyze_photo(photo, edits=PhotoEdits(mm_per_px=0.25))
        rule = dilution_rule(analysis.skin, "dark-brown")
        return simulate_photo(analysis, treatment=PhotoTreatment(), dilution=rule, seed=2, **kwargs)

    def test_dots_follow_the_photo_lighting(self):
        sim = self._sim(_top_view(lit=True))
        yy, xx = np.mgrid[0:800, 0:800]
        ring = ((xx - 400) ** 2 + (yy - 400) ** 2 < 150**2) & (np.abs(yy - 400) < 60)
        shade, light = ring & (xx < 380), ring & (xx > 420)
        ratio = _linear(sim.after) / np.maximum(_linear(sim.before), 1e-6)
        dark_shade, dark_light = 1 - ratio[shade].mean(), 1 - ratio[light].mean()
        assert dark_shade == pytest.approx(dark_light, rel=0.15)  # the same share of light
        absolute = _linear(sim.before) - _linear(sim.after)
        assert absolute[shade].mean() < 0.7 * absolute[light].mean()  # darker in absolute terms

    def test_hairs_hide_the_pigment_under_them(self):
        sim = self._sim(_top_view(hairs=True))
        yy, xx = np.mgrid[0:800, 0:800]
        band = (yy > 350) & (yy < 450)
        hair = band & ((xx - 330) % 14 < 2) & (xx >= 330) & (xx < 470)
        skin = band & ((xx - 330) % 14 > 5) & (xx >= 330) & (xx < 470)
        before, after = _linear(sim.before), _linear(sim.after)
        change = np.abs(before - after) / np.maximum(before, 1e-6)
        assert change[hair].mean() < 0.35 * change[skin].mean()

    def test_fresh_is_darker_and_years_fade(self):
        photo = _top_view()
        centre = (slice(300, 500), slice(300, 500))

        def darkening(**kwargs):
            sim = self._sim(photo, **kwargs)
            return 1 - _linear(sim.after)[centre].mean() / _linear(sim.before)[centre].mean()

        healed, fresh, faded = (
            darkening(),
            darkening(state="fresh"),
            darkening(state="year", years=10),
        )
        assert fresh > 1.3 * healed > 1.3 * faded > 0


class TestOnTheShavedPhoto:
    def test_dots_only_on_the_crown_at_its_density(self, shaved_analysis, norwood6):
        treatment = PhotoTreatment.from_design(norwood6)
        analysis = analyze_photo(shaved_analysis.photo, treatment=treatment)
        sim = simulate_photo(
            analysis, treatment=treatment, dilution=dilution_rule(analysis.skin, "brown"), seed=3
        )
        dots = sim.impressions
        assert len(dots) > 500
        labels = analysis.segmentation.labels
        at = labels[dots.xy[:, 1].astype(int), dots.xy[:, 0].astype(int)]
        assert np.isin(at, (1, 3, 4)).all()  # face only for sentinels in front of the line
        assert np.all(at[dots.zone != 3] != 1)
        assert {1, 2} <= set(np.unique(dots.zone))
        changed = np.any(sim.after != sim.before, axis=2)
        assert not changed[100:, :].any()  # nothing below the brows changes
        with pytest.raises(PhotoError, match="session 4 does not exist"):
            simulate_photo(
                analysis, treatment=treatment, dilution=dilution_rule("#d7bd96", "brown"), session=4
            )
