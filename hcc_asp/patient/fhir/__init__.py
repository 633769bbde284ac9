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
    ReadLog,
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
    "used_by_mapping",
]


def used_by_mapping(resource: dict[str, Any]) -> bool:
    """Whether the mapping reads this resource: its type, and a mapped code for an Observation.

    An Observation or Condition is read when its code, or one of its components', is in the
    mapping table; what is not read is skipped before any bound.
    """
    from hcc_asp.patient.fhir.read import USED_TYPES, _mapped

    kind = resource.get("resourceType")
    if kind not in USED_TYPES:
        return False
    return kind not in ("Observation", "Condition") or _mapped(str(kind).lower(), resource)


def patient_from_fhir(
    resources: list[dict[str, Any]] | dict[str, Any],
    as_of: dt.date | None = None,
    aliases: Mapping[str, str] | None = None,
    default_id: str = "patient",
    medications_complete: bool = False,
) -> tuple[Patient, dict[str, Source]]:
    """Build the patient from one patient's FHIR R4 resources, with where each value came from.

    ``resources`` is parsed JSON: a Bundle (collection, searchset or transaction), a single
    resource, or a list of resources (e.g. a CDS Hooks prefetch's values, or one patient's lines
    of a Bulk NDJSON export). ``as_of`` (default: today) is the date the answer is for: newer
    records are ignored, values older than :data:`STALE_AFTER_DAYS` are flagged stale. Returns
    ``(patient, sources)``; ``sources`` maps patient-file key paths (``labs.inr``,
    ``prior_therapies[0].regimen``) to :class:`~hcc_asp.patient.sources.Source` (references,
    element, date, stale). The patient also carries them (``patient.sources()``), so
    ``recommend`` and ``explain`` show them, and what was left out (``patient.record_notes()``).
    ``medications_complete`` says the caller holds the complete medication list: no medication
    record then means no prior systemic therapy (FHIR alone cannot prove an absence). Raises
    ``PatientError`` only for input that is not FHIR JSON or not one patient's.
    """
    derivation = derivation_from_fhir(resources, as_of, medications_complete)
    return patient_from_derivation(derivation, aliases, default_id), derivation.sources


def derivation_from_fhir(
    resources: list[dict[str, Any]] | dict[str, Any] | list[Resource],
    as_of: dt.date | None = None,
    medications_complete: bool = False,
) -> Derivation:
    """Validate and map resources: data, sources, notes and mapping problems (not yet validated).

    :func:`patient_from_derivation` validates the data, leaving out (with a note) each value
    that does not validate.
    """
    log = ReadLog()
    if isinstance(resources, list) and resources and isinstance(resources[0], Resource):
        validated = [item for item in resources if isinstance(item, Resource)]
    else:
        validated = resources_from_data(resources, log)
    return _derive(validated, as_of or dt.date.today(), log, medications_complete)


def _derive(
    resources: list[Resource], as_of: dt.date, log: ReadLog, medications_complete: bool
) -> Derivation:
    derivation = derive(resources, as_of, medications_complete)
    derivation.notes[:0] = log.summary() + log.left_out
    derivation.left_out[:0] = log.left_out
    return derivation


def load_fhir(
    source: str,
    stdin: typing.TextIO | None = None,
    as_of: dt.date | None = None,
    aliases: Mapping[str, str] | None = None,
    text: str | None = None,
    medications_complete: bool = False,
) -> Patient:
    """Read FHIR from a path (Bundle/resource JSON, NDJSON, a directory) or ``-``: the patient.

    The patient's id is the Patient resource's id (else the file name). Problems carry
    ``source``. ``text`` is the input's text when the caller has read it already.
    """
    try:
        return patient_from_derivation(
            read_derivation(source, stdin, as_of, text, medications_complete),
            aliases,
            _default_id(source),
        )
    except PatientError as error:
        error.source = source
        raise


def read_derivation(
    source: str,
    stdin: typing.TextIO | None = None,
    as_of: dt.date | None = None,
    text: str | None = None,
    medications_complete: bool = False,
) -> Derivation:
    """Read FHIR from a path or ``-`` and map it: data, sources and notes (``hcc-asp import``)."""
    log = ReadLog()
    try:
        resources = read_fhir_source(source, stdin, text, log)
        return _derive(resources, as_of or dt.date.today(), log, medications_complete)
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
                    if isinstance(reference, str) and reference.startswith("urn:uuid:"):
                        # Synthea names a Patient by urn:uuid:<its id> (the entry's fullUrl)
                        owner = reference.removeprefix("urn:uuid:") or None
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
    """Validate derived data as a patient, leaving out each value that does not validate.

    The mapping's own problems (``derivation.problems``: input that is not one patient's
    record) refuse the record. A value that does not validate as a patient value (an ECOG of 7)
    is left out, unknown, with a line naming its resource and element in
    ``derivation.left_out`` and ``derivation.notes``; the rest of the record is kept.
    """
    if derivation.problems:
        raise PatientError(list(derivation.problems))
    for _ in range(_MAX_ROUNDS):
        try:
            patient = patient_from_data(derivation.data, default_id=default_id, aliases=aliases)
        except PatientError as error:
            if not _leave_out(error.problems, derivation):
                raise PatientError(
                    [_locate(p, derivation.sources) for p in error.problems]
                ) from None
            continue
        patient.set_sources(derivation.sources)
        patient.set_record_notes(derivation.left_out)
        return patient
    raise PatientError(["patient data: too many values left out"])  # nocoverage: bounded rounds


#: Validation rounds, each leaving out the values the last one refused.
_MAX_ROUNDS = 8


def _leave_out(problems: list[str], derivation: Derivation) -> bool:
    """Remove the keys of ``problems`` from the derived data; False when one has no key."""
    removed = False
    for line in problems:
        key, separator, _rest = line.partition(": ")
        path = key.split("[", 1)[0] if key.startswith("liver.etiology") else key
        if not separator or not _remove(derivation.data, path):
            return False
        removed = True
        text = f"{_locate(line, derivation.sources)}; left unknown"
        derivation.left_out.append(text)
        derivation.notes.append(text)
        derivation.sources.pop(path, None)
    return removed


def _remove(data: dict[str, Any], path: str) -> bool:
    """Delete ``a.b[2].c`` from nested data; False when it is not there."""
    parts = [p for p in path.replace("]", "").replace("[", ".").split(".") if p]
    node: Any = data
    for part in parts[:-1]:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return False
    last = parts[-1] if parts else ""
    if isinstance(node, dict) and last in node:
        del node[last]
        return True
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        node[int(last)] = {}  # a line stays a line; its values become unknown
        return True
    return False


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
