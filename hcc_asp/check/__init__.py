"""`check`: consistency of the knowledge base over every possible patient.

The patient space (``queries/space.lp``) is generated from the patient schema and the KB's own
thresholds; ``queries/check.lp`` derives findings from the KB's outputs only (a black box). One
clingo call computes the brave consequences (what holds for *some* patient of the space): every
finding that exists, every recommendation that can be met, every condition that can be decided.
Then one call per finding, with the finding atom as an assumption, gives a witness patient, written
out as a complete patient file. Static checks (predicates used but never defined, regimen ids
outside the vocabulary) and provenance checks (unconfirmed or missing source, id or grading) read
the parsed KB and its catalogue.
"""

from __future__ import annotations

import copy
import json
import math
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import clingo
from clingo import Function, Number, String, Symbol
from clingo.ast import ASTSequence, ASTType

from hcc_asp.engine import Catalogue, Context, add_facts, catalogue, new_control
from hcc_asp.facts import plain_value, value_symbol
from hcc_asp.program import INPUTS, Program, add_to, is_fired, parse
from hcc_asp.recommend import (
    UnknownGuidelineError,
    condition_label,
    regimen_entries,
    resolve_guideline,
    solve_patient,
)
from hcc_asp.resources import ROOT_FILE, kb_dir, queries_dir
from hcc_asp.space import enumerated_values, key_domain, schema_keys, sections
from hcc_asp.vocabulary import regimens

MAX_LINES = 3
SEVERITY = {
    "conflict": "error",
    "dead_rule": "error",
    "undefined": "error",
    "no_answer": "error",
    "declaration": "error",
    "gap": "warning",
    "tension": "warning",
    "provenance": "warning",
    "disagreement": "info",
    "edition_change": "info",
    "coverage": "info",
    "scope": "warning",
}
#: The atom an integrity constraint of the KB derives instead, so that `check` can find a patient
#: for whom the KB has no answer (the ``no_answer`` finding) rather than silently lose that patient.
NO_ANSWER = "_check_no_answer"
#: The values of each scope dimension an edition declares (kb/scope.lp), in words.
SCOPE_VALUES = {"line": "1-4", "child_pugh": "A, B, C", "ecog": "0-4"}
#: Findings between guidelines: only when every guideline is checked (`--guideline all`).
ACROSS = ("disagreement", "edition_change", "coverage")
#: The findings between guidelines whose text says why the witness gets each answer.
EXPLAINED_ACROSS = ("disagreement", "edition_change")
#: Internal patient-file keys left out of the space: they cannot move a decision.
NOT_IN_SPACE = ("id", "version")


def space_facts(kb: Path | None, guideline_atoms: list[str]) -> tuple[list[Symbol], int]:
    """The facts that describe the patient space, and the number of profiles it holds."""
    cat = catalogue(kb)
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
            for a in cat.atoms
            if a.match("condition", 1) and a.arguments[0].match("unavailable", 1)
        }
    )
    facts.extend(Function("access_regimen", [Function(r)]) for r in access)
    profiles *= 2 ** len(access) + 1
    # A prior line is a regimen that gives a drug: best supportive care is no line (the patient
    # model refuses it in prior_therapies).
    classes = {r.id: {c for _, c in r.drugs} for r in regimens(kb)}
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


# static checks ---------------------------------------------------------------------------------


def _body_atoms(node: Any, out: list[Any]) -> None:
    """Collect every symbolic atom under an AST node (literals, aggregates, conditions).

    Aggregate elements and conditions arrive as clingo's ``ASTSequence`` (not a list): they are
    walked too, so a predicate used only inside ``#count { ... }`` is seen.
    """
    if hasattr(node, "ast_type") and node.ast_type == ASTType.SymbolicAtom:
        out.append(node.symbol)
        return
    if hasattr(node, "child_keys"):
        for key in node.child_keys:
            child = getattr(node, key)
            for item in child if isinstance(child, list | tuple | ASTSequence) else [child]:
                _body_atoms(item, out)


