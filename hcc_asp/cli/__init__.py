"""The ``hcc-asp`` command: a thin layer that parses, calls the library, prints, and maps errors.

Exit codes (spec/cli.md): 0 success; 1 ``check`` found an error; 2 bad usage or bad input, with one
line per problem on stderr and nothing on stdout.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import click

FORMATS = ("text", "json")
#: Formats of the answers a clinician reads (recommend, explain/why-not, compare).
ANSWER_FORMATS = (*FORMATS, "html")


def _one_line(text: str) -> str:
    """One line, control characters escaped (an id with a newline cannot forge a second line)."""
    from hcc_asp.render.controls import escape_controls

    return escape_controls(str(text))


def _fail(problems: list[str]) -> NoReturn:
    from hcc_asp.limits import finish

    finish()
    for problem in problems:
        click.echo(f"error: {_one_line(problem)}", err=True)
    sys.exit(2)


def _kb_path(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Path | None:
    if value is None:
        return None
    if not value:
        _fail(["--kb: empty path; give the knowledge-base folder"])
    return Path(value)


def _kb_option(function: Any) -> Any:
    return click.option(
        "--kb",
        "kb",
        type=str,
        callback=_kb_path,
        default=None,
        metavar="DIR",
        help="Use another copy of the knowledge-base folder (default: the installed kb/).",
    )(function)


def _bounded(function: Callable[..., None]) -> Callable[..., None]:
    """Add --time-limit and --memory-limit, and run the command within them (hcc_asp.limits)."""
    from hcc_asp.limits import DEFAULT_MEMORY_MIB, DEFAULT_SECONDS

    @click.option(
        "--time-limit",
        type=click.FloatRange(min=0, min_open=True),
        default=DEFAULT_SECONDS,
        show_default=True,
        metavar="SECONDS",
        help="CPU seconds the knowledge base may take (grounding and solving); exit 2 past it.",
    )
    @click.option(
        "--memory-limit",
        type=click.IntRange(min=64),
        default=DEFAULT_MEMORY_MIB,
        show_default=True,
        metavar="MIB",
        help="Memory (address space, MiB) the command may use; exit 2 past it.",
    )
    @functools.wraps(function)
    def wrapper(*args: Any, time_limit: float, memory_limit: int, **kwargs: Any) -> None:
        from hcc_asp.limits import LimitExceededError, bounded

        try:
            with bounded(time_limit, memory_limit):
                function(*args, **kwargs)
        except LimitExceededError as error:
            _fail([str(error)])

    return wrapper


def _write(text: str) -> None:
    """Write a command's whole output; a full disk or a closed pipe is one line, exit 2."""
    from hcc_asp.limits import finish

    finish()
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as error:
        import os

        # nothing more can reach stdout: keep the interpreter's final flush quiet
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        reason = (error.strerror or str(error)).lower()
        _fail([f"cannot write the output to stdout ({reason})"])


def _drafts_option(function: Any) -> Any:
    return click.option(
        "--include-drafts",
        is_flag=True,
        default=False,
        help="Count draft editions (guideline_draft/2) in disagreements and edition changes.",
    )(function)


def _load(patient: str, kb: Path | None, options: dict[str, Any] | None = None) -> Any:
    """Read PATIENT (a patient file or FHIR, see ``_input_options``); exit 2 on bad input."""
    from hcc_asp.patient import PatientError, read_patient
    from hcc_asp.vocabulary import regimen_aliases

    options = options or {}
    as_of = options.get("as_of")
    aliases = _run(lambda: regimen_aliases(kb))
    try:
        return read_patient(
            patient,
            stdin=sys.stdin,
            aliases=aliases,
            input_format=options.get("input_format") or "auto",
            as_of=as_of.date() if as_of is not None else None,
        )
    except PatientError as error:
        _fail(error.problems)


_INPUT_HELP = (
    "What PATIENT is: auto (detect: FHIR when it is a directory or JSON with a resourceType), "
    "file (a patient file) or fhir (FHIR R4 Bundle, resource, NDJSON or directory)."
)
_AS_OF_HELP = (
    "FHIR input: the date the answer is for (default today). Later records are ignored; values "
    "more than 30 days older are reported as stale."
)


