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

import contextlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hcc_asp.knowledge import KnowledgeBase

__all__ = ["AuditOutcome", "audit_cohort"]


@dataclass
class AuditOutcome:
    """The audit document (summary and rejected records) and the text printed for it."""

    document: dict[str, Any]
    output: str


def audit_cohort(
    cohort: Path,
    guidelines: Sequence[str],
    kb: KnowledgeBase | None = None,
    fmt: str = "json",
    results: Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    task_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    seconds_per_record: float | None = None,
    medications_complete: bool = False,
) -> AuditOutcome:
    """Audit every record of ``cohort`` under ``guidelines`` (public ids, already checked).

    ``fmt`` is text, json (summary, rejected records and every per-patient result), csv (one
    row per record and guideline) or html (the summary as a page, with a bar chart). ``results``
    also writes the per-patient results to a ``.jsonl`` or ``.parquet`` file as they arrive.
    ``seconds_per_record`` bounds each task's CPU time (``hcc_asp.cohort.runner.assess``).
    Raises ``CohortError`` when the cohort itself cannot be read. ``kb``: the KB every record
    is asked of (the shipped one by default); the runner's workers receive this value.
    """
    from hcc_asp.cohort.output import csv_header, csv_lines
    from hcc_asp.cohort.readers import read_cohort
    from hcc_asp.cohort.runner import DEFAULT_TASK_SIZE, assess
    from hcc_asp.cohort.summary import Summary
    from hcc_asp.knowledge import or_shipped
    from hcc_asp.render import to_json

    kb = or_shipped(kb)
    summary = Summary(str(cohort), guidelines)
    patients: list[dict[str, Any]] = []
    lines: list[str] = [csv_header()] if fmt == "csv" else []
    if results is not None:
        check_results(results, cohort)
    writer = _results_writer(results) if results is not None else None
    try:
        for result in assess(
            read_cohort(cohort, kb.aliases, medications_complete),
            guidelines,
            kb,
            workers=workers,
            scheduler=scheduler,
            task_size=task_size or DEFAULT_TASK_SIZE,
            progress=progress,
            seconds_per_record=seconds_per_record,
        ):
            summary.add(result)
            if writer is not None:
                _written(results, writer.write, result)
            if fmt == "json":
                patients.append(result)
            elif fmt == "csv":
                lines.append(csv_lines(result))
        if writer is not None:
            _written(results, writer.commit)
    finally:
        if writer is not None:
            writer.discard()  # nothing left to remove after a commit
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


def check_results(results: Path, cohort: Path) -> None:
    """Refuse a ``--results`` path that would destroy an input or cannot be written.

    The results file must not be the cohort (``audit v.jsonl --results v.jsonl`` emptied the
    cohort before reading it) nor a file of a cohort folder; it must be in an existing folder;
    an existing one must be a regular file (it is replaced only when the run is complete).
    """
    from hcc_asp.cohort.readers import regular_file
    from hcc_asp.cohort.records import CohortError

    where = f"--results {results}"
    if not results.parent.is_dir():
        raise CohortError(f"{where}: the folder {results.parent} does not exist")
    if results.exists() or results.is_symlink():
        if not regular_file(results):
            raise CohortError(f"{where}: not a regular file")
        inputs = [cohort] if not cohort.is_dir() else list(cohort.iterdir())
        for item in inputs:
            with contextlib.suppress(OSError):
                if os.path.samefile(item, results):
                    raise CohortError(f"{where}: is an input of the audit ({item}); name another")


def _results_writer(results: Path) -> Any:
    from hcc_asp.cohort.output import ResultsWriter
    from hcc_asp.cohort.records import CohortError

    try:
        return ResultsWriter(results)
    except OSError as error:
        raise CohortError(f"--results {results}: cannot be written ({error.strerror})") from None


def _written(results: Path | None, action: Callable[..., None], *arguments: Any) -> None:
    """Run a write to the results file; a failure (a full disk) is one clear line."""
    from hcc_asp.cohort.records import CohortError

    try:
        action(*arguments)
    except OSError as error:
        raise CohortError(f"--results {results}: cannot be written ({error.strerror})") from None
