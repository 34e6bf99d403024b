"""Rasterise the hand-drawn label polygons (``labels/NAME.json``) into label PNGs
(``masks/NAME.png``, one byte per pixel, the photo's size).

    python label.py

Each JSON file holds polygons in photo pixels, drawn by looking at the photo: ``person``
(the person's outline: head, neck, body; everything outside it is background), ``hair`` (a
list of polygons), ``scalp`` (bald scalp) and ``face`` (face skin from the hairline down:
forehead, cheeks, chin), and ``hairline``: the face's upper edge (the first points of
``face``, from the photo's left to its right), which the evaluation also gives the analysis
as a hand-drawn hairline to score the parsing apart from the hairline proposal. A file
``{"same_as": "OTHER"}`` reuses OTHER's polygons (the poor-light variants of a photo). They
are filled in this order, the later winning: person (``OTHER``), hair, scalp, face. Where a
bald head has no hairline, the face's upper edge is drawn where the pipeline's convention
puts it: half the glabella–menton height above the glabella (the upper facial third),
following the head's curve.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

HERE = Path(__file__).parent
OTHER, BACKGROUND, FACE, HAIR, SCALP = 0, 1, 2, 3, 4
CODES = {"other": OTHER, "background": BACKGROUND, "face": FACE, "hair": HAIR, "scalp": SCALP}


def polygons(name: str) -> dict[str, object]:
    data = json.loads((HERE / "labels" / f"{name}.json").read_text())
    if "same_as" in data:
        return polygons(str(data["same_as"]))
    return dict(data)


def rasterise(name: str, size: tuple[int, int]) -> np.ndarray:
    """Label codes (``CODES``) of the photo ``name`` of ``size`` (width, height)."""
    data = polygons(name)
    image = Image.new("L", size, BACKGROUND)
    draw = ImageDraw.Draw(image)

    def fill(points: object, code: int) -> None:
        pts = [tuple(p) for p in points]  # type: ignore[attr-defined]
        if len(pts) >= 3:
            draw.polygon(pts, fill=code)

    fill(data["person"], OTHER)
    for poly in data.get("hair", []):  # type: ignore[attr-defined]
        fill(poly, HAIR)
    fill(data.get("scalp", []), SCALP)
    fill(data["face"], FACE)
    return np.asarray(image, dtype=np.uint8)


def main() -> None:
    (HERE / "masks").mkdir(exist_ok=True)
    for photo in sorted(HERE.glob("*.jpg")):
        with Image.open(photo) as image:
            size = image.size
        codes = rasterise(photo.stem, size)
        Image.fromarray(codes, "L").save(HERE / "masks" / f"{photo.stem}.png", optimize=True)


if __name__ == "__main__":
    main()
