"""Self-contained HTML pages of the answers: recommend, explain/why-not, compare.

One page per answer, rendered by jinja2 from templates shipped as package data
(``hcc_asp/render/templates``) over the same documents as ``--format json``: styles and the one
small script (open every ``<details>`` before printing) are inline, nothing is fetched. The
derivation picture is SVG drawn by Graphviz when ``dot`` is installed; without it the page says
so and still works.

Public functions (the CLI and the CDS Hooks service use them): ``recommend_page``,
``explain_page``, ``compare_page``; each takes the document and an optional render context
(regimen names, guideline citations; read from the installed KB when not given).

Needs the optional extra ``[report]`` (jinja2, graphviz); imported only for ``--format html``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2

from hcc_asp.render import explanation
from hcc_asp.render.context import Context, context
from hcc_asp.render.dot import derivation_svg
from hcc_asp.render.words import (
    CELL_WORDS,
    FACTOR_KINDS,
    STATUS_HEADINGS,
    STATUS_WORDS,
    components_words,
    evidence_words,
    guideline_label,
    is_unconfirmed,
    key_phrase,
    later_lines_only,
    main_reason_words,
    measure_words,
    provenance_groups,
    provenance_words,
    regimen_name,
    sentence_words,
    shown_status,
    status_groups,
    value_words,
)

#: Child-Pugh components as the table names them.
COMPONENT_NAMES = {
    "bilirubin": "Bilirubin",
    "albumin": "Albumin",
    "inr": "INR",
    "ascites": "Ascites",
    "encephalopathy": "Hepatic encephalopathy",
}


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The template environment: package templates, autoescaping on, undefined names fail."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("hcc_asp.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(
        status_words=STATUS_WORDS,
        status_headings=STATUS_HEADINGS,
        guideline_label=guideline_label,
        evidence_words=evidence_words,
        value_words=value_words,
        is_unconfirmed=is_unconfirmed,
        main_reason=main_reason_words,
        cell_words=CELL_WORDS,
        shown_status=shown_status,
        key_phrase=key_phrase,
        provenance_words=provenance_words,
        factor_kinds=FACTOR_KINDS,
        sentence_words=sentence_words,
    )
    env.filters["provenance_words"] = provenance_words
    return env


def _citation(ctx: Context, guideline: str) -> dict[str, Any]:
    info = ctx.guidelines.get(guideline, {})
    return {
        "id": guideline,
        "label": guideline_label(guideline),
        "title": info.get("title", ""),
        "year": info.get("year", ""),
        "citation": info.get("citation", ""),
        "doi": info.get("doi", ""),
        "grading": info.get("grading", ""),
    }


def _patient(
    derived: dict[str, Any], line: Any, sources: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The patient summary: line, Child-Pugh with its components, ALBI, BCLC."""
    components = [
        {
            "component": COMPONENT_NAMES.get(component, component),
            "value": measure_words(part["key"], part["value"])
            if part.get("value") is not None
            else "unknown",
            "points": part.get("points"),
        }
        for component, part in derived.get("child_pugh_components", {}).items()
    ]
    return {
        "line": line,
        "child_pugh": derived["child_pugh"],
        "components": components,
        "components_words": components_words(derived),
        "albi": derived["albi"],
        "bclc": derived.get("bclc_stage"),
        # Patient read from a health record: key -> references, element, date, stale (additive).
        "sources": sources or {},
    }


def recommend_page(
    document: dict[str, Any],
    ctx: Context | None = None,
    explanations: dict[str, dict[str, Any]] | None = None,
) -> str:
    """The `recommend` answer as one page.

    ``explanations`` (regimen id -> explain document, e.g. from ``explain_all``) adds each
    regimen's derivation as a collapsible tree.
    """
    ctx = ctx or context()
    names = ctx.names
    groups = []
    split = []
    for status, heading, entries in status_groups(document["regimens"]):
        later = [e for e in entries if later_lines_only(e, document["line"])]
        split.append((status, heading, [e for e in entries if e not in later], ""))
        if later:
            label = guideline_label(document["guideline"])
            split.append(
                (
                    "later_lines",
                    "Not offered: later lines only",
                    later,
                    f"{label} recommends these only after prior systemic therapy; this patient "
                    "is at first line.",
                )
            )
    for status, heading, entries, note in split:
        groups.append(
            {
                "status": status,
                "heading": heading,
                "note": note,
                "entries": [
                    {
                        **entry,
                        "name": regimen_name(entry["regimen"], names),
                        "evidence_words": evidence_words(entry["evidence"], document["guideline"]),
                        "main_reason": main_reason_words(entry),
                        "tree": explanation.shared_tree(
                            (explanations or {}).get(entry["regimen"], {}).get("because", []),
                            prefix=f"{entry['regimen']}-",
                            names=names,
                        ),
                    }
                    for entry in entries
                ],
            }
        )
    offered = [e for e in document["regimens"] if e["status"] in ("recommended", "conditional")]
    others = [e for e in document["regimens"] if e not in offered]
    return (
        environment()
        .get_template("recommend.html.j2")
        .render(
            document=document,
            guideline=_citation(ctx, document["guideline"]),
            patient=_patient(document["derived"], document["line"], document.get("sources")),
            groups=groups,
            provenance=provenance_groups(offered, names),
            provenance_others=provenance_groups(others, names),
            names=names,
        )
    )


def explain_page(document: dict[str, Any], ctx: Context | None = None) -> str:
    """The `explain`/`why-not` answer as one page: answer first, changes, tree, picture."""
    ctx = ctx or context()
    derived = document.get("derived")
    return (
        environment()
        .get_template("explain.html.j2")
        .render(
            document=document,
            name=regimen_name(document["regimen"], ctx.names),
            names=ctx.names,
            guideline=_citation(ctx, document["guideline"]),
            patient=_patient(derived, derived.get("line")) if derived else None,
            answer=explanation.answer(document, ctx.names),
            changes=explanation.changes(document),
            derivation=explanation.shared_tree(document.get("because", []), names=ctx.names),
            preference_tree=explanation.shared_tree(
                (document.get("preference") or {}).get("because", []), prefix="p"
            ),
            svg=derivation_svg(document, ctx.names) if document.get("because") else None,
        )
    )


def compare_page(document: dict[str, Any], ctx: Context | None = None) -> str:
    """The `compare` answer as one page: the regimen x guideline matrix, disagreements marked."""
    ctx = ctx or context()
    rows = [
        {
            **row,
            "name": regimen_name(row["regimen"], ctx.names),
            "changed": {c["from"] for c in row["edition_changes"]},
        }
        for row in document["regimens"]
    ]
    return (
        environment()
        .get_template("compare.html.j2")
        .render(
            document=document,
            rows=rows,
            guidelines=[_citation(ctx, g) for g in document["guidelines"]],
            patient=_patient(document["derived"], document.get("line")),
            superseded=[g for g in document["guidelines"] if g not in document["current"]],
        )
    )
