"""hcc-asp: guideline knowledge base for systemic therapy of advanced HCC, in ASP (clingo).

The public API, used by the command line itself::

    from hcc_asp import load_patient, recommend, explain, check
    patient = load_patient("examples/after-sorafenib.yaml")
    recommend(patient, "asco-2020")          # the `recommend --format json` document
    explain(patient, "atezo+bev")            # the `explain --format json` document
    check("all")                             # the `check --format json` document

Names are imported lazily, so ``import hcc_asp`` stays fast (clingo and pydantic load on first use).
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["check", "explain", "load_patient", "recommend"]

_WHERE = {
    "recommend": "hcc_asp.recommend",
    "explain": "hcc_asp.explain",
    "check": "hcc_asp.check",
    "load_patient": "hcc_asp.patient",
}


def __getattr__(name: str) -> Any:
    """Import a public function on first use."""
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'hcc_asp' has no attribute {name!r}")
