"""``smpstudio design`` and ``smpstudio demo``."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from smpstudio._design import LONG_HAIR_DEFAULT_MM, Design, design
from smpstudio._errors import HeadMorphError, InputError
from smpstudio._settings import SESSION_PRESETS, Settings
from smpstudio.cli._common import PathType, png_of, stderr_console, stdout_console, write_atomically
from smpstudio.cli._group import cli
from smpstudio.hairline import HAIRLINE_SHAPES, HAIRLINE_STYLES, HEIGHT_RULES
from smpstudio.head import AGE_RANGE_YEARS, MEASURE_RANGES_MM, MORPH_NAMES, SEXES, HeadMeasures
from smpstudio.loss import PATTERN_NAMES
from smpstudio.render import render_chart

__all__ = ["build_design", "design_options", "png_bytes", "print_summary"]


_Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def _face_option_list() -> list[_Decorator]:
    return [
        click.option(
            "--sex",
            type=click.Choice(SEXES),
            default="male",
            show_default=True,
            help="The client's sex, for the face drawn under the scalp.",
        ),
        click.option(
            "--age",
            "age_years",
            type=float,
            default=35.0,
            show_default=True,
            metavar="YEARS",
            help=f"The client's age ({AGE_RANGE_YEARS[0]:g}–{AGE_RANGE_YEARS[1]:g} years), "
            "for the face.",
        ),
        click.option(
            "--head-morph",
            "head_morphs",
            multiple=True,
            metavar="NAME=WEIGHT",
            help=f"Face morph, repeatable: {', '.join(MORPH_NAMES)}, each weighted 0–1.",
        ),
    ]


def face_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The face options (``--sex``, ``--age``, ``--head-morph``) alone, for ``demo``."""
    for option in reversed(_face_option_list()):
        fn = option(fn)
    return fn


