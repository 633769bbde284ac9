"""Render an explanation tree as a Graphviz digraph (``--format dot``)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

from hcc_asp.render.words import STATUS_WORDS, guideline_label, regimen_name, sentence_words


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


def derivation_dot(document: dict[str, Any], regimen_names: Mapping[str, str] | None = None) -> str:
    """The explanation as a graph in which a shared part is one node with several parents.

    The derivation is a DAG (Child-Pugh class B supports every recommendation that needs class
    A); drawing it so keeps the picture small. Patient values are the filled boxes.
    """
    from hcc_asp.render.explanation import hidden, is_patient_leaf, node_key

    lines = [
        "digraph derivation {",
        "  rankdir=LR;",
        '  graph [fontname="Helvetica", fontsize=11, nodesep=0.15, ranksep=0.35];',
        '  node [shape=box, fontname="Helvetica", fontsize=10, margin="0.08,0.04"];',
        '  edge [color="#555555", arrowsize=0.6];',
    ]
    names: dict[str, str] = {}
    edges: set[tuple[str, str]] = set()

    def add(node: dict[str, Any]) -> str:
        key = node_key(node)
        if key in names:
            return names[key]
        name = names[key] = f"n{len(names)}"
        label = _dot_escape(
            "\n".join(textwrap.wrap(sentence_words(str(node["text"]), regimen_names), 40))
        )
        style = ""
        if is_patient_leaf(node):
            style = ', style="rounded,filled", fillcolor="#dbeafe"'
        elif str(node.get("rule") or "").startswith("kb/guidelines/"):
            style = ', style="filled", fillcolor="#fef3c7"'
        lines.append(f'  {name} [label="{label}"{style}];')
        for child in node.get("because", []):
            if hidden(child):
                continue
            edge = (name, add(child))
            if edge not in edges:
                edges.add(edge)
                lines.append(f"  {edge[0]} -> {edge[1]};")
        return name

    status = STATUS_WORDS.get(document["status"], document["status"])
    root_label = _dot_escape(
        f"{regimen_name(document['regimen'], regimen_names)}: {status} under "
        f"{guideline_label(document['guideline'])}"
    )
    lines.append(f'  root [label="{root_label}", shape=ellipse, style=bold];')
    for node in document.get("because", []):
        lines.append(f"  root -> {add(node)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def derivation_svg(document: dict[str, Any], names: Mapping[str, str] | None = None) -> str | None:
    """The derivation drawn by Graphviz as inline SVG; None when ``dot`` is not installed.

    Needs the ``graphviz`` Python package (extra ``[report]``) and the ``dot`` program.
    """
    import shutil

    if shutil.which("dot") is None:
        return None
    try:
        import graphviz
    except ModuleNotFoundError:  # the Python package of the extra [report] is not installed
        return None

    try:
        svg = graphviz.Source(derivation_dot(document, names)).pipe(format="svg", encoding="utf-8")
    except (graphviz.ExecutableNotFound, graphviz.CalledProcessError):
        return None
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else None
