"""The KB as a program ready to ground, for one question: the compiled form kept between processes.

Every one-patient question (`recommend`, `explain`, `compare`, what-ifs) loads the KB through
``kb.compiled()`` (:class:`hcc_asp.knowledge.KnowledgeBase`): the program text of each KB file,
kept in the per-KB disk cache (``hcc_asp.knowledge.cache``) so that a cold process neither parses
the KB into Python AST objects nor grounds the files of guidelines it was not asked about.
``kb.compiled(explained=True)`` adds the explanation shadows (``hcc_asp.knowledge.program``), the
rule infos and the predicate docs. This module holds the value and its cache encoding; the
parser that builds it on a cache miss (``hcc_asp.knowledge.program``) imports this one, never the
other way round.

This module does not import ``clingo.ast``; the full parse (``KnowledgeBase.program``) runs only
on a cache miss, and for `check` and the batch engine, which transform the AST themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

FIRED = "_fired"


class RuleInfo(NamedTuple):
    """Where a rule is and what it says."""

    id: str  # "file:line" relative to the KB folder, the key of _fired/4
    file: str
    line: int
    label: str  # stable label: head predicate/arity and its ordinal among that file's rules for it
    comment: str  # the rule's one-line "why" comment ("" when it has none)
    is_fact: bool


class PredicateDoc(NamedTuple):
    """A ``%*! pred(Args)`` documentation block."""

    name: str
    args: tuple[str, ...]
    description: str
    template: str  # the Text: line, "" when absent


def fired_name(name: str, arity: int) -> str:
    """The shadow predicate of one head predicate: one per predicate keeps the KB's strata."""
    return f"{FIRED}__{name}_{arity}"


def is_fired(symbol: object) -> bool:
    """True for a shadow atom ``_fired__name_arity(Id, Head, Positive, Negative)``."""
    name = getattr(symbol, "name", "")
    return name.startswith(FIRED + "__") and len(symbol.arguments) == 4  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Compiled:
    """The KB as program text per file, ready for ``Control.add``: what a cold process loads.

    Parsing the KB into Python AST objects costs far more than solving it, and a question about one
    guideline needs neither the other guidelines' files nor the AST, only their text. The text is
    the parsed statements printed back (``str`` of each AST node: comments dropped, includes
    expanded), kept per KB file so that a guideline's question takes only its own file.
    ``explained`` holds the same with the explanation shadows of ``hcc_asp.knowledge.program``,
    except for plain ground facts: they stay facts, and ``facts`` maps each (as text) to the rules
    that state it, which halves what an explanation grounds. ``rules`` and ``docs`` are the words
    the explanations need. Built from ``parse`` on a cache miss and kept in the disk cache
    (``hcc_asp.knowledge.cache``).
    """

    files: tuple[str, ...]  # relative to the KB folder, in include order
    guideline_files: dict[str, str]  # guideline atom -> its file (relative)
    plain: dict[str, str]
    explained: dict[str, str] = field(default_factory=dict)
    rules: dict[str, RuleInfo] = field(default_factory=dict)
    docs: dict[tuple[str, int], PredicateDoc] = field(default_factory=dict)
    facts: dict[str, list[str]] = field(default_factory=dict)  # ground fact -> rule ids
    #: the plain text of only the rules the what-if search depends on (``knowledge.relevance``)
    whatif: dict[str, str] = field(default_factory=dict)
    _texts: dict[tuple[tuple[str, ...] | None, bool, bool], str] = field(
        default_factory=dict, repr=False, compare=False
    )

    def text(
        self, guidelines: Iterable[str] | None = None, explained: bool = False, whatif: bool = False
    ) -> str:
        """The program text, without the files of guidelines not named (None: every guideline).

        ``whatif``: only the rules ``queries/whatif.lp`` depends on. The same str object for the
        same question, so ``add_text`` recognises it cheaply.
        """
        key = (None if guidelines is None else tuple(sorted(set(guidelines))), explained, whatif)
        found = self._texts.get(key)
        if found is None:
            found = self._texts[key] = self._join(key[0], explained, whatif)
        return found

    @cached_property
    def rule_order(self) -> dict[str, int]:
        """Each rule id's position in the KB (an explanation lists supports in rule order)."""
        return {rule_id: index for index, rule_id in enumerate(self.rules)}

    def _join(self, guidelines: Iterable[str] | None, explained: bool, whatif: bool) -> str:
        chunks = self.explained if explained else self.whatif if whatif else self.plain
        drop: set[str] = set()
        if guidelines is not None:
            kept = set(guidelines)
            drop = {f for g, f in self.guideline_files.items() if g not in kept}
        return "\n".join(chunks[f] for f in self.files if f not in drop)


def _encode(compiled: Compiled) -> dict[str, object]:
    return {
        "files": list(compiled.files),
        "guideline_files": compiled.guideline_files,
        "plain": compiled.plain,
        "explained": compiled.explained,
        "rules": [list(info) for info in compiled.rules.values()],
        "docs": [
            [doc.name, list(doc.args), doc.description, doc.template]
            for doc in compiled.docs.values()
        ],
        "facts": compiled.facts,
        "whatif": compiled.whatif,
    }


def _decode(data: dict[str, Any]) -> Compiled:
    rules = {row[0]: RuleInfo(*row) for row in data["rules"]}
    docs = {}
    for name, args, description, template in data["docs"]:
        docs[(name, len(args))] = PredicateDoc(name, tuple(args), description, template)
    files = tuple(data["files"])
    whatif = data["whatif"]  # every file in the plain entry, none in the explained one
    if set(files) != set(data["plain"]) or (whatif and set(whatif) != set(files)):
        raise ValueError("damaged cache entry")
    return Compiled(
        files,
        dict(data["guideline_files"]),
        data["plain"],
        data["explained"],
        rules,
        docs,
        data["facts"],
        whatif,
    )