def _head_atoms(head: Any) -> tuple[list[Any], list[Any]]:
    """The atoms a rule head defines, and those its element conditions only use."""
    defined: list[Any] = []
    used: list[Any] = []
    if head.ast_type in (ASTType.Aggregate, ASTType.Disjunction):  # { a : b }, a ; b
        for element in head.elements:
            _body_atoms(element.literal, defined)
            for condition in element.condition:
                _body_atoms(condition, used)
    elif head.ast_type == ASTType.HeadAggregate:  # #sum { w : a : b }
        for element in head.elements:
            _body_atoms(element.condition.literal, defined)
            for condition in element.condition.condition:
                _body_atoms(condition, used)
    else:
        _body_atoms(head, defined)
    return defined, used


def undefined_predicates(
    program: Program, extra_defined: set[tuple[str, int]]
) -> list[dict[str, Any]]:
    """Predicates used in a rule body that no rule defines and no #defined declares."""
    defined: set[tuple[str, int]] = set(INPUTS) | extra_defined
    by_line: dict[int, list[Any]] = defaultdict(list)
    for info in program.rules.values():
        by_line[info.line].append(info)
    uses: list[tuple[tuple[str, int], str]] = []
    for statement in program.statements:
        if statement.ast_type == ASTType.Defined:
            defined.add((statement.name, statement.arity))
        if statement.ast_type != ASTType.Rule:
            continue
        heads, atoms = _head_atoms(statement.head)
        while any(h.ast_type == ASTType.Pool for h in heads):
            heads = [a for h in heads for a in (h.arguments if h.ast_type == ASTType.Pool else [h])]
        for head in heads:
            if head.ast_type == ASTType.Function:
                defined.add((head.name, len(head.arguments)))
            elif head.ast_type == ASTType.SymbolicTerm:
                defined.add((str(head.symbol), 0))
        for literal in statement.body:
            _body_atoms(literal, atoms)
        begin = statement.location.begin
        where = _location(begin.filename, begin.line, by_line)
        for atom in atoms:
            if atom.ast_type == ASTType.Function and not atom.external:
                uses.append(((atom.name, len(atom.arguments)), where))
    findings: dict[tuple[str, int], list[str]] = defaultdict(list)
    for signature, where in uses:
        if signature not in defined:
            findings[signature].append(where)
    return [
        _finding(
            "undefined",
            None,
            [],
            f"Predicate {name}/{arity} is used in a rule body but no rule defines it "
            "(a misspelling?): every rule using it can never fire.",
            sorted(set(where)),
        )
        for (name, arity), where in sorted(findings.items())
    ]


def _location(filename: str, line: int, by_line: dict[int, list[Any]]) -> str:
    """The rule id of the statement at ``filename:line`` (``by_line``: rule infos by line)."""
    for info in by_line.get(line, ()):
        if filename.endswith(info.file):
            return f"kb/{info.id}"
    return f"kb/{Path(filename).name}:{line}"


def _finding(
    kind: str,
    guideline: str | None,
    regimens_: list[str],
    text: str,
    rules: list[str],
    witness: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "severity": SEVERITY[kind],
        "kind": kind,
        "text": text,
        "guideline": guideline,
        "regimens": regimens_,
        "rules": rules,
        "witness": witness,
    }


def unregistered_files(kb: Path | None, program: Program) -> list[dict[str, Any]]:
    """Edition files in ``kb/guidelines/`` that the root file does not include (``undefined``).

    Such a file is invisible to every command, so its edition silently does not exist.
    """
    names = {s.location.begin.filename for s in program.statements}  # a few files, many rules
    loaded = {Path(name).resolve() for name in names}
    folder = kb_dir(kb) / "guidelines"
    return [
        _finding(
            "undefined",
            None,
            [],
            f"kb/guidelines/{path.name} is not included by kb/{ROOT_FILE}: no command sees it. "
            f'Register it with #include "guidelines/{path.name}". (kb/README.md).',
            [f"kb/guidelines/{path.name}:1"],
        )
        for path in sorted(folder.glob("*.lp"))
        if path.resolve() not in loaded
    ]


