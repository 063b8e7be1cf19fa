"""The package's layout rules, read from the source with ``ast``: nothing of ``issue_assets`` is imported.

Every import statement counts, wherever it stands (module level, functions, ``if TYPE_CHECKING:``), and so does
``importlib.import_module("literal")``: a lazy import still ties the modules together.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterable, Mapping
from itertools import pairwise
from pathlib import Path

import pytest

PACKAGE = "issue_assets"
PACKAGE_DIR = Path(__file__).resolve().parents[1] / PACKAGE

# Modules allowed to import dagster or a dagster_* package: the Dagster layer and what drives it.
DAGSTER_ALLOWED = ("issue_assets.defs", "issue_assets.definitions", "issue_assets.pipeline", "issue_assets.instance")
EMULATOR = ("issue_assets.emulator",)
# Everything that mines, labels, stores or analyses issues: it must work against the real GitHub only.
EMULATOR_FREE = (
    "issue_assets.analysis", "issue_assets.github", "issue_assets.mining", "issue_assets.labeling",
    "issue_assets.warehouse", "issue_assets.quality", "issue_assets.sources", "issue_assets.replicate",
)
GITHUB = ("issue_assets.github",)
ANALYSIS = ("issue_assets.analysis",)

# name -> (file, line) of its first import in a module.
Imports = dict[str, tuple[Path, int]]


def module_files(package_dir: Path, package: str) -> dict[str, Path]:
    """Dotted name -> file of every module of the package (a subpackage by its ``__init__.py``)."""
    modules = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = [package, *path.relative_to(package_dir).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _dynamic_import_target(node: ast.Call) -> str | None:
    """The module named by ``importlib.import_module("x")``, ``import_module("x")`` or ``__import__("x")``."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if name not in ("import_module", "__import__") or not node.args:
        return None
    first = node.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and not first.value.startswith("."):
        return first.value
    return None


def imported_names(path: Path, module: str, is_package: bool) -> Imports:
    """Absolute names a module imports: each ``from a import b`` gives ``a`` and ``a.b`` (in case b is a
    submodule; callers keep the names that are modules)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    # The package relative imports are resolved against.
    anchor = module.split(".") if is_package else module.split(".")[:-1]
    found: Imports = {}

    def add(name: str, line: int) -> None:
        found.setdefault(name, (path, line))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = anchor[: len(anchor) - node.level + 1]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            add(base, node.lineno)
            for alias in node.names:
                if alias.name != "*":
                    add(f"{base}.{alias.name}", node.lineno)
        elif isinstance(node, ast.Call) and (target := _dynamic_import_target(node)):
            add(target, node.lineno)
    return found


def scan(package_dir: Path = PACKAGE_DIR, package: str = PACKAGE) -> tuple[dict[str, Imports], dict[str, Imports]]:
    """(internal graph: module -> package modules it imports, external: module -> top-level names of the others)."""
    modules = module_files(package_dir, package)
    internal: dict[str, Imports] = {}
    external: dict[str, Imports] = {}
    for module, path in modules.items():
        names = imported_names(path, module, path.name == "__init__.py")
        # A package's own ``from . import x`` names the package itself: no cycle.
        internal[module] = {n: where for n, where in names.items() if n in modules and n != module}
        external[module] = {}
        for name, where in names.items():
            top = name.split(".")[0]
            if top != package and top:
                external[module].setdefault(top, where)
    return internal, external


def _in(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _where(where: tuple[Path, int]) -> str:
    path, line = where
    try:
        path = path.relative_to(PACKAGE_DIR.parent)
    except ValueError:
        pass
    return f"{path}:{line}"


def find_cycles(graph: Mapping[str, Imports]) -> list[list[str]]:
    """One cycle (first module repeated at the end) per strongly connected component of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        # Tarjan's algorithm; the graph is a few dozen modules, so recursion depth is no concern.
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for child in sorted(graph.get(node, {})):
            if child not in index:
                visit(child)
                low[node] = min(low[node], low[child])
            elif child in on_stack:
                low[node] = min(low[node], index[child])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)

    cycles = []
    for component in components:
        members = set(component)
        start = component[0]
        # Shortest way back to start inside the component: a concrete cycle to name.
        parents: dict[str, str | None] = {start: None}
        queue = deque([start])
        cycle: list[str] | None = None
        while queue and cycle is None:
            node = queue.popleft()
            for child in sorted(graph[node]):
                if child == start:
                    path = [node]
                    while (parent := parents[path[-1]]) is not None:
                        path.append(parent)
                    cycle = [*reversed(path), start]
                    break
                if child in members and child not in parents:
                    parents[child] = node
                    queue.append(child)
        assert cycle is not None  # every member of a component reaches every other
        cycles.append(cycle)
    return cycles


