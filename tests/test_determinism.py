"""Same inputs and seed, same numbers: in this process, in a fresh one, on any CPU.

NumPy's AVX-512 paths gave last-bit differences between two same-seed calls (now and then)
and between machines; smpstudio switches them off before NumPy loads
(:mod:`smpstudio._determinism`, docs/reliability.md, "Determinism").
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

from smpstudio._determinism import numpy_is_deterministic
from smpstudio.hairline import design_hairline
from smpstudio.head import VirtualHead

_HAIRLINE = """
import hashlib, smpstudio
from smpstudio.hairline import design_hairline
from smpstudio.head import VirtualHead
from smpstudio._determinism import numpy_is_deterministic
line = design_hairline(VirtualHead.preset("M"), style="broken", seed=1).polyline
print(numpy_is_deterministic(), hashlib.sha256(line.tobytes()).hexdigest())
"""


def test_numpy_runs_without_its_avx512_paths() -> None:
    assert numpy_is_deterministic()


def test_a_fresh_process_importing_smpstudio_first_draws_the_same_hairline() -> None:
    line = design_hairline(VirtualHead.preset("M"), style="broken", seed=1).polyline
    env = {k: v for k, v in os.environ.items() if k != "NPY_DISABLE_CPU_FEATURES"}
    out = subprocess.run(
        [sys.executable, "-c", _HAIRLINE], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["True", hashlib.sha256(line.tobytes()).hexdigest()]
