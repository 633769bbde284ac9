"""Cohort readers: every input record becomes a :class:`Record`, a patient or its problems.

Nothing is lost: a record that cannot be read or validated is kept with one line per problem and
the name of the record (``file``, ``file:LINE`` or ``file:row N``), so the audit reports it and
goes on. A cohort is

- a directory of patient files (``*.yaml``, ``*.yml``, ``*.json``; sorted by name),
- a JSON Lines file (``*.jsonl``, ``*.ndjson`` of patient documents): one patient document a line,
- a CSV file (``*.csv``): one patient a row, the columns documented in :mod:`.table`,
- FHIR Bulk Data NDJSON (a directory of ``*.ndjson`` resource files, or one such file whose
  lines are FHIR resources): the resources grouped by patient and read by the FHIR reader.

Every record is bounded as a patient file is (``hcc_asp.patient``: size, depth, node count).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from hcc_asp.cohort.bulk import read_bulk
from hcc_asp.cohort.lines import lines_of
from hcc_asp.cohort.records import CohortError, Record
from hcc_asp.cohort.table import read_table
from hcc_asp.patient import MAX_BYTES, PatientError, load_patient, parse_patient

__all__ = ["PATIENT_SUFFIXES", "CohortError", "Record", "read_cohort"]

PATIENT_SUFFIXES = (".yaml", ".yml", ".json")


def read_cohort(path: str | Path, aliases: Mapping[str, str] | None = None) -> Iterator[Record]:
    """Yield every record of the cohort at ``path``, in input order (see the module docstring)."""
    source = Path(path)
    if source.is_dir():
        if any(source.glob("*.ndjson")) and _is_fhir_bulk(source):
            yield from _fhir_bulk(sorted(source.glob("*.ndjson")), aliases)
        else:
            yield from _directory(source, aliases)
        return
    if not source.exists():
        raise CohortError(f"{path}: no such file or directory")
    suffix = source.suffix.lower()
    if suffix == ".csv":
        yield from read_table(source, aliases)
    elif suffix in (".jsonl", ".ndjson"):
        if suffix == ".ndjson" and _is_fhir_bulk(source):
            yield from _fhir_bulk([source], aliases)
        else:
            yield from _json_lines(source, aliases)
    elif suffix in PATIENT_SUFFIXES:
        yield _patient_file(source, aliases)
    else:
        raise CohortError(
            f"{path}: not a cohort (a directory of patient files or FHIR NDJSON, "
            "a .jsonl, .ndjson or .csv file)"
        )


def _patient_file(path: Path, aliases: Mapping[str, str] | None) -> Record:
    try:
        return Record(str(path), load_patient(str(path), aliases=aliases))
    except PatientError as error:
        problems = [p.removeprefix(f"{path}: ") for p in error.problems]
        return Record(str(path), problems=problems)


def _directory(path: Path, aliases: Mapping[str, str] | None) -> Iterator[Record]:
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in PATIENT_SUFFIXES)
    for file in files:
        yield _patient_file(file, aliases)


def _json_lines(path: Path, aliases: Mapping[str, str] | None) -> Iterator[Record]:
    for number, text in lines_of(path):
        where = f"{path}:{number}"
        if text is None:
            yield Record(where, problems=[f"longer than {MAX_BYTES} bytes"])
            continue
        if not text.strip():
            continue
        try:
            # The patient-file parser (safe YAML, which reads JSON): the same bounds and words.
            yield Record(where, parse_patient(text, f"{path.stem}-{number}", aliases))
        except PatientError as error:
            yield Record(where, problems=list(error.problems))


def _is_fhir_bulk(path: Path) -> bool:
    """True when the (first) NDJSON file's first line is a FHIR resource."""
    import json

    first = path if path.is_file() else sorted(path.glob("*.ndjson"))[0]
    with first.open("rb") as handle:
        line = handle.readline(MAX_BYTES)
    try:
        data = json.loads(line)
    except ValueError:
        return False
    return isinstance(data, dict) and isinstance(data.get("resourceType"), str)


def _fhir_bulk(files: list[Path], aliases: Mapping[str, str] | None) -> Iterator[Record]:
    yield from read_bulk(files, aliases)