def import_chain(graph: Mapping[str, Imports], source: str, forbidden: Iterable[str]) -> list[str] | None:
    """The shortest chain of imports from ``source`` to a module under ``forbidden``, else None."""
    forbidden = tuple(forbidden)
    parents: dict[str, str | None] = {source: None}
    queue = deque([source])
    while queue:
        node = queue.popleft()
        if node != source and _in(node, forbidden):
            chain = [node]
            while (parent := parents[chain[-1]]) is not None:
                chain.append(parent)
            return chain[::-1]
        for child in sorted(graph.get(node, {})):
            if child not in parents:
                parents[child] = node
                queue.append(child)
    return None


def _describe_chain(graph: Mapping[str, Imports], chain: list[str]) -> str:
    steps = [f"{a} -> {b} ({_where(graph[a][b])})" for a, b in pairwise(chain)]
    return "\n    ".join(steps)


def missing_modules(graph: Mapping[str, Imports], prefixes: Iterable[str]) -> list[str]:
    """Prefixes a rule names that match no module: a rule about a renamed module would pass silently."""
    return [p for p in prefixes if not any(_in(m, [p]) for m in graph)]


def reaching(graph: Mapping[str, Imports], sources: Iterable[str], forbidden: Iterable[str]) -> list[str]:
    """Failure lines: each module under ``sources`` importing one under ``forbidden``, directly or through others."""
    offenders = []
    for module in sorted(m for m in graph if _in(m, sources)):
        chain = import_chain(graph, module, forbidden)
        if chain:
            offenders.append(f"{module} imports {chain[-1]}:\n    {_describe_chain(graph, chain)}")
    return offenders


def dagster_importers(external: Mapping[str, Imports], allowed: Iterable[str]) -> list[str]:
    """Failure lines: each import of dagster or a dagster_* package by a module outside ``allowed``."""
    return [
        f"{module} imports {name} ({_where(where)})"
        for module, names in sorted(external.items())
        for name, where in sorted(names.items())
        if (name == "dagster" or name.startswith("dagster_")) and not _in(module, allowed)
    ]


@pytest.fixture(scope="module")
def layout() -> tuple[dict[str, Imports], dict[str, Imports]]:
    return scan()


def test_scan_sees_the_package(layout):
    """Guards the other rules against passing vacuously, e.g. after the package directory moved."""
    internal, external = layout
    assert len(internal) > 20, sorted(internal)
    assert "dagster" in external["issue_assets.definitions"], "the scan no longer sees definitions.py import dagster"
    assert any(internal[m] for m in internal), "the scan found no import between the package's modules"


