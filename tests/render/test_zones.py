"""Zone maps: labels where the design puts them, the render's size, values 0–5, same bytes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import smpstudio
from smpstudio import InputError
from smpstudio.cli import main
from smpstudio.render import ZONE_LABELS, frame_for, zone_labels, zone_map
from smpstudio.render._raster import rasterise
from smpstudio.render._zones import (
    BACKGROUND,
    HAIR,
    IMPRESSIONS_AMONG_HAIR,
    IMPRESSIONS_ON_BALD,
    SCAR,
    SKIN,
)

SIZE = 128


@pytest.fixture(scope="module")
def nw5() -> smpstudio.Design:
    return smpstudio.design(pattern="norwood-5", hairline="soft", seed=3)


def _label_at(d: smpstudio.Design, view: str, point: tuple[float, float, float]) -> int:
    """The label of the pixel that sees the surface point nearest ``point``."""
    frame = frame_for(d.head.shape, view, SIZE)
    geometry = rasterise(d.head.shape, frame)
    distance = np.linalg.norm(geometry.position - np.asarray(point, dtype=np.float32), axis=2)
    distance[~geometry.hit] = np.inf
    row, col = np.unravel_index(int(np.argmin(distance)), distance.shape)
    return int(zone_map(d, view_name=view, size=SIZE)[row, col])


def test_labels_sit_where_the_design_puts_them(nw5: smpstudio.Design) -> None:
    shape = nw5.head.shape
    front_top = tuple(shape.project(np.array([[0.0, 0.8, 0.6]]))[0].tolist())
    bridge = tuple(shape.project(np.array([[0.0, 1.0, 0.05]]))[0].tolist())
    occiput = tuple(shape.project(np.array([[0.0, 0.0, -1.0]]))[0].tolist())
    forehead = tuple(shape.project(np.array([[0.0, 0.05, 1.0]]))[0].tolist())
    assert _label_at(nw5, "top", front_top) == IMPRESSIONS_ON_BALD
    assert _label_at(nw5, "top", bridge) == IMPRESSIONS_AMONG_HAIR  # the thinning bridge
    assert _label_at(nw5, "back", occiput) == HAIR
    assert _label_at(nw5, "front", forehead) == SKIN
    labels = zone_map(nw5, view_name="top", size=SIZE)
    assert labels[0, 0] == BACKGROUND
    present = set(np.unique(labels).tolist())
    assert {BACKGROUND, SKIN, HAIR, IMPRESSIONS_ON_BALD, IMPRESSIONS_AMONG_HAIR} <= present


def test_face_ears_and_neck_are_skin_on_the_drawn_head(nw5: smpstudio.Design) -> None:
    """The head mesh's regions decide what is scalp: the face, the ears and the neck are
    skin whatever the design's surface says under them."""
    from smpstudio.head._face import face_mesh

    marks = face_mesh(nw5.head.shape).landmarks
    chin = tuple(np.asarray(marks["menton"], dtype=float).tolist())
    ear = tuple(np.asarray(marks["tragion_left"], dtype=float).tolist())
    assert _label_at(nw5, "front", chin) == SKIN
    assert _label_at(nw5, "left", ear) == SKIN
    labels = zone_map(nw5, view_name="left", size=SIZE)
    assert (labels == HAIR).sum() > 0.1 * (labels > 0).sum()  # the fringe above the ear


def test_a_scar_is_labelled_with_impressions_around_it() -> None:
    d = smpstudio.design(pattern="norwood-3", hairline="soft", seed=3, scars=["fut"])
    labels = zone_map(d, view_name="back", size=SIZE)
    scar = labels == SCAR
    assert scar.sum() > 10
    rows = np.flatnonzero(scar.any(axis=1))
    band = labels[max(rows.min() - 3, 0) : rows.max() + 4]
    assert (band == IMPRESSIONS_AMONG_HAIR).sum() > 0


@pytest.mark.parametrize("view", ["top", "three-quarter", "part", "back"])
def test_same_size_as_the_render_only_values_0_to_5_same_bytes(
    nw5: smpstudio.Design, view: str
) -> None:
    labels = zone_map(nw5, view_name=view, size=SIZE)
    assert labels.shape == (SIZE, SIZE)
    assert labels.dtype == np.uint8
    assert labels.max() < len(ZONE_LABELS) == 6
    assert labels.tobytes() == zone_map(nw5, view_name=view, size=SIZE).tobytes()


def test_a_region_mask_makes_non_scalp_pixels_skin(nw5: smpstudio.Design) -> None:
    """A head with a face passes which pixels are scalp; the rest is skin whatever the
    design says there."""
    frame = frame_for(nw5.head.shape, "top", SIZE)
    geometry = rasterise(nw5.head.shape, frame)
    full = zone_labels(nw5, geometry.position, geometry.hit)
    left_half = np.zeros((SIZE, SIZE), dtype=bool)
    left_half[:, : SIZE // 2] = True
    masked = zone_labels(nw5, geometry.position, geometry.hit, scalp=left_half)
    np.testing.assert_array_equal(masked[:, : SIZE // 2], full[:, : SIZE // 2])
    right = masked[:, SIZE // 2 :]
    assert set(np.unique(right).tolist()) == {BACKGROUND, SKIN}


def test_unknown_view_is_refused(nw5: smpstudio.Design) -> None:
    with pytest.raises(InputError, match="unknown view 'side'"):
        zone_map(nw5, view_name="side", size=SIZE)


def test_simulate_writes_a_zone_map_per_view(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["simulate", "--pattern", "norwood-5", "--hairline", "soft", "--size", "96"]
    code = main([*args, "--views", "top,back", "--zone-map", "--out", str(tmp_path)])
    assert code == 0, capsys.readouterr().err
    for view in ("top", "back"):
        with Image.open(tmp_path / f"zones-{view}.png") as image:
            assert image.mode == "L"
            assert image.size == (96, 96)
            values = np.asarray(image)
        with Image.open(tmp_path / f"after-{view}.png") as render:
            assert render.size == image.size
        assert values.max() <= 5
        assert (values == IMPRESSIONS_ON_BALD).any()
    code = main([*args, "--views", "top", "--out", str(tmp_path / "plain")])
    assert code == 0
    assert not list((tmp_path / "plain").glob("zones-*.png"))
