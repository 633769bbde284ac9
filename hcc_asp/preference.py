"""The lenvatinib-vs-sorafenib question: an ordering with reasons, as the KB decides it.

``kb/preference.lp`` states the factors (REFLECT's exclusions, viral etiology, response, toxicity
against comorbidities, the sorafenib -> regorafenib sequence) and orders the two drugs; this module
only words what one solve derived, for the guideline asked about.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import clingo

from hcc_asp.engine.ground import Answer, key_text

if TYPE_CHECKING:
    from hcc_asp.knowledge.catalogue import Catalogue

#: The two drugs the question is about, in the order used for ties.
CHOICE = ("lenvatinib", "sorafenib")
#: Factor kinds in the order they weigh (kb/preference.lp, "Ordering rule").
KINDS = ("evidence_gap", "consideration", "general")

RULE = (
    "Trial-evidence gaps first (a REFLECT exclusion leaves lenvatinib without phase III "
    "evidence), then the number of patient-specific considerations; general considerations "
    "do not order. No guideline ranks the two drugs: this is the discussion ASCO asks for, "
    "laid out."
)


def order_of(first: list[str]) -> list[str]:
    """The two drugs in order: the one preferred first (if any), then the other."""
    return first + [r for r in CHOICE if r not in first] if first else list(CHOICE)


def _factor(cat: Catalogue, code: str) -> dict[str, Any]:
    info = cat.preference.get(code, {})
    entry: dict[str, Any] = {
        "code": code,
        "favours": str(info.get("favours", "")),
        "kind": str(info.get("kind", "")),
        "text": str(info.get("text", code)),
        "source": str(info.get("source", "")),
    }
    if info.get("unconfirmed"):
        entry["unconfirmed"] = str(info["unconfirmed"])
    return entry


def preference(answer: Answer, guideline_atom: str, cat: Catalogue) -> dict[str, Any] | None:
    """Return the `preference` block of `recommend`, or None when the question does not arise."""
    g = clingo.Function(guideline_atom)
    if clingo.Function("tki_choice", [g]) not in set(answer.get("tki_choice", 1)):
        return None

    def mine(name: str, arity: int) -> list[clingo.Symbol]:
        return [a for a in answer.get(name, arity) if a.arguments[0] == g]

    first = [a.arguments[1].name for a in mine("preferred_first", 2)]
    order = order_of(first)
    holding = sorted(
        (_factor(cat, a.arguments[1].name) for a in mine("factor_holds", 3)),
        key=lambda f: (KINDS.index(f["kind"]) if f["kind"] in KINDS else 9, f["code"]),
    )
    missing: dict[str, list[str]] = {}
    for atom in mine("factor_missing", 3):
        missing.setdefault(atom.arguments[1].name, []).append(key_text(atom.arguments[2]))
    unassessed = [
        {
            **_factor(cat, a.arguments[1].name),
            "missing": sorted(missing.get(a.arguments[1].name, [])),
        }
        for a in mine("factor_unassessed", 3)
    ]
    tally = {
        a.arguments[1].name: {
            "evidence_gaps": a.arguments[2].number,
            "considerations": a.arguments[3].number,
        }
        for a in mine("preference_tally", 4)
    }
    dosing = [
        {
            "regimen": a.arguments[0].name,
            "code": a.arguments[1].name,
            "text": cat.dose_text.get(a.arguments[1].name, a.arguments[1].name),
        }
        for a in answer.get("dose", 2)
        if a.arguments[0].name in CHOICE
    ]
    return {
        "between": list(CHOICE),
        "order": order,
        "tie": not first,
        "rule": RULE,
        "tally": {r: tally[r] for r in sorted(tally)},
        "factors": holding,
        "unassessed": sorted(unassessed, key=lambda f: f["code"]),
        "dosing": sorted(dosing, key=lambda d: d["regimen"]),
    }
