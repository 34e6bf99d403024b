"""``smpstudio dots``: every impression of a design, with stencils."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from smpstudio._design import Design
from smpstudio.cli._common import PathType, stderr_console, stdout_console, write_atomically
from smpstudio.cli._design import build_design, design_options, png_bytes, print_summary
from smpstudio.cli._group import cli
from smpstudio.colour import load_dilution_table
from smpstudio.density import ZONES
from smpstudio.dots import (
    DotsError,
    Impressions,
    blend_for,
    dilution_rule,
    impressions_csv,
    place_impressions,
    stencil_svg,
)

__all__ = [
    "DEFAULT_HAIR",
    "DEFAULT_SKIN",
    "colour_options",
    "impression_files",
    "place",
    "print_counts",
]

DEFAULT_SKIN = "#d7bd96"
"""Skin of the virtual head when none is given: Monk Skin Tone 5 (light–medium)."""
DEFAULT_HAIR = "dark-brown"


def colour_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Skin, hair colour and dilution-table options."""
    options = [
        click.option(
            "--skin",
            default=DEFAULT_SKIN,
            show_default=True,
            metavar="#RRGGBB",
            help="Scalp skin colour (sRGB); it sets every dot's dilution.",
        ),
        click.option(
            "--hair-color",
            "hair",
            default=DEFAULT_HAIR,
            show_default=True,
            metavar="NAME|#RRGGBB",
            help="Remaining-hair colour: black, dark-brown, "
            "brown, light-brown, blond, grey, white, or sRGB.",
        ),
        click.option(
            "--dilution-table",
            type=PathType(dir_okay=False, path_type=Path),
            default=None,
            metavar="FILE",
            help="The clinic's dilution table (JSON).",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def place(d: Design, skin: str, hair: str, table_path: Path | None) -> Impressions:
    """Place the design's impressions with dilutions for ``skin`` and ``hair``: the body
    shade that blends the healed scalp with the remaining hair (``blend_for``)."""
    table = load_dilution_table(table_path) if table_path else None
    rule = dilution_rule(skin, hair, table=table, settings=d.settings)
    return place_impressions(d, dilution=rule)


def impression_files(d: Design, impressions: Impressions) -> dict[str, bytes]:
    """``dots.csv`` and one SVG stencil per session."""
    files = {"dots.csv": impressions_csv(impressions).encode("utf-8")}
    for k in range(1, impressions.sessions + 1):
        files[f"stencil-session-{k}.svg"] = stencil_svg(d, impressions, k).encode("utf-8")
    return files


@cli.command("dots")
@design_options
@colour_options
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=PathType(file_okay=False, path_type=Path),
    help="Folder for design.json, chart.png, dots.csv and the session stencils.",
)
def dots_command(
    out_dir: Path, skin: str, hair: str, dilution_table: Path | None, **params: Any
) -> None:
    """Place every impression of a design: position, session, zone, size, needle, dilution.

    Writes DIR/design.json, DIR/chart.png, DIR/dots.csv and DIR/stencil-session-N.svg.
    """
    err = stderr_console()
    with err.status("designing…"):
        d = build_design(params)
    with err.status("placing impressions…"):
        impressions = place(d, skin, hair, dilution_table)
    if len(impressions) == 0:
        raise DotsError(
            "this design asks for no impressions (its density is zero everywhere): lower "
            "--hairline-height-cm or choose a --pattern with hair loss; nothing was written"
        )
    with err.status("drawing the chart and stencils…"):
        files = {"design.json": d.to_json().encode("utf-8"), "chart.png": png_bytes(d)}
        files.update(impression_files(d, impressions))
    written = write_atomically(out_dir, files)
    print_summary(d, [])
    print_counts(impressions)
    print_blend(d, skin, hair, dilution_table)
    for path in written:
        stdout_console().print(f"wrote {path}")


def print_blend(d: Design, skin: str, hair: str, table_path: Path | None) -> None:
    """The body shade that blends the healed scalp with the remaining hair, and a warning
    when the table's natural limits keep it from doing so."""
    table = load_dilution_table(table_path) if table_path else None
    advice = blend_for(skin, hair, d.settings, table=table)
    out = stdout_console()
    out.print(
        f"blend: body shade {advice.ml_water:g} mL water per mL pigment (chart "
        f"{advice.chart_ml_water:g} mL); healed scalp against the remaining hair "
        f"ΔL* {advice.delta_l:+.1f} seen from a metre",
        highlight=False,
    )
    if advice.notice is not None:
        out.print(f"[bold yellow]warning:[/] {advice.notice}", highlight=False)


def print_counts(impressions: Impressions) -> None:
    """Table of new impressions per session and zone."""
    zones = [z for z in ZONES[1:] if any(impressions.counts[k][z] for k in impressions.counts)]
    table = Table("session", *zones, "new", "cumulative", title="impressions")
    total = 0
    for k, row in impressions.counts.items():
        new = sum(row.values())
        total += new
        table.add_row(str(k), *(f"{row[z]:,}" for z in zones), f"{new:,}", f"{total:,}")
    stdout_console().print(table)
