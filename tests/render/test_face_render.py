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
