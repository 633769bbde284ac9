"""The public Python API, used by the CLI itself: recommend, guideline and regimen listings.

Every function takes ``kb=`` a :class:`~hcc_asp.knowledge.KnowledgeBase` (opened once with
``open_kb(path)``) and asks the shipped KB when it is left out.
"""

from __future__ import annotations

from typing import Any

from hcc_asp.knowledge import KnowledgeBase, open_kb, or_shipped
from hcc_asp.recommend import recommend

__all__ = ["KnowledgeBase", "guideline_list", "open_kb", "recommend", "regimen_list"]


def guideline_list(kb: KnowledgeBase | None = None) -> list[dict[str, Any]]:
    """Return the encoded guidelines (newest first), then the known ones not encoded, with why.

    An encoded edition marked ``guideline_draft/2`` has status ``draft`` and says why.
    """
    kb = or_shipped(kb)
    cat = kb.catalogue
    rows = []
    for public in kb.guideline_ids:
        info = cat.guidelines[cat.guideline_atom[public]]
        rows.append(
            {
                "id": public,
                "title": info.get("title", ""),
                "year": info.get("year"),
                "citation": info.get("citation", ""),
                "doi": info.get("doi", ""),
                "grading": info.get("grading", ""),
                "status": "draft" if "draft" in info else "encoded",
            }
        )
        if "draft" in info:  # guideline_draft/2: encoded, but not for clinical use
            rows[-1]["why"] = info["draft"]
        supersedes = info.get("supersedes")
        if supersedes:
            # The older edition may not be registered in this KB (a trimmed copy): name its atom.
            older = cat.guidelines.get(str(supersedes), {})
            rows[-1]["supersedes"] = older.get("id", str(supersedes))
    for public, info in sorted(cat.not_encoded.items(), key=lambda i: (-int(i[1]["year"]), i[0])):
        rows.append(
            {
                "id": public,
                "title": info["title"],
                "year": info["year"],
                "citation": "",
                "doi": "",
                "grading": "",
                "status": "not_encoded",
                "why": info["why"],
            }
        )
    return rows


def regimen_list(kb: KnowledgeBase | None = None) -> list[dict[str, Any]]:
    """Return every regimen id with its name, aliases, drugs and drug classes."""
    kb = or_shipped(kb)
    return [
        {
            "id": r.id,
            "name": r.name,
            "aliases": list(r.aliases),
            "drugs": [{"drug": d, "class": c} for d, c in r.drugs],
        }
        for r in kb.regimens
    ]
