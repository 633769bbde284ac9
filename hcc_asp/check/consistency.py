"""Findings within one guideline, from the search over the patient space.

Conflicts (two statuses, offered though contraindicated), tensions (a recommendation offered to
patients its trial excluded), gaps (a patient who gets nothing), scope declarations, dead rules
(a recommendation no patient can meet), conditions no rule decides, and patients the KB has no
answer for (an integrity constraint removes them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clingo import Function, String, Symbol

from hcc_asp.check.findings import finding
from hcc_asp.check.locations import FactIndex
from hcc_asp.engine.decode import condition
from hcc_asp.knowledge.catalogue import Catalogue

#: The values of each scope dimension an edition declares (kb/scope.lp), in words.
SCOPE_VALUES = {"line": "1-4", "child_pugh": "A, B, C", "ecog": "0-4"}

#: A witness finder: the patient file of a patient for whom an atom holds, named, or None.
WitnessFor = Callable[[Symbol, str], "dict[str, Any] | None"]


def describe_within(
    kind: str,
    g: str,
    regimen: str,
    detail: Symbol,
    cat: Any,
    located: FactIndex,
    public: dict[str, str],
) -> tuple[str, list[str]]:
    """One plain sentence for a black-box finding of one guideline, and the KB rules involved."""
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
    if kind == "gap":
        line = detail.arguments[0].number
        return (
            f"A patient in the systemic setting at line {line}, with liver function and "
            f"performance status known, gets nothing from {name}: no regimen offered, none "
            "contraindicated, and "
            "no statement of silence.",
            [],
        )
    rec_id, trial, term = detail.arguments
    label = condition(cat, term).label
    text = (
        f"{name} recommendation {rec_id.string} offers {regimen} to patients without "
        f"'{label}', which {trial.string} (the trial behind {regimen}) required."
    )
    rules = where.get(Function("rec", [Function(g), rec_id, Function(regimen)]), [])
    rules = rules + where.get(Function("trial_required", [trial, term]), [])
    return text, sorted(set(rules))


def no_answer_findings(no_answer: list[Symbol], witness_for: WitnessFor) -> list[dict[str, Any]]:
    """Patients the KB has no answer for: an integrity constraint removes them (``no_answer``)."""
    findings = []
    for index, atom in enumerate(no_answer):
        witness = witness_for(atom, f"check-no_answer-{index + 1}")
        if witness is None:
            continue  # no patient of the space violates this constraint
        where_ = atom.arguments[0].string
        findings.append(
            finding(
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
    return findings


def dead_rules(
    cat: Catalogue,
    atoms: list[str],
    public: dict[str, str],
    brave: set[Symbol],
    vocabulary: set[str],
    where: dict[Symbol, list[str]],
) -> list[dict[str, Any]]:
    """Recommendations no patient of the space can meet (``dead_rule``)."""
    findings = []
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
                    finding(
                        "dead_rule",
                        public[g],
                        [regimen],
                        f"Recommendation {rec_id} for {regimen} is met by no patient of the space: "
                        "its conditions contradict each other or can never be decided.",
                        where.get(atom, []),
                    )
                )
    return findings


def undecided_conditions(brave: set[Symbol], located: FactIndex) -> list[dict[str, Any]]:
    """Conditions that no patient of the space can decide: misspelled or never defined."""
    findings = []
    decided = {a.arguments[0] for a in brave if a.match("holds", 1) or a.match("fails", 1)}
    decided |= {a.arguments[0] for a in brave if a.match("pending", 2)}
    for atom in sorted(a for a in brave if a.match("condition", 1)):
        condition = atom.arguments[0]
        if condition not in decided:
            users = located.condition_users.get(condition, [])
            findings.append(
                finding(
                    "undefined",
                    None,
                    [],
                    f"Condition {condition} is used but no rule ever decides it (no holds/fails "
                    "rule matches it): it stays unknown for every patient.",
                    sorted(set(users)),
                )
            )
    return findings
