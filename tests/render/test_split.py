"""The renderer split into a cached base and the impressions drawn into it; the compiled
kernels against plain references; the same bytes whatever the number of threads."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import smpstudio
from smpstudio.dots import Impressions, dilution_rule, place_impressions
from smpstudio.render import _kernels as kernels
from smpstudio.render import (
    draw_splats,
    impression_splats,
    look_for,
    render_view,
    view_base,
)

SKIN, HAIR = "#d7bd96", "dark-brown"


@pytest.fixture(scope="module")
def nw5() -> tuple[smpstudio.Design, Impressions]:
    d = smpstudio.design(pattern="norwood-5", hairline="soft", seed=3)
    return d, place_impressions(d, dilution=dilution_rule(SKIN, HAIR))


@pytest.mark.parametrize("state", ["healed", "fresh", "year-5"])
def test_base_plus_splats_is_the_rendered_view(nw5, state: str) -> None:  # type: ignore[no-untyped-def]
    d, imp = nw5
    look = look_for(SKIN, HAIR)
    base = view_base(d, look, view_name="front", size=160)
    drawn = draw_splats(base, impression_splats(base, imp, state=state))
    full = render_view(d, imp, look, view_name="front", size=160, state=state)
    assert drawn.tobytes() == full.tobytes()
    before = render_view(d, None, look, view_name="front", size=160, state="before")
    assert base.before().tobytes() == before.tobytes()
    assert drawn.tobytes() != before.tobytes()


def test_the_base_is_kept_and_read_only(nw5) -> None:  # type: ignore[no-untyped-def]
    d, imp = nw5
    look = look_for(SKIN, HAIR)
    first = view_base(d, look, view_name="top", size=96)
    again = view_base(d, look, view_name="top", size=96)
    assert again.skin is first.skin
    assert not first.skin.flags.writeable
    assert not first.hair.flags.writeable
    before = first.skin.copy()
    draw_splats(first, impression_splats(first, imp))
    np.testing.assert_array_equal(first.skin, before)
    assert len(impression_splats(first, imp, state="before")) == 0


def _random_splats(n: int, size: int, seed: int) -> tuple[np.ndarray, ...]:  # type: ignore[type-arg]
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-3.0, size + 3.0, (n, 2))
    sx, sy = rng.uniform(0.3, 3.0, n), rng.uniform(0.3, 3.0, n)
    angle = rng.uniform(0.0, math.pi, n)
    c, s = np.cos(angle), np.sin(angle)
    cov = np.column_stack(
        [c * c * sx**2 + s * s * sy**2, c * s * (sx**2 - sy**2), s * s * sx**2 + c * c * sy**2]
    )
    area = rng.uniform(0.5, 2.0, n) * 2.0 * math.pi * sx * sy
    strength = rng.uniform(0.0, 0.9, (n, 3))
    return centres, cov, area, strength


def test_banded_splats_match_one_exponential_per_pixel() -> None:
    """The banded kernel steps each Gaussian by multiplications; the plain kernel evaluates
    it per pixel. They agree to float rounding, edges and overlaps included."""
    size = 70
    centres, cov, area, strength = _random_splats(400, size, 1)
    image = np.random.default_rng(2).uniform(0.05, 1.0, (size, size, 3)).astype(np.float32)
    reference = image.copy()
    kernels.splat_absorb(reference, centres, cov, area, strength)
    norm = area / (2.0 * math.pi * np.sqrt(cov[:, 0] * cov[:, 2] - cov[:, 1] ** 2))
    banded = image.copy()
    kernels.absorb_bands(
        banded,
        *kernels.prepare_splats(centres, cov, norm, strength, np.full(400, 3.0), size, size),
    )
    np.testing.assert_allclose(banded, reference, rtol=2e-6, atol=1e-7)
    assert not np.array_equal(banded, image)


def test_cached_noise_is_the_noise() -> None:
    points = np.random.default_rng(3).uniform(-50.0, 50.0, (2000, 3))
    points[1000:] = np.round(points[1000:])  # lattice points and cell edges
    cell = np.full(3, kernels._NO_CELL, dtype=np.int64)
    corners = np.zeros(8)
    for x, y, z in points:
        assert kernels._cached_noise(x, y, z, 5, cell, corners) == kernels._noise(x, y, z, 5)


_RENDER = textwrap.dedent(
    """
    import hashlib, smpstudio
    from smpstudio.dots import dilution_rule, place_impressions
    from smpstudio.render import _photo, look_for, render_view
    _photo._CACHE_MAX_SIZE = 64  # also the path of large frames (nothing kept)
    d = smpstudio.design(pattern="norwood-5", hairline="soft", seed=3)
    imp = place_impressions(d, dilution=dilution_rule("#d7bd96", "dark-brown"))
    look = look_for("#d7bd96", "dark-brown")
    digest = hashlib.sha256()
    for view, state in (("top", "healed"), ("three-quarter", "fresh")):
        image = render_view(d, imp, look, view_name=view, size=200, state=state)
        digest.update(image.tobytes())
    long = smpstudio.design(pattern="ludwig-2", hairline="soft", seed=3, hair_length_mm=60)
    imp = place_impressions(long, dilution=dilution_rule("#d7bd96", "dark-brown"))
    image = render_view(long, imp, look, view_name="part", size=200, state="healed")
    digest.update(image.tobytes())
    print(digest.hexdigest())
    """
)


def test_same_bytes_with_one_or_three_threads() -> None:
    digests = set()
    for threads in ("1", "3"):
        env = {**os.environ, "NUMBA_NUM_THREADS": threads}
        out = subprocess.run(
            [sys.executable, "-c", _RENDER], env=env, check=True, capture_output=True, text=True
        )
        digests.add(out.stdout.strip().splitlines()[-1])
    assert len(digests) == 1