def unknown_unconfirmed_fields(
    cat: Catalogue, atoms: list[str], public: dict[str, str], where: dict[Symbol, list[str]]
) -> list[dict[str, Any]]:
    """``unconfirmed/4`` facts whose field is outside the closed vocabulary (``undefined``).

    The vocabulary is ``unconfirmed_field/2`` (``kb/catalogue.lp``) plus the edition's own
    grading keys; a misspelled field would otherwise pass as a new kind of gap in the sources.
    """
    found = []
    for (g, rec_id), rec in sorted(cat.recs.items()):
        if g not in atoms:
            continue
        allowed = set(cat.unconfirmed_fields) | set(cat.guidelines[g].get("grading_keys") or ())
        for field in sorted(set(rec.get("unconfirmed", {})) - allowed):
            rules = sorted(
                {
                    loc
                    for atom, locs in where.items()
                    if atom.match("unconfirmed", 4)
                    and atom.arguments[:3] == [Function(g), String(rec_id), Function(field)]
                    for loc in locs
                }
            )
            found.append(
                _finding(
                    "undefined",
                    public[g],
                    sorted(rec["regimens"]),
                    f"Recommendation {rec_id}: unconfirmed field '{field}' is not in the closed "
                    "vocabulary (unconfirmed_field/2 in kb/catalogue.lp, or a grading key of the "
                    "guideline): use one of " + ", ".join(sorted(allowed)) + ".",
                    rules,
                )
            )
    return found


# locations of KB facts -------------------------------------------------------------------------


def fact_locations(kb: Path | None) -> dict[Symbol, list[str]]:
    """Map every ground atom the KB states as a fact (or derives without a patient) to its rules."""
    program = parse(kb)
    ctl = new_control(["--warn=none"])
    add_to(ctl, program.explained)
    ctl.ground([("base", [])], context=Context())
    where: dict[Symbol, list[str]] = defaultdict(list)
    with ctl.solve(yield_=True) as handle:
        for model in handle:
            for atom in model.symbols(atoms=True):
                if is_fired(atom):
                    where[atom.arguments[1]].append(f"kb/{atom.arguments[0].string}")
    return where


class FactIndex:
    """The KB's fact locations, indexed once for the lookups each finding makes."""

    def __init__(self, where: dict[Symbol, list[str]]) -> None:
        """Group the locations of ``rec/3`` by (guideline, regimen) and of condition users."""
        self.where = where
        self.rec_rules: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.condition_users: dict[Symbol, list[str]] = defaultdict(list)
        users = ("requires", "requires_for", "excludes", "contraindication", "caution")
        for atom, locs in where.items():
            if atom.type != clingo.SymbolType.Function:
                continue
            name, arguments = atom.name, atom.arguments
            if name == "rec" and len(arguments) == 3 and atom.positive:
                self.rec_rules[(arguments[0].name, arguments[2].name)].extend(locs)
            elif name in users:
                for argument in set(arguments):
                    self.condition_users[argument].extend(locs)


# the search ------------------------------------------------------------------------------------


class Space:
    """The KB grounded over the whole patient space, with the finding rules on top."""

    def __init__(
        self, kb: Path | None, guideline_atoms: list[str], include_drafts: bool = False
    ) -> None:
        """Ground once; the same Control answers the brave query and every witness query.

        Draft editions take part in cross-guideline findings only with ``include_drafts``.
        """
        self.kb = kb
        facts, self.profiles = space_facts(kb, guideline_atoms)
        self.ctl = new_control(["--warn=none", "0"])
        program = parse(kb)
        statements = program.only(program.statements, guideline_atoms)
        add_to(self.ctl, constraints_as_atoms(statements))
        self.ctl.add("base", [], f"#show {NO_ANSWER}/1.")
        self.ctl.load(str(queries_dir() / "space.lp"))
        self.ctl.load(str(queries_dir() / "check.lp"))
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


