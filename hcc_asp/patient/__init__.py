"""Patient input: one model and one reader per source.

- :mod:`hcc_asp.patient.model` -- the patient model (format version 1) and the patient-file
  reader (YAML/JSON, ``spec/patient.md``).

Every public name stays importable from ``hcc_asp.patient`` as before.
"""

from hcc_asp.patient.model import (
    BOUNDS,
    MAX_BYTES,
    MAX_DEPTH,
    MAX_NODES,
    Access,
    ChildPugh,
    Comorbidities,
    Labs,
    Liver,
    Patient,
    PatientError,
    PriorTherapy,
    Tumour,
    Varices,
    load_patient,
    parse_patient,
    patient_from_data,
    read_source,
)

__all__ = [
    "BOUNDS",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "Access",
    "ChildPugh",
    "Comorbidities",
    "Labs",
    "Liver",
    "Patient",
    "PatientError",
    "PriorTherapy",
    "Tumour",
    "Varices",
    "load_patient",
    "parse_patient",
    "patient_from_data",
    "read_source",
]
