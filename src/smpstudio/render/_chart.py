"""The scalp chart: a design drawn for the client — coverage, hairline, density, scale.

Four orthographic views (front, left side, top, back) share one scale, so every scale bar is
true in its view plane. Colours: the client's skin (a pale default when none is given),
remaining hair in brown, or in a light warm grey where that contrasts more with the skin
(stronger where more hair remains), target density on a viridis ramp, scars in magenta,
the hairline in red (edged where the red alone is weak), the lateral canthus
lines dashed in the front view, and in orange any bald or thinning scalp behind the hairline
that the design leaves without impressions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from smpstudio._types import BoolArray, FloatArray
from smpstudio.colour import lab_to_srgb
from smpstudio.density import ZONES
from smpstudio.head import HeadShape
from smpstudio.head._kernels import intersect_rays, shape_params
from smpstudio.head._views import View, ViewHits, view
from smpstudio.render._raster import Frame, rasterise

if TYPE_CHECKING:
    from smpstudio._design import Design
    from smpstudio.render._photo import Look

__all__ = ["render_chart", "write_chart"]

_PANEL = 420
_SUPERSAMPLE = 2
_GAP = 24
_MARGIN = 24
_TITLE_H = 84
_CAPTION_H = 30
_SCALEBAR_H = 40
_LEGEND_H = 250
_BACKGROUND = (250, 249, 246)
_INK = (34, 34, 38)
_MUTED = (110, 110, 118)
_SKIN = np.array([232.0, 200.0, 172.0])
_HAIR = np.array([58.0, 44.0, 36.0])
_LIGHT_HAIR = np.array([214.0, 204.0, 188.0])  # remaining hair drawn on dark skin
_SCAR = np.array([200.0, 40.0, 170.0])
_HAIRLINE = (215, 30, 45)
_UNTREATED = np.array([240.0, 130.0, 20.0])
_FEATURE = (120, 96, 84)
_LIGHT_FEATURE = (200, 186, 172)
_CANTHUS = (90, 90, 100)
_LIGHT_CANTHUS = (205, 205, 215)
_LIGHT_EDGE = (250, 246, 240)


@dataclass(frozen=True)
class _Palette:
    """The colours that depend on the client's skin: the skin, and hair, feature outlines,
    canthus lines and the hairline's halo chosen to stand out against it."""

    skin: FloatArray
    hair: FloatArray
    feature: tuple[int, int, int]
    canthus: tuple[int, int, int]
    halo: tuple[int, int, int] | None


def _palette(look: Look | None) -> _Palette:
    """The chart's colours on this skin: hair, outlines and canthus lines each dark or light,
    whichever contrasts more with the skin, and an edge (light or dark, the same way) to the
    red hairline where the red alone contrasts less than 3 : 1 (WCAG) with the skin."""
    if look is None:
        return _Palette(_SKIN, _HAIR, _FEATURE, _CANTHUS, None)
    skin = np.clip(np.asarray(lab_to_srgb(look.skin_lab), dtype=np.float64), 0.0, 1.0) * 255.0
    hair = _HAIR if _contrast(_HAIR, skin) >= _contrast(_LIGHT_HAIR, skin) else _LIGHT_HAIR
    light_lines = _contrast(np.array(_LIGHT_FEATURE), skin) > _contrast(np.array(_FEATURE), skin)
    halo = None
    if _contrast(np.array(_HAIRLINE), skin) < 3.0:
        light, dark = np.array(_LIGHT_EDGE), np.array(_INK)
        halo = _LIGHT_EDGE if _contrast(light, skin) >= _contrast(dark, skin) else _INK
    if light_lines:
        return _Palette(skin, hair, _LIGHT_FEATURE, _LIGHT_CANTHUS, halo)
    return _Palette(skin, hair, _FEATURE, _CANTHUS, halo)


