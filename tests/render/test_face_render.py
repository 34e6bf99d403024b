"""The views show a person: brows in the client's hair colour, eyes, a faded neck."""

from __future__ import annotations

import numpy as np
import pytest

from smpstudio.head import VirtualHead
from smpstudio.render import frame_for
from smpstudio.render._brows import draw_brows


@pytest.mark.parametrize("size", [400, 900])
def test_both_brows_are_drawn_at_any_size(size: int) -> None:
    head = VirtualHead.preset("M")
    frame = frame_for(head.shape, "front", size)
    image = np.ones((size, size, 3), dtype=np.float32)
    draw_brows(image, frame, head.shape, np.zeros(3), seed=3)
    dark = image[..., 0] < 0.7
    left, right = dark[:, : size // 2].sum(), dark[:, size // 2 :].sum()
    assert min(left, right) > 0.8 * max(left, right) > 0.002 * size * size
    rows = np.nonzero(dark.any(axis=1))[0]
    assert 0.3 * size < rows.mean() < 0.6 * size  # over the eyes, under the scalp


@pytest.mark.parametrize("view", ["front", "three-quarter", "left", "right", "back"])
def test_every_view_frames_the_head_down_to_the_chin(view: str) -> None:
    head = VirtualHead.preset("M")
    frame = frame_for(head.shape, view, 256)
    marks = head.face_landmarks
    points = np.array([marks["menton"], marks["vertex"], marks["tragion_left"]])
    col, row, _ = frame.project(points)
    assert (row[:2] >= 0).all()
    assert (row[:2] < 256).all()
    assert 0 <= col[0] < 256


def test_the_face_is_shaded_skin_lips_and_eyes() -> None:
    import smpstudio
    from smpstudio.head._face import face_mesh
    from smpstudio.render import look_for, render_view

    d = smpstudio.design(pattern="norwood-3", hairline="soft", seed=1)
    size = 512
    image = np.asarray(
        render_view(
            d, None, look_for("#d7bd96", "black"), view_name="front", size=size, state="before"
        ),
        dtype=np.float64,
    )
    frame = frame_for(d.head.shape, "front", size)
    mesh = face_mesh(d.head.shape)

    def pixel(point: np.ndarray) -> np.ndarray:
        col, row, _ = frame.project(point[None, :])
        return image[int(row[0]), int(col[0])]

    cheek = pixel(
        mesh.vertices[
            np.argmax(
                mesh.vertices[:, 0] * (mesh.region == 1) * (np.abs(mesh.vertices[:, 1] + 60) < 5)
            )
        ]
    )
    lip = pixel(mesh.vertices[np.argmax(mesh.lips)])
    pupil = pixel(mesh.vertices[np.argmin(np.where(mesh.iris_mm >= 0, mesh.iris_mm, 99))])
    assert lip[0] / lip[1] > 1.15 * cheek[0] / cheek[1]  # lips redder than the skin
    assert pupil.sum() < 0.5 * cheek.sum()  # a dark iris and pupil
