"""The shaved stubble the renderer draws (and the shade is solved against) darkens the scalp
as a buzz cut does on photographs: visibly, yet no more than the lightest buzz cut measured
(tests/data/photos/buzz-cuts, docs/render.md "Buzz cuts measured")."""

from __future__ import annotations

import pytest
from benchmarks.buzz_cuts import measured, rendered

VISIBLY_DARKER = 0.75
"""A buzz cut lets at most this share of the skin's light through: every photographed one
passes 0.07–0.37; a razor's shave of a day (0.35 mm of thin stubble) passed 0.74–0.89."""


@pytest.fixture(scope="module")
def photographed() -> dict[str, float]:
    return {cut.name: cut.ratio for cut in measured()}


def test_the_reference_measurement_is_what_the_docs_say(photographed: dict[str, float]) -> None:
    assert len(photographed) == 6
    assert photographed["D000230"] == pytest.approx(0.257, abs=0.01)  # the shortest
    assert max(photographed.values()) == pytest.approx(0.373, abs=0.01)  # A000380
    assert min(photographed.values()) == pytest.approx(0.065, abs=0.01)  # V000131


@pytest.mark.parametrize("skin", ["#d7bd96", "#825c43"])
def test_a_0_guard_buzz_cut_darkens_the_scalp_as_photographed_ones_do(
    skin: str, photographed: dict[str, float]
) -> None:
    ratio = rendered(skin, "black")
    assert ratio <= VISIBLY_DARKER, ratio
    assert ratio >= max(photographed.values()), ratio  # 0-guard: lighter than 1.5–3 mm cuts


def test_a_razor_shave_is_lighter_than_a_buzz_cut() -> None:
    shaved = rendered("#d7bd96", "black", stubble_mm=0.35)
    assert rendered("#d7bd96", "black") < shaved < 1.0
