"""hcc-asp: guideline knowledge base for systemic therapy of advanced HCC, in ASP (clingo).

The public API, used by the command line itself::

    from hcc_asp import load_patient, recommend, recommend_many, explain, check, open_kb
    patient = load_patient("examples/after-sorafenib.yaml")
    recommend(patient, "asco-2020")          # the `recommend --format json` document
    list(recommend_many([patient], "asco-2020"))  # the same for many, one grounding for all
    explain(patient, "atezo+bev")            # the `explain --format json` document
    check("asco-2020")                       # the `check --format json` document
    kb = open_kb("kb")                       # a KB folder (an edited copy), validated once
    recommend(patient, "asco-2020", kb=kb)   # every function takes kb=; the shipped KB by default

Names are imported lazily, so ``import hcc_asp`` stays fast (clingo and pydantic load on first use).
Four public functions share their name with the submodule that defines them (``recommend``,
``recommend_many``, ``explain``, ``check``); the package attribute is always the function, so
the API works the same whether or not the submodule was imported before (import the modules with
``from hcc_asp.check import ...``).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

__version__ = "0.1.0"
__all__ = [
    "KnowledgeBase",
    "check",
    "explain",
    "load_patient",
    "open_kb",
    "recommend",
    "recommend_many",
]

_WHERE = {
    "recommend": "hcc_asp.recommend",
    "recommend_many": "hcc_asp.recommend_many",
    "explain": "hcc_asp.explain",
    "check": "hcc_asp.check",
    "load_patient": "hcc_asp.patient",
    "open_kb": "hcc_asp.knowledge",
    "KnowledgeBase": "hcc_asp.knowledge",
}


def __getattr__(name: str) -> Any:
    """Import a public function on first use (and keep it as the package attribute)."""
    if name in _WHERE:
        function = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = function
        return function
    raise AttributeError(f"module 'hcc_asp' has no attribute {name!r}")


class _Package(types.ModuleType):
    """The package module: importing a submodule never replaces the public function of its name.

    Python's import system sets ``hcc_asp.<child>`` to the child module when it is first loaded;
    for ``recommend``, ``recommend_many``, ``explain`` and ``check`` that would hide the function
    (``'module' object is not callable``), so that one assignment is ignored; the module stays in
    ``sys.modules``.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _WHERE and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
