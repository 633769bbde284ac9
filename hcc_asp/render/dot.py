"""Render an explanation tree as a Graphviz digraph (``--format dot``)."""

from __future__ import annotations

import textwrap
from typing import Any


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def explain_dot(document: dict[str, Any]) -> str:
    """The same tree as a Graphviz digraph (valid input for ``dot -Tsvg``)."""
    lines = ["digraph explanation {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    counter = [0]

    def add(node: dict[str, Any]) -> str:
        name = f"n{counter[0]}"
        counter[0] += 1
        label = _dot_escape("\n".join(textwrap.wrap(node["text"], 48)))
        extra = ', style="rounded,filled", fillcolor="#eef5ff"' if node.get("key") else ""
        lines.append(f'  {name} [label="{label}"{extra}];')
        for child in node.get("because", []):
            lines.append(f"  {name} -> {add(child)};")
        return name

    root_label = _dot_escape(
        f"{document['regimen']}: {document['status']} ({document['guideline']})"
    )
    lines.append(f'  root [label="{root_label}", shape=ellipse];')
    for node in document["because"]:
        lines.append(f"  root -> {add(node)};")
    lines.append("}")
    return "\n".join(lines) + "\n"
