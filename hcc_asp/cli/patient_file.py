"""Writing a patient file: ``template`` (one to fill in), ``schema patient`` (its JSON Schema)."""

from __future__ import annotations

import click

from hcc_asp.cli.output import write


@click.command()
def template() -> None:
    """A patient file to fill in (YAML, every key empty, each with a note).

    The keys a first-line decision needs come first, the rest after. recommend accepts it as it
    is: with nothing filled in, every regimen is conditional, naming the keys to fill in.
    """
    from hcc_asp.patient.template import patient_template

    write(patient_template())


@click.command()
@click.argument("document", type=click.Choice(["patient"]))
def schema(document: str) -> None:
    """The JSON Schema (draft 2020-12) of a DOCUMENT: patient (the patient file).

    Generated from the definitions the validator uses. An editor with a YAML language server
    completes and checks a patient file whose first line names the schema:

    \b
      # yaml-language-server: $schema=patient.schema.json
    """  # noqa: D301 (click's no-rewrap marker is the backspace character)
    from hcc_asp.patient.schema import patient_schema_text

    write(patient_schema_text())
