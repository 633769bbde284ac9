"""The batch engine: many patients grounded and solved in one clingo Control.

One patient per Control grounds the whole patient-independent part of the KB (vocabulary,
guidelines, evidence, labels) again for every patient. Here the KB's AST is rewritten once at load
so that every *patient-dependent* predicate carries a patient argument in front::

    line(L) :- _prior_lines(N), L = N + 1.
    % becomes
    line(P, L) :- _prior_lines(P, N), L = N + 1.

The patient-dependent predicates are found from the rules themselves: the input predicates
(the ``#defined`` ones of ``kb/input.lp``) and, to a fixpoint, every predicate a rule derives from
one of them. Patient-independent predicates keep their arity and are grounded once per Control for
all patients. A rule whose patient argument no positive body atom binds (an aggregate-only body, a
dependent fact) gets the domain atom ``_batch_patient(P)``. The KB text stays as an author writes
it; the rewrite is the only place that knows about batches.

Each patient of a chunk gets a number as its patient argument (ids need not be unique in a
cohort); its facts are the one-patient facts (``engine.facts``) with that number in front, added
through the backend as Symbols. The shown atoms of the one stable model are split back per patient,
the patient argument dropped, and the documents are built by the very function the one-patient
path uses (:func:`hcc_asp.recommend.recommend_document`, called by
``hcc_asp.recommend_many``), so the results are byte-identical.

Chunks bound the memory: a fresh Control per chunk of ``chunk_size`` patients; the parsed,
rewritten KB is kept on the KB value (a worker of a pool loads it once).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import clingo
from clingo import Function, Number, Symbol, ast
from clingo.ast import ASTType, Sign

from hcc_asp.engine.facts import patient_facts
from hcc_asp.engine.ground import Answer, number_of
from hcc_asp.knowledge import KnowledgeBase, KnowledgeBaseError
from hcc_asp.knowledge.folders import load_failure
from hcc_asp.knowledge.program import add_to, guideline_statements
from hcc_asp.knowledge.solving import Context, new_control

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "BatchProgram",
    "answers_many",
    "batch_program",
]

#: Patients per Control: large enough to amortise grounding the KB, small enough to bound memory.
DEFAULT_CHUNK_SIZE = 250
#: Shown signatures at most; a shown atom's code is patient * STRIDE + signature index.
STRIDE = 64
#: The variable that carries the patient argument in rewritten rules.
PATIENT_VARIABLE = "BatchPatient__"
#: The domain of patient arguments, for rules whose body binds none.
DOMAIN = "_batch_patient"
#: The file whose ``#defined`` predicates are the patient input (README, "Layers").
INPUT_FILE = "input.lp"
#: Shown predicates no document reads (`explain` and `check` read them from their own solves):
#: the batch engine does not show them, which saves attributing about 36 atoms per patient.
UNREAD: frozenset[tuple[str, int]] = frozenset({("rec_outcome", 4), ("patient", 1)})

Signature = tuple[str, int]


@dataclass(frozen=True)
class BatchProgram:
    """The KB rewritten for many patients, and which predicates got a patient argument."""

    statements: tuple[ast.AST, ...]
    #: signatures (as the KB writes them) of the predicates that carry a patient argument
    dependent: frozenset[Signature]
    #: the input predicates (the facts of one patient)
    inputs: frozenset[Signature]
    #: the shown predicates; a shown atom is the term ``(P*STRIDE+K, Atom)``, K the index of
    #: Atom's signature here and Atom as the one-patient model shows it (built by clingo)
    shown: tuple[Signature, ...] = ()


def _signature(term: ast.AST) -> Signature | None:
    if term.ast_type == ASTType.Function:
        return term.name, len(term.arguments)
    if term.ast_type == ASTType.SymbolicTerm and term.symbol.type == clingo.SymbolType.Function:
        return term.symbol.name, len(term.symbol.arguments)
    return None


def _atoms(node: ast.AST) -> set[Signature]:
    """The signatures of every symbolic atom anywhere in ``node``."""
    found: set[Signature] = set()

    class Collect(ast.Transformer):
        def visit_SymbolicAtom(self, atom: ast.AST) -> ast.AST:
            signature = _signature(atom.symbol)
            if signature is not None:
                found.add(signature)
            return atom

    Collect()(node)
    return found


def _inputs(statements: Sequence[ast.AST]) -> frozenset[Signature]:
    """The ``#defined`` predicates of the input layer: what one patient's facts are made of."""
    return frozenset(
        (s.name, s.arity)
        for s in statements
        if s.ast_type == ASTType.Defined and Path(s.location.begin.filename).name == INPUT_FILE
    )


