"""Observations: the newest usable value per concept, its unit converted, its date kept.

Status final/amended/corrected, dated on or before the as-of date; bilirubin (and albumin) in
either unit is one concept; a panel is read through its components; a value older than
:data:`~hcc_asp.patient.sources.STALE_AFTER_DAYS` is used and marked stale. A value that cannot be
used (a unit not listed in :mod:`.units`, a ``valueString``, no value) leaves its key unknown with
a line naming the resource and element; a newer unusable value is not replaced by an older one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from hcc_asp.patient.fhir.derivation import Derivation, leave, put
from hcc_asp.patient.fhir.elements import code_text, concept_rows, date_of
from hcc_asp.patient.fhir.mapping import Row, rows_for
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
    unusable: dict[str, dt.date] = {}  # concept -> date of the newest value that was unusable
    low = dt.date.min
    for resource in observations:
        model = resource.model
        parts = [(model, "", concept_rows(model.code, "observation"))]
        for index, component in enumerate(getattr(model, "component", None) or []):
            rows = concept_rows(component.code, "observation")
            if rows:  # a panel is read through its components (README, "FHIR input")
                parts.append((component, f"component[{index}].", rows))
        if not any(rows for _, _, rows in parts):
            out.notes.append(f"{resource.name} ({code_text(model.code)}): not used")
            continue
        if model.status not in _OBSERVATION_USED:
            out.notes.append(f"{resource.name}: status {model.status}, not used")
            continue
        date = _observation_date(model)
        if date is not None and date > as_of:
            out.notes.append(f"{resource.name}: dated {date}, after the as-of date {as_of}")
            continue
        for part, prefix, rows in parts:
            if not rows:
                continue
            if rows[0].target == "-":
                _unused_measure(resource, prefix, rows[0], out)
                continue
            before = len(out.left_out)
            reading = _reading(resource, part, prefix, rows, date, out)
            if reading is None:
                if len(out.left_out) > before:  # a newer value that cannot be used
                    key = _CONCEPT.get(rows[0].target, rows[0].target)
                    unusable[key] = max(unusable.get(key, low), date or low)
                continue
            concept = _CONCEPT.get(reading.key, reading.key)
            current = newest.get(concept)
            if current is None or _newer(reading, current):
                newest[concept] = reading
    for concept, reading in sorted(newest.items(), key=lambda item: item[1].key):
        if concept in unusable and unusable[concept] >= (reading.date or low):
            leave(
                out,
                f"{reading.source.name} ({reading.date}): not used for {reading.key}, a newer "
                "value of the record could not be read; "
                f"{reading.key} left unknown",
            )
            continue
        put(out.data, reading.key, reading.value)
        age = (as_of - reading.date).days if reading.date else None
        out.sources[reading.key] = Source(
            references=(reading.source.name,),
            element=reading.element,
            date=reading.date.isoformat() if reading.date else None,
            age_days=age,
            stale=age is None or age > STALE_AFTER_DAYS,
        )


def _unused_measure(resource: Resource, prefix: str, row: Row, out: Derivation) -> None:
    """A measure recognised but not used (the prothrombin ratio is not an INR): say so."""
    text = f"{resource.name} {prefix}code ({row.display}): {row.value}"
    out.notes.append(text)
    out.left_out.append(text)


def _newer(reading: _Reading, current: _Reading) -> bool:
    low = dt.date.min
    return (reading.date or low, reading.source.name) > (current.date or low, current.source.name)


def _reading(
    resource: Resource,
    part: Any,
    prefix: str,
    rows: tuple[Row, ...],
    date: dt.date | None,
    out: Derivation,
) -> _Reading | None:
    """The value of one mapped measure (the resource, or one component), or None with a note.

    Every value that cannot be used (a ``valueString``, a unit with no sourced factor, no
    value) leaves its key unknown with a line naming the resource and the element.
    """
    name = resource.name
    target = rows[0].target
    if rows[0].value == "integer" and part.valueInteger is not None:
        return _Reading(target, int(part.valueInteger), date, resource, f"{prefix}valueInteger")
    if part.valueCodeableConcept is not None:
        for coding in part.valueCodeableConcept.coding or []:
            for answer in rows_for("answer", coding.system, coding.code):
                if answer.target == target:
                    return _Reading(
                        target,
                        _plain_number(answer.value),
                        date,
                        resource,
                        f"{prefix}valueCodeableConcept",
                    )
        leave(
            out,
            f"{name} {prefix}valueCodeableConcept: "
            f"{code_text(part.valueCodeableConcept)} is no answer this tool maps to {target}; "
            f"{target} left unknown",
        )
        return None
    quantity = part.valueQuantity
    if quantity is None:
        present = [
            k
            for k in ("valueString", "valueBoolean", "valueRange", "valueRatio", "valueInteger")
            if getattr(part, k, None) is not None
        ]
        if present:
            shown = getattr(part, present[0])
            leave(
                out,
                f"{name} {prefix}{present[0]}: {target} needs "
                f"{'valueInteger' if rows[0].value == 'integer' else 'valueQuantity'}"
                + (f" (got {str(shown)[:40]!r})" if isinstance(shown, str) else "")
                + f"; {target} left unknown",
            )
        elif part.dataAbsentReason is not None:
            out.notes.append(
                f"{name}: no value ({code_text(part.dataAbsentReason)}); {target} stays unknown"
            )
        else:
            leave(out, f"{name} {prefix}value[x]: missing; {target} left unknown")
        return None
    if quantity.value is None:
        leave(out, f"{name} {prefix}valueQuantity.value: missing; {target} left unknown")
        return None
    if quantity.comparator is not None:
        out.notes.append(
            f"{name}: value {quantity.comparator}{quantity.value} is a bound, not a measured "
            f"value; {target} stays unknown"
        )
        return None
    sent = _unit(quantity)
    for row in rows:
        scale = factor(row.value, sent)
        if scale is not None:
            value = float(quantity.value) * scale
            element = f"{prefix}valueQuantity.value"
            if row.value == "integer":
                return _Reading(
                    row.target, int(value) if value.is_integer() else value, date, resource, element
                )
            # a converted value keeps two decimals (69.85 kg from 154 [lb_av]), as a lab reports
            shown = value if scale == 1.0 else round(value, 2)
            return _Reading(row.target, shown, date, resource, element)
    units = accepted([row.value for row in rows])
    reason = _NO_FACTOR.get(sent.strip(), f"accepted: {', '.join(units)}")
    leave(
        out,
        f"{name} {prefix}valueQuantity.unit: {sent!r} cannot be converted for {target} "
        f"({reason}); {target} left unknown",
    )
    return None


#: Units seen in real records that have no sourced factor to the unit the mapping asks for.
_NO_FACTOR = {
    "[IU]/mL": "no sourced factor from international units to ng/mL",
    "IU/mL": "no sourced factor from international units to ng/mL",
    "kIU/L": "no sourced factor from international units to ng/mL",
    "k[IU]/L": "no sourced factor from international units to ng/mL",
}


def _plain_number(text: str) -> int | float:
    number = float(text)
    return int(number) if number.is_integer() else number


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
