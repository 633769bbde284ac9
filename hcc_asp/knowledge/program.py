"""The KB as a parsed program: rule ids, rule comments, predicate docs, and shadow rules.

Explanations are derivations (README, "Explanations"). When the KB is loaded for ``explain``, every
rule ``H :- B.`` (and every fact) gets a *shadow rule*

    _fired("derivations.lp:108", H, (P1, ..., Pn), (N1, ..., Nm)) :- B.

recording which rule derived which atom from which positive body atoms ``Pi`` and under which
negated atoms ``Ni``. The shadow is added by transforming the parsed AST, so any rule an author
adds to ``kb/`` is explainable with no extra code. The rule's one-line ``%`` comment and the
predicate's ``%*! pred(Args) ... Text: ...*%`` documentation (both delivered by clingo's parser
as comment nodes) give the words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from clingo import ast
from clingo.ast import ASTType, Sign
from clingo.symbol import String, parse_term

from hcc_asp.knowledge.compiled import (
    FIRED,
    Compiled,
    PredicateDoc,
    RuleInfo,
    fired_name,
    is_fired,
)
from hcc_asp.knowledge.folders import ROOT_FILE, queries_dir
from hcc_asp.knowledge.relevance import relevant, signatures

__all__ = [
    "FIRED",
    "PredicateDoc",
    "Program",
    "RuleInfo",
    "add_to",
    "fired_name",
    "is_fired",
    "parse",
]


@dataclass
class Program:
    """The parsed KB: statements, shadows, rule infos, predicate docs."""

    statements: list[ast.AST] = field(default_factory=list)
    shadows: list[ast.AST] = field(default_factory=list)
    #: the KB with each rule replaced by its shadow and a projection (bodies grounded once)
    explained: list[ast.AST] = field(default_factory=list)
    rules: dict[str, RuleInfo] = field(default_factory=dict)
    docs: dict[tuple[str, int], PredicateDoc] = field(default_factory=dict)
    #: guideline atom -> the file that declares it (``guideline/4``)
    guideline_files: dict[str, str] = field(default_factory=dict)
    _only: dict[tuple[int, tuple[str, ...]], list[ast.AST]] = field(default_factory=dict)

    def only(self, statements: list[ast.AST], guidelines: Iterable[str]) -> list[ast.AST]:
        """The statements without the files of the other guidelines.

        Every guideline is data over the same generic rules, so a question about one guideline
        grounds only its file: the answer is the same, the ground program a fraction of the size.
        """
        keep = tuple(sorted(set(guidelines)))
        key = (id(statements), keep)
        if key not in self._only:
            self._only[key] = _without_other_guidelines(statements, self.guideline_files, keep)
        return self._only[key]


_DOC = re.compile(r"^%\*!\s*([a-z_][A-Za-z0-9_]*)\s*(?:\((.*?)\))?\s*$")


def _parse_doc(text: str) -> PredicateDoc | None:
    lines = text.splitlines()
    head = _DOC.match(lines[0].strip()) if lines else None
    if not head:
        return None
    args = tuple(a.strip() for a in head.group(2).split(",")) if head.group(2) else ()
    body = [line.strip() for line in lines[1:] if line.strip() not in ("*%", "")]
    template = next((line[5:].strip() for line in body if line.startswith("Text:")), "")
    description = " ".join(
        line for line in body if not line.startswith(("Text:", "Args:", "- ", "*%"))
    )
    return PredicateDoc(head.group(1), args, description, template)


def _relative(filename: str, root: Path) -> str:
    """The file's path relative to the KB folder (its name alone when it is outside)."""
    try:
        return _resolved(filename).relative_to(_resolved(str(root))).as_posix()
    except ValueError:  # nocoverage - a file outside the KB folder (extra programs)
        return Path(filename).name


@lru_cache(maxsize=256)
def _resolved(filename: str) -> Path:
    """``Path.resolve`` once per file name (a parse asks thousands of times for a few files)."""
    return Path(filename).resolve()


