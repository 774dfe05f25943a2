"""The layout's rules, checked on the source: no import circle, shared modules import no
feature, no router imports another, and features depend on each other one way only.

Read with `ast` from the files themselves (imports inside functions count too: a lazy
import hides a circle, it does not remove it), so the check needs no extra package and
sees exactly what Python would import.
"""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"

# Modules that put the application together, over every feature: they may import any.
COMPOSITION = {"app.main", "app.api", "app.cli", "app.textclean"}
# Packages of the shared kernel (the rest of app/'s folders are features), and tooling.
SHARED_PACKAGES = {"events"}
TOOLING = {"bench", "demo"}
# `app.models` imports `app.generation` last, so that its session hooks are installed
# wherever models are used (server, command line, tests); no write path can forget them.
ALLOWED_CYCLES = [{"app.generation", "app.models"}]


def _modules() -> dict[str, Path]:
    found = {}
    for path in APP.rglob("*.py"):
        parts = path.relative_to(APP.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in out if name in MODULES and name != "app"}


GRAPH = {name: _imports(path) - {name} for name, path in MODULES.items()}


def _feature(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) < 2 or (MODULES[module].name != "__init__.py" and len(parts) == 2):
        return None
    return None if parts[1] in SHARED_PACKAGES else parts[1]


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one node (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.add(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_in_a_circle():
    cycles = [c for c in _cycles(GRAPH) if c not in ALLOWED_CYCLES]
    assert cycles == []


def test_shared_modules_import_no_feature():
    wrong = sorted(
        (module, imported)
        for module, imported_all in GRAPH.items()
        if _feature(module) is None and module not in COMPOSITION
        for imported in imported_all
        if _feature(imported) is not None
    )
    assert wrong == []


def test_no_router_imports_another():
    wrong = sorted(
        (module, imported)
        for module, imported_all in GRAPH.items()
        if module.endswith("router")
        for imported in imported_all
        if imported.endswith("router")
    )
    assert wrong == []


def test_features_depend_on_each_other_one_way():
    # Routers are the top layer (they may call any feature's service, and import no other
    # router), and any feature may read another's `schemas` (its public shape: sync lists
    # every kind); beneath that, features form no circle.
    features: dict[str, set[str]] = {}
    for module, imported_all in GRAPH.items():
        mine = _feature(module)
        if mine is None or mine in TOOLING or module.endswith("router"):
            continue
        for imported in imported_all:
            theirs = _feature(imported)
            if theirs and theirs != mine and not imported.endswith(".schemas"):
                features.setdefault(mine, set()).add(theirs)
    assert _cycles(features) == []


def test_no_feature_imports_tooling():
    wrong = sorted(
        (module, imported)
        for module, imported_all in GRAPH.items()
        if _feature(module) not in TOOLING and module not in COMPOSITION
        for imported in imported_all
        if _feature(imported) in TOOLING
    )
    assert wrong == []


def test_the_check_sees_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
