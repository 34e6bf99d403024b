from __future__ import annotations

import os
from pathlib import Path

# Numba caches compiled kernels on disk; keep them inside the repository's ignored folder.
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parents[1] / ".numba-cache"))

import pytest
from hypothesis import HealthCheck, settings

import smpstudio
from smpstudio.head import VirtualHead

settings.register_profile(
    "smpstudio", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)
# CI replays a fixed example sequence so a landing never depends on luck; local runs
# keep exploring new examples, and a failure they find becomes a regression test.
settings.register_profile("ci", parent=settings.get_profile("smpstudio"), derandomize=True)
settings.load_profile(os.environ.get("SMPSTUDIO_HYPOTHESIS_PROFILE", "smpstudio"))


@pytest.fixture(scope="session")
def head_m() -> VirtualHead:
    return VirtualHead.preset("M")


@pytest.fixture(scope="session")
def design_cache() -> dict[tuple[object, ...], smpstudio.Design]:
    return {}


@pytest.fixture(scope="session")
def make_design(design_cache):  # type: ignore[no-untyped-def]
    """Build designs once per test session (they are immutable)."""

    def build(**kwargs: object) -> smpstudio.Design:
        key = tuple(sorted((k, repr(v)) for k, v in kwargs.items()))
        if key not in design_cache:
            design_cache[key] = smpstudio.design(**kwargs)  # type: ignore[arg-type]
        return design_cache[key]

    return build
