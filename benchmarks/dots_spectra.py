"""Pair correlation and power spectra of the engine and its peers, and checks of period and
seed independence (``make bench``; pictures in docs/images/).

* Radially averaged power spectrum ``P(k) = |Σ exp(−2πi k·x)|² / N`` on the integer
  frequencies of the unit square, rings of width 1, frequency in units of √N; and the pair
  correlation function g(r), distances rescaled by √λ at the centre point (λ the target
  intensity there), so r = 1 is the mean spacing wherever the density is; each averaged
  over ten seeds at N = 10^4, uniform and on the scalp-shaped map.
* Highest periodogram value of a uniform set of 10^6 points (0.05 √N < |k| ≤ 1.6 √N), from
  a 4096² histogram (nearest-grid-point assignment, deconvolved): a repeating tile shows as
  a comb of high peaks.
* Exact repetition: how many of 200 probe points share one translation to another point
  (about 200 for a periodic set, 1 for an aperiodic one), at N = 10^6.
* Seed independence: the largest normalised cross-correlation of the 128² density images of
  seeds 1 and 2 over every cyclic shift and the eight symmetries of the square (2 × 10^5
  points; independent sets about 0.02, a turned copy about 1).
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from benchmarks.dots_maps import scalp
from benchmarks.dots_peers import MEAN, PEERS, Density, Sampler
from smpstudio.dots import radial_spectrum
from smpstudio.dots._metrics import most_repeated_translation

N_AVERAGED = 10_000
REALISATIONS = 10
R_MAX = 3.0
BINS = 60
IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"
SHOWN = (
    "smpstudio",
    "bsb-native",
    "void-and-cluster mask",
    "warped jittered grid",
    "white noise",
)


def _intensity(points: np.ndarray, density: Density | None, n: int) -> np.ndarray:
    if density is None:
        return np.full(len(points), float(n))
    return np.asarray(n * density(points) / MEAN[density], dtype=np.float64)


def pair_correlation(points: np.ndarray, density: Density | None, n: int) -> np.ndarray:
    """g(r) on ``BINS`` rings up to ``R_MAX`` mean spacings (rescaled at the centre)."""
    lam = _intensity(points, density, n)
    reach = R_MAX / np.sqrt(np.maximum(lam, 1e-12))
    inner = np.all((points > reach[:, None]) & (points < 1.0 - reach[:, None]), axis=1)
    inner &= lam > 0
    tree = cKDTree(points)
    counts = np.zeros(BINS)
    centres = np.flatnonzero(inner)
    for i, near in zip(
        centres, tree.query_ball_point(points[centres], reach[centres]), strict=True
    ):
        d = np.linalg.norm(points[near] - points[i], axis=1) * math.sqrt(lam[i])
        d = d[d > 0]
        counts += np.histogram(d, bins=BINS, range=(0.0, R_MAX))[0]
    edges = np.linspace(0.0, R_MAX, BINS + 1)
    ring = math.pi * (edges[1:] ** 2 - edges[:-1] ** 2)
    return counts / (max(len(centres), 1) * ring)


def averaged(sample: Sampler, density: Density | None) -> dict[str, np.ndarray]:
    spectra, pcfs, freq = [], [], np.zeros(0)
    for seed in range(1, REALISATIONS + 1):
        pts = np.clip(np.asarray(sample(density, N_AVERAGED, seed))[:, :2], 0.0, 1.0 - 1e-12)
        freq, power = radial_spectrum(pts)
        spectra.append(power)
        pcfs.append(pair_correlation(pts, density, N_AVERAGED))
    size = min(len(s) for s in spectra)
    return {
        "freq": freq[:size],
        "power": np.mean([s[:size] for s in spectra], axis=0),
        "r": (np.arange(BINS) + 0.5) * R_MAX / BINS,
        "g": np.mean(pcfs, axis=0),
    }


def spectrum_peak(points: np.ndarray, grid: int = 4096) -> float:
    """Highest periodogram value for 0.05 √N < |k| ≤ 1.6 √N (histogram FFT, deconvolved)."""
    n = len(points)
    h, _, _ = np.histogram2d(points[:, 0], points[:, 1], bins=grid, range=[[0, 1], [0, 1]])
    f = np.fft.rfft2(h)
    power = np.abs(f) ** 2 / n
    kx = np.fft.fftfreq(grid, 1.0 / grid)[:, None]
    ky = np.fft.rfftfreq(grid, 1.0 / grid)[None, :]
    power /= (np.sinc(kx / grid) * np.sinc(ky / grid)) ** 4
    radius = np.hypot(kx, ky) / math.sqrt(n)
    band = (radius > 0.05) & (radius <= 1.6)
    return float(power[band].max())


def seed_correlation(sample: Sampler, n: int = 200_000) -> float:
    def image(seed: int) -> np.ndarray:
        pts = np.asarray(sample(None, n, seed))[:, :2]
        h, _, _ = np.histogram2d(pts[:, 1], pts[:, 0], bins=128, range=[[0, 1], [0, 1]])
        return (h - h.mean()) / h.std()

    a, b = image(1), image(2)
    fa = np.fft.fft2(a)
    worst = 0.0
    for turn in range(4):
        for other in (np.rot90(b, turn), np.rot90(b, turn).T):
            corr = np.fft.ifft2(fa * np.conj(np.fft.fft2(other))).real / a.size
            worst = max(worst, float(np.abs(corr).max()))
    return worst


def run(*, core: int = 0, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Curves and checks for every shown peer, on ``core`` (the caller's cores restored)."""
    cores = os.sched_getaffinity(0)
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, {core})
    try:
        return _run(log)
    finally:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, cores)


