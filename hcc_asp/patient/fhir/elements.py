"""Reading FHIR elements: a concept's mapping-table rows, its first code and its words, a date.

Shared by the readers of observations, conditions and medications; :func:`plain` turns a value of
the mapping table (``true``, ``false``, a word) into a patient-file value.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hcc_asp.patient.fhir.mapping import Row, rows_for


def concept_rows(concept: Any, kind: str) -> tuple[Row, ...]:
    """The mapping-table rows of the first coding of ``concept`` that has any."""
    for coding in getattr(concept, "coding", None) or []:
        rows = rows_for(kind, coding.system, coding.code)
        if rows:
            return rows
    return ()


def first_code(concept: Any) -> str | None:
    """The first code of a CodeableConcept, or None."""
    for coding in getattr(concept, "coding", None) or []:
        if coding.code:
            return str(coding.code)
    return None


def code_text(concept: Any) -> str:
    """A concept in words for a note: ``LOINC 1975-2 Bilirubin``, its text, or ``no code``."""
    if concept is None:
        return "no code"
    for coding in concept.coding or []:
        system = {
            "http://loinc.org": "LOINC",
            "http://snomed.info/sct": "SNOMED CT",
            "http://hl7.org/fhir/sid/icd-10-cm": "ICD-10-CM",
            "http://www.nlm.nih.gov/research/umls/rxnorm": "RxNorm",
        }.get(coding.system or "", coding.system or "no system")
        display = f" {coding.display}" if coding.display else ""
        return f"{system} {coding.code}{display}"
    return concept.text or "no code"


def plain(text: str) -> Any:
    """A mapping-table value as a patient-file value (``true``/``false`` become booleans)."""
    return {"true": True, "false": False}.get(text, text)


def date_of(value: Any) -> dt.date | None:
    """The date of a FHIR date or dateTime (a partial date: its first day), or None."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) >= 4:  # partial dates: 2024 or 2024-05
        parts = value.split("-")
        try:
            return dt.date(int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, 1)
        except ValueError:
            return None
    return None
