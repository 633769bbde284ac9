"""`check`: consistency of the knowledge base over every possible patient.

The patient space (``queries/space.lp``) is generated from the patient schema and the KB's own
thresholds; ``queries/check.lp`` derives findings from the KB's outputs only (a black box). One
clingo call computes the brave consequences (what holds for *some* patient of the space): every
finding that exists, every recommendation that can be met, every condition that can be decided.
Then one call per finding, with the finding atom as an assumption, gives a witness patient, written
out as a complete patient file. Static checks (predicates used but never defined, regimen ids
outside the vocabulary) and provenance checks (unconfirmed or missing source, id or grading) read
the parsed KB and its catalogue.

This module runs the checks in order and gathers the findings; each kind of check lives in a
module of its own:

- :mod:`.findings` -- the finding model (fields, severity by kind);
- :mod:`.undefined`, :mod:`.declarations` -- static checks of names and of the guideline files;
- :mod:`.locations` -- where each fact of the KB is stated (the ``rules`` of a finding);
- :mod:`.search` -- the KB grounded over the patient space; :mod:`.witness` -- witness files;
- :mod:`.consistency` -- conflicts, tensions, gaps, scope, dead rules, undecided conditions,
  patients without an answer;
- :mod:`.across` -- disagreements, edition changes and coverage between guidelines;
- :mod:`.provenance` -- what the sources did not confirm.
"""

from __future__ import annotations

import time
from typing import Any

from clingo import Symbol

from hcc_asp.check.across import across_guidelines, describe_across, why_across
from hcc_asp.check.consistency import (
    dead_rules,
    describe_within,
    no_answer_findings,
    undecided_conditions,
)
from hcc_asp.check.declarations import guideline_declarations
from hcc_asp.check.findings import ACROSS, EXPLAINED_ACROSS, SEVERITY, finding, profiles_text
from hcc_asp.check.locations import FactIndex, fact_locations
from hcc_asp.check.provenance import recommendation_provenance, safety_provenance
from hcc_asp.check.search import Space, constraints_as_atoms, space_facts
from hcc_asp.check.undefined import (
    supersede_problems,
    undefined_predicates,
    unknown_ids,
    unknown_regimens,
    unknown_unconfirmed_fields,
    unregistered_files,
)
from hcc_asp.check.witness import Witnesses, witness_file, witness_key
from hcc_asp.knowledge import KnowledgeBase, or_shipped
from hcc_asp.recommend import UnknownGuidelineError, public_guideline, resolve_guideline

__all__ = [
    "SEVERITY",
    "FactIndex",
    "Space",
    "check",
    "constraints_as_atoms",
    "fact_locations",
    "guideline_declarations",
    "profiles_text",
    "space_facts",
    "undefined_predicates",
    "unknown_unconfirmed_fields",
    "unregistered_files",
    "witness_file",
]


def check(
    guideline: str = "all", kb: KnowledgeBase | None = None, include_drafts: bool = False
) -> dict[str, Any]:
    """Return the `check --format json` document (spec/cli.md).

    Draft editions (``guideline_draft/2``) are checked like any other, but take part in the
    findings across guidelines (``--guideline all``) only with ``include_drafts``. ``kb``: the
    KB to check (``hcc_asp.open_kb(path)``); the shipped one by default.
    """
    started = time.perf_counter()
    kb = or_shipped(kb)
    cat = kb.catalogue
    if guideline != "all":
        guideline = public_guideline(guideline, kb)
    if guideline == "all":
        atoms = sorted(cat.guidelines)
    elif guideline in cat.guideline_atom:
        atoms = [cat.guideline_atom[guideline]]
    else:  # the same words as recommend: unknown, or known but not encoded
        resolve_guideline(guideline, kb)
        raise UnknownGuidelineError(f"unknown guideline '{guideline}'")
    public = {a: str(cat.guidelines[a]["id"]) for a in atoms}
    program = kb.program
    where = fact_locations(kb)
    located = FactIndex(where)
    findings: list[dict[str, Any]] = []

    # static: predicates never defined; regimen ids outside the vocabulary
    findings.extend(undefined_predicates(program, {("trial_required", 2), ("evidence_trial", 2)}))
    findings.extend(unregistered_files(kb, program))
    vocabulary = {r.id for r in kb.regimens}
    findings.extend(unknown_regimens(cat, atoms, public, vocabulary, where))
    findings.extend(unknown_ids(cat, atoms, public, vocabulary, where))
    findings.extend(supersede_problems(cat, atoms, public, where))
    findings.extend(unknown_unconfirmed_fields(cat, atoms, public, where))
    findings.extend(guideline_declarations(program))

    space = Space(kb, atoms, include_drafts)
    brave = space.brave()
    # The witnesses are asked for in this order (each solve's patient serves the findings its
    # model shows): no_answer, the black-box findings, then provenance.
    witness_for = Witnesses(space, kb)
    findings.extend(no_answer_findings(space.no_answer, witness_for))
    findings.extend(_black_box(guideline, kb, atoms, brave, cat, located, public, witness_for))
    findings.extend(dead_rules(cat, atoms, public, brave, vocabulary, where))
    findings.extend(undecided_conditions(brave, located))
    findings.extend(recommendation_provenance(cat, atoms, public, brave, where, witness_for))
    findings.extend(safety_provenance(cat, atoms, brave, where, witness_for))

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


def _black_box(
    guideline: str,
    kb: KnowledgeBase,
    atoms: list[str],
    brave: set[Symbol],
    cat: Any,
    located: FactIndex,
    public: dict[str, str],
    witness_for: Witnesses,
) -> list[dict[str, Any]]:
    """The findings of ``queries/check.lp``, one per group, each with a witness."""
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
            key = witness_key(witness)
            needed.setdefault(key, set()).update(across_guidelines(kind, g, detail))
        grouped.append((kind, g, regimen, detail, witness, key))
    findings = []
    for kind, g, regimen, detail, witness, key in grouped:
        if kind in ACROSS:
            text, rules = describe_across(kind, g, regimen, detail, located, public)
        else:
            text, rules = describe_within(kind, g, regimen, detail, cat, located, public)
        if witness is not None and key is not None:
            text += why_across(kind, g, regimen, detail, witness, key, kb, public, answers, needed)
        regimens_ = [] if regimen == "none" else [regimen]
        findings.append(finding(kind, public[g], regimens_, text, rules, witness))
    return findings
