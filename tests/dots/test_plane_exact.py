"""The flat sampler on scalp-shaped maps: exact counts at full density, no period,
independent seeds, fine features, and one clear error for each bad input."""

from __future__ import annotations

import math
import multiprocessing as mp

import numpy as np
import pytest
from scipy.special import gammaln

from smpstudio import InputError
from smpstudio.dots import (
    DotsError,
    density_error,
    local_spacing,
    make_tile,
    max_points,
    sample_plane,
    sample_plane_sessions,
)
from smpstudio.dots._metrics import most_repeated_translation


def scalp(p: np.ndarray) -> np.ndarray:
    """Bare front, a sharp wavy hairline, a feathered band, full density, a crown at 60 %
    and a zero-density scar line: most of the mass at the maximum."""
    x, y = p[:, 0], p[:, 1]
    depth = y - (0.12 + 0.025 * np.sin(2 * np.pi * 2.5 * x))
    out = np.where(depth < 0, 0.0, np.clip(0.45 + 0.55 * depth / 0.08, 0.45, 1.0))
    out = np.where((x - 0.55) ** 2 + (y - 0.78) ** 2 < 0.11**2, 0.6, out)
    return np.where(np.abs(y - 0.5 - 0.1 * (x - 0.5)) < 0.0015, 0.0, out)


def _grid(fn, res: int = 1024) -> np.ndarray:  # type: ignore[no-untyped-def]
    c = (np.arange(res) + 0.5) / res
    gx, gy = np.meshgrid(c, c)
    return np.asarray(fn(np.column_stack([gx.ravel(), gy.ravel()])).reshape(res, res))


def white_noise_error(fn, n: int) -> float:  # type: ignore[no-untyped-def]
    """Expected relative L1 error of n white-noise points on 32 × 32 cells."""
    t = _grid(fn).reshape(32, 32, 32, 32).mean(axis=(1, 3)).ravel()
    t = n * t / t.sum()
    t = t[t > 0]
    fl = np.floor(t)
    return float((2.0 * np.exp(-t + (fl + 1) * np.log(t) - gammaln(fl + 1))).sum() / n)


def worst_local_rho(points: np.ndarray, fn, n: int) -> float:  # type: ignore[no-untyped-def]
    density = n * fn(points) / _grid(fn).mean()
    xyz = np.column_stack([points, np.zeros(len(points))])
    return local_spacing(xyz, density * 100.0).minimum


def test_most_mass_at_the_maximum() -> None:
    g = _grid(scalp)
    assert g[g == g.max()].sum() > 0.7 * g.sum()


@pytest.mark.parametrize("n", [100_000, 1_000_000])
def test_exact_counts_at_full_density(n: int) -> None:
    pts = sample_plane(scalp, n, seed=1)
    assert abs(len(pts) - n) <= 0.0005 * n
    error = density_error(pts, scalp)
    assert error <= 0.2 * white_noise_error(scalp, n), error
    assert worst_local_rho(pts, scalp, n) >= 0.65
    assert not np.any(scalp(pts) == 0.0)  # bare skin and the scar line stay empty


def test_sessions_are_exact_too() -> None:
    pts, session = sample_plane_sessions(scalp, 100_000, shares=(0.6, 0.9, 1.0), seed=2)
    for k, share in enumerate((0.6, 0.9, 1.0), start=1):
        assert abs(np.sum(session <= k) - share * 100_000) <= 0.001 * 100_000
        assert density_error(pts[session <= k], scalp) <= 0.2 * white_noise_error(
            scalp, int(share * 100_000)
        )


def test_no_translated_copies_even_with_many_patches() -> None:
    """A small tile makes about 30 patches: none is a translated copy of another."""
    tile = make_tile(1024, seed=3)
    pts = sample_plane(None, 25_000, seed=1, tile=tile)
    assert most_repeated_translation(pts, reach=1.5) <= 3
    # the detector finds a period when there is one: the same points shifted by a patch
    twice = np.concatenate([pts[pts[:, 0] < 0.5], pts[pts[:, 0] < 0.5] + [0.5, 0.0]])
    assert most_repeated_translation(twice, reach=1.5) > 50


@pytest.mark.slow
def test_no_translated_copies_at_ten_million() -> None:
    pts = sample_plane(None, 10_000_000, seed=1)
    assert most_repeated_translation(pts, probes=50, reach=0.12) <= 3


def _image(points: np.ndarray, res: int = 128) -> np.ndarray:
    h, _, _ = np.histogram2d(points[:, 1], points[:, 0], bins=res, range=[[0, 1], [0, 1]])
    return (h - h.mean()) / h.std()


