"""The colour of the whites of the eyes under neutral light, and how often the light is read
as coloured, on a folder of portraits taken in neutral light.

For ``smpstudio.photo._lighting`` (``SCLERA_RGB``, ``SCLERA_SPREAD``) and docs/photo.md §5.
The figures there were measured on the official colour portraits of the 118th Congress
(studio flash; civicsense2025/civic-sense-main @ e24da4c8765482084fb031ba7670ae125c17577e :
``public/images/congress/118/*/original.jpg``, public domain, US GPO; 513 files, not stored
here). Each photo is shrunk like tests/data/photos/eval/prepare.py (area averaging to at
most 1024 px), analysed, and its sclera's brighter half averaged in linear light. Prints the
median sclera colour (linear RGB, mean 1), the robust spread of log(R/G) and log(B/G), and
how the analysis read the light (reference, and neutral / corrected / no tone). Run from the
repository root:

    .venv/bin/python tools/calibrate_sclera.py FOLDER
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

from smpstudio.photo import Photo, analyze_photo
from smpstudio.photo._lighting import _sclera_colour, sclera_pixels

MAX_SIDE = 1024
"""Longest side the portraits are shrunk to (as the evaluation photos are)."""


def _shrunk(path: Path) -> Photo:
    with Image.open(path) as image:
        rgb = image.convert("RGB")
        scale = min(1.0, MAX_SIDE / max(rgb.size))
        if scale < 1.0:
            size = (round(rgb.width * scale), round(rgb.height * scale))
            rgb = rgb.resize(size, Image.Resampling.BOX)
        return Photo.from_array(np.asarray(rgb, dtype=np.uint8))


def main(folder: Path) -> None:
    colours = []
    readings: Counter[tuple[str, str]] = Counter()
    for path in sorted(folder.glob("*.jpg")):
        analysis = analyze_photo(_shrunk(path))
        light, marks = analysis.lighting, analysis.landmarks
        if light is None or "greyscale" in light.flags or marks is None or marks.mesh is None:
            continue
        colour = _sclera_colour(sclera_pixels(analysis.photo.pixels, marks.mesh))
        if colour is None:
            continue
        colours.append(colour)
        state = "no tone" if "colour-cast" in light.flags else "neutral"
        readings[(light.reference, "corrected" if light.corrected else state)] += 1
    found = np.array(colours)
    logs = np.log(np.column_stack([found[:, 0] / found[:, 1], found[:, 2] / found[:, 1]]))
    median = np.median(logs, axis=0)
    spread = 1.4826 * np.median(np.abs(logs - median), axis=0)
    rgb = np.exp([median[0], 0.0, median[1]])
    print(f"{len(found)} colour portraits with enough sclera")
    print(f"SCLERA_RGB = {np.round(rgb / rgb.mean(), 3).tolist()}")
    print(f"SCLERA_SPREAD = {np.round(spread, 3).tolist()}")
    for (reference, state), count in sorted(readings.items()):
        print(f"{reference:20s} {state:10s} {count:4d} ({100 * count / len(found):.1f} %)")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
