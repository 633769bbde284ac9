"""Ground and solve one patient with clingo, and read the atoms of its answer.

The KB decides; this module only loads it (the compiled text a :class:`KnowledgeBase` holds),
passes the patient in as Symbols, and collects the atoms of the (unique) stable model.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import clingo
from clingo import Symbol

from hcc_asp.engine.facts import patient_facts
from hcc_asp.knowledge.solving import solve

if TYPE_CHECKING:
    from hcc_asp.knowledge import KnowledgeBase


def ground_and_solve(
    kb: KnowledgeBase,
    facts: Iterable[Symbol] = (),
    programs: Sequence[Path] = (),
    arguments: Sequence[str] = (),
    statements: Sequence[Any] | None = None,
    shown: bool = False,
    text: str | None = None,
) -> tuple[list[Symbol], list[str]]:
    """Solve the KB for the facts; return the atoms of its one model (``shown``: the shown ones).

    ``text`` is the compiled program (``kb.compiled().text(...)``), ``statements`` parsed AST;
    without either the KB's root file is loaded. See :func:`hcc_asp.knowledge.solving.solve`.
    """
    return solve(kb.root_file, facts, programs, arguments, statements, shown, text)


def solve_shown(
    patient: Any,
    kb: KnowledgeBase,
    programs: Sequence[Path] = (),
    guidelines: Sequence[str] | None = None,
) -> Answer:
    """One patient's answer: the shown atoms (all atoms when extra ``programs`` are loaded).

    ``guidelines`` (atoms) grounds only those guideline files; None grounds every guideline.
    """
    text = kb.compiled().text(guidelines)
    atoms, _ = ground_and_solve(
        kb, patient_facts(patient, kb), programs, text=text, shown=not programs
    )
    return Answer(atoms)


def key_text(symbol: Symbol) -> str:
    """Render a missing-key term: a string, or item(List, Index, Field) as List[Index].Field."""
    if symbol.type == clingo.SymbolType.String:
        return symbol.string
    if symbol.match("item", 3):
        parent, index, fieldname = symbol.arguments
        return f"{parent.string}[{index.number}].{fieldname.string}"
    return str(symbol)


@lru_cache(maxsize=1 << 15)
def arguments_of(atom: Symbol) -> tuple[Symbol, ...]:
    """An atom's arguments, read once per process for each distinct atom.

    Reading ``Symbol.arguments`` is a clingo API call through cffi (a few microseconds), hashing
    a Symbol a plain C call: patients share most of their atoms (statuses, reasons), so documents
    for many patients read each distinct atom once instead of once per patient.
    """
    return tuple(atom.arguments)


@lru_cache(maxsize=1 << 12)
def name_of(symbol: Symbol) -> str:
    """A function symbol's name, read once per process (see ``arguments_of``)."""
    return symbol.name


@lru_cache(maxsize=1 << 12)
def string_of(symbol: Symbol) -> str:
    """A string symbol's text, read once per process (see ``arguments_of``)."""
    return symbol.string


@lru_cache(maxsize=1 << 16)
def number_of(symbol: Symbol) -> int:
    """A number symbol's value, read once per process (see ``arguments_of``)."""
    return symbol.number


class Answer:
    """The atoms of one patient's stable model, indexed by predicate name in one pass.

    A group is split by arity and sorted on first use: a caller reads a handful of predicates out
    of thousands, so the rest are never touched again.
    """

    def __init__(self, atoms: list[Symbol], by_name: dict[str, list[Symbol]] | None = None) -> None:
        """Index the atoms by name (``by_name``: an index the caller already built)."""
        self.atoms = atoms
        if by_name is None:
            by_name = defaultdict(list)
            for atom in atoms:
                if atom.type == clingo.SymbolType.Function:
                    by_name[atom.name].append(atom)
        self.by_name = by_name
        self._groups: dict[tuple[str, int], list[Symbol]] = {}
        self._unsorted: dict[tuple[str, int], list[Symbol]] = {}
        self._rank: Callable[[], dict[Symbol, int]] | None = None

    @classmethod
    def from_groups(
        cls,
        groups: dict[tuple[str, int], list[Symbol]],
        rank: Callable[[], dict[Symbol, int]] | None = None,
    ) -> Answer:
        """An answer from atoms already grouped by signature (the batch engine's split).

        Every signature the model can show must be a key (an empty list when it has none); a
        group is sorted on first use, without reading any atom's arguments again. ``rank``
        gives every atom its position in clingo's order (shared by many answers), to sort by.
        """
        by_name: dict[str, list[Symbol]] = defaultdict(list)
        atoms: list[Symbol] = []
        for (name, _), group in groups.items():
            by_name[name].extend(group)
            atoms.extend(group)
        answer = cls(atoms, by_name)
        answer._unsorted = groups
        answer._rank = rank
        return answer

    def get(self, name: str, arity: int) -> list[Symbol]:
        """Return the atoms of name/arity, sorted."""
        signature = (name, arity)
        group = self._groups.get(signature)
        if group is None:
            found = self._unsorted.get(signature)
            if found is None:
                group = sorted(a for a in self.by_name.get(name, ()) if len(a.arguments) == arity)
            elif self._rank is not None and len(found) > 1:
                group = sorted(found, key=self._rank().__getitem__)
            else:
                group = sorted(found)
            self._groups[signature] = group
        return group