def _head_term(rule: ast.AST) -> ast.AST | None:
    head = rule.head
    if (
        head.ast_type == ASTType.Literal
        and head.sign == Sign.NoSign
        and head.atom.ast_type == ASTType.SymbolicAtom
    ):
        return head.atom.symbol
    return None


def _signature(term: ast.AST) -> tuple[str, int]:
    if term.ast_type == ASTType.Function:
        return term.name, len(term.arguments)
    if term.ast_type == ASTType.SymbolicTerm:
        return term.symbol.name, 0
    return str(term), 0  # nocoverage - pools in heads are expanded by the parser


def _variables(node: ast.AST) -> set[str]:
    found: set[str] = set()

    class Collect(ast.Transformer):
        def visit_Variable(self, variable: ast.AST) -> ast.AST:
            found.add(variable.name)
            return variable

    Collect()(node)
    return found


class _NameAnonymous(ast.Transformer):
    """Give each anonymous variable ``_`` a fresh name, so it can be copied into a head."""

    def __init__(self) -> None:
        self.count = 0

    def visit_Variable(self, variable: ast.AST) -> ast.AST:
        if variable.name == "_":
            self.count += 1
            return ast.Variable(variable.location, f"Anonymous{self.count}_")
        return variable


class _Placeholder(ast.Transformer):
    """Replace variables that the positive body does not bind by the string "_"."""

    def __init__(self, bound: set[str]) -> None:
        self.bound = bound

    def visit_Variable(self, variable: ast.AST) -> ast.AST:
        if variable.name in self.bound:
            return variable
        return ast.SymbolicTerm(variable.location, String("_"))


def shadow_rule(rule: ast.AST, rule_id: str) -> ast.AST | None:
    """Return the ``_fired`` shadow of a rule (None for constraints, choice, disjunction)."""
    if _head_term(rule) is None:
        return None
    renamer = _NameAnonymous()
    body = [
        renamer(literal)
        if literal.ast_type == ASTType.Literal and literal.sign == Sign.NoSign
        else literal
        for literal in rule.body
    ]
    head = _head_term(rule)
    assert head is not None  # checked above: rules without a plain head have no shadow
    loc = rule.location
    positive: list[ast.AST] = []
    negative: list[ast.AST] = []
    bound: set[str] = set()
    for literal in body:
        if literal.ast_type != ASTType.Literal:
            continue
        if literal.atom.ast_type == ASTType.SymbolicAtom and literal.sign == Sign.NoSign:
            positive.append(literal.atom.symbol)
            bound |= _variables(literal.atom.symbol)
        elif literal.atom.ast_type == ASTType.Comparison and literal.sign == Sign.NoSign:
            bound |= _variables(literal.atom)  # an assignment X = ... binds X
    for literal in body:
        if (
            literal.ast_type == ASTType.Literal
            and literal.atom.ast_type == ASTType.SymbolicAtom
            and literal.sign != Sign.NoSign
        ):
            negative.append(_Placeholder(bound)(literal.atom.symbol))
    arguments = [
        ast.SymbolicTerm(loc, String(rule_id)),
        head,
        ast.Function(loc, "", positive, False),
        ast.Function(loc, "", negative, False),
    ]
    name, arity = _signature(head)
    atom = ast.SymbolicAtom(ast.Function(loc, fired_name(name, arity), arguments, False))
    return ast.Rule(loc, ast.Literal(loc, Sign.NoSign, atom), body)


def projection_rule(shadow: ast.AST) -> ast.AST:
    """``H :- _fired(Id, H, P, N).``: the head from its shadow, so each body is grounded once."""
    loc = shadow.location
    fired = shadow.head.atom.symbol
    positive = ast.Variable(loc, "Positive_")
    negative = ast.Variable(loc, "Negative_")
    pattern = ast.Function(
        loc, fired.name, [fired.arguments[0], fired.arguments[1], positive, negative], False
    )
    head = ast.Literal(loc, Sign.NoSign, ast.SymbolicAtom(fired.arguments[1]))
    body = [ast.Literal(loc, Sign.NoSign, ast.SymbolicAtom(pattern))]
    return ast.Rule(loc, head, body)


