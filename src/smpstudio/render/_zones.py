"""Zone maps: what each pixel of a view shows — skin, remaining hair, impressions, scar.

A zone map is a single-channel 8-bit image the size of the render, one label a pixel
(:data:`ZONE_LABELS`). It is computed from the same per-pixel data the renderer uses — the
surface point each pixel sees (the visibility buffer, interpolated as the shading pass does)
— and the design's fields at that point (remaining-hair coverage, target impression density,
zone): no sampling, no randomness, so the same design and view give the same bytes.

:func:`zone_labels` takes the per-pixel surface points and which pixels show the head, and,
optionally, which pixels are scalp skin at all (where hair and impressions can be): a head
model with a face, ears and neck passes its own region mask there; without one, scalp is
where the design's natural scalp or treated region lies.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from smpstudio._errors import InputError
from smpstudio._types import BoolArray, Float32Array, FloatArray, UInt8Array
from smpstudio.colour import srgb_to_lab
from smpstudio.density import ZONES
from smpstudio.head import HeadShape
from smpstudio.head._face import REGIONS, face_mesh
from smpstudio.render._photo import PHOTO_VIEWS, frame_for
from smpstudio.render._raster import _resolve, visibility

if TYPE_CHECKING:
    from smpstudio._design import Design

__all__ = [
    "BACKGROUND",
    "HAIR",
    "IMPRESSIONS_AMONG_HAIR",
    "IMPRESSIONS_ON_BALD",
    "SCAR",
    "SKIN",
    "ZONE_LABELS",
    "zone_labels",
    "zone_map",
    "zone_mean_lab",
    "zone_overlay",
]

BACKGROUND, SKIN, HAIR, IMPRESSIONS_ON_BALD, IMPRESSIONS_AMONG_HAIR, SCAR = range(6)
ZONE_LABELS: tuple[str, ...] = (
    "background",
    "skin without impressions",
    "remaining hair without impressions",
    "impressions on bald scalp",
    "impressions among remaining hair",
    "scar",
)
"""Name of each label value of a zone map (its index)."""

_SCAR_ZONE = ZONES.index("scar")
ZONE_TINTS: tuple[tuple[int, int, int] | None, ...] = (
    None,
    None,
    (230, 150, 40),
    (40, 120, 235),
    (170, 70, 210),
    (225, 40, 40),
)
"""Overlay colour of each label (None: left as rendered): hair amber, impressions on bald
scalp blue, among hair violet, scar red."""


def zone_labels(
    design: Design,
    points: FloatArray | Float32Array,
    hit: BoolArray,
    *,
    scalp: BoolArray | None = None,
) -> UInt8Array:
    """Zone label of each pixel from the surface point it sees.

    Parameters
    ----------
    design
        The design (its remaining hair, target density, zones and scars).
    points
        ``(H, W, 3)`` surface point (mm) seen through each pixel.
    hit
        ``(H, W)``: the pixel shows the head.
    scalp
        ``(H, W)``: the pixel is scalp skin, where hair and impressions can be (a head
        model's own regions). Pixels outside it are skin (face, ears, neck) whatever the
        design says there; inside it, and without it, scalp is the design's natural scalp
        and treated region.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` uint8: 0 background, 1 skin without impressions, 2 remaining hair
        without impressions, 3 impressions on bald scalp, 4 impressions among remaining
        hair, 5 scar (:data:`ZONE_LABELS`). Hair counts as remaining where its coverage
        reaches the design's ``coverage_bald_below``.
    """
    shape = hit.shape
    flat = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    seen = np.asarray(hit, dtype=np.bool_).reshape(-1)
    labels = np.zeros(seen.shape[0], dtype=np.uint8)
    where = np.flatnonzero(seen)
    if where.size == 0:
        return labels.reshape(shape)
    pts = flat[where]
    sample = design.field.sample(pts)
    natural = design.head.natural_scalp_mask(pts)
    on_scalp = natural | sample.on_scalp
    if scalp is not None:
        on_scalp &= np.asarray(scalp, dtype=np.bool_).reshape(-1)[where]
    hairy = natural & (sample.coverage >= design.settings.coverage_bald_below)
    treated = sample.density > 0.0
    out = np.full(where.size, SKIN, dtype=np.uint8)
    out[hairy & ~treated] = HAIR
    out[treated & ~hairy] = IMPRESSIONS_ON_BALD
    out[treated & hairy] = IMPRESSIONS_AMONG_HAIR
    out[sample.zone == _SCAR_ZONE] = SCAR
    out[~on_scalp] = SKIN
    labels[where] = out
    return labels.reshape(shape)


def zone_map(design: Design, *, view_name: str, size: int) -> UInt8Array:
    """The zone map of one view of a design, the size of its render: :func:`zone_labels` of
    the surface points the renderer's pixels see, scalp where the head mesh's triangle is
    scalp (face, eyes, ears and neck are skin).

    >>> from smpstudio import design
    >>> labels = zone_map(design(pattern="norwood-5", hairline="soft"), view_name="top", size=96)
    >>> labels.shape, labels.dtype.name, sorted(set(labels.ravel().tolist()))
    ((96, 96), 'uint8', [0, 1, 2, 3, 4])
    """
    if view_name not in PHOTO_VIEWS:
        raise InputError(f"unknown view {view_name!r}: choose from {', '.join(PHOTO_VIEWS)}")
    position, hit, scalp = _view_pixels(design.head.shape, view_name, size)
    return zone_labels(design, position, hit, scalp=scalp)


def _view_pixels(
    shape: HeadShape, view_name: str, size: int
) -> tuple[Float32Array, BoolArray, BoolArray]:
    """Per pixel of a view: the surface point seen, whether the head is seen, and whether
    the head mesh's triangle there is scalp (all three corners of the scalp region)."""
    v = visibility(shape, frame_for(shape, view_name, size))
    position, _ = _resolve(v.triangle, v.screen, v.vertices, v.normals, v.triangles)
    hit = v.triangle >= 0
    on_scalp = np.all(face_mesh(shape).region[v.triangles] == REGIONS["scalp"], axis=1)
    scalp = hit & on_scalp[np.where(hit, v.triangle, 0)]
    return position, hit, scalp


def zone_mean_lab(
    image: UInt8Array, labels: UInt8Array, label: int, *, where: BoolArray | None = None
) -> FloatArray:
    """Mean CIELAB of the pixels of one zone (and of ``where``, when given) of an 8-bit
    sRGB image ``(H, W, 3)``: each pixel's L*, a*, b* averaged, as the tone of a patch is
    judged. NaN when no pixel is in the zone.

    >>> image = np.zeros((2, 2, 3), np.uint8); image[0] = 255
    >>> lab = zone_mean_lab(image, np.array([[3, 3], [3, 2]], np.uint8), 3)
    >>> round(float(lab[0]), 1)  # two white pixels and a black one
    66.7
    """
    chosen = np.asarray(labels) == label
    if where is not None:
        chosen &= np.asarray(where, dtype=np.bool_)
    if not chosen.any():
        return np.full(3, np.nan)
    rgb = np.asarray(image, dtype=np.float64)[chosen] / 255.0
    return np.asarray(srgb_to_lab(rgb).mean(axis=0), dtype=np.float64)


def zone_overlay(
    image: Image.Image,
    design: Design,
    *,
    view_name: str,
    step: int = 4,
    alpha: float = 0.4,
) -> Image.Image:
    """A render with its zone map tinted over it (:data:`ZONE_TINTS`), for the designer.

    The labels are computed on every ``step``-th pixel (a zone is centimetres wide) and the
    view's geometry is kept, so a redraw after a drag costs a few tens of milliseconds.
    """
    width = image.size[0]
    small = max(width // step, 16)
    position, hit, scalp = _small_view_pixels(design.head.shape, view_name, small)
    labels = zone_labels(design, position, hit, scalp=scalp)
    reps = -(-width // small)
    full = np.repeat(np.repeat(labels, reps, axis=0), reps, axis=1)[:width, :width]
    pixels = np.asarray(image.convert("RGB"), dtype=np.float32)
    for label, tint in enumerate(ZONE_TINTS):
        if tint is not None:
            where = full == label
            pixels[where] = (1.0 - alpha) * pixels[where] + alpha * np.asarray(tint, np.float32)
    return Image.fromarray(np.asarray(np.round(pixels), dtype=np.uint8), "RGB")


@lru_cache(maxsize=16)
def _small_view_pixels(
    shape: HeadShape, view_name: str, size: int
) -> tuple[Float32Array, BoolArray, BoolArray]:
    return _view_pixels(shape, view_name, size)
