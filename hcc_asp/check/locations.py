"""Where each fact of the KB is stated: the rule ids a finding names under ``rules``."""

from __future__ import annotations

from collections import defaultdict

import clingo
from clingo import Symbol

from hcc_asp.knowledge import KnowledgeBase
from hcc_asp.knowledge.program import add_to, is_fired
from hcc_asp.knowledge.solving import Context, new_control


def fact_locations(kb: KnowledgeBase) -> dict[Symbol, list[str]]:
    """Map every ground atom the KB states as a fact (or derives without a patient) to its rules."""
    program = kb.program
    ctl = new_control(["--warn=none"])
    add_to(ctl, program.explained)
    ctl.ground([("base", [])], context=Context())
    where: dict[Symbol, list[str]] = defaultdict(list)
    with ctl.solve(yield_=True) as handle:
        for model in handle:
            for atom in model.symbols(atoms=True):
                if is_fired(atom):
                    where[atom.arguments[1]].append(f"kb/{atom.arguments[0].string}")
    return where


class FactIndex:
    """The KB's fact locations, indexed once for the lookups each finding makes."""

    def __init__(self, where: dict[Symbol, list[str]]) -> None:
        """Group the locations of ``rec/3`` by (guideline, regimen) and of condition users."""
        self.where = where
        self.rec_rules: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.condition_users: dict[Symbol, list[str]] = defaultdict(list)
        users = ("requires", "requires_for", "excludes", "contraindication", "caution")
        for atom, locs in where.items():
            if atom.type != clingo.SymbolType.Function:
                continue
            name, arguments = atom.name, atom.arguments
            if name == "rec" and len(arguments) == 3 and atom.positive:
                self.rec_rules[(arguments[0].name, arguments[2].name)].extend(locs)
            elif name in users:
                for argument in set(arguments):
                    self.condition_users[argument].extend(locs)