def parse(root: Path) -> Program:
    """Parse the KB folder (root file and its includes): statements, shadows, infos, docs.

    Called once per KB value (``KnowledgeBase.program``), which keeps the result.
    """
    program = Program()
    comments: dict[tuple[str, int], str] = {}
    rules: list[tuple[ast.AST, str, int]] = []

    def collect(statement: ast.AST) -> None:
        if statement.ast_type == ASTType.Comment:
            text = statement.value
            begin = statement.location.begin
            if text.startswith("%*!"):
                doc = _parse_doc(text)
                if doc:
                    program.docs[(doc.name, len(doc.args))] = doc
            elif text.startswith("% ") and begin.column == 1:
                key = (_relative(begin.filename, root), statement.location.end.line)
                comments[key] = text[2:].strip()
            return
        program.statements.append(statement)
        if statement.ast_type == ASTType.Rule:
            begin = statement.location.begin
            rules.append((statement, _relative(begin.filename, root), begin.line))
            declared = _declared_guideline(statement)
            if declared is not None:
                program.guideline_files[declared] = begin.filename

    ast.parse_files([str(root / ROOT_FILE)], collect)
    ordinals: dict[tuple[str, str, int], int] = {}
    for rule, filename, line in rules:
        head = _head_term(rule)
        if head is None:
            continue
        rule_id = f"{filename}:{line}"
        name, arity = _signature(head)
        count = ordinals[(filename, name, arity)] = ordinals.get((filename, name, arity), 0) + 1
        is_fact = len(rule.body) == 0
        if rule_id not in program.rules:
            program.rules[rule_id] = RuleInfo(
                id=rule_id,
                file=filename,
                line=line,
                label=f"{name}/{arity}#{count}",
                comment=comments.get((filename, line - 1), ""),
                is_fact=is_fact,
            )
        # One shadow per pool alternative: a pooled body literal such as
        # status(G, R, (recommended; conditional)) stands for two rules, and each must record
        # only the body atom it actually used.
        for variant in rule.unpool():
            shadow = shadow_rule(variant, rule_id)
            if shadow is not None:
                program.shadows.append(shadow)
    shadowed = {id(rule) for rule, _, _ in rules if _head_term(rule) is not None}
    program.explained = [s for s in program.statements if id(s) not in shadowed]
    for shadow in program.shadows:
        program.explained.extend((shadow, projection_rule(shadow)))
    return program


def _declared_guideline(rule: ast.AST) -> str | None:
    """The guideline atom a ``guideline/4`` fact declares (its file is that guideline's file)."""
    head = _head_term(rule)
    if head is not None and not rule.body and _signature(head) == ("guideline", 4):
        return str(head.arguments[0])
    return None


def _without_other_guidelines(
    statements: list[ast.AST], files: dict[str, str], keep: Iterable[str]
) -> list[ast.AST]:
    """The statements minus those in the files of guidelines not kept."""
    kept = set(keep)
    drop = {f for g, f in files.items() if g not in kept}
    return [s for s in statements if s.location.begin.filename not in drop]


def guideline_statements(program: Program, guidelines: tuple[str, ...]) -> list[ast.AST]:
    """The KB's statements (AST) without the files of the guidelines not named.

    For callers that transform the AST (the batch engine); a plain one-patient solve loads
    ``kb.compiled().text(guidelines)`` instead, which needs no AST at all.
    """
    return program.only(program.statements, guidelines)


def add_to(control: object, statements: Iterable[ast.AST]) -> None:
    """Add parsed statements to a clingo Control (no program text involved)."""
    with ast.ProgramBuilder(control) as builder:  # type: ignore[arg-type]
        for statement in statements:
            builder.add(statement)


INPUTS = frozenset({("value", 2), ("given", 1), ("prior", 3), ("patient", 1)})
THRESHOLD = "_threshold"


