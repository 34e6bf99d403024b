"""The ranked tile and the flat sampler (Lagae & Dutré 2008 metrics)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial import cKDTree

from smpstudio.dots import (
    TILE_SIZE,
    default_tile,
    default_tiles,
    density_error,
    make_tile,
    nn_cv,
    radial_spectrum,
    relative_radius,
    sample_plane,
)
from smpstudio.dots._tile import EXTRA_TILE_SEEDS


def _torus_rho(points: np.ndarray) -> float:
    d, _ = cKDTree(points, boxsize=1.0).query(points, k=2)
    return float(d[:, 1].min() / math.sqrt(2.0 / (math.sqrt(3.0) * len(points))))


def ramp_bump(p: np.ndarray) -> np.ndarray:
    """The shared peer benchmark's density: a ramp plus a radial Gaussian bump."""
    x, y = p[:, 0], p[:, 1]
    return 0.25 + 0.75 * x + 1.5 * np.exp(-((x - 0.62) ** 2 + (y - 0.58) ** 2) / (2 * 0.11**2))


def test_shipped_tile_is_maximal_and_every_prefix_is_spread() -> None:
    tile = default_tile()
    pts = tile.points
    assert 0.9 * TILE_SIZE < tile.size < 1.05 * TILE_SIZE
    assert _torus_rho(pts) >= 0.75
    for share in (0.01, 0.05, 0.1, 0.3, 0.6, 0.7, 0.9):
        assert _torus_rho(pts[: int(share * tile.size)]) >= 0.70, share
    # maximal: no point of the torus is farther than the radius from the set
    probe = np.random.default_rng(0).random((200_000, 2))
    d, _ = cKDTree(pts, boxsize=1.0).query(probe)
    assert d.max() <= tile.radius * (1 + 1e-9)


@pytest.mark.slow
def test_shipped_tile_is_what_the_generator_makes() -> None:
    rebuilt = make_tile(TILE_SIZE)
    np.testing.assert_array_equal(
        rebuilt.points.astype(np.float32), default_tile().points.astype(np.float32)
    )


def test_a_small_tile_is_deterministic_and_maximal() -> None:
    a, b, c = make_tile(2048, seed=5), make_tile(2048, seed=5), make_tile(2048, seed=6)
    np.testing.assert_array_equal(a.points, b.points)
    assert not np.array_equal(a.points, c.points)
    assert _torus_rho(a.points) >= 0.75


@pytest.mark.parametrize("n", [10_000, 100_000])
def test_uniform_blue_noise_quality(n: int) -> None:
    pts = sample_plane(None, n, seed=1)
    assert len(pts) == n  # exact counts
    assert pts.min() >= 0.0
    assert pts.max() < 1.0
    # count cells of a uniform density hold 512–2048 points: few need far-ranked candidates
    assert relative_radius(pts) >= 0.73
    assert nn_cv(pts) < 0.12


def test_uniform_spectrum_is_blue() -> None:
    freq, power = radial_spectrum(sample_plane(None, 4096, seed=2))
    assert power[freq < 0.5].mean() < 0.2  # white noise: about 1
    assert power[(freq > 0.9) & (freq < 1.3)].max() > 1.2  # the blue-noise peak


def test_variable_density_follows_the_target() -> None:
    pts = sample_plane(ramp_bump, 100_000, seed=1, density_max=2.2)
    assert abs(len(pts) - 100_000) < 500
    assert density_error(pts, ramp_bump) <= 0.03  # white noise: about 0.078


def test_white_noise_is_worse_on_the_same_metric() -> None:
    rng = np.random.default_rng(0)
    candidates = rng.random((400_000, 2))
    keep = rng.random(len(candidates)) * 2.3 < ramp_bump(candidates)
    white = candidates[keep][:100_000]
    assert density_error(white, ramp_bump) > 0.06
    assert relative_radius(white) < 0.05


def test_same_seed_same_points_other_seed_other_points() -> None:
    a = sample_plane(ramp_bump, 5_000, seed=3)
    b = sample_plane(ramp_bump, 5_000, seed=3)
    c = sample_plane(ramp_bump, 5_000, seed=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_bad_density_is_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        sample_plane(lambda p: p[:, 0] - 0.5, 1000)


def test_every_shipped_tile_is_a_spread_ranked_tile() -> None:
    tiles = default_tiles()
    assert len(tiles) == 1 + len(EXTRA_TILE_SEEDS) == 4
    for tile in tiles[1:]:
        assert 0.9 * TILE_SIZE < tile.size < 1.05 * TILE_SIZE
        assert _torus_rho(tile.points) >= 0.75
        assert _torus_rho(tile.points[: tile.size // 3]) >= 0.70
        assert not np.array_equal(tile.points[:100], tiles[0].points[:100])


@pytest.mark.slow
def test_the_other_shipped_tiles_are_what_the_generator_makes() -> None:
    rebuilt = make_tile(TILE_SIZE, seed=EXTRA_TILE_SEEDS[0])
    np.testing.assert_array_equal(rebuilt.points, default_tiles()[1].points)