def _dependent(rules: Sequence[ast.AST], inputs: frozenset[Signature]) -> frozenset[Signature]:
    """Every predicate derived, through any rule, from the input predicates (a fixpoint).

    A rule's head atoms depend on every atom of the rule (body, conditions, aggregates), which is
    exact for normal rules and safely over-approximate for choices and head aggregates.
    """
    edges = [
        (_atoms(rule.head), _atoms(rule.head) | set().union(*map(_atoms, rule.body)))
        for rule in rules
    ]
    dependent = set(inputs)
    changed = True
    while changed:
        changed = False
        for heads, uses in edges:
            if uses & dependent and not heads <= dependent:
                dependent |= heads
                changed = True
    return frozenset(dependent)


class _AddPatient(ast.Transformer):
    """Put the patient variable in front of the arguments of every dependent atom."""

    def __init__(self, dependent: frozenset[Signature]) -> None:
        self.dependent = dependent

    def visit_SymbolicAtom(self, atom: ast.AST) -> ast.AST:
        symbol = atom.symbol
        if _signature(symbol) not in self.dependent:
            return atom
        loc = symbol.location
        patient = ast.Variable(loc, PATIENT_VARIABLE)
        if symbol.ast_type == ASTType.Function:
            arguments = [patient, *symbol.arguments]
            return atom.update(symbol=ast.Function(loc, symbol.name, arguments, symbol.external))
        return atom.update(symbol=ast.Function(loc, symbol.symbol.name, [patient], False))


def _binds_patient(literal: ast.AST, dependent: frozenset[Signature]) -> bool:
    return (
        literal.ast_type == ASTType.Literal
        and literal.sign == Sign.NoSign
        and literal.atom.ast_type == ASTType.SymbolicAtom
        and _signature(literal.atom.symbol) in dependent
    )


def _uses_patient(node: ast.AST) -> bool:
    found = False

    class Find(ast.Transformer):
        def visit_Variable(self, variable: ast.AST) -> ast.AST:
            nonlocal found
            found = found or variable.name == PATIENT_VARIABLE
            return variable

    Find()(node)
    return found


