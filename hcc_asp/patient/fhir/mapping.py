"""The FHIR mapping table (``mapping.csv``), read once: which code fills which patient key.

Columns: ``kind`` (observation, answer, condition, severity, medication, reason), ``system``
(loinc, snomed, icd10cm, icd10 (WHO), rxnorm, or ``name`` for a drug matched by name in the
text), ``code``,
``display``, ``target`` (a patient-file key path; ``-`` = recognised, no key), ``value`` (the
unit for observations, or for a recognised measure not used the note the answer shows; the coded
answer's value for ``answer`` rows, read from ``valueCodeableConcept``; the value or rule for the
others), ``refuted`` (the value a refuted or
resolved Condition gives; empty = none), ``source`` (where the code was confirmed) and
``verified`` (false = not confirmed in two sources or one authoritative one).

The table holds only the codes used, with their displays (LOINC notice: README, "FHIR input").
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

SYSTEMS = {
    "loinc": "http://loinc.org",
    "snomed": "http://snomed.info/sct",
    "icd10cm": "http://hl7.org/fhir/sid/icd-10-cm",
    "icd10": "http://hl7.org/fhir/sid/icd-10",
    "rxnorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
}


@dataclass(frozen=True)
class Row:
    """One rule of the mapping table."""

    kind: str
    system: str
    code: str
    display: str
    target: str
    value: str
    refuted: str
    source: str
    verified: bool

    def system_label(self) -> str:
        """How a person names the code system: LOINC, SNOMED CT, ICD-10-CM, RxNorm, name."""
        return {
            "loinc": "LOINC",
            "snomed": "SNOMED CT",
            "icd10cm": "ICD-10-CM",
            "icd10": "ICD-10 (WHO)",
            "rxnorm": "RxNorm",
        }.get(self.system, self.system)


@lru_cache(maxsize=1)
def table() -> tuple[Row, ...]:
    """Every row of mapping.csv, in file order."""
    text = resources.files("hcc_asp.patient.fhir").joinpath("mapping.csv").read_text("utf-8")
    return tuple(
        Row(
            kind=row["kind"],
            system=row["system"],
            code=row["code"],
            display=row["display"],
            target=row["target"],
            value=row["value"],
            refuted=row["refuted"],
            source=row["source"],
            verified=row["verified"] == "true",
        )
        for row in csv.DictReader(io.StringIO(text))
    )


def normal_code(system: str, code: str) -> str:
    """Compare codes as senders write them: ICD-10-CM with or without the dot, any case."""
    code = code.strip()
    if system in ("icd10cm", "icd10"):
        code = code.upper()
        if "." not in code and len(code) > 3:
            code = f"{code[:3]}.{code[3:]}"
    return code


@lru_cache(maxsize=1)
def _index() -> dict[tuple[str, str, str], tuple[Row, ...]]:
    found: dict[tuple[str, str, str], list[Row]] = {}
    for row in table():
        url = SYSTEMS.get(row.system, row.system)
        found.setdefault((row.kind, url, normal_code(row.system, row.code)), []).append(row)
    return {key: tuple(rows) for key, rows in found.items()}


def rows_for(kind: str, system: str | None, code: str | None) -> tuple[Row, ...]:
    """The rows of ``kind`` for one coding (system URL and code), possibly none."""
    if not system or not code:
        return ()
    short = next((name for name, url in SYSTEMS.items() if url == system), system)
    return _index().get((kind, system, normal_code(short, code)), ())


def name_rows() -> tuple[Row, ...]:
    """Medication rows matched by drug name in the medication's text or display."""
    return tuple(row for row in table() if row.kind == "medication" and row.system == "name")


def unverified() -> list[Row]:
    """Rows whose code could not be confirmed (shown by ``hcc-asp fhir-codes --unverified``)."""
    return [row for row in table() if not row.verified]
