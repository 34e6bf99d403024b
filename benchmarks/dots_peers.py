"""The impression engine beside its peers, in one run (``make bench``).

Peers, as the shared peer benchmark (``../shared/peerbench``) installs and calls them:
``scipy.stats.qmc.PoissonDisk`` (Bridson, uniform only), ``bsb-native`` (3-D Poisson disk on
a thin slab, uniform only), ``mapstippler`` (capacity-constrained Voronoi on 16 random points
per dot), a jittered grid warped through the density's inverse CDF (the peer benchmark's
example candidate), a void-and-cluster dither mask (the tile/mask peer: like the engine it
lays precomputed ranks; reference implementation in ``benchmarks/dots_vac.py``), and plain
white noise (rejection sampling: the speed ceiling).

Every peer runs in its own worker process pinned to one core with single-threaded numerical
libraries; each case is timed after a warm-up call, with the extra peak resident memory of
the call (VmHWM reset through /proc/self/clear_refs). Speeds are points per second of the
worker's CPU time (its wall time is shown too: on a shared machine it includes waiting for
the core). Cases: uniform blue noise in the unit
square at N = 10^4, 10^5, 10^6 (ρ, NN CV), and two densities at the same sizes: the ramp +
radial bump of the peer benchmark and a scalp-shaped map (``benchmarks/dots_maps.py``: most
of its mass at the maximum, a sharp hairline, a zero-density scar line) — relative L1 error
on 32 × 32 cells, worst local ρ (each point's nearest-neighbour distance over the hexagonal
spacing of the denser target of the pair) and the share of points on zero density. A case
whose time, extrapolated from the peer's previous case, exceeds the budget is skipped and
says so.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing as mp
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks import dots_vac
from benchmarks.dots_maps import RAMP_MAX, SCALP_MAX, ramp_bump, scalp
from smpstudio.dots import density_error, local_spacing, nn_cv, relative_radius

Density = Callable[[np.ndarray], np.ndarray]
Sampler = Callable[[Density | None, int, int], np.ndarray]

__all__ = ["PEERS", "RAMP_MAX", "markdown", "ramp_bump", "run", "scalp"]

SIZES = (10_000, 100_000, 1_000_000)
BUDGET_S = 150.0
C_BRIDSON = 0.776  # radius = C / sqrt(N) gives about N points (shared peer benchmark)
C_BSB = 0.768
BSB_SLAB = 0.5
MAPSTIPPLER_POINTS_PER_DOT = 16


def _grid(fn: Density, res: int = 1024) -> np.ndarray:
    c = (np.arange(res) + 0.5) / res
    gx, gy = np.meshgrid(c, c)
    return np.asarray(fn(np.column_stack([gx.ravel(), gy.ravel()])).reshape(res, res))


PEAK = {ramp_bump: RAMP_MAX, scalp: SCALP_MAX}
MEAN = {ramp_bump: float(_grid(ramp_bump).mean()), scalp: float(_grid(scalp).mean())}


def _rejection(density: Density | None, n: int, rng: np.random.Generator) -> np.ndarray:
    if density is None:
        return rng.random((n, 2))
    out, got = np.empty((n, 2)), 0
    peak, mean = PEAK[density], MEAN[density]
    while got < n:
        pts = rng.random((int(1.1 * (n - got) * peak / mean) + 1024, 2))
        keep = pts[rng.random(len(pts)) * peak < density(pts)]
        take = min(len(keep), n - got)
        out[got : got + take] = keep[:take]
        got += take
    return out


def _smpstudio() -> Sampler:
    from smpstudio.dots import sample_plane

    def sample(density: Density | None, n: int, seed: int) -> np.ndarray:
        return sample_plane(density, n, seed=seed, density_max=PEAK[density] if density else None)

    return sample


def _whitenoise() -> Sampler:
    def sample(density: Density | None, n: int, seed: int) -> np.ndarray:
        return _rejection(density, n, np.random.default_rng(seed))

    return sample


def _scipy() -> Sampler:
    from scipy.stats import qmc

    def sample(density: Density | None, n: int, seed: int) -> np.ndarray:
        if density is not None:
            raise NotImplementedError("uniform radius only")
        engine = qmc.PoissonDisk(d=2, radius=C_BRIDSON / math.sqrt(n), ncandidates=30, rng=seed)
        return np.asarray(engine.fill_space())

    return sample


def _bsb() -> Sampler:
    import bsb_native

    def sample(density: Density | None, n: int, seed: int) -> np.ndarray:
        if density is not None:
            raise NotImplementedError("uniform radius only")
        r = C_BSB / math.sqrt(n)
        pts = bsb_native.poisson_disk((0.0, 0.0, 0.0), (1.0, 1.0, BSB_SLAB * r), r, k=30, seed=seed)
        return np.ascontiguousarray(pts[:, :2])

    return sample


def _mapstippler() -> Sampler:
    from mapstippler import ccvt_fast

    def sample(density: Density | None, n: int, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        pts = _rejection(density, n * MAPSTIPPLER_POINTS_PER_DOT, rng)
        return np.asarray(ccvt_fast(pts, n, rng=seed).sites)

    return sample


def _warped_jitter() -> Sampler:
    """The shared peer benchmark's example candidate, with the density on a 512² grid."""

    def sample(density: Density | None, n: int, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        m = max(1, round(math.sqrt(n)))
        i, j = np.meshgrid(np.arange(m), np.arange(m), indexing="ij")
        u = (np.column_stack([i.ravel(), j.ravel()]) + rng.random((m * m, 2))) / m
        if density is None:
            return u
        g = _grid(density, 512)
        edges = np.linspace(0.0, 1.0, 513)
        cdf_x = np.concatenate([[0.0], np.cumsum(g.sum(axis=0))])
        x = np.interp(u[:, 0], cdf_x / cdf_x[-1], edges)
        col = np.clip((x * 512).astype(int), 0, 511)
        cdf_y = np.vstack([np.zeros(512), np.cumsum(g, axis=0)])
        cdf_y /= np.where(cdf_y[-1] > 0, cdf_y[-1], 1.0)
        y = np.empty(len(u))
        for c in np.unique(col):
            k = col == c
            y[k] = np.interp(u[k, 1], cdf_y[:, c], edges)
        return np.column_stack([x, y])

    return sample


def _void_and_cluster() -> Sampler:
    dots_vac.mask()  # built once per process (about 2 s), like a shipped mask

    def sample(density: Density | None, n: int, seed: int) -> np.ndarray:
        if density is None:
            return dots_vac.sample(None, n, seed)
        return dots_vac.sample(density, n, seed, mean=MEAN[density], peak=PEAK[density])

    return sample


@dataclass(frozen=True)
class Peer:
    name: str
    make: Callable[[], Sampler]
    note: str


PEERS = (
    Peer("smpstudio", _smpstudio, "this project: ranked maximal Poisson-disk tile, exact counts"),
    Peer("scipy qmc.PoissonDisk", _scipy, f"fill_space(), r={C_BRIDSON}/sqrt(N), 30 candidates"),
    Peer("bsb-native", _bsb, f"3-D on a slab [0,1]²×[0,{BSB_SLAB}r], k=30, xy kept"),
    Peer(
        "mapstippler ccvt_fast",
        _mapstippler,
        f"CCVT, {MAPSTIPPLER_POINTS_PER_DOT} random points per dot",
    ),
    Peer("warped jittered grid", _warped_jitter, "peer benchmark's example: inverse-CDF warp"),
    Peer(
        "void-and-cluster mask",
        _void_and_cluster,
        f"{dots_vac.SIZE}² mask (σ {dots_vac.SIGMA}), densest place at {dots_vac.LEVEL:.0%} grey",
    ),
    Peer("white noise", _whitenoise, "rejection sampling: the speed ceiling"),
)
KINDS: tuple[tuple[str, Density | None], ...] = (
    ("uniform", None),
    ("ramp", ramp_bump),
    ("scalp", scalp),
)


def _memory_kb(field: str) -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def _measure(sample: Sampler, density: Density | None, n: int, seed: int) -> dict[str, Any]:
    import gc

    gc.collect()
    reset = _reset_peak()
    before = _memory_kb("VmRSS")
    start, cpu = time.perf_counter(), time.process_time()
    pts = np.asarray(sample(density, n, seed), dtype=np.float64)[:, :2]
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    peak = (_memory_kb("VmHWM") - before) / 1024.0 if reset else float("nan")
    row: dict[str, Any] = {
        "n": len(pts),
        "time_s": elapsed,
        "cpu_s": cpu,
        "points_per_s": len(pts) / max(cpu, 1e-9),
        "peak_mb": max(peak, 0.0),
    }
    inside = np.clip(pts, 0.0, 1.0 - 1e-12)
    if density is None:
        row.update(rho=relative_radius(inside), nn_cv=nn_cv(inside))
    else:
        row.update(
            density_error=density_error(inside, density),
            worst_local_rho=worst_local_rho(inside, density, n),
            on_zero=float(np.mean(density(inside) <= 0.0)),
        )
    return row


def worst_local_rho(points: np.ndarray, density: Density, n: int) -> float:
    """Smallest nearest-neighbour distance over the hexagonal spacing of the denser target
    of the pair (targets from ``n`` points following ``density``)."""
    target = n * density(points) / MEAN[density] * 100.0  # per unit² × 100 (local_spacing)
    xyz = np.column_stack([points, np.zeros(len(points))])
    return local_spacing(xyz, np.maximum(target, 1e-12)).minimum


def _worker(peer: Peer, core: int, conn: Any, seed: int, sizes: tuple[int, ...]) -> None:
    os.sched_setaffinity(0, {core})
    import warnings

    warnings.filterwarnings("ignore")
    sample = peer.make()
    for _, density in KINDS:
        with contextlib.suppress(NotImplementedError):
            sample(density, 2_000, seed + 1)  # imports, compilation, caches: not timed
    last: dict[str, float] = {}
    for kind, density in KINDS:
        for n in sizes:
            row: dict[str, Any] = {"peer": peer.name, "kind": kind, "n_target": n}
            previous = last.get(kind)
            if previous is not None and previous * n * 1.1 > BUDGET_S:
                row.update(
                    status="skipped",
                    note=f"projected {previous * n * 1.1:.0f} s > {BUDGET_S:.0f} s",
                )
                conn.send(row)
                continue
            try:
                row.update(_measure(sample, density, n, seed), status="ok")
                last[kind] = row["cpu_s"] / n
            except NotImplementedError as exc:
                row.update(status="n/a", note=str(exc))
            conn.send(row)
    conn.send(None)


def run(
    *,
    seed: int = 1,
    core: int = 0,
    log: Callable[[str], None] = print,
    peers: tuple[str, ...] | None = None,
    sizes: tuple[int, ...] = SIZES,
) -> list[dict[str, Any]]:
    """Run every peer (or those named), one after the other, each in a worker pinned to
    ``core``."""
    ctx = mp.get_context("fork")
    rows: list[dict[str, Any]] = []
    for peer in PEERS:
        if peers is not None and peer.name not in peers:
            continue
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_worker, args=(peer, core, child, seed, sizes), daemon=True)
        proc.start()
        child.close()
        while True:
            row = parent.recv()
            if row is None:
                break
            log(
                f"  {peer.name:24s} {row['kind']:8s} N={row['n_target']:>9,} {row['status']} "
                f"{row.get('points_per_s', 0):,.0f} pts/s"
            )
            rows.append(row)
        proc.join()
    return rows