def test_scanner_resolves_relative_submodule_and_function_level_imports(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from . import leaf\n")
    (package / "sub" / "leaf.py").write_text("def f():\n    from ..top import g\n    import dagster_postgres\n")
    (package / "top.py").write_text(
        "import importlib\nfrom pkg.sub import leaf\n\ndef g():\n    importlib.import_module('dagster')\n"
    )
    internal, external = scan(package, "pkg")
    assert set(internal["pkg.sub"]) == {"pkg.sub.leaf"}
    assert set(internal["pkg.sub.leaf"]) == {"pkg.top"}
    assert set(internal["pkg.top"]) == {"pkg.sub", "pkg.sub.leaf"}
    assert set(external["pkg.sub.leaf"]) == {"dagster_postgres"}
    assert set(external["pkg.top"]) == {"importlib", "dagster"}
    assert find_cycles(internal) == [["pkg.sub", "pkg.sub.leaf", "pkg.top", "pkg.sub"]]


def test_rules_flag_violations(tmp_path):
    """Each rule, on a small package that breaks it (the emulator reached through a second module)."""
    package = tmp_path / "issue_assets"
    for directory in ("emulator", "github", "analysis", "defs"):
        (package / directory).mkdir(parents=True)
        (package / directory / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "emulator" / "server.py").write_text("")
    (package / "progress.py").write_text("def f():\n    from issue_assets.emulator import server\n")
    (package / "mining.py").write_text("from issue_assets import progress\n")
    (package / "github" / "client.py").write_text("from issue_assets.analysis import rules\nimport dagster as dg\n")
    (package / "analysis" / "rules.py").write_text("")
    (package / "defs" / "assets.py").write_text("import dagster\nfrom dagster_postgres import x\n")
    internal, external = scan(package, "issue_assets")
    assert reaching(internal, EMULATOR_FREE, EMULATOR) == [
        "issue_assets.mining imports issue_assets.emulator:\n"
        f"    issue_assets.mining -> issue_assets.progress ({package / 'mining.py'}:1)\n"
        f"    issue_assets.progress -> issue_assets.emulator ({package / 'progress.py'}:2)"
    ]
    assert [line.split(":")[0] for line in reaching(internal, GITHUB, ANALYSIS)] == [
        "issue_assets.github.client imports issue_assets.analysis"
    ]
    assert dagster_importers(external, DAGSTER_ALLOWED) == [
        f"issue_assets.github.client imports dagster ({package / 'github' / 'client.py'}:2)"
    ]
    assert missing_modules(internal, EMULATOR_FREE) == [
        "issue_assets.labeling", "issue_assets.warehouse", "issue_assets.quality", "issue_assets.sources",
        "issue_assets.replicate",
    ]


def test_no_import_cycle_between_modules(layout):
    graph, _ = layout
    cycles = find_cycles(graph)
    described = [
        " -> ".join(cycle) + "\n    " + _describe_chain(graph, cycle) for cycle in cycles
    ]
    assert not cycles, "import cycle(s) between modules of issue_assets:\n  " + "\n  ".join(described)


def test_only_the_dagster_layer_imports_dagster(layout):
    _, external = layout
    offenders = dagster_importers(external, DAGSTER_ALLOWED)
    assert not offenders, (
        "only issue_assets/defs/, definitions.py, pipeline.py and instance.py may import dagster or dagster_*; "
        "move the Dagster-specific code into defs/:\n  " + "\n  ".join(offenders)
    )


def test_mining_and_analysis_never_import_the_emulator(layout):
    graph, _ = layout
    missing = missing_modules(graph, EMULATOR_FREE + EMULATOR)
    assert not missing, f"the rule names modules that no longer exist: {missing}; update tests/test_layout.py"
    offenders = reaching(graph, EMULATOR_FREE, EMULATOR)
    assert not offenders, (
        "the fake GitHub (issue_assets/emulator/) is a test and demo tool; code that mines, stores or analyses "
        "issues must not import it, directly or through another module:\n  " + "\n  ".join(offenders)
    )


def test_github_client_never_imports_analysis(layout):
    graph, _ = layout
    missing = missing_modules(graph, GITHUB + ANALYSIS)
    assert not missing, f"the rule names modules that no longer exist: {missing}; update tests/test_layout.py"
    offenders = reaching(graph, GITHUB, ANALYSIS)
    assert not offenders, (
        "issue_assets/github/ (the real client) must not import issue_assets/analysis/, directly or through "
        "another module:\n  " + "\n  ".join(offenders)
    )


def duckdb_connects(package_dir: Path = PACKAGE_DIR, package: str = PACKAGE) -> dict[str, list[int]]:
    """Module -> lines where it calls ``duckdb.connect`` (however duckdb was imported, as ``duckdb``)."""
    found: dict[str, list[int]] = {}
    for module, path in module_files(package_dir, package).items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        lines = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
                 and isinstance(node.func, ast.Attribute) and node.func.attr == "connect"
                 and isinstance(node.func.value, ast.Name) and node.func.value.id == "duckdb"]
        if lines:
            found[module] = lines
    return found


def test_only_the_warehouse_opens_duckdb_connections():
    """Every connection goes through warehouse.open_connection (the lock waits) or the Dagster resource built on
    it, never a second connection manager beside them."""
    connects = duckdb_connects()
    assert set(connects) == {"issue_assets.warehouse"}, connects
    assert len(connects["issue_assets.warehouse"]) == 2, "open_connection, and the private in-memory database"
