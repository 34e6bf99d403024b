"""Renders of the virtual head from known cameras, for the pose tests of the photo analysis.

Writes tests/data/photos/virtual-head/yaw{Y}-pitch{P}.jpg (512 × 512, JPEG quality 92):
head M, Norwood 3, soft hairline, skin #c69c7a, dark-brown hair, before, orthographic,
camera at yaw Y° (positive: toward the client's left) and pitch P° (positive: below the
face, looking up). The head's face is the MakeHuman mesh (CC0, tools/build_head_mesh.py), so
these images are ours to ship. Run from the repository root:

    .venv/bin/python tools/make_pose_photos.py
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.ndimage import gaussian_filter

import smpstudio
import smpstudio.render._photo as photo_render
from smpstudio.head._views import View
from smpstudio.render import look_for, render_view

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "photos" / "virtual-head"
CAMERAS = ((0, 0), (35, 0), (-35, 0), (0, 20), (0, -30))


def camera(yaw_deg: float, pitch_deg: float) -> View:
    yaw, pitch = math.radians(yaw_deg), math.radians(pitch_deg)
    forward = np.array(
        [-math.sin(yaw) * math.cos(pitch), math.sin(pitch), -math.cos(yaw) * math.cos(pitch)]
    )
    up = np.array([0.0, 1.0, 0.0]) - forward * forward[1]
    up /= np.linalg.norm(up)
    return View("front", tuple(forward.tolist()), tuple(up.tolist()))  # type: ignore[arg-type]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    design = smpstudio.design(pattern="norwood-3", hairline="soft", seed=1)
    look = look_for("#c69c7a", "dark-brown")
    for k, (yaw, pitch) in enumerate(CAMERAS):
        # The renderer's camera for "front" is replaced; a size of its own per camera keeps
        # the renderer's caches (keyed by view name and size) apart.
        chosen = camera(yaw, pitch)
        photo_render.photo_view = lambda name, v=chosen: v  # type: ignore[misc]
        image = render_view(design, None, look, view_name="front", size=512 + k, state="before")
        image = image.convert("RGB").resize((512, 512), Image.Resampling.LANCZOS)
        pixels = np.asarray(image, dtype=np.float64)
        # Skin texture and sensor noise (seeded, 2 px grain, σ 8 levels per channel): the render's
        # smooth skin alone is refused by the photo analysis as a drawing, rightly.
        noise = np.random.default_rng(k).normal(0.0, 1.0, pixels.shape)
        grain = gaussian_filter(noise, (2.0, 2.0, 0.0))
        pixels += (8.0 / grain.std()) * grain
        noisy = Image.fromarray(np.clip(np.round(pixels), 0, 255).astype(np.uint8))
        noisy.save(OUT / f"yaw{yaw}-pitch{pitch}.jpg", quality=92)


if __name__ == "__main__":
    main()