def _patient_dependent(statements: list[ast.AST]) -> set[tuple[str, int]]:
    """Predicates whose atoms depend, through the rules, on the patient's input facts."""
    edges: dict[tuple[str, int], set[tuple[str, int]]] = {}
    for statement in statements:
        if statement.ast_type != ASTType.Rule:
            continue
        head = _head_term(statement)
        if head is None:
            continue
        body = edges.setdefault(_signature(head), set())
        for literal in statement.body:
            if (
                literal.ast_type == ASTType.Literal
                and literal.atom.ast_type == ASTType.SymbolicAtom
            ):
                body.add(_signature(literal.atom.symbol))
            else:
                body.add(("<complex>", 0))  # aggregates: assume dependent
    dependent = set(INPUTS) | {("<complex>", 0)}
    changed = True
    while changed:
        changed = False
        for signature, body in edges.items():
            if signature not in dependent and body & dependent:
                dependent.add(signature)
                changed = True
    return dependent


def threshold_rules(program: Program) -> list[ast.AST]:
    """Rules ``_threshold(Key, Scaled) :- ...`` for every comparison of a patient value in the KB.

    A comparison ``V op T`` where ``V`` comes from ``value(Key, V)`` (directly, or through a
    predicate that passes a value on unchanged, like ``ecog(E) :- value("ecog", E)``) yields the
    threshold ``T`` for ``Key``, grounded with only the patient-independent literals of the rule.
    The patient space of ``check`` and the what-if domain of ``explain`` take their numeric bands
    from these, so a new threshold in a new rule is picked up with no list to maintain.
    """
    rules = [s for s in program.statements if s.ast_type == ASTType.Rule]
    dependent = _patient_dependent(program.statements)
    # (predicate, argument position) -> key terms it passes on unchanged
    passes: dict[tuple[str, int, int], list[ast.AST]] = {}
    for rule in rules:
        head = _head_term(rule)
        if head is None or head.ast_type != ASTType.Function:
            continue
        for literal in rule.body:
            if (
                literal.ast_type == ASTType.Literal
                and literal.sign == Sign.NoSign
                and literal.atom.ast_type == ASTType.SymbolicAtom
                and _signature(literal.atom.symbol) == ("value", 2)
            ):
                key, var = literal.atom.symbol.arguments
                if var.ast_type != ASTType.Variable or _variables(key):
                    continue
                for position, argument in enumerate(head.arguments):
                    if argument.ast_type == ASTType.Variable and argument.name == var.name:
                        name, arity = _signature(head)
                        passes.setdefault((name, arity, position), []).append(key)
    out: list[ast.AST] = []
    for rule in rules:
        bound: dict[str, list[ast.AST]] = {}  # variable -> key terms
        kept: list[ast.AST] = []
        for literal in rule.body:
            if literal.ast_type != ASTType.Literal or literal.atom.ast_type != ASTType.SymbolicAtom:
                continue
            symbol = literal.atom.symbol
            if literal.sign != Sign.NoSign or symbol.ast_type != ASTType.Function:
                continue
            name, arity = _signature(symbol)
            if (name, arity) == ("value", 2) and symbol.arguments[1].ast_type == ASTType.Variable:
                bound.setdefault(symbol.arguments[1].name, []).append(symbol.arguments[0])
                continue
            for position, argument in enumerate(symbol.arguments):
                keys = passes.get((name, arity, position))
                if keys and argument.ast_type == ASTType.Variable:
                    bound.setdefault(argument.name, []).extend(keys)
            if (name, arity) not in dependent:
                kept.append(literal)
        if not bound:
            continue
        safe = set().union(*(_variables(lit) for lit in kept)) if kept else set()
        for literal in rule.body:
            if literal.ast_type != ASTType.Literal or literal.atom.ast_type != ASTType.Comparison:
                continue
            comparison = literal.atom
            terms = [comparison.term] + [guard.term for guard in comparison.guards]
            for index, term in enumerate(terms):
                if term.ast_type != ASTType.Variable or term.name not in bound:
                    continue
                for other_index, other in enumerate(terms):
                    if other_index == index or not _variables(other) <= safe:
                        continue
                    for key in bound[term.name]:
                        if not _variables(key) <= safe:
                            continue
                        loc = rule.location
                        head = ast.Function(loc, THRESHOLD, [key, other], False)
                        atom = ast.Literal(loc, Sign.NoSign, ast.SymbolicAtom(head))
                        out.append(ast.Rule(loc, atom, kept))
    return out


