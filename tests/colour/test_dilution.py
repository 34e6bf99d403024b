"""Recommended dilution: the contrast rule, zones and sessions, flags, the clinic table."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from smpstudio import ColourError
from smpstudio.colour import (
    FLAG_MESSAGES,
    MONK_SWATCHES,
    ZONE_NAMES,
    DilutionTable,
    assess_dilution,
    dilution_chart,
    dot_contrast,
    load_dilution_table,
    nearest_monk,
    recommend_dilution,
    skin_tone,
    stubble_range,
)
from smpstudio.density import ZONES

TABLE = DilutionTable.default()
HAIR_DARK_TO_LIGHT = ["black", "dark-brown", "brown", "light-brown", "blond", "grey", "white"]
skins = st.tuples(st.floats(12.0, 96.0), st.floats(-1.0, 18.0), st.floats(2.0, 30.0))
hair_lightness = st.floats(5.0, 95.0)
zones = st.sampled_from(ZONE_NAMES)
sessions = st.integers(1, 5)


def _hair(lightness: float) -> tuple[float, float, float]:
    return (lightness, 2.0, 6.0)


def test_zone_names_match_the_design_zones() -> None:
    assert set(ZONE_NAMES) == set(ZONES) - {"none"}


@given(skins, hair_lightness, zones, sessions)
def test_recommendation_is_the_most_diluted_shade_reaching_the_target(
    skin: tuple[float, ...], hair: float, zone: str, session: int
) -> None:
    advice = recommend_dilution(skin, _hair(hair), zone=zone, session=session)
    shades = np.array(TABLE.shades_ml_water)
    assert advice.ml_water in TABLE.shades_ml_water
    centre = (advice.natural.low + advice.natural.high) / 2
    if "cannot_reach_target" in advice.flags:
        assert advice.ml_water == shades[0]
        assert advice.delta_l <= centre + 1e-9
        return
    assert advice.delta_l >= centre - 1e-9
    lighter = shades[shades > advice.ml_water]
    if lighter.size:
        assert float(dot_contrast(skin, lighter[0])) < centre


@given(skins, skins, hair_lightness, zones, sessions)
def test_darker_monk_tone_never_gets_more_water(
    s1: tuple[float, ...], s2: tuple[float, ...], hair: float, zone: str, session: int
) -> None:
    """Issue 18: for a given hair colour, water never rises as the skin darkens (Monk 1 → 10),
    in every zone and session."""
    light, dark = sorted((s1, s2), key=lambda s: nearest_monk(s)[0])
    at_light = recommend_dilution(light, _hair(hair), zone=zone, session=session)
    at_dark = recommend_dilution(dark, _hair(hair), zone=zone, session=session)
    assert at_dark.ml_water <= at_light.ml_water


@given(skins, hair_lightness, hair_lightness, zones, sessions)
def test_lighter_hair_never_gets_a_darker_dot(
    skin: tuple[float, ...], h1: float, h2: float, zone: str, session: int
) -> None:
    dark, light = sorted((h1, h2))
    at_dark = recommend_dilution(skin, _hair(dark), zone=zone, session=session)
    at_light = recommend_dilution(skin, _hair(light), zone=zone, session=session)
    assert at_light.ml_water >= at_dark.ml_water


@given(skins, hair_lightness, sessions)
def test_hairline_zones_are_never_darker_than_the_body(
    skin: tuple[float, ...], hair: float, session: int
) -> None:
    body = recommend_dilution(skin, _hair(hair), session=session).ml_water
    transition = recommend_dilution(skin, _hair(hair), zone="transition", session=session)
    sentinel = recommend_dilution(skin, _hair(hair), zone="sentinel", session=session)
    assert body <= transition.ml_water <= sentinel.ml_water


@given(skins, hair_lightness, zones)
def test_sessions_build_darker(skin: tuple[float, ...], hair: float, zone: str) -> None:
    waters = [
        recommend_dilution(skin, _hair(hair), zone=zone, session=s).ml_water for s in (1, 2, 3)
    ]
    assert waters == sorted(waters, reverse=True)
    assert recommend_dilution(skin, _hair(hair), zone=zone).ml_water == waters[-1]


@given(skins, hair_lightness, st.floats(0.6, 1.0), st.floats(0.6, 1.0))
def test_lighter_tone_never_gets_a_darker_dot(
    skin: tuple[float, ...], hair: float, t1: float, t2: float
) -> None:
    low, high = sorted((t1, t2))
    at_low = recommend_dilution(skin, _hair(hair), zone="transition", tone=low)
    at_high = recommend_dilution(skin, _hair(hair), zone="transition", tone=high)
    assert at_low.ml_water >= at_high.ml_water


def test_natural_range_is_centred_on_the_chart_shade() -> None:
    skin = skin_tone(MONK_SWATCHES[4])
    chart = TABLE.chart[5]["black"]
    centre = float(dot_contrast(skin, chart))
    body = stubble_range(skin, "black")
    assert body.low == pytest.approx(centre * (1 - TABLE.tolerance))
    assert body.high == pytest.approx(centre * (1 + TABLE.tolerance))
    # The transition zone of session 1 mixes (1 + w) / (0.8 × 0.8) − 1 mL of water.
    strength = TABLE.zone_strength["transition"] * TABLE.session_strength[0]
    lighter = (1 + chart) / strength - 1
    first = stubble_range(skin, "black", zone="transition", session=1)
    assert first.low == pytest.approx(float(dot_contrast(skin, lighter)) * (1 - TABLE.tolerance))
    assert stubble_range(skin, "black", zone="sentinel").low == pytest.approx(
        stubble_range(skin, "black", zone="transition", tone=0.6).low
    )


def test_shaved_dark_hair_shows_darker_than_light_hair() -> None:
    skin = skin_tone(MONK_SWATCHES[2])
    dark = recommend_dilution(skin, "black")
    light = recommend_dilution(skin, "grey")
    assert dark.delta_l > light.delta_l
    assert dark.ml_water < light.ml_water


def test_chart_follows_skin_and_hair_as_practice_does() -> None:
    """Domain reference §1.7 and §5.4: little or no water (near-black) for dark skin with
    dark hair, heavy dilution for fair skin, more still for light and grey hair ("around
    20 mL of water and upwards" at the light end)."""
    chart = dilution_chart()
    for tone in range(1, 11):
        row = [chart[tone][h] for h in HAIR_DARK_TO_LIGHT]
        assert row == sorted(row), f"Monk {tone}: lighter hair must not get less water"
    for hair in HAIR_DARK_TO_LIGHT:
        column = [chart[tone][hair] for tone in range(1, 11)]
        assert column == sorted(column, reverse=True), f"{hair}: water rises on darker skin"
    assert chart[10]["black"] <= 2  # near-black
    assert chart[9]["black"] <= 2
    assert chart[1]["black"] >= chart[10]["black"] + 4  # fair skin clearly lighter
    for tone in (1, 2):
        assert chart[tone]["grey"] >= 20
        assert chart[tone]["white"] >= 20
        assert chart[tone]["grey"] > chart[tone]["black"]
    assert chart == {t: dict(row) for t, row in TABLE.chart.items()}  # the shipped chart


def test_every_chart_row_cites_its_source_or_says_it_is_derived() -> None:
    assert sorted(TABLE.chart_sources) == list(range(1, 11))
    for tone, source in TABLE.chart_sources.items():
        cited = "§" in source and ("." in source.split("§")[1])
        assert cited or "[D]" in source, f"Monk {tone}: {source!r}"
        assert "derived default" in source.lower() or "(" in source


def test_darker_than_needed_is_flagged() -> None:
    advice = assess_dilution(0.0, skin_tone("#eadaba"), "grey")
    assert "darker_than_needed" in advice.flags
    assert "less natural" in advice.to_dict()["flags"]["darker_than_needed"]
    assert advice.basis == "given"
    light = assess_dilution(30.0, skin_tone("#eadaba"), "black")
    assert light.flags == ("lighter_than_natural",)
    fair = skin_tone("#eadaba")
    matched = assess_dilution(recommend_dilution(fair, "brown").ml_water, fair, "brown")
    assert matched.flags == ()


def test_unreachable_target_gives_the_darkest_shade_and_says_so() -> None:
    advice = recommend_dilution(skin_tone(MONK_SWATCHES[9]), "black", tone=1.5)
    assert advice.ml_water == 0.0
    assert advice.flags[0] == "cannot_reach_target"


def test_hair_clearly_lighter_than_the_skin_is_flagged() -> None:
    dark = skin_tone(MONK_SWATCHES[8])
    assert "hair_lighter_than_skin" in recommend_dilution(dark, "white").flags
    assert "hair_lighter_than_skin" not in recommend_dilution(dark, "black").flags
    black_on_darkest = recommend_dilution(skin_tone(MONK_SWATCHES[9]), "black")
    assert black_on_darkest.flags == ()


def test_every_flag_has_a_message() -> None:
    assert set(FLAG_MESSAGES) == {
        "darker_than_needed",
        "lighter_than_natural",
        "cannot_reach_target",
        "hair_lighter_than_skin",
    }


def test_hair_by_name_or_hex_agree() -> None:
    skin = skin_tone(MONK_SWATCHES[3])
    by_name = recommend_dilution(skin, "brown")
    assert recommend_dilution(skin, TABLE.hair_colours["brown"]) == by_name
    assert recommend_dilution(skin, " Brown ") == by_name


def test_clinic_chart_entry_is_used_for_its_monk_tone_and_hair() -> None:
    skin = skin_tone(MONK_SWATCHES[2])  # Monk 3
    table = load_dilution_table(overrides={"chart": {"3": {"brown": 8}}})
    body = recommend_dilution(skin, "brown", table=table)
    assert (body.ml_water, body.basis, body.monk) == (8.0, "chart", 3)
    assert body.source == "clinic override"
    assert table.chart_sources[4] == TABLE.chart_sources[4]  # the rows it left alone
    first = recommend_dilution(skin, "brown", session=1, zone="sentinel", table=table)
    assert first.ml_water >= body.ml_water
    other = recommend_dilution(skin, "black", table=table)
    assert other.ml_water == TABLE.chart[3]["black"]


def test_hair_between_named_colours_is_interpolated_by_lightness() -> None:
    skin = skin_tone(MONK_SWATCHES[4])
    black, brown = (TABLE.hair_lightness(n) for n in ("black", "brown"))
    between = (black + brown) / 2
    water = TABLE.chart_water(5, between)
    assert TABLE.chart[5]["black"] < water < TABLE.chart[5]["brown"]
    assert recommend_dilution(skin, (between, 2.0, 6.0)).ml_water in (3.0, 4.0)


@pytest.mark.parametrize(
    ("chart", "row"),
    [
        ({"7": {"black": 3}}, "chart row 7 (Monk 7) gives black hair 3 mL"),
        ({"10": {"white": 10}}, "chart row 10 (Monk 10) gives white hair 10 mL"),
        ({"3": {"grey": 25}}, "chart row 3 (Monk 3) gives grey hair 25 mL"),
    ],
)
def test_rising_water_for_darker_skin_is_refused_naming_the_row(
    chart: dict[str, dict[str, float]], row: str
) -> None:
    with pytest.raises(ColourError, match=row.replace("(", r"\(").replace(")", r"\)")):
        load_dilution_table(overrides={"chart": chart})


def test_rising_water_is_refused_from_a_clinic_file(tmp_path: Path) -> None:
    path = tmp_path / "clinic.json"
    path.write_text(json.dumps({"chart": {"9": {"black": 2}}}))
    with pytest.raises(ColourError, match=r"row 9 \(Monk 9\).*more than row 8's 1 mL"):
        load_dilution_table(path)
    path.write_text(json.dumps({"chart": {"9": {"black": 1}}}))
    table = load_dilution_table(path)
    assert table.chart[9]["black"] == 1.0
    assert table.chart_sources[9] == "clinic table clinic.json"


def test_table_loads_from_a_json_file_with_only_the_changes(tmp_path: Path) -> None:
    path = tmp_path / "clinic.json"
    path.write_text(
        json.dumps({"session_strength": [0.7, 1.0], "hair_colours": {"auburn": "#6b3a26"}})
    )
    table = load_dilution_table(path)
    assert table.session_strength == (0.7, 1.0)
    assert table.hair_colours["auburn"] == "#6b3a26"
    assert table.hair_colours["black"] == TABLE.hair_colours["black"]
    assert table.shades_ml_water == TABLE.shades_ml_water
    assert recommend_dilution(skin_tone("#d7bd96"), "auburn", table=table).ml_water >= 0


def test_table_round_trips_through_its_json_form() -> None:
    assert DilutionTable.from_dict(json.loads(json.dumps(TABLE.to_dict()))) == TABLE


def test_default_table_says_no_published_mapping_exists() -> None:
    assert "No published numeric mapping" in TABLE.about


def test_a_table_without_every_monk_row_is_refused() -> None:
    data = TABLE.to_dict()
    del data["chart"]["6"]
    with pytest.raises(ColourError, match=r"lacks the row.*Monk 6"):
        DilutionTable.from_dict(data)
    data = TABLE.to_dict()
    data["chart"]["6"] = {"source": "ours"}
    with pytest.raises(ColourError, match=r"chart\.6 gives no shade"):
        DilutionTable.from_dict(data)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"colour_rule": {}}, "unknown key"),
        ({"contrast_rule": {"tolerance": 0.2}}, "unknown key"),
        ({"tolerance": 2}, "tolerance"),
        ({"shades_ml_water": []}, "shades_ml_water"),
        ({"shades_ml_water": [0, -1]}, "shade"),
        ({"hair_colours": {"red": "#ff00"}}, "malformed colour"),
        ({"zone_strength": {"crown": 1.0}}, "unknown key"),
        ({"zone_strength": {"body": "dark"}}, "zone_strength.body"),
        ({"session_strength": [1.0, 0.8]}, "must not decrease"),
        ({"chart": {"11": {"black": 1}}}, "Monk tone"),
        ({"chart": {"2": {"purple": 1}}}, "not in hair_colours"),
        ({"chart": {"2": {"black": True}}}, "chart.2.black"),
        ({"chart": {"2": {"black": 7}}}, "not one of shades_ml_water"),
        ({"chart": {"2": {"source": ""}}}, "needs a 'source'"),
        ({"hair_colours": {"source": "#101010"}}, "cannot name a hair colour"),
    ],
)
def test_bad_tables_are_refused(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ColourError, match=message):
        load_dilution_table(overrides=overrides)


def test_unreadable_table_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ColourError, match="not found"):
        load_dilution_table(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ColourError, match="not readable JSON"):
        load_dilution_table(broken)
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]")
    with pytest.raises(ColourError, match="JSON object"):
        load_dilution_table(listed)


def test_bad_requests_are_refused() -> None:
    skin = skin_tone("#d7bd96")
    with pytest.raises(ColourError, match="unknown zone"):
        recommend_dilution(skin, "black", zone="crown")
    with pytest.raises(ColourError, match="session numbers start at 1"):
        recommend_dilution(skin, "black", session=0)
    with pytest.raises(
        ColourError, match="unknown hair colour 'auburn': give #rrggbb or one of black, dark-brown"
    ):
        recommend_dilution(skin, "auburn")
    with pytest.raises(ColourError, match="malformed colour"):
        recommend_dilution(skin, "#12345")
    with pytest.raises(ColourError, match="tone"):
        recommend_dilution(skin, "black", tone=0.0)
