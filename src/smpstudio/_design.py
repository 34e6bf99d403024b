"""A complete design: head, hair-loss pattern, scars, hairline and target density."""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from smpstudio._errors import InputError, PatternError
from smpstudio._settings import Settings
from smpstudio._types import BoolArray, FloatArray
from smpstudio._version import __version__
from smpstudio.density import ZONES, DensityField, FieldSample
from smpstudio.hairline import Hairline, design_hairline
from smpstudio.head import FaceMorphs, HeadMeasures, VirtualHead
from smpstudio.loss import (
    MAX_COORDINATE_MM,
    LossPattern,
    Patch,
    Scar,
    loss_pattern,
    parse_scar,
)

__all__ = [
    "DESIGN_SCHEMA",
    "HAIR_LENGTH_RANGE_MM",
    "LONG_HAIR_DEFAULT_MM",
    "Design",
    "DesignSummary",
    "design",
    "design_from_inputs",
    "load_design",
]

DESIGN_SCHEMA = "smpstudio/design@1"
AREATA_RADIUS_MM = (3.0, 60.0)
UNTREATED_WARNING_SHARE = 0.10
"""Bald or thinning scalp behind the hairline left without impressions is a warning above this
share of the bald and thinning area."""
HAIR_LENGTH_RANGE_MM = (0.0, 300.0)
"""Length of the client's remaining hair: 0 is freshly shaved (a buzz cut), 300 mm reaches
well below the shoulders."""
LONG_HAIR_DEFAULT_MM = 150.0
"""Hair length when none is given for female-pattern (Ludwig) and diffuse thinning: these
clients keep their hair (shoulder length, 15 cm) and are never shown with a buzz cut unless
they ask for it. Norwood, areata and scar-only designs default to 0 (shaved), as SMP there
reproduces a shaved head."""


@dataclass(frozen=True)
class DesignSummary:
    """Areas (cm²) and impression counts of a design, integrated over the head mesh."""

    scalp_area_cm2: float
    bald_cm2: float
    thinning_cm2: float
    hair_cm2: float
    treatment_cm2: float
    zone_cm2: dict[str, float]
    impressions: tuple[int, ...]  # cumulative target after each session
    untreated_behind_cm2: float = 0.0  # bald or thinning, behind the hairline, no impressions

    @property
    def untreated_behind_share(self) -> float:
        """Untreated share of the bald and thinning scalp behind the hairline."""
        loss = self.bald_cm2 + self.thinning_cm2
        return self.untreated_behind_cm2 / loss if loss > 0 else 0.0


