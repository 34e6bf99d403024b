"""The candidacy questionnaire: contraindications, their rules, and the outcome.

Each contraindication carries a rule: ``block`` (no treatment while it holds), ``refer``
(treatment only after a doctor's or specialist's clearance) or ``warn`` (the practitioner
discusses it and adapts the plan). No consensus list exists (domain reference §7.2); the
defaults below follow the practitioners' lists cited there, and a clinic may override any
rule. The outcome is the strictest rule among the answers that are "yes":
block > refer > warn > candidate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias

from smpstudio._errors import ClinicError

__all__ = [
    "CONTRAINDICATIONS",
    "CONTRAINDICATION_KEYS",
    "RULES",
    "CandidacyResult",
    "Contraindication",
    "Finding",
    "Outcome",
    "Rule",
    "evaluate_candidacy",
]

Rule: TypeAlias = Literal["block", "refer", "warn"]
Outcome: TypeAlias = Literal["candidate", "warn", "refer", "block"]

RULES: tuple[Rule, ...] = ("block", "refer", "warn")
"""The rules, strictest first."""

_RANK: dict[str, int] = {"candidate": 0, "warn": 1, "refer": 2, "block": 3}


@dataclass(frozen=True)
class Contraindication:
    """One question of the questionnaire and what a "yes" means by default."""

    key: str
    question: str
    rule: Rule
    advice: str


CONTRAINDICATIONS: tuple[Contraindication, ...] = (
    Contraindication(
        "keloid-tendency",
        "Keloid or hypertrophic scarring tendency?",
        "refer",
        "dermatologist's clearance and a test patch before treatment",
    ),
    Contraindication(
        "active-scalp-condition",
        "Active scalp condition (psoriasis, eczema, dermatitis, acne, infection, sunburn)?",
        "block",
        "treat the condition first; re-assess when the scalp is clear",
    ),
    Contraindication(
        "blood-thinners",
        "Blood thinners, aspirin or a bleeding disorder?",
        "refer",
        "prescribing doctor's advice; bleeding dilutes pigment and thickens scabs",
    ),
    Contraindication(
        "pregnancy",
        "Pregnant or breast-feeding?",
        "block",
        "postpone until after pregnancy and breast-feeding",
    ),
    Contraindication(
        "isotretinoin",
        "Isotretinoin (Accutane) or oral retinoids, now or in the last 6 months?",
        "block",
        "wait at least 6 months after the last dose",
    ),
    Contraindication(
        "ink-allergy",
        "Previous reaction to tattoo or permanent make-up ink?",
        "refer",
        "allergist's advice and a patch test",
    ),
    Contraindication(
        "fast-progressing-loss",
        "Hair loss progressing fast (active, unstable)?",
        "warn",
        "design for future loss (conservative hairline); consider stabilising treatment",
    ),
    Contraindication(
        "chemotherapy",
        "Chemotherapy in the last 6 months or planned in the next 4 weeks?",
        "refer",
        "oncologist's clearance",
    ),
    Contraindication(
        "immunosuppression",
        "Immune disease or immunosuppressant medication?",
        "refer",
        "doctor's clearance; healing and infection risk",
    ),
    Contraindication(
        "laser-removal-recent",
        "Laser tattoo removal on the scalp in the last 90 days?",
        "block",
        "wait 90 days after the last laser session",
    ),
    Contraindication(
        "heart-condition",
        "Heart disease or high blood pressure?",
        "refer",
        "doctor's note before a session of several hours",
    ),
    Contraindication(
        "moles-in-area",
        "Moles, angiomas or skin lesions in the area to treat?",
        "refer",
        "dermatologist's check; work around lesions",
    ),
)
"""Every question of the questionnaire, in the order it is asked."""

CONTRAINDICATION_KEYS: tuple[str, ...] = tuple(c.key for c in CONTRAINDICATIONS)


@dataclass(frozen=True)
class Finding:
    """A contraindication answered "yes", with the rule applied and the advice."""

    key: str
    rule: Rule
    advice: str


@dataclass(frozen=True)
class CandidacyResult:
    """The outcome of the questionnaire and the findings behind it."""

    outcome: Outcome
    findings: tuple[Finding, ...]

    @property
    def may_book(self) -> bool:
        """Whether sessions may be booked: nothing blocks."""
        return self.outcome != "block"


def evaluate_candidacy(
    answers: Mapping[str, bool], rules: Mapping[str, str] | None = None
) -> CandidacyResult:
    """Evaluate a complete questionnaire.

    Parameters
    ----------
    answers : mapping of str to bool
        ``True`` ("yes") or ``False`` for every key of :data:`CONTRAINDICATION_KEYS`.
    rules : mapping of str to str, optional
        The clinic's overrides of the default rules (``block``, ``refer`` or ``warn``).

    Returns
    -------
    CandidacyResult
        The strictest rule among the "yes" answers, and every finding.

    Examples
    --------
    >>> answers = dict.fromkeys(CONTRAINDICATION_KEYS, False)
    >>> evaluate_candidacy(answers).outcome
    'candidate'
    >>> answers |= {"fast-progressing-loss": True, "blood-thinners": True}
    >>> result = evaluate_candidacy(answers)
    >>> result.outcome, [f.key for f in result.findings]
    ('refer', ['blood-thinners', 'fast-progressing-loss'])
    >>> evaluate_candidacy(answers, {"blood-thinners": "warn"}).outcome
    'warn'
    """
    effective = resolve_rules(rules)
    _check_answers(answers)
    findings = tuple(
        Finding(c.key, effective[c.key], c.advice) for c in CONTRAINDICATIONS if answers[c.key]
    )
    outcome: Outcome = "candidate"
    for finding in findings:
        if _RANK[finding.rule] > _RANK[outcome]:
            outcome = finding.rule
    return CandidacyResult(outcome=outcome, findings=findings)


def resolve_rules(overrides: Mapping[str, str] | None) -> dict[str, Rule]:
    """The default rules with a clinic's overrides applied, each checked."""
    rules: dict[str, Rule] = {c.key: c.rule for c in CONTRAINDICATIONS}
    for key, rule in (overrides or {}).items():
        if key not in rules:
            raise ClinicError(f"unknown contraindication {key!r}: use one of {_keys()}")
        if rule not in RULES:
            raise ClinicError(f"rule for {key} must be block, refer or warn, got {rule!r}")
        rules[key] = rule
    return rules


def _check_answers(answers: Mapping[str, bool]) -> None:
    unknown = sorted(set(answers) - set(CONTRAINDICATION_KEYS))
    if unknown:
        raise ClinicError(f"unknown questionnaire item(s) {', '.join(unknown)}: use {_keys()}")
    missing = [key for key in CONTRAINDICATION_KEYS if key not in answers]
    if missing:
        raise ClinicError(f"questionnaire incomplete: answer {', '.join(missing)}")
    not_bool = [key for key, value in answers.items() if not isinstance(value, bool)]
    if not_bool:
        raise ClinicError(f"answer yes (true) or no (false) to {', '.join(sorted(not_bool))}")


def _keys() -> str:
    return ", ".join(CONTRAINDICATION_KEYS)
