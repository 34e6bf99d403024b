"""The head's pose from the face mesh: turned faces, three-quarter views, cameras below or
above the face. Ground truth: renders of the virtual head from known cameras
(tests/data/photos/virtual-head/, made by tools/make_pose_photos.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from smpstudio.photo import Photo, analyze_photo, detect_landmarks, ingest_photo

from .test_face import GRACE_HOPPER

POSES = Path(__file__).parents[1] / "data" / "photos" / "virtual-head"


@pytest.mark.parametrize(
    ("name", "yaw", "pitch"),
    [
        ("yaw0-pitch0", 0, 0),
        ("yaw35-pitch0", 35, 0),
        ("yaw-35-pitch0", -35, 0),
        ("yaw0-pitch20", 0, 20),
        ("yaw0-pitch-30", 0, -30),
    ],
)
def test_the_pose_of_a_head_seen_from_a_known_camera(name, yaw, pitch):
    marks = detect_landmarks(ingest_photo(POSES / f"{name}.jpg"))
    assert marks.pose is not None
    seen_yaw, seen_pitch = marks.pose
    assert abs(seen_yaw - yaw) < 7, seen_yaw  # measured within 3–5°
    assert abs(seen_pitch - pitch) < 7, seen_pitch  # measured within 2.4–5.8°


@pytest.mark.parametrize(
    ("name", "warning"),
    [
        ("yaw0-pitch0", None),
        ("yaw35-pitch0", "toward the client's right: this is a three-quarter view"),
        ("yaw-35-pitch0", "toward the client's left: this is a three-quarter view"),
        ("yaw0-pitch20", "the camera is about 19° below the face (looking up)"),
        ("yaw0-pitch-30", "above the face (looking down)"),
    ],
)
def test_turned_faces_and_low_cameras_are_warned_about(name, warning):
    analysis = analyze_photo(ingest_photo(POSES / f"{name}.jpg"))
    pose_notes = [w for w in analysis.warnings if "turned" in w or "camera is" in w]
    if warning is None:
        assert pose_notes == []
    else:
        assert any(warning in w for w in pose_notes), analysis.warnings
    assert set(analysis.to_dict()["pose_deg"]) == {"yaw", "camera_pitch"}


@pytest.mark.parametrize("which", ["astronaut", "hopper"])
def test_real_frontal_photos_at_eye_level_get_no_pose_warning(which):
    pixels = (
        data.astronaut()
        if which == "astronaut"
        else np.asarray(Image.open(GRACE_HOPPER).convert("RGB"))
    )
    marks = detect_landmarks(Photo.from_array(pixels))
    assert marks.pose is not None
    assert abs(marks.pose[0]) < 5, marks.pose
    assert abs(marks.pose[1]) < 5, marks.pose
    assert marks.pose_warnings() == []
