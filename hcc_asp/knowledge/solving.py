"""The clingo primitives every solve uses: a quiet Control, the KB's context, facts in as Symbols.

The knowledge base reads some of its own statements by solving (the catalogue without a patient,
the vocabulary, the input scales, the thresholds of the patient space), and the engine
(``hcc_asp.engine``) solves it for patients: both use these few functions, which is why they sit
at the bottom floor. The one arithmetic primitive clingo lacks, ``@log10_micro`` (used by the ALBI
rule in ``kb/derivations.lp``), is provided by :class:`Context`.
"""

from __future__ import annotations

import atexit
import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import clingo
from clingo import Symbol

from hcc_asp.knowledge.folders import KnowledgeBaseError, load_failure


class Context:
    """Functions the KB may call with ``@name(...)``: plain arithmetic, no clinical rule."""

    def log10_micro(self, number: Symbol) -> Symbol:
        """Return round(log10(n) * 10^6) for a positive integer n (ALBI needs a logarithm).

        A valid bilirubin below the resolution of its scale (under 0.05 umol/L) arrives as 0,
        where the logarithm is undefined: it is read as the smallest value the scale holds (1).
        """
        return clingo.Number(round(math.log10(max(number.number, 1)) * 1_000_000))


def _logger_into(messages: list[str]) -> Callable[[clingo.MessageCode, str], None]:
    def logger(_code: clingo.MessageCode, message: str) -> None:
        messages.append(message.strip())

    return logger


def new_control(arguments: Sequence[str] = (), messages: list[str] | None = None) -> clingo.Control:
    """Return a clingo Control whose messages are collected instead of printed."""
    sink = messages if messages is not None else []
    return clingo.Control(list(arguments), logger=_logger_into(sink), message_limit=1000)


def add_facts(ctl: clingo.Control, facts: Iterable[Symbol]) -> None:
    """Add facts through the backend: values stay Symbols, never program text."""
    with ctl.backend() as backend:
        for fact in facts:
            backend.add_rule([backend.add_atom(fact)])


def solve(
    root: Path,
    facts: Iterable[Symbol] = (),
    programs: Sequence[Path] = (),
    arguments: Sequence[str] = (),
    statements: Sequence[Any] | None = None,
    shown: bool = False,
    text: str | None = None,
) -> tuple[list[Symbol], list[str]]:
    """Load the KB root file (and extra programs), add facts, ground, solve; return all atoms.

    ``statements`` (parsed AST, e.g. the KB with explanation shadows) or ``text`` (program text
    from ``KnowledgeBase.compiled``, the cached form) replaces the root file; ``shown`` returns
    only the shown atoms (``kb/show.lp``), which is all `recommend` reads.
    The KB is stratified, so there is exactly one stable model; no model means the KB is broken.
    """
    facts = list(facts)
    messages: list[str] = []
    ctl = new_control(arguments, messages)
    try:
        if text is not None:
            add_text(ctl, text)
        elif statements is None:
            ctl.load(str(root))
        else:
            from hcc_asp.knowledge.program import add_to

            add_to(ctl, statements)
        for program in programs:
            ctl.load(str(program))
        add_facts(ctl, facts)
        ctl.ground([("base", [])], context=Context())
    except RuntimeError as error:
        if text is not None:
            # The cached text has no file locations: load the KB's own files for the message.
            return solve(root, facts, programs, arguments, shown=shown)
        raise KnowledgeBaseError(load_failure(messages, error)) from None
    atoms: list[Symbol] = []
    with ctl.solve(yield_=True) as handle:
        for model in handle:
            atoms = list(model.symbols(shown=True) if shown else model.symbols(atoms=True))
            break
        else:
            raise KnowledgeBaseError(
                "the knowledge base has no answer for this patient (inconsistent rules)"
            )
    return atoms, messages


def file_atoms(path: Path) -> list[Symbol]:
    """Ground and solve one KB file on its own (the vocabulary, the input scales); return its atoms.

    Used where the Python side reads a KB file directly; a file that does not ground is a
    :class:`KnowledgeBaseError` with one line, not a traceback.
    """
    messages: list[str] = []
    ctl = new_control(["--warn=none"], messages)
    try:
        ctl.load(str(path))
        ctl.ground([("base", [])])
    except RuntimeError as error:
        raise KnowledgeBaseError(load_failure(messages, error)) from None
    with ctl.solve(yield_=True) as handle:
        for model in handle:
            return list(model.symbols(atoms=True))
    raise KnowledgeBaseError(f"the knowledge base could not be loaded: {path.name} has no answer")


#: Program texts seen once in this process, and the statements of those seen twice or more.
_SEEN: set[str] = set()
_PARSED: dict[str, list[Any]] = {}
_MAX_PARSED = 32


def add_text(control: Any, text: str) -> None:
    """Add a program text to a clingo Control: parsed by clingo the first time, from AST after.

    A one-shot process pays clingo's parser once (cheapest). A process that asks again (the
    benchmark, a service, a batch) keeps the parsed statements and hands them to
    ``ProgramBuilder``, which is about twice as fast as parsing the text again. Either way the
    Control receives the same program. (Keyed by the program text itself, not by a KB.)
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
