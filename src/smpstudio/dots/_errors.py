"""The error class of the impression engine."""

from __future__ import annotations

from smpstudio._errors import InputError

__all__ = ["DotsError"]


class DotsError(InputError):
    """Impossible dots request: a bad count, density, density bound or shares, a count over
    the memory budget, or a design that asks for no impressions."""