def _place(filename: str, line: int) -> str:
    """``kb/<file>:<line>`` of a statement (``kb/guidelines/<file>`` for an edition's file)."""
    path = Path(filename)
    folder = "guidelines/" if path.parent.name == "guidelines" else ""
    return f"kb/{folder}{path.name}:{line}"


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
            where = _place(loc.begin.filename, loc.begin.line)
            term = ast.Function(loc, NO_ANSWER, [ast.SymbolicTerm(loc, String(where))], False)
            literal = ast.Literal(loc, ast.Sign.NoSign, ast.SymbolicAtom(term))
            rewritten.append(ast.Rule(loc, literal, statement.body))
        else:
            rewritten.append(statement)
    return rewritten


def guideline_declarations(program: Program) -> list[dict[str, Any]]:
    """``guideline/4`` facts that break the one-guideline-one-file layout (``declaration`` errors).

    A public id declared twice (``recommend`` and ``check`` resolve it to one of them), a guideline
    atom declared twice, a declaration outside ``kb/guidelines/`` (the per-guideline filter then
    drops that shared file for every other guideline, so their answers lose its rules), or two
    guidelines declared in one file.
    """
    by_id: dict[str, list[tuple[str, str]]] = defaultdict(list)
    by_atom: dict[str, list[str]] = defaultdict(list)
    by_file: dict[str, list[str]] = defaultdict(list)
    findings: list[dict[str, Any]] = []
    for statement in program.statements:
        if statement.ast_type != ASTType.Rule or len(statement.body) != 0:
            continue
        head = statement.head
        if head.ast_type != ASTType.Literal or head.atom.ast_type != ASTType.SymbolicAtom:
            continue
        term = head.atom.symbol
        if (
            term.ast_type != ASTType.Function
            or term.name != "guideline"
            or len(term.arguments) != 4
        ):
            continue
        atom_term, id_term = term.arguments[0], term.arguments[1]
        if atom_term.ast_type != ASTType.SymbolicTerm or id_term.ast_type != ASTType.SymbolicTerm:
            continue
        atom, public = str(atom_term.symbol), str(id_term.symbol).strip('"')
        begin = statement.location.begin
        where = _place(begin.filename, begin.line)
        by_id[public].append((atom, where))
        by_atom[atom].append(where)
        by_file[begin.filename].append(atom)
        if Path(begin.filename).parent.name != "guidelines":
            findings.append(
                _finding(
                    "declaration",
                    public,
                    [],
                    f"Guideline {atom} ('{public}') is declared at {where}, outside "
                    "kb/guidelines/: answers for one guideline drop the files of the others, so "
                    "this shared file would be dropped for every other guideline. Declare each "
                    "guideline in its own file under kb/guidelines/.",
                    [where],
                )
            )
    for public, entries in sorted(by_id.items()):
        if len({atom for atom, _ in entries}) > 1:
            findings.append(
                _finding(
                    "declaration",
                    public,
                    [],
                    f"Guideline id '{public}' is declared by "
                    + " and ".join(f"{atom} ({where})" for atom, where in entries)
                    + ": an id must name one guideline (recommend and check would use only one).",
                    [where for _, where in entries],
                )
            )
    for atom, places in sorted(by_atom.items()):
        if len(places) > 1:
            findings.append(
                _finding(
                    "declaration",
                    None,
                    [],
                    f"Guideline {atom} is declared {len(places)} times: " + ", ".join(places) + ".",
                    places,
                )
            )
    for filename, atoms_ in sorted(by_file.items()):
        if len(set(atoms_)) > 1:
            findings.append(
                _finding(
                    "declaration",
                    None,
                    [],
                    f"{Path(filename).name} declares {len(set(atoms_))} guidelines "
                    f"({', '.join(sorted(set(atoms_)))}): one file per guideline.",
                    [],
                )
            )
    return findings


