"""How much darker a buzz cut makes the scalp: measured on photographs, and on the renders.

The photographs (tests/data/photos/buzz-cuts, SOURCES.md there) are official portraits
under studio flash: six men with buzz cuts of black or dark-brown hair and thirteen shaved or
bald men (controls). On each buzz cut a forehead patch F (below the hairline) and a scalp
patch S (the front of the dome, in the stubble) were chosen by eye; their mean colours are
taken in linear light and the ratio of luminances ``Y(S) / Y(F)`` is divided by the median
ratio of the controls of the same skin group, measured at the same heights between the brows
and the top of the head. That removes the dome's own fall-off of light, so what is left is
the light the stubble stops: ``ratio`` 1 is bare skin, 0.25 a scalp passing a quarter of the
light of the skin beside it.

The renders are measured the same way: the virtual head from the front, shaved all over
(``norwood-1``, hair length 0, stubble of ``shaved_stubble_mm``) against the same head bald
(``norwood-7``), at the photographs' median heights.

    .venv/bin/python -m benchmarks.buzz_cuts        # both tables
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np
from PIL import Image

from smpstudio.colour import hex_to_srgb, srgb_to_linear
from smpstudio.colour._convert import lab_to_linear, linear_to_lab

FOLDER = Path(__file__).resolve().parents[1] / "tests" / "data" / "photos" / "buzz-cuts"
LUMA = np.array([0.2126, 0.7152, 0.0722])
SCALP_AT = 0.80
"""Height of the render's scalp patch between the brows (0) and the top of the head (1): the
photographs' (0.79–0.91)."""


@dataclass(frozen=True)
class BuzzCut:
    """One buzz cut measured (:func:`measured`)."""

    name: str
    group: str  # skin group by the forehead's L*: fair > 60, medium 45–60, dark < 45
    forehead_l: float
    hair: str
    stubble_mm: str  # judged by eye from the stubble's thickness at the outline
    raw_ratio: float  # Y(S) / Y(F)
    control_ratio: float  # the controls' median at the same heights
    ratio: float  # raw / control: the light the stubble lets through

    @property
    def delta_l(self) -> float:
        """L* of the stubbled scalp minus that of bare skin, at the forehead's light."""
        y = _luminance_of(self.forehead_l)
        return _lightness(y * self.ratio) - self.forehead_l


def _luminance_of(lightness: float) -> float:
    """Relative luminance of a grey of this L*."""
    return float(lab_to_linear(np.array([lightness, 0.0, 0.0]))[1])


def _lightness(y: float) -> float:
    return float(linear_to_lab(np.array([y, y, y]))[0])


def _group(lightness: float) -> str:
    return "fair" if lightness > 60.0 else ("medium" if lightness >= 45.0 else "dark")


def _linear(name: str) -> Any:
    with Image.open(FOLDER / f"{name}.jpg") as image:
        return srgb_to_linear(np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0)


def _mean(pixels: Any, box: list[float]) -> Any:
    x0, y0, x1, y1 = (round(v) for v in box)
    return pixels[y0:y1, x0:x1].reshape(-1, 3).mean(axis=0)


def _height(entry: dict[str, Any], box: list[float]) -> float:
    """Height of a box's centre between the brows (0) and the top of the head (1)."""
    centre = (box[1] + box[3]) / 2.0
    return float((entry["brow_y"] - centre) / (entry["brow_y"] - entry["top_y"]))


def _box_at(entry: dict[str, Any], height: float) -> list[float]:
    """A patch on the midline at ``height``: 0.1 of the head's width by 0.07 of its rise."""
    rise = entry["brow_y"] - entry["top_y"]
    y = entry["brow_y"] - height * rise
    x = entry["cx"] + entry.get("dx", 0.0) * entry["head_w"]
    half_w, half_h = 0.05 * entry["head_w"], 0.035 * rise
    return [x - half_w, y - half_h, x + half_w, y + half_h]


def _ratio(pixels: Any, forehead: list[float], scalp: list[float]) -> tuple[float, float]:
    """(Y(S) / Y(F), L* of F)."""
    f, s = _mean(pixels, forehead), _mean(pixels, scalp)
    return float(s @ LUMA / (f @ LUMA)), float(linear_to_lab(f)[0])


