"""The concordance audit as text for a screen (and, with the ``[report]`` extra, as an HTML page).

Lays out the summary document of :mod:`hcc_asp.cohort.summary`: per guideline the counts and the
concordance rate, per line, the top reasons for discordance and the top missing data, then every
rejected record with its problems (nothing is left out).
"""

from __future__ import annotations

from typing import Any

__all__ = ["audit_text"]


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _counts(row: dict[str, Any]) -> str:
    return (
        f"{row['patients']:>6} {row['concordant']:>10} {row['discordant']:>10} "
        f"{row['not_assessable']:>14}  {_rate(row['concordance_rate']):>11}"
    )


def audit_text(document: dict[str, Any]) -> str:
    """The audit summary as plain text (``hcc-asp audit --format text``)."""
    out = [
        f"Concordance audit of {document['cohort']}: {document['records']} records, "
        f"{document['assessed']} assessed, {document['rejected']} rejected.",
        "Concordance rate = concordant / (concordant + discordant); not assessable: no given "
        "regimen, data missing, or the guideline does not mention the regimen.",
    ]
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
            out.append("  top reasons for discordance:")
            out += [
                f"    {r['patients']:>6}  {r['code']}: {r['text']}"
                for r in guideline["top_discordance_reasons"]
            ]
        if guideline["top_missing"]:
            out.append("  top missing data:")
            out += [f"    {m['patients']:>6}  {m['key']}" for m in guideline["top_missing"]]
    if document["errors"]:
        out += ["", f"Rejected records ({len(document['errors'])}):"]
        for error in document["errors"]:
            out += [f"  {error['record']}: {problem}" for problem in error["errors"]]
    return "\n".join(out) + "\n"
