"""The ``hcc-asp`` command: a thin layer that parses, calls the library, prints, and maps errors.

Exit codes (spec/cli.md): 0 success; 1 ``check`` found an error; 2 bad usage or bad input, with one
line per problem on stderr and nothing on stdout.

This module holds the command group; each command family lives in a module of its own
(:mod:`.answers`: recommend, compare, explain, why-not; :mod:`.consistency`: check;
:mod:`.listings`: guidelines, regimens, kb-docs; :mod:`.fhir`: import, fhir-codes; :mod:`.service`:
serve; :mod:`.cohort`: audit), sharing :mod:`.options` and :mod:`.output`.
"""

from __future__ import annotations

import click

from hcc_asp.cli.answers import compare, explain, recommend, why_not
from hcc_asp.cli.cohort import audit
from hcc_asp.cli.consistency import check
from hcc_asp.cli.fhir import fhir_codes, import_
from hcc_asp.cli.listings import guidelines, kb_docs, regimens
from hcc_asp.cli.service import serve

__all__ = ["main"]

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
):
    main.add_command(_command)
