"""Render the documents of the public API: text for clinicians, JSON (the contract), DOT, HTML.

Rendering never decides anything: it lays out what the KB decided. The same document gives the
same bytes (dict order is fixed where the documents are built; JSON keys keep that order).

``hcc_asp.render.html`` (pages, jinja2) and the SVG picture in ``hcc_asp.render.dot`` need the
optional extra ``[report]`` and are imported only when asked for.
"""

from __future__ import annotations

from hcc_asp.render.dot import explain_dot
from hcc_asp.render.json import to_json
from hcc_asp.render.text import (
    CELL_WORDS,
    WHY_IT_MATTERS,
    check_text,
    compare_text,
    evidence_text,
    explain_text,
    guidelines_text,
    main_reason,
    recommend_text,
    regimens_text,
)

__all__ = [
    "CELL_WORDS",
    "WHY_IT_MATTERS",
    "check_text",
    "compare_text",
    "evidence_text",
    "explain_dot",
    "explain_text",
    "guidelines_text",
    "main_reason",
    "recommend_text",
    "regimens_text",
    "to_json",
]