def white_noise_error(density: Density, n: int) -> float:
    """Expected density error of white noise: Σ E|Poisson(t) − t| / N over the cells."""
    from scipy.special import gammaln

    t = _grid(density).reshape(32, 32, 32, 32).mean(axis=(1, 3)).ravel()
    t = n * t / t.sum()
    t = t[t > 0]
    fl = np.floor(t)
    return float((2.0 * np.exp(-t + (fl + 1) * np.log(t) - gammaln(fl + 1))).sum() / n)


def markdown(rows: list[dict[str, Any]]) -> str:
    """Tables: uniform quality and speed, density fidelity on both maps, and ratios."""
    out = [
        "### Uniform blue noise in the unit square",
        "",
        "| peer | N | N got | wall s | CPU s | points per CPU s | ρ | NN CV | peak MB | note |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    out += [_row(r, ("rho", "nn_cv")) for r in rows if r["kind"] == "uniform"]
    titles = {
        "ramp": "ramp + radial bump (the peer benchmark's map)",
        "scalp": "scalp-shaped map (most mass at the maximum, hairline step, scar line)",
    }
    for kind, density in KINDS[1:]:
        assert density is not None
        out += [
            "",
            f"### Density fidelity: {titles[kind]}",
            "",
            "Relative L1 error on 32 × 32 cells beside the white-noise expectation; worst local "
            "ρ; share of points on zero density.",
            "",
            "| peer | N | N got | wall s | CPU s | points per CPU s | L1 error | white noise "
            "| worst local ρ | on zero | peak MB | note |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in (r for r in rows if r["kind"] == kind):
            extra = f"{white_noise_error(density, r['n_target']):.4f}"
            out.append(
                _row(r, ("density_error",), extra=extra, tail=("worst_local_rho", "on_zero"))
            )
    out += [
        "",
        "### smpstudio against each peer (speed ratio; quality)",
        "",
        "| peer | case | N | speed × (CPU) | peer ρ / L1 | smpstudio ρ / L1 |",
        "|---|---|---:|---:|---:|---:|",
    ]
    ours = {
        (r["kind"], r["n_target"]): r
        for r in rows
        if r["peer"] == "smpstudio" and r["status"] == "ok"
    }
    for r in rows:
        mine = ours.get((r["kind"], r["n_target"]))
        if r["peer"] == "smpstudio" or r["status"] != "ok" or mine is None:
            continue
        key = "rho" if r["kind"] == "uniform" else "density_error"
        out.append(
            f"| {r['peer']} | {r['kind']} | {r['n_target']:,} | "
            f"{mine['points_per_s'] / r['points_per_s']:,.2f} | {r[key]:.4f} | {mine[key]:.4f} |"
        )
    return "\n".join(out)


def _row(
    r: dict[str, Any],
    keys: tuple[str, ...],
    extra: str | None = None,
    tail: tuple[str, ...] = (),
) -> str:
    if r["status"] != "ok":
        blanks = " — |" * (len(keys) + len(tail) + 5 + (1 if extra else 0))
        return f"| {r['peer']} | {r['n_target']:,} |{blanks} {r['status']}: {r.get('note', '')} |"
    values = " | ".join(f"{r[k]:.4f}" if k == "density_error" else f"{r[k]:.3f}" for k in keys)
    more = f" {extra} |" if extra else ""
    more += "".join(f" {r[k]:.2%} |" if k == "on_zero" else f" {r[k]:.3f} |" for k in tail)
    return (
        f"| {r['peer']} | {r['n_target']:,} | {r['n']:,} | {r['time_s']:.3f} | "
        f"{r['cpu_s']:.3f} | {r['points_per_s']:,.0f} | {values} |{more} {r['peak_mb']:.0f} | |"
    )
