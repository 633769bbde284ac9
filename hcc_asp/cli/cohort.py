"""``audit``: the concordance audit of a cohort, with a progress bar and exit 3 on rejected records.

The cohort runner (``hcc_asp.cohort``) does the work; this module checks the options against the
extras installed, shows progress on a terminal, and prints every rejected record as one line.
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hcc_asp.cli.options import kb_option, medications_option, open_kb
from hcc_asp.cli.output import fail, one_line, run, write

if TYPE_CHECKING:
    from hcc_asp.knowledge import KnowledgeBase

AUDIT_FORMATS = ("text", "json", "csv", "html")


@click.command()
@click.argument("cohort", type=click.Path(path_type=Path))
@click.option(
    "--guideline",
    "-g",
    "guidelines",
    multiple=True,
    help="A guideline id to audit against (repeatable; default: newest ASCO edition).",
)
@click.option(
    "--format", "fmt", type=click.Choice(AUDIT_FORMATS), default="text", show_default=True
)
@click.option(
    "--results",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write every record's result to FILE: .jsonl (one result a line) or .parquet "
    "(one row per record and guideline; needs the [cohort] extra).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes of the local pool (default: every core; 1 runs in this process).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Run the tasks on a Dask cluster (e.g. tcp://host:8786; needs the [cohort] extra).",
)
@click.option(
    "--task-size",
    type=click.IntRange(min=1),
    default=None,
    help="Records per task, one clingo Control each (default 100).",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="CPU seconds the knowledge base may take per record (a task of N records, N times "
    "this); exit 2 past it.",
)
@click.option(
    "--memory-limit",
    type=click.IntRange(min=64),
    default=3072,
    show_default=True,
    metavar="MIB",
    help="Memory (address space, MiB) of the run's process and of each pool worker; exit 2 "
    "past it.",
)
@kb_option
@medications_option
def audit(
    cohort: Path,
    guidelines: tuple[str, ...],
    fmt: str,
    results: Path | None,
    workers: int | None,
    scheduler: str | None,
    task_size: int | None,
    time_limit: float,
    memory_limit: int,
    kb: Path | None,
    medications_complete: bool,
) -> None:
    """Concordance audit of a COHORT: was the regimen given one that the guideline offered.

    COHORT is a directory of patient files, a JSON Lines file of patient documents (.jsonl), a
    CSV file (.csv, columns in the README), or FHIR Bulk Data NDJSON (a directory of .ndjson
    files). Per patient and guideline: concordant, discordant (with why not), or not assessable
    (with what is missing); then counts and rates per guideline and line, the top reasons for
    discordance and the top missing data. --format html is one self-contained page with a bar
    chart of concordance per guideline. Every record is in the output, as a result or as an
    error naming it (file:line). Exit 0 all records assessed, 3 some records rejected, 2
    nothing usable.
    """
    from hcc_asp.cohort import audit_cohort
    from hcc_asp.cohort.records import CohortError
    from hcc_asp.engine.limits import LimitExceededError, bounded, cpu_budget
    from hcc_asp.recommend import resolve_guideline

    chosen: list[str | None] = [*dict.fromkeys(guidelines)] or [None]
    with cpu_budget(time_limit):  # loading the KB: the time of one record
        knowledge = open_kb(kb)
        public = run(
            lambda: [_public_id(resolve_guideline(g, knowledge), knowledge) for g in chosen]
        )
    if scheduler is not None:
        _require(
            "distributed", "--scheduler needs the [cohort] extra: pip install 'hcc-asp[cohort]'"
        )
    if fmt == "html":
        _require("jinja2", "--format html needs the report extra: pip install 'hcc-asp[report]'")
    if results is not None and results.suffix.lower() not in (".jsonl", ".parquet"):
        fail([f"--results {results}: the file name must end in .jsonl or .parquet"])
    if results is not None and results.suffix.lower() == ".parquet":
        _require(
            "pyarrow", "--results .parquet needs the [cohort] extra: pip install 'hcc-asp[cohort]'"
        )
    with _progress() as advance:
        try:
            # The memory limit holds for this process and the pool workers it forks; the time
            # limit for each task, wherever it runs (hcc_asp.cohort.runner).
            with bounded(math.inf, memory_limit):
                outcome = run(
                    lambda: audit_cohort(
                        cohort,
                        public,
                        knowledge,
                        fmt=fmt,
                        results=results,
                        workers=workers,
                        scheduler=scheduler,
                        task_size=task_size,
                        progress=advance,
                        seconds_per_record=time_limit,
                        medications_complete=medications_complete,
                    )
                )
        except CohortError as error:
            fail([str(error)])
        except LimitExceededError as error:
            fail([str(error)])
    for rejected in outcome.document["errors"]:
        for problem in rejected["errors"]:
            click.echo(f"error: {one_line(rejected['record'])}: {one_line(problem)}", err=True)
    if outcome.document["assessed"] == 0:
        if outcome.document["records"] == 0:
            fail([f"{cohort}: no records"])
        fail([f"{cohort}: no record could be assessed"])
    write(outcome.output)
    sys.exit(3 if outcome.document["rejected"] else 0)


def _public_id(atom: str, kb: KnowledgeBase) -> str:
    return str(kb.catalogue.guidelines[atom]["id"])


def _require(module: str, message: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        fail([message])


@contextlib.contextmanager
def _progress() -> Iterator[Callable[[int], None] | None]:
    """A rich progress bar on stderr when it is a terminal (and rich is installed); else quiet."""
    if not sys.stderr.isatty():
        yield None
        return
    try:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    except ImportError:
        yield None
        return
    columns = (BarColumn(), TextColumn("{task.completed} records"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("audit", total=None)
        yield lambda count: bar.advance(task, count)
