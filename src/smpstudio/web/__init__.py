"""The web studio (staff) and the clinic's public site, served by ``smpstudio serve``.

::

    from smpstudio.clinic import open_database
    from smpstudio.web import create_app

    db = open_database("clinic.sqlite3")
    db.upgrade()
    app = create_app(db)          # an ASGI application: uvicorn.run(app)

Pages, roles, security and limits: ``docs/web.md``.
"""

from smpstudio.web._app import create_app
from smpstudio.web._config import WebConfig

__all__ = ["WebConfig", "create_app"]
