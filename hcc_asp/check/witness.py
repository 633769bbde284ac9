"""Witnesses: a patient of the space for whom a finding holds, written as a complete patient file.

``recommend`` on the file reproduces the finding. :class:`Witnesses` writes each patient found
once and hands a renamed copy to every finding that patient shows.
"""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from typing import Any

from clingo import Symbol

from hcc_asp.check.search import Space
from hcc_asp.engine.facts import plain_value
from hcc_asp.knowledge import KnowledgeBase


def witness_file(atoms: list[Symbol], kb: KnowledgeBase, name: str) -> dict[str, Any]:
    """Write a witness as a complete patient file (spec/patient.md)."""
    document: dict[str, Any] = {"version": 1, "id": name}
    lines: dict[int, dict[str, Any]] = defaultdict(dict)
    given_sections = set()
    prior_given = False
    for atom in sorted(atoms):
        if atom.match("given", 1):
            key = atom.arguments[0].string
            if key == "prior_therapies":
                prior_given = True
            elif key in ("liver.etiology", "access.unavailable"):
                # A given list may be empty ([] is not "unknown"): write it even without values.
                section, _, leaf = key.partition(".")
                document.setdefault(section, {}).setdefault(leaf, [])
            elif "." not in key or key in ("liver.varices", "liver.child_pugh"):
                given_sections.add(key)
        elif atom.match("prior", 3):
            line, field, value = atom.arguments
            lines[line.number][field.name] = (
                value.name == "true" if value.name in ("true", "false") else value.name
            )
        elif atom.match("value", 2):
            key = atom.arguments[0].string
            plain = plain_value(key, atom.arguments[1], kb)
            node = document
            parts = key.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            if key in ("liver.etiology", "access.unavailable"):
                node.setdefault(parts[-1], []).append(plain)
            else:
                node[parts[-1]] = plain
    for section in sorted(given_sections):
        node = document
        for part in section.split("."):
            node = node.setdefault(part, {})
    if prior_given:
        document["prior_therapies"] = [lines[n] for n in sorted(lines)]
    return document


def witness_key(witness: dict[str, Any]) -> str:
    """The witness's values (not its id): many cross findings share one witness patient."""
    return json.dumps({k: v for k, v in witness.items() if k != "id"}, sort_keys=True)


class Witnesses:
    """The witness patient files of one check run, each patient written once."""

    def __init__(self, space: Space, kb: KnowledgeBase) -> None:
        """Find witnesses in ``space``; write them with the KB's value names (``kb``)."""
        self.space = space
        self.kb = kb
        self._files: dict[int, dict[str, Any]] = {}  # one patient file per witness

    def __call__(self, atom: Symbol, name: str) -> dict[str, Any] | None:
        """The patient file of a patient for whom ``atom`` holds, with id ``name``, or None."""
        found = self.space.witness(atom)
        if found is None:
            return None
        if id(found) not in self._files:
            self._files[id(found)] = witness_file(found, self.kb, name)
        return {**copy.deepcopy(self._files[id(found)]), "id": name}
