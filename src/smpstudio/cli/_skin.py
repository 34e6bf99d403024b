"""``smpstudio skin``: the skin tone of a colour or a photo region, as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from smpstudio._errors import ColourError
from smpstudio.cli._common import PathType, stdout_console
from smpstudio.cli._group import cli
from smpstudio.colour import (
    FITZPATRICK_NOTE,
    MAX_PIXELS,
    ZONE_NAMES,
    DilutionTable,
    Region,
    SkinTone,
    hex_to_srgb,
    load_dilution_table,
    looks_like_hex,
    recommend_dilution,
    skin_tone,
    skin_tone_from_image,
    srgb_to_lab,
    touch_up_years,
)

__all__: list[str] = []


@cli.command("skin")
@click.argument("source", metavar="COLOR|IMAGE")
@click.option(
    "--region",
    metavar="X,Y,W,H",
    default=None,
    help="Pixel rectangle of the image to measure (as displayed); the whole image by default.",
)
@click.option(
    "--hair",
    metavar="COLOR|NAME",
    default=None,
    help="Remaining-hair colour (#rrggbb or a name of the dilution table, e.g. black, "
    "brown, grey): adds the recommended dilution per zone and session.",
)
@click.option(
    "--dilution-table",
    "table_path",
    type=PathType(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="Clinic dilution table (JSON; only the keys it changes). Default: the shipped table.",
)
def skin_command(
    source: str, region: str | None, hair: str | None, table_path: Path | None
) -> None:
    """Measure a skin tone: CIELAB, ITA° and class, Monk tone, Fitzpatrick estimate.

    COLOR is #rrggbb (quote it in a shell: '#a07e56'; the # may be left out). IMAGE is a
    JPEG, PNG or WebP photo of at most 50 MP, averaged in linear light over --region.
    """
    tone, where = _measure(source, Region.parse(region) if region else None)
    report: dict[str, Any] = {**where, **_tone_fields(tone)}
    if hair is not None:
        report.update(_pigment_fields(tone, hair, load_dilution_table(table_path)))
    stdout_console().out(json.dumps(report, indent=2, ensure_ascii=False), highlight=False)


def _measure(source: str, region: Region | None) -> tuple[SkinTone, dict[str, Any]]:
    text = source.strip()
    path = Path(text)
    exists = _exists(path)
    if text.startswith("#") or (looks_like_hex(text) and not exists):
        if region is not None:
            raise ColourError("--region applies to an image, not to a colour: drop --region")
        return skin_tone(text), {"source": "colour"}
    if not exists:
        raise ColourError(
            f"{source!r} is neither a colour (#rrggbb) nor an existing file: give a colour "
            "like '#a07e56' or the path of a JPEG, PNG or WebP photo"
        )
    tone = skin_tone_from_image(path, region=region, max_pixels=MAX_PIXELS)
    box = None if region is None else [region.x, region.y, region.width, region.height]
    return tone, {"source": "image", "image": str(path), "region": box}


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # e.g. a name too long for the file system: no such file either
        return False


def _tone_fields(tone: SkinTone) -> dict[str, Any]:
    return {
        "hex": tone.hex,
        "L": round(tone.L, 2),
        "a": round(tone.a, 2),
        "b": round(tone.b, 2),
        "ita": round(tone.ita, 2),
        "ita_class": tone.ita_class,
        "monk": tone.monk,
        "monk_delta_e": round(tone.monk_delta_e, 2),
        "fitzpatrick_estimate": tone.fitzpatrick_estimate,
        "fitzpatrick_note": FITZPATRICK_NOTE,
    }


def _pigment_fields(tone: SkinTone, hair: str, table: DilutionTable) -> dict[str, Any]:
    sessions = range(1, len(table.session_strength) + 1)
    advice = [
        recommend_dilution(tone, hair, zone=zone, session=session, table=table)
        for zone in ZONE_NAMES
        for session in sessions
    ]
    body = recommend_dilution(tone, hair, table=table)
    return {
        "hair": {"colour": hair, "L": round(float(_hair_lightness(hair, table)), 2)},
        "chart": {"monk": body.monk, "body_ml_water": body.ml_water, "source": body.source},
        "dilution": [_rounded(a.to_dict()) for a in advice],
        "touch_up_years": round(touch_up_years(tone, body.ml_water), 1),
    }


def _hair_lightness(hair: str, table: DilutionTable) -> float:
    key = hair.strip().lower()
    code = table.hair_colours.get(key, hair)
    return float(srgb_to_lab(hex_to_srgb(code))[0])


def _rounded(advice: dict[str, Any]) -> dict[str, Any]:
    del advice["chart_row"], advice["source"]  # said once, under "chart"
    advice["delta_L"] = round(advice["delta_L"], 1)
    advice["natural_delta_L"] = [round(v, 1) for v in advice["natural_delta_L"]]
    return advice
