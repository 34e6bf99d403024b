"""Carbon-black pigment diluted with water, seen in the skin: healed, fresh and faded.

The optical model (docs/colour.md has the derivation and every source)::

    concentration   c = 1 / (1 + w)                     w = mL water per mL pigment
    optical depth   D = D0 · c · fresh(days) · 2^(−years / T½)
    absorbed        A = 1 − exp(−D)                     carbon is grey: the same in R, G, B
    dot             R_dot = R_skin · (1 − s · A)        per linear-light channel

``s`` (per channel) is the share of the skin's reflectance that comes from below the depth of
the pigment. Blue light is scattered back by the epidermis and upper dermis more than red
light, so less of the blue reflectance reaches the carbon: s is smaller in blue, and the
grey dot looks slightly cool, blue-grey (the Tyndall effect of dermal pigment). Because the
dot multiplies the skin's reflectance, a darker skin leaves less light for the dot to remove
and the same dilution gives less contrast; more water always gives a lighter dot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from smpstudio._errors import ColourError
from smpstudio._types import FloatArray
from smpstudio.colour._convert import lab_to_linear, linear_to_lab
from smpstudio.colour._skin import SkinTone

__all__ = [
    "MOISTURISED_FADE_FACTOR",
    "SCAR_FADE_FACTOR",
    "SUN_FADE_FACTORS",
    "FadeConditions",
    "FreshLook",
    "PigmentModel",
    "SkinLike",
    "concentration",
    "dot_contrast",
    "dot_lab",
    "fresh_look",
    "touch_up_years",
]

SkinLike: TypeAlias = SkinTone | npt.ArrayLike
"""A skin colour: a :class:`SkinTone` or CIELAB (D65, 2°) values ``[L*, a*, b*]``."""

Sun: TypeAlias = Literal["low", "typical", "high"]

SUN_FADE_FACTORS: dict[str, float] = {"low": 0.75, "typical": 1.0, "high": 1.5}
"""Fading speed by sun exposure, relative to typical [U]: UV breaks carbon down (domain
reference §1.8: long-term fading is immune clearance plus UV); no source gives numbers."""

MOISTURISED_FADE_FACTOR = 0.85
"""Fading speed when the scalp is moisturised daily [U] (practitioners' aftercare advice)."""

SCAR_FADE_FACTOR = 1.6 / 0.9
"""Fading speed on scar tissue: Liu et al. 2025 (J Cosmet Dermatol 24(9):e70375) report a
6-month density-score loss of 1.6 in scarring alopecia against 0.9 in androgenetic alopecia."""


def _check_shares(name: str, values: tuple[float, float, float]) -> None:
    if len(values) != 3 or not all(math.isfinite(v) and 0 < v <= 1 for v in values):
        raise ColourError(f"pigment model: {name} needs three values in (0, 1], got {values}")


@dataclass(frozen=True, kw_only=True)
class PigmentModel:
    """Parameters of the pigment model; [U] marks values no source fixes (see docs/colour.md).

    Parameters
    ----------
    optical_depth : float
        Optical depth ``D0`` of a healed dot of undiluted pigment [U]: e⁻⁴ ≈ 2 % of the
        light reaching it passes, so an undiluted dot is near-black on any skin.
    subsurface_share : tuple of 3 floats
        Share of the skin's reflectance, per linear R, G, B, that comes from below the
        pigment's depth (upper dermis) [U]. Lower in blue: the blue-grey cast.
    fresh_darkness : float
        Optical depth multiplier on day 0 [U]: the surplus pigment, blood and lymph in and
        on the epidermis make fresh dots darker; scabs then keep them dark for days.
    fresh_diameter_factor : float
        Diameter of a fresh impression relative to the healed dot: 250 µm fresh against
        100–150 µm healed, 1.7–2.5× (domain reference §1.3, §8).
    settle_days : float
        e-folding time of the fresh surplus (darkness, size, pigment in the epidermis) [U]:
        after 28 days (one epidermal turnover, §1.3) 5 % of it is left.
    erythema_hours : float
        e-folding time of the redness around each puncture [U]: 2 % is left after a day,
        "it fades by the next day".
    halo_radius_mm : float
        Radius of the red halo around each puncture centre [U].
    erythema_transmittance : tuple of 3 floats
        Per-channel factor on the skin's linear reflectance at full redness [U]: blood
        absorbs green and blue far more than red.
    fade_half_life_years : float
        Half-life of the pigment's optical depth in typical conditions [U], chosen so that
        the default touch-up falls at 3–5 years (sources say 2–6, commonly 3–5; §1.8).
    touch_up_contrast_drop : float
        Share of the healed contrast (ΔL*) lost when a touch-up is due [U].
    """

    optical_depth: float = 4.0
    subsurface_share: tuple[float, float, float] = (0.95, 0.93, 0.88)
    fresh_darkness: float = 1.8
    fresh_diameter_factor: float = 2.0
    settle_days: float = 28.0 / 3.0
    erythema_hours: float = 6.0
    halo_radius_mm: float = 0.35
    erythema_transmittance: tuple[float, float, float] = (0.96, 0.76, 0.82)
    fade_half_life_years: float = 7.0
    touch_up_contrast_drop: float = 0.3

    def __post_init__(self) -> None:
        positive = {
            "optical_depth": self.optical_depth,
            "fresh_darkness": self.fresh_darkness,
            "fresh_diameter_factor": self.fresh_diameter_factor,
            "settle_days": self.settle_days,
            "erythema_hours": self.erythema_hours,
            "halo_radius_mm": self.halo_radius_mm,
            "fade_half_life_years": self.fade_half_life_years,
        }
        for name, value in positive.items():
            if not (math.isfinite(value) and value > 0):
                raise ColourError(f"pigment model: {name} must be a positive number, got {value}")
        if self.fresh_darkness < 1 or self.fresh_diameter_factor < 1:
            raise ColourError("pigment model: fresh dots are never lighter or smaller than healed")
        _check_shares("subsurface_share", self.subsurface_share)
        _check_shares("erythema_transmittance", self.erythema_transmittance)
        if not 0 < self.touch_up_contrast_drop < 1:
            raise ColourError("pigment model: touch_up_contrast_drop must lie between 0 and 1")

    def splat(
        self,
        dilution_ml: npt.ArrayLike,
        diameter_mm: npt.ArrayLike,
        *,
        state: str = "healed",
        years: float = 0.0,
        speed: npt.ArrayLike = 1.0,
    ) -> tuple[FloatArray, FloatArray]:
        """How each dot darkens the skin in a render: the share of light it absorbs per
        linear sRGB channel ``(N, 3)`` and its diameter in mm, for ``healed``, ``fresh``
        (darker, larger, no skin over it yet) or ``year`` (``years`` after healing, faded at
        ``speed`` times the base rate, per dot or for all).

        >>> strength, size = PigmentModel().splat([2.0], [0.12], state="fresh")
        >>> bool(size[0] > 0.12 and strength[0, 0] > PigmentModel().splat([2.0], [0.12])[0][0, 0])
        True
        """
        depth = self.optical_depth * concentration(dilution_ml)
        diameter = np.asarray(diameter_mm, dtype=np.float64)
        share = np.broadcast_to(np.asarray(self.subsurface_share), (len(depth), 3))
        if state == "fresh":
            depth = depth * self.fresh_darkness
            diameter = diameter * self.fresh_diameter_factor
            share = np.ones((len(depth), 3))
        elif state == "year":
            fade = np.asarray(speed, dtype=np.float64) * years / self.fade_half_life_years
            depth = depth * 2.0 ** (-fade)
        elif state != "healed":
            raise ColourError(f"unknown dot state {state!r}: use healed, fresh or year")
        strength = np.asarray(share * (1.0 - np.exp(-depth))[:, None], dtype=np.float64)
        return strength, np.asarray(diameter, dtype=np.float64)


DEFAULT_MODEL = PigmentModel()


@dataclass(frozen=True, kw_only=True)
class FadeConditions:
    """What speeds up or slows down fading over the years.

    Parameters
    ----------
    sun : {"low", "typical", "high"}
        Sun exposure of the scalp (:data:`SUN_FADE_FACTORS`).
    moisturised : bool
        The scalp is moisturised daily (:data:`MOISTURISED_FADE_FACTOR`).
    scarred : bool
        The pigment sits in scar tissue (:data:`SCAR_FADE_FACTOR`).

    Examples
    --------
    >>> FadeConditions().speed, FadeConditions(sun="high", moisturised=True).speed
    (1.0, 1.275)
    """

    sun: Sun = "typical"
    moisturised: bool = False
    scarred: bool = False

    def __post_init__(self) -> None:
        if self.sun not in SUN_FADE_FACTORS:
            raise ColourError(f"sun exposure {self.sun!r} is not one of low, typical, high")

    @property
    def speed(self) -> float:
        """Fading speed relative to typical conditions (the half-life divides by it)."""
        factor = SUN_FADE_FACTORS[self.sun]
        if self.moisturised:
            factor *= MOISTURISED_FADE_FACTOR
        if self.scarred:
            factor *= SCAR_FADE_FACTOR
        return factor


TYPICAL = FadeConditions()


@dataclass(frozen=True)
class FreshLook:
    """How an impression looks some days after the session, for a renderer.

    Attributes
    ----------
    dot_lab : FloatArray
        CIELAB of the dot's core.
    darkness : float
        Optical depth relative to the healed dot (1 once settled).
    diameter_factor : float
        Dot diameter relative to the healed dot (1 once settled).
    halo_lab : FloatArray
        CIELAB of the skin at full redness, the colour to blend toward around the puncture.
    halo_radius_mm : float
        Radius of the red halo around the puncture centre.
    halo_strength : float
        Blend weight of the halo colour at the centre, 0–1 (1 on day 0, ~0 from day 1).
    """

    dot_lab: FloatArray
    darkness: float
    diameter_factor: float
    halo_lab: FloatArray
    halo_radius_mm: float
    halo_strength: float


def concentration(ml_water: npt.ArrayLike) -> FloatArray:
    """Pigment concentration relative to undiluted, ``1 / (1 + w)``.

    Examples
    --------
    >>> concentration([0, 1, 4, 19]).tolist()
    [1.0, 0.5, 0.2, 0.05]
    """
    return 1.0 / (1.0 + _water(ml_water))


def dot_lab(
    skin: SkinLike,
    ml_water: npt.ArrayLike,
    *,
    years: float = 0.0,
    conditions: FadeConditions = TYPICAL,
    model: PigmentModel = DEFAULT_MODEL,
) -> FloatArray:
    """CIELAB of a healed dot, ``years`` after healing (0: just healed).

    Broadcasts: skin ``(..., 3)`` with dilutions ``(...)`` give ``(..., 3)``.

    Parameters
    ----------
    skin : SkinTone or array_like
        The scalp's colour (CIELAB).
    ml_water : float or array_like
        Dilution, mL of distilled water per mL of pigment (0 = undiluted).
    years : float
        Time since the dot healed.
    conditions : FadeConditions
        Sun, moisturising, scar tissue.
    model : PigmentModel
        Model parameters.

    Examples
    --------
    >>> skin = [77.9, 3.47, 23.14]  # Monk 5
    >>> dot_lab(skin, 0).round(1).tolist()
    [25.1, 0.0, 1.4]
    >>> dot_lab(skin, 20).round(1).tolist()
    [72.5, 3.2, 21.4]
    """
    depth = _optical_depth(ml_water, model) * _faded(years, conditions, model)
    return _dot_lab(_skin_lab(skin), depth, np.asarray(model.subsurface_share))


def dot_contrast(
    skin: SkinLike,
    ml_water: npt.ArrayLike,
    *,
    years: float = 0.0,
    conditions: FadeConditions = TYPICAL,
    model: PigmentModel = DEFAULT_MODEL,
) -> FloatArray:
    """Lightness contrast ΔL* = L*(skin) − L*(dot) of a healed dot (≥ 0).

    Examples
    --------
    >>> skin = [77.9, 3.47, 23.14]
    >>> [round(float(dot_contrast(skin, w)), 1) for w in (0, 5, 20)]
    [52.8, 17.2, 5.4]
    >>> round(float(dot_contrast(skin, 5, years=4)), 1)
    12.0
    """
    lab = _skin_lab(skin)
    dot = dot_lab(lab, ml_water, years=years, conditions=conditions, model=model)
    return np.asarray(lab[..., 0] - dot[..., 0], dtype=np.float64)


def fresh_look(
    skin: SkinLike,
    ml_water: float,
    *,
    days: float = 0.0,
    model: PigmentModel = DEFAULT_MODEL,
) -> FreshLook:
    """The look of an impression ``days`` after the session: darker, larger, red around.

    The surplus darkness and size decay with ``settle_days``; while it lasts part of the
    pigment still sits in the epidermis, so the blue-grey cast of the healed dot is weaker
    and fresh dots look black. The redness decays with ``erythema_hours``.

    Examples
    --------
    >>> day0 = fresh_look([77.9, 3.47, 23.14], 5.0)
    >>> day0.diameter_factor, round(day0.darkness, 2), day0.halo_strength
    (2.0, 1.8, 1.0)
    >>> round(float(day0.halo_lab[1] - 3.47), 1)  # redder: a* rises
    8.6
    >>> day1 = fresh_look([77.9, 3.47, 23.14], 5.0, days=1)
    >>> round(day1.halo_strength, 3), round(day1.diameter_factor, 2)
    (0.018, 1.9)
    """
    if not (math.isfinite(days) and days >= 0):
        raise ColourError(f"days since the session must be ≥ 0, got {days}")
    lab = _skin_lab(skin)
    surplus = math.exp(-days / model.settle_days)
    darkness = 1.0 + (model.fresh_darkness - 1.0) * surplus
    share = np.asarray(model.subsurface_share)
    share = share + (1.0 - share) * surplus
    depth = _optical_depth(ml_water, model) * darkness
    return FreshLook(
        dot_lab=_dot_lab(lab, depth, share),
        darkness=darkness,
        diameter_factor=1.0 + (model.fresh_diameter_factor - 1.0) * surplus,
        halo_lab=_red_skin(lab, model),
        halo_radius_mm=model.halo_radius_mm,
        halo_strength=math.exp(-24.0 * days / model.erythema_hours),
    )


def touch_up_years(
    skin: SkinLike,
    ml_water: float,
    *,
    conditions: FadeConditions = TYPICAL,
    model: PigmentModel = DEFAULT_MODEL,
) -> float:
    """Years after healing until the contrast has dropped by ``touch_up_contrast_drop``.

    Returns ``inf`` when the healed dot shows no contrast at all.

    Examples
    --------
    >>> skin = [77.9, 3.47, 23.14]
    >>> round(touch_up_years(skin, 5.0), 1)
    4.0
    >>> round(touch_up_years(skin, 5.0, conditions=FadeConditions(sun="high")), 1)
    2.7
    """
    lab = _skin_lab(skin)
    healed = float(dot_contrast(lab, ml_water, model=model))
    if healed <= 1e-9:
        return math.inf
    goal = healed * (1.0 - model.touch_up_contrast_drop)

    def excess(years: float) -> float:
        now = float(dot_contrast(lab, ml_water, years=years, conditions=conditions, model=model))
        return now - goal

    from scipy.optimize import brentq  # here: SciPy loads only when a touch-up is timed

    upper = 1.0
    while excess(upper) > 0:
        upper *= 2.0
    return float(brentq(excess, 0.0, upper, xtol=1e-6))


def _optical_depth(ml_water: npt.ArrayLike, model: PigmentModel) -> FloatArray:
    return model.optical_depth * concentration(ml_water)


def _faded(years: float, conditions: FadeConditions, model: PigmentModel) -> float:
    if not (math.isfinite(years) and years >= 0):
        raise ColourError(f"years since healing must be ≥ 0, got {years}")
    return float(2.0 ** (-years * conditions.speed / model.fade_half_life_years))


def _dot_lab(skin_lab: FloatArray, depth: FloatArray, share: FloatArray) -> FloatArray:
    absorbed = 1.0 - np.exp(-np.asarray(depth, dtype=np.float64))
    skin_linear = np.clip(lab_to_linear(skin_lab), 0.0, None)
    return linear_to_lab(skin_linear * (1.0 - share * absorbed[..., None]))


def _red_skin(skin_lab: FloatArray, model: PigmentModel) -> FloatArray:
    skin_linear = np.clip(lab_to_linear(skin_lab), 0.0, None)
    return linear_to_lab(skin_linear * np.asarray(model.erythema_transmittance))


def _skin_lab(skin: SkinLike) -> FloatArray:
    lab = skin.lab if isinstance(skin, SkinTone) else np.asarray(skin, dtype=np.float64)
    if lab.shape[-1:] != (3,) or not np.all(np.isfinite(lab)):
        raise ColourError(f"a skin colour is CIELAB L*, a*, b* (finite numbers), got {skin!r}")
    return lab


def _water(ml_water: npt.ArrayLike) -> FloatArray:
    water = np.asarray(ml_water, dtype=np.float64)
    if not np.all(np.isfinite(water)) or np.any(water < 0):
        raise ColourError(
            f"a dilution is mL of water per mL of pigment, 0 or more (0 = undiluted), "
            f"got {ml_water!r}"
        )
    return water
