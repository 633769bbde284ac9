"""The loader: the KB as a program ready to ground, for one question, cached between processes.

Every one-patient question (`recommend`, `explain`, `compare`, what-ifs) loads the KB through
``compiled(kb)``: the program text of each KB file, kept in the per-KB disk cache
(``hcc_asp.cache``) so that a cold process neither parses the KB into Python AST objects nor
grounds the files of guidelines it was not asked about. ``compiled(kb, explained=True)`` adds the
explanation shadows (``hcc_asp.program``), the rule infos and the predicate docs.

This module does not import ``clingo.ast``; the full parse (``hcc_asp.program.parse``) runs only
on a cache miss, and for `check` and the batch engine, which transform the AST themselves.
"""

from __future__ import annotations

import atexit
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
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

    Parsing the KB into Python AST objects costs far more than solving it, and a question about
    one guideline needs neither the other guidelines' files nor the AST, only their text. The
    text is the parsed statements printed back (``str`` of each AST node: comments dropped,
    includes expanded), kept per KB file so that a guideline's question takes only its own file.
    ``explained`` holds the same with the explanation shadows of ``hcc_asp.program``, except for
    plain ground facts: they stay facts, and ``facts`` maps each (as text) to the rules that state
    it, which halves what an explanation grounds. ``rules`` and ``docs`` are the words the
    explanations need. Built from ``parse`` on a cache miss and kept in the disk cache
    (``hcc_asp.cache``).
    """

    files: tuple[str, ...]  # relative to the KB folder, in include order
    guideline_files: dict[str, str]  # guideline atom -> its file (relative)
    plain: dict[str, str]
    explained: dict[str, str] = field(default_factory=dict)
    rules: dict[str, RuleInfo] = field(default_factory=dict)
    docs: dict[tuple[str, int], PredicateDoc] = field(default_factory=dict)
    facts: dict[str, list[str]] = field(default_factory=dict)  # ground fact -> rule ids
    #: the plain text of only the rules the what-if search depends on (``hcc_asp.relevance``)
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


@lru_cache(maxsize=8)
def compiled(kb: Path | None = None, explained: bool = False) -> Compiled:
    """The KB's program text (``explained``: with shadows, rule infos and docs), cached on disk.

    The loader every one-patient question uses: ``Control.add("base", [], compiled(kb).text([g]))``
    grounds exactly what ``add_to(ctl, program.only(program.statements, [g]))`` grounds. The
    batch engine and `check`, which rewrite the AST, use ``hcc_asp.program.parse`` instead.
    """
    from hcc_asp import cache

    return cache.cached(
        kb,
        "program-explained" if explained else "program",
        lambda: _build(kb, explained),
        _encode,
        _decode,
    )


def _build(kb: Path | None, explained: bool) -> Compiled:
    from hcc_asp.program import compile_program

    return compile_program(kb, explained)


#: Program texts seen once in this process, and the statements of those seen twice or more.
_SEEN: set[str] = set()
_PARSED: dict[str, list[Any]] = {}
_MAX_PARSED = 32


def add_text(control: Any, text: str) -> None:
    """Add a program text to a clingo Control: parsed by clingo the first time, from AST after.

    A one-shot process pays clingo's parser once (cheapest). A process that asks again (the
    benchmark, a service, a batch) keeps the parsed statements and hands them to
    ``ProgramBuilder``, which is about twice as fast as parsing the text again. Either way the
    Control receives the same program.
    """
    statements = _PARSED.get(text)
    if statements is None:
        if text not in _SEEN:
            _SEEN.add(text)
            control.add("base", [], text)
            return
        from clingo import ast

        statements = []
        ast.parse_string(text, statements.append)
        if len(_PARSED) < _MAX_PARSED:
            if not _PARSED:  # free the ASTs before interpreter shutdown tears clingo down
                atexit.register(_PARSED.clear)
            _PARSED[text] = statements
    from clingo import ast

    with ast.ProgramBuilder(control) as builder:
        for statement in statements:
            builder.add(statement)
