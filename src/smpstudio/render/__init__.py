"""Images of a design: the scalp chart and photoreal before / fresh / healed / faded views."""

from smpstudio.head._views import VIEW_NAMES, View, ViewHits, cast_view, view
from smpstudio.render._chart import render_chart, write_chart
from smpstudio.render._photo import (
    PHOTO_VIEWS,
    Look,
    RenderState,
    frame_for,
    look_for,
    parse_state,
    render_view,
)

__all__ = [
    "PHOTO_VIEWS",
    "VIEW_NAMES",
    "Look",
    "RenderState",
    "View",
    "ViewHits",
    "cast_view",
    "frame_for",
    "look_for",
    "parse_state",
    "render_chart",
    "render_view",
    "view",
    "write_chart",
]
