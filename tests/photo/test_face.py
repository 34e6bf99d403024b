"""Face landmarks (offline), manual override, scale and the hairline proposal."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from PIL import Image

from smpstudio import PhotoError
from smpstudio.photo import (
    FaceLandmarks,
    Photo,
    PhotoEdits,
    analyze_photo,
    detect_landmarks,
    face_landmarks,
    hairline_from_points,
    ingest_photo,
    parse_calibration,
    propose_hairline,
    scale_from_calibration,
    scale_from_landmarks,
)

from .conftest import encoded

# Hand-annotated on skimage.data.astronaut() (512 × 512) from a 6× zoom with a 5 px grid;
# about ±1 px. Client's left/right: the client's left eye is on the image's right.
ASTRONAUT_TRUTH = {
    "glabella": (224.5, 90.0),
    "right_canthus": (194.0, 100.5),
    "left_canthus": (257.0, 104.0),
    "right_pupil": (203.0, 101.0),
    "left_pupil": (246.0, 103.0),
    "subnasale": (222.5, 132.0),
    "menton": (221.0, 178.0),
}
GRACE_HOPPER = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"


def _errors(marks: FaceLandmarks, scale: float = 1.0) -> dict[str, float]:
    return {
        name: math.dist(marks.points[name], (x * scale, y * scale))
        for name, (x, y) in ASTRONAUT_TRUTH.items()
    }


class TestLandmarks:
    def test_astronaut_within_3_px_of_hand_annotation(self, astronaut_photo):
        marks = detect_landmarks(astronaut_photo)
        errors = _errors(marks)
        assert max(errors.values()) < 3.0, errors  # 3 px = 4.4 mm here, 7 % of the IPD
        assert np.mean(list(errors.values())) < 1.8
        assert marks.detector == "mediapipe-face-mesh"
        assert marks.mesh is not None
        assert marks.mesh.shape == (478, 2)
        assert abs(marks.roll_degrees) < 6
        assert marks.pose_warnings() == []

    def test_a_larger_photo_scales_the_points(self, astronaut):
        big = np.asarray(Image.fromarray(astronaut).resize((1536, 1536), Image.LANCZOS))
        errors = _errors(detect_landmarks(Photo.from_array(big)), scale=3.0)
        assert max(errors.values()) < 9.0, errors

    def test_exif_rotated_jpeg_gives_the_same_points(self, astronaut):
        exif = Image.Exif()
        exif[0x0112] = 8  # stored rotated: display turns it back
        stored = np.rot90(astronaut, k=-1)  # what orientation 8 undoes
        photo = ingest_photo(encoded(stored, "JPEG", quality=95, exif=exif))
        assert photo.orientation == 8
        errors = _errors(detect_landmarks(photo))
        assert max(errors.values()) < 3.5, errors

    def test_second_real_photo(self):
        marks = detect_landmarks(ingest_photo(GRACE_HOPPER))
        # her eyes are level and the face is upright: canthi apart, chin far below
        assert 100 < math.dist(marks.points["right_canthus"], marks.points["left_canthus"]) < 140
        assert marks.points["menton"][1] - marks.points["glabella"][1] > 140
        assert marks.points["right_pupil"][0] < marks.points["left_pupil"][0]

    def test_no_face_needs_hand_landmarks(self):
        grey = Photo.from_array(np.full((200, 200, 3), 120, np.uint8))
        with pytest.raises(PhotoError, match=r"no human face found .* \(--landmark NAME=X,Y"):
            face_landmarks(grey)
        given = {
            "glabella": (100, 80), "subnasale": (100, 130), "menton": (100, 180),
            "right_canthus": (70, 95), "left_canthus": (130, 95),
        }  # fmt: skip
        marks = face_landmarks(grey, overrides=given)
        assert marks.detector == "manual"
        assert set(marks.source.values()) == {"manual"}

    def test_override_one_point(self, astronaut_photo):
        marks = face_landmarks(astronaut_photo, overrides={"menton": (222.0, 181.0)})
        assert marks.points["menton"] == (222.0, 181.0)
        assert marks.source["menton"] == "manual"
        assert marks.source["glabella"] == "detected"

    def test_bad_overrides(self, astronaut_photo):
        with pytest.raises(PhotoError, match="unknown landmark chin"):
            face_landmarks(astronaut_photo, overrides={"chin": (1, 2)})
        with pytest.raises(PhotoError, match="outside the 512×512 photo"):
            face_landmarks(astronaut_photo, overrides={"menton": (600, 10)})

    def test_other_views_have_no_landmarks(self, astronaut):
        assert face_landmarks(Photo.from_array(astronaut, view="top")) is None

    def test_deterministic(self, astronaut_photo):
        assert detect_landmarks(astronaut_photo).points == detect_landmarks(astronaut_photo).points


class TestScale:
    def test_interpupillary(self, astronaut_photo):
        marks = detect_landmarks(astronaut_photo)
        scale = scale_from_landmarks(marks)
        truth = 63.0 / math.dist(ASTRONAUT_TRUTH["right_pupil"], ASTRONAUT_TRUTH["left_pupil"])
        assert scale.mm_per_px == pytest.approx(truth, rel=0.03)
        assert scale_from_landmarks(marks, ipd_mm=58.0).mm_per_px < scale.mm_per_px
        with pytest.raises(PhotoError, match="outside 45–80 mm"):
            scale_from_landmarks(marks, ipd_mm=90.0)

    def test_calibration(self):
        start, end, mm = parse_calibration("100,100,400,500,50")
        assert scale_from_calibration(start, end, mm).mm_per_px == pytest.approx(0.1)
        with pytest.raises(PhotoError, match="not x1,y1,x2,y2,mm"):
            parse_calibration("1,2,3")
        with pytest.raises(PhotoError, match="at least 10 px apart"):
            scale_from_calibration((0, 0), (3, 4), 10)

    def test_analysis_prefers_calibration_then_given_then_pupils(self, astronaut_photo):
        calibrated = analyze_photo(
            astronaut_photo, edits=PhotoEdits(calibration=((0, 0), (100, 0), 25.0))
        )
        assert calibrated.scale.source == "calibration"
        assert calibrated.mm_per_px == 0.25
        given = analyze_photo(astronaut_photo, edits=PhotoEdits(mm_per_px=0.9))
        assert given.scale.source == "given"
        assert any("glabella to chin" in w for w in given.warnings)  # 0.9 mm/px: a tiny face


class TestHairline:
    def test_thirds_on_the_astronaut(self, astronaut_analysis):
        marks, line = astronaut_analysis.landmarks, astronaut_analysis.hairline
        up, across = marks.up, marks.across
        drop = float(np.dot(marks["glabella"] - marks["menton"], up))
        rise = float(np.dot(line.mid_frontal - marks["glabella"], up))
        assert rise == pytest.approx(drop / 2.0, rel=1e-6)  # the upper third
        for side in ("right", "left"):
            temporal = getattr(line, f"temporal_{side}")
            s_t = float(np.dot(temporal - marks["glabella"], across))
            s_c = float(np.dot(marks[f"{side}_canthus"] - marks["glabella"], across))
            assert s_t == pytest.approx(s_c, abs=1e-6)  # on the lateral canthus line
            higher = float(np.dot(temporal - line.mid_frontal, up)) * astronaut_analysis.mm_per_px
            assert higher == pytest.approx(15.0, rel=1e-6)  # temporal rise
        assert 50 < line.height_mm < 80

    def test_tilted_face_tilts_the_line(self):
        marks = FaceLandmarks.manual(
            {
                "glabella": (500, 400), "subnasale": (520, 520), "menton": (540, 640),
                "right_canthus": (460, 422), "left_canthus": (550, 437),
            }
        )  # fmt: skip
        line = propose_hairline(marks, mm_per_px=0.5)
        assert line.mid_frontal[0] > 500  # moved along the face's own up direction
        assert line.temporal_left[1] > line.temporal_right[1]

    def test_shapes_and_moved_points(self):
        marks = FaceLandmarks.manual(
            {
                "glabella": (500, 400), "subnasale": (500, 520), "menton": (500, 640),
                "right_canthus": (455, 430), "left_canthus": (545, 430),
            }
        )  # fmt: skip
        rounded = propose_hairline(marks, mm_per_px=0.5)
        flat = propose_hairline(marks, mm_per_px=0.5, shape="flat")
        peak = propose_hairline(marks, mm_per_px=0.5, shape="widows-peak")
        assert flat.temporal_left[1] > rounded.temporal_left[1]
        mid = np.argmin(np.abs(peak.polyline[:, 0] - 500))
        assert peak.polyline[mid, 1] == pytest.approx(rounded.mid_frontal[1] + 16, abs=0.6)
        moved = propose_hairline(marks, mm_per_px=0.5, mid_frontal=(500, 250))
        assert moved.rule == "manual"
        assert moved.mid_frontal.tolist() == [500, 250]
        high = propose_hairline(marks, mm_per_px=0.5, rule="height", height_mm=80)
        assert high.mid_frontal[1] == pytest.approx(400 - 160)
        with pytest.raises(PhotoError, match="unknown hairline shape"):
            propose_hairline(marks, mm_per_px=0.5, shape="square")

    def test_signed_distance_sides(self):
        line = hairline_from_points([(10, 60), (50, 40), (90, 60)], marks=None, mm_per_px=None,
                                    size=(100, 100))  # fmt: skip
        signed = line.signed_distance((100, 100))
        assert signed[10, 50] > 25  # behind (above) the line
        assert signed[80, 50] < -33  # in front of it (35.8 px away)
        assert abs(signed[40, 50]) <= 1.0
        half = line.signed_distance((50, 50), zoom=0.5)
        assert half[5, 25] == pytest.approx(signed[10, 50], abs=2.5)  # in photo pixels

    def test_hand_drawn_line(self, astronaut_photo):
        edits = PhotoEdits(hairline=np.array([[260.0, 70.0], [225.0, 55.0], [190.0, 70.0]]))
        analysis = analyze_photo(astronaut_photo, edits=edits)
        assert analysis.hairline.rule == "manual"
        assert analysis.hairline.polyline[0, 0] < analysis.hairline.polyline[-1, 0]
        assert analysis.hairline.mid_frontal.tolist() == [225.0, 55.0]