def _run(log: Callable[[str], None]) -> dict[str, Any]:
    out: dict[str, Any] = {"curves": {}, "checks": []}
    for peer in PEERS:
        if peer.name not in SHOWN:
            continue
        sample = peer.make()
        for kind, density in (("uniform", None), ("scalp", scalp)):
            try:
                out["curves"][(peer.name, kind)] = averaged(sample, density)
            except NotImplementedError:
                continue
        log(f"  spectra: {peer.name}")
        if peer.name == "white noise":
            continue
        pts = np.clip(np.asarray(sample(None, 1_000_000, 1))[:, :2], 0.0, 1.0 - 1e-12)
        out["checks"].append(
            {
                "peer": peer.name,
                "peak": spectrum_peak(pts),
                "repeats": most_repeated_translation(pts, reach=0.6),
                "seeds": seed_correlation(sample),
            }
        )
    return out


def pictures(result: dict[str, Any], folder: Path = IMAGES) -> list[Path]:
    """One PNG per case: pair correlation beside the radially averaged power spectrum."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    colours = dict(zip(SHOWN, ("C0", "C1", "C3", "C2", "C7"), strict=True))
    for kind, title in (("uniform", "uniform"), ("scalp", "scalp-shaped map")):
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), dpi=110)
        for (name, case), curve in result["curves"].items():
            if case != kind:
                continue
            style = {"color": colours[name], "linewidth": 2.2 if name == "smpstudio" else 1.0}
            label = name + (" (pixel lattice: spikes off scale)" if "mask" in name else "")
            left.plot(curve["r"], curve["g"], label=label, **style)
            right.plot(curve["freq"], curve["power"], label=name, **style)
        left.set_ylim(0.0, 3.0)
        if kind == "uniform":
            right.set_ylim(0.0, 3.0)
        left.set(xlabel="r (mean spacings)", ylabel="g(r)", title=f"Pair correlation, {title}")
        left.axhline(1.0, color="grey", linewidth=0.5)
        right.set(
            xlabel="frequency (× √N)",
            ylabel="power",
            title=f"Radially averaged power spectrum, {title}",
            yscale="log" if kind == "scalp" else "linear",
        )
        right.axhline(1.0, color="grey", linewidth=0.5)
        left.legend(fontsize=8)
        fig.suptitle(f"Mean of {REALISATIONS} seeds, N = {N_AVERAGED:,}", fontsize=9)
        fig.tight_layout()
        path = folder / f"dots-spectra-{kind}.png"
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    return written


def markdown(result: dict[str, Any]) -> str:
    out = [
        "### Period, spectrum peaks and seed independence (uniform)",
        "",
        "| peer | highest periodogram value, N = 10^6 | points sharing one exact translation "
        "(of 200) | seed 1 × seed 2 correlation (max over shifts, symmetries) |",
        "|---|---:|---:|---:|",
    ]
    for c in result["checks"]:
        out.append(f"| {c['peer']} | {c['peak']:.1f} | {c['repeats']} | {c['seeds']:.3f} |")
    out += ["", "Averaged spectra and pair correlation: docs/images/dots-spectra-*.png."]
    return "\n".join(out)
