"""A small explicit public API: every package's __all__ is sorted and complete."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = [
    "smpstudio",
    "smpstudio.head",
    "smpstudio.loss",
    "smpstudio.hairline",
    "smpstudio.density",
    "smpstudio.colour",
    "smpstudio.dots",
    "smpstudio.render",
    "smpstudio.clinic",
    "smpstudio.plan",
    "smpstudio.reports",
    "smpstudio.web",
]


def _isort_key(name: str) -> tuple[int, str]:
    """ruff's RUF022 order: CONSTANTS, then Classes, then functions."""
    if name.isupper() and len(name) > 1:
        return 0, name
    return (1 if name[0].isupper() else 2), name


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_and_complete(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported, key=_isort_key)
    public = {
        n
        for n in vars(module)
        if not n.startswith("_") and not isinstance(vars(module)[n], type(module))
    }
    assert public <= set(exported) | {"annotations"}


def test_core_imports_no_web_or_database_code() -> None:
    import subprocess
    import sys

    code = (
        "import sys, smpstudio, smpstudio.head, smpstudio.loss, smpstudio.hairline, "
        "smpstudio.density, smpstudio.render; bad = [m for m in sys.modules if m.split('.')[0] in "
        "{'click', 'rich', 'sqlalchemy', 'starlette', 'fastapi', 'jinja2'}]; print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
