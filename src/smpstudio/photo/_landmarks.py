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
from smpstudio.photo._cv import opencv
from smpstudio.photo._ingest import Photo
from smpstudio.photo._work import downscaled, scaled_to

__all__ = [
    "LANDMARK_NAMES",
    "REQUIRED_LANDMARKS",
    "FaceLandmarks",
    "detect_landmarks",
    "face_landmarks",
    "load_face_models",
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
_DETECTOR: list[Any] = []


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
    notes : tuple of str
        What the user should know: which of several faces was used, a face cut off by the
        frame.
    faces_found : int
        Faces the detector found (0 when every point was placed by hand).
    depth : (478,) array or None
        The face mesh's depth of each vertex (pixels, negative toward the camera), for the
        head's pose.

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
    notes: tuple[str, ...] = ()
    faces_found: int = 0
    depth: FloatArray | None = field(default=None, repr=False)

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
        return FaceLandmarks(
            points, source, self.mesh, detector, self.notes, self.faces_found, self.depth
        )

    def check_inside(self, size: tuple[int, int]) -> None:
        """Refuse hand-placed points outside a ``(width, height)`` image (detected points
        outside a photo that cuts off the face are estimates, and noted)."""
        width, height = size
        for name, (x, y) in self.points.items():
            if self.source.get(name) != "manual":
                continue
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

    @property
    def pose(self) -> tuple[float, float] | None:
        """``(yaw, camera_pitch)`` in degrees from the face mesh's 3-D points, or None
        without them. ``yaw`` > 0: the camera toward the client's left, so the face is
        seen turned toward the client's right; ``camera_pitch`` > 0: the camera below the
        face, looking up.

        The face's normal is the cross product of the eye line (lateral canthi) and the
        glabella–chin line; both angles are calibrated on renders of the virtual head from
        known cameras (:data:`POSE_CALIBRATION`)."""
        if self.mesh is None or self.depth is None:
            return None
        points = np.column_stack([self.mesh, self.depth])
        across = points[MESH_INDEX["left_canthus"]] - points[MESH_INDEX["right_canthus"]]
        up = points[MESH_INDEX["glabella"]] - points[MESH_INDEX["menton"]]
        across = across / np.linalg.norm(across)
        up = up - across * float(np.dot(up, across))
        up = up / np.linalg.norm(up)
        normal = np.cross(across, up)
        yaw_seen = math.degrees(math.atan2(float(normal[0]), -float(normal[2])))
        pitch_seen = math.degrees(math.atan2(float(normal[1]), -float(normal[2])))
        yaw_gain, pitch_level, pitch_gain = POSE_CALIBRATION
        return yaw_seen / yaw_gain, (pitch_level - pitch_seen) / pitch_gain

    def pose_warnings(self) -> list[str]:
        """Reasons the photo is not a straight frontal view, if any."""
        notes = []
        if abs(self.roll_degrees) > 8.0:
            notes.append(
                f"the head is tilted {self.roll_degrees:+.0f}° (eye line): level the head or "
                "the camera for comparable photos"
            )
        pose = self.pose
        if pose is not None:
            return notes + _pose_notes(*pose)
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


POSE_CALIBRATION = (-0.87, 11.9, 0.95)
"""``(yaw gain, pitch seen at eye level, pitch gain)``: the mesh's normal reads ``-0.87 ×``
the true yaw and ``11.9 - 0.95 ×`` the camera's pitch below the face, measured on renders of
the virtual head (M, before) from cameras at yaw 0/20/35/50° and pitch −30…30° (tests/data/
photos/virtual-head/); real frontal photos at eye level read 10–13° (the astronaut, Grace
Hopper)."""
TURNED_DEG = 12.0
"""Yaw beyond which a frontal photo is called turned."""
THREE_QUARTER_DEG = (25.0, 65.0)
"""Yaw range of a three-quarter view."""
CAMERA_BELOW_DEG = 10.0
"""Camera pitch below the face beyond which the photo is called taken from below."""
CAMERA_ABOVE_DEG = 20.0
"""Camera pitch above the face beyond which the photo is called taken from above."""


def _pose_notes(yaw: float, pitch: float) -> list[str]:
    notes = []
    side = "right" if yaw > 0 else "left"
    if THREE_QUARTER_DEG[0] <= abs(yaw) <= THREE_QUARTER_DEG[1]:
        notes.append(
            f"the face is turned about {abs(yaw):.0f}° toward the client's {side}: this is a "
            "three-quarter view, not a frontal one; measurements along the face are "
            "foreshortened — take a frontal photo for the hairline"
        )
    elif abs(yaw) > TURNED_DEG:
        notes.append(
            f"the face is turned about {abs(yaw):.0f}° toward the client's {side}: face the "
            "camera squarely"
        )
    if pitch > CAMERA_BELOW_DEG:
        notes.append(
            f"the camera is about {pitch:.0f}° below the face (looking up): the forehead is "
            "foreshortened and the design's hairline is placed for that angle, an estimate — "
            "hold the camera level with the eyes"
        )
    elif pitch < -CAMERA_ABOVE_DEG:
        notes.append(
            f"the camera is about {-pitch:.0f}° above the face (looking down): the crown "
            "shows and the design's hairline is placed for that angle, an estimate — hold the "
            "camera level with the eyes"
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
    face: int | None = None,
) -> FaceLandmarks | None:
    """The landmarks of a photo: detected on frontal photos, then overridden by hand.

    Returns None for a photo that is not frontal and has no hand-placed point. A frontal
    photo where no face is found needs all of :data:`REQUIRED_LANDMARKS` by hand. ``face``
    picks one face of several (1 = leftmost; the largest by default).

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
            found = detect_landmarks(photo, face=face)
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


def detect_landmarks(photo: Photo, *, face: int | None = None) -> FaceLandmarks:
    """Detect the face landmarks of a frontal photo with MediaPipe's bundled models.

    Faces are found by the full-range face detector over the whole photo and over
    overlapping tiles (a group photo's faces are small); the largest is used unless
    ``face`` (1 = leftmost in the photo) picks another, and a note says so. The face mesh
    then runs on a padded crop around that face, so a face filling a small crop is found
    too. A face drawn in flat colours (a cartoon, a posterised picture) is refused.

    Raises
    ------
    PhotoError
        No human face was found, ``face`` is not one of the faces found, or the face is a
        drawing.
    """
    small, zoom = downscaled(photo, _DETECT_SIDE)
    boxes = _face_boxes(small)
    notes: list[str] = []
    mesh = None
    if boxes:
        mesh, boxes = _confirmed_mesh(photo.pixels, boxes, zoom, face, notes)
    elif face is not None and face != 1:
        raise PhotoError(f"--face {face}: no face found in the photo to choose from")
    if mesh is None and not boxes:  # no box, or only false alarms: the whole photo
        mesh = _mesh_on_whole(photo.pixels, small, zoom)
    if mesh is None:
        raise PhotoError(_NO_FACE)
    mesh, depth = mesh[:, :2], mesh[:, 2]
    if _looks_drawn(photo.pixels, mesh):
        raise PhotoError(
            "the face looks drawn, not photographed (a few flat colours): use a photograph "
            "of the client"
        )
    outside = _outside(mesh, photo.size)
    if outside:
        notes.append(
            f"the photo cuts off the face ({', '.join(outside)} outside the frame): the "
            "landmarks there are estimated; a photo showing the whole head is better"
        )
    points = {name: (float(mesh[i, 0]), float(mesh[i, 1])) for name, i in MESH_INDEX.items()}
    return FaceLandmarks(
        points,
        dict.fromkeys(points, "detected"),
        mesh,
        "mediapipe-face-mesh",
        notes=tuple(notes),
        faces_found=max(len(boxes), 1),
        depth=depth,
    )


_NO_FACE = (
    "no human face found in the frontal photo (drawings and animals are not accepted): "
    "retake it facing the camera in even light (see the capture guide), or place the "
    "landmarks by hand (--landmark NAME=X,Y for " + ", ".join(REQUIRED_LANDMARKS) + ")"
)
_DRAWN_PEAK_SHARE = 0.7
"""A face whose six most common colours (CIELAB cells 8 units wide) cover more than this
share of its pixels is drawn in flat colours (cells of OpenCV's 8-bit CIELAB, 3 L* and 8 a*,
b* wide). Measured: colour photographs 0.21–0.66 (JPEG
quality 15, 128 px, blurred, 12 % exposure, lit from one side; 0.25–0.37 in normal light),
6- to 24-colour pictures 0.88–1.0."""
_DRAWN_GREY_PEAK_SHARE = 0.45
"""The same for a face without colour (mean chroma under :data:`_NO_COLOUR_CHROMA`), whose
pixels lie on one axis, lightness, instead of three: six cells a quarter as wide (2 units of
8-bit lightness, 0.8 L*). Measured: eleven greyscale portraits 0.12–0.30 (a low-contrast one
0.30, which the colour cells put at 0.77, as drawn), greyscale pictures of 6–24 grey levels
0.48–1.0, of 6 and 8 levels as JPEG (quality 90) 0.48–0.59 and scaled up 3× 0.52–0.61."""
_NO_COLOUR_CHROMA = 4.0
"""Mean CIELAB chroma of the face under which it has no colour (greyscale, faint sepia)."""
_NMS_IOU = 0.3


def _face_boxes(pixels: UInt8Array) -> list[tuple[float, float, float, float]]:
    """Boxes ``(x0, y0, x1, y1)`` of the faces in ``pixels``, left to right: the detector
    on the whole image and on overlapping square tiles of half its short side."""
    height, width = pixels.shape[:2]
    found: list[tuple[float, float, float, float, float]] = []
    short = min(height, width)
    for side in (None, short // 2):
        for x, y, w, h in _tiles(width, height, side):
            tile = np.ascontiguousarray(pixels[y : y + h, x : x + w])
            found += [
                (x + bx * w, y + by * h, bw * w, bh * h, s) for bx, by, bw, bh, s in _detect(tile)
            ]
    kept: list[tuple[float, float, float, float]] = []
    for fx, fy, fw, fh, _ in sorted(found, key=lambda f: -f[4]):
        box = (fx, fy, fx + fw, fy + fh)
        if all(_iou(box, other) < _NMS_IOU for other in kept):
            kept.append(box)
    return sorted(kept, key=lambda b: b[0] + b[2])


def _tiles(width: int, height: int, side: int | None) -> list[tuple[int, int, int, int]]:
    if side is None:
        return [(0, 0, width, height)]
    if side < 64:
        return []
    xs = list(range(0, max(width - side, 0) + 1, side // 2))
    ys = list(range(0, max(height - side, 0) + 1, side // 2))
    if xs[-1] + side < width:
        xs.append(width - side)
    if ys[-1] + side < height:
        ys.append(height - side)
    return [(x, y, side, side) for y in ys for x in xs]


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _confirmed_mesh(
    pixels: UInt8Array,
    boxes: list[tuple[float, float, float, float]],
    zoom: float,
    face: int | None,
    notes: list[str],
) -> tuple[FloatArray | None, list[tuple[float, float, float, float]]]:
    """The face mesh of the chosen face. Without ``face``, a box where the mesh finds no
    face (the detector's false alarm: a helmet, a pattern) is dropped and the next largest
    tried; the boxes left are returned. With several boxes, each is confirmed by the mesh
    first, so the faces counted and numbered for ``--face`` are faces (the detector took
    the ear of a man turned 59° for a second face)."""
    boxes = list(boxes)
    if len(boxes) > 1:
        meshes = [_mesh_around(pixels, tuple(v / zoom for v in b)) for b in boxes]
        faces = [(b, m) for b, m in zip(boxes, meshes, strict=True) if m is not None]
        if faces:
            chosen = _choose_face([b for b, _ in faces], face, notes)
            return faces[chosen][1], [b for b, _ in faces]
        if face is None:  # only false alarms: each box was tried above
            return None, []
        _choose_face(boxes, face, notes)  # a face asked for: its number is still checked
        return None, boxes
    while boxes:
        notes_now: list[str] = []
        chosen = _choose_face(boxes, face, notes_now)
        box = tuple(v / zoom for v in boxes[chosen])
        mesh = _mesh_around(pixels, box)
        if mesh is not None or face is not None:
            notes += notes_now
            return mesh, boxes
        del boxes[chosen]
    return None, boxes


def _choose_face(
    boxes: list[tuple[float, float, float, float]], face: int | None, notes: list[str]
) -> int:
    count = len(boxes)
    if face is not None:
        if count == 1 and face != 1:
            raise PhotoError(f"--face {face}: the photo shows 1 face: leave --face out")
        if not 1 <= face <= count:
            raise PhotoError(
                f"--face {face}: the photo shows {count} faces; choose 1–{count}, counting "
                "from the left of the photo"
            )
        return face - 1
    areas = [(b[2] - b[0]) * (b[3] - b[1]) for b in boxes]
    largest = int(np.argmax(areas))
    if count > 1:
        notes.append(
            f"{count} faces in the photo: used face {largest + 1} (the largest, counting from "
            "the left); choose another with --face N"
        )
    return largest


def _mesh_around(pixels: UInt8Array, box: tuple[float, ...]) -> FloatArray | None:
    """The face mesh on a square crop 2.4 times the face box, padded by repeating the
    photo's edge where the crop leaves it, at up to 768 px."""
    height, width = pixels.shape[:2]
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    half = max(1.2 * max(x1 - x0, y1 - y0), 16.0)
    left, top = math.floor(cx - half), math.floor(cy - half)
    side = math.ceil(2 * half)
    pad = max(0, -left, -top, left + side - width, top + side - height)
    if pad:
        cv2 = opencv()
        pixels = cv2.copyMakeBorder(
            np.ascontiguousarray(pixels), pad, pad, pad, pad, cv2.BORDER_REPLICATE
        )
    crop = pixels[top + pad : top + pad + side, left + pad : left + pad + side]
    crop, scale = _upscaled_to(crop, _CROP_SIDE)
    found = _run_mesh(crop)
    if found is None:
        return None
    return np.asarray(found / scale + np.array([left, top, 0.0]), dtype=np.float64)


def _mesh_on_whole(pixels: UInt8Array, small: UInt8Array, zoom: float) -> FloatArray | None:
    """The face mesh searched over the whole photo: on its working copy (padding the full
    photo 2.4 times would cost hundreds of MB on a large one), then, on a larger photo, again
    on the full photo around the face found there."""
    height, width = small.shape[:2]
    rough = _mesh_around(small, (0.0, 0.0, float(width), float(height)))
    if rough is None or zoom == 1.0:  # a photo at working size is its own copy
        return rough
    rough = rough / zoom
    lo, hi = rough[:, :2].min(axis=0), rough[:, :2].max(axis=0)
    refined = _mesh_around(pixels, (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])))
    return rough if refined is None else refined


def _upscaled_to(pixels: UInt8Array, side: int) -> tuple[UInt8Array, float]:
    """``pixels`` scaled so the longest side is ``side`` (down by area, up by cubic)."""
    height, width = pixels.shape[:2]
    if max(height, width) >= side:
        return scaled_to(pixels, side)
    cv2 = opencv()
    scale = side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    big = cv2.resize(np.ascontiguousarray(pixels), size, interpolation=cv2.INTER_CUBIC)
    return np.asarray(big, dtype=np.uint8), size[0] / width


def _looks_drawn(pixels: UInt8Array, mesh: FloatArray) -> bool:
    """True when the face is painted in a few flat colours (see :data:`_DRAWN_PEAK_SHARE`)."""
    cv2 = opencv()
    height, width = pixels.shape[:2]
    lo = np.maximum(np.floor(mesh.min(axis=0)).astype(int), 0)
    hi = np.minimum(np.ceil(mesh.max(axis=0)).astype(int) + 1, [width, height])
    if np.any(hi - lo < 8):
        return False
    crop = np.ascontiguousarray(pixels[lo[1] : hi[1], lo[0] : hi[0]])
    mask = np.zeros(crop.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(mesh[list(FACE_OVAL)] - lo).astype(np.int32)], 1)
    lab = cv2.cvtColor(cv2.medianBlur(crop, 3), cv2.COLOR_RGB2LAB)[mask.astype(bool)]
    if len(lab) < 64:
        return False
    lab = lab.astype(np.int64)
    chroma = float(np.hypot(lab[:, 1] - 128, lab[:, 2] - 128).mean())  # 8-bit a*, b* + 128
    if chroma < _NO_COLOUR_CHROMA:  # one axis: lightness, in finer cells
        codes, limit = lab[:, 0] // 2, _DRAWN_GREY_PEAK_SHARE
    else:
        cells = lab // 8
        codes, limit = (cells[:, 0] * 32 + cells[:, 1]) * 32 + cells[:, 2], _DRAWN_PEAK_SHARE
    counts = np.sort(np.bincount(codes))[::-1]
    return bool(counts[:6].sum() > limit * counts.sum())


