"""The finding model: its fields, its severity by kind, and where in the KB a statement is.

Every check builds its findings with :func:`finding`, so that each carries the same keys
(``severity``, ``kind``, ``text``, ``guideline``, ``regimens``, ``rules``, ``witness``) in the
`check --format json` document (spec/cli.md).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

SEVERITY = {
    "conflict": "error",
    "dead_rule": "error",
    "undefined": "error",
    "no_answer": "error",
    "declaration": "error",
    "gap": "warning",
    "tension": "warning",
    "provenance": "warning",
    "disagreement": "info",
    "edition_change": "info",
    "coverage": "info",
    "scope": "warning",
}
#: Findings between guidelines: only when every guideline is checked (`--guideline all`).
ACROSS = ("disagreement", "edition_change", "coverage")
#: The findings between guidelines whose text says why the witness gets each answer.
EXPLAINED_ACROSS = ("disagreement", "edition_change")


def finding(
    kind: str,
    guideline: str | None,
    regimens_: list[str],
    text: str,
    rules: list[str],
    witness: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One finding: its severity (by kind), text, guideline, regimens, KB rules and witness."""
    return {
        "severity": SEVERITY[kind],
        "kind": kind,
        "text": text,
        "guideline": guideline,
        "regimens": regimens_,
        "rules": rules,
        "witness": witness,
    }


def place(filename: str, line: int) -> str:
    """``kb/<file>:<line>`` of a statement (``kb/guidelines/<file>`` for an edition's file)."""
    path = Path(filename)
    folder = "guidelines/" if path.parent.name == "guidelines" else ""
    return f"kb/{folder}{path.name}:{line}"


def profiles_text(count: int) -> str:
    """A profile count in words (e.g. 3.1e12)."""
    return f"{count:,}" if count < 10**7 else f"{count:.2e} (10^{int(math.log10(count))})"
