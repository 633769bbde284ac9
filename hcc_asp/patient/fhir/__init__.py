"""FHIR R4 input: one patient's resources (Bundle, NDJSON, directory) to the patient model.

Needs the ``fhir`` extra (``pip install 'hcc-asp[fhir]'``: fhir.resources, R4B models), imported
only when FHIR is read. Public API, used by the CLI and meant for services that already hold
resources (CDS Hooks prefetch, FHIR Bulk NDJSON):

- :func:`patient_from_fhir` -- resources (a Bundle dict, one resource, or a list) -> ``(Patient,
  sources)``.
- :func:`load_fhir` -- the same from a path (file, NDJSON, directory) or ``-``.
- :func:`derivation_from_fhir` -- the patient-file data, sources and unmapped notes (for
  ``hcc-asp import``).
- :func:`resources_by_patient` -- split many patients' resources (FHIR Bulk NDJSON) into one list
  per patient, ready for :func:`patient_from_fhir`.

Every problem raises :class:`~hcc_asp.patient.PatientError`, one line per problem naming the
resource (``Observation/lab-1``) and the element path.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Mapping
from typing import Any

from hcc_asp.patient.fhir.derive import Derivation, derive
from hcc_asp.patient.fhir.read import (
    Resource,
    looks_like_fhir,
    read_fhir_source,
    resources_from_data,
)
from hcc_asp.patient.model import Patient
from hcc_asp.patient.problems import PatientError
from hcc_asp.patient.sources import STALE_AFTER_DAYS, Source
from hcc_asp.patient.validation import patient_from_data

__all__ = [
    "STALE_AFTER_DAYS",
    "Derivation",
    "derivation_from_fhir",
    "load_fhir",
    "looks_like_fhir",
    "patient_from_derivation",
    "patient_from_fhir",
    "read_derivation",
    "resources_by_patient",
]


def patient_from_fhir(
    resources: list[dict[str, Any]] | dict[str, Any],
    as_of: dt.date | None = None,
    aliases: Mapping[str, str] | None = None,
    default_id: str = "patient",
) -> tuple[Patient, dict[str, Source]]:
    """Build the patient from one patient's FHIR R4 resources, with where each value came from.

    ``resources`` is parsed JSON: a Bundle (collection, searchset or transaction), a single
    resource, or a list of resources (e.g. a CDS Hooks prefetch's values, or one patient's lines
    of a Bulk NDJSON export). ``as_of`` (default: today) is the date the answer is for: newer
    records are ignored, values older than :data:`STALE_AFTER_DAYS` are flagged stale. Returns
    ``(patient, sources)``; ``sources`` maps patient-file key paths (``labs.inr``,
    ``prior_therapies[0].regimen``) to :class:`~hcc_asp.patient.sources.Source` (references,
    element, date, stale). The patient also carries them (``patient.sources()``), so
    ``recommend`` and ``explain`` show them. Raises ``PatientError`` on bad FHIR.
    """
    derivation = derivation_from_fhir(resources, as_of)
    return patient_from_derivation(derivation, aliases, default_id), derivation.sources


def derivation_from_fhir(
    resources: list[dict[str, Any]] | dict[str, Any] | list[Resource],
    as_of: dt.date | None = None,
) -> Derivation:
    """Validate and map resources: data, sources, notes and mapping problems (not yet validated).

    :func:`patient_from_derivation` validates the data and raises every problem.
    """
    if isinstance(resources, list) and resources and isinstance(resources[0], Resource):
        validated = [item for item in resources if isinstance(item, Resource)]
    else:
        validated = resources_from_data(resources)
    return derive(validated, as_of or dt.date.today())


def load_fhir(
    source: str,
    stdin: typing.TextIO | None = None,
    as_of: dt.date | None = None,
    aliases: Mapping[str, str] | None = None,
    text: str | None = None,
) -> Patient:
    """Read FHIR from a path (Bundle/resource JSON, NDJSON, a directory) or ``-``: the patient.

    The patient's id is the Patient resource's id (else the file name). Problems carry
    ``source``. ``text`` is the input's text when the caller has read it already.
    """
    try:
        return patient_from_derivation(
            read_derivation(source, stdin, as_of, text), aliases, _default_id(source)
        )
    except PatientError as error:
        error.source = source
        raise


def read_derivation(
    source: str,
    stdin: typing.TextIO | None = None,
    as_of: dt.date | None = None,
    text: str | None = None,
) -> Derivation:
    """Read FHIR from a path or ``-`` and map it: data, sources and notes (``hcc-asp import``)."""
    try:
        return derive(read_fhir_source(source, stdin, text), as_of or dt.date.today())
    except PatientError as error:
        error.source = source
        raise


def resources_by_patient(
    resources: typing.Iterable[dict[str, Any]],
) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """Group parsed resources of many patients (e.g. a FHIR Bulk NDJSON export) by patient.

    A Patient resource goes under its own id; any other resource under the ``Patient/<id>`` its
    ``subject`` (or ``patient``) refers to. Returns ``(groups, unassigned)``: ``groups`` maps
    patient id to that patient's resources in input order (the patient ids sorted), and
    ``unassigned`` holds resources that name no patient (e.g. a Medication: pass those along with
    each patient that refers to them). Each group is then one call of :func:`patient_from_fhir`,
    with the per-patient size bounds.
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    unassigned: list[dict[str, Any]] = []
    for resource in resources:
        owner: str | None = None
        if isinstance(resource, dict):
            if resource.get("resourceType") == "Patient" and isinstance(resource.get("id"), str):
                owner = resource["id"]
            else:
                for element in ("subject", "patient"):
                    reference = (resource.get(element) or {}).get("reference")
                    if isinstance(reference, str) and "Patient/" in reference:
                        owner = reference.rsplit("Patient/", 1)[1].split("/")[0] or None
                        break
        if owner is None:
            unassigned.append(resource)
        else:
            groups.setdefault(owner, []).append(resource)
    return {key: groups[key] for key in sorted(groups)}, unassigned


def _default_id(source: str) -> str:
    if source == "-":
        return "stdin"
    name = source.rstrip("/").rsplit("/", 1)[-1]
    return name.split(".")[0] or "patient"


def patient_from_derivation(
    derivation: Derivation, aliases: Mapping[str, str] | None = None, default_id: str = "patient"
) -> Patient:
    """Validate derived data as a patient; every problem names the resource it came from.

    The mapping's own problems (``derivation.problems``) come first, then those of validating
    the rest, so that one run reports every problem of the record.
    """
    problems = list(derivation.problems)
    patient: Patient | None = None
    try:
        patient = patient_from_data(derivation.data, default_id=default_id, aliases=aliases)
    except PatientError as error:
        problems.extend(_locate(line, derivation.sources) for line in error.problems)
    if problems or patient is None:
        raise PatientError(problems)
    patient.set_sources(derivation.sources)
    return patient


def _locate(line: str, sources: Mapping[str, Source]) -> str:
    """``labs.inr: must be ...`` -> ``Observation/x valueQuantity.value: labs.inr must be ...``."""
    key, separator, rest = line.partition(": ")
    if not separator:
        return line
    from hcc_asp.patient.sources import source_for

    source = source_for(key.split("[", 1)[0] if key.startswith("liver.etiology") else key, sources)
    if source is None:
        return line
    return f"{source.references[0]} {source.element}: {key} {rest}"
