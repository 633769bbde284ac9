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

import os
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path

from hcc_asp.cohort.bulk import read_bulk
from hcc_asp.cohort.lines import lines_of
from hcc_asp.cohort.records import CohortError, Record
from hcc_asp.cohort.table import read_table
from hcc_asp.patient import MAX_BYTES, PatientError, load_patient, parse_patient

__all__ = ["PATIENT_SUFFIXES", "CohortError", "Record", "read_cohort", "regular_file"]

PATIENT_SUFFIXES = (".yaml", ".yml", ".json")


def regular_file(path: Path) -> bool:
    """Whether ``path`` is (or links to) a regular file, found without opening it.

    A FIFO would block the reader for ever, a device (``/dev/zero``) never ends, a socket cannot
    be read.
    """
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


NOT_REGULAR = "not a regular file (a FIFO, device or socket is never read)"


def read_cohort(
    path: str | Path,
    aliases: Mapping[str, str] | None = None,
    medications_complete: bool = False,
) -> Iterator[Record]:
    """Yield every record of the cohort at ``path``, in input order (see the module docstring).

    Only regular files are read: a cohort path that is a FIFO or a device is refused
    (``CohortError``), and such an entry of a cohort folder is a rejected record of its own.
    """
    from hcc_asp.patient.file import is_directory

    source = Path(path)
    if is_directory(str(source)):
        ndjson = sorted(source.glob("*.ndjson"))
        usable = [item for item in ndjson if regular_file(item)]
        if usable and _is_fhir_bulk(usable[0]):
            for item in ndjson:
                if item not in usable:
                    yield Record(str(item), problems=[NOT_REGULAR])
            yield from _fhir_bulk(usable, aliases, medications_complete)
        else:
            yield from _directory(source, aliases)
        return
    try:
        os.stat(source)
    except FileNotFoundError:
        raise CohortError(f"{path}: no such file or directory") from None
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise CohortError(f"{path}: cannot be read ({reason.lower()})") from None
    if not regular_file(source):
        raise CohortError(f"{path}: {NOT_REGULAR}")
    suffix = source.suffix.lower()
    if suffix == ".csv":
        yield from read_table(source, aliases)
    elif suffix in (".jsonl", ".ndjson"):
        if suffix == ".ndjson" and _is_fhir_bulk(source):
            yield from _fhir_bulk([source], aliases, medications_complete)
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
        if file.is_dir():
            continue
        yield (
            _patient_file(file, aliases)
            if regular_file(file)
            else Record(str(file), problems=[NOT_REGULAR])
        )


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
    """True when the NDJSON file's first line is a FHIR resource (a regular file only)."""
    import json

    if not regular_file(path):
        return False
    with path.open("rb") as handle:
        line = handle.readline(MAX_BYTES)
    try:
        data = json.loads(line)
    except ValueError:
        return False
    return isinstance(data, dict) and isinstance(data.get("resourceType"), str)


def _fhir_bulk(
    files: list[Path], aliases: Mapping[str, str] | None, medications_complete: bool = False
) -> Iterator[Record]:
    yield from read_bulk(files, aliases, medications_complete)
