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
    medications_complete: bool = False,
) -> Patient:
    """Read a patient from ``source`` (a path, a directory of FHIR resources, or ``-``).

    ``input_format`` is ``auto`` (detect), ``file`` (a patient file, spec/patient.md) or
    ``fhir`` (FHIR R4 JSON/NDJSON). ``as_of`` (default today) dates a FHIR record's values;
    ``medications_complete`` says a FHIR record's medication list is complete. A file larger
    than a patient file's bound is read as FHIR when it starts like FHIR (one resource at a
    time). Raises :class:`PatientError` with ``source`` set.
    """
    if input_format not in INPUTS:
        raise ValueError(f"input_format must be one of {', '.join(INPUTS)}")
    try:
        if source not in ("-", "") and is_directory(source) and input_format != "file":
            from hcc_asp.patient.fhir import load_fhir

            return load_fhir(source, stdin, as_of, aliases, None, medications_complete)
        if input_format != "file" and _large_fhir_file(source, input_format):
            from hcc_asp.patient.fhir import load_fhir

            return load_fhir(source, stdin, as_of, aliases, None, medications_complete)
        text, default_id = read_source(source, stdin)
        if input_format == "fhir" or (input_format == "auto" and _looks_like_fhir(text)):
            from hcc_asp.patient.fhir import load_fhir

            return load_fhir(source, stdin, as_of, aliases, text, medications_complete)
        try:
            return parse_patient(text, default_id, aliases, syntax_of(source))
        except PatientError as error:
            raise named(error, source) from None
    except PatientError as error:
        error.source = source
        raise


def _large_fhir_file(source: str, input_format: str) -> bool:
    """A regular file above a patient file's bound that starts like FHIR (or is forced FHIR)."""
    from hcc_asp.patient.bounds import MAX_BYTES

    if source in ("-", ""):
        return False
    from pathlib import Path

    path = Path(source)
    try:
        if not path.is_file() or path.stat().st_size <= MAX_BYTES:
            return False
        with path.open("rb") as handle:
            head = handle.read(64 * 1024).decode("utf-8", "replace")
    except OSError:
        return False
    return input_format == "fhir" or _looks_like_fhir(head)


def _looks_like_fhir(text: str) -> bool:
    if '"resourceType"' not in text:  # a patient file: the FHIR package is not even imported
        return False
    from hcc_asp.patient.fhir.read import looks_like_fhir

    return looks_like_fhir(text)