def design_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by every command that builds a design."""
    options: list[_Decorator] = [
        click.option(
            "--pattern",
            required=True,
            metavar="NAME",
            help=f"Hair-loss pattern: {', '.join(PATTERN_NAMES)}.",
        ),
        click.option(
            "--hairline",
            "hairline_style",
            required=True,
            metavar="STYLE",
            help=f"Hairline style: {', '.join(HAIRLINE_STYLES)}.",
        ),
        click.option(
            "--hairline-height-cm",
            type=float,
            default=None,
            metavar="CM",
            help="Mid-frontal hairline height above the glabella, along the skin "
            "(5–11 cm; default 8).",
        ),
        click.option(
            "--hairline-rule",
            default="fixed",
            show_default=True,
            metavar="RULE",
            help=f"Where the height comes from: {', '.join(HEIGHT_RULES)}.",
        ),
        click.option(
            "--hairline-shape",
            default=None,
            metavar="SHAPE",
            help=f"{', '.join(HAIRLINE_SHAPES)} (default: the style's).",
        ),
        click.option(
            "--hairline-profile",
            default=None,
            metavar="A,B,C",
            help="Control points of the frontal curve: its rise at 1/4, 1/2, 3/4 of the way "
            "to the temporal point as a share of the temporal rise (-0.3 to 1.3 each).",
        ),
        click.option(
            "--temporal-rise-mm",
            type=float,
            default=None,
            metavar="MM",
            help="Skin between the mid-frontal level and the temporal points (0–35 mm; "
            "setting hairline_temporal_rise_mm).",
        ),
        click.option(
            "--head",
            "head_preset",
            default="M",
            show_default=True,
            metavar="S|M|L",
            help="Head size preset; the measures below override it.",
        ),
        *[
            click.option(
                f"--{name.replace('_', '-')}",
                name,
                type=float,
                default=None,
                metavar="MM",
                help=f"Head measure ({low:g}–{high:g} mm).",
            )
            for name, (low, high) in MEASURE_RANGES_MM.items()
        ],
        *_face_option_list(),
        click.option(
            "--scar",
            "scars",
            multiple=True,
            metavar="SPEC",
            help="Scar, repeatable: fut[:width=2][:length=240], fue[:count=1500][:punch=0.9], "
            "line:width=W:points=X,Y,Z;X,Y,Z.",
        ),
        click.option(
            "--areata",
            multiple=True,
            metavar="X,Y,Z,R",
            help="Alopecia areata patch centred at X,Y,Z (mm) with radius R (mm), repeatable.",
        ),
        click.option(
            "--density",
            type=float,
            default=None,
            metavar="N",
            help="Full density in impressions/cm² (setting density_full_per_cm2, default 80).",
        ),
        click.option(
            "--sessions",
            default=None,
            metavar="PLAN",
            help=f"Session plan: {', '.join(SESSION_PRESETS)} or cumulative shares like 0.6,0.9,1.",
        ),
        click.option(
            "--set",
            "overrides",
            multiple=True,
            metavar="NAME=VALUE",
            help="Change any setting (see 'smpstudio settings'), repeatable.",
        ),
        click.option(
            "--hair-length-mm",
            type=float,
            default=None,
            metavar="MM",
            help="Length of the client's remaining hair, 0 (shaved, buzz cut) to 300 mm; "
            f"default {LONG_HAIR_DEFAULT_MM:g} for ludwig-* and diffuse (the client keeps "
            "her hair), 0 for the others.",
        ),
        click.option("--seed", type=int, default=0, show_default=True, help="Random seed."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def build_design(params: dict[str, Any]) -> Design:
    overrides: dict[str, Any] = {}
    for item in params["overrides"]:
        name, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"--set {item!r} is not NAME=VALUE")
        overrides[name.strip()] = value.strip()
    if params["density"] is not None:
        overrides["density_full_per_cm2"] = params["density"]
    if params["sessions"] is not None:
        overrides["session_fractions"] = params["sessions"]
    settings = Settings.from_overrides(overrides)
    measures = HeadMeasures.preset(params["head_preset"])
    changes = {k: params[k] for k in MEASURE_RANGES_MM if params[k] is not None}
    head: str | HeadMeasures = (
        measures.replace(**changes) if changes else params["head_preset"].upper()
    )
    return design(
        pattern=params["pattern"],
        hairline=params["hairline_style"],
        hairline_height_cm=params["hairline_height_cm"],
        hairline_rule=params["hairline_rule"],
        hairline_shape=params["hairline_shape"],
        hairline_profile=_profile(params["hairline_profile"]),
        temporal_rise_mm=params["temporal_rise_mm"],
        head=head,
        scars=params["scars"],
        areata=[_areata(text) for text in params["areata"]],
        seed=params["seed"],
        settings=settings,
        hair_length_mm=params.get("hair_length_mm"),
        sex=params.get("sex", "male"),
        age_years=params.get("age_years", 35.0),
        head_morphs=_head_morphs(params.get("head_morphs", ())),
    )


def _head_morphs(items: Sequence[str]) -> dict[str, float]:
    morphs: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            morphs[name.strip()] = float(value) if sep else math.nan
        except ValueError:
            morphs[name.strip()] = math.nan
        if not math.isfinite(morphs[name.strip()]):
            raise HeadMorphError(f"--head-morph {item!r} is not NAME=WEIGHT (weight 0–1)")
    return morphs


def _profile(text: str | None) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise InputError(
            f"--hairline-profile {text!r} is not three numbers like 0.2,0.45,0.75"
        ) from None


def _areata(text: str) -> tuple[float, float, float, float]:
    try:
        x, y, z, r = (float(v) for v in text.split(","))
    except ValueError:
        raise InputError(
            f"--areata {text!r} must be X,Y,Z,RADIUS in mm, e.g. 0,80,-40,12"
        ) from None
    return x, y, z, r


@cli.command("design")
@design_options
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=PathType(file_okay=False, path_type=Path),
    help="Folder for design.json and chart.png (created if missing).",
)
def design_command(out_dir: Path, **params: Any) -> None:
    """Design a treatment: head, hair-loss pattern, hairline and target density.

    Writes DIR/design.json and DIR/chart.png.
    """
    _run_design(params, out_dir)


def _run_design(params: dict[str, Any], out_dir: Path) -> None:
    err = stderr_console()
    with err.status("designing…"):
        d = build_design(params)
        text = d.to_json()
    with err.status("drawing the scalp chart…"):
        chart = png_bytes(d)
    written = write_atomically(out_dir, {"design.json": text.encode("utf-8"), "chart.png": chart})
    print_summary(d, written)


def png_bytes(d: Design) -> bytes:
    """The design's scalp chart as PNG bytes."""
    return png_of(render_chart(d))


def print_summary(d: Design, written: Sequence[Path]) -> None:
    """Areas, density and impression estimate of a design, and the files written."""
    out = stdout_console()
    s = d.summary
    line = d.hairline
    hair = f" · hair {d.hair_length_mm:g} mm" if d.hair_length_mm > 0 else ""
    treated = (
        f"{line.style.name} hairline ({line.shape}) at {line.height_cm:.1f} cm"
        if d.pattern.recedes_hairline
        else "density, own hairline kept"
    )
    out.print(
        f"[bold]{d.pattern.name}[/] · {treated} · head {d.inputs['head']}{hair} · "
        f"seed {d.inputs['seed']}"
    )
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_row("scalp", f"{s.scalp_area_cm2:.1f} cm²")
    table.add_row(
        "bald / thinning / hair", f"{s.bald_cm2:.1f} / {s.thinning_cm2:.1f} / {s.hair_cm2:.1f} cm²"
    )
    table.add_row("treated", f"{s.treatment_cm2:.1f} cm²")
    table.add_row("untreated behind hairline", f"{s.untreated_behind_cm2:.1f} cm²")
    sessions = d.settings.session_fractions
    full = d.settings.density_full_per_cm2
    table.add_row("density (cumulative)", " → ".join(f"{full * f:g}" for f in sessions) + " /cm²")
    table.add_row("impressions (cumulative)", " → ".join(f"{n:,}" for n in s.impressions))
    out.print(table)
    for warning in d.warnings:
        out.print(f"[bold yellow]warning:[/] {warning}", highlight=False)
    for path in written:
        out.print(f"wrote {path}")
