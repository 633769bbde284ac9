"""Property: every `would_change_if` set really makes the regimen recommended, and never touches
what cannot change (prior therapies, etiology, access, known history facts)."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hcc_asp.explain import explain
from hcc_asp.patient import patient_from_data
from hcc_asp.recommend import recommend

NEVER_CHANGED = ("prior_therapies", "liver.etiology", "access", "id", "version")
HISTORY = (
    "comorbidities.transplant",
    "comorbidities.autoimmune_disease",
    "comorbidities.gi_perforation_history",
    "comorbidities.interstitial_lung_disease",
    "comorbidities.nephrotic_proteinuria",
)

maybe = st.none() | st.booleans()
prior_lines = st.sampled_from(
    [
        [],
        [{"regimen": "sorafenib", "outcome": "progression", "tolerated": True}],
        [{"regimen": "sorafenib", "outcome": "intolerance", "tolerated": False}],
        [{"regimen": "lenvatinib", "outcome": "progression"}],
        [
            {
                "regimen": "atezolizumab_bevacizumab",
                "outcome": "progression",
                "immune_adverse_event": "none",
            }
        ],
        [
            {"regimen": "sorafenib", "outcome": "progression", "tolerated": True},
            {"regimen": "nivolumab", "outcome": "progression", "immune_adverse_event": "grade_1_2"},
        ],
    ]
)


@st.composite
def patients(draw: st.DrawFn) -> dict:
    data: dict = {"id": "generated", "ecog": draw(st.sampled_from([0, 1, 2, None]))}
    data["labs"] = {
        "bilirubin_mg_dl": draw(st.sampled_from([0.7, 1.9, 2.5, 3.4, None])),
        "albumin_g_dl": draw(st.sampled_from([4.1, 3.4, 2.6, None])),
        "inr": draw(st.sampled_from([1.0, 1.8, None])),
        "afp_ng_ml": draw(st.sampled_from([12, 399.9, 400, 2500, None])),
    }
    data["liver"] = {
        "ascites": draw(st.sampled_from(["none", "mild", None])),
        "encephalopathy": draw(st.sampled_from(["none", "grade_1_2", None])),
        "etiology": draw(st.sampled_from([["hbv"], ["hcv"], ["alcohol"], ["hbv", "hcv"], None])),
    }
    if draw(st.booleans()):
        finding = draw(st.sampled_from(["none", "small", "large"]))
        data["liver"]["varices"] = {
            "endoscopy_months_ago": draw(st.sampled_from([2, 9])),
            "finding": finding,
            "treated": draw(maybe),
        }
    data["tumour"] = {
        "macrovascular_invasion": draw(maybe),
        "extrahepatic_spread": draw(maybe),
    }
    if draw(st.booleans()):
        data["comorbidities"] = {
            "autoimmune_disease": draw(st.sampled_from(["none", "history", "active", None])),
            "transplant": draw(st.sampled_from(["none", "liver", None])),
            "therapeutic_anticoagulation": draw(maybe),
            "uncontrolled_hypertension": draw(maybe),
            "systemic_immunosuppression": draw(maybe),
        }
    data["prior_therapies"] = draw(prior_lines | st.none())
    return data


def _set(data: dict, key: str, value: object) -> None:
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _clean(data: object) -> object:
    if isinstance(data, dict):
        return {k: _clean(v) for k, v in data.items() if v is not None}
    return data


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patients())
def test_every_change_set_makes_the_regimen_recommended_and_spares_immutable_keys(data):
    data = _clean(data)
    patient = patient_from_data(data)
    document = recommend(patient)
    for entry in document["regimens"]:
        if entry["status"] == "recommended":
            continue
        explanation = explain(patient, entry["regimen"])
        for option in explanation["would_change_if"]:
            changed = copy.deepcopy(data)
            for change in option["changes"]:
                key = change["key"]
                assert not key.startswith(NEVER_CHANGED), key
                if key in HISTORY:
                    assert change["from"] is None, (
                        f"{key} is history: only an unknown value may be learned"
                    )
                _set(changed, key, change["to"])
            after = recommend(patient_from_data(changed))
            status = {e["regimen"]: e["status"] for e in after["regimens"]}[entry["regimen"]]
            assert status == "recommended", (entry["regimen"], option, status)
