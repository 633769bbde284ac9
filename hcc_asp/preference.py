"""The lenvatinib-vs-sorafenib question: an ordering with reasons, as the KB decides it.

``kb/preference.lp`` states the factors (REFLECT's exclusions, viral etiology, response, toxicity
against comorbidities, the sorafenib -> regorafenib sequence) and orders the two drugs; this module
only words what one solve derived, for the guideline asked about.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hcc_asp.engine.decode import PreferenceAnswer
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


def preference(
    answer: PreferenceAnswer | None, doses: list[tuple[str, str]], cat: Catalogue
) -> dict[str, Any] | None:
    """Return the `preference` block of `recommend`, or None when the question does not arise.

    ``answer`` is the guideline's decoded preference atoms (``engine.decode``), ``doses`` every
    (regimen, dose code) of the answer.
    """
    if answer is None:
        return None
    order = order_of(answer.first)
    holding = sorted(
        (_factor(cat, code) for code in answer.holding),
        key=lambda f: (KINDS.index(f["kind"]) if f["kind"] in KINDS else 9, f["code"]),
    )
    unassessed = [
        {**_factor(cat, code), "missing": sorted(answer.missing.get(code, []))}
        for code in answer.unassessed
    ]
    tally = {
        regimen: {"evidence_gaps": gaps, "considerations": considerations}
        for regimen, (gaps, considerations) in answer.tally.items()
    }
    dosing = [
        {"regimen": regimen, "code": code, "text": cat.dose_text.get(code, code)}
        for regimen, code in doses
        if regimen in CHOICE
    ]
    return {
        "between": list(CHOICE),
        "order": order,
        "tie": not answer.first,
        "rule": RULE,
        "tally": {r: tally[r] for r in sorted(tally)},
        "factors": holding,
        "unassessed": sorted(unassessed, key=lambda f: f["code"]),
        "dosing": sorted(dosing, key=lambda d: d["regimen"]),
    }
