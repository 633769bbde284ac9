"""The ``hcc-asp`` command: a thin layer that parses, calls the library, prints, and maps errors.

Exit codes (docs/output.md): 0 success; 1 ``check`` found an error; 2 bad usage or bad input,
with one line per problem on stderr and nothing on stdout.

This module holds the command group; each command family lives in a module of its own
(:mod:`.answers`: recommend, compare, explain, why-not; :mod:`.consistency`: check;
:mod:`.listings`: guidelines, regimens, kb-docs; :mod:`.fhir`: import, fhir-codes; :mod:`.service`:
serve; :mod:`.cohort`: audit; :mod:`.patient_file`: template, schema), sharing :mod:`.options` and
:mod:`.output`. Each command's ``--help`` ends with an example (:data:`EXAMPLES`).
"""

from __future__ import annotations

import click

from hcc_asp.cli.answers import compare, explain, recommend, why_not
from hcc_asp.cli.cohort import audit
from hcc_asp.cli.consistency import check
from hcc_asp.cli.fhir import fhir_codes, import_
from hcc_asp.cli.listings import guidelines, kb_docs, regimens
from hcc_asp.cli.patient_file import schema, template
from hcc_asp.cli.service import serve
from hcc_asp.render.text import text_width

__all__ = ["main"]

#: Commands that run long or allocate without a bound: the garbage collector stays on for them
#: (``hcc_asp.console`` starts a one-shot command with it off).
_COLLECTING = frozenset({"serve", "check", "audit"})


#: One short example per command, the last lines of its ``--help`` (the shipped examples, run from
#: the repository; tests/test_cli_manners.py runs the quick ones).
EXAMPLES = {
    "recommend": "hcc-asp recommend examples/first-line-complete.yaml --guideline asco-2024",
    "compare": "hcc-asp compare examples/after-sorafenib.yaml",
    "explain": "hcc-asp explain examples/after-sorafenib.yaml regorafenib --tree",
    "why-not": "hcc-asp why-not examples/child-pugh-b.yaml atezo+bev",
    "check": "hcc-asp check --guideline asco-2024 --format json > findings.json",
    "guidelines": "hcc-asp guidelines",
    "regimens": "hcc-asp regimens --format json",
    "serve": "hcc-asp serve --port 8080 --guideline asco-2024 --guideline bclc-2022",
    "kb-docs": "hcc-asp kb-docs --kb kb > reference.md",
    "import": "hcc-asp import examples/fhir/sorafenib-progression.json --as-of 2026-11-30",
    "fhir-codes": "hcc-asp fhir-codes --unverified",
    "audit": "hcc-asp audit examples/cohort/ --guideline asco-2024 --format csv",
    "template": "hcc-asp template > patient.yaml",
    "schema": "hcc-asp schema patient > patient.schema.json",
}


@click.group(
    context_settings={
        "help_option_names": ["-h", "--help"],
        # --help follows COLUMNS like the answers (default 100), not click's 80
        "terminal_width": text_width(),
        "max_content_width": text_width(),
    }
)
@click.version_option(package_name="hcc-asp")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Systemic therapy of advanced hepatocellular carcinoma, from guideline knowledge in ASP.

    PATIENT is a YAML or JSON patient file, or - for standard input: hcc-asp template writes one
    to fill in, hcc-asp schema patient prints its JSON Schema. It may also be one patient's FHIR
    R4 record (a Bundle, NDJSON or a directory of resources; needs pip install 'hcc-asp[fhir]'),
    detected from its resourceType or forced with --input fhir.

    What the KB states without a patient is kept in a per-KB cache between runs:
    HCC_ASP_CACHE_DIR=DIR puts it in DIR, HCC_ASP_NO_CACHE=1 turns it off. The documentation
    (docs/ in the repository): the patient file, commands, output and exit codes, completion.
    """
    if ctx.invoked_subcommand in _COLLECTING:
        import gc

        gc.enable()


for _command in (
    recommend,
    compare,
    explain,
    why_not,
    check,
    guidelines,
    regimens,
    serve,
    kb_docs,
    import_,
    fhir_codes,
    audit,
    template,
    schema,
):
    _command.epilog = f"\b\nExample:\n  {EXAMPLES[str(_command.name)]}"
    main.add_command(_command)
