"""hcc-asp: guideline knowledge base for systemic therapy of advanced HCC, in ASP (clingo).

The public API, used by the command line itself::

    from hcc_asp import load_patient, recommend, recommend_many, explain, check
    patient = load_patient("examples/after-sorafenib.yaml")
    recommend(patient, "asco-2020")          # the `recommend --format json` document
    list(recommend_many([patient], "asco-2020"))  # the same for many, one grounding for all
    explain(patient, "atezo+bev")            # the `explain --format json` document
    check("asco-2020")                       # the `check --format json` document

Names are imported lazily, so ``import hcc_asp`` stays fast (clingo and pydantic load on first use).
Three public functions share their name with the submodule that defines them (``recommend``,
``explain``, ``check``); the package attribute is always the function, so the API works the same
whether or not the submodule was imported before (import the modules with ``from hcc_asp.check
import ...``).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

__version__ = "0.1.0"
__all__ = ["check", "explain", "load_patient", "recommend", "recommend_many"]

_WHERE = {
    "recommend": "hcc_asp.recommend",
    "recommend_many": "hcc_asp.batch",
    "explain": "hcc_asp.explain",
    "check": "hcc_asp.check",
    "load_patient": "hcc_asp.patient",
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
    for ``recommend``, ``explain`` and ``check`` that would hide the function (``'module' object
    is not callable``), so that one assignment is ignored; the module stays in ``sys.modules``.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _WHERE and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
