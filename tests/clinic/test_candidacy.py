"""The candidacy questionnaire: each contraindication's rule, precedence, overrides."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smpstudio import ClinicError
from smpstudio.clinic import CONTRAINDICATION_KEYS, CONTRAINDICATIONS, evaluate_candidacy

ISSUE_ITEMS = {
    "keloid-tendency",
    "active-scalp-condition",
    "blood-thinners",
    "pregnancy",
    "isotretinoin",
    "ink-allergy",
    "fast-progressing-loss",
}
RANK = {"candidate": 0, "warn": 1, "refer": 2, "block": 3}


def _answers(**yes: bool) -> dict[str, bool]:
    answers = dict.fromkeys(CONTRAINDICATION_KEYS, False)
    answers.update({k.replace("_", "-"): v for k, v in yes.items()})
    return answers


def test_the_questionnaire_covers_the_issue_list() -> None:
    assert set(CONTRAINDICATION_KEYS) >= ISSUE_ITEMS
    assert len(set(CONTRAINDICATION_KEYS)) == len(CONTRAINDICATIONS)
    assert all(
        c.rule in {"block", "refer", "warn"} and c.question and c.advice for c in CONTRAINDICATIONS
    )


@pytest.mark.parametrize(
    ("key", "outcome"),
    [
        ("keloid-tendency", "refer"),
        ("active-scalp-condition", "block"),
        ("blood-thinners", "refer"),
        ("pregnancy", "block"),
        ("isotretinoin", "block"),
        ("ink-allergy", "refer"),
        ("fast-progressing-loss", "warn"),
        ("laser-removal-recent", "block"),
    ],
)
def test_one_yes_gives_its_rule(key: str, outcome: str) -> None:
    answers = _answers()
    answers[key] = True
    result = evaluate_candidacy(answers)
    assert result.outcome == outcome
    assert [f.key for f in result.findings] == [key]
    assert result.may_book == (outcome != "block")


def test_no_yes_is_a_candidate() -> None:
    result = evaluate_candidacy(_answers())
    assert result.outcome == "candidate"
    assert result.findings == ()


def test_the_strictest_rule_wins() -> None:
    answers = _answers(fast_progressing_loss=True, ink_allergy=True, pregnancy=True)
    assert evaluate_candidacy(answers).outcome == "block"


def test_a_clinic_may_override_a_rule() -> None:
    answers = _answers(keloid_tendency=True)
    assert evaluate_candidacy(answers, {"keloid-tendency": "block"}).outcome == "block"
    assert evaluate_candidacy(answers, {"keloid-tendency": "warn"}).outcome == "warn"


@pytest.mark.parametrize(
    ("answers", "rules", "message"),
    [
        ({"pregnancy": True}, None, "questionnaire incomplete: answer keloid-tendency"),
        ({**_answers(), "smoker": True}, None, "unknown questionnaire item"),
        ({**_answers(), "pregnancy": "no"}, None, "yes \\(true\\) or no \\(false\\) to pregnancy"),
        ({**_answers(), "pregnancy": 1}, None, "yes \\(true\\) or no \\(false\\)"),
        (_answers(), {"pregnancy": "maybe"}, "must be block, refer or warn"),
        (_answers(), {"tattoos": "warn"}, "unknown contraindication 'tattoos'"),
    ],
)
def test_bad_questionnaires_are_refused(
    answers: dict[str, object], rules: dict[str, str] | None, message: str
) -> None:
    with pytest.raises(ClinicError, match=message) as info:
        evaluate_candidacy(answers, rules)  # type: ignore[arg-type]
    assert "\n" not in str(info.value)


@given(
    st.fixed_dictionaries({k: st.booleans() for k in CONTRAINDICATION_KEYS}),
    st.dictionaries(
        st.sampled_from(CONTRAINDICATION_KEYS), st.sampled_from(["block", "refer", "warn"])
    ),
)
def test_the_outcome_is_the_strictest_rule_of_the_yes_answers(
    answers: dict[str, bool], overrides: dict[str, str]
) -> None:
    rules = {c.key: c.rule for c in CONTRAINDICATIONS} | overrides
    result = evaluate_candidacy(answers, overrides)
    expected = max(
        (rules[k] for k, yes in answers.items() if yes), key=RANK.__getitem__, default="candidate"
    )
    assert result.outcome == expected
    assert {f.key for f in result.findings} == {k for k, yes in answers.items() if yes}