def measured() -> list[BuzzCut]:
    """The buzz cuts of the reference set, normalised by the controls."""
    patches = json.loads((FOLDER / "patches.json").read_text(encoding="utf-8"))
    controls = {name: (entry, _linear(name)) for name, entry in patches["control"].items()}
    groups = {
        name: _group(_ratio(pixels, _box_at(e, 0.55), _box_at(e, 0.85))[1])
        for name, (e, pixels) in controls.items()
    }
    found = []
    for name, entry in patches["buzz"].items():
        raw, lightness = _ratio(_linear(name), entry["forehead"], entry["scalp"])
        group = _group(lightness)
        low, high = _height(entry, entry["forehead"]), _height(entry, entry["scalp"])
        same = [c for c in controls if groups[c] == group] or list(controls)
        control = median(
            _ratio(controls[c][1], _box_at(controls[c][0], low), _box_at(controls[c][0], high))[0]
            for c in same
        )
        found.append(
            BuzzCut(
                name,
                group,
                lightness,
                entry["hair"],
                entry["stubble_mm"],
                raw,
                control,
                raw / control,
            )
        )
    return found


def rendered(skin: str, hair: str = "black", *, stubble_mm: float | None = None) -> float:
    """The light the virtual head's shaved stubble lets through at the dome's front, seen
    from the front: the scalp patch of the head shaved all over against the same patch of
    the bald head (the same camera and light, so no forehead patch is needed to normalise)."""
    import smpstudio
    from smpstudio.render import frame_for, look_for, render_view

    overrides = {} if stubble_mm is None else {"shaved_stubble_mm": stubble_mm}
    settings = smpstudio.Settings.from_overrides(overrides)
    size = 800
    scalp = []
    for pattern in ("norwood-1", "norwood-7"):
        d = smpstudio.design(
            pattern=pattern, hairline="soft", seed=1, settings=settings, hair_length_mm=0
        )
        image = render_view(
            d, None, look_for(skin, hair), view_name="front", size=size, state="before"
        )
        pixels = srgb_to_linear(np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0)
        frame = frame_for(d.head.shape, "front", size)
        glabella = np.asarray(d.head.landmarks["glabella"], dtype=np.float64)[None, :]
        col, row, _ = frame.project(glabella)
        centre = round(float(col[0]))
        on_head = np.abs(pixels[:, centre] - pixels[2, centre]).sum(axis=1) > 0.01
        entry = {
            "brow_y": float(row[0]),
            "top_y": float(np.argmax(on_head)),
            "cx": float(col[0]),
            "head_w": size / 4.0,
        }
        box = _box_at(entry, SCALP_AT)
        scalp.append(float(_mean(pixels, box) @ LUMA))
    return scalp[0] / scalp[1]


def main() -> None:
    print("photographed buzz cuts (tests/data/photos/buzz-cuts):")
    print("name      skin    L*F   hair              stubble   Y S/F  control  ratio  ΔL*")
    for b in measured():
        print(
            f"{b.name:9s} {b.group:6s} {b.forehead_l:5.1f}  {b.hair:17s} {b.stubble_mm:9s}"
            f" {b.raw_ratio:5.3f}  {b.control_ratio:5.3f}   {b.ratio:5.3f}  {b.delta_l:+5.1f}"
        )
    print("\nthe virtual head's shaved stubble, black hair, measured the same way:")
    for stubble in (0.35, 0.8):
        cells = []
        for skin in ("#d7bd96", "#825c43", "#3a312a"):
            ratio = rendered(skin, stubble_mm=stubble)
            lightness = float(linear_to_lab(srgb_to_linear(hex_to_srgb(skin)))[0])
            delta = _lightness(_luminance_of(lightness) * ratio) - lightness
            cells.append(f"{skin} {ratio:.3f} ({delta:+.1f} L*)")
        print(f"  {stubble:g} mm: " + "   ".join(cells))


if __name__ == "__main__":
    main()
