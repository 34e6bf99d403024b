"""Fuzz: colours (issue 9, item 1).

Any text into the colour parser (:func:`smpstudio.colour.hex_to_srgb`), the skin-tone
classifier (:func:`smpstudio.colour.skin_tone`), the hair colours of the dilution advice and
the renderer's look (:func:`smpstudio.render.look_for`, also the web previews' check). The
answer is in range (sRGB in [0, 1], L* in [0, 100], ITA° in [−90, 90], Monk 1–10, Fitzpatrick
I–VI) or a :class:`~smpstudio.ColourError` with a one-line message.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from smpstudio import ColourError, InputError
from smpstudio.colour import hex_to_srgb, recommend_dilution, skin_tone, skin_tone_from_lab

from ._fuzz import HOSTILE_TEXT, assert_one_line, attempt, budget

HEXISH = st.one_of(
    st.from_regex(r"\s*#{0,2}[0-9a-fA-F]{5,7}\s*", fullmatch=True),
    st.from_regex(r"#?[0-9a-fA-FＡ-Ｆ０-９٠-٩]{6}", fullmatch=True),  # fullwidth, Arabic digits
    st.sampled_from(["#a07e56", "A07E56", "#000000", "#ffffff", "#a07e56\n", "\u200b#a07e56"]),
)
SKIN = skin_tone("#d7bd96")
COLOUR_TEXT = st.one_of(HEXISH, HOSTILE_TEXT, st.text(max_size=12))


@budget(300)
@given(text=COLOUR_TEXT)
@example(text="٠١٢٣٤٥")  # six Arabic-Indic digits: not hex
@example(text="#ａ０７ｅ５６")
def test_skin_tone_of_any_text(text: str) -> None:
    srgb, error = attempt(lambda: hex_to_srgb(text), ColourError)
    tone, tone_error = attempt(lambda: skin_tone(text), ColourError)
    if srgb is None:
        assert_one_line(error)
        assert tone is None, f"skin_tone accepted {text!r} that hex_to_srgb refused"
        assert_one_line(tone_error)
        return
    assert tone is not None
    assert srgb.shape == (3,)
    assert ((srgb >= 0) & (srgb <= 1)).all()
    assert 0.0 <= tone.L <= 100.0 + 1e-9
    assert -90.0 <= tone.ita <= 90.0
    assert 1 <= tone.monk <= 10
    assert tone.fitzpatrick_estimate in ("I", "II", "III", "IV", "V", "VI")
    assert all(math.isfinite(v) for v in (tone.a, tone.b, tone.monk_delta_e))
    assert tone.hex == "#" + text.strip().lstrip("#").lower()


@budget(60)
@given(lab=st.tuples(st.floats(), st.floats(), st.floats()))
@example(lab=(1e300, 1e300, -1e300))  # was: ValueError "cannot convert float NaN to integer"
@example(lab=(100.0, 0.0, 0.0))
@example(lab=(0.0, -200.0, 200.0))  # was: skimage's UserWarning (negative Z clipped)
def test_skin_tone_of_any_lab(lab: tuple[float, float, float]) -> None:
    tone, error = attempt(lambda: skin_tone_from_lab(lab), ColourError)
    in_range = 0 <= lab[0] <= 100 and abs(lab[1]) <= 200 and abs(lab[2]) <= 200
    if tone is None:
        assert_one_line(error)
        assert not in_range
        return
    assert -90.0 <= tone.ita <= 90.0
    assert 1 <= tone.monk <= 10
    assert len(tone.hex) == 7


@budget(80)
@given(hair=COLOUR_TEXT, session=st.integers(-3, 6), tone=st.floats())
@example(hair="#a07e56", session=1, tone=1.0)
@example(hair="dark-brown", session=1, tone=math.nan)
def test_dilution_advice_for_any_hair_colour(hair: str, session: int, tone: float) -> None:
    advice, error = attempt(
        lambda: recommend_dilution(SKIN, hair, zone="body", session=session, tone=tone),
        ColourError,
    )
    if advice is None:
        assert_one_line(error)
        return
    assert advice.ml_water >= 0.0
    assert math.isfinite(advice.ml_water)


@budget(100)
@given(skin=COLOUR_TEXT, hair=COLOUR_TEXT)
def test_render_look_for_any_colours(skin: str, hair: str) -> None:
    from smpstudio.render import look_for

    # ColourError for the skin, InputError for the hair
    look, error = attempt(lambda: look_for(skin, hair), InputError)
    if look is None:
        assert_one_line(error)
        return
    for value in vars(look).values():
        if isinstance(value, np.ndarray | float):
            assert np.isfinite(value).all()
