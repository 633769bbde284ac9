"""What a renderer needs besides the document: regimen names and guideline citations.

Read from the KB's catalogue once (cached), so that a page made from a JSON document alone (the
CDS Hooks service, a saved document) names regimens and cites guidelines like the CLI does.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple


class Context(NamedTuple):
    """Regimen names by id and guideline metadata (title, year, citation, DOI) by public id."""

    names: Mapping[str, str] = MappingProxyType({})
    guidelines: Mapping[str, dict[str, Any]] = MappingProxyType({})

    def title(self, guideline: str) -> str:
        """The guideline's title, or "" when unknown."""
        return str(self.guidelines.get(guideline, {}).get("title", ""))


@lru_cache(maxsize=4)
def context(kb: Path | None = None) -> Context:
    """The context of the installed KB (or of ``kb``)."""
    from hcc_asp.api import guideline_list
    from hcc_asp.vocabulary import regimens

    return Context(
        names={r.id: r.name for r in regimens(kb)},
        guidelines={row["id"]: row for row in guideline_list(kb)},
    )