def _contrast(a: FloatArray, b: FloatArray) -> float:
    """WCAG contrast ratio (1–21) of two 8-bit sRGB colours."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _luminance(rgb: FloatArray) -> float:
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(linear @ np.array([0.2126, 0.7152, 0.0722]))


_VIRIDIS = np.array(
    [
        [68, 1, 84],
        [72, 40, 120],
        [62, 74, 137],
        [49, 104, 142],
        [38, 130, 142],
        [31, 158, 137],
        [53, 183, 121],
        [109, 205, 89],
        [180, 222, 44],
        [253, 231, 37],
    ],
    dtype=np.float64,
)
_PANELS = (
    ("front", "Front"),
    ("left", "Left side"),
    ("top", "Top (face at the top)"),
    ("back", "Back"),
)


@dataclass(frozen=True)
class _Panel:
    rgb: FloatArray  # (H, W, 3) supersampled colour
    hits: ViewHits


def render_chart(d: Design, *, look: Look | None = None) -> Image.Image:
    """Render the scalp chart of a design as an RGB image, the head in the client's skin
    colour (``look``, :func:`~smpstudio.render.look_for`; a pale skin without it). The
    remaining hair, the face's outlines and the canthus lines are drawn dark or light,
    whichever contrasts more with the skin, and the red hairline gets a light or dark edge
    where the red alone contrasts less than 3 : 1, so they stay readable on every skin."""
    palette = _palette(look)
    shape = d.head.shape
    half = 0.54 * max(2.0 * shape.c, shape.b_up + 0.8 * shape.b_down)
    centre_y = (shape.b_up - 0.8 * shape.b_down) / 2.0
    width = 2 * _MARGIN + 4 * _PANEL + 3 * _GAP
    height = _TITLE_H + _CAPTION_H + _PANEL + _SCALEBAR_H + _LEGEND_H + _MARGIN
    canvas = Image.new("RGB", (width, height), _BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    top = _TITLE_H + _CAPTION_H
    dmax = d.settings.density_full_per_cm2 * d.settings.scar_overfill
    for i, (name, caption) in enumerate(_PANELS):
        left = _MARGIN + i * (_PANEL + _GAP)
        centre = (0.0, 0.0) if name == "top" else (0.0, centre_y)
        hits, normals = _hits(shape, Frame(view(name), centre, half, _PANEL * _SUPERSAMPLE))
        panel = _Panel(_shade(d, hits, normals, dmax, palette), hits)
        image = _finish_panel(d, panel, name, palette)
        canvas.paste(image, (left, top))
        draw.text((left, _TITLE_H + 4), caption, fill=_INK, font=_font(17, bold=True))
        _scale_bar(draw, left, top + _PANEL + 10, hits.mm_per_px * _SUPERSAMPLE)
    _title(draw, d)
    _legend(draw, d, top + _PANEL + _SCALEBAR_H + 10, dmax, palette)
    return canvas


def _hits(shape: HeadShape, frame: Frame) -> tuple[ViewHits, FloatArray]:
    """The surface seen through each pixel, from the z-buffer rasteriser (exact ray casting,
    :func:`~smpstudio.head._views.cast_view`, agrees within micrometres but is slower), and
    each pixel's surface normal (the mesh's exact vertex normals, blended)."""
    geometry = rasterise(shape, frame)
    points = np.where(geometry.hit[..., None], geometry.position, np.nan).astype(np.float64)
    px = frame.mm_per_px
    origin = (
        frame.centre[0] - frame.half_extent_mm + px / 2.0,
        frame.centre[1] + frame.half_extent_mm - px / 2.0,
    )
    normals = geometry.normal.astype(np.float64)
    return ViewHits(points, geometry.hit, px, origin, frame.view), normals


def write_chart(d: Design, path: str | Path, *, look: Look | None = None) -> Path:
    """Render the chart and write it as a PNG (no timestamps: same design, same bytes)."""
    path = Path(path)
    buffer = BytesIO()
    render_chart(d, look=look).save(buffer, format="PNG", optimize=False, compress_level=6)
    path.write_bytes(buffer.getvalue())
    return path


# --------------------------------------------------------------------------- shading
def _shade(
    d: Design, hits: ViewHits, normals: FloatArray, dmax: float, palette: _Palette
) -> FloatArray:
    """The supersampled panel's colours, shaded adaptively: once per block of
    ``_SUPERSAMPLE``² pixels where the block and its neighbours agree, every pixel where they
    do not (the silhouette, zone and hairline edges, scars). Same picture as shading every
    pixel (within a level or two after the final down-sampling) at a third of the cost."""
    k = _SUPERSAMPLE
    hit = hits.hit
    rows, cols = hit.shape[0] // k, hit.shape[1] // k
    corner = hit[::k, ::k]
    coarse = np.zeros((rows, cols, 3))
    coarse[corner] = _colours(
        d, hits.points[::k, ::k][corner], normals[::k, ::k][corner], hits.view, dmax, palette
    )
    blocks = hit.reshape(rows, k, cols, k)
    rough = blocks.any(axis=(1, 3)) & ~blocks.all(axis=(1, 3))
    rough |= _differs_from_neighbours(coarse, corner)
    fine = np.repeat(np.repeat(rough, k, 0), k, 1) & hit
    rgb = np.repeat(np.repeat(coarse, k, 0), k, 1)
    rgb[~hit] = np.asarray(_BACKGROUND, dtype=np.float64)
    rgb[fine] = _colours(d, hits.points[fine], normals[fine], hits.view, dmax, palette)
    return rgb


_EDGE_LEVELS = 6.0  # neighbouring blocks further apart than this (any channel) are refined


def _differs_from_neighbours(coarse: FloatArray, valid: BoolArray) -> BoolArray:
    """Blocks whose colour differs from a 4-neighbour's by more than ``_EDGE_LEVELS``, or
    whose neighbour does not see the head."""
    out = np.zeros(valid.shape, dtype=bool)
    for axis in (0, 1):
        a = [slice(None), slice(None)]
        b = [slice(None), slice(None)]
        a[axis], b[axis] = slice(None, -1), slice(1, None)
        ta, tb = tuple(a), tuple(b)
        step = np.abs(coarse[ta] - coarse[tb]).max(axis=2) > _EDGE_LEVELS
        step |= valid[ta] != valid[tb]
        out[ta] |= step
        out[tb] |= step
    return out


def _colours(
    d: Design, pts: FloatArray, normal: FloatArray, v: View, dmax: float, palette: _Palette
) -> FloatArray:
    """Chart colours of surface points: skin, remaining hair, density ramp, scars, untreated
    scalp, lit from the upper left of the view."""
    sample = d.field.sample(pts)
    light = -np.asarray(v.forward) + 0.55 * np.asarray(v.up) - 0.35 * v.right
    light /= np.linalg.norm(light)
    lambert = np.clip(normal @ light, 0.0, 1.0)
    shade = 0.42 + 0.58 * lambert
    hair = np.where(sample.on_scalp | d.head.natural_scalp_mask(pts), sample.coverage, 0.0)
    cover = 0.88 * hair[:, None]
    colour = np.asarray(palette.skin * (1 - cover) + palette.hair * cover, dtype=np.float64)
    dens = sample.density
    treated = dens > 0
    level = np.clip(dens[treated] / dmax, 0.0, 1.0)
    alpha = (0.55 + 0.4 * level)[:, None]
    colour[treated] = colour[treated] * (1 - alpha) + _viridis(level) * alpha
    scar = sample.zone == ZONES.index("scar")
    colour[scar] = _SCAR
    colour[d.untreated_behind_hairline(pts, sample)] = _UNTREATED
    colour *= shade[:, None]
    return np.asarray(colour, dtype=np.float64)


def _viridis(t: FloatArray) -> FloatArray:
    x = t * (len(_VIRIDIS) - 1)
    i = np.clip(np.floor(x).astype(int), 0, len(_VIRIDIS) - 2)
    f = (x - i)[:, None]
    return np.asarray(_VIRIDIS[i] * (1 - f) + _VIRIDIS[i + 1] * f, dtype=np.float64)


def _finish_panel(d: Design, panel: _Panel, name: str, palette: _Palette) -> Image.Image:
    size = panel.rgb.shape[0]
    image = Image.fromarray(np.clip(panel.rgb, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    hits = panel.hits
    if name == "front":
        _canthus_lines(d, draw, hits, size, palette.canthus)
    for feature in _features(d):
        _polyline(draw, hits, feature, palette.feature, _SUPERSAMPLE + 1)
    if palette.halo is not None:
        _polyline(draw, hits, d.hairline.polyline, palette.halo, 3 * _SUPERSAMPLE)
    _polyline(draw, hits, d.hairline.polyline, _HAIRLINE, 3 * _SUPERSAMPLE // 2)
    for label, point in _landmarks_for(d, name):
        _marker(draw, hits, np.asarray(point), label)
    return image.resize((_PANEL, _PANEL), Image.Resampling.LANCZOS)


def _features(d: Design) -> list[FloatArray]:
    """Eyes, brows and ears drawn as thin outlines so that the head reads as a head."""
    head = d.head
    lm = head.landmarks
    shape = head.shape
    canthus = np.asarray(lm["lateral_canthus_left"])
    out: list[FloatArray] = []
    t = np.linspace(0.0, 2.0 * math.pi, 73)
    for side in (-1.0, 1.0):
        cx, cy = side * (abs(canthus[0]) - 14.0), canthus[1] + 1.0
        eye = np.stack(
            [
                cx + 14.0 * np.cos(t),
                cy + 4.5 * np.sin(t) * np.abs(np.sin(t)) ** 0.3,
                np.full_like(t, 1e3),
            ],
            1,
        )
        out.append(shape.project(_onto_front(shape, eye)))
        u = np.linspace(-1.0, 1.0, 40)
        brow = np.stack([cx + 17.0 * u, cy + 13.0 - 4.0 * u**2, np.full_like(u, 1e3)], 1)
        out.append(shape.project(_onto_front(shape, brow)))
        tragion = np.asarray(lm["tragion_left"]) * np.array([side, 1.0, 1.0])
        ez, ey = tragion[2] - 14.0, tragion[1] + 4.0
        ear = np.stack(
            [np.full_like(t, side * 1e3), ey + 31.0 * np.sin(t), ez + 15.0 * np.cos(t)], 1
        )
        out.append(shape.project(_onto_side(shape, ear)))
    return out


def _onto_front(shape: HeadShape, pts: FloatArray) -> FloatArray:
    """Surface points seen straight from the front at the given x, y."""
    hits_t, _hit = intersect_rays(
        np.ascontiguousarray(np.column_stack([pts[:, 0], pts[:, 1], np.full(len(pts), 500.0)])),
        np.array([0.0, 0.0, -1.0]),
        shape_params(shape),
        60,
    )
    return np.column_stack([pts[:, 0], pts[:, 1], 500.0 - hits_t])


def _onto_side(shape: HeadShape, pts: FloatArray) -> FloatArray:
    """Surface points seen straight from the side at the given y, z."""
    sign = np.sign(pts[0, 0])
    hits_t, _hit = intersect_rays(
        np.ascontiguousarray(
            np.column_stack([np.full(len(pts), sign * 500.0), pts[:, 1], pts[:, 2]])
        ),
        np.array([-sign, 0.0, 0.0]),
        shape_params(shape),
        60,
    )
    return np.column_stack([sign * (500.0 - hits_t), pts[:, 1], pts[:, 2]])


def _visible(hits: ViewHits, points: FloatArray) -> tuple[FloatArray, FloatArray, BoolArray]:
    col, row, depth = hits.project(points)
    size = hits.hit.shape[0]
    ci = np.clip(np.round(col).astype(int), 0, size - 1)
    ri = np.clip(np.round(row).astype(int), 0, size - 1)
    front = hits.points[ri, ci] @ np.asarray(hits.view.forward)
    seen = hits.hit[ri, ci] & (depth <= front + 1.5)
    return col, row, seen


def _polyline(
    draw: ImageDraw.ImageDraw,
    hits: ViewHits,
    points: FloatArray,
    colour: tuple[int, int, int],
    width: int,
) -> None:
    col, row, seen = _visible(hits, points)
    for k in range(len(points) - 1):
        if seen[k] and seen[k + 1]:
            draw.line([(col[k], row[k]), (col[k + 1], row[k + 1])], fill=colour, width=width)


def _canthus_lines(
    d: Design,
    draw: ImageDraw.ImageDraw,
    hits: ViewHits,
    size: int,
    colour: tuple[int, int, int],
) -> None:
    x_c = d.head.measures.canthal_width_mm / 2.0
    for sign in (-1.0, 1.0):
        col, _, _ = hits.project(np.array([[sign * x_c, 0.0, 0.0]]))
        y = 0.0
        while y < size:
            draw.line([(col[0], y), (col[0], y + 10)], fill=colour, width=2)
            y += 22


def _landmarks_for(d: Design, name: str) -> list[tuple[str, tuple[float, float, float]]]:
    lm = d.landmarks
    picks = {
        "front": [
            ("G", "glabella"),
            ("MF", "mid_frontal_point"),
            ("TL", "temporal_point_left"),
            ("TR", "temporal_point_right"),
        ],
        "left": [
            ("V", "vertex"),
            ("T", "tragion_left"),
            ("O", "occipital_protuberance"),
            ("N", "nape"),
        ],
        "top": [("V", "vertex"), ("MF", "mid_frontal_point")],
        "back": [("O", "occipital_protuberance"), ("N", "nape")],
    }
    return [(label, lm[key]) for label, key in picks[name]]


def _marker(draw: ImageDraw.ImageDraw, hits: ViewHits, point: FloatArray, label: str) -> None:
    col, row, seen = _visible(hits, point[None])
    if not seen[0]:
        return
    r = 4 * _SUPERSAMPLE
    x, y = float(col[0]), float(row[0])
    draw.ellipse(
        [x - r, y - r, x + r, y + r], fill=(255, 255, 255), outline=_INK, width=_SUPERSAMPLE
    )
    font = _font(15 * _SUPERSAMPLE)
    draw.text(
        (x + r + 3, y - 9 * _SUPERSAMPLE),
        label,
        fill=_INK,
        font=font,
        stroke_width=2 * _SUPERSAMPLE,
        stroke_fill=(255, 255, 255),
    )


# --------------------------------------------------------------------------- text and legend
_FONT_DIR = Path(__file__).with_name("fonts")


@lru_cache(maxsize=32)
def _font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(_FONT_DIR / name), size)


def _title(draw: ImageDraw.ImageDraw, d: Design) -> None:
    line = d.hairline
    heading = (
        f"Scalp chart — {_pattern_label(d.pattern.name)} · {line.style.name} hairline "
        f"({line.shape}) at {line.height_cm:.1f} cm above the glabella"
    )
    draw.text((_MARGIN, 16), heading, fill=_INK, font=_font(26, bold=True))
    m = d.head.measures
    sub = (
        f"Head {d.inputs['head']}: circumference {m.circumference_mm / 10:.1f} cm, length "
        f"{m.length_mm / 10:.1f} cm, breadth {m.breadth_mm / 10:.1f} cm · seed {d.inputs['seed']}"
        " · orthographic views, one scale"
    )
    draw.text((_MARGIN, 54), sub, fill=_MUTED, font=_font(16))


def _pattern_label(name: str) -> str:
    kind, _, stage = name.partition("-")
    return f"{kind.capitalize()} {stage.upper()}" if stage else kind.capitalize()


def _scale_bar(draw: ImageDraw.ImageDraw, left: int, top: int, mm_per_px: float) -> None:
    length = 50.0 / mm_per_px
    x0, y0 = left + 12, top + 8
    draw.rectangle([x0, y0, x0 + length, y0 + 6], fill=_INK)
    for k in range(6):
        x = x0 + k * length / 5
        draw.line([(x, y0 - 4), (x, y0 + 6)], fill=_INK, width=2)
    draw.text((x0 + length + 10, y0 - 7), "5 cm", fill=_INK, font=_font(16))


def _legend(draw: ImageDraw.ImageDraw, d: Design, top: int, dmax: float, palette: _Palette) -> None:
    left = _MARGIN
    draw.text(
        (left, top),
        "Target density after the last session (impressions per cm²)",
        fill=_INK,
        font=_font(17, bold=True),
    )
    bar_w, bar_h = 460, 22
    y0 = top + 32
    ramp = _viridis(np.linspace(0.0, 1.0, bar_w))
    for i, c in enumerate(ramp):
        draw.line([(left + i, y0), (left + i, y0 + bar_h)], fill=tuple(int(v) for v in c))
    draw.rectangle([left, y0, left + bar_w, y0 + bar_h], outline=_INK)
    for value in _ticks(dmax):
        x = left + bar_w * value / dmax
        draw.line([(x, y0 + bar_h), (x, y0 + bar_h + 6)], fill=_INK, width=2)
        label = f"{value:g}"
        w = draw.textlength(label, font=_font(14))
        draw.text((x - w / 2, y0 + bar_h + 8), label, fill=_INK, font=_font(14))
    swatches = [
        (tuple(int(v) for v in palette.hair), "remaining hair (stronger = fuller)"),
        (_HAIRLINE, "designed hairline"),
        (tuple(int(v) for v in _SCAR), "scar tissue (over-filled)"),
        (tuple(round(v) for v in palette.skin), "skin without impressions"),
        (tuple(int(v) for v in _UNTREATED), "bald behind the hairline, untreated"),
    ]
    sy = y0 + 64
    for k, (colour, text) in enumerate(swatches):
        x = left + (k % 2) * 290
        y = sy + (k // 2) * 28
        draw.rectangle([x, y, x + 22, y + 18], fill=colour, outline=_INK)
        draw.text((x + 32, y), text, fill=_INK, font=_font(15))
    notes = (
        "Dashed: lateral canthus lines (front view).  G glabella · MF mid-frontal point ·",
        "TL/TR temporal points · V vertex · T tragion · O occipital protuberance · N nape.",
    )
    for k, text in enumerate(notes):
        draw.text((left, sy + 92 + 22 * k), text, fill=_MUTED, font=_font(14))
    _facts(draw, d, left + 4 * (_PANEL + _GAP) - 2 * (_PANEL + _GAP) + 40, top)


def _ticks(dmax: float) -> list[float]:
    step = 20.0 if dmax > 60 else 10.0
    return [float(v) for v in np.arange(0.0, dmax + 1e-9, step)]


def _facts(draw: ImageDraw.ImageDraw, d: Design, left: int, top: int) -> None:
    s = d.summary
    dens = d.settings.density_full_per_cm2
    fractions = d.settings.session_fractions
    rows = [
        ("Natural scalp", f"{s.scalp_area_cm2:.0f} cm²"),
        (
            "Bald / thinning / hair",
            f"{s.bald_cm2:.0f} / {s.thinning_cm2:.0f} / {s.hair_cm2:.0f} cm²",
        ),
        ("Treated area", f"{s.treatment_cm2:.0f} cm²"),
        (
            "Untreated behind hairline",
            f"{s.untreated_behind_cm2:.0f} cm² ({s.untreated_behind_share:.0%} of bald + thinning)",
        ),
        ("Full density", f"{dens:g} impressions/cm² (about {10 / math.sqrt(dens):.2f} mm apart)"),
        ("Sessions (cumulative)", " → ".join(f"{f * 100:.0f} %" for f in fractions)),
        ("Impressions (estimate)", " → ".join(f"{n:,}" for n in s.impressions)),
    ]
    if d.scars:
        rows.append(("Scars", ", ".join(sc.kind.upper() for sc in d.scars)))
    draw.text((left, top), "Design summary", fill=_INK, font=_font(17, bold=True))
    for k, (label, value) in enumerate(rows):
        y = top + 32 + 27 * k
        draw.text((left, y), label, fill=_MUTED, font=_font(15))
        draw.text((left + 230, y), value, fill=_INK, font=_font(15))
