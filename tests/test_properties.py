"""Removing a fact never makes a regimen recommended: unknown is never favourable (issue 10).

A property over generated patients (hypothesis): for every valid, consistent patient and every
key it gives, the patient without that key never turns a regimen that was ``not_recommended`` or
``contraindicated`` into ``recommended``. The given BCLC stage used to break it: a stage that the
other values rule out overrode the derivation, so removing it turned durvalumab + tremelimumab
from not recommended to recommended under esmo-2025. Values are drawn at the KB's own thresholds
(one per band, as `check` does). Deterministic (derandomized) and small, so it runs in CI.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hcc_asp.engine.facts import plain_value
from hcc_asp.knowledge import shipped
from hcc_asp.patient import PatientError, patient_from_data
from hcc_asp.recommend import InputConflictError, recommend
from hcc_asp.space import key_domain, schema_keys

#: Keys whose absence the spec reads as "none known", not "unknown" (spec/patient.md): removing
#: them may legitimately lift a contraindication, so they are exempt from the property.
NONE_KNOWN = {
    "liver.varices.endoscopy_months_ago",  # absent = never screened
    "liver.varices.bleeding_months_ago",  # absent = none known
    "comorbidities.arterial_thromboembolism_months_ago",  # absent = none known
    "comorbidities.major_surgery_days_ago",  # absent = none recent
    "access.unavailable",  # absent = every regimen available
}
GUIDELINES = ("esmo-2025", "asco-2024")
NOT_OFFERED = ("not_recommended", "contraindicated")
SKIPPED = ("id", "version", "liver.etiology")

KB = shipped()
_KEYS = {key: annotation for key, annotation in schema_keys().items() if key not in SKIPPED}
_VALUES = {
    key: sorted(
        {plain_value(key, symbol, KB) for symbol in key_domain(key, annotation, KB) or []}, key=str
    )
    for key, annotation in _KEYS.items()
}
_VALUES = {key: values for key, values in _VALUES.items() if values}
_PRIOR = [
    [],
    [{"regimen": "sorafenib", "outcome": "progression", "tolerated": True}],
    [{"regimen": "atezolizumab_bevacizumab", "outcome": "progression"}],
]


def _nested(flat: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, leaf = key.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return data


@st.composite
def patients(draw: st.DrawFn) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(sorted(_VALUES)), min_size=3, max_size=12, unique=True))
    flat = {key: draw(st.sampled_from(_VALUES[key])) for key in keys}
    if draw(st.booleans()):
        flat["prior_therapies"] = draw(st.sampled_from(_PRIOR))
    return flat


def _statuses(flat: dict[str, Any], guideline: str) -> dict[str, str] | None:
    try:
        patient = patient_from_data(_nested(copy.deepcopy(flat)))
        document = recommend(patient, guideline)
    except (PatientError, InputConflictError):
        return None
    return {entry["regimen"]: entry["status"] for entry in document["regimens"]}


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(patients())
def test_removing_any_one_key_never_turns_not_offered_into_recommended(flat):
    for guideline in GUIDELINES:
        full = _statuses(flat, guideline)
        if full is None:
            continue  # an invalid or contradictory patient: refused, nothing to compare
        for key in sorted(flat):
            if key in NONE_KNOWN:
                continue
            fewer = _statuses({k: v for k, v in flat.items() if k != key}, guideline)
            if fewer is None:
                continue
            for regimen, status in full.items():
                if status in NOT_OFFERED:
                    assert fewer.get(regimen) != "recommended", (guideline, key, regimen, flat)


def test_removing_a_contradicted_bclc_stage_no_longer_changes_durvalumab_tremelimumab():
    flat = {
        "ecog": 1,
        "tumour.bclc_stage": "B",
        "tumour.macrovascular_invasion": True,
        "liver.child_pugh.class": "A",
        "prior_therapies": [],
    }
    assert _statuses(flat, "esmo-2025") is None  # refused: stage B with vascular invasion
