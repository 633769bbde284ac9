"""The part of the KB a question depends on: the rules its predicates are derived by, transitively.

The what-if search (``queries/whatif.lp``) asks only whether one regimen comes out recommended
for a counterfactual patient; it grounds the KB over every candidate value of every key, so each
rule that cannot reach its question (the words, provenance, cautions, preference order and the
display rules) costs grounding time for nothing. :func:`relevant` keeps a statement when its head
predicate is one the question's predicates depend on through the rule bodies (positive or
negative, inside aggregates and conditions too), and keeps every statement that is not a plain
rule (integrity constraints, choices, directives), whose predicates then count as needed. The
KB is stratified, so a rule left out can change no atom that is kept: the kept predicates have
the same atoms in every model, and the answer to the question is the same (tested). ``#show``
statements are left out: a query reads its own shown atoms.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from clingo import ast
from clingo.ast import ASTType, Sign

Signature = tuple[str, int]


def signatures(node: object) -> set[Signature]:
    """Every predicate (name, arity) that occurs as an atom anywhere in an AST node or sequence."""
    found: set[Signature] = set()

    class Collect(ast.Transformer):
        def visit_SymbolicAtom(self, atom: ast.AST) -> ast.AST:
            term = atom.symbol
            if term.ast_type == ASTType.Function:
                found.add((term.name, len(term.arguments)))
            elif term.ast_type == ASTType.SymbolicTerm:
                found.add((str(term.symbol), 0))
            return atom

    collect = Collect()
    for item in _items(node):
        collect(item)
    return found


def _items(node: object) -> Iterator[ast.AST]:
    if hasattr(node, "ast_type"):
        yield node  # type: ignore[misc]
    else:
        for item in node:  # type: ignore[attr-defined]
            yield from _items(item)


def _plain_heads(statement: ast.AST) -> list[Signature] | None:
    """The head predicates of a rule whose head is one atom (pools unpooled); None otherwise."""
    if statement.ast_type != ASTType.Rule:
        return None
    heads: list[Signature] = []
    for variant in statement.unpool():
        head = variant.head
        if not (
            head.ast_type == ASTType.Literal
            and head.sign == Sign.NoSign
            and head.atom.ast_type == ASTType.SymbolicAtom
        ):
            return None
        heads.extend(signatures(head))
    return heads


def relevant(statements: Iterable[ast.AST], roots: Iterable[Signature]) -> list[ast.AST]:
    """The statements that the ``roots`` predicates depend on (see the module docstring)."""
    statements = [
        s for s in statements if s.ast_type not in (ASTType.ShowSignature, ASTType.ShowTerm)
    ]
    needed = set(roots)
    rules: dict[Signature, list[ast.AST]] = {}
    for statement in statements:
        heads = _plain_heads(statement)
        if heads is None:
            needed |= signatures(statement)
            continue
        for head in heads:
            rules.setdefault(head, []).append(statement)
    pending = list(needed)
    while pending:
        for rule in rules.get(pending.pop(), ()):
            for signature in signatures(rule.body):
                if signature not in needed:
                    needed.add(signature)
                    pending.append(signature)
    return [
        s
        for s in statements
        if (heads := _plain_heads(s)) is None or any(h in needed for h in heads)
    ]
