"""The derivation: what one patient's FHIR resources say, as patient-file data with sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hcc_asp.patient.sources import Source


@dataclass
class Derivation:
    """What the FHIR resources say about the patient, in patient-file form.

    ``data`` is patient-file data (validate it with ``patient_from_data``); ``sources`` maps key
    paths to resources; ``notes`` lists what could not be mapped or needs a clinician, one line
    each, naming the resource; ``problems`` the input errors found while mapping (the values they
    concern are left out of ``data``, so that validating the rest reports its problems too).
    """

    data: dict[str, Any]
    sources: dict[str, Source]
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: What the answer must say was left out: values left unknown, records not counted.
    left_out: list[str] = field(default_factory=list)


def leave(out: Derivation, text: str) -> None:
    """A value of the record left unknown, or a record not counted: a note, and an answer note."""
    out.notes.append(text)
    out.left_out.append(text)


def put(data: dict[str, Any], key: str, value: Any) -> None:
    """Set a dotted key path (``liver.varices.finding``) of patient-file data."""
    parts = key.split(".")
    for part in parts[:-1]:
        data = data.setdefault(part, {})
    data[parts[-1]] = value
