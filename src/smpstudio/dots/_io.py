"""Writing impressions: ``dots.csv`` and per-session SVG stencils on the scalp chart."""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

import numpy as np

from smpstudio._types import BoolArray, FloatArray
from smpstudio.density import ZONES
from smpstudio.dots._engine import NEEDLES, Impressions
from smpstudio.head import HeadShape
from smpstudio.head._views import View, view

if TYPE_CHECKING:
    from smpstudio._design import Design

__all__ = ["CSV_HEADER", "impressions_csv", "stencil_svg"]

CSV_HEADER = "x_mm,y_mm,z_mm,session,zone,diameter_mm,needle,dilution"

_VIEWS = (("front", "Front"), ("left", "Left side"), ("top", "Top (face up)"), ("back", "Back"))
_PANEL_MM = 230.0  # each view's square, in the SVG's millimetre user units
_GAP_MM = 12.0
_DOT_MM = 0.9  # drawn dot size: real healed dots (about 0.13 mm) would be invisible
_FACING = 0.15  # a dot is drawn in a view when its normal faces the viewer this much
_FONT = "DejaVu Sans, sans-serif"


def impressions_csv(impressions: Impressions) -> str:
    """The impressions as CSV with the header :data:`CSV_HEADER`, one dot per row.

    >>> from smpstudio.dots import Impressions
    >>> import numpy as np
    >>> one = Impressions(np.array([[1.0, 2.0, 3.0]]), np.array([1]), np.array([1]),
    ...                   np.array([0.13]), np.array([1]), np.array([4.0]), np.array([1.0]),
    ...                   np.array([80.0]), np.array([7]), 3)
    >>> print(impressions_csv(one), end="")
    x_mm,y_mm,z_mm,session,zone,diameter_mm,needle,dilution
    1.000,2.000,3.000,1,body,0.130,3RL,4
    """
    out = io.StringIO()
    out.write(CSV_HEADER + "\n")
    zones = np.asarray(ZONES)[impressions.zone]
    needles = np.asarray(NEEDLES)[impressions.needle]
    for k in range(len(impressions)):
        x, y, z = impressions.positions[k]
        out.write(
            f"{x:.3f},{y:.3f},{z:.3f},{impressions.session[k]},{zones[k]},"
            f"{impressions.diameter_mm[k]:.3f},{needles[k]},{impressions.dilution[k]:g}\n"
        )
    return out.getvalue()


def stencil_svg(design: Design, impressions: Impressions, session: int) -> str:
    """An SVG stencil for ``session``: its new dots in black, earlier sessions' dots in grey,
    the hairline in red, on four orthographic views at one scale (true millimetres)."""
    shape = design.head.shape
    width = 4 * _PANEL_MM + 3 * _GAP_MM
    height = _PANEL_MM + 60.0
    normals = shape.normal(impressions.positions)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}mm" height="{height:.0f}mm" '
        f'viewBox="0 0 {width:.1f} {height:.1f}">',
        f"<title>Session {session} stencil</title>",
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        _heading(design, impressions, session),
    ]
    for k, (name, caption) in enumerate(_VIEWS):
        left = k * (_PANEL_MM + _GAP_MM)
        parts.append(
            _panel(design, impressions, normals, session, view(name), caption, left, shape)
        )
    parts.append(_scale_bar(height - 14.0))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _heading(design: Design, impressions: Impressions, session: int) -> str:
    new = impressions.session == session
    by_zone = ", ".join(
        f"{ZONES[z]} {int(np.sum(new & (impressions.zone == z)))}"
        for z in range(1, len(ZONES))
        if np.any(new & (impressions.zone == z))
    )
    text = (
        f"Session {session} of {impressions.sessions}: {int(new.sum()):,} new impressions "
        f"({by_zone}); earlier sessions in grey. {design.pattern.name}, "
        f"{design.hairline.style.name} hairline at {design.hairline.height_cm:.1f} cm."
    )
    return (
        f'<text x="4" y="{_PANEL_MM + 22:.1f}" font-family="{_FONT}" font-size="6">'
        f"{escape(text)}</text>"
    )


