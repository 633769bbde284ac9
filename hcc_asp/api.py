"""The public Python API, used by the CLI itself: recommend, guideline and regimen listings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hcc_asp.engine import catalogue, guideline_ids
from hcc_asp.recommend import recommend
from hcc_asp.vocabulary import regimens

__all__ = ["guideline_list", "recommend", "regimen_list"]


def guideline_list(kb: Path | None = None) -> list[dict[str, Any]]:
    """Return the encoded guidelines (newest first), then the known ones not encoded, with why.

    An encoded edition marked ``guideline_draft/2`` has status ``draft`` and says why.
    """
    cat = catalogue(kb)
    rows = []
    for public in guideline_ids(kb):
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


def regimen_list(kb: Path | None = None) -> list[dict[str, Any]]:
    """Return every regimen id with its name, aliases, drugs and drug classes."""
    return [
        {
            "id": r.id,
            "name": r.name,
            "aliases": list(r.aliases),
            "drugs": [{"drug": d, "class": c} for d, c in r.drugs],
        }
        for r in regimens(kb)
    ]
