"""No import circles among hcc_asp's modules, and no import up a floor (docs/architecture.md).

Every module's source is parsed and every import statement read, at module level and inside
functions alike: an import moved into a function still runs, and only hides the circle from
Python's start-up, not from the reader. An import names the module it loads (``from a.b import
c`` names ``a.b.c`` when that is a module, else ``a.b``); the parent packages Python loads on the
way are not counted, or every package that imports its own submodules would be a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "hcc_asp"


def _modules() -> dict[str, tuple[Path, bool]]:
    """Every module of the package: dotted name -> (file, whether it is a package)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        found[".".join(parts)] = (path, is_package)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the hcc_asp modules its import statements name (module and function level)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, (path, is_package) in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    origin = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    origin = node.module or ""
                for alias in node.names:
                    child = f"{origin}.{alias.name}"
                    targets.append(child if child in modules else origin)
            graph[name].update(t for t in targets if t in modules and t != name)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(graph[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(found)


def test_the_graph_sees_imports_inside_functions() -> None:
    # hcc_asp.cli.answers imports the library only inside its commands (cold start)
    assert "hcc_asp.recommend" in import_graph()["hcc_asp.cli.answers"]


def test_a_circle_hidden_in_a_function_is_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c"]]


def test_no_import_circle_at_all() -> None:
    # The last one, loader <-> program, went when both moved into hcc_asp/knowledge/ (issue 21):
    # knowledge/program.py imports knowledge/compiled.py, never the other way.
    assert circles(import_graph()) == []


#: The edges (docs/architecture.md): they parse, open the KB, call and print; below them nothing
#: may import one (an edge imports another: ``console`` the CLI, the service the page).
EDGES = ("cli", "console", "__main__", "api", "service", "web", "cohort")
#: The answers: what the edges call; renderers and readers sit below them.
ANSWERS = ("recommend", "explain", "compare", "check", "preference")


def _floor(module: str) -> str:
    """The top-level package or module under hcc_asp a module belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _upward(
    rule: tuple[str, ...], importers: tuple[str, ...] | None = None
) -> set[tuple[str, str]]:
    """The imports of a module of ``rule`` by a module outside it (or of ``importers`` only)."""
    found = set()
    for module, targets in import_graph().items():
        floor = _floor(module)
        if not floor or floor in rule or (importers is not None and floor not in importers):
            continue
        found |= {(module, t) for t in targets if _floor(t) in rule}
    return found


def test_only_an_edge_imports_an_edge() -> None:
    assert _upward(EDGES) == set()


def test_renderers_and_patient_readers_import_no_answer() -> None:
    assert _upward(ANSWERS, importers=("render", "patient")) == set()


def test_patient_readers_import_no_renderer() -> None:
    assert _upward(("render",), importers=("patient",)) == set()
