"""The before | after sheet: one image a client takes home.

Before and healed of one view side by side at page scale, and beside them a framed close-up
of a 20 × 20 mm patch of the healed scalp just behind the hairline, seen straight on and
turned as the view is, rendered at about 0.04 mm a pixel — what the treated scalp looks like
from about 30 cm, where single impressions show (the eye resolves about 0.09 mm there: one
arc minute × 300 mm). A square on the healed view marks where the patch is; a 10 mm bar
gives its scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from smpstudio._errors import InputError
from smpstudio._types import FloatArray
from smpstudio.dots import Impressions
from smpstudio.render._photo import (
    PHOTO_VIEWS,
    Look,
    draw_splats,
    frame_for,
    impression_splats,
    patch_base,
    render_view,
)

if TYPE_CHECKING:
    from smpstudio._design import Design

__all__ = [
    "CLOSE_UP_MM",
    "SHEET_SIZES",
    "SheetLayout",
    "close_up_centre",
    "render_sheet",
    "sheet_layout",
]

CLOSE_UP_MM = 20.0
"""Width of the close-up's patch of scalp (mm)."""
SHEET_SIZES = (128, 2048)
"""Allowed height (px) of the before and after views on a sheet."""
_BEHIND_HAIRLINE_MM = 8.0  # the patch's centre lies this far behind the frontal hairline
_PAGE = (247, 245, 241)
_INK = (30, 30, 34)
_MUTED = (96, 96, 104)
_FRAME = (255, 255, 255)
_MARK = (255, 214, 64)
_FONT_DIR = Path(__file__).with_name("fonts")


def render_sheet(
    design: Design,
    impressions: Impressions,
    look: Look,
    *,
    view_name: str,
    size: int = 1024,
    seed: int | None = None,
) -> Image.Image:
    """Before | after sheet of one view, with a true-scale close-up of the healed scalp.

    Parameters
    ----------
    design
        The design.
    impressions
        Its impressions.
    look
        Skin and hair colours (:func:`~smpstudio.render.look_for`).
    view_name
        ``front``, ``top``, ``left``, ``right``, ``back``, ``three-quarter`` or ``part``.
    size
        Height in pixels of the before and after views (128–2048); the sheet is about
        2.6 × ``size`` wide and 1.1 × ``size`` high. Bases of ≤ 1024 px are those the
        views keep (:func:`~smpstudio.render.view_base`), so a sheet after the views costs
        the close-up alone.
    seed
        Seed of the hair and skin texture; the design's by default.

    Returns
    -------
    PIL.Image.Image
        RGB: "Before" and "After, healed" over the two views, the close-up (half the views'
        height, 20 mm wide) framed to their right with a 10 mm scale bar and the caption
        "close-up, about 30 cm away". Same inputs and seed, same pixels.
    """
    if view_name not in PHOTO_VIEWS:
        raise InputError(f"unknown view {view_name!r}: choose from {', '.join(PHOTO_VIEWS)}")
    if (
        isinstance(size, bool)
        or not isinstance(size, int)
        or not (SHEET_SIZES[0] <= size <= SHEET_SIZES[1])
    ):
        raise InputError(f"sheet size {size!r} px is outside {SHEET_SIZES[0]}–{SHEET_SIZES[1]}")
    before = render_view(design, None, look, view_name=view_name, size=size, state="before")
    after = render_view(design, impressions, look, view_name=view_name, size=size, seed=seed)
    centre = close_up_centre(design, impressions)
    inset = size // 2
    up = np.asarray(frame_for(design.head.shape, view_name, size).view.up, dtype=np.float64)
    patch = patch_base(
        design, look, centre=centre, width_mm=CLOSE_UP_MM, size=inset, up=up, seed=seed
    )
    close_up = Image.fromarray(draw_splats(patch, impression_splats(patch, impressions)), "RGB")
    return _compose(design, view_name, centre, before, after, close_up)


def close_up_centre(design: Design, impressions: Impressions) -> FloatArray:
    """Where the close-up looks: 8 mm behind the middle of the frontal hairline when the design
    draws one, else the middle of the impressions (the parting of a Ludwig design, a scar),
    on the scalp."""
    shape = design.head.shape
    if design.pattern.recedes_hairline:
        front = np.asarray(design.hairline.mid_frontal_point, dtype=np.float64)
        vertex = np.asarray(design.landmarks["vertex"], dtype=np.float64)
        step = vertex - front
        point = front + _BEHIND_HAIRLINE_MM * step / np.linalg.norm(step)
    elif len(impressions):
        point = np.median(impressions.positions, axis=0)
        nearest = np.argmin(np.linalg.norm(impressions.positions - point, axis=1))
        point = impressions.positions[nearest]
    else:
        point = np.asarray(design.landmarks["vertex"], dtype=np.float64)
    return np.asarray(shape.project(point.reshape(1, 3))[0], dtype=np.float64)


