"""One entry point for every patient source: a patient file or FHIR, detected or forced.

``auto`` reads FHIR when the input is a directory or JSON with a ``resourceType`` (a patient file
never has that key), and a patient file otherwise. The FHIR reader (and fhir.resources) is
imported only when FHIR is read, so a patient file loads as fast as before.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Mapping

from hcc_asp.patient.file import is_directory, named, parse_patient, read_source, syntax_of
from hcc_asp.patient.model import Patient
from hcc_asp.patient.problems import PatientError

#: The values of ``--input``.
INPUTS = ("auto", "file", "fhir")


def read_patient(
    source: str,
    stdin: typing.TextIO | None = None,
    aliases: Mapping[str, str] | None = None,
    input_format: str = "auto",
    as_of: dt.date | None = None,
) -> Patient:
    """Read a patient from ``source`` (a path, a directory of FHIR resources, or ``-``).

    ``input_format`` is ``auto`` (detect), ``file`` (a patient file, spec/patient.md) or
    ``fhir`` (FHIR R4 JSON/NDJSON). ``as_of`` (default today) dates a FHIR record's values.
    Raises :class:`PatientError` with ``source`` set.
    """
    if input_format not in INPUTS:
        raise ValueError(f"input_format must be one of {', '.join(INPUTS)}")
    try:
        if source not in ("-", "") and is_directory(source) and input_format != "file":
            from hcc_asp.patient.fhir import load_fhir

            return load_fhir(source, stdin, as_of, aliases)
        text, default_id = read_source(source, stdin)
        if input_format == "fhir" or (input_format == "auto" and _looks_like_fhir(text)):
            from hcc_asp.patient.fhir import load_fhir

            return load_fhir(source, stdin, as_of, aliases, text=text)
        try:
            return parse_patient(text, default_id, aliases, syntax_of(source))
        except PatientError as error:
            raise named(error, source) from None
    except PatientError as error:
        error.source = source
        raise


def _looks_like_fhir(text: str) -> bool:
    if '"resourceType"' not in text:  # a patient file: the FHIR package is not even imported
        return False
    from hcc_asp.patient.fhir.read import looks_like_fhir

    return looks_like_fhir(text)