def witness_file(atoms: list[Symbol], kb: Path | None, name: str) -> dict[str, Any]:
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


def check(
    guideline: str = "all", kb: Path | None = None, include_drafts: bool = False
) -> dict[str, Any]:
    """Return the `check --format json` document (spec/cli.md).

    Draft editions (``guideline_draft/2``) are checked like any other, but take part in the
    findings across guidelines (``--guideline all``) only with ``include_drafts``.
    """
    started = time.perf_counter()
    cat = catalogue(kb)
    if guideline == "all":
        atoms = sorted(cat.guidelines)
    elif guideline in cat.guideline_atom:
        atoms = [cat.guideline_atom[guideline]]
    else:  # the same words as recommend: unknown, or known but not encoded
        resolve_guideline(guideline, kb)
        raise UnknownGuidelineError(f"unknown guideline '{guideline}'")
    public = {a: str(cat.guidelines[a]["id"]) for a in atoms}
    program = parse(kb)
    where = fact_locations(kb)
    located = FactIndex(where)
    findings: list[dict[str, Any]] = []

    # static: predicates never defined; regimen ids outside the vocabulary
    findings.extend(undefined_predicates(program, {("trial_required", 2), ("evidence_trial", 2)}))
    findings.extend(unregistered_files(kb, program))
    vocabulary = {r.id for r in regimens(kb)}
    for (g, rec_id), rec in sorted(cat.recs.items()):
        if g not in atoms:
            continue
        for regimen in rec["regimens"]:
            if regimen not in vocabulary:
                atom = Function("rec", [Function(g), String(rec_id), Function(regimen)])
                findings.append(
                    _finding(
                        "undefined",
                        public[g],
                        [regimen],
                        f"Recommendation {rec_id} names '{regimen}', not a regimen id of the "
                        "vocabulary (kb/vocabulary.lp).",
                        where.get(atom, []),
                    )
                )

    findings.extend(unknown_unconfirmed_fields(cat, atoms, public, where))
    findings.extend(guideline_declarations(program))

    space = Space(kb, atoms, include_drafts)
    brave = space.brave()

    files: dict[int, dict[str, Any]] = {}  # one patient file per witness, renamed per finding

    def witness_for(atom: Symbol, name: str) -> dict[str, Any] | None:
        found = space.witness(atom)
        if found is None:
            return None
        if id(found) not in files:
            files[id(found)] = witness_file(found, kb, name)
        return {**copy.deepcopy(files[id(found)]), "id": name}

    # patients the KB has no answer for: an integrity constraint removes them
    for index, atom in enumerate(space.no_answer):
        witness = witness_for(atom, f"check-no_answer-{index + 1}")
        if witness is None:
            continue  # no patient of the space violates this constraint
        where_ = atom.arguments[0].string
        findings.append(
            _finding(
                "no_answer",
                None,
                [],
                f"The knowledge base has no answer for some patients (the witness is one): the "
                f"integrity constraint at {where_} removes every patient it matches, so "
                "recommend, explain and compare end with exit 2 for them. State a contradiction "
                "of the patient's values as input_conflict/3, not as a constraint.",
                [where_],
                witness,
            )
        )

    # black-box findings, one per group, each with a witness
    answers: dict[str, Any] = {}
    groups: dict[tuple[Any, ...], Symbol] = {}
    for atom in sorted(brave):
        if not atom.match("finding", 4):
            continue
        kind_s, g_s, regimen_s, detail_s = atom.arguments
        if g_s.name not in atoms or (kind_s.name in ACROSS and guideline != "all"):
            continue
        groups.setdefault((kind_s.name, g_s.name, regimen_s.name, str(detail_s)), atom)
    grouped = []
    needed: dict[str, set[str]] = {}  # witness -> the guidelines its cross findings ask about
    for index, ((kind, g, regimen, _), atom) in enumerate(sorted(groups.items())):
        detail = atom.arguments[3]
        witness = witness_for(atom, f"check-{kind}-{index + 1}")
        key = None
        if kind in EXPLAINED_ACROSS and witness is not None:
            key = _witness_key(witness)
            needed.setdefault(key, set()).update(_across(kind, g, detail))
        grouped.append((kind, g, regimen, detail, witness, key))
    for kind, g, regimen, detail, witness, key in grouped:
        text, rules = _describe(kind, g, regimen, detail, cat, located, public)
        if witness is not None and key is not None:
            text += _why_across(kind, g, regimen, detail, witness, key, kb, public, answers, needed)
        regimens_ = [] if regimen == "none" else [regimen]
        findings.append(_finding(kind, public[g], regimens_, text, rules, witness))

    # dead rules: recommendations no patient of the space can meet
    for (g, rec_id), rec in sorted(cat.recs.items()):
        if g not in atoms:
            continue
        for regimen in rec["regimens"]:
            met = Function(
                "rec_outcome", [Function(g), String(rec_id), Function(regimen), Function("met")]
            )
            if met not in brave and regimen in vocabulary:
                atom = Function("rec", [Function(g), String(rec_id), Function(regimen)])
                findings.append(
                    _finding(
                        "dead_rule",
                        public[g],
                        [regimen],
                        f"Recommendation {rec_id} for {regimen} is met by no patient of the space: "
                        "its conditions contradict each other or can never be decided.",
                        where.get(atom, []),
                    )
                )

    # conditions that no patient of the space can decide (misspelled or never defined)
    decided = {a.arguments[0] for a in brave if a.match("holds", 1) or a.match("fails", 1)}
    decided |= {a.arguments[0] for a in brave if a.match("pending", 2)}
    for atom in sorted(a for a in brave if a.match("condition", 1)):
        condition = atom.arguments[0]
        if condition not in decided:
            users = located.condition_users.get(condition, [])
            findings.append(
                _finding(
                    "undefined",
                    None,
                    [],
                    f"Condition {condition} is used but no rule ever decides it (no holds/fails "
                    "rule matches it): it stays unknown for every patient.",
                    sorted(set(users)),
                )
            )

    # provenance: what the sources did not confirm, or what is missing
    for (g, rec_id), rec in sorted(cat.recs.items()):
        if g not in atoms:
            continue
        problems = []
        for part in cat.guidelines[g].get("grading_keys") or ("type", "quality", "strength"):
            value = rec["evidence"].get(part)
            if not value:
                problems.append(f"no evidence {part}")
            elif "unconfirmed" in value:
                problems.append(f"evidence {part} unconfirmed")
        if not rec.get("source"):
            problems.append("no source")
        for what, text in sorted(rec.get("unconfirmed", {}).items()):
            problems.append(f"{what} unconfirmed ({text})")
        if not problems:
            continue
        regimens_ = sorted(rec["regimens"])
        first_met = next(
            (
                Function("rec_outcome", [Function(g), String(rec_id), Function(r), Function("met")])
                for r in regimens_
                if Function(
                    "rec_outcome", [Function(g), String(rec_id), Function(r), Function("met")]
                )
                in brave
            ),
            None,
        )
        rules = sorted(
            {
                loc
                for r in regimens_
                for loc in where.get(
                    Function("rec", [Function(g), String(rec_id), Function(r)]), []
                )
            }
        )
        findings.append(
            _finding(
                "provenance",
                public[g],
                regimens_,
                f"Recommendation {rec_id}: " + "; ".join(problems) + ".",
                rules,
                witness_for(first_met, f"check-provenance-{rec_id}")
                if first_met is not None
                else None,
            )
        )
    for code, statement in sorted(cat.safety.items()):
        if statement.get("unconfirmed") or not statement.get("source"):
            atom = Function(
                str(statement["severity"]),
                [
                    Function(code),
                    clingo.parse_term(str(statement["target"])),
                    statement["condition"],
                ],
            )
            # A witness shows the statement for a regimen a checked guideline mentions; a
            # statement that concerns none of them (e.g. durvalumab + tremelimumab's HIMALAYA
            # exclusions under asco-2020) is not reported for them.
            shown = [Function("safety_shown", [Function(g), Function(code)]) for g in atoms]
            holds = next((a for a in shown if a in brave), None)
            if holds is None:
                continue
            findings.append(
                _finding(
                    "provenance",
                    None,
                    [],
                    f"{statement['severity'].capitalize()} {code}: "
                    + (
                        f"unconfirmed: {statement['unconfirmed']}."
                        if statement.get("unconfirmed")
                        else "no source."
                    ),
                    where.get(atom, []),
                    witness_for(holds, f"check-provenance-{code}"),
                )
            )

    order = {"error": 0, "warning": 1, "info": 2}
    findings.sort(key=lambda f: (order[f["severity"]], f["kind"], f["guideline"] or "", f["text"]))
    return {
        "format": 1,
        "guidelines": [public[a] for a in atoms],
        "findings": findings,
        "checked": {
            "patient_profiles": space.profiles,
            "seconds": round(time.perf_counter() - started, 2),
        },
    }


