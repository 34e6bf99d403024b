"""smpstudio: planning and simulation studio for scalp micropigmentation (SMP).

The public API is deliberately small::

    import smpstudio
    from smpstudio.dots import dilution_rule, place_impressions

    d = smpstudio.design(pattern="norwood-5", hairline="soft", seed=7)
    d.summary.bald_cm2                        # cm², integrated on the head mesh
    d.field.density(points, session=1)        # target impressions/cm² after session 1
    dots = place_impressions(d, dilution=dilution_rule("#d7bd96", "dark-brown"))
    smpstudio.load_design("design.json")      # rebuild a saved design

Subpackages hold the numeric core, one per domain: :mod:`smpstudio.head`,
:mod:`smpstudio.loss`, :mod:`smpstudio.hairline`, :mod:`smpstudio.density`,
:mod:`smpstudio.dots`, :mod:`smpstudio.colour`, :mod:`smpstudio.render`.
"""

import typing

from smpstudio import _determinism  # noqa: F401  (first: before NumPy is loaded)
from smpstudio._errors import (
    ClinicError,
    ColourError,
    HairlineError,
    HeadMeasureError,
    InputError,
    PatternError,
    PhotoError,
    PlanError,
    ScarError,
    SettingError,
    SmpError,
)
from smpstudio._settings import SESSION_PRESETS, Settings
from smpstudio._version import __version__

if typing.TYPE_CHECKING:
    from smpstudio._design import (
        DESIGN_SCHEMA,
        Design,
        DesignSummary,
        design,
        design_from_inputs,
        load_design,
    )

# The design core (NumPy, SciPy, Numba kernels) loads on first use of one of these names,
# so that ``import smpstudio.cli`` or ``smpstudio.clinic`` does not pay for it.
_DESIGN_NAMES = frozenset(
    {"DESIGN_SCHEMA", "Design", "DesignSummary", "design", "design_from_inputs", "load_design"}
)


def __getattr__(name: str) -> typing.Any:
    if name in _DESIGN_NAMES:
        from smpstudio import _design

        value = getattr(_design, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'smpstudio' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _DESIGN_NAMES)


__all__ = [
    "DESIGN_SCHEMA",
    "SESSION_PRESETS",
    "ClinicError",
    "ColourError",
    "Design",
    "DesignSummary",
    "HairlineError",
    "HeadMeasureError",
    "InputError",
    "PatternError",
    "PhotoError",
    "PlanError",
    "ScarError",
    "SettingError",
    "Settings",
    "SmpError",
    "__version__",
    "design",
    "design_from_inputs",
    "load_design",
]
