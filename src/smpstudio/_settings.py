"""The one declared list of clinic-configurable settings.

Every value that a source does not fix, or that sources disagree on, is a setting here, with
its unit, its allowed range and why it has its default. The same list drives
``smpstudio settings``, ``--set NAME=VALUE`` on the command line, and ``docs/settings.md``
(a test fails when a setting is missing from the docs).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from smpstudio._errors import SettingError

__all__ = [
    "SESSION_PRESETS",
    "TEXT_SETTING_MAX_LEN",
    "SettingSpec",
    "Settings",
    "format_default",
    "parse_session_fractions",
    "setting_range",
    "setting_specs",
    "settings_markdown",
]

SESSION_PRESETS: dict[str, tuple[float, ...]] = {
    "standard": (0.6, 0.9, 1.0),
    "liu-2025": (0.3, 0.7, 1.0),
}
"""Cumulative share of the final impressions reached after each session.

``standard``: session 1 lays most of the pigment, 2 shades and defines, 3 adjusts.
``liu-2025``: 30 % → 70 % → 100 % of natural follicular spacing (Liu et al., J Cosmet
Dermatol 2025;24(9):e70375).
"""


@dataclass(frozen=True)
class SettingSpec:
    """Description of one setting: its name, default, unit, range and rationale."""

    name: str
    default: Any
    unit: str
    help: str
    minimum: float | None
    maximum: float | None
    choices: tuple[str, ...] = ()


TEXT_SETTING_MAX_LEN = 254
"""Longest value of a text setting (an e-mail address, a host name)."""


def _setting(
    default: Any,
    *,
    unit: str,
    help: str,
    minimum: float | None = None,
    maximum: float | None = None,
    choices: tuple[str, ...] = (),
) -> Any:
    meta = {"unit": unit, "help": help, "minimum": minimum, "maximum": maximum, "choices": choices}
    return field(default=default, metadata=meta)


def parse_session_fractions(text: str) -> tuple[float, ...]:
    """Parse a session plan: a preset name or comma-separated cumulative fractions.

    >>> parse_session_fractions("liu-2025")
    (0.3, 0.7, 1.0)
    >>> parse_session_fractions("0.5, 0.8, 0.95, 1")
    (0.5, 0.8, 0.95, 1.0)
    """
    key = text.strip().lower()
    if key in SESSION_PRESETS:
        return SESSION_PRESETS[key]
    try:
        values = tuple(float(part) for part in key.split(","))
    except ValueError:
        names = ", ".join(SESSION_PRESETS)
        raise SettingError(
            f"session plan {text!r} is neither a preset ({names}) nor a list like 0.6,0.9,1.0"
        ) from None
    _check_session_fractions(values)
    return values


def _check_session_fractions(values: tuple[float, ...]) -> None:
    if not 1 <= len(values) <= 6:
        raise SettingError(f"a session plan has 1 to 6 sessions, got {len(values)}")
    if any(not math.isfinite(v) or v <= 0 for v in values):
        raise SettingError("session fractions must be positive numbers, e.g. 0.6,0.9,1.0")
    if any(b <= a for a, b in itertools.pairwise(values)):
        raise SettingError(f"session fractions must increase from session to session: {values}")
    if abs(values[-1] - 1.0) > 1e-9:
        raise SettingError(
            f"the last session must reach 1.0 (100 % of the design), got {values[-1]}"
        )


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Clinic settings with their defaults. Build with :meth:`Settings.from_overrides`."""

    density_full_per_cm2: float = _setting(
        80.0,
        unit="impressions/cm²",
        minimum=20.0,
        maximum=150.0,
        help="Final impression density on bald scalp. Natural follicular-unit density is "
        "65–100 FU/cm² (sourced range 45–120); 80 sits mid-range, about 1.1 mm between dots.",
    )
    session_fractions: tuple[float, ...] = _setting(
        SESSION_PRESETS["standard"],
        unit="cumulative share",
        help="Share of the final impressions reached after each session, e.g. 0.6,0.9,1.0 "
        "(session 1 lays most of the pigment) or the preset liu-2025 (0.3,0.7,1.0).",
    )
    coverage_bald_below: float = _setting(
        0.2,
        unit="coverage",
        minimum=0.0,
        maximum=0.5,
        help="Remaining-hair coverage under which scalp counts as bald (full SMP density).",
    )
    coverage_hair_from: float = _setting(
        0.8,
        unit="coverage",
        minimum=0.5,
        maximum=1.0,
        help="Coverage from which scalp counts as hair-bearing (no SMP). Between the two "
        "thresholds scalp is thinning and receives density enhancement between the hairs.",
    )
    pattern_edge_mm: float = _setting(
        12.0,
        unit="mm",
        minimum=2.0,
        maximum=40.0,
        help="Width of the soft edge (thinning margin) around each bald area of a pattern.",
    )
    scar_overfill: float = _setting(
        1.25,
        unit="× full density",
        minimum=1.0,
        maximum=2.0,
        help="Density on scar tissue relative to full density: scars take pigment less "
        "evenly and are over-filled so that they vanish.",
    )
    hairline_height_default_cm: float = _setting(
        8.0,
        unit="cm",
        minimum=5.0,
        maximum=11.0,
        help="Mid-frontal hairline height above the glabella along the skin when none is "
        "given: about 8 cm (four finger-breadths) for a mature male hairline.",
    )
    hairline_height_min_cm: float = _setting(
        5.0, unit="cm", minimum=3.0, maximum=8.0, help="Lowest hairline height accepted."
    )
    hairline_height_max_cm: float = _setting(
        11.0, unit="cm", minimum=8.0, maximum=14.0, help="Highest hairline height accepted."
    )
    hairline_temporal_rise_mm: float = _setting(
        15.0,
        unit="mm",
        minimum=0.0,
        maximum=35.0,
        help="Where the temporal points sit on the lateral canthus lines: this much skin above "
        "the level of the mid-frontal point (rounded shape; flat keeps 30 %). The midpoint "
        "sits lower than the temporal points; a level line looks like a bowl.",
    )
    hairline_temporal_peak_mm: float = _setting(
        0.0,
        unit="mm",
        minimum=0.0,
        maximum=25.0,
        help="The rebuilt temple: from each temporal point the temporal hairline runs down to "
        "the natural temple edge this far lateral of the lateral canthus line, then follows "
        "that edge, so receded temples behind it are treated. 0 runs straight down the "
        "canthus line (the fronto-temporal angle stays on it and nothing lateral of it is "
        "left as forehead); Nusbaum puts the temporal point about 1 cm from the canthus "
        "vertical.",
    )
    widows_peak_depth_mm: float = _setting(
        8.0,
        unit="mm",
        minimum=2.0,
        maximum=20.0,
        help="How far the widow's peak reaches below the rest of the frontal hairline.",
    )
    transition_soft_mm: float = _setting(
        10.0,
        unit="mm",
        minimum=1.0,
        maximum=25.0,
        help="Transition-zone depth of the soft style (sources: 5–10 mm, up to 2 cm deep).",
    )
    transition_broken_mm: float = _setting(
        10.0, unit="mm", minimum=1.0, maximum=25.0, help="Transition-zone depth, broken style."
    )
    transition_medium_mm: float = _setting(
        5.0, unit="mm", minimum=1.0, maximum=25.0, help="Transition-zone depth, medium style."
    )
    transition_defined_mm: float = _setting(
        1.5,
        unit="mm",
        minimum=0.5,
        maximum=5.0,
        help="Transition-zone depth of the defined style: a crisp edge within about 1–2 mm.",
    )
    transition_edge_fraction: float = _setting(
        0.35,
        unit="× full density",
        minimum=0.1,
        maximum=1.0,
        help="Density at the leading edge of the transition zone (about 30–50 % of the core "
        "density), rising to full density at the back of the zone.",
    )
    sentinel_band_mm: float = _setting(
        3.0,
        unit="mm",
        minimum=0.0,
        maximum=6.0,
        help="How far ahead of the hairline sentinel dots may stand (single hairs 1–3 mm in "
        "front of the line blur it).",
    )
    broken_scatter_mm: float = _setting(
        6.0,
        unit="mm",
        minimum=0.0,
        maximum=12.0,
        help="How far ahead of the hairline the broken style scatters isolated dots.",
    )

    dot_diameter_body_mm: float = _setting(
        0.13,
        unit="mm",
        minimum=0.06,
        maximum=0.25,
        help="Healed impression diameter in the body of the treatment (healed dots are about "
        "0.10–0.15 mm; fresh ones up to 0.25 mm).",
    )
    dot_diameter_hairline_mm: float = _setting(
        0.10,
        unit="mm",
        minimum=0.06,
        maximum=0.25,
        help="Healed diameter at the very front of the hairline and for sentinels; the "
        "transition zone grows from this to the body diameter.",
    )
    dot_diameter_jitter_mm: float = _setting(
        0.01,
        unit="mm",
        minimum=0.0,
        maximum=0.03,
        help="Largest random deviation of a dot's diameter (hand pressure varies; no two "
        "follicles look alike).",
    )
    shaved_stubble_mm: float = _setting(
        0.8,
        unit="mm",
        minimum=0.1,
        maximum=1.6,
        help="Stubble of a shaved head (hair length 0), as drawn on the remaining hair and "
        "matched by the blended shade: 0.8 mm, a 0-guard buzz cut (clippers with no guard "
        "leave 0.5–1 mm, 0.8 mm in one chart; a #0.5 guard 1.5 mm). A razor's shave is "
        "0.35 mm a day later (hair grows about 0.35 mm a day).",
    )

    # --- sessions (shared by the plan and the clinic's scheduling) ---
    session_spacing_days: float = _setting(
        14.0,
        unit="days",
        minimum=7.0,
        maximum=30.0,
        help="Planned days between sessions (sources: 10–30 days, about two weeks; wait "
        "longer while scabs persist).",
    )
    session_spacing_min_days: float = _setting(
        7.0,
        unit="days",
        minimum=7.0,
        maximum=30.0,
        help="Fewest days between two sessions; never under 7 (skalptec).",
    )
    session_spacing_max_days: float = _setting(
        30.0,
        unit="days",
        minimum=10.0,
        maximum=90.0,
        help="Most days between two planned sessions before the plan warns.",
    )
    session_min_hours: float = _setting(
        2.0, unit="h", minimum=0.5, maximum=4.0, help="Shortest session booked."
    )
    session_max_hours: float = _setting(
        4.0,
        unit="h",
        minimum=1.0,
        maximum=6.0,
        help="Longest session; a longer one is split, never silently overrun (sources: 2–4 h, "
        "up to 5 h).",
    )

    # --- plan (added by the plan module) ---
    plan_rate_body_per_hour: float = _setting(
        3500.0,
        unit="impressions/h",
        minimum=500.0,
        maximum=10000.0,
        help="Impressions an SMP practitioner places per hour with the 3RL needle (body, "
        "enhancement). [D] One clinic places about 14,000 impressions in a 2–4 h session "
        "(jonathangerow.com), 3,500–7,000 an hour; the default is the cautious end.",
    )
    plan_rate_fine_per_hour: float = _setting(
        1750.0,
        unit="impressions/h",
        minimum=250.0,
        maximum=10000.0,
        help="Impressions per hour with the 1RL needle (transition zone, sentinels, scars): fine "
        "work is slower. [U] half the body rate.",
    )
    plan_setup_first_minutes: float = _setting(
        45.0,
        unit="min",
        minimum=0.0,
        maximum=120.0,
        help="Setup time of the first appointment: photos, drawing the hairline, mixing the "
        "pigment, numbing. The first session is usually the longest and the hairline is drawn "
        "before starting (syndication.cloud); the minutes are [U].",
    )
    plan_setup_minutes: float = _setting(
        20.0,
        unit="min",
        minimum=0.0,
        maximum=120.0,
        help="Setup time of every later appointment (cleaning, pigment, checking the healed "
        "result). [U]",
    )
    plan_split_gap_days: float = _setting(
        1.0,
        unit="days",
        minimum=1.0,
        maximum=14.0,
        help="Days between the parts of a session split because it would exceed "
        "session_max_hours; the parts treat different areas (front first). [U]",
    )
    plan_extra_session_share: float = _setting(
        0.15,
        unit="share of impressions",
        minimum=0.0,
        maximum=1.0,
        help="A 4th session (scars, alopecia, very dry, sensitive or thick skin: "
        "smphaircreations.com; about 20 % of clients, scalpguru.com) re-works every scar "
        "impression and this share of the others, with the final session's shades. [U]",
    )
    plan_retention_darker_below: float = _setting(
        75.0,
        unit="% retained",
        minimum=0.0,
        maximum=100.0,
        help="Re-plan: a zone that kept less of a session's impressions than this gets the next "
        "darker shade of the dilution chart in the remaining sessions (sessions build darker; "
        "one step at a time, you can't go backwards: fullscalp.com). [U]",
    )
    plan_retention_ok_percent: float = _setting(
        90.0,
        unit="% retained",
        minimum=50.0,
        maximum=100.0,
        help="Re-plan: after the last session, a zone that kept less than this adds one more "
        "session to re-work what did not hold; above it the result stands. [U]",
    )
    plan_healed_after_days: float = _setting(
        28.0,
        unit="days",
        minimum=7.0,
        maximum=90.0,
        help="Days after the last session from which the pigment counts as healed, the start of "
        "the fading clock for the touch-up reminder (one epidermal turnover, domain reference "
        "§1.3).",
    )
    plan_touch_up_contrast_drop: float = _setting(
        0.30,
        unit="share of ΔL*",
        minimum=0.05,
        maximum=0.8,
        help="Touch-up reminder when the healed dots' contrast has faded by this share (colour "
        "model, docs/colour.md; gives 3–5 years for typical shades: sources 2–6 years). [U]",
    )
    plan_cost_per_graft_low: float = _setting(
        4.0,
        unit="currency/graft",
        minimum=0.5,
        maximum=50.0,
        help="Lowest hair-transplant price per graft, for the comparison beside the SMP cost, in "
        "the price table's currency. [U] (costevaluation.com: $4–6; hairtransplantnetwork.com: "
        "$5–10).",
    )
    plan_cost_per_graft_high: float = _setting(
        10.0,
        unit="currency/graft",
        minimum=0.5,
        maximum=50.0,
        help="Highest hair-transplant price per graft. [U] (see plan_cost_per_graft_low).",
    )
    aftercare_shower_before_hours: float = _setting(
        12.0,
        unit="h",
        minimum=0.0,
        maximum=48.0,
        help="Aftercare: shower and wash the scalp within this many hours before each session, "
        "since it must stay dry for days afterwards; 0 leaves the reminder out. [U]",
    )
    aftercare_dry_days: float = _setting(
        4.0,
        unit="days",
        minimum=0.0,
        maximum=14.0,
        help="Aftercare: keep the scalp dry of water and sweat for this many days after each "
        "session (sources: 3, 4 or 5 days; domain reference §7.1).",
    )
    aftercare_sun_days: float = _setting(
        4.0,
        unit="days",
        minimum=0.0,
        maximum=60.0,
        help="Aftercare: days after each session with sun limited to aftercare_sun_hours a day, "
        "cap on (sources: none for 4 days, then at most 1 h; §7.1).",
    )
    aftercare_sun_hours: float = _setting(
        1.0,
        unit="h/day",
        minimum=0.0,
        maximum=8.0,
        help="Aftercare: most sun a day during aftercare_sun_days, with a cap on (≤ 1 h, 45 min "
        "for very fair skin; §7.1).",
    )
    aftercare_no_swim_days: float = _setting(
        30.0,
        unit="days",
        minimum=0.0,
        maximum=90.0,
        help="Aftercare: no swimming, sauna or steam room for this many days after each session "
        "(sources: 28–30 days, chlorine 1 month; §7.1).",
    )
    aftercare_no_exercise_days: float = _setting(
        5.0,
        unit="days",
        minimum=0.0,
        maximum=30.0,
        help="Aftercare: no heavy exercise (sweating) for this many days after each session "
        "(sources: 5 days, light from day 4, 10 days; §7.1).",
    )
    aftercare_moisturise_from_day: float = _setting(
        5.0,
        unit="day",
        minimum=0.0,
        maximum=30.0,
        help="Aftercare: moisturise the scalp daily (unscented) from this day after each "
        "session; 0 leaves the rule out (sources: day 4–6; §7.1).",
    )
    aftercare_shave_from_day: float = _setting(
        4.0,
        unit="day",
        minimum=0.0,
        maximum=30.0,
        help="Aftercare: shave again from this day after each session, with an electric foil "
        "shaver around the scabs, no blade razor while scabs remain; 0 leaves the rule out "
        "(sources: electric foil shaver from day 4; §7.1).",
    )

    # --- clinic records ---
    patch_test_min_hours: float = _setting(
        48.0,
        unit="h",
        minimum=0.0,
        maximum=336.0,
        help="A client's first treatment session needs a clean patch test (reaction none, "
        "with each of the session's pigments) applied at least this many hours before it; the "
        "practitioner may override with a reason, which is audited. 0 turns the rule off. [U] "
        "no SMP source fixes the wait; 48 h is the usual allergy-alert-test reading time.",
    )

    # --- messages to clients (docs/clinic.md, "Messages") ---
    message_send_hour: float = _setting(
        9.0,
        unit="h",
        minimum=0.0,
        maximum=23.0,
        help="Clinic-local hour at which dated messages (aftercare of a later day, the "
        "touch-up recall) are sent; reminders go 48 h and 24 h before the session.",
    )
    message_retry_minutes: float = _setting(
        15.0,
        unit="min",
        minimum=1.0,
        maximum=1440.0,
        help="Wait before a message that could not be delivered (mail server down) is tried again.",
    )
    message_max_attempts: float = _setting(
        5.0,
        unit="attempts",
        minimum=1.0,
        maximum=50.0,
        help="Delivery attempts of one message before it stays failed (shown in the client's "
        "delivery log).",
    )
    smtp_host: str = _setting(
        "",
        unit="host",
        help="Mail server that sends the clinic's e-mail; empty: e-mail messages wait in the "
        "outbox until one is set.",
    )
    smtp_port: float = _setting(
        587.0, unit="port", minimum=1.0, maximum=65535.0, help="Port of the mail server."
    )
    smtp_security: str = _setting(
        "starttls",
        unit="",
        choices=("starttls", "tls", "none"),
        help="How the connection to the mail server is protected: starttls (port 587), tls "
        "(implicit TLS, port 465) or none (a relay on the same machine). The user name and "
        "password, when the server needs them, come from SMPSTUDIO_SMTP_USER and "
        "SMPSTUDIO_SMTP_PASSWORD.",
    )
    smtp_from: str = _setting(
        "",
        unit="address",
        help="The sender of the clinic's e-mail, e.g. Soho SMP <hello@clinic.example>; "
        "required to send e-mail.",
    )
    smtp_timeout_s: float = _setting(
        10.0,
        unit="s",
        minimum=1.0,
        maximum=120.0,
        help="Seconds to wait for the mail server before the attempt counts as failed.",
    )

    # --- client portal ---
    portal_link_minutes: float = _setting(
        30.0,
        unit="min",
        minimum=5.0,
        maximum=1440.0,
        help="How long an e-mailed client-portal sign-in link works (it works once).",
    )
    portal_session_hours: float = _setting(
        2.0,
        unit="h",
        minimum=0.25,
        maximum=72.0,
        help="How long a client stays signed in to the portal after opening a link.",
    )

    # --- stock ---
    stock_expiry_warning_days: float = _setting(
        30.0,
        unit="days",
        minimum=0.0,
        maximum=365.0,
        help="Warn about a pigment or needle lot in stock this many days before it expires "
        "(expired lots are always flagged).",
    )

    @classmethod
    def from_overrides(
        cls, overrides: Mapping[str, Any] | Iterable[str] = (), *, base: Settings | None = None
    ) -> Settings:
        """Return settings with ``overrides`` applied, each checked against its range.

        ``overrides`` is a mapping, or strings of the form ``NAME=VALUE``.

        >>> Settings.from_overrides(["density_full_per_cm2=90"]).density_full_per_cm2
        90.0
        """
        pairs = _as_pairs(overrides)
        values: dict[str, Any] = {}
        specs = {spec.name: spec for spec in setting_specs()}
        for name, raw in pairs.items():
            if name not in specs:
                raise SettingError(
                    f"unknown setting {name!r}: run 'smpstudio settings' to list them"
                )
            values[name] = _coerce(specs[name], raw)
        settings = dataclasses.replace(base or cls(), **values)
        settings.check()
        return settings

    def check(self) -> None:
        """Raise :class:`SettingError` when settings contradict each other."""
        _check_session_fractions(self.session_fractions)
        if not (
            self.session_spacing_min_days
            <= self.session_spacing_days
            <= self.session_spacing_max_days
        ):
            raise SettingError(
                "session_spacing_days must lie between session_spacing_min_days and "
                "session_spacing_max_days"
            )
        if self.session_min_hours > self.session_max_hours:
            raise SettingError("session_min_hours must not exceed session_max_hours")
        if self.coverage_bald_below >= self.coverage_hair_from:
            raise SettingError("coverage_bald_below must be lower than coverage_hair_from")
        if not (
            self.hairline_height_min_cm
            <= self.hairline_height_default_cm
            <= self.hairline_height_max_cm
        ):
            raise SettingError(
                "hairline_height_default_cm must lie between the min and max hairline heights"
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping of every setting (tuples become lists), for JSON."""
        out = dataclasses.asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


def settings_markdown() -> str:
    """The settings as the Markdown table of ``docs/settings.md``."""
    rows = ["| setting | default | unit | range | meaning |", "|---|---|---|---|---|"]
    for spec in setting_specs():
        default = format_default(spec)
        limits = setting_range(spec)
        rows.append(f"| `{spec.name}` | {default} | {spec.unit} | {limits} | {spec.help} |")
    return "\n".join(rows) + "\n"


def format_default(spec: SettingSpec) -> str:
    """A setting's default as the tables show it.

    >>> format_default(next(s for s in setting_specs() if s.name == "smtp_security"))
    'starttls'
    """
    if isinstance(spec.default, tuple):
        return ",".join(f"{v:g}" for v in spec.default)
    if isinstance(spec.default, str):
        return spec.default or "(none)"
    return f"{spec.default:g}"


def setting_range(spec: SettingSpec) -> str:
    """A setting's range or choices as the tables show them."""
    if spec.choices:
        return " / ".join(spec.choices)
    return "" if spec.minimum is None else f"{spec.minimum:g}–{spec.maximum:g}"


def setting_specs() -> tuple[SettingSpec, ...]:
    """Every setting with its default, unit, range and help text, in declaration order."""
    return tuple(
        SettingSpec(
            name=f.name,
            default=f.default,
            unit=f.metadata["unit"],
            help=f.metadata["help"],
            minimum=f.metadata["minimum"],
            maximum=f.metadata["maximum"],
            choices=f.metadata["choices"],
        )
        for f in dataclasses.fields(Settings)
    )


def _as_pairs(overrides: Mapping[str, Any] | Iterable[str]) -> dict[str, Any]:
    if isinstance(overrides, Mapping):
        return dict(overrides)
    pairs: dict[str, Any] = {}
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise SettingError(f"setting {item!r} is not of the form NAME=VALUE")
        pairs[name.strip()] = value.strip()
    return pairs


def _coerce(spec: SettingSpec, raw: Any) -> Any:
    if isinstance(spec.default, tuple):
        if isinstance(raw, str):
            return parse_session_fractions(raw)
        values = tuple(float(v) for v in raw)
        _check_session_fractions(values)
        return values
    if isinstance(spec.default, str):
        return _coerce_text(spec, raw)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise SettingError(
            f"setting {spec.name} needs a number ({spec.unit}), got {raw!r}"
        ) from None
    if not math.isfinite(value):
        raise SettingError(f"setting {spec.name} must be a finite number, got {raw!r}")
    low, high = spec.minimum, spec.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        raise SettingError(
            f"setting {spec.name}={value:g} is outside its range {low:g}–{high:g} {spec.unit}"
        )
    return value


def _coerce_text(spec: SettingSpec, raw: Any) -> str:
    if not isinstance(raw, str):
        raise SettingError(f"setting {spec.name} needs text, got {raw!r}")
    text = raw.strip()
    if spec.choices and text not in spec.choices:
        raise SettingError(f"setting {spec.name} must be one of {', '.join(spec.choices)}")
    if len(text) > TEXT_SETTING_MAX_LEN or any(ord(c) < 32 for c in text):
        raise SettingError(
            f"setting {spec.name} must be one line of at most {TEXT_SETTING_MAX_LEN} characters"
        )
    return text
