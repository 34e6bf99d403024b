"""Images of a design: orthographic views of the virtual head and the scalp chart."""

from smpstudio.render._chart import render_chart, write_chart
from smpstudio.head._views import VIEW_NAMES, View, ViewHits, cast_view, view

__all__ = ["VIEW_NAMES", "View", "ViewHits", "cast_view", "render_chart", "view", "write_chart"]
