"""FHIR Bulk Data NDJSON: many patients' resources, grouped per patient, read by the FHIR reader.

A Bulk Data export (``$export``) writes one NDJSON file per resource type (``Patient.ndjson``,
``Observation.ndjson``, ``MedicationRequest.ndjson``, ...), one resource a line. Each resource is
given to the patient its ``subject`` (or ``patient``) reference names; each Patient with its
resources is one record (named by the Patient's ``file:line``) and is read by the FHIR input's
own mapping (``hcc_asp.patient.fhir.patient_from_fhir``, the ``[fhir]`` extra): this module adds
no mapping. A line that is not JSON, not a resource, or names a Patient the export does not hold
is a rejected record of its own. Resources with no patient reference (Practitioner,
Organization, Medication) belong to no patient's record and are not read, so a MedicationRequest
must name its drug in ``medicationCodeableConcept`` (a ``medicationReference`` is not followed).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hcc_asp.cohort.readers import CohortError, Record, lines_of
from hcc_asp.patient import MAX_BYTES, PatientError

__all__ = ["read_bulk"]


@dataclass
class _Patient:
    where: str
    resources: list[dict[str, Any]] = field(default_factory=list)


def _reference(resource: dict[str, Any]) -> str | None:
    """``Patient/<id>`` from the resource's subject or patient reference, else None."""
    for element in ("subject", "patient"):
        value = resource.get(element)
        if isinstance(value, dict) and isinstance(value.get("reference"), str):
            parts = value["reference"].rstrip("/").split("/")
            if len(parts) >= 2 and parts[-2] == "Patient":
                return f"Patient/{parts[-1]}"
    return None


def read_bulk(files: list[Path], aliases: Mapping[str, str] | None = None) -> Iterator[Record]:
    """Yield one record per Patient of the export (in file order), then every rejected line."""
    try:
        fhir = importlib.import_module("hcc_asp.patient.fhir")
    except ImportError:
        raise CohortError(
            "FHIR Bulk NDJSON needs the FHIR reader: pip install 'hcc-asp[fhir]'"
        ) from None
    patients: dict[str, _Patient] = {}
    loose: list[tuple[str, str | None, dict[str, Any]]] = []
    rejected: list[Record] = []
    for path in files:
        for number, text in lines_of(path):
            where = f"{path}:{number}"
            if text is None:
                rejected.append(Record(where, problems=[f"longer than {MAX_BYTES} bytes"]))
                continue
            if not text.strip():
                continue
            try:
                resource = json.loads(text)
            except (ValueError, RecursionError) as error:
                rejected.append(Record(where, problems=[f"not JSON ({error})"]))
                continue
            if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
                rejected.append(Record(where, problems=["not a FHIR resource (no resourceType)"]))
                continue
            if resource["resourceType"] == "Patient":
                key = f"Patient/{resource.get('id')}"
                if key in patients:
                    rejected.append(Record(where, problems=[f"{key} appears twice in the export"]))
                    continue
                patients[key] = _Patient(where, [resource])
            else:
                loose.append((where, _reference(resource), resource))
    for where, reference, resource in loose:
        if reference is None:
            continue  # a shared resource (Practitioner, Organization, ...): no patient's record
        owner = patients.get(reference)
        if owner is None:
            kind = resource["resourceType"]
            problem = f"{kind}/{resource.get('id')}: {reference} is not a Patient of this export"
            rejected.append(Record(where, problems=[problem]))
            continue
        owner.resources.append(resource)
    for key, patient in patients.items():
        try:
            model, _ = fhir.patient_from_fhir(
                patient.resources, aliases=aliases, default_id=key.removeprefix("Patient/")
            )
        except PatientError as error:
            yield Record(patient.where, problems=list(error.problems))
            continue
        yield Record(patient.where, model)
    yield from rejected
