"""``smpstudio analyze``: what a client photo shows, as JSON; and the files of
``smpstudio simulate --photo`` (:func:`photo_simulation_files`)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import numpy as np

from smpstudio._design import Design
from smpstudio._errors import PhotoError
from smpstudio.cli._common import PathType, stdout_console, write_atomically
from smpstudio.cli._group import cli
from smpstudio.colour import SkinTone, load_dilution_table, skin_tone
from smpstudio.dots import dilution_rule
from smpstudio.photo import (
    LANDMARK_NAMES,
    PHOTO_VIEWS,
    Correction,
    Photo,
    PhotoAnalysis,
    PhotoEdits,
    PhotoTreatment,
    analyze_photo,
    encode_png,
    ingest_photo,
    parse_calibration,
    parse_correction,
    parse_point,
    parse_points,
    parse_view,
    simulate_photo,
)
from smpstudio.photo._stages import stage
from smpstudio.render import parse_state

__all__ = [
    "PHOTO_FILES",
    "edits_from_options",
    "photo_correction_options",
    "photo_edit_options",
    "photo_simulation_files",
]

PHOTO_FILES = ("before-photo.png", "after-photo.png", "side-by-side.png")
"""The files :func:`photo_simulation_files` returns."""


def photo_correction_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The hand corrections of a photo, as options (shared by ``analyze`` and ``simulate``):
    landmarks, scale, hand-drawn hairline, region masks and which face to use.

    They arrive as keyword arguments ``landmark``, ``ipd_mm``, ``mm_per_px``, ``calibrate``,
    ``hairline_px``, ``mask``, ``polygon``, ``brush`` and ``face``; turn them into
    :class:`~smpstudio.photo.PhotoEdits` with :func:`edits_from_options`.
    """
    for option in reversed(_CORRECTION_OPTIONS):
        fn = option(fn)
    return fn


def photo_edit_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """:func:`photo_correction_options` and ``--hairline-height-mm`` (``analyze``; in
    ``simulate`` the design sets the hairline's height)."""
    fn = click.option(
        "--hairline-height-mm",
        type=float,
        default=None,
        metavar="MM",
        help="Height of the proposed hairline above the glabella, as seen on the photo.",
    )(fn)
    return photo_correction_options(fn)


_CORRECTION_OPTIONS = [
    click.option(
        "--landmark",
        multiple=True,
        metavar="NAME=X,Y",
        help="Place a face landmark by hand (pixels); NAME is one of "
        f"{', '.join(LANDMARK_NAMES)}. Repeatable.",
    ),
    click.option(
        "--face",
        type=int,
        default=None,
        metavar="N",
        help="Which face of a photo of several people (1 = leftmost in the photo); "
        "the largest by default.",
    ),
    click.option(
        "--ipd-mm",
        type=float,
        default=63.0,
        show_default=True,
        metavar="MM",
        help="The client's interpupillary distance, which sets the scale.",
    ),
    click.option(
        "--mm-per-px", type=float, default=None, metavar="MM", help="The scale, given directly."
    ),
    click.option(
        "--calibrate",
        default=None,
        metavar="X1,Y1,X2,Y2,MM",
        help="The scale from two points a known distance apart (a ruler in the photo).",
    ),
    click.option(
        "--hairline-px",
        default=None,
        metavar="X,Y;X,Y;…",
        help="Draw the hairline by hand (pixels, from the client's right end to the left).",
    ),
    click.option(
        "--mask",
        multiple=True,
        metavar="REGION=FILE",
        help="Relabel the white pixels of a mask image (the photo's size) as REGION "
        "(background, face, hair, thinning, scalp). Repeatable.",
    ),
    click.option("--polygon", multiple=True, metavar="REGION=X,Y;X,Y;…", help="Relabel a polygon."),
    click.option(
        "--brush", multiple=True, metavar="REGION=R:X,Y;X,Y;…", help="Relabel a brush stroke."
    ),
]


