"""The head's own axes as a turned face's photo shows them: a hairline built on the head,
not on the photo's plane.

On a frontal photo the hairline is drawn in the face's axes on the picture (across the eye
line and up). On a face turned 30–60° that misplaces it: the temples lie on the side of the
head, which faces the camera on one side and is hidden on the other, so a line drawn in the
picture's plane cuts across the forehead (on the three-quarter view of the evaluation set it
came down as a vertical leg through the bare temple, and the dots made a stripe there).

:class:`HeadFrame` places points given in the head's own axes — ``a`` across (toward the
client's left), ``t`` up from the glabella, in the face's pixels (millimetres over the
face's scale) — on the head's surface and projects them with the estimated pose
(orthographic, as the face mesh is): the surface is the design head's midline section
(forehead sloping back, :func:`~smpstudio.photo._design_height.sagittal_profile`) swept
across by an ellipse as wide as the head's breadth and as deep as half its length. A point
is seen when the surface there faces the camera.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from smpstudio._types import BoolArray, FloatArray
from smpstudio.photo._design_height import MAX_YAW_CORRECTED_DEG

__all__ = ["HeadFrame", "oblique_skull"]


def oblique_skull(
    half_breadth: float, half_length: float, centre_behind: float, yaw_deg: float
) -> tuple[float, float]:
    """How a skull turned ``yaw_deg`` (up to :data:`MAX_YAW_CORRECTED_DEG`) shows on a
    photo: its half width — the breadth foreshortened, the length showing — and how far its
    centre, ``centre_behind`` the face, lies from the face along the eye line (negative for a
    face turned toward the client's left, whose back of the head is on the photo's left)."""
    yaw = math.radians(min(abs(yaw_deg), MAX_YAW_CORRECTED_DEG))
    seen = math.hypot(half_breadth * math.cos(yaw), half_length * math.sin(yaw))
    return seen, math.copysign(math.sin(yaw), yaw_deg) * centre_behind


@dataclass(frozen=True)
class HeadFrame:
    """The head's axes on one photo.

    Attributes
    ----------
    across, up, forward : (2,) arrays
        The photo pixels one unit of the head's across (client's right to left), up and
        forward (out of the face) axes moves by (their image-plane components).
    toward : (3,) array
        The camera's direction in the head's axes (``across``, ``up``, ``forward``): a
        surface point is seen when its normal has a positive component along it.
    half_breadth, half_length : float
        The head's half breadth and half length (face pixels).
    profile : (N, 2) array
        The design head's midline section in front of the vertex, ``(t, z)`` in face
        pixels from the glabella (``z`` negative behind it).
    """

    across: FloatArray
    up: FloatArray
    forward: FloatArray
    toward: FloatArray
    half_breadth: float
    half_length: float
    profile: FloatArray

    @classmethod
    def from_pose(
        cls,
        *,
        yaw_deg: float,
        pitch_deg: float,
        across_px: FloatArray,
        up_px: FloatArray,
        mm_per_px: float,
        breadth_mm: float,
        length_mm: float,
        profile_mm: FloatArray,
    ) -> HeadFrame:
        """The frame of a face turned ``yaw_deg`` (> 0: toward the client's right) seen by a
        camera ``pitch_deg`` below it, on a photo whose eye line runs along ``across_px``
        (``up_px`` perpendicular to it), at ``mm_per_px`` on the face.

        >>> import numpy as np
        >>> frame = HeadFrame.from_pose(yaw_deg=0.0, pitch_deg=0.0,
        ...     across_px=np.array([1.0, 0.0]), up_px=np.array([0.0, -1.0]),
        ...     mm_per_px=1.0, breadth_mm=150.0, length_mm=190.0,
        ...     profile_mm=np.array([[0.0, 0.0], [100.0, -40.0]]))
        >>> frame.project(np.array([0.0]), np.array([50.0]))[0].round(1).tolist()
        [[0.0, -50.0]]
        """
        psi, phi = math.radians(yaw_deg), math.radians(pitch_deg)
        # the level camera's axes: x right, y down, z away from the camera
        cy, sy, cp, sp = math.cos(psi), math.sin(psi), math.cos(phi), math.sin(phi)
        yaw = np.array([[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]])
        pitch = np.array([[1.0, 0.0, 0.0], [0.0, cp, sp], [0.0, -sp, cp]])
        turn = pitch @ yaw
        axes = turn @ np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]]).T
        # columns: across, up, forward in the level camera; the eye line sets the roll
        roll = np.column_stack([across_px, -np.asarray(up_px, dtype=np.float64)])

        def on_photo(v: FloatArray) -> FloatArray:
            return np.asarray(roll @ v[:2], dtype=np.float64)

        toward = -axes[2, :]  # the camera looks along +z: toward it is -z
        profile = np.asarray(profile_mm, dtype=np.float64).reshape(-1, 2)
        front = profile[: int(np.argmax(profile[:, 0])) + 1] / mm_per_px
        return cls(
            across=on_photo(axes[:, 0]),
            up=on_photo(axes[:, 1]),
            forward=on_photo(axes[:, 2]),
            toward=np.asarray(toward, dtype=np.float64),
            half_breadth=breadth_mm / 2.0 / mm_per_px,
            half_length=length_mm / 2.0 / mm_per_px,
            profile=front,
        )

    def depth(self, a: FloatArray, t: FloatArray) -> FloatArray:
        """Forward offset of the head's surface from the glabella at ``(a, t)``."""
        mid = np.interp(t, self.profile[:, 0], self.profile[:, 1])
        share = np.clip(np.asarray(a, dtype=np.float64) / self.half_breadth, -1.0, 1.0)
        back = self.half_length * (1.0 - np.sqrt(1.0 - share**2))
        return np.asarray(mid - back, dtype=np.float64)

    def project(
        self, a: FloatArray, t: FloatArray, *, depth: FloatArray | None = None
    ) -> tuple[FloatArray, BoolArray]:
        """Photo offsets from the glabella of the surface points ``(a, t)`` (at their own
        forward offsets ``depth`` when given, e.g. a design head's points), and whether
        each is seen (the model surface there faces the camera, within the head's
        breadth)."""
        a = np.asarray(a, dtype=np.float64)
        t = np.asarray(t, dtype=np.float64)
        surface = self.depth(a, t)
        f = surface if depth is None else np.asarray(depth, dtype=np.float64)
        offsets = a[:, None] * self.across + t[:, None] * self.up + f[:, None] * self.forward
        # surface normal: the ellipse across the head, tilted back by the forehead's slope
        mid = np.interp(t, self.profile[:, 0], self.profile[:, 1])
        n_f = (surface - mid + self.half_length) / self.half_length**2
        normal = np.column_stack([a / self.half_breadth**2, -self._slope(t) * n_f, n_f])
        seen = (normal @ self.toward > 0.0) & (np.abs(a) < self.half_breadth)
        return np.asarray(offsets, dtype=np.float64), np.asarray(seen)

    def _slope(self, t: FloatArray) -> FloatArray:
        """The midline's forward slope (dz/dt) at heights ``t``."""
        if len(self.profile) < 2:
            return np.zeros_like(t)
        slope = np.gradient(self.profile[:, 1], self.profile[:, 0])
        return np.asarray(np.interp(t, self.profile[:, 0], slope), dtype=np.float64)

    def locate(self, offset: FloatArray) -> tuple[float, float]:
        """The head's ``(a, t)`` of a photo offset from the glabella: the seen surface point
        that projects nearest to it (the inverse of :meth:`project` on the seen side; beyond
        the head's outline, the nearest point on it). A grid over the head's front, then
        Newton steps."""
        target = np.asarray(offset, dtype=np.float64)
        step = self.half_breadth / _GRID
        a_grid = np.arange(-_GRID + 1, _GRID) * step
        t_grid = np.arange(-_GRID, 2 * _GRID + 1) * step
        a, t = (g.ravel() for g in np.meshgrid(a_grid, t_grid))
        at, seen = self.project(a, t)
        miss = np.where(seen, np.hypot(*(at - target).T), np.inf)
        best = int(np.argmin(miss))
        point = np.array([a[best], t[best]])
        for _ in range(_NEWTON_STEPS):
            here, _ = self.project(point[:1], point[1:])
            jac = np.empty((2, 2))
            for k in range(2):
                nudged = point.copy()
                nudged[k] += 1e-3 * step
                there, _ = self.project(nudged[:1], nudged[1:])
                jac[:, k] = (there[0] - here[0]) / (1e-3 * step)
            if abs(np.linalg.det(jac)) < 1e-9:
                break
            move = np.linalg.solve(jac, target - here[0])
            point = point + np.clip(move, -step, step)
            point[0] = float(np.clip(point[0], a_grid[0], a_grid[-1]))
        return float(point[0]), float(point[1])


_GRID = 40
"""Grid points per half breadth where :meth:`HeadFrame.locate` starts its search."""
_NEWTON_STEPS = 8
