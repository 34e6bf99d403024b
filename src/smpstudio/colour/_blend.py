"""Blending: the healed SMP's area-mean tone against the client's shaved hair.

Seen from a metre (conversation distance) the eye resolves about 0.3 mm (one arc minute), so
neither a healed impression (~0.1 mm, ~1 mm apart) nor a shaved hair is seen alone: what is
seen is the **area-mean reflectance** of a patch of scalp. SMP blends when the treated bald
scalp has the area-mean tone of the remaining shaved hair beside it. Both are the skin
darkened by small absorbers, and the renderer draws both with the optics below
(docs/render.md, "Blending"):

- **Shaved hair** (per hair, ``n_h = FU density × hairs per FU``): the shaft inside the
  follicle seen through the epidermis — a blurred streak ``buried_mm × buried_width_mm``
  absorbing ``buried_share × (1 − hair / skin)`` of the light — and the cut stubble above
  the skin, ``stubble_mm × shaft_mm``, opaque at ``stubble_opacity`` in the hair's colour.
  The streak's width is the shaft blurred by the skin as a dot's halo is, fitted to
  photographed buzz cuts::

      R_hair = R_skin · exp(−n_h · a_buried · buried_share · κ) · P + (1 − P) · C_hair
      P      = exp(−n_h · a_stubble · stubble_opacity),   κ = max(0, 1 − C_hair / R_skin)

- **Healed SMP** (``n_d`` dots per area of session shares ``f_k``): each dot a Gaussian
  core of peak coverage 1 — its healed disc (σ = d / 4) spread by scattering in the dermis
  (``dermal_spread_mm``) — and a wide, faint halo (σ_h ``halo_mm``, peak ``halo_peak``):
  light diffusing in the dermis passes a deposit many times, so it darkens far more skin
  than its 0.1 mm. Both absorb the pigment model's ``k = s · (1 − e^(−D))``::

      R_smp  = R_skin · exp(−n_d · a_dot · Σ_k f_k · k_k)
      a_dot  = 2π (d² / 16 + σ_d² + halo_peak · σ_h²)

``exp(−n · a · k)`` is the mean transmittance of absorbers scattered at random (a Poisson
field; for the small coverages here it equals ``1 − n · a · k`` to a few per cent of the
darkening). :func:`blend_shade` picks the body shade whose healed dots give ``R_smp`` the
lightness of ``R_hair``, never darker than the dilution table's natural limit for the skin
and hair, nor than the hair itself, and says when that limit keeps the scalp lighter.

**Calibration** (docs/render.md, "Buzz cuts measured"). A 0-guard buzz cut (the setting
``shaved_stubble_mm``, 0.8 mm) with the buried shaft's width fitted so that, drawn on the
virtual head and measured as the photographs are, it lets through about 0.6 of the light at
the front of the dome on Monk 5–7: visibly darker, and lighter than every photographed buzz
cut (0.07–0.37, all longer). The halo's peak is then the one with which the chart's shades
at the default density blend with it on fair skin (Monk 5, dark-brown hair), as the dermal
spread was before.

Photographed buzz cuts read darker than the model's hair on every skin, most of all where
black hair meets dark skin, which the model's mix of hair and skin colour barely darkens. So
where the hair is no lighter than the skin the shade is never lighter than the chart's
(``limit == "chart"``): the chart follows practice, near-black for dark hair on dark skin.

Where the hair is no lighter than the skin, a blend can mean dots nobody sees: black stubble
on the darkest skins barely darkens them, so the shade that matches it is pale grey on a
dark scalp. There a **visibility floor** darkens the shade until the healed treated scalp
reads :data:`VISIBLE_FROM` darker than the bare skin — as far as the chart's own shade,
which follows practice ("darker skin + dark hair → little or no water", domain reference
§1.7, §5.4) — and the advice says so (``limit == "visible"``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from smpstudio._types import FloatArray
from smpstudio.colour._convert import lab_to_linear, linear_to_lab
from smpstudio.colour._dilution import (
    DilutionTable,
    hair_lightness_lab,
    shade_for,
    stubble_range,
)
from smpstudio.colour._pigment import DEFAULT_MODEL, PigmentModel, SkinLike, dot_lab
from smpstudio.colour._skin import SkinTone, nearest_monk

__all__ = [
    "BLEND_TOLERANCE",
    "DARK_HAIR_WITHIN",
    "NOTICE_FROM",
    "SHAVED",
    "VISIBLE_FROM",
    "BlendAdvice",
    "ShavedOptics",
    "blend_shade",
    "hair_zone_reflectance",
    "treated_reflectance",
]

BLEND_TOLERANCE = 5.0
"""|ΔL*| between treated scalp and remaining hair up to which they read as one tone."""
NOTICE_FROM = 2.5
"""|ΔL*| from which a shade held back by a limit is worth telling: about one just
noticeable difference of lightness (ΔE*ab ≈ 2.3, Sharma's Digital Color Imaging Handbook) [U]."""
VISIBLE_FROM = NOTICE_FROM
"""L* by which the healed treated scalp must read darker than the bare skin for the treatment
to show at all: one just noticeable difference (:data:`NOTICE_FROM`). A client pays for SMP
to be seen; below this the dots are there but the scalp looks untreated from a metre."""
DARK_HAIR_WITHIN = NOTICE_FROM
"""L* by which the hair may be lighter than the skin and still count as dark hair on that
skin, to which the visibility floor applies: less than one just noticeable difference
(:data:`NOTICE_FROM`), so black hair on Monk 10 (L* 14.9 on 14.6) counts, while brown or
grey hair on dark skin (lighter by 7 L* or more), which SMP's darkening can only move away
from, keeps the blended (lightest) shade."""


@dataclass(frozen=True, kw_only=True)
class ShavedOptics:
    """What a shaved head and a healed dot look like from a metre; [U] marks values no
    source fixes (docs/render.md, "Blending").

    Parameters
    ----------
    fu_per_cm2 : float
        Follicular units on full hair: 90–100 FU/cm² non-balding (domain reference §4).
    hairs_per_fu : float
        Mean hairs per unit: 1.92 from the Han Chinese composition 28 / 53 / 18 / 1 % of
        1–4-hair units (Guo et al., §4).
    shaft_mm : float
        Shaft diameter, 60–80 µm (Wolfram 2003, §4).
    stubble_mm : float
        A 0-guard buzz cut: clippers with no guard leave 0.5–1 mm (0.8 mm in one chart);
        a razor's shave leaves about 0.35 mm a day later (hair grows about 0.35 mm a day,
        §6). Designs take it from the setting ``shaved_stubble_mm``
        (:func:`smpstudio.dots.shaved_optics`), as the renderer does.
    stubble_opacity : float
        Share of the light a shaft in front of the skin stops [U].
    buried_mm, buried_width_mm : float
        Length and blurred width of the shaft seen through the skin under each hair [U]:
        the upper follicle, above the depth where dermal scattering hides it, blurred by
        the skin about as wide as a dot's halo; the width is fitted so that a 0-guard buzz
        cut darkens the scalp as photographed ones do (docs/render.md, "Buzz cuts
        measured").
    buried_share : float
        Share of the hair's contrast that shows through the epidermis [U].
    dermal_spread_mm : float
        σ of the blur of a dot's core by scattering in the papillary dermis, where the
        pigment sits (§1.1) [U]: a healed dot seen close up.
    halo_mm, halo_peak : float
        σ and peak coverage of the wide, faint shadow around each dot: light diffusing in
        the dermis passes a deposit many times, so it darkens far more skin than its
        0.1 mm [U]. The width is about the dermis's diffusion scale (0.4 mm);
        the peak is calibrated so that healed SMP at the chart's shades blends with a
        0-guard buzz cut on fair skin (docs/render.md).
    """

    fu_per_cm2: float = 90.0
    hairs_per_fu: float = 1.92
    shaft_mm: float = 0.075
    stubble_mm: float = 0.8
    stubble_opacity: float = 0.92
    buried_mm: float = 1.0
    buried_width_mm: float = 0.4
    buried_share: float = 0.45
    dermal_spread_mm: float = 0.18
    halo_mm: float = 0.4
    halo_peak: float = 0.75

    @property
    def hairs_per_mm2(self) -> float:
        """Shaved hairs per mm² on full hair."""
        return self.fu_per_cm2 * self.hairs_per_fu / 100.0

    def dot_area_mm2(self, diameter_mm: float) -> float:
        """Integral of a healed dot's coverage (mm²): its disc spread by the dermis, and
        the halo of its shadow."""
        core = (diameter_mm / 4.0) ** 2 + self.dermal_spread_mm**2
        return 2.0 * math.pi * (core + self.halo_peak * self.halo_mm**2)


SHAVED = ShavedOptics()


def hair_zone_reflectance(
    skin_linear: npt.ArrayLike, hair_linear: npt.ArrayLike, *, optics: ShavedOptics = SHAVED
) -> FloatArray:
    """Area-mean linear RGB of scalp with full shaved hair.

    >>> from smpstudio.colour import hex_to_srgb, srgb_to_linear
    >>> skin = srgb_to_linear(hex_to_srgb("#d7bd96"))
    >>> hair = srgb_to_linear(hex_to_srgb("#3e322b"))
    >>> (hair_zone_reflectance(skin, hair) / skin).round(3).tolist()
    [0.687, 0.685, 0.69]
    """
    skin = np.asarray(skin_linear, dtype=np.float64)
    hair = np.asarray(hair_linear, dtype=np.float64)
    n = optics.hairs_per_mm2
    absorb = np.clip(1.0 - hair / np.maximum(skin, 1e-6), 0.0, 1.0)
    buried = np.exp(-n * optics.buried_mm * optics.buried_width_mm * optics.buried_share * absorb)
    through = math.exp(-n * optics.stubble_mm * optics.shaft_mm * optics.stubble_opacity)
    return np.asarray(skin * buried * through + (1.0 - through) * hair, dtype=np.float64)


def treated_reflectance(
    skin_linear: npt.ArrayLike,
    strengths: npt.ArrayLike,
    shares: npt.ArrayLike,
    *,
    density_per_cm2: float,
    diameter_mm: float,
    optics: ShavedOptics = SHAVED,
) -> FloatArray:
    """Area-mean linear RGB of bald scalp under healed dots: ``strengths`` ``(K, 3)`` is
    the share of light each session's dots absorb (:meth:`PigmentModel.splat`) and
    ``shares`` the share of the dots each session lays."""
    k = np.asarray(strengths, dtype=np.float64).reshape(-1, 3)
    mean_k = np.asarray(shares, dtype=np.float64) @ k
    cover = density_per_cm2 / 100.0 * optics.dot_area_mm2(diameter_mm)
    return np.asarray(np.asarray(skin_linear, dtype=np.float64) * np.exp(-cover * mean_k))


@dataclass(frozen=True)
class BlendAdvice:
    """The body shade that blends the healed scalp with the remaining hair.

    Attributes
    ----------
    ml_water : float
        The body shade of the final session, mL of water per mL of pigment.
    chart_ml_water : float
        The dilution table's body shade for this skin and hair.
    delta_l : float
        Predicted L* of the healed treated scalp minus that of the shaved hair, seen from a
        metre (positive: the scalp stays lighter).
    limit : str or None
        What kept the shade from blending better: ``"natural"`` when a darker shade would
        pass the table's natural limit for this skin and hair, ``"hair"`` when a darker dot
        would be darker than the hair itself (or every dot would: the lightest shade is
        used), ``"lightest"`` when even the lightest shade leaves the scalp darker than the
        hair zone, ``"chart"`` when the chart's shade was kept over a lighter one that
        blends by the model (dark hair: photographed buzz cuts read darker than the model's
        hair), ``"visible"`` when the shade was darkened past the blend so that the
        treatment shows (the visibility floor); None otherwise.
    darkening_l : float
        Predicted L* of the bare skin minus that of the healed treated scalp (how much the
        treatment shows from a metre).
    blend_ml_water : float
        The shade that blends best within the limits, before the chart's shade and the
        visibility floor (equal to ``ml_water`` unless ``limit`` is ``"chart"`` or
        ``"visible"``).
    """

    ml_water: float
    chart_ml_water: float
    delta_l: float
    limit: str | None
    darkening_l: float
    blend_ml_water: float

    @property
    def notice(self) -> str | None:
        """What the practitioner should know, when the shade cannot blend: the scalp is
        predicted more than :data:`BLEND_TOLERANCE` off the hair, a limit holds the shade
        back by more than :data:`NOTICE_FROM`, or the visibility floor darkened it."""
        if self.limit == "visible":
            return self._visible_notice()
        if self.limit == "chart":
            return self._chart_notice()
        off = abs(self.delta_l)
        if off <= NOTICE_FROM or (off <= BLEND_TOLERANCE and self.limit is None):
            return None
        gap = f"{abs(self.delta_l):.0f} L*"
        if self.delta_l > 0:
            why = {
                "natural": "a darker pigment would look unnatural on this scalp (the darker the "
                "pigment compared to the scalp, the less natural)",
                "hair": "the dots may not be darker than the hair itself",
            }.get(self.limit or "", "the darkest shade is not dark enough")
            return (
                f"the healed scalp will read about {gap} lighter than the remaining hair: "
                f"{why}; add density or tell the client the result will be softer"
            )
        return (
            f"the healed scalp will read about {gap} darker than the remaining hair even with "
            f"the lightest shade ({self.ml_water:g} mL): the hair is lighter than the scalp "
            "and SMP can only darken it; use fewer impressions or show the client the preview"
        )

    def _chart_notice(self) -> str | None:
        """Said only when the chart's shade, kept over the lighter blend, is predicted
        more than :data:`BLEND_TOLERANCE` darker than the remaining hair."""
        if -self.delta_l <= BLEND_TOLERANCE:
            return None
        return (
            f"the chart's shade ({self.ml_water:g} mL) is kept: the model predicts the healed "
            f"scalp {abs(self.delta_l):.0f} L* darker than the remaining hair, but photographed "
            f"buzz cuts read darker than the model's; {self.blend_ml_water:g} mL would blend by "
            "the model: check the preview with the client"
        )

    def _visible_notice(self) -> str:
        """Why the shade is darker than the blend, and how much the treatment shows."""
        side = "darker" if self.delta_l < 0 else "lighter"
        faint = (
            "; that is still faint, as dark as the chart allows: add density for more"
            if self.darkening_l < VISIBLE_FROM
            else ""
        )
        return (
            f"the shade is darkened from {self.blend_ml_water:g} to {self.ml_water:g} mL so that "
            f"the treatment shows: the healed scalp will read {self.darkening_l:.1f} L* darker "
            f"than the bare skin and {abs(self.delta_l):.1f} L* {side} than the remaining hair, "
            f"which barely darkens this skin{faint}"
        )

    def to_dict(self) -> dict[str, object]:
        """Plain-Python fields, for JSON."""
        return {
            "ml_water": self.ml_water,
            "chart_ml_water": self.chart_ml_water,
            "blend_ml_water": self.blend_ml_water,
            "delta_L": round(self.delta_l, 2),
            "darkening_L": round(self.darkening_l, 2),
            "limit": self.limit,
            "notice": self.notice,
        }


def blend_shade(
    skin: SkinLike,
    hair: str | npt.ArrayLike,
    *,
    density_per_cm2: float,
    session_fractions: Sequence[float] = (1.0,),
    diameter_mm: float = 0.13,
    table: DilutionTable | None = None,
    model: PigmentModel = DEFAULT_MODEL,
    optics: ShavedOptics = SHAVED,
) -> BlendAdvice:
    """The body shade whose healed dots give bald scalp the shaved hair's lightness.

    Every shade of the table is tried as the final session's body shade (earlier sessions
    lighter by the table's session strengths, each laying its share of the dots, as
    :func:`smpstudio.dots.dilution_rule` mixes them); the one whose predicted area-mean
    L* comes nearest the hair zone's wins, among the shades no darker than the table's
    natural limit for this skin and hair (:func:`stubble_range`) and no darker than the
    hair itself.

    When the hair is no lighter than the skin (within :data:`DARK_HAIR_WITHIN`), the shade
    is never lighter than the chart's (photographed buzz cuts read darker than the model's
    hair); when it then leaves the treated scalp less than :data:`VISIBLE_FROM` darker than
    the bare skin,
    the visibility floor takes the lightest shade that reaches it, or else the darkest
    allowed: within the natural limit, and no darker than the hair unless the chart's own
    shade is (on dark skin the chart's near-black is the practice for dark hair).

    >>> advice = blend_shade([77.9, 3.47, 23.14], "dark-brown", density_per_cm2=80,
    ...                      session_fractions=(0.6, 0.9, 1.0))
    >>> advice.ml_water, advice.chart_ml_water, round(advice.delta_l, 1), advice.limit
    (4.0, 4.0, 0.2, None)
    >>> dark = blend_shade([14.6, 1.5, 3.5], "black", density_per_cm2=80,
    ...                    session_fractions=(0.6, 0.9, 1.0))  # Monk 10
    >>> dark.ml_water, dark.blend_ml_water, dark.chart_ml_water, dark.limit
    (0.0, 30.0, 0.0, 'chart')
    """
    scalp = _Scalp.of(
        skin,
        hair,
        density_per_cm2=density_per_cm2,
        session_fractions=session_fractions,
        diameter_mm=diameter_mm,
        table=table or DilutionTable.default(),
        model=model,
        optics=optics,
    )
    blended, limit = scalp.blend()
    charted = scalp.chart_floor(blended)
    shade = scalp.visibility_floor(charted)
    if shade != charted:
        limit = "visible"
    elif charted != blended:
        limit = "chart"
    treated = scalp.treated_l(shade)
    return BlendAdvice(
        shade, scalp.chart, treated - scalp.target, limit, float(scalp.lab[0]) - treated, blended
    )


@dataclass(frozen=True, kw_only=True)
class _Scalp:
    """One client's skin and hair, and a design's dots: what :func:`blend_shade` weighs."""

    lab: FloatArray
    hair_lab: FloatArray
    skin_linear: FloatArray
    target: float  # L* of the shaved hair zone
    natural: float  # the table's largest natural ΔL* of a dot against the skin
    chart: float  # the chart's shade for this skin and hair
    shares: FloatArray
    diameter_mm: float
    density_per_cm2: float
    table: DilutionTable
    model: PigmentModel
    optics: ShavedOptics

    @classmethod
    def of(
        cls,
        skin: SkinLike,
        hair: str | npt.ArrayLike,
        *,
        density_per_cm2: float,
        session_fractions: Sequence[float],
        diameter_mm: float,
        table: DilutionTable,
        model: PigmentModel,
        optics: ShavedOptics,
    ) -> _Scalp:
        lab = skin.lab if isinstance(skin, SkinTone) else np.asarray(skin, dtype=np.float64)
        hair_lab = hair_lightness_lab(hair, table)
        skin_linear = np.clip(lab_to_linear(lab), 0.0, None)
        hair_linear = np.clip(lab_to_linear(hair_lab), 0.0, None)
        zone = hair_zone_reflectance(skin_linear, hair_linear, optics=optics)
        fractions = np.asarray(session_fractions, dtype=np.float64)
        return cls(
            lab=lab,
            hair_lab=hair_lab,
            skin_linear=skin_linear,
            target=float(linear_to_lab(zone)[0]),
            natural=stubble_range(lab, hair_lab, table=table, model=model).high,
            chart=shade_for(
                table.chart_water(nearest_monk(lab)[0], float(hair_lab[0])), table=table
            ),
            shares=np.diff(np.concatenate([[0.0], fractions])),
            diameter_mm=diameter_mm,
            density_per_cm2=density_per_cm2,
            table=table,
            model=model,
            optics=optics,
        )

    def treated_l(self, shade: float) -> float:
        """Predicted L* of the healed treated scalp with ``shade`` as the body shade."""
        strengths = [
            self.model.splat(
                [shade_for(shade, session=k + 1, table=self.table)], [self.diameter_mm]
            )[0][0]
            for k in range(len(self.shares))
        ]
        mean = treated_reflectance(
            self.skin_linear,
            strengths,
            self.shares,
            density_per_cm2=self.density_per_cm2,
            diameter_mm=self.diameter_mm,
            optics=self.optics,
        )
        return float(linear_to_lab(mean)[0])

    def refused(self, shade: float) -> str | None:
        """The limit a dot of ``shade`` passes: ``"natural"``, ``"hair"`` or None."""
        dot = dot_lab(self.lab, shade, model=self.model)
        if self.lab[0] - dot[0] > self.natural + 1e-9:
            return "natural"
        return "hair" if dot[0] < self.hair_lab[0] else None

    def blend(self) -> tuple[float, str | None]:
        """The allowed shade nearest the hair zone's lightness, and the limit that kept it
        from blending better (:attr:`BlendAdvice.limit`)."""
        shades = self.table.shades_ml_water
        allowed = [shade for shade in shades if self.refused(shade) is None]
        if not allowed:  # even the lightest dot is darker than the hair
            return shades[-1], "hair"
        deltas = {shade: self.treated_l(shade) - self.target for shade in allowed}
        shade = min(allowed, key=lambda w: (abs(deltas[w]), w))
        delta = deltas[shade]
        if delta > NOTICE_FROM and shade == allowed[0] and shade > shades[0]:
            return shade, self.refused(max(w for w in shades if w < shade))
        if delta < -NOTICE_FROM and shade == shades[-1]:
            return shade, "lightest"
        return shade, None

    def floor_allows(self, shade: float) -> bool:
        """Whether the visibility floor may use ``shade``: within the natural limit, and no
        darker than the hair unless no darker than the chart's shade either (the chart
        follows practice: near-black for dark hair on dark skin, domain reference §5.4)."""
        refusal = self.refused(shade)
        return refusal is None or (refusal == "hair" and shade >= self.chart)

    @property
    def dark_hair(self) -> bool:
        """Whether the hair is no lighter than the skin (within :data:`DARK_HAIR_WITHIN`):
        where the chart's shade and the visibility floor apply."""
        return bool(self.hair_lab[0] <= float(self.lab[0]) + DARK_HAIR_WITHIN)

    def chart_floor(self, shade: float) -> float:
        """``shade``, or the chart's when that is darker and the hair is no lighter than the
        skin: photographed buzz cuts read darker than the model's hair (module notes)."""
        if not self.dark_hair:
            return shade
        if shade > self.chart and self.floor_allows(self.chart):
            return self.chart
        return shade

    def visibility_floor(self, shade: float) -> float:
        """``shade``, or a darker one so that the treatment shows (module docstring)."""
        skin_l = float(self.lab[0])
        if not self.dark_hair:
            return shade
        if self.treated_l(shade) <= skin_l - VISIBLE_FROM:
            return shade
        darker = [w for w in self.table.shades_ml_water if w < shade and self.floor_allows(w)]
        showing = [w for w in darker if self.treated_l(w) <= skin_l - VISIBLE_FROM]
        if showing:
            return max(showing)
        return min(darker, default=shade)
