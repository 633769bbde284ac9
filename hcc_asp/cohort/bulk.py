"""FHIR Bulk Data NDJSON: many patients' resources, grouped per patient, read by the FHIR reader.

A Bulk Data export (``$export``) writes one NDJSON file per resource type (``Patient.ndjson``,
``Observation.ndjson``, ``MedicationRequest.ndjson``, ...), one resource a line. Each resource is
given to the patient its ``subject`` (or ``patient``) reference names; each Patient with its
resources is one record (named by the Patient's ``file:line``) and is read by the FHIR input's
own mapping (``hcc_asp.patient.fhir.patient_from_fhir``, the ``[fhir]`` extra): this module adds
no mapping. A line that is not JSON, not a resource, or names a Patient the export does not hold
is a rejected record of its own. A resource of no patient (a Medication, a Practitioner) goes
along with each patient whose resources refer to it.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from hcc_asp.cohort.lines import lines_of
from hcc_asp.cohort.records import CohortError, Record
from hcc_asp.patient import MAX_BYTES, PatientError

__all__ = ["read_bulk"]


def _referenced(resources: list[dict[str, Any]]) -> set[str]:
    """The ``Type/id`` references a patient's resources make (a ``medicationReference``, ...)."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            reference = value.get("reference")
            if isinstance(reference, str):
                found.add("/".join(reference.rstrip("/").split("/")[-2:]))
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(resources)
    return found


def read_bulk(
    files: list[Path],
    aliases: Mapping[str, str] | None = None,
    medications_complete: bool = False,
) -> Iterator[Record]:
    """Yield one record per Patient of the export (by patient id), then every rejected line.

    The grouping is the FHIR input's own (``resources_by_patient``); this module only keeps where
    each resource came from, so that a problem names its file and line. A line of a type the
    FHIR reader does not use (Encounter, Claim, DocumentReference...), or an Observation or
    Condition of a code it does not map, is dropped as it is read, so that memory follows what
    is used, not the export.
    """
    try:
        fhir = importlib.import_module("hcc_asp.patient.fhir")
    except ImportError:
        raise CohortError(
            "FHIR Bulk NDJSON needs the FHIR reader: pip install 'hcc-asp[fhir]'"
        ) from None
    where: dict[int, str] = {}
    resources: list[dict[str, Any]] = []
    rejected: list[Record] = []
    for path in files:
        for number, text in lines_of(path):
            at = f"{path}:{number}"
            if text is None:
                rejected.append(Record(at, problems=[f"longer than {MAX_BYTES} bytes"]))
                continue
            if not text.strip():
                continue
            try:
                resource = json.loads(text)
            except (ValueError, RecursionError) as error:
                rejected.append(Record(at, problems=[f"not JSON ({error})"]))
                continue
            if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
                rejected.append(Record(at, problems=["not a FHIR resource (no resourceType)"]))
                continue
            if not fhir.used_by_mapping(resource):
                continue
            where[id(resource)] = at
            resources.append(resource)
    groups, unassigned = fhir.resources_by_patient(resources)
    shared = {f"{r['resourceType']}/{r.get('id')}": r for r in unassigned}
    for patient_id, group in groups.items():
        patients = [r for r in group if r["resourceType"] == "Patient"]
        if not patients:
            for resource in group:
                kind = f"{resource['resourceType']}/{resource.get('id')}"
                problem = f"{kind}: Patient/{patient_id} is not a Patient of this export"
                rejected.append(Record(where[id(resource)], problems=[problem]))
            continue
        for twin in patients[1:]:
            problem = f"Patient/{patient_id} appears twice in the export"
            rejected.append(Record(where[id(twin)], problems=[problem]))
        group = [r for r in group if r["resourceType"] != "Patient" or r is patients[0]]
        # Resources of no patient (a Medication) go along with each patient that refers to them.
        group += [shared[key] for key in sorted(_referenced(group)) if key in shared]
        record = where[id(patients[0])]
        try:
            model, _ = fhir.patient_from_fhir(
                group,
                aliases=aliases,
                default_id=patient_id,
                medications_complete=medications_complete,
            )
        except PatientError as error:
            yield Record(record, problems=list(error.problems))
            continue
        yield Record(record, model)
    yield from rejected
