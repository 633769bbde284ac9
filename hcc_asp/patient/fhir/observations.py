"""Observations: the newest usable value per concept, its unit converted, its date kept.

Status final/amended/corrected, dated on or before the as-of date; bilirubin (and albumin) in
either unit is one concept; a value older than
:data:`~hcc_asp.patient.sources.STALE_AFTER_DAYS` is used and marked stale. A unit not listed
(:mod:`.units`), or an Observation of a mapped code without a value (and without
``dataAbsentReason``), is an input error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from hcc_asp.patient.fhir.derivation import Derivation, put
from hcc_asp.patient.fhir.elements import code_text, concept_rows, date_of
from hcc_asp.patient.fhir.mapping import Row
from hcc_asp.patient.fhir.read import Resource
from hcc_asp.patient.fhir.units import accepted, factor
from hcc_asp.patient.sources import STALE_AFTER_DAYS, Source

_OBSERVATION_USED = ("final", "amended", "corrected")


_CONCEPT = {
    "labs.bilirubin_mg_dl": "bilirubin",
    "labs.bilirubin_umol_l": "bilirubin",
    "labs.albumin_g_dl": "albumin",
    "labs.albumin_g_l": "albumin",
}


@dataclass
class _Reading:
    key: str
    value: float | int
    date: dt.date | None
    source: Resource
    element: str


def read_observations(
    observations: list[Resource], as_of: dt.date, out: Derivation, problems: list[str]
) -> None:
    """Put into ``out`` the newest usable value per concept (module docstring rules)."""
    newest: dict[str, _Reading] = {}
    for resource in observations:
        model = resource.model
        rows = concept_rows(model.code, "observation")
        if not rows:
            out.notes.append(f"{resource.name} ({code_text(model.code)}): not used")
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
        put(out.data, reading.key, reading.value)
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
                f"{name}: no value ({code_text(model.dataAbsentReason)}); "
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
        date = date_of(value)
        if date is not None:
            return date
    return None
