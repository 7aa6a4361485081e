"""No import circles in the application code.

Every import counts: at a module's top or inside a function, absolute or relative (an import
moved into a function only delays a circle; the modules still need each other). Importing a
module imports its package first, so that is an edge too. The graph is read from the source
(``ast``), over the packages pyproject.toml maps onto the top-level folders.
"""

from __future__ import annotations

import ast
from pathlib import Path

from emg_evidence.paths import ROOT

#: Package -> its folder (pyproject.toml's package-dir). Datasette loads serving/plugins/ from its
#: folder by path, never by import, so those modules cannot close a circle.
PACKAGES = {
    "emg_evidence": ROOT / "emg_evidence",
    "emg_evidence.schema": ROOT / "schema",
    "emg_evidence.ingest": ROOT / "ingest",
    "emg_evidence.analysis": ROOT / "analysis",
    "emg_evidence.serving": ROOT / "serving",
}


def modules() -> dict[str, Path]:
    found = {}
    for package, folder in PACKAGES.items():
        for path in folder.glob("*.py"):
            found[package if path.stem == "__init__" else f"{package}.{path.stem}"] = path
    return found


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The application modules ``name`` imports, anywhere in its source."""
    package = name if path.stem == "__init__" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{node.module}" if node.module else anchor
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in node.names)  # `from . import rows`
    with_packages = set()
    for target in targets:
        parts = target.split(".")
        with_packages.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    # A module's own packages are imported before it, whatever it imports: no edge back to them.
    own = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
    return {t for t in with_packages if t in known and t != name and t not in own}


def _runtime_nodes(tree: ast.AST):
    """Every node but those under ``if TYPE_CHECKING:``, which never run (the SQLAlchemy models
    name each other in annotations: the exception the library expects)."""
    for node in ast.iter_child_nodes(tree):
        test = node.test if isinstance(node, ast.If) else None
        if test is not None and ast.unparse(test).split(".")[-1] == "TYPE_CHECKING":
            yield from (n for child in node.orelse for n in _runtime_nodes_of(child))
            continue
        yield from _runtime_nodes_of(node)


def _runtime_nodes_of(node: ast.AST):
    yield node
    yield from _runtime_nodes(node)


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read():
    known = modules()
    graph = {name: imported(name, path, set(known)) for name, path in known.items()}
    # A few edges the code is known to have, so that an empty graph cannot pass.
    assert "emg_evidence.ingest.rows" in graph["emg_evidence.ingest.build"]
    assert "emg_evidence.ingest.build" in graph["emg_evidence.cli"]  # imported inside a function
    assert "emg_evidence.ingest" in graph["emg_evidence.cli"]  # the package of what it imports


def test_no_import_circles():
    known = modules()
    graph = {name: imported(name, path, set(known)) for name, path in known.items()}
    assert circles(graph) == []


def test_a_circle_is_found():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c"]]
