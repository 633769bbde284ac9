"""FHIR at the command line: ``import`` (one record to a patient file) and ``fhir-codes``."""

from __future__ import annotations

import sys
from typing import Any

import click

from hcc_asp.cli.options import AS_OF_HELP, FORMATS, medications_option
from hcc_asp.cli.output import fail, write


@click.command(name="import")
@click.argument("bundle")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help=AS_OF_HELP)
@medications_option
def import_(bundle: str, as_of: Any, medications_complete: bool) -> None:
    """Print the patient file (YAML) derived from BUNDLE, a FHIR R4 record of one patient.

    BUNDLE is a Bundle or resource (JSON), NDJSON, a directory of them, or - for standard input.
    Each value is commented with the resource it came from; what could not be mapped is listed
    as comments at the end, so that a clinician can check and complete the file.
    """
    import datetime as dt

    from hcc_asp.knowledge import shipped
    from hcc_asp.patient import PatientError
    from hcc_asp.patient.fhir import patient_from_derivation, read_derivation
    from hcc_asp.patient.write import patient_yaml

    day = as_of.date() if as_of is not None else dt.date.today()
    try:
        derivation = read_derivation(bundle, sys.stdin, day, None, medications_complete)
        record = patient_from_derivation(derivation, shipped().aliases, "patient")
    except PatientError as error:
        fail(error.problems)
    header = [
        f"Patient file derived from the FHIR record {bundle} by `hcc-asp import` (as of {day}).",
        "Check each value against the resource named beside it; absent keys are unknown.",
    ]
    write(patient_yaml(record, derivation.sources, header, derivation.notes))


@click.command(name="fhir-codes")
@click.option("--unverified", is_flag=True, help="Only the codes that could not be confirmed.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
def fhir_codes(unverified: bool, fmt: str) -> None:
    """The FHIR mapping table: code system, code, unit or value, patient key, source, verified."""
    from dataclasses import asdict

    from hcc_asp.patient.fhir.mapping import table
    from hcc_asp.render import to_json

    rows = [row for row in table() if not (unverified and row.verified)]
    if fmt == "json":
        write(to_json({"format": 1, "codes": [asdict(row) for row in rows]}))
        return
    from hcc_asp.render.text import text_width  # the fhir extra is not needed for the table

    # columns as wide as their longest cell, the display last (cut to the text width: the whole
    # row is in --format json)
    cells = [
        (
            row.kind,
            row.system_label(),
            row.code,
            "yes" if row.verified else "NO",
            row.target,
            row.value,
            row.display,
        )
        for row in rows
    ]
    header = ("KIND", "SYSTEM", "CODE", "VERIFIED", "KEY", "VALUE", "DISPLAY")
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(6)]
    out = [
        " ".join(f"{cell:<{width}}" for cell, width in zip(line, widths, strict=False))
        + " "
        + line[6]
        for line in [header, *cells]
    ]
    # a table keeps one row per line: the display (last column) is cut to the text width
    width = text_width()
    fitted = [line if len(line) <= width else line[: width - 3] + "..." for line in out]
    write("\n".join(fitted) + "\n")