def _outside(mesh: FloatArray, size: tuple[int, int]) -> list[str]:
    width, height = size
    return [
        name
        for name, i in MESH_INDEX.items()
        if not (0 <= mesh[i, 0] <= width and 0 <= mesh[i, 1] <= height)
    ]


def _detect(pixels: UInt8Array) -> list[tuple[float, float, float, float, float]]:
    """Relative boxes ``(x, y, w, h)`` and scores of the faces the full-range detector
    finds in ``pixels``."""
    with _LOCK:
        _load_detector()
        result = _DETECTOR[0].process(pixels)
    boxes = []
    for found in getattr(result, "detections", None) or []:
        b = found.location_data.relative_bounding_box
        if b.width > 0 and b.height > 0:
            boxes.append((b.xmin, b.ymin, b.width, b.height, float(found.score[0])))
    return boxes


def _run_mesh(pixels: UInt8Array) -> FloatArray | None:
    """Pixel coordinates of the 478 face-mesh vertices of the largest face and their depth
    (toward the camera negative, in pixels), as ``(478, 3)``, or None."""
    with _LOCK:
        _load_mesh()
        result = _MESH[0].process(np.ascontiguousarray(pixels))
    faces = getattr(result, "multi_face_landmarks", None)
    if not faces:
        return None
    height, width = pixels.shape[:2]
    marks = faces[0].landmark
    return np.array([[p.x * width, p.y * height, p.z * width] for p in marks], dtype=np.float64)


def load_face_models() -> None:
    """Load the face detector and the face mesh now (once per process; later calls return
    at once), e.g. outside a request's CPU budget."""
    with _LOCK:
        _load_detector()
        _load_mesh()


def _load_detector() -> None:
    if not _DETECTOR:
        from mediapipe.python.solutions import face_detection

        _DETECTOR.append(
            face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.5)
        )


def _load_mesh() -> None:
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
