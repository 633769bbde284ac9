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
    from hcc_asp.knowledge.catalogue import guideline_rows

    return guideline_rows(or_shipped(kb).catalogue)


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
