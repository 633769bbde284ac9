"""Regimen vocabulary read from the KB (``kb/vocabulary.lp``): ids, aliases, drugs, classes.

The KB is the single source of the vocabulary; Python only reads it (one tiny solve, kept in the
per-KB disk cache, ``hcc_asp.knowledge.cache``, so a cold command does not parse the file again).
``KnowledgeBase.regimens`` and ``KnowledgeBase.aliases`` hold what this module reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple


class Regimen(NamedTuple):
    """One regimen of the vocabulary."""

    id: str
    name: str
    aliases: tuple[str, ...]
    drugs: tuple[tuple[str, str], ...]  # (drug, class)


def encode(vocabulary: tuple[Regimen, ...]) -> list[list[Any]]:
    """The regimens as JSON data (the disk cache's entry)."""
    return [[r.id, r.name, list(r.aliases), [list(d) for d in r.drugs]] for r in vocabulary]


def decode(data: list[list[Any]]) -> tuple[Regimen, ...]:
    """Invert ``encode``."""
    return tuple(
        Regimen(
            id=str(r_id),
            name=str(name),
            aliases=tuple(str(a) for a in aliases),
            drugs=tuple((str(d), str(c)) for d, c in drugs),
        )
        for r_id, name, aliases, drugs in data
    )


def read(path: Path) -> tuple[Regimen, ...]:
    """Solve ``vocabulary.lp`` on its own and gather the regimens, sorted by id (a cache miss)."""
    from hcc_asp.knowledge.solving import file_atoms

    names: dict[str, str] = {}
    aliases: dict[str, list[str]] = {}
    components: dict[str, list[str]] = {}
    classes: dict[str, str] = {}
    ids: set[str] = set()
    for sym in file_atoms(path):
        args = sym.arguments
        if sym.match("regimen", 1):
            ids.add(args[0].name)
        elif sym.match("regimen_name", 2):
            names[args[0].name] = args[1].string
        elif sym.match("regimen_alias", 2):
            aliases.setdefault(args[0].name, []).append(args[1].string)
        elif sym.match("component", 2):
            components.setdefault(args[0].name, []).append(args[1].name)
        elif sym.match("drug_class", 2):
            classes[args[0].name] = args[1].name
    return tuple(
        Regimen(
            id=r,
            name=names.get(r, r),
            aliases=tuple(sorted(aliases.get(r, []))),
            drugs=tuple((d, classes.get(d, "")) for d in sorted(components.get(r, []))),
        )
        for r in sorted(ids)
    )


def spelling(text: str) -> str:
    """The form in which regimen names are compared (any case, spaces or dashes).

    Lower case, ``+`` without spaces around it, spaces and dashes as ``_``: so ``Atezolizumab +
    bevacizumab``, ``ATEZO+BEV`` and ``best supportive care`` meet the KB's
    ``atezolizumab+bevacizumab``, ``atezo+bev`` and ``best_supportive_care``.
    """
    joined = _PLUS.sub("+", text.strip().lower())
    return _GAPS.sub("_", joined)


_PLUS = re.compile(r"\s*\+\s*")
_GAPS = re.compile(r"[\s\-]+")


def aliases_of(regimens: tuple[Regimen, ...]) -> dict[str, str]:
    """Map every accepted spelling (:func:`spelling` of an id, alias or name) to its regimen id."""
    table: dict[str, str] = {}
    for reg in regimens:
        for text in (reg.id, *reg.aliases, reg.name):
            table.setdefault(spelling(text), reg.id)
    return table


def spellings_of(regimens: tuple[Regimen, ...]) -> list[str]:
    """The ids and aliases a suggestion may name (``hcc-asp regimens`` lists them)."""
    return [text for reg in regimens for text in (reg.id, *reg.aliases)]


def did_you_mean(text: str, choices: Iterable[str], cutoff: float = 0.75) -> str:
    """`` (did you mean X?)`` for the choice closest to a misspelt name, or nothing."""
    import difflib  # only a bad name needs it: kept off the cold path

    close = difflib.get_close_matches(spelling(text), [spelling(c) for c in choices], 1, cutoff)
    if not close:
        return ""
    original = {spelling(choice): choice for choice in choices}
    return f" (did you mean {original[close[0]]}?)"
