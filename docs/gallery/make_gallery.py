"""Render the gallery: Monk tones 1–10, Norwood stages, hairline styles, states, the
dilution chart, long hair (Ludwig 2) and the before | after sheets (Monk 2, 5, 9).

Run with ``make gallery``; every sheet is written to this folder (name sheets to draw only
those: ``python docs/gallery/make_gallery.py dilution-chart``). Look at each one after a
change to the renderer, the colour model or the impression engine.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

import smpstudio
from smpstudio.colour import MONK_SWATCHES, DilutionTable, hex_to_srgb, recommend_dilution
from smpstudio.dots import dilution_rule, place_impressions
from smpstudio.render import look_for, render_sheet, render_view

OUT = Path(__file__).resolve().parent
TILE = 384
FONT = Path(smpstudio.__file__).parent / "render" / "fonts" / "DejaVuSans.ttf"


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.truetype(str(FONT), size) if FONT.exists() else ImageFont.load_default()


def _sheet(tiles: list[tuple[str, Image.Image]], columns: int, title: str) -> Image.Image:
    rows = -(-len(tiles) // columns)
    label_h, title_h = 28, 40
    sheet = Image.new("RGB", (columns * TILE, title_h + rows * (TILE + label_h)), (245, 243, 240))
    draw = ImageDraw.Draw(sheet)
    draw.text((10, 8), title, fill=(30, 30, 30), font=_font(20))
    for i, (label, image) in enumerate(tiles):
        x, y = (i % columns) * TILE, title_h + (i // columns) * (TILE + label_h)
        draw.text((x + 8, y + 4), label, fill=(30, 30, 30), font=_font(15))
        sheet.paste(image.resize((TILE, TILE), Image.Resampling.LANCZOS), (x, y + label_h))
    return sheet


def _render(d: smpstudio.Design, skin: str, hair: str, view: str, state: str) -> Image.Image:
    dots = place_impressions(d, dilution=dilution_rule(skin, hair, settings=d.settings))
    return render_view(d, dots, look_for(skin, hair), view_name=view, size=768, state=state)


def monk_tones() -> Image.Image:
    d = smpstudio.design(pattern="norwood-5", hairline="soft", seed=7)
    tiles = []
    for k, skin in enumerate(MONK_SWATCHES, start=1):
        hair = "black" if k >= 6 else "dark-brown"
        tiles.append((f"Monk {k} {skin}, {hair}: healed", _render(d, skin, hair, "top", "healed")))
    return _sheet(tiles, 5, "Norwood 5, soft hairline, healed, top view, Monk Skin Tone 1–10")


def norwood_stages() -> Image.Image:
    tiles = []
    for stage in ("norwood-2", "norwood-3", "norwood-4", "norwood-5", "norwood-6", "norwood-7"):
        d = smpstudio.design(pattern=stage, hairline="medium", seed=3)
        tiles.append(
            (f"{stage}: before", _render(d, MONK_SWATCHES[4], "dark-brown", "top", "before"))
        )
        tiles.append(
            (f"{stage}: healed", _render(d, MONK_SWATCHES[4], "dark-brown", "top", "healed"))
        )
    return _sheet(tiles, 4, "Norwood stages before and healed, medium hairline, Monk 5, top view")


def hairline_styles() -> Image.Image:
    """Each style on a Norwood 4: the front view, and the frontal hairline close up (the middle
    of a 2,048-pixel front view: about 9 × 9 cm of skin) where the edge character shows."""
    tiles = []
    for style in ("soft", "broken", "medium", "defined"):
        d = smpstudio.design(pattern="norwood-4", hairline=style, seed=2)
        rule = dilution_rule(MONK_SWATCHES[4], "dark-brown", settings=d.settings)
        dots = place_impressions(d, dilution=rule)
        look = look_for(MONK_SWATCHES[4], "dark-brown")
        front = render_view(d, dots, look, view_name="front", size=2048, state="healed")
        tiles.append((f"{style} ({d.hairline.shape}): front", front))
        tiles.append((f"{style}: hairline close up", _hairline_close_up(front)))
    return _sheet(tiles, 4, "Hairline styles, Norwood 4, Monk 5, dark-brown hair, healed")


def _hairline_close_up(front: Image.Image) -> Image.Image:
    """The upper middle of a front view, where the frontal hairline runs."""
    w, h = front.size
    box = (int(0.27 * w), int(0.06 * h), int(0.73 * w), int(0.52 * h))
    return front.crop(box)


def states() -> Image.Image:
    d = smpstudio.design(pattern="norwood-6", hairline="soft", seed=5, scars=["fut"])
    tiles = []
    for state in ("before", "fresh", "healed", "year-3", "year-6", "year-10"):
        for view in ("top", "back"):
            tiles.append((f"{state}: {view}", _render(d, MONK_SWATCHES[3], "brown", view, state)))
    return _sheet(tiles, 4, "Norwood 6 with an FUT scar, Monk 4: before, fresh, healed, faded")


def _dot_patch(skin: str, dot: str, size: int, seed: int) -> Image.Image:
    """A 10 × 10 mm patch of skin with healed dots (0.15 mm, about 1.1 mm apart), drawn
    four times larger and averaged down so that the dots are smooth."""
    scale, mm = 4, size / 10.0
    big = size * scale
    rng = np.random.default_rng(seed)
    grid = np.arange(0.55, 10.0, 1.1)
    centres = np.stack(np.meshgrid(grid, grid), axis=-1).reshape(-1, 2)
    centres = centres + rng.uniform(-0.35, 0.35, centres.shape)
    yy, xx = np.mgrid[0:big, 0:big] / (mm * scale)
    inside = np.zeros((big, big), dtype=bool)
    for cx, cy in centres:
        inside |= (xx - cx) ** 2 + (yy - cy) ** 2 <= 0.075**2
    rgb = np.where(inside[..., None], hex_to_srgb(dot), hex_to_srgb(skin))
    image = Image.fromarray(np.round(rgb * 255).astype(np.uint8))
    return image.resize((size, size), Image.Resampling.BOX)


def dilution_chart() -> Image.Image:
    """The shipped chart: healed dots of the body shade, Monk rows by hair columns."""
    table = DilutionTable.default()
    hairs = list(table.hair_colours)
    tile, left, top = 150, 96, 64
    sheet = Image.new("RGB", (left + tile * len(hairs), top + tile * 10 + 8), (245, 243, 240))
    draw = ImageDraw.Draw(sheet)
    title = "Dilution chart: body shade (mL water per mL pigment), healed dots 10 × 10 mm"
    draw.text((10, 8), title, fill=(30, 30, 30), font=_font(18))
    for j, hair in enumerate(hairs):
        draw.text((left + j * tile + 8, 38), hair, fill=(30, 30, 30), font=_font(15))
    for k, skin in enumerate(MONK_SWATCHES, start=1):
        y = top + (k - 1) * tile
        draw.text((10, y + tile // 2 - 8), f"Monk {k}", fill=(30, 30, 30), font=_font(15))
        for j, hair in enumerate(hairs):
            advice = recommend_dilution(smpstudio.colour.skin_tone(skin), hair, table=table)
            patch = _dot_patch(skin, advice.dot_hex, tile - 4, seed=k * 10 + j)
            sheet.paste(patch, (left + j * tile, y))
            ink = (30, 30, 30) if k <= 5 else (235, 235, 235)
            label = f"{advice.ml_water:g} mL"
            draw.text((left + j * tile + 6, y + tile - 24), label, fill=ink, font=_font(14))
    return sheet


SHEETS = {
    "monk-tones": monk_tones,
    "norwood-stages": norwood_stages,
    "hairline-styles": hairline_styles,
    "states": states,
    "dilution-chart": dilution_chart,
    "long-hair": lambda: long_hair(),
    "before-after-sheets": lambda: before_after_sheets(),
    "demo-before-after": lambda: demo_before_after(),
}
WHERE = {"demo-before-after": OUT.parent / "images"}
"""Sheets written elsewhere than docs/gallery/ (the README's picture)."""


def demo_before_after() -> Image.Image:
    """The README's picture: ``make demo``'s client (Norwood 5, soft hairline, seed 7, Monk 5
    skin, dark-brown hair, the blended shade) as the take-home sheet, three-quarter view."""
    d = smpstudio.design(pattern="norwood-5", hairline="soft", seed=7)
    skin, hair = "#d7bd96", "dark-brown"
    dots = place_impressions(d, dilution=dilution_rule(skin, hair, settings=d.settings))
    return render_sheet(d, dots, look_for(skin, hair), view_name="three-quarter", size=640)


def before_after_sheets() -> Image.Image:
    """The client's take-home sheet (:func:`smpstudio.render.render_sheet`) of a Norwood 5
    with a soft hairline, front view, on Monk 2 (dark-brown hair), 5 (dark-brown) and 9
    (black), stacked: before | healed and the 20 mm close-up seen from about 30 cm."""
    d = smpstudio.design(pattern="norwood-5", hairline="soft", seed=7)
    sheets = []
    for monk, hair in ((2, "dark-brown"), (5, "dark-brown"), (9, "black")):
        skin = MONK_SWATCHES[monk - 1]
        dots = place_impressions(d, dilution=dilution_rule(skin, hair))
        sheet = render_sheet(d, dots, look_for(skin, hair), view_name="front", size=640)
        draw = ImageDraw.Draw(sheet)
        label = f"Monk {monk} {skin}, {hair} hair"
        draw.text((sheet.width - 12, 12), label, fill=(96, 96, 104), font=_font(18), anchor="ra")
        sheets.append(sheet)
    out = Image.new("RGB", (sheets[0].width, sum(s.height for s in sheets)), (247, 245, 241))
    for k, sheet in enumerate(sheets):
        out.paste(sheet, (0, k * sheet.height))
    return out


def long_hair() -> Image.Image:
    """A Ludwig 2 client who keeps her shoulder-length hair (the 150 mm default): the
    parting and the three-quarter view before and healed, fair skin with black hair and
    dark skin with brown hair. The dots show only where the scalp shows between the hairs."""
    d = smpstudio.design(pattern="ludwig-2", hairline="soft", seed=3, sex="female", age_years=45)
    tiles = []
    close_ups = []
    for monk, hair in ((2, "black"), (9, "brown")):
        skin = MONK_SWATCHES[monk - 1]
        for view in ("part", "three-quarter"):
            for state in ("before", "healed"):
                label = f"Monk {monk}, {hair}: {view}, {state}"
                tiles.append((label, _render(d, skin, hair, view, state)))
        dots = place_impressions(d, dilution=dilution_rule(skin, hair, settings=d.settings))
        for state in ("before", "healed"):
            part = render_view(
                d, dots, look_for(skin, hair), view_name="part", size=2048, state=state
            )
            close_ups.append((f"Monk {monk}: the parting close up, {state}", _part_close_up(part)))
    return _sheet(
        tiles + close_ups,
        4,
        f"Ludwig 2 with {d.hair_length_mm:g} mm hair: before and healed, SMP between hairs",
    )


def _part_close_up(part: Image.Image) -> Image.Image:
    """The middle of a 2,048-pixel part view: about 3.6 × 3.6 cm of the parting."""
    w, h = part.size
    return part.crop((w * 3 // 8, h * 3 // 8, w * 5 // 8, h * 5 // 8))


def main(names: list[str]) -> int:
    unknown = sorted(set(names) - set(SHEETS))
    if unknown:
        print(
            f"unknown sheet {', '.join(unknown)}: choose from {', '.join(SHEETS)}", file=sys.stderr
        )
        return 2
    for name in names or list(SHEETS):
        target = WHERE.get(name, OUT) / f"{name}.png"
        SHEETS[name]().save(target, optimize=True)
        print(f"wrote {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
