"""`compare`: one patient under every guideline, side by side, with the disagreements explained.

All guideline files are part of one program, so one solve answers every guideline at once; this
module lays the per-guideline entries of `recommend` next to each other. A *disagreement* is a
regimen that one current edition offers (recommended or conditional) and another current edition
does not (not recommended, or not mentioned at all). Contraindications come from the shared safety
layer and are the same under every guideline. Superseded editions (``guideline_supersedes/2``) are
shown, and where their answer differs from the edition that replaced it the cell is marked as an
edition change rather than a disagreement.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hcc_asp.engine import catalogue
from hcc_asp.recommend import (
    FORMAT,
    derived_values,
    notes_of,
    regimen_entries,
    resolve_guideline,
    solve_patient,
)
from hcc_asp.render import main_reason
from hcc_asp.vocabulary import regimens

OFFERED = ("recommended", "conditional")


def _columns(guidelines: Sequence[str], kb: Path | None) -> list[str]:
    """The requested guideline ids (all encoded ones by default), by body then year."""
    cat = catalogue(kb)
    wanted = list(guidelines) or [str(g["id"]) for g in cat.guidelines.values() if "id" in g]
    for public in wanted:
        resolve_guideline(public, kb)  # raises UnknownGuidelineError for an unknown id

    def key(public: str) -> tuple[str, int, str]:
        info = cat.guidelines[cat.guideline_atom[public]]
        return (public.split("-")[0], int(info["year"]), public)

    return sorted(dict.fromkeys(wanted), key=key)


def _successor(columns: list[str], kb: Path | None) -> dict[str, str]:
    """Map each shown edition to the shown edition that supersedes it (among ``columns``)."""
    cat = catalogue(kb)
    shown = {cat.guideline_atom[c]: c for c in columns}
    found = {}
    for atom, public in shown.items():
        for other, info in cat.guidelines.items():
            if info.get("supersedes") == atom and other in shown:
                found[public] = shown[other]
    return found


def _cell(entry: dict[str, Any] | None) -> dict[str, Any]:
    if entry is None:
        return {"status": "not_mentioned", "recommendation": "", "evidence": "", "reason": ""}
    evidence = entry["evidence"]
    return {
        "status": entry["status"],
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
        if cells[g]["status"] == "not_recommended"
    ]
    silent = [g for g in current if cells[g]["status"] == "not_mentioned"]
    parts = [f"{regimen}: offered by " + ", ".join(offered)]
    if refused:
        parts.append("not offered by " + "; ".join(refused))
    if silent:
        parts.append("not mentioned by " + ", ".join(silent))
    return "; ".join(parts) + "."


def compare(
    patient: Any,
    guidelines: Sequence[str] = (),
    kb: Path | None = None,
    include_drafts: bool = False,
) -> dict[str, Any]:
    """Return the `compare --format json` document: regimens x guidelines for one patient.

    Draft editions (``guideline_draft/2``) are shown, each with its draft note, but neither
    disagree nor supersede unless ``include_drafts``.
    """
    cat = catalogue(kb)
    columns = _columns(guidelines, kb)
    drafts = [c for c in columns if "draft" in cat.guidelines[cat.guideline_atom[c]]]
    counted = columns if include_drafts else [c for c in columns if c not in drafts]
    successor = _successor(counted, kb)
    current = [c for c in counted if c not in successor]
    atom = {public: cat.guideline_atom[public] for public in columns}
    # One solve for every shown guideline (and only those).
    answer = solve_patient(patient, kb, guidelines=sorted(atom.values()))
    notes = {public: notes_of(answer, atom[public], cat) for public in columns}
    per_guideline = {
        public: {e["regimen"]: e for e in regimen_entries(answer, atom[public], kb)}
        for public in columns
    }
    mentioned = {r for entries in per_guideline.values() for r in entries}
    rows = []
    for regimen in (r.id for r in regimens(kb) if r.id in mentioned):
        cells = {g: _cell(per_guideline[g].get(regimen)) for g in columns}
        statuses = {cells[g]["status"] for g in current}
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
        "derived": derived_values(answer),
        "regimens": rows,
        "notes": {public: notes[public] for public in columns if notes[public]},
    }
    sources = patient.sources() if hasattr(patient, "sources") else {}
    if sources:  # a patient from a health record: where each value came from (additive)
        document["sources"] = {key: sources[key].as_json() for key in sorted(sources)}
    return document