def rewrite(statements: Iterable[ast.AST]) -> BatchProgram:
    """Rewrite parsed KB statements so that patient-dependent predicates carry a patient argument.

    Raises :class:`KnowledgeBaseError` when the KB uses a construct the rewrite cannot carry
    (a predicate ``p/n+1`` beside a dependent ``p/n``, or ``#show Term : Body`` over patient data).
    """
    plain: list[ast.AST] = []
    for statement in statements:
        # Pools expanded first: each alternative is then a plain rule with plain atoms.
        plain.extend(statement.unpool() if statement.ast_type == ASTType.Rule else [statement])
    rules = [s for s in plain if s.ast_type == ASTType.Rule]
    inputs = _inputs(plain)
    dependent = _dependent(rules, inputs)
    every = set().union(*map(_atoms, rules)) | {
        (s.name, s.arity) for s in plain if s.ast_type in (ASTType.Defined, ASTType.ShowSignature)
    }
    clashes = sorted(f"{n}/{a + 1}" for n, a in dependent if (n, a + 1) in every)
    if clashes:
        raise KnowledgeBaseError(
            "the batch engine cannot add a patient argument: "
            f"{', '.join(clashes)} already exist beside the patient-dependent predicates"
        )
    add = _AddPatient(dependent)
    out: list[ast.AST] = []
    shown: list[Signature] = []
    for statement in plain:
        kind = statement.ast_type
        if kind == ASTType.ShowSignature and statement.name:
            if (statement.name, statement.arity) in UNREAD:
                continue
            if not statement.positive:
                raise KnowledgeBaseError(
                    f"the batch engine cannot show a classically negated -{statement.name}"
                )
            shown.append((statement.name, statement.arity))
            if len(shown) > STRIDE:
                raise KnowledgeBaseError(f"the batch engine shows at most {STRIDE} predicates")
            patient = (statement.name, statement.arity) in dependent
            statement = _show_term(statement, len(shown) - 1, patient)
        elif kind == ASTType.Defined:
            if (statement.name, statement.arity) in dependent:
                statement = statement.update(arity=statement.arity + 1)
        elif kind == ASTType.ShowTerm:
            if _atoms(statement) & dependent:
                raise KnowledgeBaseError(
                    "the batch engine cannot rewrite a '#show Term : Body' over patient data "
                    f"({statement.location.begin.filename}:{statement.location.begin.line})"
                )
        elif kind in (ASTType.Rule, ASTType.External, ASTType.Minimize, ASTType.Edge):
            statement = add(statement)
            if (
                kind == ASTType.Rule
                and _uses_patient(statement)
                and not any(_binds_patient(lit, dependent) for lit in statement.body)
            ):
                loc = statement.location
                domain = ast.Function(loc, DOMAIN, [ast.Variable(loc, PATIENT_VARIABLE)], False)
                guard = ast.Literal(loc, Sign.NoSign, ast.SymbolicAtom(domain))
                statement = statement.update(body=[guard, *statement.body])
        out.append(statement)
    loc = out[0].location if out else None
    if loc is not None:
        out.append(ast.Defined(loc, DOMAIN, 1, True))
    return BatchProgram(tuple(out), dependent, inputs, tuple(shown))


def _show_term(show: ast.AST, index: int, patient: bool) -> ast.AST:
    """Turn ``#show name/n.`` into ``#show (P*S+K, name(X1..Xn)) : name(P, X1..Xn).``.

    K is the signature's index in ``BatchProgram.shown`` and S the ``STRIDE``. clingo builds each
    patient's atom, without the patient argument, as the one-patient model shows it, and one
    number that says whose atom it is and of which signature: Python reads two arguments per
    shown atom. A patient-independent predicate is shown with patient ``-1``: it belongs to
    every patient.
    """
    loc = show.location
    variables = [ast.Variable(loc, f"Shown{i}__") for i in range(show.arity)]
    atom = ast.Function(loc, show.name, variables, False)
    if patient:
        tag = ast.Variable(loc, PATIENT_VARIABLE)
        times = ast.BinaryOperation(
            loc, ast.BinaryOperator.Multiplication, tag, ast.SymbolicTerm(loc, Number(STRIDE))
        )
        code = ast.BinaryOperation(
            loc, ast.BinaryOperator.Plus, times, ast.SymbolicTerm(loc, Number(index))
        )
    else:
        code = ast.SymbolicTerm(loc, Number(index - STRIDE))
    term = ast.Function(loc, "", [code, atom], False)
    body = ast.Function(loc, show.name, [tag, *variables] if patient else variables, False)
    literal = ast.Literal(loc, Sign.NoSign, ast.SymbolicAtom(body))
    return ast.ShowTerm(loc, term, [literal])


def batch_program(kb: KnowledgeBase, guideline_atoms: tuple[str, ...]) -> BatchProgram:
    """The KB with only the named guidelines' files, rewritten for batches (kept on the KB)."""
    key = ("batch_program", tuple(sorted(set(guideline_atoms))))
    found = kb.memo.get(key)
    if found is None:
        kb.holds_ast()
        found = kb.memo[key] = rewrite(guideline_statements(kb.program, key[1]))
    return found


#: Decoded shown symbols kept per process (about 30 MB at most; see ``_shown``).
SHOWN_CACHE_SIZE = 1 << 17


