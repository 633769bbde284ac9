"""Patient input: one model and one reader per source.

- :mod:`hcc_asp.patient.model` -- the patient model (format version 1): the file's sections.
- :mod:`hcc_asp.patient.leaves`, :mod:`hcc_asp.patient.bounds` -- its leaf types; the size bounds,
  numeric ranges and unit factors.
- :mod:`hcc_asp.patient.validation` -- data to a :class:`Patient`, every problem one line;
  :mod:`hcc_asp.patient.contradictions` -- keys valid alone that contradict each other;
  :mod:`hcc_asp.patient.problems` -- :class:`PatientError` and the wording of a problem.
- :mod:`hcc_asp.patient.file` -- the patient-file reader (YAML/JSON, ``spec/patient.md``).
- :mod:`hcc_asp.patient.fhir` -- the FHIR R4 reader (Bundle, NDJSON, directory) and its mapping
  table ``fhir/mapping.csv``; needs the ``fhir`` extra, imported only when FHIR is read.
- :mod:`hcc_asp.patient.load` -- :func:`read_patient`, one entry point that detects the source.
- :mod:`hcc_asp.patient.sources` -- where each value came from, shown in answers.
- :mod:`hcc_asp.patient.write` -- a patient as a commented patient file (``hcc-asp import``).

A further source (a CSV row, HL7 v2) is one more reader that returns a :class:`Patient` (and its
sources).

Every public name stays importable from ``hcc_asp.patient`` as before.
"""

from hcc_asp.patient.bounds import BOUNDS, MAX_BYTES, MAX_DEPTH, MAX_NODES
from hcc_asp.patient.file import load_patient, parse_patient, read_source
from hcc_asp.patient.load import read_patient
from hcc_asp.patient.model import (
    Access,
    ChildPugh,
    Comorbidities,
    Labs,
    Liver,
    Patient,
    PriorTherapy,
    Tumour,
    Varices,
)
from hcc_asp.patient.problems import PatientError
from hcc_asp.patient.sources import Source
from hcc_asp.patient.validation import patient_from_data

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
    "Source",
    "Tumour",
    "Varices",
    "load_patient",
    "parse_patient",
    "patient_from_data",
    "read_patient",
    "read_source",
]
