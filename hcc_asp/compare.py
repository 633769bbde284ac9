"""`compare`: one patient under every guideline, side by side, with the disagreements explained.

All guideline files are part of one program, so one solve answers every guideline at once; this
module lays the per-guideline entries of `recommend` next to each other. A *disagreement* is a
regimen that one current edition offers (recommended or conditional) and another current edition
does not (not recommended, or not mentioned at all), both encoded for this patient: where an
edition's statements for the patient's situation are not encoded (kb/scope.lp), its cell says so
(``coverage``: ``not_encoded``) and takes no part in disagreements. Contraindications come from
the shared safety layer and are the same under every guideline. Superseded editions
(``guideline_supersedes/2``) are shown, and where their answer differs from the edition that
replaced it (both encoded) the cell is marked as an edition change rather than a disagreement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hcc_asp.knowledge import KnowledgeBase, or_shipped
from hcc_asp.recommend import (
    FORMAT,
    derived_values,
    notes_of,
    public_guideline,
    regimen_entries,
    resolve_guideline,
    solve_patient,
)
from hcc_asp.render import main_reason

OFFERED = ("recommended", "conditional")


def _columns(guidelines: Sequence[str], kb: KnowledgeBase) -> list[str]:
    """The requested guideline ids (all encoded ones by default), by body then year."""
    cat = kb.catalogue
    wanted = [public_guideline(g, kb) for g in guidelines] or [
        str(g["id"]) for g in cat.guidelines.values() if "id" in g
    ]
    for public in wanted:
        resolve_guideline(public, kb)  # raises UnknownGuidelineError for an unknown id

    def key(public: str) -> tuple[str, int, str]:
        info = cat.guidelines[cat.guideline_atom[public]]
        return (public.split("-")[0], int(info["year"]), public)

    return sorted(dict.fromkeys(wanted), key=key)


def _successor(columns: list[str], kb: KnowledgeBase) -> dict[str, str]:
    """Map each shown edition to the shown edition that supersedes it (among ``columns``)."""
    cat = kb.catalogue
    shown = {cat.guideline_atom[c]: c for c in columns}
    found = {}
    for atom, public in shown.items():
        for other, info in cat.guidelines.items():
            if info.get("supersedes") == atom and other in shown:
                found[public] = shown[other]
    return found


def _cell(entry: dict[str, Any] | None, not_encoded: bool) -> dict[str, Any]:
    """One cell; ``coverage`` (additive) says whether the edition is encoded for this patient."""
    coverage = "not_encoded" if not_encoded else "encoded"
    if entry is None:
        return {
            "status": "not_mentioned",
            "coverage": coverage,
            "recommendation": "",
            "evidence": "",
            "reason": "",
        }
    evidence = entry["evidence"]
    return {
        "status": entry["status"],
        "coverage": entry.get("coverage", coverage),
        "recommendation": entry["recommendation"],
        "evidence": evidence.get("label", ""),
        "reason": main_reason(entry),
    }


def _explanation(regimen: str, cells: dict[str, dict[str, Any]], current: list[str]) -> str:
    """One line: who offers it (and how), who does not (and the main reason), who is silent."""
    offered = [
        f"{g} ({cells[g]['recommendation']}"
        + (", once data or actions are in" if cells[g]["status"] == "conditional" else "")
        + ")"
        for g in current
        if cells[g]["status"] in OFFERED
    ]
    refused = [
        f"{g} ({cells[g]['recommendation']}: {cells[g]['reason'].rstrip('.')})"
        for g in current
        if cells[g]["status"] == "not_recommended" and not _not_encoded(cells[g])
    ]
    silent = [
        g for g in current if cells[g]["status"] == "not_mentioned" and not _not_encoded(cells[g])
    ]
    gaps = [g for g in current if _not_encoded(cells[g])]
    parts = [f"{regimen}: offered by " + ", ".join(offered)]
    if refused:
        parts.append("not offered by " + "; ".join(refused))
    if silent:
        parts.append("not mentioned by " + ", ".join(silent))
    if gaps:
        parts.append("not encoded for this patient in " + ", ".join(gaps) + " (no verdict)")
    return "; ".join(parts) + "."


def _not_encoded(cell: dict[str, Any]) -> bool:
    """The edition's statements for this patient are not encoded (its "no" is not a verdict)."""
    return cell["coverage"] == "not_encoded" and cell["status"] in (
        "not_recommended",
        "not_mentioned",
    )


def compare(
    patient: Any,
    guidelines: Sequence[str] = (),
    kb: KnowledgeBase | None = None,
    include_drafts: bool = False,
) -> dict[str, Any]:
    """Return the `compare --format json` document: regimens x guidelines for one patient.

    Draft editions (``guideline_draft/2``) are shown, each with its draft note, but neither
    disagree nor supersede unless ``include_drafts``. ``kb``: the shipped KB by default.
    """
    kb = or_shipped(kb)
    cat = kb.catalogue
    columns = _columns(guidelines, kb)
    drafts = [c for c in columns if "draft" in cat.guidelines[cat.guideline_atom[c]]]
    counted = columns if include_drafts else [c for c in columns if c not in drafts]
    successor = _successor(counted, kb)
    current = [c for c in counted if c not in successor]
    atom = {public: cat.guideline_atom[public] for public in columns}
    # One solve for every shown guideline (and only those).
    decoded = solve_patient(patient, kb, guidelines=sorted(atom.values()))
    answers = {public: decoded.guideline(atom[public]) for public in columns}
    notes = {public: notes_of(answers[public], atom[public], cat) for public in columns}
    per_guideline = {
        public: {e["regimen"]: e for e in regimen_entries(decoded, atom[public], kb)}
        for public in columns
    }
    outside = {public: answers[public].not_encoded for public in columns}
    mentioned = {r for entries in per_guideline.values() for r in entries}
    rows = []
    for regimen in (r.id for r in kb.regimens if r.id in mentioned):
        cells = {g: _cell(per_guideline[g].get(regimen), regimen in outside[g]) for g in columns}
        # A disagreement is between encoded statements only: a "no" where an edition is not
        # encoded for this patient is a difference of coverage, not of the guidelines.
        statuses = {cells[g]["status"] for g in current if not _not_encoded(cells[g])}
        disagreement = bool(statuses & set(OFFERED)) and bool(
            statuses & {"not_recommended", "not_mentioned"}
        )
        changes = [
            {
                "from": old,
                "to": new,
                "was": cells[old]["status"],
                "now": cells[new]["status"],
            }
            for old, new in sorted(successor.items())
            if cells[old]["status"] != cells[new]["status"]
            and not _not_encoded(cells[old])
            and not _not_encoded(cells[new])
        ]
        rows.append(
            {
                "regimen": regimen,
                "cells": cells,
                "disagreement": disagreement,
                "explanation": _explanation(regimen, cells, current) if disagreement else "",
                "edition_changes": changes,
            }
        )
    document: dict[str, Any] = {
        "format": FORMAT,
        "patient": patient.id,
        "guidelines": columns,
        "current": current,
        "drafts": drafts,
        "derived": derived_values(decoded),
        # the patient's line of therapy (the same under every guideline; additive)
        "line": decoded.line,
        "regimens": rows,
        "notes": {public: notes[public] for public in columns if notes[public]},
    }
    sources = patient.sources() if hasattr(patient, "sources") else {}
    if sources:  # a patient from a health record: where each value came from (additive)
        document["sources"] = {key: sources[key].as_json() for key in sorted(sources)}
    return document
