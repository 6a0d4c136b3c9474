"""The package's layers, read from its import statements (DESIGN §6, STYLE "Dependency direction").

Each module of `simulator/` belongs to a unit: its top-level subpackage (`store`, `gateway`, …) or, for a
module directly under `simulator/`, the module itself (`app`, `cli`, `testing`, …). Every unit has a
layer (a new one fails the test until it is placed), and these rules hold:

- the foundation (clock, errors, ids, bounded caches, settings, logging) imports only the foundation;
- a lower unit (the domain, the store, the services, the jobs, the scenario file format) never imports a
  higher one (the vendor gateway, the admin API, the Web SDK page, the app factory, the CLI, the replay
  tool, the test helpers), not even for type checking;
- the domain imports nothing of ours but the clock and the error tree;
- no two units import each other, directly or round a longer circle, at run time (imports under
  `if TYPE_CHECKING:` do not run, so they cannot make a circle).

The imports are parsed with `ast`, so nothing is imported to check them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "simulator"

# The bottom: imported by anything, importing only each other (the clock, errors, ids, bounded caches,
# settings, logging, the start-up trim).
FOUNDATION = frozenset({"simulator", "clock", "errors", "ids", "bounded", "settings", "logs", "start_lean"})
LOWER = frozenset({"domain", "store", "services", "jobs", "scenarios", "tokens", "partners", "hosting"})
HIGHER = frozenset(
    {
        # the HTTP surface and the app assembled from it
        *(
            "gateway",
            "admin",
            "webapp",
            "endpoints",
            "middleware",
            "malformed_http",
            "browser_pages",
            "home",
            "openapi",
        ),
        *("runtime", "app"),
        # the processes and tools around it
        *("cli", "__main__", "serving", "startup", "completion", "replay", "client"),
        *("testing", "testing_server", "testing_receiver", "testing_postgres"),
    }
)
DOMAIN_MAY_IMPORT = frozenset({"clock", "errors"})


@dataclass(frozen=True)
class Import:
    """One import of our own code: the importing file, its line, the two units, and whether it runs."""

    path: str
    line: int
    source: str
    target: str
    at_run_time: bool


def unit_of(module: str) -> str:
    """`simulator.store.tables` -> `store`; `simulator.app` -> `app`; `simulator` -> `simulator`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def module_name(path: Path, package: Path = PACKAGE) -> str:
    """The dotted name of a file under `package` (a package's `__init__.py` names the package)."""
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_lines(tree: ast.Module) -> set[int]:
    """The line numbers inside `if TYPE_CHECKING:` blocks."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _targets(node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The modules of ours an import statement names (`from simulator import x` names `simulator.x`)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names if alias.name.startswith("simulator."))
    elif node.level == 0 and node.module == "simulator":
        yield from (f"simulator.{alias.name}" for alias in node.names)
    elif node.level == 0 and node.module and node.module.startswith("simulator."):
        yield node.module


def imports(package: Path = PACKAGE) -> list[Import]:
    """Every import of one unit by another in `package`, module level and inside functions alike."""
    found: list[Import] = []
    for path in sorted(package.rglob("*.py")):
        source = unit_of(module_name(path, package))
        where = path.relative_to(package.parent).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        typing_only = _type_checking_lines(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for target in _targets(node):
                unit = unit_of(target)
                if unit != source:
                    found.append(Import(where, node.lineno, source, unit, node.lineno not in typing_only))
    return found


def circles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """The units that reach each other through `edges` (strongly connected groups of two or more)."""
    graph: dict[str, set[str]] = {}
    for source, target in edges:
        graph.setdefault(source, set()).add(target)
        graph.setdefault(target, set())

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for nxt in graph[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    reached = {unit: reach(unit) for unit in graph}
    groups = {frozenset(u for u in graph if u in reached[unit] and unit in reached[u]) for unit in graph}
    return sorted(sorted(group) for group in groups if len(group) > 1)


def _where(found: list[Import]) -> list[str]:
    return [f"{i.path}:{i.line} {i.source} -> {i.target}" for i in found]


def test_the_imports_are_read_from_every_unit_of_the_package() -> None:
    found = imports()
    sources = {i.source for i in found}
    # The parse sees the edges the rules are about (a parse that found nothing would pass every rule).
    assert LOWER | {"app", "cli", "replay", "gateway", "admin"} <= sources
    assert any(i.source == "replay" and i.target == "app" for i in found)
    assert any(i.source == "gateway" and i.target == "services" for i in found)


def test_every_unit_has_a_layer() -> None:
    units = {unit_of(module_name(path)) for path in PACKAGE.rglob("*.py")}
    unplaced = sorted(units - FOUNDATION - LOWER - HIGHER)
    assert not unplaced, f"place these in FOUNDATION, LOWER or HIGHER (tests/test_layers.py): {unplaced}"


def test_the_foundation_imports_only_the_foundation() -> None:
    wrong = [i for i in imports() if i.source in FOUNDATION and i.target not in FOUNDATION]
    assert not wrong, "\n".join(_where(wrong))


def test_no_lower_layer_imports_a_higher_one() -> None:
    wrong = [i for i in imports() if i.source in LOWER and i.target in HIGHER]
    assert not wrong, "lower layers import higher ones:\n" + "\n".join(_where(wrong))


def test_the_scenario_file_format_does_not_import_the_replay_tool_app_cli_or_testing() -> None:
    wrong = [i for i in imports() if i.source == "scenarios" and (i.target in HIGHER or i.target.startswith("testing"))]
    assert not wrong, "\n".join(_where(wrong))


def test_the_domain_imports_nothing_of_ours_but_the_clock_and_the_errors() -> None:
    wrong = [i for i in imports() if i.source == "domain" and i.target not in DOMAIN_MAY_IMPORT]
    assert not wrong, "\n".join(_where(wrong))


def test_no_import_circle_between_units() -> None:
    edges = {(i.source, i.target) for i in imports() if i.at_run_time}
    assert circles(edges) == []


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({("a", "b"), ("b", "c")}, []),
        ({("a", "b"), ("b", "a"), ("b", "c")}, [["a", "b"]]),
        ({("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")}, [["a", "b", "c"]]),
    ],
)
def test_circles_finds_units_that_reach_each_other(edges: set[tuple[str, str]], expected: list[list[str]]) -> None:
    assert circles(edges) == expected


def test_an_import_under_type_checking_is_not_counted_as_run_time(tmp_path: Path) -> None:
    package = tmp_path / "simulator"
    (package / "store").mkdir(parents=True)
    (package / "store" / "x.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from simulator.domain import states\n"
        "if TYPE_CHECKING:\n"
        "    from simulator.gateway.http import y\n"
        "def f() -> None:\n"
        "    import simulator.app\n",
        encoding="utf-8",
    )
    found = imports(package)
    assert [(i.target, i.at_run_time) for i in sorted(found, key=lambda i: i.line)] == [
        ("domain", True),
        ("gateway", False),
        ("app", True),
    ]
