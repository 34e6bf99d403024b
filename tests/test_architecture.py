"""The structure stays one-way (docs/architecture.md): no import circle among smpstudio's
modules, and the layers import only downwards.

Every ``import`` of src/smpstudio counts — at module level, under ``TYPE_CHECKING`` and inside
functions — read with :mod:`ast`, so a lazy import cannot hide a circle.

    core (design, head, loss, hairline, density, dots, colour, render, plan, photo)
      ↑
    reports (plan documents)        clinic (records, accounts)
      ↑                               ↑
    web (studio and public site) ─────┘
      ↑
    cli (the command line: imports any layer; nothing imports it)
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from smpstudio.clinic._records import SERVICES
from smpstudio.clinic._scope import Scope

SRC = Path(__file__).resolve().parent.parent / "src"
UPPER = ("reports", "clinic", "web", "cli")
FORBIDDEN = {
    "core": {"reports", "clinic", "web", "cli"},
    "reports": {"clinic", "web", "cli"},
    "clinic": {"reports", "web", "cli"},
    "web": {"cli"},
    "cli": set(),
}


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path.relative_to(SRC.parent)}:{self.line}: {self.source} → {self.target}"


def _modules() -> dict[str, tuple[Path, bool]]:
    found = {}
    for path in sorted((SRC / "smpstudio").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if package else parts)] = (path, package)
    return found


MODULES = _modules()


def _resolve(module: str, package: bool, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The smpstudio modules an import statement loads (the nearest module of each name)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            anchor = module.split(".") if package else module.split(".")[:-1]
            anchor = anchor[: len(anchor) - node.level + 1]
            base = ".".join([*anchor, base] if base else anchor)
        names = [
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
            for alias in node.names
        ]
    for name in names:
        while name not in MODULES and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in MODULES and name != module:
            yield name


def _imports() -> list[Import]:
    found = []
    for module, (path, package) in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in _resolve(module, package, node):
                    found.append(Import(module, target, path, node.lineno))
    return found


IMPORTS = _imports()


def layer(module: str) -> str:
    if module == "smpstudio.__main__":  # ``python -m smpstudio``: the command line
        return "cli"
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in UPPER else "core"


def test_the_import_reader_sees_every_kind_of_import() -> None:
    """A check of the checker: known imports at module level, under TYPE_CHECKING, inside a
    function and relative ones are all found."""
    edges = {(i.source, i.target) for i in IMPORTS}
    assert ("smpstudio.cli._plan", "smpstudio.reports") in edges  # module level
    assert ("smpstudio", "smpstudio._design") in edges  # inside __getattr__ and TYPE_CHECKING
    assert ("smpstudio.reports._files", "smpstudio.reports._pdf") in edges
    assert len(MODULES) > 100


def _cycles() -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for i in IMPORTS:
        graph[i.source].add(i.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_through_others() -> None:
    cycles = _cycles()
    detail = []
    for cycle in cycles:
        members = set(cycle)
        detail += [str(i) for i in IMPORTS if i.source in members and i.target in members]
    assert cycles == [], "import circles:\n" + "\n".join(detail)


@pytest.mark.parametrize("source_layer", sorted(FORBIDDEN))
def test_each_layer_imports_only_downwards(source_layer: str) -> None:
    wrong = [
        str(i)
        for i in IMPORTS
        if layer(i.source) == source_layer and layer(i.target) in FORBIDDEN[source_layer]
    ]
    assert wrong == [], f"{source_layer} must not import {sorted(FORBIDDEN[source_layer])}:\n" + (
        "\n".join(wrong)
    )


def test_the_record_services_import_no_other_service() -> None:
    """Each concern of the clinic's records is a service of its own over ``Scope``; what
    several need (consent, candidacy) is in ``_rules``. ClinicRecords is their union."""
    services = {cls.__module__ for cls in SERVICES}
    above = services | {"smpstudio.clinic._records", "smpstudio.clinic._database"}
    wrong = [str(i) for i in IMPORTS if i.source in services and i.target in above]
    assert wrong == []
    assert all(issubclass(cls, Scope) for cls in SERVICES)
    assert len(services) == len(SERVICES) >= 6


def test_no_two_services_define_the_same_name() -> None:
    """In the union a second definition would silently win over the first (the MRO)."""
    owners: dict[str, str] = {}
    clashes = []
    for cls in SERVICES:
        for name in vars(cls):
            if name.startswith("__"):
                continue
            if name in owners:
                clashes.append(f"{name}: {owners[name]} and {cls.__name__}")
            owners[name] = cls.__name__
    assert clashes == []