# the compiled form (knowledge.compiled) is built from the parsed program ----------------------


def _texts_by_file(statements: Iterable[ast.AST], root: Path) -> dict[str, str]:
    chunks: dict[str, list[str]] = {}
    for statement in statements:
        name = _relative(statement.location.begin.filename, root)
        chunks.setdefault(name, []).append(str(statement))
    return {name: "\n".join(lines) for name, lines in chunks.items()}


def _ground_fact(rule: ast.AST) -> str | None:
    """The fact's atom as clingo prints it, when the rule is a plain ground fact (else None)."""
    head = _head_term(rule)
    if rule.body or head is None or _variables(head):
        return None
    text = str(head)
    try:
        if str(parse_term(text)) != text:  # pools, intervals, arithmetic: not one plain atom
            return None
    except RuntimeError:
        return None
    return text


def _explained_with_facts(
    program: Program, root: Path
) -> tuple[list[ast.AST], dict[str, list[str]], str]:
    """``program.explained`` lighter: ground facts left as facts (with where each is stated).

    Each shadowed head predicate gets one projection rule ``p(X1..Xn) :- _fired__p_n(_, p(X1..Xn),
    _, _).`` instead of one per rule: the same atoms, a third less text to parse and ground.
    """
    out: list[ast.AST] = []
    facts: dict[str, list[str]] = {}
    projected: dict[tuple[str, int], str] = {}
    for statement in program.statements:
        if statement.ast_type != ASTType.Rule or _head_term(statement) is None:
            out.append(statement)
            continue
        begin = statement.location.begin
        rule_id = f"{_relative(begin.filename, root)}:{begin.line}"
        for variant in statement.unpool():
            fact = _ground_fact(variant)
            if fact is not None:
                out.append(variant)
                found = facts.setdefault(fact, [])
                if rule_id not in found:
                    found.append(rule_id)
                continue
            shadow = shadow_rule(variant, rule_id)
            if shadow is None:
                continue  # nocoverage - a plain head always has a shadow
            out.append(shadow)
            head = _head_term(variant)
            if head is not None and head.ast_type in (ASTType.Function, ASTType.SymbolicTerm):
                name, arity = _signature(head)
                if (name, arity) not in projected:
                    variables = ",".join(f"X{i}_" for i in range(arity))
                    atom = f"{name}({variables})" if arity else name
                    projected[(name, arity)] = f"{atom} :- {fired_name(name, arity)}(_,{atom},_,_)."
            else:  # nocoverage - heads are functions or constants in this KB
                out.append(projection_rule(shadow))
    return out, facts, "\n".join(projected[key] for key in sorted(projected))


def _whatif_predicates() -> set[tuple[str, int]]:
    """Every predicate ``queries/whatif.lp`` names: what its search needs the KB to derive."""
    found: set[tuple[str, int]] = set()
    ast.parse_files([str(queries_dir() / "whatif.lp")], lambda s: found.update(signatures(s)))
    return found


def compile_program(program: Program, root: Path, explained: bool) -> Compiled:
    """Build the compiled form from a full parse (a cache miss: the only time the AST is built)."""
    plain = _texts_by_file(program.statements, root)
    files = tuple(plain)
    guideline_files = {g: _relative(f, root) for g, f in program.guideline_files.items()}
    if not explained:
        sliced = _texts_by_file(relevant(program.statements, _whatif_predicates()), root)
        return Compiled(files, guideline_files, plain, whatif={f: sliced.get(f, "") for f in files})
    statements, facts, projections = _explained_with_facts(program, root)
    shadows = _texts_by_file(statements, root)
    explained_texts = {f: shadows.get(f, "") for f in files}
    # ... in a file that every question loads (not a guideline's own file)
    always = next(f for f in reversed(files) if f not in guideline_files.values())
    explained_texts[always] += "\n" + projections
    return Compiled(
        files,
        guideline_files,
        plain,
        explained_texts,
        program.rules,
        program.docs,
        facts,
    )
