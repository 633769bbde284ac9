"""The cohort CSV: one patient a row, the patient file's own key paths as column names.

Columns (all optional except that a row needs at least one value; README, "Cohorts"):

- any leaf key path of the patient file (``spec/patient.md``): ``id``, ``ecog``, ``weight_kg``,
  ``tumour.bclc_stage``, ``labs.bilirubin_mg_dl``, ``liver.child_pugh.class``, ...
- list keys (``liver.etiology``, ``access.unavailable``) hold their items separated by ``;``
- prior lines as numbered columns ``prior_therapies.N.FIELD`` (N = 1 for the first line; FIELD one
  of ``regimen``, ``outcome``, ``tolerated``, ``immune_adverse_event``); ``prior_therapies``
  itself may say ``none`` (treatment-naive: the file's ``prior_therapies: []``)
- ``given``: the regimen actually started at the line under consideration (the audit's
  concordance; README, "The patient file: given")

An empty cell is unknown, as an absent key is. Cells read as the patient file's plain scalars do
(YAML 1.2 core: ``true``/``false``, integers, decimals; anything else is text), and the row is
validated exactly as a patient file is: every problem names the key path and the bad value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from hcc_asp.cohort.records import Record
from hcc_asp.patient import PatientError, patient_from_data

__all__ = ["LIST_KEYS", "PRIOR_COLUMN", "read_table", "row_data"]

#: Keys whose value is a list; their cell holds the items separated by ";".
LIST_KEYS = ("liver.etiology", "access.unavailable")
#: Numbered prior-line columns: prior_therapies.<N>.<field>.
PRIOR_COLUMN = re.compile(r"prior_therapies\.([0-9]{1,3})\.([a-z_]+)")
_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")


def _scalar(text: str) -> Any:
    """A cell's value by the YAML 1.2 core schema (as a plain scalar of a patient file)."""
    if text in ("true", "True", "TRUE", "false", "False", "FALSE"):
        return text.lower() == "true"
    try:
        if _INT.fullmatch(text):
            return int(text)  # more than 4300 digits: ValueError, the text is kept
        if _FLOAT.fullmatch(text) and math.isfinite(value := float(text)):
            return value
    except ValueError:
        pass
    return text  # validation then names the key and says the value is not a number


def row_data(row: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Turn one CSV row into patient-file data (nested mappings), and the row's own problems."""
    data: dict[str, Any] = {}
    problems: list[str] = []
    lines: dict[int, dict[str, Any]] = {}
    for column, raw in row.items():
        cell = raw.strip()
        if not cell:
            continue
        prior = PRIOR_COLUMN.fullmatch(column)
        if prior:
            lines.setdefault(int(prior.group(1)), {})[prior.group(2)] = _scalar(cell)
            continue
        if column == "prior_therapies":
            if cell.lower() != "none":
                problems.append(
                    f"prior_therapies: {cell!r} is not allowed here; write 'none' for "
                    "treatment-naive, or the prior_therapies.N.FIELD columns"
                )
            else:
                data["prior_therapies"] = []
            continue
        if column in LIST_KEYS:
            value: Any = [_scalar(item.strip()) for item in cell.split(";") if item.strip()]
        else:
            value = _scalar(cell) if column != "id" else cell
        target = data
        *sections, leaf = column.split(".")
        for section in sections:
            nested = target.setdefault(section, {})
            if not isinstance(nested, dict):  # nocoverage - a leaf and a section of one name
                problems.append(f"{column}: {section} is not a section")
                break
            target = nested
        else:
            target[leaf] = value
    if lines:
        if data.get("prior_therapies") == []:
            problems.append(
                "prior_therapies: 'none' (treatment-naive) but prior_therapies.N columns are given"
            )
        numbers = sorted(lines)
        gaps = sorted(set(range(1, numbers[-1] + 1)) - set(numbers))
        for gap in gaps:
            problems.append(
                f"prior_therapies.{gap}: empty, but line {numbers[-1]} is given "
                "(lines are numbered from 1 without gaps)"
            )
        data["prior_therapies"] = [lines.get(n, {}) for n in range(1, numbers[-1] + 1)]
    return data, problems


def read_table(path: Path, aliases: Mapping[str, str] | None = None) -> Iterator[Record]:
    """Yield one record per record of a cohort CSV, named by its physical lines.

    ``file:LINE``, or ``file:FIRST-LAST`` for a record whose quoted cells span lines; every
    physical line is in one record, rejected or not (:mod:`.csvfile`). A header that cannot be
    used refuses the whole file (``CohortError``).
    """
    from hcc_asp.cohort.csvfile import HeaderError, csv_records
    from hcc_asp.cohort.records import CohortError

    try:
        for record in csv_records(path):
            yield _record(path, record.lines, record.row, record.problems, aliases)
    except HeaderError as error:
        raise CohortError(str(error)) from None


def _record(
    path: Path,
    lines: str,
    row: Mapping[str, str] | None,
    problems: list[str],
    aliases: Mapping[str, str] | None,
) -> Record:
    where = f"{path}:{lines}"
    if row is None:
        return Record(where, problems=problems)
    data, own = row_data(row)
    try:
        patient = patient_from_data(data, f"{path.stem}-{lines.split('-')[0]}", aliases)
    except PatientError as error:
        return Record(where, problems=own + list(error.problems))
    return Record(where, problems=own) if own else Record(where, patient)
