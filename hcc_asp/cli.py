"""The ``hcc-asp`` command: a thin layer that parses, calls the library, prints, and maps errors.

Exit codes (spec/cli.md): 0 success; 1 ``check`` found an error; 2 bad usage or bad input, with one
line per problem on stderr and nothing on stdout.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import click

FORMATS = ("text", "json")


def _fail(problems: list[str]) -> NoReturn:
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    sys.exit(2)


def _kb_option(function: Any) -> Any:
    return click.option(
        "--kb",
        "kb",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Use another copy of the knowledge-base folder (default: the installed kb/).",
    )(function)


def _load(patient: str, kb: Path | None) -> Any:
    from hcc_asp.patient import PatientError, load_patient
    from hcc_asp.vocabulary import regimen_aliases

    try:
        return load_patient(patient, stdin=sys.stdin, aliases=regimen_aliases(kb))
    except PatientError as error:
        _fail(error.problems)


def _run(call: Any) -> Any:
    """Run a library call, turning the library's input errors into exit code 2."""
    from hcc_asp.engine import KnowledgeBaseError
    from hcc_asp.recommend import InputConflictError, UnknownGuidelineError

    try:
        return call()
    except InputConflictError as error:
        _fail(error.problems)
    except (UnknownGuidelineError, KnowledgeBaseError) as error:
        _fail([str(error)])


def _listing(name: str, rows: list[Any], fmt: str, as_text: Any, as_json: Any) -> None:
    """Print a listing command's rows: ``{"format": 1, name: rows}`` as JSON, or as text."""
    click.echo(as_json({"format": 1, name: rows}) if fmt == "json" else as_text(rows), nl=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hcc-asp")
def main() -> None:
    """Systemic therapy of advanced hepatocellular carcinoma, from guideline knowledge in ASP.

    PATIENT is a YAML or JSON patient file (spec: patient.md), or - for standard input.
    """


@main.command()
@click.argument("patient")
@click.option(
    "--guideline", "-g", default=None, help="Guideline id (default: newest ASCO edition)."
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@_kb_option
def recommend(patient: str, guideline: str | None, fmt: str, kb: Path | None) -> None:
    """Every regimen the guideline mentions, with its status for PATIENT now."""
    from hcc_asp.engine import catalogue
    from hcc_asp.recommend import recommend as build
    from hcc_asp.recommend import resolve_guideline
    from hcc_asp.render import recommend_text, to_json

    record = _load(patient, kb)
    document = _run(lambda: build(record, guideline, kb))
    if fmt == "json":
        click.echo(to_json(document), nl=False)
    else:
        atom = resolve_guideline(document["guideline"], kb)
        click.echo(recommend_text(document, str(catalogue(kb).guidelines[atom]["title"])), nl=False)


@main.command()
@click.argument("patient")
@click.option(
    "--guideline",
    "-g",
    "guidelines",
    multiple=True,
    help="A guideline id to show (repeatable; default: every encoded guideline).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@_kb_option
def compare(patient: str, guidelines: tuple[str, ...], fmt: str, kb: Path | None) -> None:
    """PATIENT under every guideline: regimens x guidelines, disagreements explained."""
    from hcc_asp.compare import compare as build
    from hcc_asp.render import compare_text, to_json

    record = _load(patient, kb)
    document = _run(lambda: build(record, guidelines, kb))
    click.echo(to_json(document) if fmt == "json" else compare_text(document), nl=False)


def _explain(patient: str, regimen: str, guideline: str | None, fmt: str, kb: Path | None) -> None:
    from hcc_asp.explain import UnknownRegimenError, explain
    from hcc_asp.render import explain_dot, explain_text, to_json

    record = _load(patient, kb)
    try:
        document = _run(lambda: explain(record, regimen, guideline, kb))
    except UnknownRegimenError as error:
        _fail([str(error)])
    renderers = {"json": to_json, "dot": explain_dot, "text": explain_text}
    click.echo(renderers[fmt](document), nl=False)


_EXPLAIN_FORMATS = click.Choice((*FORMATS, "dot"))


def _explain_options(function: Any) -> Any:
    """The arguments and options shared by `explain` and `why-not`."""
    options = [
        click.argument("patient"),
        click.argument("regimen"),
        click.option(
            "--guideline", "-g", default=None, help="Guideline id (default: newest ASCO edition)."
        ),
        click.option("--format", "fmt", type=_EXPLAIN_FORMATS, default="text", show_default=True),
        _kb_option,
    ]
    for option in reversed(options):
        function = option(function)
    return function


@main.command()
@_explain_options
def explain(patient: str, regimen: str, guideline: str | None, fmt: str, kb: Path | None) -> None:
    """Why REGIMEN has its status for PATIENT: the derivation down to the patient's data.

    REGIMEN is a regimen id or alias (see `hcc-asp regimens`). The explanation lists every unmet
    requirement and every contraindication, each with its derivation, and the smallest changes of
    patient values that would make the regimen recommended.
    """
    _explain(patient, regimen, guideline, fmt, kb)


@main.command(name="why-not")
@_explain_options
def why_not(patient: str, regimen: str, guideline: str | None, fmt: str, kb: Path | None) -> None:
    """The same as `explain`, named as clinicians ask: "why not atezo+bev?"."""
    _explain(patient, regimen, guideline, fmt, kb)


@main.command()
@click.option("--guideline", "-g", default="all", show_default=True, help="Guideline id, or all.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@_kb_option
def check(guideline: str, fmt: str, kb: Path | None) -> None:
    """Consistency checks of the knowledge base over every possible patient.

    Finds conflicts, gaps, dead rules, tensions, provenance problems and undefined predicates,
    each with a witness patient file. Exit code 1 when a finding of severity error exists.
    """
    from hcc_asp.check import check as run_check
    from hcc_asp.render import check_text, to_json

    document = _run(lambda: run_check(guideline, kb))
    click.echo(to_json(document) if fmt == "json" else check_text(document), nl=False)
    if any(f["severity"] == "error" for f in document["findings"]):
        sys.exit(1)


@main.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@_kb_option
def guidelines(fmt: str, kb: Path | None) -> None:
    """The encoded guidelines: id, title, year, citation (DOI)."""
    from hcc_asp.api import guideline_list
    from hcc_asp.render import guidelines_text, to_json

    _listing("guidelines", _run(lambda: guideline_list(kb)), fmt, guidelines_text, to_json)


@main.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@_kb_option
def regimens(fmt: str, kb: Path | None) -> None:
    """Regimen ids, aliases, component drugs and classes."""
    from hcc_asp.api import regimen_list
    from hcc_asp.render import regimens_text, to_json

    _listing("regimens", _run(lambda: regimen_list(kb)), fmt, regimens_text, to_json)