def _input_options(function: Any) -> Any:
    """``--input`` and ``--as-of`` for every command that takes PATIENT (README, FHIR input)."""
    function = click.option(
        "--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help=_AS_OF_HELP
    )(function)
    return click.option(
        "--input",
        "input_format",
        type=click.Choice(("auto", "file", "fhir")),
        default="auto",
        show_default=True,
        help=_INPUT_HELP,
    )(function)


def _run(call: Any) -> Any:
    """Run a library call, turning the library's input errors into exit code 2."""
    from hcc_asp.recommend import InputConflictError, UnknownGuidelineError
    from hcc_asp.resources import KnowledgeBaseError

    try:
        return call()
    except InputConflictError as error:
        _fail(error.problems)
    except (UnknownGuidelineError, KnowledgeBaseError) as error:
        _fail([str(error)])


def _emit(document: dict[str, Any], fmt: str, kb: Path | None, kind: str, **options: Any) -> None:
    """Print an answer document as JSON, text or a self-contained HTML page."""
    from hcc_asp import render

    if fmt == "json":
        _write(render.to_json(document))
        return
    if fmt == "dot":
        _write(render.explain_dot(document))
        return
    from hcc_asp.render.context import context

    ctx = _run(lambda: context(kb))
    if fmt == "html":
        try:
            from hcc_asp.render import html
        except ModuleNotFoundError as error:  # jinja2, graphviz: the optional extra [report]
            if error.name not in ("jinja2", "graphviz", "markupsafe"):
                raise
            _fail(
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
        _write(page(document, ctx, **options))
        return
    text = {
        "recommend": render.recommend_text,
        "explain": render.explain_text,
        "compare": render.compare_text,
    }[kind]
    from hcc_asp.render.controls import escaped

    _write(text(escaped(document), ctx, **options))


def _listing(name: str, rows: list[Any], fmt: str, as_text: Any, as_json: Any) -> None:
    """Print a listing command's rows: ``{"format": 1, name: rows}`` as JSON, or as text."""
    from hcc_asp.render.controls import escaped

    _write(as_json({"format": 1, name: rows}) if fmt == "json" else as_text(escaped(rows)))


#: Commands that run long or allocate without a bound: the garbage collector stays on for them
#: (``hcc_asp.console`` starts a one-shot command with it off).
_COLLECTING = frozenset({"serve", "check", "audit"})


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hcc-asp")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Systemic therapy of advanced hepatocellular carcinoma, from guideline knowledge in ASP.

    PATIENT is a YAML or JSON patient file (spec: patient.md), or - for standard input. It may
    also be one patient's FHIR R4 record (a Bundle, NDJSON or a directory of resources; needs
    pip install 'hcc-asp[fhir]'), detected from its resourceType or forced with --input fhir.

    What the KB states without a patient is kept in a per-KB cache between runs (README, "The
    per-KB cache"): HCC_ASP_CACHE_DIR=DIR puts it in DIR, HCC_ASP_NO_CACHE=1 turns it off.
    """
    if ctx.invoked_subcommand in _COLLECTING:
        import gc

        gc.enable()


@main.command()
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
@_kb_option
@_input_options
@_bounded
def recommend(
    patient: str,
    guideline: str | None,
    fmt: str,
    details: bool,
    kb: Path | None,
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

    record = _load(patient, kb, options)
    document = _run(lambda: build(record, guideline, kb))
    if fmt == "html":
        from hcc_asp.explain import explain_all

        # The page shows every regimen's derivation: one more solve, with explanation shadows.
        explanations = _run(lambda: explain_all(record, guideline, kb))
        _emit(document, fmt, kb, "recommend", explanations=explanations)
    else:
        _emit(document, fmt, kb, "recommend", details=details)


@main.command()
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
@_kb_option
@_drafts_option
@_input_options
@_bounded
def compare(
    patient: str,
    guidelines: tuple[str, ...],
    fmt: str,
    kb: Path | None,
    include_drafts: bool,
    **options: Any,
) -> None:
    """PATIENT under every guideline: regimens x guidelines, disagreements explained.

    Each cell: yes, if, no, CI, - (not mentioned) or n/e (the edition is not encoded for this
    patient: not its verdict, and never counted as a disagreement).
    """
    from hcc_asp.compare import compare as build

    record = _load(patient, kb, options)
    document = _run(lambda: build(record, guidelines, kb, include_drafts))
    _emit(document, fmt, kb, "compare")


def _explain(
    patient: str,
    regimen: str,
    guideline: str | None,
    fmt: str,
    tree: bool,
    kb: Path | None,
    options: dict[str, Any],
) -> None:
    from hcc_asp.explain import UnknownRegimenError, explain

    record = _load(patient, kb, options)
    try:
        document = _run(lambda: explain(record, regimen, guideline, kb))
    except UnknownRegimenError as error:
        _fail([str(error)])
    _emit(document, fmt, kb, "explain", **({"tree": tree} if fmt == "text" else {}))


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
        _kb_option,
        _input_options,
        _bounded,
    ]
    for option in reversed(options):
        function = option(function)
    return function


@main.command()
@_explain_options
def explain(
    patient: str,
    regimen: str,
    guideline: str | None,
    fmt: str,
    tree: bool,
    kb: Path | None,
    **options: Any,
) -> None:
    """Why REGIMEN has its status for PATIENT: the derivation down to the patient's data.

    REGIMEN is a regimen id or alias (see `hcc-asp regimens`). The explanation lists every unmet
    requirement and every contraindication, each with its derivation, and the smallest changes of
    patient values that would make the regimen recommended.
    """
    _explain(patient, regimen, guideline, fmt, tree, kb, options)


@main.command(name="why-not")
@_explain_options
def why_not(
    patient: str,
    regimen: str,
    guideline: str | None,
    fmt: str,
    tree: bool,
    kb: Path | None,
    **options: Any,
) -> None:
    """The same as `explain`, named as clinicians ask: "why not atezo+bev?"."""
    _explain(patient, regimen, guideline, fmt, tree, kb, options)


@main.command()
@click.option("--guideline", "-g", default="all", show_default=True, help="Guideline id, or all.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@_kb_option
@_drafts_option
@_bounded
def check(guideline: str, fmt: str, kb: Path | None, include_drafts: bool) -> None:
    """Consistency checks of the knowledge base over every possible patient.

    Finds conflicts, gaps, dead rules, tensions, provenance problems and undefined predicates,
    each with a witness patient file. Exit code 1 when a finding of severity error exists. With
    --guideline all also (severity info) disagreements between encoded statements, edition
    changes, and coverage: a regimen offered where another edition is not encoded.
    """
    from hcc_asp.check import check as run_check
    from hcc_asp.render import check_text, to_json
    from hcc_asp.render.controls import escaped

    document = _run(lambda: run_check(guideline, kb, include_drafts))
    _write(to_json(document) if fmt == "json" else check_text(escaped(document)))
    if any(f["severity"] == "error" for f in document["findings"]):
        sys.exit(1)


@main.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@_kb_option
@_bounded
def guidelines(fmt: str, kb: Path | None) -> None:
    """The encoded guidelines: id, title, year, citation (DOI)."""
    from hcc_asp.api import guideline_list
    from hcc_asp.render import guidelines_text, to_json

    _listing("guidelines", _run(lambda: guideline_list(kb)), fmt, guidelines_text, to_json)


@main.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@_kb_option
@_bounded
def regimens(fmt: str, kb: Path | None) -> None:
    """Regimen ids, aliases, component drugs and classes."""
    from hcc_asp.api import regimen_list
    from hcc_asp.render import regimens_text, to_json

    _listing("regimens", _run(lambda: regimen_list(kb)), fmt, regimens_text, to_json)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--guideline",
    "-g",
    "guidelines",
    multiple=True,
    help="A guideline id answered, one card each (repeatable; default: newest ASCO edition).",
)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--max-body-bytes",
    default=4 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(1024),
    help="Largest request body; larger ones get HTTP 413.",
)
@click.option(
    "--max-json-depth",
    default=32,
    show_default=True,
    type=click.IntRange(4, 1000),
    help="Deepest JSON nesting accepted in a request.",
)
@click.option(
    "--limit-concurrency",
    default=None,
    type=click.IntRange(1),
    help="Most connections served at once per worker; more get HTTP 503 (uvicorn).",
)
@click.option(
    "--fhir-timeout",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0.1, 120),
    help="Seconds per call to the EHR's FHIR server.",
)
@click.option(
    "--jwks",
    "jwks_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="JWK Set file of the EHR's public keys: when given, every call needs its signed JWT.",
)
@click.option(
    "--jwt-issuer", "jwt_issuers", multiple=True, help="A trusted JWT issuer (iss; repeatable)."
)
@click.option(
    "--jwt-algorithm",
    "jwt_algorithms",
    multiple=True,
    help="An accepted JWT algorithm (repeatable; default ES384 and RS384).",
)
@click.option(
    "--public-url",
    default=None,
    help="Base URL the EHR calls (JWT audience, card links); default: from each request.",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    help="An allowed CORS origin (repeatable; default: any).",
)
@click.option(
    "--feedback-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("cds-feedback.jsonl"),
    show_default=True,
    help="Append-only JSON-lines log of the EHR's card feedback.",
)
@click.option(
    "--explanation-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the data behind card links (default: a new private temporary folder).",
)
@click.option(
    "--explanation-ttl",
    default=3600,
    show_default=True,
    type=click.IntRange(1),
    help="Seconds a card's explanation link stays valid.",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(("critical", "error", "warning", "info", "debug")),
)
@_kb_option
def serve(
    host: str,
    port: int,
    guidelines: tuple[str, ...],
    workers: int,
    max_body_bytes: int,
    max_json_depth: int,
    limit_concurrency: int | None,
    fhir_timeout: float,
    jwks_file: Path | None,
    jwt_issuers: tuple[str, ...],
    jwt_algorithms: tuple[str, ...],
    public_url: str | None,
    cors_origins: tuple[str, ...],
    feedback_file: Path,
    explanation_dir: Path | None,
    explanation_ttl: int,
    log_level: str,
    kb: Path | None,
) -> None:
    """A CDS Hooks 2.0 service: cards with the explanation, inside the EHR.

    GET /cds-services lists the services (patient-view per guideline and compared, order-select,
    order-sign); POST /cds-services/{id} answers a hook; feedback is appended to --feedback-file.
    Needs the optional extra: pip install 'hcc-asp[service]'.
    """
    import os
    import tempfile

    try:
        import uvicorn

        from hcc_asp.service.settings import DEFAULT_ALGORITHMS, ServiceSettings
    except ImportError as error:
        _fail([f"the service needs the optional extra: pip install 'hcc-asp[service]' ({error})"])
    from hcc_asp.recommend import resolve_guideline

    for guideline in guidelines:
        _run(lambda g=guideline: resolve_guideline(g, kb))
    if jwks_file is not None and not jwt_issuers:
        _fail(["--jwks needs at least one --jwt-issuer (the EHR issuers to trust)"])
    folder = explanation_dir or Path(tempfile.mkdtemp(prefix="hcc-asp-explain-"))
    settings = ServiceSettings(
        guidelines=guidelines,
        kb=kb,
        max_body_bytes=max_body_bytes,
        max_json_depth=max_json_depth,
        fhir_timeout_seconds=fhir_timeout,
        jwks_file=jwks_file,
        jwt_issuers=jwt_issuers,
        jwt_algorithms=jwt_algorithms or DEFAULT_ALGORITHMS,
        public_url=public_url,
        cors_origins=cors_origins or ("*",),
        feedback_file=feedback_file.resolve(),
        explanation_dir=folder.resolve(),
        explanation_ttl_seconds=explanation_ttl,
    )
    os.environ.update(settings.to_environment())
    uvicorn.run(
        "hcc_asp.service.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        limit_concurrency=limit_concurrency,
    )


@main.command(name="kb-docs")
@_kb_option
@_bounded
def kb_docs(kb: Path | None) -> None:
    """The authoring reference, from the KB's own documentation blocks (Markdown).

    What an edition file writes (required or optional), the unconfirmed/4 fields, and every
    condition term with its meaning, units and keys; kb/README.md carries the same text.
    """
    from hcc_asp.kbdocs import reference_markdown

    _write(_run(lambda: reference_markdown(kb)))


@main.command(name="import")
@click.argument("bundle")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help=_AS_OF_HELP)
def import_(bundle: str, as_of: Any) -> None:
    """Print the patient file (YAML) derived from BUNDLE, a FHIR R4 record of one patient.

    BUNDLE is a Bundle or resource (JSON), NDJSON, a directory of them, or - for standard input.
    Each value is commented with the resource it came from; what could not be mapped is listed
    as comments at the end, so that a clinician can check and complete the file.
    """
    import datetime as dt

    from hcc_asp.patient import PatientError
    from hcc_asp.patient.fhir import patient_from_derivation, read_derivation
    from hcc_asp.patient.write import patient_yaml
    from hcc_asp.vocabulary import regimen_aliases

    day = as_of.date() if as_of is not None else dt.date.today()
    try:
        derivation = read_derivation(bundle, sys.stdin, day)
        record = patient_from_derivation(derivation, regimen_aliases(), "patient")
    except PatientError as error:
        _fail(error.problems)
    header = [
        f"Patient file derived from the FHIR record {bundle} by `hcc-asp import` (as of {day}).",
        "Check each value against the resource named beside it; absent keys are unknown.",
    ]
    _write(patient_yaml(record, derivation.sources, header, derivation.notes))


@main.command(name="fhir-codes")
@click.option("--unverified", is_flag=True, help="Only the codes that could not be confirmed.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
def fhir_codes(unverified: bool, fmt: str) -> None:
    """The FHIR mapping table: code system, code, unit or value, patient key, source, verified."""
    from dataclasses import asdict

    from hcc_asp.patient.fhir.mapping import table
    from hcc_asp.render import to_json

    rows = [row for row in table() if not (unverified and row.verified)]
    if fmt == "json":
        _write(to_json({"format": 1, "codes": [asdict(row) for row in rows]}))
        return
    out = [f"{'KIND':<12} {'SYSTEM':<10} {'CODE':<11} {'KEY':<42} {'VALUE':<16} VERIFIED  DISPLAY"]
    for row in rows:
        out.append(
            f"{row.kind:<12} {row.system_label():<10} {row.code:<11} {row.target:<42} "
            f"{row.value:<16} {'yes' if row.verified else 'NO':<9} {row.display}"
        )
    _write("\n".join(out) + "\n")


AUDIT_FORMATS = ("text", "json", "csv", "html")


@main.command()
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
@_kb_option
def audit(
    cohort: Path,
    guidelines: tuple[str, ...],
    fmt: str,
    results: Path | None,
    workers: int | None,
    scheduler: str | None,
    task_size: int | None,
    kb: Path | None,
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
    from hcc_asp.cohort.readers import CohortError
    from hcc_asp.recommend import resolve_guideline

    chosen: list[str | None] = [*dict.fromkeys(guidelines)] or [None]
    public = _run(lambda: [_public_id(resolve_guideline(g, kb), kb) for g in chosen])
    if scheduler is not None:
        _require(
            "distributed", "--scheduler needs the [cohort] extra: pip install 'hcc-asp[cohort]'"
        )
    if fmt == "html":
        _require("jinja2", "--format html needs the report extra: pip install 'hcc-asp[report]'")
    if results is not None and results.suffix.lower() not in (".jsonl", ".parquet"):
        _fail([f"--results {results}: the file name must end in .jsonl or .parquet"])
    if results is not None and results.suffix.lower() == ".parquet":
        _require(
            "pyarrow", "--results .parquet needs the [cohort] extra: pip install 'hcc-asp[cohort]'"
        )
    with _progress() as advance:
        try:
            outcome = _run(
                lambda: audit_cohort(
                    cohort,
                    public,
                    kb,
                    fmt=fmt,
                    results=results,
                    workers=workers,
                    scheduler=scheduler,
                    task_size=task_size,
                    progress=advance,
                )
            )
        except CohortError as error:
            _fail([str(error)])
    for rejected in outcome.document["errors"]:
        for problem in rejected["errors"]:
            click.echo(f"error: {_one_line(rejected['record'])}: {_one_line(problem)}", err=True)
    if outcome.document["assessed"] == 0:
        if outcome.document["records"] == 0:
            _fail([f"{cohort}: no records"])
        _fail([f"{cohort}: no record could be assessed"])
    _write(outcome.output)
    sys.exit(3 if outcome.document["rejected"] else 0)


def _public_id(atom: str, kb: Path | None) -> str:
    from hcc_asp.engine import catalogue

    return str(catalogue(kb).guidelines[atom]["id"])


def _require(module: str, message: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        _fail([message])


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