def _witness_key(witness: dict[str, Any]) -> str:
    """The witness's values (not its id): many cross findings share one witness patient."""
    return json.dumps({k: v for k, v in witness.items() if k != "id"}, sort_keys=True)


def _across(kind: str, g: str, detail: Symbol) -> tuple[str, ...]:
    """The guidelines whose reasons a cross finding gives: the other one, or both editions."""
    other = str(detail.arguments[0].name)
    return (g, other) if kind == "edition_change" else (other,)


def _why_across(
    kind: str,
    g: str,
    regimen: str,
    detail: Symbol,
    witness: dict[str, Any],
    key: str,
    kb: Path | None,
    public: dict[str, str],
    answers: dict[str, Any],
    needed: dict[str, set[str]],
) -> str:
    """Why the witness gets its answers: the main reason under the guideline that does not offer.

    For a disagreement that is the other guideline; for an edition change, whichever edition does
    not offer the regimen (both, when neither does). ``answers`` keeps the witnesses solved in
    this check run, by ``key`` (``_witness_key``): many cross findings share one witness, solved
    once over the guidelines all of them ask about (``needed``), not over every guideline (a
    guideline's answers do not depend on the other guidelines' files).
    """
    from hcc_asp.patient import patient_from_data
    from hcc_asp.render import main_reason

    if key not in answers:
        patient = patient_from_data(witness, "witness")
        answers[key] = (solve_patient(patient, kb, guidelines=sorted(needed[key])), {})
    answer, entries = answers[key]
    reasons = []
    for atom in _across(kind, g, detail):
        if atom not in entries:
            entries[atom] = {e["regimen"]: e for e in regimen_entries(answer, atom, kb)}
        entry = entries[atom].get(regimen)
        if entry is not None and entry["status"] in ("not_recommended", "contraindicated"):
            reasons.append(f"{public.get(atom, atom)}: {main_reason(entry).rstrip('.')}")
    return (" Why: " + "; ".join(reasons) + ".") if reasons else ""


