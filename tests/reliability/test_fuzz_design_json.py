"""Fuzz: design.json (issue 9, item 1).

A real design.json is mutated (keys deleted, values replaced by other JSON types, NaN and
infinities, huge integers, long strings, deep nesting) or its text is damaged, then read with
:func:`smpstudio.load_design` (the ``plan`` command) and its ``inputs`` with
:func:`smpstudio.design_from_inputs` (the web studio's saved designs). The answer is a design
or an :class:`~smpstudio.InputError` with a one-line message; never another exception.
"""

from __future__ import annotations

import copy
import json
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import smpstudio
from smpstudio import Design, InputError, design_from_inputs, load_design
from smpstudio.colour import load_dilution_table
from smpstudio.plan import load_price_table

from ._fuzz import assert_one_line, attempt, budget

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([10**400, -(10**400), 2**63, -(2**63) - 1, 0, -1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["", "S", "M", "norwood-5", "soft", "fut", "a" * 20_000, "\x00", "nan"]),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@cache
def _valid() -> dict[str, Any]:
    d = smpstudio.design(
        pattern="norwood-4",
        hairline="broken",
        scars=["line:width=3:points=0,75,-60;25,70,-62"],
        areata=[(0.0, 80.0, -40.0, 12.0)],
        hairline_profile=[0.2, 0.45, 0.75],
        seed=3,
    )
    return json.loads(d.to_json())  # type: ignore[no-any-return]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every location in a JSON document (the ``inputs`` subtree only, plus the top keys)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*prefix, i))
    return found


INPUT_PATHS = [("inputs", *p) for p in _paths(_valid()["inputs"])] + [
    (k,) for k in ("schema", "inputs")
]


@st.composite
def mutated_document(draw: st.DrawFn) -> Any:
    doc = copy.deepcopy(_valid())
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(INPUT_PATHS))
        parent: Any = doc
        try:
            for key in path[:-1]:
                parent = parent[key]
            action = draw(st.sampled_from(["replace", "delete", "nest", "add"]))
            last = path[-1]
            if action == "delete" and isinstance(parent, dict):
                parent.pop(last, None)
            elif action == "nest":
                parent[last] = draw(st.integers(1, 3000)) * [parent[last]]
            elif action == "add" and isinstance(parent, dict):
                parent[draw(st.text(max_size=12))] = draw(JSON_VALUES)
            else:
                parent[last] = draw(JSON_VALUES)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or retyped the way there
    return doc


def _check(doc: Any, text: str | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "design.json"
        if text is None:
            text = json.dumps(doc, allow_nan=True)
        path.write_text(text, encoding="utf-8")
        result, error = attempt(lambda: load_design(path), InputError)
    if result is None:
        assert_one_line(error)
    else:
        assert isinstance(result, Design)
        assert 5.0 <= result.hairline.height_cm <= 11.0


@budget(40)
@given(doc=mutated_document())
def test_mutated_design_json_is_a_design_or_an_input_error(doc: Any) -> None:
    _check(doc)


@pytest.mark.parametrize(
    ("what", "text"),
    [
        (
            "deep nesting",
            '{"schema": "smpstudio/design@1", "inputs": ' + "[" * 50_000 + "]" * 50_000 + "}",
        ),
        ("deep objects", '{"a":' * 50_000 + "1" + "}" * 50_000),
        (
            "an integer of 5,000 digits",
            '{"schema": "smpstudio/design@1", "inputs": {"seed": ' + "9" * 5000 + "}}",
        ),
        ("NaN literal", '{"schema": "smpstudio/design@1", "inputs": NaN}'),
        ("truncated", json.dumps({"schema": "smpstudio/design@1", "inputs": {}})[:-3]),
        ("UTF-16", "\ufeff{}"),
        ("not JSON", "design"),
        ("empty", ""),
        (
            "lone surrogate escape",
            '{"schema": "smpstudio/design@1", "inputs": {"pattern": "\\ud800"}}',
        ),
    ],
)
def test_damaged_text(what: str, text: str) -> None:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        doc = {}
    _check(doc, text)


@budget(40)
@given(
    cut=st.integers(0, 4000),
    noise=st.binary(min_size=1, max_size=16),
)
@example(cut=0, noise=b"\xff")
def test_damaged_bytes(cut: int, noise: bytes) -> None:
    raw = json.dumps(_valid()).encode()
    cut = min(cut, len(raw))
    data = raw[:cut] + noise + raw[cut + len(noise) :]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "design.json"
        path.write_bytes(data)
        result, error = attempt(lambda: load_design(path), InputError)
    if result is None:
        assert_one_line(error)


@pytest.mark.parametrize(
    "inputs",
    [
        {**{"seed": float("inf")}},
        {"seed": -1},
        {"seed": 2**64},
        {"seed": "abc"},
        {"seed": 1.5},
        {"head": ["M"]},
        {"head_measures_mm": {"circumference_mm": float("nan")}},
        {"head_measures_mm": "M"},
        {"scars": "fut"},
        {"scars": [5]},
        {"areata": [[0, 80, -40]]},
        {"areata": 5},
        {"areata": [["0", "80", "-40", "12"]]},
        {"hairline_profile": "0.2,0.4,0.7"},
        {"hairline_profile": [None, None, None]},
        {"hairline_height_cm": "8"},
        {"hairline_height_cm": True},
        {"settings": {"density_full_per_cm2": None}},
        {"settings": []},
        {"settings": {"session_fractions": "nan"}},
        {"pattern": None},
        {"pattern": ["norwood-5"]},
        {"hairline": 5},
        {"temporal_rise_mm": "wide"},
    ],
)
def test_wrong_types_in_inputs(inputs: dict[str, Any]) -> None:
    doc = copy.deepcopy(_valid())
    merged = doc["inputs"]
    for key, value in inputs.items():
        if key == "head_measures_mm" and isinstance(value, dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    _check(doc)
    # what the web studio does with a saved design's inputs
    again, error = attempt(lambda: design_from_inputs(merged), InputError)
    if again is None:
        assert_one_line(error)
    else:
        assert isinstance(again, Design)


@pytest.mark.parametrize("inputs", [None, [], "inputs", 5, 1.5, True])
def test_inputs_that_are_not_an_object(inputs: Any) -> None:
    with pytest.raises(InputError, match="malformed"):
        design_from_inputs(inputs)


@pytest.mark.parametrize(
    "text",
    ["[" * 50_000 + "]" * 50_000, '{"x": ' + "9" * 5000 + "}", "\ufeff{", "{} {}"],
    ids=["deep", "5000-digit integer", "BOM", "two documents"],
)
def test_clinic_tables_damaged_alike(text: str) -> None:
    """The dilution and price tables are read like design.json (same fix)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "table.json"
        path.write_text(text, encoding="utf-8")
        for load in (load_dilution_table, load_price_table):
            table, error = attempt(lambda load=load: load(path), InputError)
            assert table is None
            assert_one_line(error)
            assert "not readable JSON" in str(error)
