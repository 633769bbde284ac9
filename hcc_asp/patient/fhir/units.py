"""UCUM units as sent by real senders, and the factor to the unit the mapping table asks for.

Each target unit of ``mapping.csv`` lists the spellings accepted for it and the factor that turns
a value in that spelling into the target unit. The list holds the canonical UCUM code and the
common non-canonical spellings seen in practice (``g/dl`` as in mCODE's own example, ``10^9/L``,
``K/uL``). A unit not listed is an input error: it is never guessed. Arithmetic only: 1 ng/mL =
1 ug/L; 10*3/uL = 10*9/L (as ``G/L``: giga per litre, ``Thousand/uL``, ``x10(3)/mcL``: mcL is
the microlitre); 1 /uL = 0.001 x 10*9/L; 1 [lb_av] = 0.45359237 kg. Units of activity (AFP in
``[IU]/mL``) have no factor here: the value stays unknown with a note.
"""

from __future__ import annotations

#: target unit -> {spelling sent: factor to the target unit}. ``""`` is a quantity without unit.
UNITS: dict[str, dict[str, float]] = {
    "mg/dL": {"mg/dL": 1.0, "mg/dl": 1.0, "mg/100mL": 1.0, "mg/100 mL": 1.0},
    "umol/L": {"umol/L": 1.0, "umol/l": 1.0, "µmol/L": 1.0, "μmol/L": 1.0, "µmol/l": 1.0},
    "g/dL": {"g/dL": 1.0, "g/dl": 1.0, "g/100mL": 1.0},
    "g/L": {"g/L": 1.0, "g/l": 1.0},
    "{INR}": {"{INR}": 1.0, "INR": 1.0, "1": 1.0, "{ratio}": 1.0, "ratio": 1.0, "": 1.0},
    "ng/mL": {"ng/mL": 1.0, "ng/ml": 1.0, "ug/L": 1.0, "ug/l": 1.0, "µg/L": 1.0, "μg/L": 1.0},
    "10*9/L": {
        "10*9/L": 1.0,
        "10*3/uL": 1.0,
        "10^9/L": 1.0,
        "10^3/uL": 1.0,
        "10*3/mm3": 1.0,
        "10^3/mm3": 1.0,
        "10*3/µL": 1.0,
        "10^3/µL": 1.0,
        "x10E3/uL": 1.0,
        "x10^9/L": 1.0,
        "K/uL": 1.0,
        "K/µL": 1.0,
        "/nL": 1.0,
        "G/L": 1.0,
        "Thousand/uL": 1.0,
        "10*3/ul": 1.0,
        "x10(3)/mcL": 1.0,
        "/uL": 0.001,
        "/mm3": 0.001,
    },
    "kg": {"kg": 1.0, "g": 0.001, "[lb_av]": 0.45359237, "lb": 0.45359237, "lbs": 0.45359237},
    "integer": {"": 1.0, "{score}": 1.0},
}


def factor(target_unit: str, sent: str) -> float | None:
    """Return the factor from the ``sent`` unit to ``target_unit``, or None if not accepted."""
    return UNITS.get(target_unit, {}).get(sent.strip())


def accepted(target_units: list[str]) -> list[str]:
    """The spellings accepted for any of ``target_units`` (for an error message), in order."""
    seen: list[str] = []
    for unit in target_units:
        for spelling in UNITS.get(unit, {}):
            if spelling and spelling not in seen:
                seen.append(spelling)
    return seen
