"""What a renderer needs besides the document: regimen names and guideline citations.

Read from the KB's catalogue once (cached), so that a page made from a JSON document alone (the
CDS Hooks service, a saved document) names regimens and cites guidelines like the CLI does.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from hcc_asp.knowledge import KnowledgeBase


class Context(NamedTuple):
    """Regimen names by id and guideline metadata (title, year, citation, DOI) by public id."""

    names: Mapping[str, str] = MappingProxyType({})
    guidelines: Mapping[str, dict[str, Any]] = MappingProxyType({})

    def title(self, guideline: str) -> str:
        """The guideline's title, or "" when unknown."""
        return str(self.guidelines.get(guideline, {}).get("title", ""))


def context(kb: KnowledgeBase | None = None) -> Context:
    """The context of ``kb`` (the shipped KB when None), built once and kept on the KB value."""
    from hcc_asp.knowledge import or_shipped
    from hcc_asp.knowledge.catalogue import guideline_rows

    kb = or_shipped(kb)
    found = kb.memo.get("render_context")
    if found is None:
        found = kb.memo["render_context"] = Context(
            names=dict(kb.regimen_names),
            guidelines={row["id"]: row for row in guideline_rows(kb.catalogue)},
        )
    return found
