"""The concordance audit as text for a screen and, with the ``[report]`` extra, as an HTML page.

Lays out the summary document of :mod:`hcc_asp.cohort.summary`: per guideline the counts and the
concordance rate, per line, the top reasons for discordance and the top missing data, then every
rejected record with its problems (nothing is left out).
"""

from __future__ import annotations

from typing import Any

from hcc_asp.render.words import key_phrase

__all__ = ["audit_page", "audit_text"]

#: Words and colours (the report stylesheet's) of the concordance classes, in chart order.
KINDS = (
    ("concordant", "concordant", "var(--ok)"),
    ("discordant", "discordant", "var(--no)"),
    ("not_assessable", "not assessable", "var(--if)"),
)


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _counts(row: dict[str, Any]) -> str:
    return (
        f"{row['patients']:>6} {row['concordant']:>10} {row['discordant']:>10} "
        f"{row['not_assessable']:>14}  {_rate(row['concordance_rate']):>11}"
    )


def audit_text(document: dict[str, Any]) -> str:
    """The audit summary as plain text (``hcc-asp audit --format text``)."""
    from hcc_asp.render.text import fit, fitted

    out = fitted(
        f"Concordance audit of {document['cohort']}: {document['records']} records, "
        f"{document['assessed']} assessed, {document['rejected']} rejected."
    ) + fitted(
        "Concordance rate = concordant / (concordant + discordant); not assessable: no given "
        "regimen, data missing, or the guideline does not mention the regimen."
    )
    for guideline in document["guidelines"]:
        out += [
            "",
            f"{guideline['guideline']:<11}  patients concordant discordant not assessable"
            "  concordance",
            f"  all lines  {_counts(guideline)}",
        ]
        for line in guideline["by_line"]:
            label = "line ?" if line["line"] is None else f"line {line['line']}"
            out.append(f"  {label:<9}  {_counts(line)}")
        if guideline["top_discordance_reasons"]:
            out.append("  top reasons for discordance (patients):")
            out += [
                f"    {r['patients']:>6}  {r['text']}" for r in guideline["top_discordance_reasons"]
            ]
        if guideline["top_missing"]:
            out.append("  top missing data (patients):")
            out += [
                f"    {m['patients']:>6}  {key_phrase(m['key'])} [{m['key']}]"
                for m in guideline["top_missing"]
            ]
    if document["errors"]:
        out += ["", f"Rejected records ({len(document['errors'])}):"]
        for error in document["errors"]:
            for problem in error["errors"]:
                out += fitted(f"  {error['record']}: {problem}", "    ")
    return fit(out) + "\n"


def _chart(document: dict[str, Any]) -> dict[str, Any]:
    """Geometry of the inline SVG bar chart: one stacked bar per guideline, widths by count."""
    from hcc_asp.render.words import guideline_label

    label_width, bar_width, height = 120, 360, 28
    top = 4
    bars = []
    for row, guideline in enumerate(document["guidelines"]):
        x, segments = float(label_width), []
        for kind, words, colour in KINDS:
            count = guideline[kind]
            if not count:
                continue
            width = round(bar_width * count / guideline["patients"], 1)
            segments.append(
                {"kind": kind, "words": words, "colour": colour, "count": count, "x": x}
                | {"width": width}
            )
            x = round(x + width, 1)
        bars.append(
            {
                "guideline": guideline["guideline"],
                "label": guideline_label(guideline["guideline"]),
                "y": top + row * height,
                "segments": segments,
                "rate": _rate(guideline["concordance_rate"]),
            }
        )
    rate_x = label_width + bar_width + 10
    axis_y = top + height * len(bars) + 2
    ticks = [
        {"x": round(label_width + bar_width * share / 100, 1), "label": f"{share}%"}
        for share in (0, 25, 50, 75, 100)
    ]
    return {
        "width": rate_x + 60,
        "height": axis_y + 34,
        "rate_x": rate_x,
        "bars": bars,
        # the axis: share of each guideline's patients, under the bars
        "axis": {"y": axis_y, "x0": label_width, "x1": label_width + bar_width, "ticks": ticks},
    }


def audit_page(document: dict[str, Any]) -> str:
    """The audit as one self-contained HTML page (``--format html``; the ``[report]`` extra).

    The report's own templates and stylesheet (``hcc_asp.render.html``), a bar chart of
    concordance per guideline as inline SVG, the tables by line, top reasons and missing data,
    and every rejected record.
    """
    from hcc_asp.render.html import environment

    tables = {
        g["guideline"]: [{"label": "all lines", **g}]
        + [
            {"label": "unknown" if row["line"] is None else f"line {row['line']}", **row}
            for row in g["by_line"]
        ]
        for g in document["guidelines"]
    }
    from hcc_asp.render.context import context

    template = environment().get_template("audit.html.j2")
    return template.render(
        document=document,
        chart=_chart(document),
        tables=tables,
        rate=_rate,
        names=context().names,  # the regimen given, by its name
    )
