"""``smpstudio simulate`` and ``smpstudio demo``: the whole job, design to documents.

A simulation designs the treatment, places every impression, renders each requested view
before and after (healed) plus any other requested state, and, given a first session date,
plans the sessions and writes the plan, its PDF (with the renders) and the calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from PIL import Image
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from smpstudio._clock import Clock
from smpstudio._design import Design, keeps_long_hair
from smpstudio._errors import InputError
from smpstudio.cli._common import PathType, png_of, stderr_console, stdout_console, write_atomically
from smpstudio.cli._design import build_design, design_options, face_options, print_summary
from smpstudio.cli._dots import (
    DEFAULT_HAIR,
    DEFAULT_SKIN,
    colour_options,
    impression_files,
    place,
    print_blend,
    print_counts,
)
from smpstudio.cli._group import cli
from smpstudio.cli._photo import photo_correction_options, photo_simulation_files
from smpstudio.cli._plan import issued_now, parse_day, plan_files, print_plan
from smpstudio.cli._series import (
    disagreement,
    ingest_series,
    photo_series_files,
    series_lines,
    series_views,
)
from smpstudio.colour import SkinTone, load_dilution_table
from smpstudio.dots import Impressions
from smpstudio.head import MEASURE_RANGES_MM
from smpstudio.plan import build_plan
from smpstudio.render import (
    PHOTO_VIEWS,
    SHEET_SIZES,
    RenderState,
    look_for,
    parse_state,
    render_chart,
    render_sheet,
    render_view,
    zone_map,
)

if TYPE_CHECKING:
    from smpstudio.photo import Photo

__all__ = ["DEMO", "parse_views", "render_files"]

DEFAULT_VIEWS = ("front", "top", "three-quarter")
PART_VIEWS = ("part", "front", "top")
"""The default views of female-pattern and diffuse thinning: the parting first."""
DEMO = {"pattern": "norwood-5", "hairline_style": "soft", "seed": 7}
"""The embedded demo: virtual head M, Norwood 5, soft hairline."""
MIN_SIZE, MAX_SIZE = 64, 8192


def parse_views(text: str) -> tuple[str, ...]:
    """``front,top`` → the views, each known and listed once (``all`` for every view)."""
    if text.strip().lower() == "all":
        return tuple(PHOTO_VIEWS)
    views = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    unknown = [v for v in views if v not in PHOTO_VIEWS]
    if unknown or not views:
        raise InputError(
            f"--views {text!r}: unknown view {', '.join(unknown) or '(none given)'}; "
            f"use a comma list of {', '.join(PHOTO_VIEWS)}, or all"
        )
    return views


def _default_views(pattern: str) -> tuple[str, ...]:
    return PART_VIEWS if keeps_long_hair(pattern.strip().lower()) else DEFAULT_VIEWS


def _states(texts: Sequence[str]) -> tuple[RenderState, ...]:
    states = [parse_state(part) for text in texts for part in text.split(",") if part.strip()]
    extra = [s for s in states if s.name not in ("before", "healed")]
    return tuple({s.label: s for s in extra}.values())


def render_files(
    d: Design,
    impressions: Impressions,
    *,
    skin: str,
    hair: str,
    views: Sequence[str],
    size: int,
    states: Sequence[RenderState] = (),
    zones: bool = False,
    advance: Any = None,
) -> dict[str, bytes]:
    """``before-VIEW.png``, ``after-VIEW.png`` (healed) and ``sheet-VIEW.png`` (both side by
    side with a true-scale close-up, :func:`smpstudio.render.render_sheet`, its views
    ``size`` px, at most 1024 and at least 128) for each view, and ``STATE-VIEW.png`` for
    each extra state (``fresh``, ``year-N``); with ``zones``, ``zones-VIEW.png``, the view's
    zone map (:func:`smpstudio.render.zone_map`)."""
    look = look_for(skin, hair)
    files: dict[str, bytes] = {}
    jobs: list[tuple[str, RenderState | str]] = [("before", "before"), ("after", "healed")]
    jobs += [(s.label, s) for s in states]
    for name in views:
        for prefix, state in jobs:
            image = render_view(d, impressions, look, view_name=name, size=size, state=state)
            files[f"{prefix}-{name}.png"] = png_of(image)
            if advance is not None:
                advance()
        sheet = render_sheet(d, impressions, look, view_name=name, size=sheet_size(size))
        files[f"sheet-{name}.png"] = png_of(sheet)
        if zones:
            labels = zone_map(d, view_name=name, size=size)
            files[f"zones-{name}.png"] = png_of(Image.fromarray(labels, "L"))
    return files


def sheet_size(size: int) -> int:
    """The size of a sheet's views for renders of ``size`` px: the same up to 1024 px (the
    kept bases are reused), 1024 above, 128 below."""
    return min(max(size, SHEET_SIZES[0]), 1024)


def _check_size(size: int) -> int:
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise InputError(f"--size {size} px is outside {MIN_SIZE}–{MAX_SIZE}")
    return size


@contextmanager
def _progress(total: int) -> Iterator[Any]:
    console = stderr_console()
    progress = Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    with progress:
        task = progress.add_task("simulating", total=total)

        def step(description: str | None = None) -> None:
            if description is not None:
                progress.update(task, description=description)
            else:
                progress.advance(task)

        yield step


@dataclass(frozen=True)
class _OnPhotos:
    """What simulating on the client's photos gave: the files, the series' report lines and
    warning, and the skin read on the photos (None when ``--skin`` was given)."""

    files: dict[str, bytes]
    report: list[str]
    warning: str | None
    measured: SkinTone | None


def _on_photos(
    photos: Sequence[Path],
    series_photos: Sequence[Photo],
    *,
    design: Design,
    photo_views: Sequence[str],
    skin: str | None,
    hair: str,
    dilution_table: Path | None,
    edits: dict[str, Any] | None,
    notes: list[str],
) -> _OnPhotos:
    """The design simulated on one photo, or on a series of photos of one client."""
    if len(photos) == 1:
        used: list[SkinTone] = []
        files = photo_simulation_files(
            photos[0],
            view=series_views(photo_views, 1)[0],
            design=design,
            skin=skin,
            hair=hair,
            dilution_table=dilution_table,
            edit_options=edits,
            notes=notes,
            used_skin=used,
        )
        return _OnPhotos(files, [], None, used[0] if skin is None and used else None)
    files, series, pigment = photo_series_files(
        photos,
        photos=series_photos,
        design=design,
        skin=skin,
        hair=hair,
        dilution_table=dilution_table,
        edit_options=edits,
        notes=notes,
    )
    report = series_lines(series, pigment, skin_given=skin is not None)
    return _OnPhotos(files, report, disagreement(series), pigment.skin if skin is None else None)


def _simulate(
    params: dict[str, Any],
    *,
    out_dir: Path,
    skin: str,
    hair: str,
    dilution_table: Path | None,
    views: Sequence[str],
    size: int,
    states: Sequence[RenderState],
    start: dt.date | None,
    photos: Sequence[Path] = (),
    photo_views: Sequence[str] = (),
    photo_skin: str | None = None,
    photo_edits: dict[str, Any] | None = None,
    zones: bool = False,
) -> None:
    issued = issued_now()
    look_for(skin, hair)  # a wrong colour is refused before any work
    series_photos = []  # and a wrong photo of a series
    if len(photos) > 1:
        series_photos = ingest_series(photos, series_views(photo_views, len(photos)))
    renders = len(views) * (2 + len(states))  # the sheets reuse the before and after
    with _progress(3 + renders + (1 if start else 0) + (1 if photos else 0)) as step:
        photo_notes: list[str] = []
        series_report: list[str] = []
        warning: str | None = None
        step("designing")
        d = build_design(params)
        step()
        files: dict[str, bytes] = {}
        measured: SkinTone | None = None
        if photos:
            step("simulating on the photo" if len(photos) == 1 else "simulating on the photos")
            shot = _on_photos(
                photos,
                series_photos,
                design=d,
                photo_views=photo_views,
                skin=photo_skin,
                hair=hair,
                dilution_table=dilution_table,
                edits=photo_edits,
                notes=photo_notes,
            )
            files.update(shot.files)
            series_report += shot.report
            warning, measured = shot.warning, shot.measured
            step()
        if measured is not None:  # the client's skin, read on the photo, sets everything
            skin = measured.hex
            photo_notes.append(
                f"skin tone read on the photo: {measured.hex} (Monk {measured.monk}, ITA "
                f"{measured.ita:.0f}°); the virtual head, the impressions' dilutions"
                f"{' and the plan' if start is not None else ''} use it (give --skin to choose)"
            )
        step("placing impressions")
        impressions = place(d, skin, hair, dilution_table)
        chart = render_chart(d, look=look_for(skin, hair))
        files.update({"design.json": d.to_json().encode("utf-8"), "chart.png": png_of(chart)})
        files.update(impression_files(d, impressions))
        step()
        step("rendering views")
        images = render_files(
            d,
            impressions,
            skin=skin,
            hair=hair,
            views=views,
            size=size,
            states=states,
            zones=zones,
            advance=lambda: step(),
        )
        files.update(images)
        plan = None
        if start is not None:
            step("planning sessions")
            plan = build_plan(
                d,
                impressions,
                start=start,
                skin=skin,
                hair=hair,
                shades=load_dilution_table(dilution_table).shades_ml_water,
            )
            pdf_images = _pdf_images(images, views)
            files.update(plan_files(d, plan, issued=issued, images=pdf_images, chart=chart))
            step()
        step("writing files")
        written = write_atomically(out_dir, files)
        step()
    for note in photo_notes:
        stderr_console().print(f"photo: {note}", highlight=False)
    for line in series_report:
        stdout_console().print(line, highlight=False)
    if series_report and warning is not None:
        stderr_console().print(f"[bold yellow]warning:[/] {warning}", highlight=False)
    print_summary(d, [])
    print_counts(impressions)
    print_blend(d, skin, hair, dilution_table)
    if plan is not None:
        print_plan(plan)
    for path in written:
        stdout_console().print(f"wrote {path}")


def _pdf_images(files: dict[str, bytes], views: Sequence[str]) -> list[tuple[str, Image.Image]]:
    """For the client's PDF: the first view's sheet (before | after and the close-up, full
    width), then before and after of the second view side by side."""
    first, *others = views
    sheet = Image.open(BytesIO(files[f"sheet-{first}.png"]))
    images: list[tuple[str, Image.Image]] = [
        (f"Before and after, healed ({first} view), and the scalp close up", sheet)
    ]
    for name in others[:1]:
        for prefix, caption in (("before", "Before"), ("after", "After, healed")):
            image = Image.open(BytesIO(files[f"{prefix}-{name}.png"]))
            images.append((f"{caption} ({name} view)", image))
    return images


@cli.command("simulate")
@design_options
@colour_options
@click.option(
    "--views",
    default=None,
    metavar="V1,V2",
    help=f"Views to render: {', '.join(PHOTO_VIEWS)}, or all (default "
    f"{','.join(DEFAULT_VIEWS)}; {','.join(PART_VIEWS)} for ludwig-* and diffuse).",
)
@click.option(
    "--size",
    type=int,
    default=1024,
    show_default=True,
    metavar="PX",
    help=f"Image width and height ({MIN_SIZE}–{MAX_SIZE} px).",
)
@click.option(
    "--state",
    "states",
    multiple=True,
    metavar="STATE",
    help="Also render fresh (day 0) or year-N (faded, N = 0–20); repeatable or a comma list.",
)
@click.option(
    "--start",
    default=None,
    metavar="YYYY-MM-DD",
    help="Date of the first session: also write plan.json, plan.pdf and aftercare.ics.",
)
@click.option(
    "--photo",
    "photos",
    type=PathType(dir_okay=False, path_type=Path),
    multiple=True,
    metavar="PATH",
    help="A client photo (JPEG, PNG, WebP, HEIC): also write before-photo.png, "
    "after-photo.png and side-by-side.png. Without --skin the skin is measured on it and "
    "sets the virtual head, the dilutions and the plan too. "
    "Repeat it for several photos of one client: one skin reading, pigment and hairline "
    "height for all, before-photo-N.png and after-photo-N.png each, contact-sheet.png and "
    "photo-series.json.",
)
@click.option(
    "--view",
    "photo_views",
    multiple=True,
    metavar="V",
    help="What the photo shows: frontal (default), top, left, right or back; one for "
    "every --photo, or one per --photo in order.",
)
@photo_correction_options
@click.option(
    "--zone-map",
    "zones",
    is_flag=True,
    help="Also write zones-VIEW.png for each view: one 8-bit label a pixel, the size of the "
    "render: 0 background, 1 skin without impressions, 2 remaining hair without impressions, "
    "3 impressions on bald scalp, 4 impressions among remaining hair, 5 scar.",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=PathType(file_okay=False, path_type=Path),
    help="Output folder.",
)
def simulate_command(
    out_dir: Path,
    skin: str,
    hair: str,
    dilution_table: Path | None,
    views: str | None,
    size: int,
    states: tuple[str, ...],
    start: str | None,
    photos: tuple[Path, ...],
    photo_views: tuple[str, ...],
    zones: bool,
    **params: Any,
) -> None:
    """Design, place every impression and render the result before and after.

    Writes DIR/before-VIEW.png, DIR/after-VIEW.png (healed) and DIR/sheet-VIEW.png (both side
    by side with a 20 mm close-up) for each view, DIR/STATE-VIEW.png for each extra state,
    DIR/design.json, DIR/chart.png, DIR/dots.csv, the session stencils and, with --start,
    DIR/plan.json, DIR/plan.pdf and DIR/aftercare.ics; with --photo, DIR/before-photo.png,
    DIR/after-photo.png and DIR/side-by-side.png. The photo takes the same corrections as
    ``smpstudio analyze`` (landmarks, face, scale, hairline, regions). With several --photo
    of one client, DIR/before-photo-N.png and DIR/after-photo-N.png for each,
    DIR/contact-sheet.png and DIR/photo-series.json: one skin reading, one pigment and one
    hairline height for all of them (the corrections apply to the first). With --zone-map,
    DIR/zones-VIEW.png for each view.
    """
    context = click.get_current_context()
    measured = context.get_parameter_source("skin") is click.core.ParameterSource.DEFAULT
    photo_edits = {name: params.pop(name) for name in PHOTO_CORRECTIONS}
    given = [name for name in PHOTO_CORRECTIONS if not _is_default(context, name)]
    if not photos and given:
        flags = ", ".join("--" + name.replace("_", "-") for name in given)
        raise InputError(f"{flags} correct a client photo: give it with --photo PATH")
    _simulate(
        params,
        out_dir=out_dir,
        skin=skin,
        hair=hair,
        dilution_table=dilution_table,
        views=parse_views(views) if views is not None else _default_views(params["pattern"]),
        size=_check_size(size),
        states=_states(states),
        start=parse_day(start, "--start") if start else None,
        photos=photos,
        photo_views=photo_views,
        photo_skin=None if measured else skin,
        photo_edits=photo_edits,
        zones=zones,
    )


PHOTO_CORRECTIONS = (
    "landmark",
    "face",
    "ipd_mm",
    "mm_per_px",
    "calibrate",
    "hairline_px",
    "mask",
    "polygon",
    "brush",
)
"""The keyword arguments of :func:`~smpstudio.cli._photo.photo_correction_options`."""


def _is_default(context: click.Context, name: str) -> bool:
    source = context.get_parameter_source(name)
    return source in (None, click.core.ParameterSource.DEFAULT)


@cli.command("demo")
@click.option(
    "--out",
    "out_dir",
    default=Path("demo"),
    show_default=True,
    type=PathType(file_okay=False, path_type=Path),
    help="Output folder.",
)
@click.option(
    "--start",
    default=None,
    metavar="YYYY-MM-DD",
    help="First session date (default: the Monday at least a week from today).",
)
@face_options
def demo_command(
    out_dir: Path, start: str | None, sex: str, age_years: float, head_morphs: tuple[str, ...]
) -> None:
    """Run the main job on the embedded defaults: virtual head M, Norwood 5, soft hairline,
    light-medium skin, dark-brown hair; renders, dots, stencils and the plan with its PDF
    and calendar. The face under the scalp: a man of 35 unless told otherwise."""
    params: dict[str, Any] = {
        "sex": sex,
        "age_years": age_years,
        "head_morphs": head_morphs,
        "hairline_height_cm": None,
        "hairline_rule": "fixed",
        "hairline_shape": None,
        "hairline_profile": None,
        "temporal_rise_mm": None,
        "head_preset": "M",
        "scars": (),
        "areata": (),
        "density": None,
        "sessions": None,
        "overrides": (),
        "hair_length_mm": None,
        **DEMO,
        **dict.fromkeys(MEASURE_RANGES_MM),
    }
    _simulate(
        params,
        out_dir=out_dir,
        skin=DEFAULT_SKIN,
        hair=DEFAULT_HAIR,
        dilution_table=None,
        views=DEFAULT_VIEWS,
        size=1024,
        states=(parse_state("fresh"), parse_state("year-5")),
        start=parse_day(start, "--start") if start else _next_monday(),
    )


def _next_monday() -> dt.date:
    soon = Clock.from_env().today() + dt.timedelta(days=7)
    return soon + dt.timedelta(days=(7 - soon.weekday()) % 7)
