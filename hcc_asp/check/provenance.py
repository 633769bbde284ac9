"""Provenance: what the sources did not confirm, or what is missing (``provenance`` warnings).

A recommendation without a source, an evidence grading part missing or unconfirmed, an
``unconfirmed/4`` field; a safety statement (contraindication, caution) unconfirmed or without a
source, reported only where a checked guideline's patient can meet it. Each with a witness.
"""

from __future__ import annotations

from typing import Any

import clingo
from clingo import Function, String, Symbol

from hcc_asp.check.consistency import WitnessFor
from hcc_asp.check.findings import finding
from hcc_asp.knowledge.catalogue import Catalogue


def recommendation_provenance(
    cat: Catalogue,
    atoms: list[str],
    public: dict[str, str],
    brave: set[Symbol],
    where: dict[Symbol, list[str]],
    witness_for: WitnessFor,
) -> list[dict[str, Any]]:
    """The recommendations whose source, grading or fields the sources did not confirm."""
    findings = []
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
            finding(
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
    return findings


def safety_provenance(
    cat: Catalogue,
    atoms: list[str],
    brave: set[Symbol],
    where: dict[Symbol, list[str]],
    witness_for: WitnessFor,
) -> list[dict[str, Any]]:
    """Safety statements unconfirmed or without a source, where a checked guideline meets them."""
    findings = []
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
                finding(
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
    return findings
