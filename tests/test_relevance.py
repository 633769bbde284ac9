"""The what-if search grounds only the rules its question depends on (``knowledge.relevance``).

A rule is left out only when no needed predicate depends on its head, through positive or
negative literals, aggregates and conditions; constraints and directives always stay, and what
they mention is needed. (That the what-if answers stay the same on the real KB is tested in
``test_would_change_if.py``.)
"""

from __future__ import annotations

from clingo import ast

from hcc_asp.knowledge.relevance import relevant

PROGRAM = """
answer(X) :- base(X), not blocked(X).
base(1). base(2). blocked(2).
unrelated(X) :- other(X).
other(1).
counted :- #count { X : inside_count(X) } > 0.
inside_count(1).
:- forbidden.
forbidden :- cause.
cause.
pooled(1;2) :- base(1).
#show answer/1.
"""


def kept(roots: set[tuple[str, int]]) -> list[str]:
    statements: list[ast.AST] = []
    ast.parse_string(PROGRAM, statements.append)
    return [str(s) for s in relevant(statements, roots) if s.ast_type != ast.ASTType.Program]


def test_rules_the_question_depends_on_stay_and_the_others_go():
    program = kept({("answer", 1), ("counted", 0)})
    assert "answer(X) :- base(X); not blocked(X)." in program
    assert "blocked(2)." in program  # reached through a negative literal
    assert "inside_count(1)." in program  # reached only inside an aggregate
    assert not any(s.startswith(("unrelated", "other", "pooled")) for s in program)
    assert not any(s.startswith("#show") for s in program)


def test_constraints_stay_with_everything_they_mention():
    program = kept({("answer", 1)})
    assert "#false :- forbidden." in program
    assert "forbidden :- cause." in program and "cause." in program


def test_a_pooled_head_stays_when_one_of_its_atoms_is_needed():
    assert "pooled(1;2) :- base(1)." in kept({("pooled", 1)})