def _describe(
    kind: str,
    g: str,
    regimen: str,
    detail: Symbol,
    cat: Any,
    located: FactIndex,
    public: dict[str, str],
) -> tuple[str, list[str]]:
    """One plain sentence for a black-box finding, and the KB rules involved."""
    where = located.where
    name = public[g]
    if kind == "conflict":
        if detail.match("statuses", 2):
            text = (
                f"{regimen} gets two statuses under {name} for one patient: "
                f"{detail.arguments[0].name} and {detail.arguments[1].name}."
            )
        elif detail.match("contraindication", 1):
            text = (
                f"{regimen} is offered under {name} to a patient for whom contraindication "
                f"{detail.arguments[0].name} holds."
            )
        else:
            text = (
                f"{regimen} is recommended under {name} though none of its recommendations is met."
            )
        return text, sorted(set(located.rec_rules.get((g, regimen), [])))
    if kind == "disagreement":
        other = public.get(detail.arguments[0].name, detail.arguments[0].name)
        how = "does not offer it" if detail.match("not_offered_by", 1) else "never mentions it"
        return (
            f"{name} offers {regimen} to a patient for whom {other} {how}.",
            sorted(
                set(located.rec_rules.get((g, regimen), []))
                | set(located.rec_rules.get((detail.arguments[0].name, regimen), []))
            ),
        )
    if kind == "scope":
        if detail.match("undeclared", 1):
            dimension = detail.arguments[0].name
            text = (
                f"{name} does not declare its scope for every value of {dimension} "
                f"({SCOPE_VALUES.get(dimension, '')}): what it does not offer there reads as its "
                "verdict. Add scope/4 facts (kb/scope.lp; encoded, no_recommendation, partial or "
                "not_encoded)."
            )
        elif detail.match("no_note", 2):
            dimension, value = (str(term) for term in detail.arguments)
            text = (
                f"{name} is not fully encoded for {dimension} {value} but names no scope_note/4 "
                "there: the patient would not be told."
            )
        else:
            dimension, value = (str(term) for term in detail.arguments)
            text = (
                f"{name} is partial for {dimension} {value} but lists neither scope_only/4 nor "
                "scope_except/4."
            )
        return text, []
    if kind == "coverage":
        if detail.match("not_encoded_by", 1):
            other = public.get(detail.arguments[0].name, detail.arguments[0].name)
            text = (
                f"{name} offers {regimen} to a patient for whom {other} is not encoded (its "
                "statements for this patient's situation are not in the KB): a difference of "
                "coverage, not a disagreement."
            )
        else:
            gap, offering = (public.get(a.name, a.name) for a in detail.arguments[:2])
            line = detail.arguments[-1].number
            text = (
                f"At line {line}, {offering} offers {regimen} where {gap} is not encoded for the "
                "patient: what changed between the two editions is not known."
            )
        return text, sorted(set(located.rec_rules.get((g, regimen), [])))
    if kind == "edition_change":
        old = public.get(detail.arguments[0].name, detail.arguments[0].name)
        line = detail.arguments[-1].number
        if detail.match("changed", 4):
            was, now = detail.arguments[1].name, detail.arguments[2].name
            text = f"At line {line}, {regimen} was {was} under {old} and is {now} under {name}."
        elif detail.match("added", 3):
            text = (
                f"At line {line}, {name} makes {regimen} {detail.arguments[1].name}; "
                f"{old} never mentioned it."
            )
        else:
            text = (
                f"At line {line}, {old} made {regimen} {detail.arguments[1].name}; "
                f"{name} no longer mentions it."
            )
        return text, []
    if kind == "gap":
        line = detail.arguments[0].number
        return (
            f"A patient in the systemic setting at line {line}, with liver function and "
            f"performance status known, gets nothing from {name}: no regimen offered, none "
            "contraindicated, and "
            "no statement of silence.",
            [],
        )
    rec_id, trial, condition = detail.arguments
    label = condition_label(cat, condition)
    text = (
        f"{name} recommendation {rec_id.string} offers {regimen} to patients without "
        f"'{label}', which {trial.string} (the trial behind {regimen}) required."
    )
    rules = where.get(Function("rec", [Function(g), rec_id, Function(regimen)]), [])
    rules = rules + where.get(Function("trial_required", [trial, condition]), [])
    return text, sorted(set(rules))


def profiles_text(count: int) -> str:
    """A profile count in words (e.g. 3.1e12)."""
    return f"{count:,}" if count < 10**7 else f"{count:.2e} (10^{int(math.log10(count))})"
