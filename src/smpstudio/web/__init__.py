"""The web studio (staff) and the clinic's public site, served by ``smpstudio serve``.

::

    from smpstudio.clinic import open_database
    from smpstudio.web import create_app

    db = open_database("clinic.sqlite3")
    db.upgrade()
    app = create_app(db)          # an ASGI application: uvicorn.run(app)

Pages, roles, security and limits: ``docs/web.md``.
"""

from __future__ import annotations

import typing

if typing.TYPE_CHECKING:
    from smpstudio.web._app import create_app
    from smpstudio.web._config import WebConfig

__all__ = ["WebConfig", "create_app"]


def __getattr__(name: str) -> object:
    """The application is imported when asked for, not with the package: a preview process
    imports only ``smpstudio.web._preview`` (the renderer, the numeric core), never the web
    stack and the clinic's database layer (about 60 MB less in each)."""
    if name == "create_app":
        from smpstudio.web._app import create_app

        return create_app
    if name == "WebConfig":
        from smpstudio.web._config import WebConfig

        return WebConfig
    raise AttributeError(f"module 'smpstudio.web' has no attribute {name!r}")
