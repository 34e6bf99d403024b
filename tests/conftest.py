from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

# Numba caches compiled kernels on disk; keep them inside the repository's ignored folder.
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parents[1] / ".numba-cache"))

import pytest
from hypothesis import HealthCheck, settings

import smpstudio
from smpstudio._clock import ENV_CLOCK
from smpstudio.head import VirtualHead

# Every test reads one calendar: the studio's clock starts at TEST_NOW, a Wednesday far from
# any month or year end, whatever the day the suite runs (the "@" anchor makes the workers
# of pytest-xdist and every server or command-line process a test starts read the same
# time). Tests that book use dates of their own after it (tests/web/conftest.py).
TEST_NOW = datetime(2030, 6, 12, 10, 0, tzinfo=UTC)
TEST_TODAY = TEST_NOW.date()
if not os.environ.get(ENV_CLOCK, "").startswith(TEST_NOW.isoformat() + "@"):
    os.environ[ENV_CLOCK] = f"{TEST_NOW.isoformat()}@{time.time():.3f}"

settings.register_profile(
    "explore", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)
# Every run replays a fixed example sequence (Hypothesis and schemathesis), so that a landing
# never depends on luck; SMPSTUDIO_HYPOTHESIS_PROFILE=explore draws new examples (a failure
# it finds becomes a regression test).
settings.register_profile("smpstudio", parent=settings.get_profile("explore"), derandomize=True)
settings.register_profile("ci", parent=settings.get_profile("smpstudio"))
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
