"""Cohorts: a concordance audit over many patients, on the batch engine (README, "Cohorts").

- :mod:`.readers` -- every input record (patient files, JSON Lines, CSV, FHIR Bulk NDJSON) as a
  patient or its problems, named by file and line;
- :mod:`.concordance` -- concordant / discordant (why not) / not assessable (what is missing);
- :mod:`.runner` -- the batch engine in this process, a process pool, or a Dask cluster;
- :mod:`.summary` -- counts and rates per guideline and line, top reasons, top missing data;
- :mod:`.output` -- per-patient results as JSON Lines, Parquet or CSV rows.

:func:`audit_cohort` is what ``hcc-asp audit`` calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["AuditOutcome", "audit_cohort"]


@dataclass
class AuditOutcome:
    """The audit document (summary and rejected records) and the text printed for it."""

    document: dict[str, Any]
    output: str


def audit_cohort(
    cohort: Path,
    guidelines: Sequence[str],
    kb: Path | None = None,
    fmt: str = "json",
    results: Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    task_size: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> AuditOutcome:
    """Audit every record of ``cohort`` under ``guidelines`` (public ids, already checked).

    ``fmt`` is text, json (summary, rejected records and every per-patient result), csv (one
    row per record and guideline) or html (the summary as a page, with a bar chart). ``results``
    also writes the per-patient results to a ``.jsonl`` or ``.parquet`` file as they arrive.
    Raises ``CohortError`` when the cohort itself cannot be read.
    """
    from hcc_asp.cohort.output import ResultsWriter, csv_header, csv_lines
    from hcc_asp.cohort.readers import read_cohort
    from hcc_asp.cohort.runner import DEFAULT_TASK_SIZE, assess
    from hcc_asp.cohort.summary import Summary
    from hcc_asp.render import to_json
    from hcc_asp.vocabulary import regimen_aliases

    summary = Summary(str(cohort), guidelines)
    patients: list[dict[str, Any]] = []
    lines: list[str] = [csv_header()] if fmt == "csv" else []
    writer = ResultsWriter(results) if results is not None else None
    try:
        for result in assess(
            read_cohort(cohort, regimen_aliases(kb)),
            guidelines,
            kb,
            workers=workers,
            scheduler=scheduler,
            task_size=task_size or DEFAULT_TASK_SIZE,
            progress=progress,
        ):
            summary.add(result)
            if writer is not None:
                writer.write(result)
            if fmt == "json":
                patients.append(result)
            elif fmt == "csv":
                lines.append(csv_lines(result))
    finally:
        if writer is not None:
            writer.close()
    document = summary.document()
    if fmt == "json":
        output = to_json({**document, "patients": patients})
    elif fmt == "csv":
        output = "".join(lines)
    elif fmt == "html":
        from hcc_asp.render.audit import audit_page

        output = audit_page(document)
    else:
        from hcc_asp.render.audit import audit_text

        output = audit_text(document)
    return AuditOutcome(document, output)
