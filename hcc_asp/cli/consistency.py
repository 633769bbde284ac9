"""``check``: the consistency checks of the knowledge base, and exit code 1 on an error finding."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from hcc_asp.cli.options import FORMATS, bounded, drafts_option, kb_option
from hcc_asp.cli.output import run, write

if TYPE_CHECKING:
    from hcc_asp.knowledge import KnowledgeBase


@click.command()
@click.option("--guideline", "-g", default="all", show_default=True, help="Guideline id, or all.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@kb_option
@drafts_option
@bounded
def check(guideline: str, fmt: str, kb: KnowledgeBase, include_drafts: bool) -> None:
    """Consistency checks of the knowledge base over every possible patient.

    Finds conflicts, gaps, dead rules, tensions, provenance problems and undefined predicates,
    each with a witness patient file. Exit code 1 when a finding of severity error exists. With
    --guideline all also (severity info) disagreements between encoded statements, edition
    changes, and coverage: a regimen offered where another edition is not encoded.
    """
    from hcc_asp.check import check as run_check
    from hcc_asp.render import check_text, to_json
    from hcc_asp.render.controls import escaped

    document = run(lambda: run_check(guideline, kb, include_drafts))
    write(to_json(document) if fmt == "json" else check_text(escaped(document)))
    if any(f["severity"] == "error" for f in document["findings"]):
        sys.exit(1)
