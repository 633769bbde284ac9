"""Trial-population cautions and the blood-pressure gate: just where they should be (issue 22, 4).

The golden cases pin the codes that must appear; these tests pin that they do not appear one step
inside the trials' populations (a golden line cannot say "no caution").
"""

from __future__ import annotations

from pathlib import Path

from hcc_asp.patient import parse_patient
from hcc_asp.recommend import recommend

GOLDEN = Path(__file__).parent / "golden"


def entries(case: str, guideline: str, **replace: str) -> dict[str, dict]:
    text = (GOLDEN / f"{case}.yaml").read_text()
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    document = recommend(parse_patient(text, default_id=case), guideline)
    return {e["regimen"]: e for e in document["regimens"]}


def codes(entry: dict) -> set[str]:
    return {c["code"] for c in entry["cautions"]} | {a["code"] for a in entry["actions"]}


def test_platelets_75_carry_no_platelet_caution():
    found = entries("platelets-75-inside-the-trial-populations-no-caution", "asco-2024")
    for regimen in ("atezolizumab_bevacizumab", "durvalumab_tremelimumab"):
        assert not {c for c in codes(found[regimen]) if c.endswith("_low_platelets")}


def test_platelets_74_carry_the_platelet_caution():
    found = entries(
        "platelets-75-inside-the-trial-populations-no-caution",
        "asco-2024",
        **{"platelets_10e9_l: 75": "platelets_10e9_l: 74"},
    )
    assert "imbrave150_low_platelets" in codes(found["atezolizumab_bevacizumab"])


def test_ecog_1_carries_no_ecog_2_trial_caution():
    found = entries(
        "ecog-2-bclc-c-atezo-bev-offered-by-bclc-with-trial-population-caution",
        "bclc-2022",
        **{"ecog: 2\n": "ecog: 1\n"},
    )
    entry = found["atezolizumab_bevacizumab"]
    assert entry["status"] == "recommended"
    assert not {c for c in codes(entry) if c.startswith("ecog_2_outside_trial")}


def test_controlled_blood_pressure_does_not_gate():
    found = entries(
        "uncontrolled-hypertension-vegf-drugs-wait-control-blood-pressure-first",
        "asco-2020",
        **{"uncontrolled_hypertension: true": "uncontrolled_hypertension: false"},
    )
    for regimen in ("ramucirumab", "cabozantinib"):
        assert found[regimen]["status"] == "recommended"
        assert "control_blood_pressure" not in codes(found[regimen])
