"""How consistent several photos of one client are, analysed one by one and as a series.

For docs/photo.md, "Several photos". Each set is one person: the evaluation photos and their
poor-light variants (tests/data/photos/eval/), and the renders of the virtual head from five
known cameras (tests/data/photos/virtual-head/, made by tools/make_pose_photos.py with head
M, Norwood 3, soft hairline: its mid-frontal point 74.9 mm above the glabella).

Per photo it prints the skin reading (Monk, ITA°), the body shade (mL water per mL pigment)
and the healed dot colour, alone and in the series; and the hairline's anatomical height:
on the virtual head, where the placed line lies against where the design's 3-D point
projects in that camera (orthographic, so the truth is the ratio of the hairline's height
to the glabella–menton height on the screen), in mm of the head; on the real photos, the
placed line's height over the face height times the reference photo's face height in mm.
Run from the repository root:

    .venv/bin/python tools/measure_photo_series.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import smpstudio
from smpstudio.dots import blend_for
from smpstudio.photo import (
    PhotoAnalysis,
    PhotoTreatment,
    analyze_photo,
    analyze_series,
    ingest_photo,
    series_pigment,
)

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ROOT / "tests" / "data" / "photos"
HAIR = "dark-brown"
SETS = {
    "obama": ["eval/obama-2012.jpg", "eval/obama-2012-dim-warm.jpg"],
    "luciano": ["eval/luciano.jpg", "eval/luciano-dim-cool.jpg"],
    "biden": ["eval/biden-2013.jpg", "eval/biden-2013-dark.jpg", "eval/biden-2013-side-light.jpg"],
    "astronaut": ["eval/astronaut-shaved.jpg", "eval/astronaut-shaved-side-light.jpg"],
    "virtual head": [
        "virtual-head/yaw0-pitch0.jpg",
        "virtual-head/yaw35-pitch0.jpg",
        "virtual-head/yaw-35-pitch0.jpg",
        "virtual-head/yaw0-pitch20.jpg",
        "virtual-head/yaw0-pitch-30.jpg",
    ],
}


def true_ratio(name: str) -> float | None:
    """Hairline height over glabella–menton height on the screen of a virtual-head camera."""
    if not name.startswith("virtual-head/"):
        return None
    sys.path.insert(0, str(ROOT / "tools"))
    from make_pose_photos import camera

    stem = Path(name).stem  # yaw{Y}-pitch{P}
    yaw, pitch = (float(part) for part in stem.removeprefix("yaw").split("-pitch"))
    design = smpstudio.design(pattern="norwood-3", hairline="soft", seed=1)
    face = design.head.face_landmarks
    glabella, menton = np.asarray(face["glabella"]), np.asarray(face["menton"])
    hairline = np.asarray(design.hairline.mid_frontal_point)
    up = np.asarray(camera(yaw, pitch).up)
    return float(up @ (hairline - glabella)) / float(up @ (glabella - menton))


def seen_ratio(analysis: PhotoAnalysis) -> float | None:
    """The placed hairline's height above the glabella over the face height (pixels)."""
    marks, line = analysis.landmarks, analysis.hairline
    if marks is None or line is None or not marks.has("glabella", "menton"):
        return None
    up, g = marks.up, marks["glabella"]
    return float(np.dot(line.mid_frontal - g, up)) / float(np.dot(g - marks["menton"], up))


def main() -> None:
    design = smpstudio.design(pattern="norwood-3", hairline="soft", seed=1)
    treatment = PhotoTreatment.from_design(design)
    settings = design.settings
    for name, files in SETS.items():
        photos = [ingest_photo(PHOTOS / f) for f in files]
        alone = [analyze_photo(p, treatment=treatment) for p in photos]
        series = analyze_series(photos, treatment=treatment, seed=1)
        tone = series.skin.tone
        pigment = None if tone is None else series_pigment(tone, HAIR, settings=settings)
        ref = series.design.reference
        ref_mm = None
        if ref is not None:
            r = series.analyses[ref]
            marks = r.landmarks
            assert marks is not None
            assert r.mm_per_px is not None
            ref_mm = float(np.dot(marks["glabella"] - marks["menton"], marks.up)) * r.mm_per_px
        print(
            f"## {name}: series skin {tone and tone.hex} Monk {tone and tone.monk}, "
            f"from photos {[i + 1 for i in series.skin.used]}, disagree {series.skin.disagree}, "
            f"spread ΔE {series.skin.spread_delta_e:.1f}; body "
            f"{pigment and pigment.body_ml_water} mL, dot {pigment and pigment.healed_dot_hex}"
        )
        for f, a, s in zip(files, alone, series.analyses, strict=True):
            skin = a.skin
            body = None if skin is None else blend_for(skin, HAIR, settings).ml_water
            truth = true_ratio(f)
            heights = []
            for analysis in (a, s):
                ratio = seen_ratio(analysis)
                if ratio is None:
                    heights.append("–")
                elif truth is not None:
                    heights.append(f"{ratio / truth * 74.9 - 74.9:+.1f} mm")
                elif ref_mm is not None:
                    heights.append(f"{ratio * ref_mm:.1f} mm")
            print(
                f"  {Path(f).stem:32} alone: Monk {skin and skin.monk} ITA "
                f"{skin and round(skin.ita, 1)} body {body} mL | hairline alone {heights[0]}, "
                f"series {heights[1]}"
            )


if __name__ == "__main__":
    main()
