"""Which face: photos of several people, faces cut off by the frame, drawings and animals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from smpstudio import PhotoError
from smpstudio.photo import Photo, PhotoEdits, analyze_photo, detect_landmarks

from .test_face import ASTRONAUT_TRUTH, GRACE_HOPPER

EVAL = Path(__file__).resolve().parents[1] / "data" / "photos" / "eval"

# The astronaut's face and Grace Hopper's, each as a head-and-shoulders crop.
_SIZES = (0.6, 0.4, 1.0, 0.45, 0.7, 0.35)


def _heads() -> list[np.ndarray]:
    astronaut = data.astronaut()[0:260, 100:330]
    hopper = np.asarray(Image.open(GRACE_HOPPER).convert("RGB"))[40:420, 60:460]
    return [astronaut, hopper]


def _group() -> tuple[np.ndarray, list[tuple[int, int, float]]]:
    """Six people in two rows on a plain wall, 1600 × 900; returns where each face went."""
    canvas = np.full((900, 1600, 3), (186, 190, 184), np.uint8)
    placed = []
    heads = _heads()
    for i, scale in enumerate(_SIZES):
        head = heads[i % 2]
        h, w = head.shape[:2]
        small = np.asarray(
            Image.fromarray(head).resize((round(w * scale), round(h * scale)), Image.LANCZOS)
        )
        x, y = 40 + i * 255, 150 + (i % 2) * 300
        canvas[y : y + small.shape[0], x : x + small.shape[1]] = small
        placed.append((x, y, scale))
    return canvas, placed


def _astronaut_glabella(x: int, y: int, scale: float) -> tuple[float, float]:
    gx, gy = ASTRONAUT_TRUTH["glabella"]
    return x + (gx - 100) * scale, y + gy * scale


class TestSeveralFaces:
    def test_a_group_of_six_uses_the_largest_and_says_so(self):
        canvas, placed = _group()
        marks = detect_landmarks(Photo.from_array(canvas))
        assert marks.faces_found == 6
        largest = int(np.argmax(_SIZES))
        expected = _astronaut_glabella(*placed[largest])
        assert np.hypot(*np.subtract(marks.points["glabella"], expected)) < 6
        assert any("6 faces in the photo: used face 3 (the largest" in n for n in marks.notes)

    def test_face_n_counts_from_the_left(self):
        canvas, placed = _group()
        photo = Photo.from_array(canvas)
        for n in (1, 5):
            marks = detect_landmarks(photo, face=n)
            expected = _astronaut_glabella(*placed[n - 1])
            assert np.hypot(*np.subtract(marks.points["glabella"], expected)) < 6
            assert marks.notes == ()

    @pytest.mark.parametrize("face", [0, 7])
    def test_a_face_that_is_not_there(self, face):
        canvas, _ = _group()
        with pytest.raises(PhotoError, match=f"--face {face}: the photo shows 6 faces; choose 1–6"):
            detect_landmarks(Photo.from_array(canvas), face=face)

    def test_an_ear_is_not_a_second_face(self):
        """The detector boxes the near ear of a man turned 59° as a face; the mesh finds
        none there, so the photo shows one face and no note offers a choice."""
        from smpstudio.photo import ingest_photo

        marks = detect_landmarks(ingest_photo(EVAL / "interfaces-040.jpg"))
        assert marks.faces_found == 1
        assert not any("faces in the photo" in n for n in marks.notes)

    def test_analysis_carries_the_note(self):
        canvas, _ = _group()
        analysis = analyze_photo(Photo.from_array(canvas), edits=PhotoEdits(face=2))
        assert analysis.landmarks is not None
        assert analysis.landmarks.faces_found == 6
        assert not any("faces in the photo" in w for w in analysis.warnings)


class TestSmallAndCutFaces:
    def test_a_112_px_face_crop_is_accepted(self):
        crop = data.astronaut()[60:190, 160:290]
        small = np.asarray(Image.fromarray(crop).resize((112, 112), Image.LANCZOS))
        marks = detect_landmarks(Photo.from_array(small))
        scale = 112 / 130
        gx, gy = ASTRONAUT_TRUTH["glabella"]
        assert np.hypot(marks.points["glabella"][0] - (gx - 160) * scale,
                        marks.points["glabella"][1] - (gy - 60) * scale) < 4  # fmt: skip

    def test_a_chin_cut_off_is_estimated_and_noted(self):
        crop = np.ascontiguousarray(data.astronaut()[0:165, 120:330])
        marks = detect_landmarks(Photo.from_array(crop))
        assert marks.points["menton"][1] > 165
        assert any("cuts off the face (menton outside the frame)" in n for n in marks.notes)


def _posterised(pixels: np.ndarray, colours: int) -> np.ndarray:
    image = Image.fromarray(pixels).quantize(colours, method=Image.Quantize.MEDIANCUT)
    return np.asarray(image.convert("RGB"))


class TestNotAPhotoOfAPerson:
    @pytest.mark.parametrize("colours", [6, 8])
    def test_a_face_in_flat_colours_is_refused(self, colours):
        drawn = _posterised(data.astronaut(), colours)
        with pytest.raises(PhotoError, match="the face looks drawn, not photographed"):
            detect_landmarks(Photo.from_array(drawn))

    @pytest.mark.parametrize("levels", [6, 8, 24])
    def test_a_face_in_flat_greys_is_refused(self, levels):
        grey = np.repeat(data.astronaut().mean(axis=2, keepdims=True), 3, axis=2)
        drawn = _posterised(grey.astype(np.uint8), levels)
        with pytest.raises(PhotoError, match="the face looks drawn, not photographed"):
            detect_landmarks(Photo.from_array(drawn))

    def test_a_low_contrast_greyscale_portrait_is_a_photograph(self):
        """congress-a000022: a real greyscale portrait whose face spans few grey levels
        (the colour cells called it drawn: 0.77 of its pixels in six of them)."""
        from smpstudio.photo import ingest_photo
        from smpstudio.photo._landmarks import _looks_drawn

        photo = ingest_photo(EVAL / "congress-a000022.jpg")
        marks = detect_landmarks(photo)
        assert marks.faces_found == 1
        assert 100 < marks.points["glabella"][0] < 130
        assert 60 < marks.points["glabella"][1] < 85
        assert not _looks_drawn(photo.pixels, marks.mesh)
        assert analyze_photo(photo).hairline is not None

    def test_a_cat_has_no_human_face(self):
        with pytest.raises(PhotoError, match=r"no human face found .*animals are not accepted"):
            detect_landmarks(Photo.from_array(data.chelsea()))

    def test_greyscale_and_small_photos_are_still_faces(self):
        grey = np.repeat(data.astronaut().mean(axis=2, keepdims=True), 3, axis=2)
        assert detect_landmarks(Photo.from_array(grey.astype(np.uint8))).faces_found == 1
        small = np.asarray(Image.fromarray(data.astronaut()).resize((160, 160), Image.LANCZOS))
        assert detect_landmarks(Photo.from_array(small)).faces_found == 1


def test_a_false_alarm_larger_than_the_face_is_passed_over():
    """The detector also boxes the astronaut's helmet at 12 MP; the face mesh finds no face
    there, so the real face is used."""
    from pathlib import Path

    pixels = np.asarray(
        Image.open(Path(__file__).parents[1] / "data" / "photos" / "astronaut-shaved.jpg")
        .convert("RGB")
        .resize((3000, 3000), Image.LANCZOS)
    )
    wide = np.pad(pixels, ((0, 0), (500, 500), (0, 0)), mode="edge")
    marks = detect_landmarks(Photo.from_array(wide))
    gx, gy = ASTRONAUT_TRUTH["glabella"]
    assert np.hypot(marks.points["glabella"][0] - (500 + gx * 3000 / 512),
                    marks.points["glabella"][1] - gy * 3000 / 512) < 20  # fmt: skip