def _panel(
    design: Design,
    impressions: Impressions,
    normals: FloatArray,
    session: int,
    which: View,
    caption: str,
    left: float,
    shape: HeadShape,
) -> str:
    right, up, forward = which.right, np.asarray(which.up), np.asarray(which.forward)
    centre = np.array([left + _PANEL_MM / 2, _PANEL_MM / 2 + 8.0])

    def to_svg(points: FloatArray) -> FloatArray:
        return np.column_stack([points @ right + centre[0], centre[1] - points @ up])

    facing = normals @ -forward > _FACING
    earlier = facing & (impressions.session < session)
    current = facing & (impressions.session == session)
    outline = to_svg(_silhouette(shape, which))
    line = design.hairline.polyline
    line_facing = design.head.shape.normal(line) @ -forward > 0.0
    items = [
        f'<g id="{which.name}">',
        f'<text x="{left + 2:.1f}" y="7" font-family="{_FONT}" font-size="7" '
        f'font-weight="bold">{escape(caption)}</text>',
        f'<path d="{_polyline_path(outline, closed=True)}" fill="#f4ece4" stroke="#8a7a70" '
        'stroke-width="0.6"/>',
        _dots_path(to_svg(impressions.positions[earlier]), "#b8b8b8"),
        _dots_path(to_svg(impressions.positions[current]), "#111111"),
    ]
    for run in _runs(line_facing):
        items.append(
            f'<path d="{_polyline_path(to_svg(line[run]))}" fill="none" stroke="#d71e2d" '
            'stroke-width="0.8" stroke-linejoin="round"/>'
        )
    items.append("</g>")
    return "\n".join(items)


def _dots_path(xy: FloatArray, colour: str) -> str:
    if len(xy) == 0:
        return ""
    moves = "".join(f"M{x:.2f} {y:.2f}h0" for x, y in xy)
    return (
        f'<path d="{moves}" stroke="{colour}" stroke-width="{_DOT_MM}" '
        'stroke-linecap="round" fill="none"/>'
    )


def _polyline_path(xy: FloatArray, *, closed: bool = False) -> str:
    head = f"M{xy[0, 0]:.2f} {xy[0, 1]:.2f}"
    body = "".join(f"L{x:.2f} {y:.2f}" for x, y in xy[1:])
    return head + body + ("Z" if closed else "")


def _runs(mask: BoolArray) -> list[slice]:
    """Slices of consecutive True values."""
    runs, start = [], None
    for k, flag in enumerate(mask):
        if flag and start is None:
            start = k
        if not flag and start is not None:
            if k - start > 1:
                runs.append(slice(start, k))
            start = None
    if start is not None and len(mask) - start > 1:
        runs.append(slice(start, len(mask)))
    return runs


def _silhouette(shape: HeadShape, which: View, *, steps: int = 360) -> FloatArray:
    """Outline of the head seen along the view: the support point for each direction in the
    image plane (the head is convex), searched on a dense direction grid."""
    right, up = which.right, np.asarray(which.up)
    theta = np.linspace(0.0, 2.0 * math.pi, steps, endpoint=False)
    out = np.empty((steps, 3))
    fan = np.linspace(-math.pi / 2, math.pi / 2, 181)
    for k, t in enumerate(theta):
        w = math.cos(t) * right + math.sin(t) * up
        normal_plane = np.cross(np.cross(right, up), w)
        dirs = np.cos(fan)[:, None] * w + np.sin(fan)[:, None] * normal_plane
        pts = shape.project(dirs)
        out[k] = pts[int(np.argmax(pts @ w))]
    return out


def _scale_bar(y: float) -> str:
    return (
        f'<g><rect x="4" y="{y:.1f}" width="50" height="1.6" fill="#222"/>'
        f'<text x="58" y="{y + 2:.1f}" font-family="{_FONT}" font-size="5">'
        "5 cm (true scale in each view plane)</text></g>"
    )
