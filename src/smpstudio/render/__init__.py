"""Images of a design: the scalp chart and photoreal before / fresh / healed / faded views."""

from smpstudio.head._views import VIEW_NAMES, View, ViewHits, cast_view, view
from smpstudio.render._chart import render_chart, write_chart
from smpstudio.render._photo import (
    PHOTO_VIEWS,
    Look,
    RenderState,
    Splats,
    ViewBase,
    draw_splats,
    frame_for,
    impression_splats,
    look_for,
    parse_state,
    patch_base,
    render_view,
    view_base,
)
from smpstudio.render._sheet import (
    CLOSE_UP_MM,
    SHEET_SIZES,
    SheetLayout,
    close_up_centre,
    render_sheet,
    sheet_layout,
)
from smpstudio.render._zones import (
    ZONE_LABELS,
    zone_labels,
    zone_map,
    zone_mean_lab,
    zone_overlay,
)

__all__ = [
    "CLOSE_UP_MM",
    "PHOTO_VIEWS",
    "SHEET_SIZES",
    "VIEW_NAMES",
    "ZONE_LABELS",
    "Look",
    "RenderState",
    "SheetLayout",
    "Splats",
    "View",
    "ViewBase",
    "ViewHits",
    "cast_view",
    "close_up_centre",
    "draw_splats",
    "frame_for",
    "impression_splats",
    "look_for",
    "parse_state",
    "patch_base",
    "render_chart",
    "render_sheet",
    "render_view",
    "sheet_layout",
    "view",
    "view_base",
    "write_chart",
    "zone_labels",
    "zone_map",
    "zone_mean_lab",
    "zone_overlay",
]