def edits_from_options(
    *,
    size: tuple[int, int],
    landmark: Sequence[str] = (),
    ipd_mm: float = 63.0,
    mm_per_px: float | None = None,
    calibrate: str | None = None,
    hairline_px: str | None = None,
    hairline_height_mm: float | None = None,
    mask: Sequence[str] = (),
    polygon: Sequence[str] = (),
    brush: Sequence[str] = (),
    face: int | None = None,
) -> PhotoEdits:
    """The :class:`~smpstudio.photo.PhotoEdits` of the options of :func:`photo_edit_options`
    for a photo of ``size`` (width, height)."""
    points: dict[str, tuple[float, float]] = {}
    for text in landmark:
        name, sep, value = text.partition("=")
        if not sep:
            raise PhotoError(f"--landmark {text!r}: write NAME=X,Y, e.g. glabella=812,430")
        points[name.strip().lower()] = parse_point(value, what=f"landmark {name.strip()}")
    corrections: list[Correction] = []
    for kind, texts in (("mask", mask), ("polygon", polygon), ("brush", brush)):
        corrections += [parse_correction(kind, t, size=size) for t in texts]
    return PhotoEdits(
        landmarks=points,
        ipd_mm=ipd_mm,
        mm_per_px=mm_per_px,
        calibration=parse_calibration(calibrate) if calibrate else None,
        hairline=parse_points(hairline_px, what="hairline points") if hairline_px else None,
        hairline_rule="height" if hairline_height_mm is not None else None,
        hairline_height_mm=hairline_height_mm,
        corrections=tuple(corrections),
        face=face,
    )


