"""Turn one patient's validated FHIR resources into patient-file data, with sources and notes.

This module finds the one patient the resources are about and hands each kind of resource to its
reader (:mod:`.observations`, :mod:`.conditions`, :mod:`.medications`), which writes into one
:class:`~.derivation.Derivation`. Rules (README, "FHIR input"):

- **Observations**: the newest one per concept (bilirubin in either unit is one concept) with
  status final/amended/corrected, dated on or before the as-of date, is used; its date is kept.
  Values older than :data:`~hcc_asp.patient.sources.STALE_AFTER_DAYS` are used and reported as
  stale. The unit sent is converted (:mod:`units`); a unit not listed is an input error. An
  Observation of a mapped code without a value (and without ``dataAbsentReason``) is an input
  error.
- **Conditions**: absent is unknown. ``verificationStatus`` refuted, or ``clinicalStatus``
  inactive/remission/resolved, gives the row's ``refuted`` value ("no") where the key is about
  that very condition; a "yes" anywhere wins over a "no". Unconfirmed/provisional ones are noted.
- **Medications**: records of the vocabulary's drugs (RxNorm ingredient, else the drug name in
  the text/display) are merged per drug (gaps under :data:`.medications.SAME_COURSE_DAYS`),
  drugs started within :data:`.medications.COMBINATION_DAYS` of each other that form a regimen
  together are one line, lines are ordered by start date. The outcome comes from
  ``statusReason`` (mCODE termination reason) or from an active status (ongoing, last line only).
"""

from __future__ import annotations

import datetime as dt

from hcc_asp.patient.fhir.conditions import read_conditions
from hcc_asp.patient.fhir.derivation import Derivation
from hcc_asp.patient.fhir.medications import read_medications
from hcc_asp.patient.fhir.observations import read_observations
from hcc_asp.patient.fhir.read import Resource
from hcc_asp.patient.problems import PatientError

__all__ = ["Derivation", "derive"]


def derive(resources: list[Resource], as_of: dt.date) -> Derivation:
    """Map validated resources of one patient to patient-file data (module docstring rules)."""
    if not resources:
        raise PatientError(
            "resourceType: no Patient, Observation, Condition or medication resource in the "
            "input (expected one patient's record: a Bundle, resources, NDJSON or a directory)"
        )
    problems: list[str] = []
    patient_id = _patient_id(resources, problems)
    out = Derivation({"id": patient_id} if patient_id else {}, {}, [])
    observations = [r for r in resources if r.data["resourceType"] == "Observation"]
    conditions = [r for r in resources if r.data["resourceType"] == "Condition"]
    medications = {r.data.get("id"): r for r in resources if r.data["resourceType"] == "Medication"}
    given = [
        r
        for r in resources
        if r.data["resourceType"]
        in ("MedicationRequest", "MedicationAdministration", "MedicationStatement")
    ]
    read_observations(observations, as_of, out, problems)
    read_conditions(conditions, as_of, out)
    read_medications(given, medications, as_of, out)
    out.problems.extend(problems)
    return out


def _patient_id(resources: list[Resource], problems: list[str]) -> str | None:
    patients = sorted({r.data.get("id") or "" for r in resources if _is(r, "Patient")})
    if len(patients) > 1:
        problems.append(
            "Patient: two different Patients ("
            + ", ".join(f"Patient/{p}" for p in patients)
            + "); give one patient's resources"
        )
        return None
    subjects: dict[str, str] = {}
    for resource in resources:
        reference = _subject(resource)
        if reference:
            subjects.setdefault(reference, resource.name)
    if patients:
        for reference, name in subjects.items():
            if reference != patients[0]:
                problems.append(
                    f"{name} subject: refers to Patient/{reference}, not to the bundle's "
                    f"Patient/{patients[0]}"
                )
        return patients[0] or None
    if len(subjects) > 1:
        problems.append(
            "subject: resources of two different Patients ("
            + ", ".join(f"Patient/{s}" for s in sorted(subjects))
            + ")"
        )
        return None
    return next(iter(subjects), None)


def _subject(resource: Resource) -> str | None:
    """The id of the Patient a resource refers to (``Patient/x`` references only)."""
    subject = getattr(resource.model, "subject", None) or getattr(resource.model, "patient", None)
    reference = getattr(subject, "reference", None)
    if not isinstance(reference, str) or "Patient/" not in reference:
        return None
    return reference.rsplit("Patient/", 1)[1].split("/")[0] or None


def _is(resource: Resource, kind: str) -> bool:
    return resource.data["resourceType"] == kind