@dataclass(frozen=True)
class SheetLayout:
    """Where things are on a sheet whose views are ``size`` px: the left top corners (px) of
    the before and after views, of the close-up's picture (``inset`` px square, inside a
    white frame ``border`` px wide) and the height of the label band above the views."""

    size: int
    width: int
    height: int
    label_h: int
    before: tuple[int, int]
    after: tuple[int, int]
    close_up: tuple[int, int]
    inset: int
    border: int


def sheet_layout(size: int) -> SheetLayout:
    """The layout of a sheet whose before and after views are ``size`` px square."""
    margin, gap, label_h = size // 32, size // 40, size // 11
    inset, border = size // 2, max(2, size // 256)
    after_x = margin + size + gap
    box = (after_x + size + gap + border, label_h + (size - inset) // 2 + border)
    return SheetLayout(
        size=size,
        width=box[0] + inset + border + margin,
        height=label_h + size + margin,
        label_h=label_h,
        before=(margin, label_h),
        after=(after_x, label_h),
        close_up=box,
        inset=inset,
        border=border,
    )


def _compose(
    design: Design,
    view_name: str,
    centre: FloatArray,
    before: Image.Image,
    after: Image.Image,
    close_up: Image.Image,
) -> Image.Image:
    size = before.height
    layout = sheet_layout(size)
    inset, border = layout.inset, layout.border
    sheet = Image.new("RGB", (layout.width, layout.height), _PAGE)
    draw = ImageDraw.Draw(sheet)
    heading = _font(max(12, size // 22), bold=True)
    for (x, _), text in ((layout.before, "Before"), (layout.after, "After, healed")):
        draw.text((x, layout.label_h // 2), text, fill=_INK, font=heading, anchor="lm")
    sheet.paste(before, layout.before)
    sheet.paste(after, layout.after)
    box_x, box_y = layout.close_up[0] - border, layout.close_up[1] - border
    _mark_patch(draw, design, view_name, centre, layout.after, size, (box_x, box_y))
    draw.rectangle(
        [box_x, box_y, box_x + inset + 2 * border - 1, box_y + inset + 2 * border - 1],
        fill=_FRAME,
        outline=_INK,
    )
    sheet.paste(close_up, layout.close_up)
    _scale_bar(draw, layout.close_up, close_up)
    caption = _font(max(10, size // 36))
    bottom = box_y + inset + 2 * border + size // 64
    draw.text((box_x, bottom), "close-up, about 30 cm away", fill=_INK, font=caption)
    draw.text(
        (box_x, bottom + int(1.4 * caption.size)),
        f"{CLOSE_UP_MM:g} × {CLOSE_UP_MM:g} mm, healed",
        fill=_MUTED,
        font=caption,
    )
    return sheet


def _mark_patch(
    draw: ImageDraw.ImageDraw,
    design: Design,
    view_name: str,
    centre: FloatArray,
    origin: tuple[int, int],
    size: int,
    box: tuple[int, int],
) -> None:
    """A square on the healed view around the close-up's patch, and a line to the inset,
    when the patch faces the camera."""
    shape = design.head.shape
    frame = frame_for(shape, view_name, size)
    normal = shape.normal(centre.reshape(1, 3))[0]
    if float(normal @ np.asarray(frame.view.forward)) > -0.2:
        return
    col, row, _ = frame.project(centre.reshape(1, 3))
    half = CLOSE_UP_MM / 2.0 / frame.mm_per_px
    x, y = origin[0] + float(col[0]), origin[1] + float(row[0])
    line = max(2, size // 400)
    draw.rectangle([x - half, y - half, x + half, y + half], outline=_MARK, width=line)
    draw.line([(x + half, y - half), box], fill=_MARK, width=line)


def _scale_bar(draw: ImageDraw.ImageDraw, corner: tuple[int, int], close_up: Image.Image) -> None:
    """A 10 mm bar in the lower left of the close-up: dark on light skin, white on dark, with
    an edge of the other."""
    inset = close_up.width
    px = inset * 10.0 / CLOSE_UP_MM
    pad = inset // 16
    x0, y1 = corner[0] + pad, corner[1] + inset - pad
    thick = max(3, inset // 64)
    under = np.asarray(close_up.convert("L"))[inset // 2 :, : inset // 2]
    ink, edge = (_INK, _FRAME) if float(under.mean()) > 128.0 else (_FRAME, _INK)
    draw.rectangle([x0 - 1, y1 - thick - 1, x0 + px + 1, y1 + 1], fill=edge)
    draw.rectangle([x0, y1 - thick, x0 + px, y1], fill=ink)
    font = _font(max(10, inset // 18), bold=True)
    draw.text(
        (x0, y1 - thick - inset // 60),
        "10 mm",
        fill=ink,
        font=font,
        anchor="ld",
        stroke_width=max(1, inset // 160),
        stroke_fill=edge,
    )


@lru_cache(maxsize=16)
def _font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(_FONT_DIR / name), size)
