"""Static checks of names: what the KB uses but never defines or registers (``undefined``).

Predicates used in a rule body that no rule defines and no ``#defined`` declares; edition files the
root file does not include; ``unconfirmed/4`` fields outside the closed vocabulary; regimen ids a
recommendation (or any other fact of an edition) names that the vocabulary does not hold;
recommendation ids an edition's facts name but its ``rec/3`` never states; an edition that
supersedes itself or a supersede cycle. All read the parsed KB and its catalogue, not a solve.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from clingo import Function, String, Symbol, SymbolType
from clingo.ast import ASTSequence, ASTType

from hcc_asp.check.findings import finding
from hcc_asp.knowledge import KnowledgeBase
from hcc_asp.knowledge.catalogue import Catalogue
from hcc_asp.knowledge.folders import ROOT_FILE
from hcc_asp.knowledge.program import INPUTS, Program


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
        finding(
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


def unregistered_files(kb: KnowledgeBase, program: Program) -> list[dict[str, Any]]:
    """Edition files in ``kb/guidelines/`` that the root file does not include (``undefined``).

    Such a file is invisible to every command, so its edition silently does not exist.
    """
    names = {s.location.begin.filename for s in program.statements}  # a few files, many rules
    loaded = {Path(name).resolve() for name in names}
    folder = kb.folder / "guidelines"
    return [
        finding(
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
                finding(
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


def unknown_regimens(
    cat: Catalogue,
    atoms: list[str],
    public: dict[str, str],
    vocabulary: set[str],
    where: dict[Symbol, list[str]],
) -> list[dict[str, Any]]:
    """Regimen ids a recommendation names that the vocabulary does not hold (``undefined``)."""
    findings = []
    for (g, rec_id), rec in sorted(cat.recs.items()):
        if g not in atoms:
            continue
        for regimen in rec["regimens"]:
            if regimen not in vocabulary:
                atom = Function("rec", [Function(g), String(rec_id), Function(regimen)])
                findings.append(
                    finding(
                        "undefined",
                        public[g],
                        [regimen],
                        f"Recommendation {rec_id} names '{regimen}', not a regimen id of the "
                        "vocabulary (kb/vocabulary.lp).",
                        where.get(atom, []),
                    )
                )
    return findings


#: Facts of an edition that name one of its regimens: predicate/arity -> the regimen's position.
REGIMEN_POSITIONS = {
    ("requires_for", 4): 2,
    ("trial_for", 4): 2,
    ("scope_only", 4): 3,
    ("scope_except", 4): 3,
}
#: Facts of an edition that name one of its recommendations (Guideline, Rec, ...).
REC_FACTS = {
    ("requires", 3),
    ("requires_for", 4),
    ("excludes", 3),
    ("qualifies", 4),
    ("evidence", 4),
    ("evidence_label", 3),
    ("trial", 3),
    ("trial_for", 4),
    ("rec_text", 3),
    ("rec_source", 3),
    ("provenance_note", 3),
    ("unconfirmed", 4),
}


def unknown_ids(
    cat: Catalogue,
    atoms: list[str],
    public: dict[str, str],
    vocabulary: set[str],
    where: dict[Symbol, list[str]],
) -> list[dict[str, Any]]:
    """``undefined`` findings for every id an edition's facts name but nobody defines.

    A regimen id outside the vocabulary in ``requires_for/4`` (``ramucirumabb``: the AFP >= 400
    condition silently dropped, ramucirumab offered at AFP 12), ``trial_for/4``, ``scope_only/4``
    or ``scope_except/4``; a recommendation id that the edition's ``rec/3`` never states (in
    ``requires/3``, ``evidence/4``, ``unconfirmed/4`` and the other facts of a recommendation).
    """
    recs = set(cat.recs)
    found: dict[tuple[str, str, str], list[str]] = {}
    texts: dict[tuple[str, str, str], tuple[str, list[str]]] = {}
    for atom, locations in where.items():
        if atom.type != SymbolType.Function or not atom.arguments:
            continue
        signature = (atom.name, len(atom.arguments))
        if signature not in REGIMEN_POSITIONS and signature not in REC_FACTS:
            continue
        guideline = atom.arguments[0]
        if guideline.type != SymbolType.Function or guideline.name not in atoms:
            continue
        g = guideline.name
        position = REGIMEN_POSITIONS.get(signature)
        if position is not None:
            regimen = atom.arguments[position]
            name = regimen.name if regimen.type == SymbolType.Function else str(regimen)
            if regimen.type != SymbolType.Function or name not in vocabulary:
                key = (g, "regimen", name)
                found.setdefault(key, []).extend(locations)
                texts[key] = (
                    f"{atom.name}/{len(atom.arguments)} names '{name}', not a regimen id of the "
                    "vocabulary (kb/vocabulary.lp): the statement applies to no regimen.",
                    [name],
                )
        if signature in REC_FACTS:
            rec = atom.arguments[1]
            rec_id = rec.string if rec.type == SymbolType.String else str(rec)
            if (g, rec_id) not in recs:
                key = (g, "rec", rec_id)
                found.setdefault(key, []).extend(locations)
                texts[key] = (
                    f"{atom.name}/{len(atom.arguments)} names recommendation '{rec_id}', which "
                    f'the edition never states (no rec({g}, "{rec_id}", _)): the statement '
                    "applies to nothing.",
                    [],
                )
    return [
        finding("undefined", public[key[0]], texts[key][1], texts[key][0], sorted(set(found[key])))
        for key in sorted(found)
    ]


def supersede_problems(
    cat: Catalogue, atoms: list[str], public: dict[str, str], where: dict[Symbol, list[str]]
) -> list[dict[str, Any]]:
    """An edition that supersedes itself, a supersede cycle, or a superseded id never declared.

    Each is an ``undefined`` error: which edition is the current one is then not defined.
    """
    known = set(cat.guidelines)
    supersedes = [
        (atom.arguments[0].name, atom.arguments[1].name, locations)
        for atom, locations in sorted(where.items())
        if atom.type == SymbolType.Function
        and atom.match("guideline_supersedes", 2)
        and all(a.type == SymbolType.Function for a in atom.arguments)
        and atom.arguments[0].name in atoms
    ]
    findings = []
    graph: dict[str, set[str]] = {}
    places: dict[str, list[str]] = {}
    for newer, older, locations in supersedes:
        graph.setdefault(newer, set()).add(older)
        places.setdefault(newer, []).extend(locations)
        label = public.get(newer, newer)
        if newer == older:
            findings.append(
                finding(
                    "undefined",
                    label,
                    [],
                    f"guideline_supersedes({newer}, {older}): an edition cannot supersede itself.",
                    sorted(set(locations)),
                )
            )
        elif older not in known:
            findings.append(
                finding(
                    "undefined",
                    label,
                    [],
                    f"guideline_supersedes({newer}, {older}): {older} is not a guideline the "
                    "knowledge base declares (guideline/4).",
                    sorted(set(locations)),
                )
            )
    seen_cycles: set[tuple[str, ...]] = set()
    for start in sorted(graph):
        stack: list[tuple[str, tuple[str, ...]]] = [(start, (start,))]
        while stack:
            node, path = stack.pop()
            for following in sorted(graph.get(node, ())):
                if following == start and len(path) > 1:
                    cycle = tuple(sorted(path))
                    if cycle not in seen_cycles:
                        seen_cycles.add(cycle)
                        circle = " -> ".join((*path, start))
                        locations = sorted({loc for g in path for loc in places.get(g, [])})
                        findings.append(
                            finding(
                                "undefined",
                                public.get(start, start),
                                [],
                                f"guideline_supersedes goes round in a circle ({circle}): "
                                "no edition of them is the current one.",
                                locations,
                            )
                        )
                elif following not in path and following != node:
                    stack.append((following, (*path, following)))
    return findings
