"""Errors raised by smpstudio.

Every error a user can cause derives from :class:`SmpError` and carries a message that
says what is wrong and how to fix it, in one line::

    SmpError
    └── InputError (also a ValueError)      bad option, value or file content
        ├── PatternError                    unknown hair-loss pattern
        ├── HairlineError                   impossible hairline height, style or shape
        ├── ScarError                       malformed or off-scalp scar specification
        ├── HeadMeasureError                head measures no adult head can have
        ├── HeadMorphError                  unknown face morph, sex or out-of-range age
        ├── SettingError                    unknown setting or value out of its range
        ├── ColourError                     malformed colour, unreadable image, bad region
        │                                   or dilution table
        ├── PhotoError                      photo refused (format, size, damage), no face,
        │                                   bad landmark, scale, hairline or mask
        ├── ClinicError                     clinic record refused: invalid value, unknown
        │                                   record, booking conflict, unusable database
        └── PlanError                       impossible dates, spacing, session count,
                                            retention or price table

The command line prints ``error: <message>`` and exits with status 2 for any of them.
"""

from __future__ import annotations

__all__ = [
    "ClinicError",
    "ColourError",
    "HairlineError",
    "HeadMeasureError",
    "HeadMorphError",
    "InputError",
    "PatternError",
    "PhotoError",
    "PlanError",
    "ScarError",
    "SettingError",
    "SmpError",
]


class SmpError(Exception):
    """Base class of every error smpstudio raises on purpose."""


class InputError(SmpError, ValueError):
    """A value given by the user cannot be used."""


class PatternError(InputError):
    """Unknown hair-loss pattern name or malformed pattern parameters."""


class HairlineError(InputError):
    """Hairline height, style or shape outside what the design allows."""


class ScarError(InputError):
    """Malformed scar specification, or a scar that does not lie on the scalp."""


class HeadMeasureError(InputError):
    """Head measures outside adult ranges or inconsistent with each other."""


class HeadMorphError(InputError):
    """Unknown face morph or sex, or a morph weight or age outside its range."""


class SettingError(InputError):
    """Unknown setting name, or a value of the wrong type or out of range."""


class ColourError(InputError):
    """Malformed colour, unreadable or oversized image, bad region or dilution table."""


class PhotoError(InputError):
    """Photo refused (format, size, damage), no face found, or a bad landmark, scale, hairline
    or correction mask."""


class ClinicError(InputError):
    """Clinic record refused: invalid value, unknown record, booking conflict, bad database."""


class PlanError(InputError):
    """Impossible treatment plan: dates, spacing, session count, retention or price table."""
