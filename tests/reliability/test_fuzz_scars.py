"""Fuzz: scar geometry (issue 9, item 1).

Arbitrary polylines (self-crossing, zero length, repeated points, off the head, through the
head centre, huge and tiny coordinates, up to a few hundred vertices), FUT strips and FUE
fields with any field values, and alopecia areata discs, built on the M head. The answer is a
scar on the scalp, or a :class:`~smpstudio.ScarError` / :class:`~smpstudio.PatternError`
whose message says what is wrong; never another exception, never a hang.
"""

from __future__ import annotations

import math
import time

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

import smpstudio
from smpstudio import InputError, PatternError, ScarError
from smpstudio.head import VirtualHead
from smpstudio.loss import parse_scar

from ._fuzz import HOSTILE_TEXT, NUMBER_TEXT, assert_one_line, attempt, budget

HEAD = VirtualHead.preset("M")
SECONDS = 30.0
"""CPU seconds of this thread one spec may take (a hang, not a slow machine: other
processes on the core do not count)."""

COORD = st.one_of(
    st.floats(-150, 150, allow_nan=False),
    st.sampled_from([0.0, -0.0, 1e-300, 1e300, -1e300, 90.0, -90.0, 75.0, -60.0]),
)
# points on (or near) the scalp: angles on a sphere of the head's size
ON_HEAD = st.tuples(st.floats(-math.pi, math.pi), st.floats(-0.3, 1.4)).map(
    lambda a: (
        90 * math.cos(a[1]) * math.sin(a[0]),
        95 * math.sin(a[1]),
        90 * math.cos(a[1]) * math.cos(a[0]),
    )
)
POINT = st.one_of(ON_HEAD, st.tuples(COORD, COORD, COORD))


def _fmt(v: float) -> str:
    return repr(float(v))


@st.composite
def line_spec(draw: st.DrawFn) -> str:
    points = draw(st.lists(POINT, min_size=0, max_size=draw(st.sampled_from([3, 12, 300]))))
    if points and draw(st.booleans()):
        points = points + points[:1]  # closed, self-crossing when drawn back over itself
    text = ";".join(",".join(_fmt(c) for c in p) for p in points)
    if draw(st.booleans()):
        text = draw(st.sampled_from(["", ";", ";;", "1,2", "1,2,3,4", "a,b,c"])) + ";" + text
    width = draw(st.one_of(st.sampled_from(["3", "0.5", "30"]), NUMBER_TEXT))
    return f"line:width={width}:points={text}"


FIELD_VALUE = st.one_of(NUMBER_TEXT, st.floats().map(repr), st.integers(-10, 10**7).map(str))
SPEC = st.one_of(
    line_spec(),
    st.builds(lambda w, n: f"fut:width={w}:length={n}", FIELD_VALUE, FIELD_VALUE),
    st.builds(lambda h: f"fut:height={h}", FIELD_VALUE),
    st.builds(lambda c, p: f"fue:count={c}:punch={p}", FIELD_VALUE, FIELD_VALUE),
    st.builds(
        lambda a, b: f"{a}:{b}", st.sampled_from(["fut", "FUE", "line", " fut ", "x"]), HOSTILE_TEXT
    ),
    HOSTILE_TEXT,
)


def _check_scar(spec: str) -> None:
    start = time.thread_time()
    scar, error = attempt(lambda: parse_scar(spec, HEAD, seed=1), ScarError)
    if scar is None:
        assert_one_line(error)
        assert str(error).startswith("scar ")
    else:
        assert np.isfinite(scar.centres).all()
        assert len(scar.centres) >= 1
        assert scar.radius_mm > 0
        assert math.isfinite(scar.length_mm)
        assert HEAD.natural_scalp_mask(scar.centres).mean() > 0.5
        assert math.isfinite(scar.nominal_area_mm2())
    assert time.thread_time() - start < SECONDS, spec


@budget(120)
@given(spec=SPEC)
@example(spec="line:width=3:points=0,75,-60;0,75,-60")  # zero length
@example(spec="line:width=3:points=0,75,-60;25,70,-62;0,75,-60;25,70,-62")  # back and forth
@example(spec="line:width=3:points=1e300,0,0;0,1e300,0")  # far off, projected
@example(spec="line:width=3:points=1e-300,0,0;0,75,-60")  # at the centre
@example(spec="fue:count=6000:punch=1.5")  # does not fit
@example(spec="fut:length=330:height=40")
def test_scar_specs_are_a_scar_or_a_scar_error(spec: str) -> None:
    _check_scar(spec)


@budget(40)
@given(
    patch=st.tuples(COORD, COORD, COORD, st.one_of(st.floats(), st.sampled_from([3.0, 60.0, 12.0])))
)
@example(patch=(0.0, 80.0, -40.0, 12.0))
@example(patch=(0.0, 0.0, 0.0, 12.0))
@example(patch=(math.nan, 80.0, -40.0, 12.0))
def test_areata_patches_are_a_design_or_a_pattern_error(
    patch: tuple[float, float, float, float],
) -> None:
    d, error = attempt(
        lambda: smpstudio.design(pattern="none", hairline="soft", areata=[patch]), PatternError
    )
    if d is None:
        assert_one_line(error)
        assert "alopecia areata" in str(error)
    else:
        assert len(d.pattern.patches) == 1


def test_many_vertices_stay_bounded() -> None:
    """1,000 vertices zig-zagging on the crown: a scar, in seconds."""
    t = np.linspace(0, 1, 1000)
    points = np.stack([40 * np.sin(40 * t), 80 + 5 * np.cos(40 * t), -40 + 60 * t], axis=1)
    spec = "line:width=2:points=" + ";".join(",".join(f"{c:.2f}" for c in p) for p in points)
    start = time.thread_time()
    scar, error = attempt(lambda: parse_scar(spec, HEAD), InputError)
    assert scar is not None or "off the scalp" in str(error)
    assert time.thread_time() - start < SECONDS
