"""The numbers of the patient space: each numeric key's scale and the thresholds the KB uses.

Scales are declared in ``kb/input.lp`` (``scale/2``); thresholds are found from the KB's own
comparisons (``hcc_asp.knowledge.program.threshold_rules``). Both are kept in the per-KB disk
cache and held by ``KnowledgeBase.scales`` and ``KnowledgeBase.thresholds``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import clingo

from hcc_asp.knowledge.solving import Context, file_atoms, new_control

if TYPE_CHECKING:
    from hcc_asp.knowledge.program import Program


def read_scales(path: Path) -> dict[str, int]:
    """Solve ``input.lp`` on its own and gather its ``scale/2`` facts (a cache miss)."""
    table: dict[str, int] = {}
    for sym in file_atoms(path):
        if sym.match("scale", 2):
            table[sym.arguments[0].string] = sym.arguments[1].number
    return table


def decode_scales(data: dict[str, int]) -> dict[str, int]:
    """The scales from their cache entry."""
    return {str(key): int(value) for key, value in data.items()}


def find_thresholds(program: Program) -> dict[str, tuple[int, ...]]:
    """The scaled thresholds the KB compares each numeric key against (a cache miss)."""
    from hcc_asp.knowledge.program import add_to, threshold_rules

    ctl = new_control(["--warn=none"])
    add_to(ctl, program.statements + threshold_rules(program))
    ctl.ground([("base", [])], context=Context())
    found: dict[str, set[int]] = {}
    with ctl.solve(yield_=True) as handle:
        for model in handle:
            for atom in model.symbols(atoms=True):
                if atom.match("_threshold", 2):
                    key, value = atom.arguments
                    if (
                        key.type == clingo.SymbolType.String
                        and value.type == clingo.SymbolType.Number
                    ):
                        found.setdefault(key.string, set()).add(value.number)
    return {key: tuple(sorted(values)) for key, values in sorted(found.items())}


def decode_thresholds(data: dict[str, list[int]]) -> dict[str, tuple[int, ...]]:
    """The thresholds from their cache entry."""
    return {str(key): tuple(int(v) for v in values) for key, values in data.items()}
