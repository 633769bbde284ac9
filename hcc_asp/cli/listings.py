"""What the knowledge base holds, without a patient: ``guidelines``, ``regimens``, ``kb-docs``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from hcc_asp.cli.options import FORMATS, bounded, kb_option
from hcc_asp.cli.output import run, write

if TYPE_CHECKING:
    from hcc_asp.knowledge import KnowledgeBase


def _listing(name: str, rows: list[Any], fmt: str, as_text: Any, as_json: Any) -> None:
    """Print a listing command's rows: ``{"format": 1, name: rows}`` as JSON, or as text."""
    from hcc_asp.render.controls import escaped

    write(as_json({"format": 1, name: rows}) if fmt == "json" else as_text(escaped(rows)))


@click.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@kb_option
@bounded
def guidelines(fmt: str, kb: KnowledgeBase) -> None:
    """The encoded guidelines: id, title, year, citation (DOI)."""
    from hcc_asp.api import guideline_list
    from hcc_asp.render import guidelines_text, to_json

    _listing("guidelines", run(lambda: guideline_list(kb)), fmt, guidelines_text, to_json)


@click.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@kb_option
@bounded
def regimens(fmt: str, kb: KnowledgeBase) -> None:
    """Regimen ids, aliases, component drugs and classes."""
    from hcc_asp.api import regimen_list
    from hcc_asp.render import regimens_text, to_json

    _listing("regimens", run(lambda: regimen_list(kb)), fmt, regimens_text, to_json)


@click.command(name="kb-docs")
@kb_option
@bounded
def kb_docs(kb: KnowledgeBase) -> None:
    """The authoring reference, from the KB's own documentation blocks (Markdown).

    What an edition file writes (required or optional), the unconfirmed/4 fields, and every
    condition term with its meaning, units and keys; kb/README.md carries the same text.
    """
    from hcc_asp.knowledge.docs import reference_markdown

    write(run(lambda: reference_markdown(kb)))
