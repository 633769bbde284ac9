"""The audit summary: counts and rates per guideline and line, top reasons, top missing data.

Built incrementally (:meth:`Summary.add` per result), so a cohort of any size is summarised in
constant memory apart from the rejected records, which are all kept (each is named in the output).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from hcc_asp.cohort.concordance import CONCORDANCE

__all__ = ["TOP", "Summary"]

#: How many reasons and missing keys the summary lists per guideline.
TOP = 10
#: How many discordant and not-assessable patients the summary names per guideline (to open
#: one by one); the memory stays bounded, the counts say how many more there are.
LISTED = 100
FORMAT = 1


def _rates(counts: Counter[str]) -> dict[str, Any]:
    """Counts of each class, and the concordance rate among the assessable patients."""
    row: dict[str, Any] = {name: counts[name] for name in CONCORDANCE}
    row["patients"] = sum(row.values())
    assessable = counts["concordant"] + counts["discordant"]
    row["concordance_rate"] = round(counts["concordant"] / assessable, 4) if assessable else None
    return row


class Summary:
    """Accumulates per-patient results into the audit document."""

    def __init__(self, cohort: str, guidelines: Sequence[str]) -> None:
        """Start an empty summary of ``cohort`` under the guidelines (public ids)."""
        self.cohort = cohort
        self.guidelines = list(guidelines)
        self.records = 0
        self.errors: list[dict[str, Any]] = []
        self.counts: dict[str, Counter[str]] = defaultdict(Counter)
        self.by_line: dict[tuple[str, int | None], Counter[str]] = defaultdict(Counter)
        self.reasons: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
        self.missing: dict[str, Counter[str]] = defaultdict(Counter)
        self.listed: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)

    def add(self, result: dict[str, Any]) -> None:
        """Count one per-patient result (or keep one rejected record)."""
        self.records += 1
        if "errors" in result:
            self.errors.append(result)
            return
        for item in result["guidelines"]:
            guideline, concordance = item["guideline"], item["concordance"]
            self.counts[guideline][concordance] += 1
            self.by_line[(guideline, result["line"])][concordance] += 1
            listed = self.listed[(guideline, concordance)]
            if concordance != "concordant" and len(listed) < LISTED:
                reasons = item["why_not"] if concordance == "discordant" else []
                listed.append(
                    {
                        "patient": result.get("patient"),
                        "record": result.get("record"),
                        "line": result["line"],
                        "given": result.get("given"),
                        "reason": reasons[0]["text"] if reasons else "",
                        "missing": list(item["missing"]),
                    }
                )
            if concordance == "discordant":
                for reason in item["why_not"]:
                    self.reasons[guideline][(reason["code"], reason["text"])] += 1
            for key in item["missing"]:
                self.missing[guideline][key] += 1

    def document(self) -> dict[str, Any]:
        """The audit document (`hcc-asp audit --format json`, without the per-patient results)."""
        guidelines = []
        for guideline in self.guidelines:
            lines = sorted(
                (line for g, line in self.by_line if g == guideline),
                key=lambda n: (n is None, n or 0),
            )
            reasons = sorted(self.reasons[guideline].items(), key=lambda i: (-i[1], i[0]))
            missing = sorted(self.missing[guideline].items(), key=lambda i: (-i[1], i[0]))
            guidelines.append(
                {
                    "guideline": guideline,
                    **_rates(self.counts[guideline]),
                    "by_line": [
                        {"line": line, **_rates(self.by_line[(guideline, line)])} for line in lines
                    ],
                    "top_discordance_reasons": [
                        {"code": code, "text": text, "patients": count}
                        for (code, text), count in reasons[:TOP]
                    ],
                    "top_missing": [
                        {"key": key, "patients": count} for key, count in missing[:TOP]
                    ],
                    # the first LISTED patients of each class, to open (additive)
                    "discordant_patients": self.listed[(guideline, "discordant")],
                    "not_assessable_patients": self.listed[(guideline, "not_assessable")],
                }
            )
        return {
            "format": FORMAT,
            "cohort": self.cohort,
            "records": self.records,
            "assessed": self.records - len(self.errors),
            "rejected": len(self.errors),
            "guidelines": guidelines,
            "errors": self.errors,
        }
