"""Turn one patient's validated FHIR resources into patient-file data, with sources and notes.

This module finds the one patient the resources are about and hands each kind of resource to its
reader (:mod:`.observations`, :mod:`.conditions`, :mod:`.medications`), which writes into one
:class:`~.derivation.Derivation`. Rules (README, "FHIR input"):

- **Observations**: the newest one per concept (bilirubin in either unit is one concept) with
  status final/amended/corrected, dated on or before the as-of date, is used; its date is kept.
  Values older than :data:`~hcc_asp.patient.sources.STALE_AFTER_DAYS` are used and reported as
  stale. The unit sent is converted (:mod:`units`); a value that cannot be used (a unit not
  listed, a ``valueString``, no value) is left unknown with a note naming it.
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
from typing import Any

from hcc_asp.patient.fhir.conditions import read_conditions
from hcc_asp.patient.fhir.derivation import Derivation
from hcc_asp.patient.fhir.medications import read_medications
from hcc_asp.patient.fhir.observations import read_observations
from hcc_asp.patient.fhir.read import Resource
from hcc_asp.patient.problems import PatientError
from hcc_asp.patient.sources import Source

__all__ = ["Derivation", "derive"]


def derive(
    resources: list[Resource], as_of: dt.date, medications_complete: bool = False
) -> Derivation:
    """Map validated resources of one patient to patient-file data (module docstring rules).

    ``medications_complete``: the caller says the medication records given are the complete
    list, so that none of a known systemic drug means no prior systemic therapy.
    """
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
    medications: dict[Any, Resource] = {}
    for r in resources:
        if r.data["resourceType"] == "Medication":
            medications[f"Medication/{r.data.get('id')}"] = r
            if r.full_url:
                medications[r.full_url] = r
    given = [
        r
        for r in resources
        if r.data["resourceType"]
        in ("MedicationRequest", "MedicationAdministration", "MedicationStatement")
    ]
    read_observations(observations, as_of, out, problems)
    read_conditions(conditions, as_of, out)
    read_medications(given, medications, as_of, out)
    if medications_complete and "prior_therapies" not in out.data:
        out.data["prior_therapies"] = []
        out.sources["prior_therapies"] = Source(
            references=("medication list (given as complete by the caller)",),
            element="no MedicationRequest, MedicationAdministration or MedicationStatement "
            "of a systemic drug",
        )
    out.problems.extend(problems)
    return out


# ---------------------------------------------------------------------------------------------
# Patient and subject
# ---------------------------------------------------------------------------------------------


def _patient_id(resources: list[Resource], problems: list[str]) -> str | None:
    """The one patient of the record; several patients are one problem naming them all."""
    patients = sorted({r.data.get("id") or "" for r in resources if _is(r, "Patient")})
    urls = {r.full_url: r.data.get("id") or "" for r in resources if _is(r, "Patient")}
    subjects: dict[str, str] = {}
    for resource in resources:
        reference = _subject(resource, urls)
        if reference:
            subjects.setdefault(reference, resource.name)
    every = sorted(set(patients) | set(subjects))
    if len(every) > 1:
        problems.append(
            f"Patient: the input holds {len(every)} patients ("
            + ", ".join(f"Patient/{p}" for p in every)
            + "); recommend and import read one patient's record: use hcc-asp audit to "
            "answer each"
        )
        return None
    return every[0] if every and every[0] else None


def _subject(resource: Resource, urls: dict[str | None, str]) -> str | None:
    """The id of the Patient a resource refers to (``Patient/x``, or a Patient's fullUrl)."""
    subject = getattr(resource.model, "subject", None) or getattr(resource.model, "patient", None)
    reference = getattr(subject, "reference", None)
    if not isinstance(reference, str):
        return None
    if reference in urls:
        return urls[reference] or None
    if "Patient/" not in reference:
        return None
    return reference.rsplit("Patient/", 1)[1].split("/")[0] or None


def _is(resource: Resource, kind: str) -> bool:
    return resource.data["resourceType"] == kind
