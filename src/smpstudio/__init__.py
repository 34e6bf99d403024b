"""smpstudio: planning and simulation studio for scalp micropigmentation (SMP).

The public API is deliberately small::

    import smpstudio
    d = smpstudio.design(pattern="norwood-5", hairline="soft", seed=7)
    d.summary.bald_cm2, d.field.density(points, session=1)
    smpstudio.write_design(d, "out/")     # design.json + chart.png

Subpackages hold the numeric core, one per domain: :mod:`smpstudio.head`,
:mod:`smpstudio.loss`, :mod:`smpstudio.hairline`, :mod:`smpstudio.density`,
:mod:`smpstudio.render`.
"""

__version__ = "0.1.0"

from smpstudio._design import DESIGN_SCHEMA, Design, DesignSummary, design
from smpstudio._errors import (
    ColourError,
    HairlineError,
    HeadMeasureError,
    InputError,
    PatternError,
    ScarError,
    SettingError,
    SmpError,
)
from smpstudio._settings import SESSION_PRESETS, Settings

__all__ = [
    "DESIGN_SCHEMA",
    "SESSION_PRESETS",
    "ColourError",
    "Design",
    "DesignSummary",
    "HairlineError",
    "HeadMeasureError",
    "InputError",
    "PatternError",
    "ScarError",
    "SettingError",
    "Settings",
    "SmpError",
    "__version__",
    "design",
]
