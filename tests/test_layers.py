"""The import rule of DESIGN §6, read from the source with `ast`: no import circle, and no import from a
lower layer (domain, store, services, jobs) to a higher one (gateway, admin, webapp, the app, the CLI).

Only imports that run are counted: an import under `if TYPE_CHECKING:` is a type annotation, and one inside
a function is deferred on purpose (both may cross layers without creating a runtime circle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "simulator"
RANK = {"domain": 0, "store": 1, "services": 2, "jobs": 2}
HIGHER = ("gateway", "admin", "webapp", "app", "cli", "endpoints", "browser_pages", "testing", "testing_server")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _runtime_imports(path: Path) -> set[str]:
    """The `simulator` modules `path` imports at module level, outside `if TYPE_CHECKING:`."""
    found: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If | ast.Try):
                visit(node.body)
                visit(node.orelse)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    targets = {_resolve(name) for name in found if name.split(".")[0] == "simulator"}
    return {t for t in targets if t is not None}


GRAPH = {name: _runtime_imports(path) - {name} for name, path in MODULES.items()}


def _part(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def test_lower_layers_never_import_higher_ones() -> None:
    upward = [
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        if _part(module) in RANK
        for target in targets
        if _part(target) in HIGHER or (_part(target) in RANK and RANK[_part(target)] > RANK[_part(module)])
    ]
    assert upward == []


def test_there_is_no_import_circle() -> None:
    """Tarjan's strongly connected components over module-level imports: each must be a single module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def connect(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in GRAPH.get(module, set()):
            if target not in index:
                connect(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            connect(module)
    assert circles == []


@pytest.mark.parametrize("layer", sorted(RANK))
def test_the_graph_sees_each_layer(layer: str) -> None:
    """The check reads real imports: every lower layer has modules that import something of ours."""
    assert any(_part(module) == layer and targets for module, targets in GRAPH.items())
