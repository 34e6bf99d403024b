"""Face landmarks on frontal photos, fully offline, with a manual override.

Detection uses MediaPipe 0.10.21's face mesh (478 points with the iris refinement), whose
model files ship inside the wheel: nothing is downloaded. It runs twice: on the whole photo
scaled to at most 1024 px, then on a crop around the face found, so a small face in a large
photo is located at the crop's resolution. Points are named as in anthropometry; ``left``
and ``right`` are the **client's** (the client's left eye is on the right of a frontal
photo). Any point can be given by hand instead, and a photo whose face is not found can be
used with hand-placed points only.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from smpstudio._errors import PhotoError
from smpstudio._types import FloatArray, UInt8Array
from smpstudio.photo._ingest import Photo
from smpstudio.photo._work import downscaled, scaled_to

__all__ = [
    "LANDMARK_NAMES",
    "REQUIRED_LANDMARKS",
    "FaceLandmarks",
    "detect_landmarks",
    "face_landmarks",
    "parse_point",
]

LANDMARK_NAMES: tuple[str, ...] = (
    "glabella",
    "nasion",
    "right_brow",
    "left_brow",
    "right_canthus",
    "left_canthus",
    "right_pupil",
    "left_pupil",
    "subnasale",
    "menton",
)
"""Named points, in pixels. ``glabella``: between the brows; ``nasion``: root of the nose;
``*_brow``: top of each brow's arch; ``*_canthus``: lateral (outer) eye corners;
``*_pupil``: iris centres; ``subnasale``: where the septum meets the lip; ``menton``: lowest
point of the chin."""

REQUIRED_LANDMARKS: tuple[str, ...] = (
    "glabella",
    "subnasale",
    "menton",
    "right_canthus",
    "left_canthus",
)
"""Points the hairline proposal needs (the pupils are needed for the scale unless a
calibration is given)."""

MESH_INDEX: dict[str, int] = {
    "glabella": 9,
    "nasion": 168,
    "right_brow": 105,
    "left_brow": 334,
    "right_canthus": 33,
    "left_canthus": 263,
    "right_pupil": 468,
    "left_pupil": 473,
    "subnasale": 2,
    "menton": 152,
}
"""Face-mesh vertex of each named point (MediaPipe's canonical face model)."""

FACE_OVAL: tuple[int, ...] = (
    10, 109, 67, 103, 54, 21, 162, 127, 234, 93, 132, 58, 172, 136, 150, 149, 176, 148,
    152, 377, 400, 378, 379, 365, 397, 288, 361, 323, 454, 356, 389, 251, 284, 332, 297, 338,
)  # fmt: skip
"""Face-mesh vertices of the face outline, in order (forehead top, client's right, chin…)."""

SKIN_SAMPLES: tuple[int, ...] = (50, 280, 101, 330, 205, 425, 6, 197, 151, 108, 337, 199)
"""Face-mesh vertices where bare skin is sampled: cheeks, nose bridge, forehead, chin."""

_DETECT_SIDE = 1024
_CROP_SIDE = 768
_LOCK = threading.Lock()
_MESH: list[Any] = []


def parse_point(text: str, *, what: str = "point") -> tuple[float, float]:
    """``"x,y"`` in pixels → ``(x, y)``.

    >>> parse_point("120.5, 88")
    (120.5, 88.0)
    """
    parts = str(text).replace(" ", "").split(",")
    try:
        x, y = (float(p) for p in parts)
    except ValueError:
        raise PhotoError(f"{what} {text!r} is not x,y in pixels, e.g. 812,430") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise PhotoError(f"{what} {text!r} is not a finite x,y in pixels")
    return x, y


@dataclass(frozen=True)
class FaceLandmarks:
    """Named face points of a frontal photo, in pixels (x right, y down).

    Attributes
    ----------
    points : dict
        ``name → (x, y)`` for the names of :data:`LANDMARK_NAMES` that are known.
    source : dict
        ``name → "detected" | "manual"``.
    mesh : (478, 2) array or None
        All face-mesh vertices when detection ran (used to find the face's skin).
    detector : str
        ``mediapipe-face-mesh`` or ``manual``.

    Examples
    --------
    >>> marks = FaceLandmarks.manual({"right_canthus": (100, 200), "left_canthus": (190, 196)})
    >>> round(marks.roll_degrees, 1)
    -2.5
    >>> marks.up.round(3).tolist()
    [-0.044, -0.999]
    """

    points: Mapping[str, tuple[float, float]]
    source: Mapping[str, str]
    mesh: FloatArray | None = field(default=None, repr=False)
    detector: str = "manual"

    @classmethod
    def manual(cls, points: Mapping[str, tuple[float, float]]) -> FaceLandmarks:
        """Landmarks given by hand."""
        _check_names(points)
        clean = {k: (float(v[0]), float(v[1])) for k, v in points.items()}
        return cls(clean, dict.fromkeys(clean, "manual"), None, "manual")

    def __getitem__(self, name: str) -> FloatArray:
        if name not in self.points:
            raise PhotoError(
                f"landmark {name} is not known: give it by hand (--landmark {name}=X,Y)"
            )
        return np.asarray(self.points[name], dtype=np.float64)

    def has(self, *names: str) -> bool:
        return all(n in self.points for n in names)

    @property
    def across(self) -> FloatArray:
        """Unit vector from the client's right lateral canthus to the left one."""
        d = self["left_canthus"] - self["right_canthus"]
        n = float(np.hypot(*d))
        if n < 1.0:
            raise PhotoError("the two lateral canthi are less than 1 px apart: check them")
        return np.asarray(d / n, dtype=np.float64)

    @property
    def up(self) -> FloatArray:
        """Unit vector of the face's up direction in the image (perpendicular to the eyes)."""
        ax, ay = self.across
        return np.array([ay, -ax])

    @property
    def roll_degrees(self) -> float:
        """Tilt of the eye line (positive: the client's left eye is lower in the image)."""
        ax, ay = self.across
        return math.degrees(math.atan2(ay, ax))

    def with_overrides(self, overrides: Mapping[str, tuple[float, float]] | None) -> FaceLandmarks:
        """These landmarks with some points replaced by hand-placed ones."""
        if not overrides:
            return self
        _check_names(overrides)
        points = dict(self.points)
        source = dict(self.source)
        for name, (x, y) in overrides.items():
            points[name] = (float(x), float(y))
            source[name] = "manual"
        detector = self.detector if self.detector != "manual" or self.mesh is not None else "manual"
        return FaceLandmarks(points, source, self.mesh, detector)

    def check_inside(self, size: tuple[int, int]) -> None:
        """Refuse points outside a ``(width, height)`` image."""
        width, height = size
        for name, (x, y) in self.points.items():
            if not (0 <= x <= width and 0 <= y <= height):
                raise PhotoError(
                    f"landmark {name} at {x:g},{y:g} lies outside the {width}×{height} photo"
                )

    def to_dict(self, *, decimals: int = 1) -> dict[str, list[float]]:
        """``name → [x, y]`` in :data:`LANDMARK_NAMES` order."""
        return {
            name: [round(self.points[name][0], decimals), round(self.points[name][1], decimals)]
            for name in LANDMARK_NAMES
            if name in self.points
        }

    def pose_warnings(self) -> list[str]:
        """Reasons the photo is not a straight frontal view, if any."""
        notes = []
        if abs(self.roll_degrees) > 8.0:
            notes.append(
                f"the head is tilted {self.roll_degrees:+.0f}° (eye line): level the head or "
                "the camera for comparable photos"
            )
        if self.has("nasion", "right_canthus", "left_canthus"):
            to_right = float(np.dot(self["nasion"] - self["right_canthus"], self.across))
            to_left = float(np.dot(self["left_canthus"] - self["nasion"], self.across))
            turn = (to_left - to_right) / max(to_left + to_right, 1e-9)
            if abs(turn) > 0.15:
                side = "left" if turn < 0 else "right"
                notes.append(
                    f"the face is turned toward the client's {side} ({abs(turn):.0%} "
                    "asymmetry of the eyes about the nose): face the camera squarely"
                )
        return notes


def _check_names(points: Mapping[str, Any]) -> None:
    unknown = sorted(set(points) - set(LANDMARK_NAMES))
    if unknown:
        raise PhotoError(f"unknown landmark {', '.join(unknown)}: use {', '.join(LANDMARK_NAMES)}")


def face_landmarks(
    photo: Photo,
    *,
    overrides: Mapping[str, tuple[float, float]] | None = None,
    detect: bool = True,
) -> FaceLandmarks | None:
    """The landmarks of a photo: detected on frontal photos, then overridden by hand.

    Returns None for a photo that is not frontal and has no hand-placed point. A frontal
    photo where no face is found needs all of :data:`REQUIRED_LANDMARKS` by hand.

    Examples
    --------
    >>> photo = Photo.from_array(np.zeros((300, 300, 3), np.uint8), view="top")
    >>> face_landmarks(photo) is None
    True
    """
    given = dict(overrides or {})
    found: FaceLandmarks | None = None
    if detect and photo.view == "frontal":
        try:
            found = detect_landmarks(photo)
        except PhotoError:
            if not all(name in given for name in REQUIRED_LANDMARKS):
                raise
    if found is None:
        if not given:
            return None
        found = FaceLandmarks.manual(given)
    else:
        found = found.with_overrides(given)
    found.check_inside(photo.size)
    return found


def detect_landmarks(photo: Photo) -> FaceLandmarks:
    """Detect the face landmarks of a frontal photo with MediaPipe's bundled face mesh.

    Raises
    ------
    PhotoError
        No face was found.
    """
    pixels = photo.pixels
    first, scale = downscaled(photo, _DETECT_SIDE)
    mesh = _run_mesh(first)
    if mesh is None:
        raise PhotoError(
            "no face found in the frontal photo: retake it facing the camera in even light "
            "(see the capture guide), or place the landmarks by hand (--landmark NAME=X,Y "
            f"for {', '.join(REQUIRED_LANDMARKS)})"
        )
    mesh = mesh / scale
    refined = _refine(pixels, mesh)
    if refined is not None:
        mesh = refined
    points = {name: (float(mesh[i, 0]), float(mesh[i, 1])) for name, i in MESH_INDEX.items()}
    return FaceLandmarks(points, dict.fromkeys(points, "detected"), mesh, "mediapipe-face-mesh")


def _refine(pixels: UInt8Array, mesh: FloatArray) -> FloatArray | None:
    """Run again on a square crop twice the face's size, at up to 768 px."""
    height, width = pixels.shape[:2]
    lo, hi = mesh.min(axis=0), mesh.max(axis=0)
    centre = (lo + hi) / 2.0
    half = 1.0 * float(max(hi - lo))
    x0, y0 = max(int(centre[0] - half), 0), max(int(centre[1] - half), 0)
    x1, y1 = min(int(centre[0] + half) + 1, width), min(int(centre[1] + half) + 1, height)
    if x1 - x0 < 32 or y1 - y0 < 32:
        return None
    crop, scale = scaled_to(pixels[y0:y1, x0:x1], _CROP_SIDE)
    found = _run_mesh(crop)
    if found is None:
        return None
    return np.asarray(found / scale + np.array([x0, y0]), dtype=np.float64)


def _run_mesh(pixels: UInt8Array) -> FloatArray | None:
    """Pixel coordinates of the 478 face-mesh vertices of the largest face, or None."""
    with _LOCK:
        if not _MESH:
            from mediapipe.python.solutions import face_mesh

            _MESH.append(
                face_mesh.FaceMesh(
                    static_image_mode=True,
                    max_num_faces=1,
                    refine_landmarks=True,
                    min_detection_confidence=0.5,
                )
            )
        result = _MESH[0].process(np.ascontiguousarray(pixels))
    faces = getattr(result, "multi_face_landmarks", None)
    if not faces:
        return None
    height, width = pixels.shape[:2]
    marks = faces[0].landmark
    return np.array([[p.x * width, p.y * height] for p in marks], dtype=np.float64)