@dataclass(frozen=True, eq=False)
class Design:
    """Everything decided at the consultation, ready for dot placement, rendering and plans.

    Build it with :func:`design`.
    """

    inputs: dict[str, Any]
    head: VirtualHead
    pattern: LossPattern
    hairline: Hairline
    scars: tuple[Scar, ...]
    settings: Settings

    @property
    def hair_length_mm(self) -> float:
        """Length of the client's remaining hair (mm): 0 shaved, up to 300."""
        return float(self.inputs["hair_length_mm"])

    @cached_property
    def field(self) -> DensityField:
        return DensityField(self.head, self.pattern, self.hairline, self.scars, self.settings)

    @cached_property
    def summary(self) -> DesignSummary:
        mesh = self.head.mesh
        points = self.head.shape.project(mesh.centroids)
        sample = self.field.sample(points)
        area = mesh.triangle_areas / 100.0
        natural = self.head.natural_scalp_mask(points)
        s = self.settings
        cov = sample.coverage
        zone = sample.zone
        zones = {
            name: _sum(area, zone == code) for code, name in enumerate(ZONES) if name != "none"
        }
        final = float(np.dot(area, sample.density))
        untreated = self.untreated_behind_hairline(points, sample, natural=natural)
        return DesignSummary(
            scalp_area_cm2=_sum(area, natural),
            bald_cm2=_sum(area, natural & (cov < s.coverage_bald_below)),
            thinning_cm2=_sum(
                area, natural & (cov >= s.coverage_bald_below) & (cov < s.coverage_hair_from)
            ),
            hair_cm2=_sum(area, natural & (cov >= s.coverage_hair_from)),
            treatment_cm2=_sum(area, sample.density > 0),
            zone_cm2=zones,
            impressions=tuple(round(final * f) for f in s.session_fractions),
            untreated_behind_cm2=_sum(area, untreated),
        )

    def untreated_behind_hairline(
        self, points: FloatArray, sample: FieldSample, *, natural: BoolArray | None = None
    ) -> BoolArray:
        """Bald or thinning natural scalp behind the hairline that gets no impressions.

        ``sample`` is :meth:`DensityField.sample` of ``points`` (not lazy). Behind the
        hairline means not forehead: behind the designed line, or lateral of the lateral
        canthus lines, where the temples and sides carry hair on a full head (the
        fronto-temporal angle stays on the lateral epicanthal line, domain reference §2.2).
        """
        if natural is None:
            natural = self.head.natural_scalp_mask(points)
        lateral = np.abs(points[..., 0]) >= self.head.measures.canthal_width_mm / 2.0
        behind = (sample.hairline_mm >= 0.0) | lateral
        loss = natural & (sample.coverage < self.settings.coverage_hair_from)
        return np.asarray(loss & behind & (sample.density <= 0.0), dtype=np.bool_)

    @property
    def warnings(self) -> list[str]:
        """What the practitioner should know before going on with this design."""
        summ = self.summary
        out: list[str] = []
        if summ.untreated_behind_share > UNTREATED_WARNING_SHARE:
            out.append(
                f"{summ.untreated_behind_cm2:.1f} cm² of bald or thinning scalp behind the "
                f"hairline ({summ.untreated_behind_share:.0%} of the "
                f"{summ.bald_cm2 + summ.thinning_cm2:.1f} cm² bald and thinning) gets no "
                "impressions: check the temples and the hairline, or tell the client these "
                "areas stay as they are"
            )
        return out

    @property
    def landmarks(self) -> dict[str, tuple[float, float, float]]:
        right, left = self.hairline.temporal_points
        return {
            **self.head.landmarks,
            "mid_frontal_point": self.hairline.mid_frontal_point,
            "temporal_point_left": left,
            "temporal_point_right": right,
        }

    def to_dict(self) -> dict[str, Any]:
        """The content of ``design.json``."""
        summ = self.summary
        s = self.settings
        full = s.density_full_per_cm2
        per_session = [summ.impressions[0]] + [
            b - a for a, b in zip(summ.impressions, summ.impressions[1:], strict=False)
        ]
        return {
            "schema": DESIGN_SCHEMA,
            "smpstudio_version": __version__,
            "inputs": self.inputs,
            "head": {
                "measures_mm": self.head.measures.to_dict(),
                "surface": {
                    k: round(v, 6) for k, v in vars(self.head.shape).items() if isinstance(v, float)
                },
            },
            "scalp_area_cm2": round(summ.scalp_area_cm2, 2),
            "areas_cm2": {
                "bald": round(summ.bald_cm2, 2),
                "thinning": round(summ.thinning_cm2, 2),
                "hair": round(summ.hair_cm2, 2),
                "treatment": round(summ.treatment_cm2, 2),
                "untreated_behind_hairline": round(summ.untreated_behind_cm2, 2),
                "by_zone": {k: round(v, 2) for k, v in summ.zone_cm2.items()},
            },
            "warnings": self.warnings,
            "hairline": self.hairline.to_dict(),
            "landmarks_mm": {k: [round(c, 3) for c in v] for k, v in self.landmarks.items()},
            "density_per_cm2": {
                "full": full,
                "sessions": [round(full * f, 3) for f in s.session_fractions],
                "session_fractions": list(s.session_fractions),
                "scar": round(full * s.scar_overfill, 3),
                "transition_edge": round(full * s.transition_edge_fraction, 3),
            },
            "impressions_estimate": {
                "cumulative": list(summ.impressions),
                "per_session": per_session,
                "total": summ.impressions[-1],
            },
            "pattern": self.pattern.name,
            "scars": [scar.to_dict() for scar in self.scars],
            "settings": s.to_dict(),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _sum(area: FloatArray, mask: BoolArray) -> float:
    return float(area[mask].sum())


def design(
    *,
    pattern: str,
    hairline: str,
    hairline_height_cm: float | None = None,
    hairline_rule: str = "fixed",
    hairline_shape: str | None = None,
    hairline_profile: Sequence[float] | None = None,
    temporal_rise_mm: float | None = None,
    head: str | HeadMeasures = "M",
    scars: Sequence[str] = (),
    areata: Sequence[tuple[float, float, float, float]] = (),
    seed: int = 0,
    settings: Settings | None = None,
    hair_length_mm: float | None = None,
    sex: str = "male",
    age_years: float = 35.0,
    head_morphs: Mapping[str, float] | None = None,
) -> Design:
    """Build a design from what the practitioner and client chose.

    Parameters
    ----------
    pattern
        Hair-loss pattern: ``norwood-1`` … ``norwood-7`` (with ``-2a``, ``-3a``, ``-3v``,
        ``-4a``, ``-5a``), ``ludwig-1`` … ``ludwig-3``, ``diffuse`` or ``none``.
    hairline
        Hairline style: ``soft``, ``broken``, ``medium`` or ``defined``.
    hairline_height_cm
        Mid-frontal height above the glabella along the skin (5–11 cm; 8 cm if omitted).
    hairline_rule
        ``fixed`` (the height above), ``thirds`` (facial thirds) or ``original``.
    hairline_shape
        ``rounded``, ``flat``, ``widows-peak`` or ``original`` (style default if omitted).
    hairline_profile
        The designer's three control points of the frontal curve (share of the temporal
        rise at 1/4, 1/2 and 3/4 of the way to the temporal point); see
        :func:`~smpstudio.hairline.design_hairline`.
    temporal_rise_mm
        Skin between the mid-frontal level and the temporal points (0–35 mm).
    head
        Preset ``S``, ``M`` or ``L``, or :class:`~smpstudio.head.HeadMeasures`.
    scars
        Scar specifications such as ``fut:width=2`` or ``line:width=3:points=...``.
    areata
        Alopecia areata patches as ``(x, y, z, radius)`` in mm; centres are projected onto
        the scalp.
    seed
        Seed for every random choice (hairline irregularity, FUE scar positions).
    settings
        Clinic settings (defaults when omitted).
    hair_length_mm
        Length of the client's remaining hair, 0 (shaved, a buzz cut) to 300 mm. When
        omitted: :data:`LONG_HAIR_DEFAULT_MM` (150 mm) for ``ludwig-*`` and ``diffuse``,
        whose clients keep their hair, and 0 for the others. The renders draw the hair at
        this length, the impressions showing where the scalp shows between the hairs.
    sex, age_years, head_morphs
        The client's face under the scalp: ``male`` or ``female``, 18–90 years, and weights
        0–1 of :data:`~smpstudio.head.MORPH_NAMES` (ancestries and face outlines). They
        change the renders only; the defaults (a man of 35, mixed ancestry) are not recorded.

    Examples
    --------
    >>> d = design(pattern="norwood-5", hairline="soft", seed=1)
    >>> d.hairline.height_cm
    8.0
    >>> d.summary.bald_cm2 > d.summary.thinning_cm2 > 0
    True
    """
    settings = settings or Settings()
    settings.check()
    measures = head if isinstance(head, HeadMeasures) else HeadMeasures.preset(head)
    face = FaceMorphs(sex=sex, age_years=age_years, morphs=dict(head_morphs or {}))
    virtual_head = _virtual_head(measures, face)
    patches = tuple(_areata_patch(virtual_head, spec) for spec in areata)
    loss = loss_pattern(pattern).with_patches(patches)
    line = design_hairline(
        virtual_head,
        style=hairline,
        height_cm=hairline_height_cm,
        rule=hairline_rule,
        shape=hairline_shape,
        profile=hairline_profile,
        temporal_rise_mm=temporal_rise_mm,
        seed=seed,
        settings=settings,
    )
    scar_list = tuple(parse_scar(spec, virtual_head, seed=seed) for spec in scars)
    length = _hair_length(hair_length_mm, loss.name)
    inputs = {
        "pattern": loss.name,
        "hairline": line.style.name,
        "hairline_height_cm": hairline_height_cm,
        "hairline_rule": line.rule,
        "hairline_shape": hairline_shape,
        "hairline_profile": None if hairline_profile is None else list(hairline_profile),
        "temporal_rise_mm": temporal_rise_mm,
        "head": head if isinstance(head, str) else "custom",
        "head_measures_mm": measures.to_dict(),
        "scars": list(scars),
        "areata": [list(a) for a in areata],
        "seed": seed,
        "hair_length_mm": length,
        "settings": _changed_settings(settings),
    }
    if face != FaceMorphs():  # designs of the default face read as before the face existed
        inputs["face"] = face.to_dict()
    return Design(inputs, virtual_head, loss, line, scar_list, settings)


def design_from_inputs(inputs: Mapping[str, Any]) -> Design:
    """Rebuild a design from the ``inputs`` recorded in its ``design.json``.

    >>> d = design(pattern="norwood-4", hairline="broken", scars=["fut"], seed=3)
    >>> again = design_from_inputs(json.loads(d.to_json())["inputs"])
    >>> again.to_json() == d.to_json()
    True
    """
    try:
        _check_input_types(inputs)
        measures = HeadMeasures(**inputs["head_measures_mm"])
        head: str | HeadMeasures = inputs["head"] if inputs["head"] in ("S", "M", "L") else measures
        return design(
            pattern=inputs["pattern"],
            hairline=inputs["hairline"],
            hairline_height_cm=inputs.get("hairline_height_cm"),
            hairline_rule=inputs.get("hairline_rule", "fixed"),
            hairline_shape=inputs.get("hairline_shape"),
            hairline_profile=inputs.get("hairline_profile"),
            temporal_rise_mm=inputs.get("temporal_rise_mm"),
            head=head,
            scars=list(inputs.get("scars", [])),
            areata=[tuple(a) for a in inputs.get("areata", [])],
            seed=int(inputs.get("seed", 0)),
            settings=Settings.from_overrides(inputs.get("settings", {})),
            hair_length_mm=inputs.get("hair_length_mm"),
            **_face_options(inputs.get("face", {})),
        )
    except (KeyError, TypeError) as exc:
        raise InputError(
            f"the design's inputs are incomplete or malformed ({exc!s}): "
            "write it again with 'smpstudio design'"
        ) from None


# The JSON type of each recorded input ("?": null allowed); values are checked by design().
_INPUT_TYPES = {
    "pattern": "text",
    "hairline": "text",
    "hairline_height_cm": "number?",
    "hairline_rule": "text",
    "hairline_shape": "text?",
    "hairline_profile": "numbers?",
    "temporal_rise_mm": "number?",
    "head": "text",
    "head_measures_mm": "measures",
    "scars": "texts",
    "areata": "patches",
    "seed": "integer",
    "hair_length_mm": "number?",
    "settings": "object",
    "face": "object",
}


def _face_options(face: Mapping[str, Any]) -> dict[str, Any]:
    """The face recorded in a design's inputs as :func:`design` keywords."""
    unknown = set(face) - {"sex", "age_years", "morphs"}
    if unknown:
        raise TypeError(f"face has unknown keys {', '.join(sorted(unknown))}")
    return {
        "sex": face.get("sex", "male"),
        "age_years": face.get("age_years", 35.0),
        "head_morphs": face.get("morphs", {}),
    }


def _check_input_types(inputs: Any) -> None:
    """Raise TypeError when ``inputs`` does not hold the JSON types :func:`design` records."""
    if not isinstance(inputs, Mapping):
        raise TypeError(f"inputs is {_json_type(inputs)}, not an object")
    for name, kind in _INPUT_TYPES.items():
        if name in inputs and not _has_type(inputs[name], kind):
            raise TypeError(f"{name} is {_json_type(inputs[name])}, not {kind.rstrip('?')}")


def _has_type(value: Any, kind: str) -> bool:
    if value is None:
        return kind.endswith("?")
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return {
        "text": isinstance(value, str),
        "number": number,
        "integer": number and isinstance(value, int),
        "object": isinstance(value, dict),
        "numbers": isinstance(value, list) and all(_has_type(v, "number") for v in value),
        "texts": isinstance(value, list) and all(isinstance(v, str) for v in value),
        "patches": isinstance(value, list) and all(_has_type(v, "numbers") for v in value),
        "measures": isinstance(value, dict) and all(_has_type(v, "number") for v in value.values()),
    }[kind.rstrip("?")]


def _json_type(value: Any) -> str:
    kinds: tuple[tuple[Any, str], ...] = (
        (bool, "a boolean"),
        (int | float, "a number"),
        (str, "text"),
        (list, "a list"),
        (dict, "an object"),
    )
    return next((name for kind, name in kinds if isinstance(value, kind)), "null")


def load_design(path: str | Path) -> Design:
    """Read a ``design.json`` written by smpstudio and rebuild the design."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"design file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        # ValueError: also an integer of more than 4,300 digits; RecursionError: deep nesting
        raise InputError(f"design file {path} is not readable JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("schema") != DESIGN_SCHEMA:
        raise InputError(f"{path} is not a smpstudio design (expected schema {DESIGN_SCHEMA})")
    return design_from_inputs(data.get("inputs", {}))


def keeps_long_hair(pattern: str) -> bool:
    """True for the patterns whose clients keep their hair: Ludwig and diffuse thinning."""
    return pattern.startswith("ludwig-") or pattern == "diffuse"


def _hair_length(value: float | None, pattern: str) -> float:
    if value is None:
        return LONG_HAIR_DEFAULT_MM if keeps_long_hair(pattern) else 0.0
    low, high = HAIR_LENGTH_RANGE_MM
    number = (
        float(value) if isinstance(value, int | float) and not isinstance(value, bool) else math.nan
    )
    if not low <= number <= high:  # also NaN, and what is not a number
        raise InputError(
            f"hair length {value!r} mm is outside {low:g}–{high:g} mm: give 0 for a shaved "
            f"head (buzz cut) up to {high:g}, e.g. {LONG_HAIR_DEFAULT_MM:g} for shoulder length"
        )
    return number


def _changed_settings(settings: Settings) -> dict[str, Any]:
    return copy.deepcopy(_settings_changes(settings))


@lru_cache(maxsize=16)
def _settings_changes(settings: Settings) -> dict[str, Any]:
    default = Settings().to_dict()
    return {k: v for k, v in settings.to_dict().items() if default[k] != v}


@lru_cache(maxsize=8)
def _virtual_head(measures: HeadMeasures, face: FaceMorphs) -> VirtualHead:
    """One head per set of measures and face, shared by designs (its mesh and tables are
    costly and never change), so a dragged hairline does not rebuild the head."""
    return VirtualHead(measures, sex=face.sex, age_years=face.age_years, morphs=dict(face.morphs))


def _areata_patch(head: VirtualHead, spec: tuple[float, float, float, float]) -> Patch:
    if len(spec) != 4 or not all(isinstance(v, int | float) and math.isfinite(v) for v in spec):
        raise PatternError(
            f"alopecia areata patch {spec!r} must be four numbers X,Y,Z,RADIUS in mm"
        )
    x, y, z, radius = (float(v) for v in spec)
    if max(abs(x), abs(y), abs(z)) > MAX_COORDINATE_MM:
        raise PatternError(
            f"alopecia areata patch centre ({x:g}, {y:g}, {z:g}) is more than "
            f"{MAX_COORDINATE_MM:g} mm from the head centre on an axis: give millimetres"
        )
    low, high = AREATA_RADIUS_MM
    if not low <= radius <= high:
        raise PatternError(
            f"alopecia areata patch radius {radius:g} mm is outside {low:g}–{high:g} mm"
        )
    if math.hypot(x, y, z) < 1.0:
        raise PatternError("an alopecia areata patch centre at the head centre cannot be projected")
    centre = head.shape.project(np.array([[x, y, z]]))
    if not head.natural_scalp_mask(centre)[0]:
        raise PatternError(f"alopecia areata patch centre ({x:g}, {y:g}, {z:g}) lies off the scalp")
    c = centre[0]
    return Patch((float(c[0]), float(c[1]), float(c[2])), radius)
