"""The house's floors hold (docs/architecture.md): read from the code itself, not from a memory.

- A knowledge base is one value (``hcc_asp.knowledge.KnowledgeBase``), opened once at the edge:
  below the command line no function takes a KB path, and no module-level cache is keyed by a
  KB (its caches are attributes of the value).
- The answer is decoded once (``hcc_asp.engine.decode``): nothing above the engine and the
  knowledge base imports clingo, but the few modules named below, each with its reason.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "hcc_asp"

#: The edge that receives the ``--kb`` option's folder and opens it (or hands it to a process
#: that opens it at its own start): the command line only.
EDGE = ("cli.py", "cli/")
#: Modules above the engine that still read clingo Symbols, and why.
CLINGO_ALLOWED = {
    "explain.py": "the derivation tree is read from explanation-shadow atoms of its own solve, "
    "and the what-if search is an optimisation problem it grounds itself",
    "check.py": "check grounds the whole patient space and asks clingo for witnesses: a "
    "solver-level analysis of the KB, not a reader of one patient's answer",
    "check/": "the same, once check.py is split into a package",
    "space.py": "the patient space's values are the Symbols check and explain hand to clingo",
}
#: Types a parameter named ``kb`` may have below the edge.
KB_TYPES = {"KnowledgeBase", "KnowledgeBase | None"}
#: Decorators that make a module-level cache.
CACHES = {"lru_cache", "cache", "functools.lru_cache", "functools.cache"}


def modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        yield relative, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def functions(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.arg]:
    arguments = function.args
    return [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]


def test_below_the_edge_a_knowledge_base_is_the_opened_value_never_a_path() -> None:
    found = []
    for name, tree in modules():
        if name.startswith(EDGE):
            continue
        for function in functions(tree):
            for parameter in parameters(function):
                if parameter.arg != "kb":
                    continue
                annotation = ast.unparse(parameter.annotation) if parameter.annotation else ""
                if annotation not in KB_TYPES:
                    found.append(f"{name}:{function.lineno} {function.name}(kb: {annotation})")
    assert not found, "a function below the edge takes a KB that is not the value:\n" + "\n".join(
        found
    )


def test_no_module_level_cache_is_keyed_by_a_knowledge_base() -> None:
    found = []
    for name, tree in modules():
        for function in functions(tree):
            decorators = {
                ast.unparse(d.func if isinstance(d, ast.Call) else d)
                for d in function.decorator_list
            }
            if not decorators & CACHES:
                continue
            for parameter in parameters(function):
                annotation = ast.unparse(parameter.annotation) if parameter.annotation else ""
                if parameter.arg in ("kb", "root", "folder") or "KnowledgeBase" in annotation:
                    found.append(f"{name}:{function.lineno} {function.name}({parameter.arg})")
    assert not found, "a cache keyed by a KB (keep it on the KnowledgeBase):\n" + "\n".join(found)


def imports_clingo(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            alias.name.split(".")[0] == "clingo" for alias in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "clingo":
            return True
    return False


def test_nothing_above_the_engine_imports_clingo_but_the_named_exceptions() -> None:
    readers = [
        name
        for name, tree in modules()
        if not name.startswith(("engine/", "knowledge/")) and imports_clingo(tree)
    ]
    unexplained = [name for name in readers if not name.startswith(tuple(CLINGO_ALLOWED))]
    assert not unexplained, f"clingo imported above the engine: {unexplained}"
    # The document builders and everything that shows them read decoded records only.
    for builder in ("recommend.py", "recommend_many.py", "compare.py", "preference.py", "api.py"):
        assert builder not in readers, builder
    for floor in ("render/", "service/", "cohort/", "patient/", "cli"):
        assert not [name for name in readers if name.startswith(floor)], floor


def test_the_knowledge_base_imports_nothing_above_it() -> None:
    """knowledge/ is the bottom floor: it imports no engine, answer, renderer or edge module."""
    found = []
    for name, tree in modules():
        if not name.startswith("knowledge/"):
            continue
        for node in ast.walk(tree):
            module = node.module or "" if isinstance(node, ast.ImportFrom) else ""
            if module.startswith("hcc_asp.") and not module.startswith("hcc_asp.knowledge"):
                found.append(f"{name}:{node.lineno} {module}")
    assert not found, found
