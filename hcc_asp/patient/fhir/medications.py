"""Medications: records of the vocabulary's drugs merged into courses and lines, with outcomes.

A drug is recognised by its RxNorm ingredient, else its name in the text or display. Records of
one drug less than :data:`SAME_COURSE_DAYS` apart are one course; drugs started within
:data:`COMBINATION_DAYS` of each other that form a regimen together are one line; lines are
ordered by start date. The outcome comes from ``statusReason`` (the mCODE termination reason) or
from an active status (ongoing, last line only).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hcc_asp.patient.fhir.derivation import Derivation, leave, put
from hcc_asp.patient.fhir.elements import code_text, date_of, plain
from hcc_asp.patient.fhir.mapping import Row, name_rows, rows_for
from hcc_asp.patient.fhir.read import Resource
from hcc_asp.patient.sources import Source

#: Records of one drug less than this many days apart are one course.
SAME_COURSE_DAYS = 90


#: Drugs started within this many days of each other, forming a regimen together, are one line.
COMBINATION_DAYS = 42


_MEDICATION_SKIPPED = (
    "entered-in-error",
    "cancelled",
    "draft",
    "not-done",
    "not-taken",
    "intended",
)
#: MedicationRequest intents that are not an order to give the drug (FHIR R4 request-intent):
#: a proposal, a plan or an option is not therapy given.
_INTENT_NOT_GIVEN = ("proposal", "plan", "option")


_MEDICATION_ACTIVE = ("active", "on-hold", "in-progress")


_TERMINATION_EXTENSION = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-treatment-termination-reason"
)


_CANCER_MEDICATION_PROFILES = ("mcode-cancer-related-medication",)


@dataclass
class _Given:
    drug: str  # a vocabulary drug, or "?" for a cancer drug this tool does not know
    start: dt.date | None
    end: dt.date | None
    active: bool
    outcome: str | None
    reason_text: str | None
    resource: Resource


@dataclass
class _Line:
    drugs: list[str]
    start: dt.date | None
    records: list[_Given]


def read_medications(
    given: list[Resource], medications: dict[Any, Resource], as_of: dt.date, out: Derivation
) -> None:
    """Put into ``out`` the prior lines and the medication flags (module docstring rules)."""
    from hcc_asp.knowledge import shipped

    vocabulary = shipped().regimens
    drug_names = sorted({drug for regimen in vocabulary for drug, _ in regimen.drugs})
    records: list[_Given] = []
    flags: dict[str, tuple[Any, Resource]] = {}
    for resource in given:
        model = resource.model
        concept = _medication_concept(resource, medications, out)
        drug, row = _drug(concept, drug_names)
        not_given = _not_given(model)
        if not_given is not None:
            if drug is not None:
                out.notes.append(f"{resource.name} ({drug}): {not_given}; not a line of therapy")
                out.left_out.append(f"{resource.name} ({drug}): {not_given}, not counted as given")
            continue
        start, end = _medication_period(resource)
        if start is not None and start > as_of:
            out.notes.append(f"{resource.name}: starts {start}, after the as-of date {as_of}")
            continue
        active = model.status in _MEDICATION_ACTIVE and (end is None or end >= as_of)
        if row is not None:
            if active:
                flags.setdefault(row.target, (plain(row.value), resource))
            continue
        if drug is None:
            if _cancer_related(resource):
                drug = "?"
                out.notes.append(
                    f"{resource.name} ({code_text(concept)}): a cancer medication this tool "
                    "does not know; its line's regimen is left unknown"
                )
            else:
                continue
        outcome, reason_text = _outcome(model)
        records.append(_Given(drug, start, end, active, outcome, reason_text, resource))
    for key, (value, resource) in sorted(flags.items()):
        put(out.data, key, value)
        out.sources[key] = Source(references=(resource.name,), element="status")
    if records:
        _lines(records, vocabulary, out)


def _not_given(model: Any) -> str | None:
    """Why a medication record is not therapy given (None when it is)."""
    if model.status in _MEDICATION_SKIPPED:
        return f"status {model.status}"
    if getattr(model, "doNotPerform", None) is True:
        return "doNotPerform true (an order not to give it)"
    intent = getattr(model, "intent", None)
    if intent in _INTENT_NOT_GIVEN:
        return f"intent {intent}"
    return None


def _medication_concept(resource: Resource, medications: dict[Any, Resource], out: Any) -> Any:
    """The medication's code: inline, or through its reference as FHIR resolves it.

    ``#id`` is a contained resource of this very resource (never a top-level one); other
    references are looked up by ``fullUrl`` (``urn:uuid:``, absolute URL) and by ``Type/id``. A
    reference with only a ``display`` is matched by that name, with a note.
    """
    model = resource.model
    concept = getattr(model, "medicationCodeableConcept", None)
    if concept is not None:
        return concept
    medication = getattr(model, "medicationReference", None)
    reference = getattr(medication, "reference", None)
    if isinstance(reference, str):
        if reference.startswith("#"):
            for contained in getattr(model, "contained", None) or []:
                if f"#{contained.id}" == reference and hasattr(contained, "code"):
                    return contained.code
        target = None if reference.startswith("#") else medications.get(reference)
        if target is None and "/" in reference:
            target = medications.get("/".join(reference.rstrip("/").split("/")[-2:]))
        if target is not None:
            return target.model.code
    display = getattr(medication, "display", None)
    if isinstance(reference, str) and not (isinstance(display, str) and display.strip()):
        leave(
            out,
            f"{resource.name} medicationReference: {reference} is not in the input; the drug is "
            "unknown and this record is not counted as a line of therapy",
        )
        return None
    if isinstance(display, str) and display.strip():
        from fhir.resources.R4B.codeableconcept import CodeableConcept

        out.notes.append(
            f"{resource.name} medicationReference: "
            + (f"{reference} not in the input; " if isinstance(reference, str) else "")
            + f"matched by its display {display.strip()!r}"
        )
        return CodeableConcept(text=display.strip())
    return None


def _drug(concept: Any, drug_names: list[str]) -> tuple[str | None, Row | None]:
    """A vocabulary drug (RxNorm ingredient, else its name in the text), or a name-matched row."""
    if concept is None:
        return None, None
    for coding in concept.coding or []:
        for row in rows_for("medication", coding.system, coding.code):
            return (row.value, None) if row.target == "drug" else (None, row)
    words = " ".join(
        [concept.text or ""] + [coding.display or "" for coding in concept.coding or []]
    ).lower()
    for name in drug_names:
        if name in words:
            return name, None
    for row in name_rows():
        if row.code in words:
            return None, row
    return None, None


def _cancer_related(resource: Resource) -> bool:
    profiles = getattr(getattr(resource.model, "meta", None), "profile", None) or []
    return any(
        marker in str(profile) for profile in profiles for marker in _CANCER_MEDICATION_PROFILES
    )


def _medication_period(resource: Resource) -> tuple[dt.date | None, dt.date | None]:
    model = resource.model
    kind = resource.data["resourceType"]
    if kind == "MedicationRequest":
        for dosage in model.dosageInstruction or []:
            bounds = getattr(getattr(dosage.timing, "repeat", None), "boundsPeriod", None)
            if bounds is not None and bounds.start is not None:
                return date_of(bounds.start), date_of(bounds.end)
        return date_of(model.authoredOn), None
    period = model.effectivePeriod
    if period is not None:
        return date_of(period.start), date_of(period.end)
    date = date_of(model.effectiveDateTime)
    if kind == "MedicationStatement" and date is None:
        date = date_of(model.dateAsserted)
    return date, date


def _outcome(model: Any) -> tuple[str | None, str | None]:
    reasons = model.statusReason
    if reasons is None:
        reasons = []
    elif not isinstance(reasons, list):
        reasons = [reasons]
    for extension in getattr(model, "extension", None) or []:
        if extension.url == _TERMINATION_EXTENSION and extension.valueCodeableConcept:
            reasons.append(extension.valueCodeableConcept)
    for reason in reasons:
        for coding in reason.coding or []:
            for row in rows_for("reason", coding.system, coding.code):
                return row.value, row.display
    if reasons:
        return None, code_text(reasons[0])
    return None, None


def _lines(records: list[_Given], vocabulary: Iterable[Any], out: Derivation) -> None:
    known = {frozenset(drug for drug, _ in regimen.drugs): regimen.id for regimen in vocabulary}
    courses = _courses(records)
    lines: list[_Line] = []
    for course in courses:
        drug, start = course[0].drug, course[0].start
        line = lines[-1] if lines else None
        if (
            line is not None
            and drug != "?"
            and "?" not in line.drugs
            and drug not in line.drugs
            and start is not None
            and line.start is not None
            and (start - line.start).days <= COMBINATION_DAYS
            and any(set(line.drugs) | {drug} <= set(drugs) for drugs in known)
        ):
            line.drugs.append(drug)
            line.records.extend(course)
        else:
            lines.append(_Line([drug], start, list(course)))
    therapies: list[dict[str, Any]] = []
    for index, line in enumerate(lines):
        where = f"prior_therapies[{index}]"
        entry: dict[str, Any] = {}
        regimen = known.get(frozenset(line.drugs))
        references = tuple(sorted({r.resource.name for r in line.records}))
        dates = sorted(r.start for r in line.records if r.start is not None)
        if regimen is not None:
            entry["regimen"] = regimen
        else:
            out.notes.append(
                f"{where} ({', '.join(references)}): drugs {', '.join(sorted(line.drugs))} form "
                "no regimen of the vocabulary; regimen left unknown"
            )
        out.sources[f"{where}.regimen"] = Source(
            references=references,
            element="medication[x]",
            date=dates[0].isoformat() if dates else None,
        )
        outcome, resource, note = _line_outcome(line, last=index == len(lines) - 1)
        if note:
            out.notes.append(f"{where} ({', '.join(references)}): {note}")
        if outcome is not None and resource is not None:
            entry["outcome"] = outcome
            out.sources[f"{where}.outcome"] = Source(
                references=(resource.name,), element="statusReason/status"
            )
        therapies.append(entry)
    out.data["prior_therapies"] = therapies


def _courses(records: list[_Given]) -> list[list[_Given]]:
    """Records of one drug merged into courses, ordered by start (undated first)."""
    low = dt.date.min
    by_drug: dict[str, list[_Given]] = {}
    for record in sorted(records, key=lambda r: (r.start or low, r.resource.name)):
        by_drug.setdefault(record.drug, []).append(record)
    courses: list[list[_Given]] = []
    for drug_records in by_drug.values():
        current: list[_Given] = []
        last: dt.date | None = None
        for record in drug_records:
            if (
                current
                and record.drug != "?"
                and record.start is not None
                and last is not None
                and (record.start - last).days <= SAME_COURSE_DAYS
            ):
                current.append(record)
            else:
                if current:
                    courses.append(current)
                current = [record]
            ends = [d for d in (record.end, record.start, last) if d is not None]
            last = max(ends) if ends else None
        courses.append(current)
    return sorted(courses, key=lambda c: (c[0].start or low, c[0].resource.name))


def _line_outcome(line: _Line, last: bool) -> tuple[str | None, Resource | None, str | None]:
    active = [r for r in line.records if r.active]
    if active:
        if last:
            return "ongoing", active[0].resource, None
        return None, None, "still marked active although a later line started; outcome unknown"
    low = dt.date.min
    ordered = sorted(line.records, key=lambda r: (r.end or r.start or low, r.resource.name))
    mapped = [r for r in ordered if r.outcome is not None]
    if mapped:
        return mapped[-1].outcome, mapped[-1].resource, None
    texts = [r.reason_text for r in ordered if r.reason_text]
    if texts:
        return None, None, f"stopped ({texts[-1]}): no outcome this tool maps; outcome unknown"
    return None, None, "no termination reason recorded; outcome unknown"
