"""``smpstudio simulate --photo A --photo B …``: several photos of one client, one result set.

Every photo is read before any work starts (one unreadable photo refuses the whole series,
naming the file); the series (:func:`smpstudio.photo.analyze_series`) pools one skin reading,
chooses one pigment and carries one hairline height to every photo; the files are
``before-photo-N.png`` and ``after-photo-N.png`` per photo, ``contact-sheet.png`` (every
photo before | after) and ``photo-series.json`` (the shared reading, the design and each
photo's part).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from smpstudio._design import Design
from smpstudio._errors import InputError, PhotoError
from smpstudio.colour import load_dilution_table, skin_tone
from smpstudio.photo import (
    Photo,
    PhotoEdits,
    PhotoSeries,
    PhotoTreatment,
    SeriesPigment,
    analyze_series,
    encode_pngs,
    ingest_photo,
    parse_view,
    series_pigment,
    simulate_series,
)
from smpstudio.render import parse_state

__all__ = [
    "SERIES_FILES",
    "disagreement",
    "ingest_series",
    "photo_series_files",
    "series_lines",
    "series_views",
]

SERIES_FILES = ("contact-sheet.png", "photo-series.json")
"""The files of a series besides ``before-photo-N.png`` and ``after-photo-N.png``."""


def series_views(views: Sequence[str], count: int) -> tuple[str, ...]:
    """The view of each of ``count`` photos: none given (all frontal), one for all, or one
    per photo in order."""
    if not views:
        return ("frontal",) * count
    if len(views) == 1:
        return (parse_view(views[0]),) * count
    if len(views) != count:
        raise InputError(
            f"{len(views)} --view for {count} --photo: give one --view for all photos or "
            "one per --photo, in the same order"
        )
    return tuple(parse_view(v) for v in views)


def ingest_series(paths: Sequence[Path], views: Sequence[str]) -> list[Photo]:
    """Every photo of a series, read before any work: one unreadable photo refuses them all,
    naming it."""
    photos = []
    for n, (path, view) in enumerate(zip(paths, views, strict=True), start=1):
        try:
            photos.append(ingest_photo(path, view=view))
        except PhotoError as exc:
            text = str(exc) if path.name in str(exc) else f"{path}: {exc}"
            raise PhotoError(
                f"{text} (photo {n} of {len(paths)}: the series is refused, nothing written)"
            ) from exc
    return photos


def photo_series_files(
    paths: Sequence[Path],
    *,
    photos: Sequence[Photo],
    design: Design,
    skin: str | None,
    hair: str,
    dilution_table: Path | None = None,
    state: str = "healed",
    edit_options: Mapping[str, Any] | None = None,
    max_height: int = 2048,
    notes: list[str] | None = None,
) -> tuple[dict[str, bytes], PhotoSeries, SeriesPigment]:
    """SMP of ``design`` on several photos of one client, consistent across them.

    ``photos`` are the photos at ``paths`` (:func:`ingest_series`). ``edit_options`` (the
    keyword arguments of
    :func:`~smpstudio.cli._photo.photo_correction_options`) correct the first photo; a
    hairline drawn on it sets the height for the others. ``skin`` (``#rrggbb``) replaces
    the pooled reading for the pigment. Returns the files, the series and its pigment.
    """
    from smpstudio.cli._photo import _quiet_native_logs, edits_from_options

    moment = parse_state(state)
    if moment.name == "before":
        raise PhotoError("state before is the photo itself: use healed, fresh or year-N")
    first: PhotoEdits = edits_from_options(size=photos[0].size, **(edit_options or {}))
    treatment = PhotoTreatment.from_design(design)
    with _quiet_native_logs():
        series = analyze_series(
            photos, edits=[first], treatment=treatment, seed=int(design.inputs["seed"])
        )
    tone = skin_tone(skin) if skin is not None else series.skin.tone
    if tone is None:
        raise PhotoError(
            "no photo of the series lets the skin be measured (greyscale, coloured light or "
            "no skin): give the tone with --skin #rrggbb"
        )
    table = load_dilution_table(dilution_table) if dilution_table else None
    pigment = series_pigment(tone, hair, table=table, settings=design.settings)
    sims = simulate_series(
        series, treatment=treatment, pigment=pigment, state=moment.name, years=moment.years
    )
    images = [image for s in sims.simulations for image in (s.before, s.after)]
    images.append(sims.contact_sheet(row_height=min(max_height, 1024)))
    encoded = encode_pngs(tuple(images))
    files: dict[str, bytes] = {}
    for i in range(len(photos)):
        files[f"before-photo-{i + 1}.png"] = encoded[2 * i]
        files[f"after-photo-{i + 1}.png"] = encoded[2 * i + 1]
    files["contact-sheet.png"] = encoded[-1]
    report = {**series.to_dict(), "pigment": pigment.to_dict(), "skin_given": skin is not None}
    report["photos"] = [
        {**entry, "file": str(path)} for entry, path in zip(report["photos"], paths, strict=True)
    ]
    files["photo-series.json"] = (json.dumps(report, indent=2, ensure_ascii=False) + "\n").encode()
    if notes is not None:
        for i, analysis in enumerate(series.analyses):
            notes += [f"photo {i + 1}: {w}" for w in analysis.warnings]
    return files, series, pigment


def series_lines(series: PhotoSeries, pigment: SeriesPigment, *, skin_given: bool) -> list[str]:
    """What ``simulate`` prints about a series: the shared reading, the pigment, the
    hairline, and a warning when the photos' readings disagree."""
    skin = series.skin
    lines = []
    if skin.tone is not None:
        used = ", ".join(str(i + 1) for i in skin.used)
        lines.append(
            f"photos: skin {skin.tone.hex}, Monk {skin.tone.monk}, ITA {skin.tone.ita:.0f}° "
            f"from photo {used} (largest difference of a reading ΔE {skin.spread_delta_e:.1f})"
        )
    if skin_given:
        lines.append(f"photos: the pigment uses the given skin {pigment.skin.hex}")
    lines.append(
        f"photos: body shade {pigment.body_ml_water:g} mL water per mL pigment, healed dot "
        f"{pigment.healed_dot_hex}, for every photo"
    )
    design = series.design
    if design.hairline_height_mm is not None and design.reference is not None:
        lines.append(
            f"photos: hairline {design.hairline_height_mm:.1f} mm above the glabella "
            f"({design.height_from}, photo {design.reference + 1}), carried to every photo "
            "with a face"
        )
    for i, notes in enumerate(series.notes):
        lines += [f"photo {i + 1}: {n}" for n in notes]
    return lines


def disagreement(series: PhotoSeries) -> str | None:
    """The warning when some photos' skin readings were left out for differing."""
    out = [v for v in series.skin.votes if v.tone is not None and not v.used]
    if not out:
        return None
    which = "; ".join(f"photo {v.index + 1} {v.reason}" for v in out)
    return (
        f"the photos' skin readings disagree ({which}): different light or a different "
        "person? The pooled reading leaves them out"
    )