@lru_cache(maxsize=SHOWN_CACHE_SIZE)
def _shown(symbol: Symbol) -> tuple[int, Symbol]:
    """A shown symbol ``(P*S+K, Atom)`` as that number and the atom (see ``_show_term``).

    Reading a Symbol's arguments is a clingo API call through cffi (about 3 us), its hash a plain
    C call (0.2 us). Patients of a cohort share most of their atoms (statuses, reasons), and a
    chunk's patients are numbered from 0 again, so the same shown symbol comes back chunk after
    chunk: decoding each distinct one once removes most of the per-atom API calls.
    """
    code, atom = symbol.arguments
    return number_of(code), _one(atom)


@lru_cache(maxsize=SHOWN_CACHE_SIZE)
def _one(atom: Symbol) -> Symbol:
    """One Python object per distinct atom.

    A look-up by an atom (a sort by rank, the documents' per-atom caches) then finds its key by
    identity, without a clingo equality call.
    """
    return atom


def _split(atoms: Iterable[Symbol], program: BatchProgram, size: int) -> list[Answer]:
    """The shown atoms of one model, per patient, grouped by shown signature.

    Patient ``-1`` marks a patient-independent atom (slot ``-1`` below), which belongs to every
    patient as in the one-patient model.
    """
    shown = program.shown
    width = len(shown)
    # own[p][k]: patient p's atoms of shown signature k; own[-1]: the shared ones
    own: list[list[list[Symbol]]] = [[[] for _ in range(width)] for _ in range(size + 1)]
    for symbol in atoms:
        code, atom = _shown(symbol)
        patient, kind = divmod(code, STRIDE)
        own[patient][kind].append(atom)
    shared = own[-1]
    order = _ChunkOrder(own)
    return [
        # A predicate is either patient-independent (shared) or the patient's own (groups).
        Answer.from_groups(
            {
                signature: common or group
                for signature, common, group in zip(shown, shared, groups, strict=True)
            },
            order.rank,
        )
        for groups in own[:-1]
    ]


class _ChunkOrder:
    """clingo's order of the distinct atoms of one chunk, as ranks, computed on first use.

    Patients share most atoms: sorting the chunk's few distinct atoms once (clingo comparisons)
    and each patient's groups by rank (a dict look-up per atom) replaces most comparisons.
    """

    def __init__(self, own: list[list[list[Symbol]]]) -> None:
        self._own: list[list[list[Symbol]]] | None = own
        self._rank: dict[Symbol, int] = {}

    def rank(self) -> dict[Symbol, int]:
        """Each distinct atom of the chunk -> its position in clingo's order of them all."""
        if self._own is not None:
            distinct: set[Symbol] = set()
            for groups in self._own:
                for group in groups:
                    distinct.update(group)
            self._rank = {atom: i for i, atom in enumerate(sorted(distinct))}
            self._own = None
        return self._rank


def solve_chunk(patients: Sequence[Any], program: BatchProgram, kb: KnowledgeBase) -> list[Answer]:
    """Ground and solve one chunk of patients in one Control; one Answer per patient, in order."""
    messages: list[str] = []
    ctl = new_control((), messages)
    try:
        add_to(ctl, program.statements)
        with ctl.backend() as backend:
            for index, patient in enumerate(patients):
                tag = Number(index)
                backend.add_rule([backend.add_atom(Function(DOMAIN, [tag]))])
                for fact in patient_facts(patient, kb, (tag,)):
                    backend.add_rule([backend.add_atom(fact)])
        ctl.ground([("base", [])], context=Context())
    except RuntimeError as error:
        raise KnowledgeBaseError(load_failure(messages, error)) from None
    with ctl.solve(yield_=True) as handle:
        for model in handle:
            return _split(model.symbols(shown=True), program, len(patients))
    raise KnowledgeBaseError(
        "the knowledge base has no answer for this cohort (inconsistent rules)"
    )


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def answers_many(
    patients: Iterable[Any],
    guideline_atoms: Sequence[str],
    kb: KnowledgeBase,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Iterator[Answer]:
    """One Answer per patient, in order, solving ``chunk_size`` patients per Control (lazily).

    An answer holds the patient's shown atoms but those of ``UNREAD``, which no document reads.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    program = batch_program(kb, tuple(sorted(set(guideline_atoms))))
    for chunk in _chunks(patients, chunk_size):
        yield from solve_chunk(chunk, program, kb)
