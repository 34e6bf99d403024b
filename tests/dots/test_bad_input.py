"""Bad input to the engine on the head and through ``smpstudio dots``: one clear error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from smpstudio.cli import main
from smpstudio.dots import DotsError, sample_on_head


@pytest.mark.parametrize("cap", [0.0, -5.0, float("nan"), float("inf")])
def test_a_bad_cap_on_the_head_is_refused(head_m, cap: float) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DotsError, match="cap_per_cm2 must be a positive finite density"):
        sample_on_head(head_m, lambda p: np.ones(len(p)), cap_per_cm2=cap, seed=1)


@pytest.mark.parametrize(
    "density",
    [
        lambda p: np.full(len(p), np.nan),
        lambda p: -np.ones(len(p)),
        lambda p: np.ones((len(p), 3)),
    ],
)
def test_a_bad_density_on_the_head_is_refused(head_m, density) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DotsError, match="one finite, non-negative value per point"):
        sample_on_head(head_m, density, cap_per_cm2=60.0, seed=1)


def test_the_cli_refuses_a_design_without_impressions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    args = ["dots", "--pattern", "norwood-1", "--hairline", "soft", "--hairline-height-cm", "9"]
    code = main([*args, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: this design asks for no impressions")
    assert err.count("\n") == 1  # one line, no stack trace
    assert not out.exists()  # nothing written
