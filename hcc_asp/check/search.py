"""The search: the KB grounded once over the whole patient space, with the finding rules on top.

The patient space (``queries/space.lp``) is generated from the patient schema and the KB's own
thresholds (:func:`space_facts`); ``queries/check.lp`` derives findings from the KB's outputs
only (a black box). :meth:`Space.brave` gives what holds for *some* patient of the space;
:meth:`Space.witness` one such patient. An integrity constraint of the KB is turned into an atom
(:func:`constraints_as_atoms`), so that a patient it removes is found, not silently lost.
"""

from __future__ import annotations

from typing import Any

from clingo import Function, Number, String, Symbol
from clingo.ast import ASTType

from hcc_asp.check.findings import place
from hcc_asp.engine.facts import value_symbol
from hcc_asp.knowledge import KnowledgeBase
from hcc_asp.knowledge.program import add_to
from hcc_asp.knowledge.solving import Context, add_facts, new_control
from hcc_asp.space import enumerated_values, key_domain, schema_keys, sections

MAX_LINES = 3


#: The atom an integrity constraint of the KB derives instead, so that `check` can find a patient
#: for whom the KB has no answer (the ``no_answer`` finding) rather than silently lose that patient.
NO_ANSWER = "_check_no_answer"


#: Internal patient-file keys left out of the space: they cannot move a decision.
NOT_IN_SPACE = ("id", "version")


def space_facts(kb: KnowledgeBase, guideline_atoms: list[str]) -> tuple[list[Symbol], int]:
    """The facts that describe the patient space, and the number of profiles it holds."""
    cat = kb.catalogue
    facts: list[Symbol] = []
    profiles = 1
    for key, annotation in schema_keys().items():
        if key in NOT_IN_SPACE or key.startswith(("prior_therapies", "access")):
            continue
        values = key_domain(key, annotation, kb)
        if not values:
            continue  # list keys are generated below; a numeric key no rule reads has one band
        facts.append(Function("space_key", [String(key)]))
        facts.extend(Function("space_value", [String(key), v]) for v in values)
        facts.extend(Function("key_section", [String(key), String(s)]) for s in sections(key))
        profiles *= len(values) + 1
    etiology = enumerated_values(_list_item(schema_keys()["liver.etiology"])) or []
    facts.extend(
        Function("etiology_value", [value_symbol("liver.etiology", e, kb)]) for e in etiology
    )
    profiles *= 2 ** len(etiology) + 1
    access = sorted(
        {
            a.arguments[0].arguments[0].name
            for a in kb.model_atoms
            if a.match("condition", 1) and a.arguments[0].match("unavailable", 1)
        }
    )
    facts.extend(Function("access_regimen", [Function(r)]) for r in access)
    profiles *= 2 ** len(access) + 1
    # A prior line is a regimen that gives a drug: best supportive care is no line (the patient
    # model refuses it in prior_therapies).
    classes = {r.id: {c for _, c in r.drugs} for r in kb.regimens}
    mentioned = sorted(
        {
            r
            for (g, _), rec in cat.recs.items()
            if g in guideline_atoms
            for r in rec["regimens"]
            if classes.get(r)
        }
    )
    facts.extend(Function("history_regimen", [Function(r)]) for r in mentioned)
    facts.append(Function("max_lines", [Number(MAX_LINES)]))
    per_line = sum(
        3 if r == "sorafenib" or "immune_checkpoint_inhibitor" in classes.get(r, set()) else 1
        for r in mentioned
    )
    profiles *= 1 + sum(per_line**n for n in range(MAX_LINES + 1))
    return facts, profiles


def _list_item(annotation: Any) -> Any:
    args = getattr(annotation, "__args__", ())
    return args[0] if args else annotation