def test_seeds_are_independent_not_turned_copies() -> None:
    """The largest cross-correlation of two seeds' density images over every cyclic shift
    and the eight symmetries of the square stays near zero (white noise: about 0.02)."""
    a = _image(sample_plane(None, 200_000, seed=1))
    b = _image(sample_plane(None, 200_000, seed=2))
    fa = np.fft.fft2(a)
    worst = 0.0
    for turn in range(4):
        for image in (np.rot90(b, turn), np.rot90(b, turn).T):
            corr = np.fft.ifft2(fa * np.conj(np.fft.fft2(image))).real / a.size
            worst = max(worst, float(np.abs(corr).max()))
    assert worst < 0.05
    same = np.fft.ifft2(fa * np.conj(fa)).real / a.size
    assert same.max() > 0.99  # the measure sees a copy


def test_fine_features_one_spacing_wide() -> None:
    """A band one impression spacing wide at 5× the background gets its share, and a strip
    half a spacing wide at zero density stays empty."""
    n = 100_000
    spacing = 1.0 / math.sqrt(5.0 * n / 1.2)  # at the band's density (mean ≈ 1.2)

    def band_distance(p: np.ndarray) -> np.ndarray:
        return np.abs(p[:, 1] - 0.3 - 0.37 * p[:, 0]) / math.hypot(1.0, 0.37)

    def density(p: np.ndarray) -> np.ndarray:
        out = np.where(band_distance(p) < spacing / 2, 5.0, 1.0)
        return np.where(np.abs(p[:, 1] - 0.8) < spacing / 4, 0.0, out)

    pts = sample_plane(density, n, seed=4)
    g = _grid(density, 4096)
    share = g[g == 5.0].sum() / g.sum()
    got = np.mean(band_distance(pts) < spacing / 2)
    assert abs(got / share - 1.0) < 0.05, (got, share)
    assert not np.any(np.abs(pts[:, 1] - 0.8) < spacing / 4)


def _in_child(seed: int) -> bytes:
    return sample_plane(scalp, 30_000, seed=seed).tobytes()


def test_same_bytes_in_another_process() -> None:
    here = sample_plane(scalp, 30_000, seed=7).tobytes()
    with mp.get_context("spawn").Pool(1) as pool:
        there = pool.apply(_in_child, (7,))
    assert here == there


def _flat(p: np.ndarray) -> np.ndarray:
    return np.ones(len(p))


@pytest.mark.parametrize(
    ("density", "n", "extra", "message"),
    [
        (lambda p: np.zeros(len(p)), 1000, {}, "zero everywhere"),
        (_flat, -5, {}, "0 or more"),
        (_flat, 1000.5, {}, "whole number"),
        (_flat, True, {}, "whole number"),
        (lambda p: np.ones((len(p), 2)), 1000, {}, r"shape \(\d+,\)"),
        (lambda p: np.ones(3), 1000, {}, "one value per point"),
        (lambda p: np.full(len(p), np.nan), 1000, {}, "NaN or inf"),
        (lambda p: np.where(p[:, 0] > 0.5, np.inf, 1.0), 1000, {}, "NaN or inf"),
        (lambda p: p[:, 0] - 0.5, 1000, {}, "non-negative"),
        (_flat, 10**10, {}, "MB memory budget"),
        (_flat, 1000, {"density_max": 0.0}, "density_max"),
        (_flat, 1000, {"density_max": float("nan")}, "density_max"),
    ],
)
def test_bad_input_gets_one_clear_error(density, n, extra, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DotsError, match=message):
        sample_plane(density, n, **extra)


def test_errors_are_project_errors_and_name_the_limit() -> None:
    assert issubclass(DotsError, InputError)
    with pytest.raises(DotsError, match=f"at most {max_points():,} points"):
        sample_plane(None, max_points() + 1)
    with pytest.raises(DotsError, match="shares"):
        sample_plane_sessions(None, 100, shares=(0.5, 0.4, 1.0))
    assert len(sample_plane(None, 0)) == 0


def test_a_density_only_on_a_line_finer_than_the_first_grid() -> None:
    def line(p: np.ndarray) -> np.ndarray:
        return np.where(np.abs(p[:, 0] - 0.5002) < 0.0005, 1.0, 0.0)

    pts = sample_plane(line, 2000, seed=1)
    assert len(pts) >= 1990
    assert np.all(line(pts) > 0)
