"""The answers a clinician reads: ``recommend``, ``compare``, ``explain`` and ``why-not``.

Each reads PATIENT, asks the library for the answer document and prints it as text, JSON, a
self-contained HTML page or (explanations) DOT, through :func:`emit`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from hcc_asp.cli.options import (
    ANSWER_FORMATS,
    bounded,
    drafts_option,
    input_options,
    kb_option,
    load_patient_argument,
)
from hcc_asp.cli.output import fail, run, write

if TYPE_CHECKING:
    from hcc_asp.knowledge import KnowledgeBase


def emit(document: dict[str, Any], fmt: str, kb: KnowledgeBase, kind: str, **options: Any) -> None:
    """Print an answer document as JSON, text or a self-contained HTML page."""
    from hcc_asp import render

    if fmt == "json":
        write(render.to_json(document))
        return
    if fmt == "dot":
        write(render.explain_dot(document))
        return
    from hcc_asp.render.context import context

    ctx = run(lambda: context(kb))
    if fmt == "html":
        try:
            from hcc_asp.render import html
        except ModuleNotFoundError as error:  # jinja2, graphviz: the optional extra [report]
            if error.name not in ("jinja2", "graphviz", "markupsafe"):
                raise
            fail(
                [
                    f"--format html needs the report extra ({error.name} missing): "
                    "pip install 'hcc-asp[report]'"
                ]
            )
        page = {
            "recommend": html.recommend_page,
            "explain": html.explain_page,
            "compare": html.compare_page,
        }[kind]
        write(page(document, ctx, **options))
        return
    text = {
        "recommend": render.recommend_text,
        "explain": render.explain_text,
        "compare": render.compare_text,
    }[kind]
    from hcc_asp.render.controls import escaped

    write(text(escaped(document), ctx, **options))


@click.command()
@click.argument("patient")
@click.option(
    "--guideline", "-g", default=None, help="Guideline id (default: newest ASCO edition)."
)
@click.option(
    "--format", "fmt", type=click.Choice(ANSWER_FORMATS), default="text", show_default=True
)
@click.option(
    "--details",
    is_flag=True,
    help="Text: after the summary, every regimen's reasons, cautions and provenance.",
)
@kb_option
@input_options
@bounded
def recommend(
    patient: str,
    guideline: str | None,
    fmt: str,
    details: bool,
    kb: KnowledgeBase,
    **options: Any,
) -> None:
    """Every regimen the guideline mentions, with its status for PATIENT now.

    PATIENT may also be FHIR R4 (a Bundle, NDJSON or a directory of one patient's resources).
    Text prints a summary first (offered now, conditional with what to do or learn, not offered
    with the main reason); --details adds every regimen's reasons. Where the guideline edition is
    not encoded for the patient's line or population, its regimens are listed apart as "Not
    encoded" (JSON "coverage": "not_encoded", with a note): not the guideline's verdict.
    --format html writes one self-contained page (needs the extra: pip install 'hcc-asp[report]').
    """
    from hcc_asp.recommend import recommend as build

    record = load_patient_argument(patient, kb, options)
    document = run(lambda: build(record, guideline, kb))
    if fmt == "html":
        from hcc_asp.explain import explain_all

        # The page shows every regimen's derivation: one more solve, with explanation shadows.
        explanations = run(lambda: explain_all(record, guideline, kb))
        emit(document, fmt, kb, "recommend", explanations=explanations)
    else:
        emit(document, fmt, kb, "recommend", details=details)


@click.command()
@click.argument("patient")
@click.option(
    "--guideline",
    "-g",
    "guidelines",
    multiple=True,
    help="A guideline id to show (repeatable; default: every encoded guideline).",
)
@click.option(
    "--format", "fmt", type=click.Choice(ANSWER_FORMATS), default="text", show_default=True
)
@kb_option
@drafts_option
@input_options
@bounded
def compare(
    patient: str,
    guidelines: tuple[str, ...],
    fmt: str,
    kb: KnowledgeBase,
    include_drafts: bool,
    **options: Any,
) -> None:
    """PATIENT under every guideline: regimens x guidelines, disagreements explained.

    Each cell: yes, if, no, CI, - (not mentioned) or n/e (the edition is not encoded for this
    patient: not its verdict, and never counted as a disagreement).
    """
    from hcc_asp.compare import compare as build

    record = load_patient_argument(patient, kb, options)
    document = run(lambda: build(record, guidelines, kb, include_drafts))
    emit(document, fmt, kb, "compare")


def _explain(
    patient: str,
    regimen: str,
    guideline: str | None,
    fmt: str,
    tree: bool,
    kb: KnowledgeBase,
    options: dict[str, Any],
) -> None:
    from hcc_asp.explain import UnknownRegimenError, explain

    record = load_patient_argument(patient, kb, options)
    try:
        document = run(lambda: explain(record, regimen, guideline, kb))
    except UnknownRegimenError as error:
        fail([str(error)])
    emit(document, fmt, kb, "explain", **({"tree": tree} if fmt == "text" else {}))


_EXPLAIN_FORMATS = click.Choice((*ANSWER_FORMATS, "dot"))


def _explain_options(function: Any) -> Any:
    """The arguments and options shared by `explain` and `why-not`."""
    options: list[Callable[[Any], Any]] = [
        click.argument("patient"),
        click.argument("regimen"),
        click.option(
            "--guideline", "-g", default=None, help="Guideline id (default: newest ASCO edition)."
        ),
        click.option("--format", "fmt", type=_EXPLAIN_FORMATS, default="text", show_default=True),
        click.option(
            "--tree",
            is_flag=True,
            help="Text: after the answer, the full derivation tree (shared parts printed once).",
        ),
        kb_option,
        input_options,
        bounded,
    ]
    for option in reversed(options):
        function = option(function)
    return function


@click.command()
@_explain_options
def explain(
    patient: str,
    regimen: str,
    guideline: str | None,
    fmt: str,
    tree: bool,
    kb: KnowledgeBase,
    **options: Any,
) -> None:
    """Why REGIMEN has its status for PATIENT: the derivation down to the patient's data.

    REGIMEN is a regimen id or alias (see `hcc-asp regimens`). The explanation lists every unmet
    requirement and every contraindication, each with its derivation, and the smallest changes of
    patient values that would make the regimen recommended.
    """
    _explain(patient, regimen, guideline, fmt, tree, kb, options)


@click.command(name="why-not")
@_explain_options
def why_not(
    patient: str,
    regimen: str,
    guideline: str | None,
    fmt: str,
    tree: bool,
    kb: KnowledgeBase,
    **options: Any,
) -> None:
    """The same as `explain`, named as clinicians ask: "why not atezo+bev?"."""
    _explain(patient, regimen, guideline, fmt, tree, kb, options)
