"""A cohort's records: one input record (a patient, or the problems that kept it out).

Every reader of a cohort (:mod:`.readers`, :mod:`.table`, :mod:`.bulk`) yields :class:`Record`
values; :class:`CohortError` is the one failure of a cohort as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hcc_asp.patient import Patient


class CohortError(Exception):
    """The cohort as a whole cannot be read (no such path, unknown kind): exit code 2."""


@dataclass
class Record:
    """One input record: where it is, and the patient or the problems that kept it out."""

    where: str
    patient: Patient | None = None
    problems: list[str] = field(default_factory=list)
