"""Findings between guidelines (``--guideline all``): disagreements, edition changes, coverage.

Each is a black-box finding of ``queries/check.lp`` worded here in one plain sentence; for a
disagreement or an edition change the sentence ends with why the witness gets each answer: the
main reason under the guideline that does not offer the regimen, from a solve of the witness.
"""

from __future__ import annotations

from typing import Any

from clingo import Symbol

from hcc_asp.check.locations import FactIndex
from hcc_asp.knowledge import KnowledgeBase
from hcc_asp.recommend import regimen_entries, solve_patient


def describe_across(
    kind: str,
    g: str,
    regimen: str,
    detail: Symbol,
    located: FactIndex,
    public: dict[str, str],
) -> tuple[str, list[str]]:
    """One plain sentence for a finding between guidelines, and the KB rules involved."""
    name = public[g]
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
    # edition_change
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


def across_guidelines(kind: str, g: str, detail: Symbol) -> tuple[str, ...]:
    """The guidelines whose reasons a cross finding gives: the other one, or both editions."""
    other = str(detail.arguments[0].name)
    return (g, other) if kind == "edition_change" else (other,)


def why_across(
    kind: str,
    g: str,
    regimen: str,
    detail: Symbol,
    witness: dict[str, Any],
    key: str,
    kb: KnowledgeBase,
    public: dict[str, str],
    answers: dict[str, Any],
    needed: dict[str, set[str]],
) -> str:
    """Why the witness gets its answers: the main reason under the guideline that does not offer.

    For a disagreement that is the other guideline; for an edition change, whichever edition does
    not offer the regimen (both, when neither does). ``answers`` keeps the witnesses solved in
    this check run, by ``key`` (``witness_key``): many cross findings share one witness, solved
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
    for atom in across_guidelines(kind, g, detail):
        if atom not in entries:
            entries[atom] = {e["regimen"]: e for e in regimen_entries(answer, atom, kb)}
        entry = entries[atom].get(regimen)
        if entry is not None and entry["status"] in ("not_recommended", "contraindicated"):
            reasons.append(f"{public.get(atom, atom)}: {main_reason(entry).rstrip('.')}")
    return (" Why: " + "; ".join(reasons) + ".") if reasons else ""
