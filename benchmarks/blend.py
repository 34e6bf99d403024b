"""Blending: healed SMP against the remaining shaved hair, Monk 1–10 × four hair colours.

A Norwood 5 (soft hairline, seed 3) is rendered from the top at 640 px — 0.35 mm a pixel,
about what the eye resolves from a metre (one arc minute), so a page-size render — with the
body shade that blends (:func:`smpstudio.dots.blend_for`) for each skin and hair. Its zone
map gives the pixels of impressions on bald scalp (3) and of remaining hair without
impressions (2), both facing the camera within 32° (alike in lighting); their mean CIELAB
L* are compared, and the treated pixels with the same pixels before treatment (bare skin).
``python -m benchmarks.blend`` prints the table of docs/render.md; ``python -m
benchmarks.blend 0.35`` the same with a razor's 0.35 mm stubble (the setting
``shaved_stubble_mm``, 0.8 mm by default).
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

import numpy as np

HAIRS = ("black", "dark-brown", "brown", "grey")
SIZE = 640
FACING = 0.85
SEED = 3


@dataclasses.dataclass(frozen=True)
class BlendScene:
    """The design, its impressions (positions, sessions, zones, tones) and the zones of the
    top view that are compared."""

    design: Any
    impressions: Any
    treated: Any  # (SIZE, SIZE) bool: impressions on bald scalp, facing the camera
    hair: Any  # (SIZE, SIZE) bool: remaining hair without impressions, facing the camera
    mm_per_px: float


def blend_scene(size: int = SIZE, *, stubble_mm: float | None = None) -> BlendScene:
    """The Norwood 5 top view and its two compared zones, with the default stubble or
    ``stubble_mm``."""
    import smpstudio
    from smpstudio.dots import dilution_rule, place_impressions
    from smpstudio.render import frame_for, zone_map
    from smpstudio.render._raster import rasterise
    from smpstudio.render._zones import HAIR, IMPRESSIONS_ON_BALD

    overrides = {} if stubble_mm is None else {"shaved_stubble_mm": stubble_mm}
    settings = smpstudio.Settings.from_overrides(overrides)
    d = smpstudio.design(pattern="norwood-5", hairline="soft", seed=SEED, settings=settings)
    dots = place_impressions(d, dilution=dilution_rule("#d7bd96", "dark-brown"))
    frame = frame_for(d.head.shape, "top", size)
    geometry = rasterise(d.head.shape, frame)
    forward = np.asarray(frame.view.forward, dtype=np.float32)
    facing = -(geometry.normal @ forward) > FACING
    labels = zone_map(d, view_name="top", size=size)
    return BlendScene(
        d,
        dots,
        facing & (labels == IMPRESSIONS_ON_BALD),
        facing & (labels == HAIR),
        frame.mm_per_px,
    )


def zone_lab(scene: BlendScene, monk: int, hair: str, state: str = "healed") -> dict[str, Any]:
    """Mean CIELAB of the treated bald scalp, of the same pixels bare and of the remaining
    hair for one client."""
    from smpstudio.colour import MONK_SWATCHES, srgb_to_lab
    from smpstudio.dots import blend_for, dilution_rule
    from smpstudio.render import look_for, render_view

    skin = MONK_SWATCHES[monk - 1]
    d = scene.design
    rule = dilution_rule(skin, hair, settings=d.settings)
    base = scene.impressions
    dots = dataclasses.replace(base, dilution=rule(base.zone, base.session, base.tone))
    image = render_view(d, dots, look_for(skin, hair), view_name="top", size=SIZE, state=state)
    lab = srgb_to_lab(np.asarray(image, dtype=np.float64) / 255.0)
    bare = render_view(d, None, look_for(skin, hair), view_name="top", size=SIZE, state="before")
    bare_lab = srgb_to_lab(np.asarray(bare, dtype=np.float64)[scene.treated] / 255.0)
    advice = blend_for(skin, hair, d.settings)
    return {
        "treated": lab[scene.treated].mean(axis=0),
        "bare": bare_lab.mean(axis=0),
        "hair": lab[scene.hair].mean(axis=0),
        "ml_water": advice.ml_water,
        "chart_ml_water": advice.chart_ml_water,
        "predicted": advice.delta_l,
        "limit": advice.limit,
        "notice": advice.notice,
        "blend_ml_water": advice.blend_ml_water,
        "darkening": advice.darkening_l,
    }


def main(argv: list[str]) -> int:
    scene = blend_scene(stubble_mm=float(argv[0]) if argv else None)
    print(
        f"Norwood 5, top view {SIZE} px ({scene.mm_per_px:.2f} mm/px), stubble "
        f"{scene.design.settings.shaved_stubble_mm:g} mm; "
        f"{int(scene.treated.sum())} treated and {int(scene.hair.sum())} hair pixels"
    )
    print("| Monk | " + " | ".join(HAIRS) + " |")
    print("|---|" + "---|" * len(HAIRS))
    worst = 0.0
    for monk in range(1, 11):
        cells = []
        for hair in HAIRS:
            r = zone_lab(scene, monk, hair)
            delta = float(r["treated"][0] - r["hair"][0])
            worst = max(worst, abs(delta))
            shows = float(r["bare"][0] - r["treated"][0])
            mark = {"visible": "*", "chart": "†"}.get(r["limit"] or "", "")
            cells.append(f"{delta:+.1f} ({r['ml_water']:g} mL{mark}; {shows:.1f})")
        print(f"| {monk} | " + " | ".join(cells) + " |")
    print(f"max |ΔL*| = {worst:.1f}; (shade; bare minus treated L*), * visibility floor, † chart")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
