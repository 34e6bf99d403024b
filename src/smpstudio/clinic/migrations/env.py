"""Alembic environment: migrations run on a connection handed over by smpstudio.

Run them with ``smpstudio db upgrade`` or :meth:`smpstudio.clinic.Database.upgrade`; the
whole upgrade is one transaction on both back ends (SQLite DDL is transactional because
smpstudio emits ``BEGIN IMMEDIATE`` itself).
"""

from __future__ import annotations

from alembic import context

from smpstudio.clinic._models import Base


def run_migrations() -> None:
    """Configure the context with the given connection and run the migrations."""
    if context.is_offline_mode():
        raise RuntimeError("smpstudio migrations run online only: use 'smpstudio db upgrade'")
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        transactional_ddl=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


# Alembic runs this file inside its environment context; a plain import (the doctest
# collector's) must not.
if getattr(context, "_proxy", None) is not None:
    run_migrations()
