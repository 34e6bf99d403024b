"""Alembic migrations of the clinic schema, run by :mod:`smpstudio.clinic._migrations`."""
