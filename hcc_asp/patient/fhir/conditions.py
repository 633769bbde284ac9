"""Conditions: absent is unknown; refuted or resolved gives the row's "no"; a "yes" anywhere wins.

``verificationStatus`` refuted, or ``clinicalStatus`` inactive/remission/resolved, gives the
mapping row's ``refuted`` value where the key is about that very condition; unconfirmed or
provisional ones are noted, not used. Etiologies are collected; a variceal bleeding becomes the
months since it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hcc_asp.patient.fhir.derivation import Derivation, put
from hcc_asp.patient.fhir.elements import code_text, concept_rows, date_of, first_code, plain
from hcc_asp.patient.fhir.mapping import Row, rows_for
from hcc_asp.patient.fhir.read import Resource
from hcc_asp.patient.sources import Source

_RESOLVED = ("inactive", "remission", "resolved")


def _status(model: Any) -> str | None:
    """``active``, ``resolved``, ``refuted``, or None (entered in error / not confirmed)."""
    verification = first_code(model.verificationStatus)
    if verification == "refuted":
        return "refuted"
    if verification in ("entered-in-error", "unconfirmed", "provisional", "differential"):
        return None
    clinical = first_code(model.clinicalStatus)
    if clinical in _RESOLVED:
        return "resolved"
    return "active"


def read_conditions(conditions: list[Resource], as_of: dt.date, out: Derivation) -> None:
    """Put into ``out`` what the conditions say (module docstring rules), with notes."""
    yes: dict[str, tuple[Any, Resource, str]] = {}
    no: dict[str, tuple[Any, Resource]] = {}
    etiology: dict[str, Resource] = {}
    for resource in conditions:
        model = resource.model
        rows = concept_rows(model.code, "condition")
        if not rows:
            out.notes.append(f"{resource.name} ({code_text(model.code)}): not used")
            continue
        status = _status(model)
        if status is None:
            out.notes.append(
                f"{resource.name} ({code_text(model.code)}): verification "
                f"{first_code(model.verificationStatus)}, not used"
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
                no.setdefault(row.target, (plain(row.refuted), resource))
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
        put(out.data, key, value)
        out.sources[key] = _condition_source(resource, element)
    for key, (value, resource) in sorted(no.items()):
        if key in yes:
            continue  # a "yes" anywhere in the record wins over a "no"
        put(out.data, key, value)
        out.sources[key] = _condition_source(resource, "verificationStatus/clinicalStatus")
    if etiology:
        order = ("hbv", "hcv", "alcohol", "masld", "other")
        names = sorted(etiology, key=order.index)
        put(out.data, "liver.etiology", names)
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
    return plain(row.value)


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
        date = date_of(value)
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