def constraints_as_atoms(statements: list[Any]) -> list[Any]:
    """The statements with each integrity constraint ``:- Body.`` turned into a rule.

    The rule derives ``_check_no_answer("kb/file:line")`` from the same body, so the patients a
    constraint removes stay in the space and one of them becomes the witness of ``no_answer``. The
    KB states contradictions as ``input_conflict/3``, never as a constraint: any constraint that
    a patient of the space can violate leaves that patient without an answer.
    """
    from clingo import ast

    rewritten = []
    for statement in statements:
        head: Any = getattr(statement, "head", None)
        if (
            statement.ast_type == ASTType.Rule
            and head.ast_type == ASTType.Literal
            and head.atom.ast_type == ASTType.BooleanConstant
            and not head.atom.value
        ):
            loc = statement.location
            where = place(loc.begin.filename, loc.begin.line)
            term = ast.Function(loc, NO_ANSWER, [ast.SymbolicTerm(loc, String(where))], False)
            literal = ast.Literal(loc, ast.Sign.NoSign, ast.SymbolicAtom(term))
            rewritten.append(ast.Rule(loc, literal, statement.body))
        else:
            rewritten.append(statement)
    return rewritten


class Space:
    """The KB grounded over the whole patient space, with the finding rules on top."""

    def __init__(
        self, kb: KnowledgeBase, guideline_atoms: list[str], include_drafts: bool = False
    ) -> None:
        """Ground once; the same Control answers the brave query and every witness query.

        Draft editions take part in cross-guideline findings only with ``include_drafts``.
        """
        self.kb = kb
        facts, self.profiles = space_facts(kb, guideline_atoms)
        self.ctl = new_control(["--warn=none", "0"])
        program = kb.program
        statements = program.only(program.statements, guideline_atoms)
        add_to(self.ctl, constraints_as_atoms(statements))
        self.ctl.add("base", [], f"#show {NO_ANSWER}/1.")
        self.ctl.load(str(kb.queries / "space.lp"))
        self.ctl.load(str(kb.queries / "check.lp"))
        add_facts(self.ctl, [*facts, *([Function("include_drafts")] if include_drafts else [])])
        self.ctl.ground([("base", [])], context=Context())
        self._witnesses: dict[Symbol, list[Symbol]] = {}
        #: every input atom of the ground space: a witness is the ones its model contains
        self._inputs = [
            entry.symbol
            for signature in (("value", 2), ("given", 1), ("prior", 3), ("prior_line", 1))
            for entry in self.ctl.symbolic_atoms.by_signature(*signature)
        ]
        #: the ground atoms of the KB's integrity constraints: assumed false for every query but
        #: the no_answer one, so the other findings see only patients that have an answer
        self.no_answer = sorted(
            entry.symbol for entry in self.ctl.symbolic_atoms.by_signature(NO_ANSWER, 1)
        )

    def brave(self) -> set[Symbol]:
        """Atoms (shown by check.lp) that hold for at least one patient of the space."""
        solve: Any = self.ctl.configuration.solve
        solve.enum_mode = "brave"
        result: set[Symbol] = set()
        excluded = [(a, False) for a in self.no_answer]
        with self.ctl.solve(assumptions=excluded, yield_=True) as handle:
            for _model in handle:
                pass  # each model only narrows the consequences: read the last one alone
            last = handle.last()
            if last is not None:
                result = set(last.symbols(shown=True))
        solve.enum_mode = "auto"
        return result

    def witness(self, atom: Symbol) -> list[Symbol] | None:
        """A patient of the space for whom atom holds (its input atoms), or None.

        Every shown atom of the model found is remembered with the same patient, so one solve
        serves all the findings that patient shows (queried in sorted order: deterministic).
        """
        if atom in self._witnesses:
            return self._witnesses[atom]
        literal = self.ctl.symbolic_atoms[atom]
        if literal is None:
            return None
        solve: Any = self.ctl.configuration.solve
        solve.models = 1
        found: list[Symbol] | None = None
        excluded = [(a, False) for a in self.no_answer if a != atom]
        with self.ctl.solve(assumptions=[(atom, True), *excluded], yield_=True) as handle:
            for model in handle:
                found = [a for a in self._inputs if model.contains(a)]
                if atom in self.no_answer:
                    self._witnesses[atom] = found  # not a patient the other findings may use
                    break
                for shown in model.symbols(shown=True):
                    self._witnesses.setdefault(shown, found)
                break
        solve.models = 0
        return found