@contextmanager
def _quiet_native_logs() -> Iterator[None]:
    """Silence what the face-mesh's native code prints on file descriptor 2 (TensorFlow Lite
    and absl start-up lines); Python's own errors are raised after it is restored."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (embedded, captured)
        yield
        return
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _analyze(photo: Photo, edits: PhotoEdits, treatment: PhotoTreatment | None) -> PhotoAnalysis:
    with _quiet_native_logs():
        return analyze_photo(photo, edits=edits, treatment=treatment)


def photo_simulation_files(
    path: Path,
    *,
    view: str,
    design: Design,
    skin: str | None,
    hair: str,
    seed: int | None = None,
    dilution_table: Path | None = None,
    state: str = "healed",
    session: int | None = None,
    edits: PhotoEdits | None = None,
    edit_options: Mapping[str, Any] | None = None,
    max_height: int = 2048,
    notes: list[str] | None = None,
    used_skin: list[SkinTone] | None = None,
) -> dict[str, bytes]:
    """SMP of ``design`` simulated on the client photo at ``path``.

    Parameters
    ----------
    path
        The photo (JPEG, PNG, WebP or HEIC; safely ingested, metadata removed).
    view
        ``frontal``, ``top``, ``left``, ``right`` or ``back`` (``front`` is accepted).
    design
        The design: density, sessions, hairline height, shape and style, dot sizes.
    skin
        Scalp colour ``#rrggbb`` for the dilutions; None measures it on the photo (bare
        scalp, else forehead).
    hair
        Remaining-hair colour (a dilution-table name or ``#rrggbb``).
    seed
        Seed of the impressions; the design's by default.
    dilution_table
        A clinic dilution table (JSON) instead of the shipped one.
    state
        ``healed``, ``fresh`` or ``year-N``.
    session
        Show the result after this session; after the last by default.
    edits
        Hand corrections (landmarks, scale, hairline, region masks);
        :func:`edits_from_options` builds them from :func:`photo_edit_options`.
    edit_options
        Instead of ``edits``: the keyword arguments of :func:`photo_correction_options`,
        turned into edits once the photo's size is known.
    notes
        A list that receives what the user should know: the analysis's warnings, and why
        the after photo equals the before when it does.
    used_skin
        A list that receives the skin tone the dilutions were chosen for (the one measured
        on the photo without ``skin``).
    max_height
        Height limit of ``side-by-side.png``, which is also at most
        :data:`~smpstudio.photo.SIDE_BY_SIDE_MAX_SIDE` (4096) px wide (the before and
        after photos keep the photo's size).

    Returns
    -------
    dict
        ``before-photo.png`` (the photo as ingested: upright, sRGB, no metadata),
        ``after-photo.png`` and ``side-by-side.png``, as PNG bytes.

    Raises
    ------
    PhotoError
        A refused photo, no face and no hand landmarks on a frontal photo, no scale.
    """
    with stage("ingest"):
        photo = ingest_photo(path, view=parse_view(view))
    treatment = PhotoTreatment.from_design(design)
    if edits is None:
        edits = edits_from_options(size=photo.size, **(edit_options or {}))
    analysis = _analyze(photo, edits, treatment)
    tone = skin_tone(skin) if skin is not None else analysis.skin
    if tone is None:
        light = analysis.lighting
        why = "no skin found on the photo"
        if light is not None and not light.measurable:
            why = "the photo's light hides the skin tone (" + ", ".join(light.flags) + ")"
        raise PhotoError(f"{why}: give the tone to choose the dilutions with --skin #rrggbb")
    table = load_dilution_table(dilution_table) if dilution_table else None
    moment = parse_state(state)
    if moment.name == "before":
        raise PhotoError("state before is the photo itself: use healed, fresh or year-N")
    sim = simulate_photo(
        analysis,
        treatment=treatment,
        dilution=dilution_rule(tone, hair, table=table, settings=design.settings),
        seed=design.inputs["seed"] if seed is None else seed,
        state=moment.name,
        years=moment.years,
        session=session,
    )
    if notes is not None:
        notes += analysis.warnings
        if np.array_equal(sim.after, sim.before):
            notes.append(_unchanged_reason(analysis))
    if used_skin is not None:
        used_skin.append(tone)
    return sim.png_files(max_height=max_height)


def _unchanged_reason(analysis: PhotoAnalysis) -> str:
    """Why the after photo equals the before."""
    if not analysis.segmentation.mask("scalp", "thinning").any():
        why = "no bald or thinning scalp was found on it"
    else:
        why = "the design places no impression on the scalp it shows"
    return (
        f"the after photo is the same as the before: {why}; mark the scalp with "
        "--polygon, --brush or --mask scalp=… if there is some"
    )


@cli.command("analyze")
@click.argument("path", type=PathType(path_type=Path))
@click.option(
    "--view",
    default="frontal",
    show_default=True,
    metavar="VIEW",
    help=f"Which view the photo is: {', '.join(PHOTO_VIEWS)}.",
)
@photo_edit_options
@click.option(
    "--overlay",
    "overlay",
    type=PathType(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE.png",
    help="Also write the photo with the landmarks, hairline and regions drawn on it.",
)
def analyze_command(path: Path, view: str, overlay: Path | None, **options: Any) -> None:
    """Analyse a client photo and print JSON: image size, face landmarks (pixels), mm per
    pixel, the hairline proposal, the area of each region and the skin tone.

    PATH is a JPEG, PNG, WebP or HEIC photo of at most 50 MP. Frontal photos get landmarks
    (found offline; --landmark places or moves them), the scale from the interpupillary
    distance (or --mm-per-px, --calibrate) and a hairline proposal from facial thirds and
    the lateral canthus lines (or --hairline-px). Regions can be corrected with --mask,
    --polygon and --brush.
    """
    photo = ingest_photo(path, view=parse_view(view))
    edits = edits_from_options(size=photo.size, **options)
    analysis = _analyze(photo, edits, None)
    files = {}
    if overlay is not None:
        from smpstudio.photo._overlay import overlay_image

        files[overlay.name] = encode_png(overlay_image(analysis))
    report = analysis.to_dict()
    if overlay is not None:
        write_atomically(overlay.parent if str(overlay.parent) else Path("."), files)
        report["overlay"] = str(overlay)
    stdout_console().out(json.dumps(report, indent=2, ensure_ascii=False), highlight=False)
