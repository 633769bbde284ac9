"""Turn one patient's validated FHIR resources into patient-file data, with sources and notes.

Rules (README, "FHIR input"):

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
  the text/display) are merged per drug (gaps under :data:`SAME_COURSE_DAYS`), drugs started
  within :data:`COMBINATION_DAYS` of each other that form a regimen together are one line, lines
  are ordered by start date. The outcome comes from ``statusReason`` (mCODE termination reason) or
  from an active status (ongoing, last line only).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hcc_asp.patient.fhir.mapping import Row, name_rows, rows_for
from hcc_asp.patient.fhir.read import Resource
from hcc_asp.patient.fhir.units import accepted, factor
from hcc_asp.patient.problems import PatientError
from hcc_asp.patient.sources import STALE_AFTER_DAYS, Source

#: Records of one drug less than this many days apart are one course.
SAME_COURSE_DAYS = 90
#: Drugs started within this many days of each other, forming a regimen together, are one line.
COMBINATION_DAYS = 42

_OBSERVATION_USED = ("final", "amended", "corrected")
_MEDICATION_SKIPPED = ("entered-in-error", "cancelled", "draft", "not-done", "not-taken")
_MEDICATION_ACTIVE = ("active", "on-hold", "in-progress")
_CONCEPT = {
    "labs.bilirubin_mg_dl": "bilirubin",
    "labs.bilirubin_umol_l": "bilirubin",
    "labs.albumin_g_dl": "albumin",
    "labs.albumin_g_l": "albumin",
}
_TERMINATION_EXTENSION = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-treatment-termination-reason"
)
_CANCER_MEDICATION_PROFILES = ("mcode-cancer-related-medication",)


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
    _observations(observations, as_of, out, problems)
    _conditions(conditions, as_of, out)
    _medications(given, medications, as_of, out)
    out.problems.extend(problems)
    return out


# ---------------------------------------------------------------------------------------------
# Patient and subject
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Observations
# ---------------------------------------------------------------------------------------------


@dataclass
class _Reading:
    key: str
    value: float | int
    date: dt.date | None
    source: Resource
    element: str


def _observations(
    observations: list[Resource], as_of: dt.date, out: Derivation, problems: list[str]
) -> None:
    newest: dict[str, _Reading] = {}
    for resource in observations:
        model = resource.model
        rows = _rows(model.code, "observation")
        if not rows:
            out.notes.append(f"{resource.name} ({_code_text(model.code)}): not used")
            continue
        if model.status not in _OBSERVATION_USED:
            out.notes.append(f"{resource.name}: status {model.status}, not used")
            continue
        date = _observation_date(model)
        if date is not None and date > as_of:
            out.notes.append(f"{resource.name}: dated {date}, after the as-of date {as_of}")
            continue
        reading = _reading(resource, rows, date, out, problems)
        if reading is None:
            continue
        concept = _CONCEPT.get(reading.key, reading.key)
        current = newest.get(concept)
        if current is None or _newer(reading, current):
            newest[concept] = reading
    for reading in sorted(newest.values(), key=lambda r: r.key):
        _put(out.data, reading.key, reading.value)
        age = (as_of - reading.date).days if reading.date else None
        out.sources[reading.key] = Source(
            references=(reading.source.name,),
            element=reading.element,
            date=reading.date.isoformat() if reading.date else None,
            age_days=age,
            stale=age is None or age > STALE_AFTER_DAYS,
        )


def _newer(reading: _Reading, current: _Reading) -> bool:
    low = dt.date.min
    return (reading.date or low, reading.source.name) > (current.date or low, current.source.name)


def _reading(
    resource: Resource,
    rows: tuple[Row, ...],
    date: dt.date | None,
    out: Derivation,
    problems: list[str],
) -> _Reading | None:
    model = resource.model
    name = resource.name
    if rows[0].value == "integer" and model.valueInteger is not None:
        return _Reading(rows[0].target, int(model.valueInteger), date, resource, "valueInteger")
    quantity = model.valueQuantity
    if quantity is None:
        present = [k for k in resource.data if k.startswith("value")]
        if present:
            problems.append(
                f"{name} {present[0]}: {rows[0].target} needs "
                f"{'valueInteger' if rows[0].value == 'integer' else 'valueQuantity'}"
            )
        elif model.dataAbsentReason is not None:
            out.notes.append(
                f"{name}: no value ({_code_text(model.dataAbsentReason)}); "
                f"{rows[0].target} stays unknown"
            )
        else:
            problems.append(f"{name} value[x]: missing (an Observation of {rows[0].target})")
        return None
    if quantity.value is None:
        problems.append(f"{name} valueQuantity.value: missing")
        return None
    if quantity.comparator is not None:
        out.notes.append(
            f"{name}: value {quantity.comparator}{quantity.value} is a bound, not a measured "
            f"value; {rows[0].target} stays unknown"
        )
        return None
    sent = _unit(quantity)
    for row in rows:
        scale = factor(row.value, sent)
        if scale is not None:
            value = float(quantity.value) * scale
            element = "valueQuantity.value"
            if row.value == "integer":
                return _Reading(
                    row.target, int(value) if value.is_integer() else value, date, resource, element
                )
            # a converted value keeps two decimals (69.85 kg from 154 [lb_av]), as a lab reports
            shown = value if scale == 1.0 else round(value, 2)
            return _Reading(row.target, shown, date, resource, element)
    units = accepted([row.value for row in rows])
    problems.append(
        f"{name} valueQuantity.unit: {sent!r} cannot be converted for {rows[0].target} "
        f"(accepted: {', '.join(units)})"
    )
    return None


def _unit(quantity: Any) -> str:
    """The unit sent: the UCUM code when given, else the human-readable unit."""
    if quantity.code and (quantity.system in (None, "http://unitsofmeasure.org")):
        return str(quantity.code)
    return str(quantity.unit or quantity.code or "")


def _observation_date(model: Any) -> dt.date | None:
    for value in (
        model.effectiveDateTime,
        getattr(model.effectivePeriod, "end", None),
        getattr(model.effectivePeriod, "start", None),
        model.effectiveInstant,
        model.issued,
    ):
        date = _date(value)
        if date is not None:
            return date
    return None


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) >= 4:  # partial dates: 2024 or 2024-05
        parts = value.split("-")
        try:
            return dt.date(int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, 1)
        except ValueError:
            return None
    return None


# ---------------------------------------------------------------------------------------------
# Conditions
# ---------------------------------------------------------------------------------------------

_ACTIVE = ("active", "recurrence", "relapse")
_RESOLVED = ("inactive", "remission", "resolved")


def _status(model: Any) -> str | None:
    """``active``, ``resolved``, ``refuted``, or None (entered in error / not confirmed)."""
    verification = _first_code(model.verificationStatus)
    if verification == "refuted":
        return "refuted"
    if verification in ("entered-in-error", "unconfirmed", "provisional", "differential"):
        return None
    clinical = _first_code(model.clinicalStatus)
    if clinical in _RESOLVED:
        return "resolved"
    return "active"


def _conditions(conditions: list[Resource], as_of: dt.date, out: Derivation) -> None:
    yes: dict[str, tuple[Any, Resource, str]] = {}
    no: dict[str, tuple[Any, Resource]] = {}
    etiology: dict[str, Resource] = {}
    for resource in conditions:
        model = resource.model
        rows = _rows(model.code, "condition")
        if not rows:
            out.notes.append(f"{resource.name} ({_code_text(model.code)}): not used")
            continue
        status = _status(model)
        if status is None:
            out.notes.append(
                f"{resource.name} ({_code_text(model.code)}): verification "
                f"{_first_code(model.verificationStatus)}, not used"
            )
            continue
        onset = _condition_date(model)
        if onset is not None and onset > as_of:
            out.notes.append(f"{resource.name}: recorded {onset}, after the as-of date {as_of}")
            continue
        row = rows[0]
        label = f"{resource.name} ({row.display})"
        if row.target == "-":
            if row.value == "note":
                out.notes.append(
                    f"{label}: recorded; liver.varices needs the endoscopy date and finding"
                )
            continue
        if status == "refuted" or (status == "resolved" and row.target != "liver.etiology"):
            if row.refuted and row.target not in ("comorbidities.transplant",):
                no.setdefault(row.target, (_plain(row.refuted), resource))
            elif row.target == "comorbidities.autoimmune_disease" and status == "resolved":
                _keep(yes, row.target, "history", resource, "clinicalStatus")
            elif row.target == "liver.varices.bleeding_months_ago" and status == "resolved":
                _bleeding(resource, onset, as_of, yes, out, label)
            continue
        value = _active_value(row, model, resource, onset, as_of, out, label)
        if value is None:
            continue
        if row.target == "liver.etiology":
            etiology.setdefault(str(value), resource)
        elif row.target == "liver.varices.bleeding_months_ago":
            _bleeding(resource, onset, as_of, yes, out, label)
        else:
            _keep(yes, row.target, value, resource, "code")
    for key, (value, resource, element) in sorted(yes.items()):
        _put(out.data, key, value)
        out.sources[key] = _condition_source(resource, element)
    for key, (value, resource) in sorted(no.items()):
        if key in yes:
            continue  # a "yes" anywhere in the record wins over a "no"
        _put(out.data, key, value)
        out.sources[key] = _condition_source(resource, "verificationStatus/clinicalStatus")
    if etiology:
        order = ("hbv", "hcv", "alcohol", "masld", "other")
        names = sorted(etiology, key=order.index)
        _put(out.data, "liver.etiology", names)
        out.sources["liver.etiology"] = Source(
            references=tuple(etiology[n].name for n in names), element="code"
        )


_SEVERITY_ORDER = {"active": 2, "history": 1, "liver": 3, "other_solid_organ": 2}


def _keep(
    found: dict[str, tuple[Any, Resource, str]],
    key: str,
    value: Any,
    resource: Resource,
    element: str,
) -> None:
    """Keep the strongest "yes" per key (active over history; True stays True)."""
    current = found.get(key)
    if current is None or _SEVERITY_ORDER.get(str(value), 0) > _SEVERITY_ORDER.get(
        str(current[0]), 0
    ):
        found[key] = (value, resource, element)


def _active_value(
    row: Row,
    model: Any,
    resource: Resource,
    onset: dt.date | None,
    as_of: dt.date,
    out: Derivation,
    label: str,
) -> Any:
    if row.value == "from_severity":
        for coding in getattr(model.severity, "coding", None) or []:
            for severity in rows_for("severity", coding.system, coding.code):
                if severity.target == row.target:
                    return severity.value
        out.notes.append(f"{label}: present, severity not coded; {row.target} stays unknown")
        return None
    if row.value == "from_status":
        return "active"
    if row.value == "months_since_onset":
        return "bleeding"
    if not row.value:
        out.notes.append(f"{label}: present, grade or control not coded; {row.target} unknown")
        return None
    return _plain(row.value)


def _bleeding(
    resource: Resource,
    onset: dt.date | None,
    as_of: dt.date,
    found: dict[str, tuple[Any, Resource, str]],
    out: Derivation,
    label: str,
) -> None:
    key = "liver.varices.bleeding_months_ago"
    if onset is None:
        out.notes.append(f"{label}: bleeding without a date; {key} stays unknown")
        return
    months = round((as_of - onset).days / (365.25 / 12), 1)
    current = found.get(key)
    if current is None or months < current[0]:
        found[key] = (months, resource, "onsetDateTime")


def _condition_date(model: Any) -> dt.date | None:
    for value in (
        model.onsetDateTime,
        getattr(model.onsetPeriod, "start", None),
        model.recordedDate,
    ):
        date = _date(value)
        if date is not None:
            return date
    return None


def _condition_source(resource: Resource, element: str) -> Source:
    date = _condition_date(resource.model)
    return Source(
        references=(resource.name,),
        element=element,
        date=date.isoformat() if date else None,
    )


# ---------------------------------------------------------------------------------------------
# Medications
# ---------------------------------------------------------------------------------------------


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


def _medications(
    given: list[Resource], medications: dict[Any, Resource], as_of: dt.date, out: Derivation
) -> None:
    from hcc_asp.vocabulary import regimens

    vocabulary = regimens()
    drug_names = sorted({drug for regimen in vocabulary for drug, _ in regimen.drugs})
    records: list[_Given] = []
    flags: dict[str, tuple[Any, Resource]] = {}
    for resource in given:
        model = resource.model
        if model.status in _MEDICATION_SKIPPED or model.status == "intended":
            continue
        concept = _medication_concept(model, medications)
        drug, row = _drug(concept, drug_names)
        start, end = _medication_period(resource)
        if start is not None and start > as_of:
            out.notes.append(f"{resource.name}: starts {start}, after the as-of date {as_of}")
            continue
        active = model.status in _MEDICATION_ACTIVE and (end is None or end >= as_of)
        if row is not None:
            if active:
                flags.setdefault(row.target, (_plain(row.value), resource))
            continue
        if drug is None:
            if _cancer_related(resource):
                drug = "?"
                out.notes.append(
                    f"{resource.name} ({_code_text(concept)}): a cancer medication this tool "
                    "does not know; its line's regimen is left unknown"
                )
            else:
                continue
        outcome, reason_text = _outcome(model)
        records.append(_Given(drug, start, end, active, outcome, reason_text, resource))
    for key, (value, resource) in sorted(flags.items()):
        _put(out.data, key, value)
        out.sources[key] = Source(references=(resource.name,), element="status")
    if records:
        _lines(records, vocabulary, out)


def _medication_concept(model: Any, medications: dict[Any, Resource]) -> Any:
    concept = getattr(model, "medicationCodeableConcept", None)
    if concept is not None:
        return concept
    reference = getattr(getattr(model, "medicationReference", None), "reference", None)
    if isinstance(reference, str):
        target = medications.get(reference.rsplit("/", 1)[-1].lstrip("#"))
        if target is None:
            for contained in getattr(model, "contained", None) or []:
                if f"#{contained.id}" == reference and hasattr(contained, "code"):
                    return contained.code
        if target is not None:
            return target.model.code
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
                return _date(bounds.start), _date(bounds.end)
        return _date(model.authoredOn), None
    period = model.effectivePeriod
    if period is not None:
        return _date(period.start), _date(period.end)
    date = _date(model.effectiveDateTime)
    if kind == "MedicationStatement" and date is None:
        date = _date(model.dateAsserted)
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
        return None, _code_text(reasons[0])
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


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _rows(concept: Any, kind: str) -> tuple[Row, ...]:
    for coding in getattr(concept, "coding", None) or []:
        rows = rows_for(kind, coding.system, coding.code)
        if rows:
            return rows
    return ()


def _first_code(concept: Any) -> str | None:
    for coding in getattr(concept, "coding", None) or []:
        if coding.code:
            return str(coding.code)
    return None


def _code_text(concept: Any) -> str:
    if concept is None:
        return "no code"
    for coding in concept.coding or []:
        system = {
            "http://loinc.org": "LOINC",
            "http://snomed.info/sct": "SNOMED CT",
            "http://hl7.org/fhir/sid/icd-10-cm": "ICD-10-CM",
            "http://www.nlm.nih.gov/research/umls/rxnorm": "RxNorm",
        }.get(coding.system or "", coding.system or "no system")
        display = f" {coding.display}" if coding.display else ""
        return f"{system} {coding.code}{display}"
    return concept.text or "no code"


def _plain(text: str) -> Any:
    return {"true": True, "false": False}.get(text, text)


def _put(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    for part in parts[:-1]:
        data = data.setdefault(part, {})
    data[parts[-1]] = value
