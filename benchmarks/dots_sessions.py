"""Cumulative session sets in the unit square, for both session presets.

Uniform (N = 10^5): the relative radius ρ of each cumulative session set. Ramp + bump
(N = 10^5): each set's density error against its share of the target, and its local ρ (each
point's nearest-neighbour distance over the hexagonal spacing of the denser target of the
pair; points within 1 % of the square's border left out).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from benchmarks.dots_peers import RAMP_MAX, ramp_bump
from smpstudio import SESSION_PRESETS
from smpstudio.dots import density_error, relative_radius, sample_plane_sessions

N = 100_000


def _local_rho(points: np.ndarray, expected_n: float) -> float:
    mean = float(ramp_bump(np.random.default_rng(0).random((400_000, 2))).mean())
    density = ramp_bump(points) / mean * expected_n
    d, idx = cKDTree(points).query(points, k=2)
    denser = np.maximum(density, density[idx[:, 1]])
    rho = d[:, 1] / np.sqrt(2.0 / (math.sqrt(3.0) * denser))
    inner = np.all((points > 0.01) & (points < 0.99), axis=1)
    return float(rho[inner].min())


def run(*, seed: int = 1) -> list[dict[str, Any]]:
    rows = []
    for preset, shares in SESSION_PRESETS.items():
        flat, flat_session = sample_plane_sessions(None, N, shares=shares, seed=seed)
        ramp, ramp_session = sample_plane_sessions(
            ramp_bump, N, shares=shares, seed=seed, density_max=RAMP_MAX
        )
        for k, share in enumerate(shares, start=1):
            subset = ramp[ramp_session <= k]
            rows.append(
                {
                    "preset": preset,
                    "session": k,
                    "share": share,
                    "uniform_n": int(np.sum(flat_session <= k)),
                    "uniform_rho": relative_radius(flat[flat_session <= k]),
                    "density_n": len(subset),
                    "density_rho_min": _local_rho(subset, N * share),
                    "density_error": density_error(subset, ramp_bump),
                }
            )
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    out = [
        "### Cumulative session sets (unit square, N = 100,000 at 100 %)",
        "",
        "| preset | session | share | uniform: points | uniform ρ | ramp + bump: points "
        "| local ρ min | density error |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(
            f"| {r['preset']} | {r['session']} | {r['share']:.0%} | {r['uniform_n']:,} | "
            f"{r['uniform_rho']:.3f} | {r['density_n']:,} | {r['density_rho_min']:.3f} | "
            f"{r['density_error']:.4f} |"
        )
    return "\n".join(out)
