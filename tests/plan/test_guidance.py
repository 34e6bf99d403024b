"""What every client is told (issue 18): one wording for the PDF, the calendar and the site."""

from __future__ import annotations

import dataclasses

from smpstudio import Settings
from smpstudio.plan import LASTS_YEARS, REFRESH_YEARS, client_guidance, touch_up_story
from tests.plan.cases import plan_of

CONTACT = "Example Clinic on 020 7946 0000"


def _all(sections) -> str:  # type: ignore[no-untyped-def]
    return " ".join(p for s in sections for p in s.points)


def test_every_promise_is_in_the_guidance() -> None:
    sections = client_guidance(contact=CONTACT)
    assert [s.title for s in sections] == [
        "What to expect",
        "Hygiene",
        "Looking after it for years",
        "Risks",
        "When to call us",
    ]
    text = _all(sections)
    for words in (
        "about 3 out of 10",  # pain
        "anaesthetic is available",
        "no downtime",
        "gone by the next day",  # redness
        "scabs form over the dots and flake off",  # normal between sessions
        "That fading is normal",
        "shave again with an electric foil shaver",
        "opened in front of you",  # hygiene, new needles
        "new, sterile and single-use",
        "SPF 30 to 50",  # long-term sun protection
        "blurring",
        "blue shift",
        "laser",
        "signs of infection",
        f"call {CONTACT}",
    ):
        assert words in text, words
    assert "a day or two" not in text


def test_without_a_contact_the_client_calls_the_clinic() -> None:
    assert "call your clinic" in _all(client_guidance())


def test_shaving_follows_the_setting() -> None:
    settings = Settings.from_overrides({"aftercare_shave_from_day": 6})
    assert "from day 6 after each session" in _all(client_guidance(settings))
    off = Settings.from_overrides({"aftercare_shave_from_day": 0})
    assert "ask your practitioner when you may shave again" in _all(client_guidance(off))


def test_one_touch_up_story() -> None:
    """The result can last 7–10 years; a refresh is usually booked after 3–5, and the plan
    says when for this client and why (sources §1.8: 2–6 years, commonly 3–5)."""
    assert LASTS_YEARS == (7, 10)
    assert REFRESH_YEARS == (3, 5)
    general = touch_up_story()
    assert "can last 7 to 10 years" in general
    assert "usually 3 to 5 years after healing" in general
    assert "sunlight breaks it down" in general  # why
    plan = plan_of()
    mine = touch_up_story(plan.touch_up)
    assert mine.startswith(general)
    assert f"around {plan.touch_up.date:%B %Y}" in mine
    assert f"about {plan.touch_up.years:.1f} years after healing" in mine
    assert "30% of their contrast" in mine
    in_guidance = _all(client_guidance(plan.settings, touch_up=plan.touch_up))
    assert mine in in_guidance


def test_the_guidance_is_frozen_data() -> None:
    section = client_guidance()[0]
    assert section.to_dict()["title"] == "What to expect"
    assert dataclasses.is_dataclass(section)
