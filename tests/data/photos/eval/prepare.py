"""Build the evaluation photos from their sources (see SOURCES.md); run once, by hand.

    python prepare.py SOURCE_DIR [NAME ...]

With names, only those photos (and the variants derived from them) are built. ``SOURCE_DIR``
holds the source files under the names in ``SOURCES`` (each taken from the
repository, path and commit that SOURCES.md gives). Every photo is decoded, converted to
8-bit RGB, scaled with area averaging so that its longest side is at most 1024 px, and saved
as a new JPEG (quality 90) built from the pixel values alone: no EXIF, ICC or other
metadata. The ``poor light`` variants are derived from a source photo by a fixed gain,
colour cast and side shadow in linear light (under-exposure, a warm tungsten cast, a cool
cast, light from one side) so that the same person is seen in good and bad light.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).parent
MAX_SIDE = 1024

# name -> source file name in SOURCE_DIR
SOURCES = {
    "astronaut": "astronaut.png",
    "astronaut-shaved": "astronaut-shaved.jpg",
    "biden-2013": "fr_biden2.jpg",
    "obama-2012": "fr_obama.jpg",
    "luciano": "max_Luciano.png",
    "bryan": "max_Bryan.png",
    "chris": "max_Chris.jpeg",
    "congress-a000022": "A000022.jpg",
    "congress-a000055": "A000055.jpg",
    "congress-b000382": "B000382.jpg",
    "congress-b000755": "B000755.jpg",
    "congress-b000490": "B000490.jpg",
    "congress-b001266": "B001266.jpg",
    "congress-c000537": "C000537.jpg",
    "congress-b000911": "B000911.jpg",
    "congress-c000380": "C000380.jpg",
    "congress-a000368": "A000368.jpg",
    # colour originals (unitedstates/images, via civicsense2025/civic-sense-main)
    "congress-s001184": "S001184-colour.jpg",
    "congress-c001072": "C001072-colour.jpg",
    # cjdowner/interfaces, 1000 x 1000
    "interfaces-061": "interfaces_061.jpg",
    "interfaces-040": "interfaces_040.jpg",
}

# name -> (source name above, gain in linear light, per-channel cast, side shadow)
# A side shadow multiplies the light by a ramp from 1 on the photo's right to the given
# factor on its left (light from the side).
VARIANTS = {
    "obama-2012-dim-warm": ("obama-2012", 0.25, (1.25, 1.0, 0.6), 1.0),
    "biden-2013-dark": ("biden-2013", 0.12, (1.0, 1.0, 1.0), 1.0),
    "luciano-dim-cool": ("luciano", 0.3, (0.75, 0.95, 1.3), 1.0),
    "astronaut-shaved-side-light": ("astronaut-shaved", 1.0, (1.0, 1.0, 1.0), 0.08),
    "biden-2013-side-light": ("biden-2013", 1.0, (1.0, 0.97, 0.9), 0.1),
}


def _linear(x: np.ndarray) -> np.ndarray:
    x = x / 255.0
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def _srgb(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    y = np.where(x <= 0.0031308, x * 12.92, 1.055 * x ** (1 / 2.4) - 0.055)
    return np.round(y * 255.0).astype(np.uint8)


def _save(pixels: np.ndarray, name: str) -> None:
    Image.fromarray(pixels, "RGB").save(HERE / f"{name}.jpg", quality=90)


def main(source_dir: Path, only: list[str]) -> None:
    done: dict[str, np.ndarray] = {}
    for name, file in SOURCES.items():
        if only and name not in only:
            continue
        with Image.open(source_dir / file) as image:
            rgb = image.convert("RGB")
            scale = min(1.0, MAX_SIDE / max(rgb.size))
            if scale < 1.0:
                size = (round(rgb.width * scale), round(rgb.height * scale))
                rgb = rgb.resize(size, Image.Resampling.BOX)
            pixels = np.asarray(rgb, dtype=np.uint8)
        done[name] = pixels
        _save(pixels, name)
    for name, (base, gain, cast, shadow) in VARIANTS.items():
        if base not in done:
            continue
        lin = _linear(done[base].astype(np.float64)) * gain * np.asarray(cast)
        width = lin.shape[1]
        ramp = shadow + (1.0 - shadow) * np.linspace(0.0, 1.0, width) ** 1.5
        _save(_srgb(lin * ramp[None, :, None]), name)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])
