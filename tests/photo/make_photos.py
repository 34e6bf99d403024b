"""Build the photo test files.

Run from the repository root: ``.venv/bin/python tests/photo/make_photos.py``; it writes
``tests/data/photos/astronaut-shaved.jpg``.

``astronaut-shaved.jpg``: scikit-image's astronaut photograph (Eileen Collins, NASA, public
domain) with the hair on the crown digitally replaced by shaded bare skin (a Norwood-6-like
crown with hair left at the temples) and the rest of the hair volume filled with the backdrop.
The face, the photo's lighting and its noise are the real photograph's; only the crown is made.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from skimage import data

HERE = Path(__file__).resolve().parents[1] / "data" / "photos"


def _linear(srgb: np.ndarray) -> np.ndarray:
    c = srgb / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _srgb(linear: np.ndarray) -> np.ndarray:
    c = np.clip(linear, 0.0, 1.0)
    s = np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)
    return np.clip(np.rint(s * 255.0), 0, 255).astype(np.uint8)


def shaved_astronaut() -> np.ndarray:
    img = data.astronaut().astype(np.float64)
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    cx, cy, a, b = 226.0, 104.0, 60.0, 80.0  # the skull under the hair
    u, v = (xx - cx) / a, (yy - cy) / b
    r2 = u**2 + v**2
    skull = r2 < 1.0
    # hair: the head's outline above the shoulders that is not face skin
    lab = cv2.cvtColor((img / 255.0).astype(np.float32), cv2.COLOR_RGB2Lab)
    head_box = (xx > 140) & (xx < 312) & (yy < 135)
    face = (lab[..., 1] > 8) & (lab[..., 2] > 8) & (lab[..., 0] > 55) & (yy > 72)
    dark = (lab[..., 0] < 62) | ((lab[..., 2] > 20) & (lab[..., 1] < 12))
    hair = head_box & dark & ~face & ~((yy > 95) & (np.abs(xx - 224) < 46))
    hair = cv2.morphologyEx(hair.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8)) > 0
    edge = 90.0 + 10.0 * np.abs(u) ** 2  # the new front of the bare crown
    crown = skull & (yy < edge)
    temples = (np.abs(u) > 0.8 - 0.25 * np.clip((yy - 60) / 30, 0, 1)) & (yy > 58)
    skin_area = crown & ~temples
    # the backdrop where hair stood outside the skull (the sides keep their hair): a smooth
    # fit of the surrounding backdrop plus its own grain
    outside = head_box & ~skull & (yy < 118) & ~((np.abs(u) > 0.8) & (yy > 52))
    fill = cv2.dilate(outside.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    fill &= ~skin_area & ~(face & (yy > 88)) & ~((np.abs(u) > 0.8) & (yy > 56) & hair)
    ring = (cv2.dilate(head_box.astype(np.uint8), np.ones((41, 41), np.uint8)) > 0) & ~head_box
    ring &= yy < 125
    basis = np.stack(
        [np.ones_like(xx), xx / w, yy / h, (xx / w) ** 2, (yy / h) ** 2, xx * yy / w / h]
    )
    lin = _linear(img)
    coef, *_ = np.linalg.lstsq(basis[:, ring].T, lin[ring], rcond=None)
    backdrop = np.einsum("kij,kc->ijc", basis, coef)
    spread = float(np.std(lin[ring] - backdrop[ring]))
    rng = np.random.default_rng(11)
    grain = cv2.GaussianBlur(rng.normal(0.0, 1.0, (h, w)), (0, 0), 2.5) * spread * 2.5
    backdrop += grain[..., None]
    soft = cv2.GaussianBlur(fill.astype(np.float64), (0, 0), 1.2)[..., None]
    out = _srgb(lin * (1 - soft) + backdrop * soft).astype(np.float64)
    # shaded skin: the forehead's colour lit like the face (key light from the client's right)
    forehead = img[80:90, 208:244].reshape(-1, 3)
    base = _linear(forehead).mean(axis=0)
    nz = np.sqrt(np.clip(1.0 - r2, 0.0, 1.0))
    light = np.array([-0.3, -0.75, 0.6])
    light /= np.linalg.norm(light)
    lambert = np.clip(u * light[0] + v * light[1] + nz * light[2], 0.0, 1.0)
    shade = 0.22 + 0.86 * lambert + 1.5 * np.clip(lambert - 0.8, 0, 1) ** 2
    rng = np.random.default_rng(5)
    grain = cv2.GaussianBlur(rng.normal(0.0, 1.0, (h, w)), (0, 0), 0.7) * 0.035
    mottle = cv2.GaussianBlur(rng.normal(0.0, 1.0, (h, w)), (0, 0), 6.0) * 0.25
    skin = base[None, None, :] * (shade * (1.0 + grain + mottle))[..., None]
    skin[..., 0] *= 1.0 + 0.5 * mottle
    weight = cv2.GaussianBlur(skin_area.astype(np.float64), (0, 0), 1.6)
    weight *= np.clip((edge - yy) / 5.0 + 0.3, 0.0, 1.0)
    mixed = _linear(out) * (1 - weight[..., None]) + skin * weight[..., None]
    noise = rng.normal(0.0, 1.2, (h, w, 3))
    result = _srgb(mixed).astype(np.float64) + noise * weight[..., None]
    return np.clip(np.rint(result), 0, 255).astype(np.uint8)


def main() -> None:
    Image.fromarray(shaved_astronaut()).save(HERE / "astronaut-shaved.jpg", quality=93)


if __name__ == "__main__":
    main()
