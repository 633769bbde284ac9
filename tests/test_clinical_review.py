"""Clinical review (issue 9): what a golden .expected line cannot pin.

The shown recommendation and its words for a regimen not offered, and cautions that must NOT
appear (the "just misses" of trial-exclusion and label cautions).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hcc_asp.patient import parse_patient
from hcc_asp.recommend import recommend

GOLDEN = Path(__file__).parent / "golden"


def entries(case: str, guideline: str, **replace: str) -> dict[str, dict[str, Any]]:
    text = (GOLDEN / f"{case}.yaml").read_text()
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    document = recommend(parse_patient(text, default_id=case), guideline)
    return {e["regimen"]: e for e in document["regimens"]}


def test_first_line_sorafenib_main_reason_is_that_the_combinations_are_options():
    found = entries("multi-first-line-child-pugh-a-ecog-0-fires", "asco-2024")
    sorafenib = found["sorafenib"]
    assert sorafenib["status"] == "not_recommended"
    assert sorafenib["recommendation"] == "1.2"  # the patient's line, not "third-line"
    assert sorafenib["reasons"][0]["text"] == (
        "atezolizumab + bevacizumab is an option "
        "(Rec 1.2 is for when it is contraindicated or unavailable)."
    )
    assert not any("third-line" in r["text"] for r in sorafenib["reasons"][:2])


def test_first_line_cabozantinib_is_recommended_only_after_prior_systemic_therapy():
    case = "first-line-cabozantinib-regorafenib-recommended-only-after-prior-therapy"
    found = entries(case, "asco-2024")
    assert found["cabozantinib"]["reasons"][0] == {
        "code": "line_of_therapy",
        "text": "Cabozantinib is recommended by ASCO 2024 only after prior systemic therapy "
        "(second line: Rec 2.1, 2.2, 2.3; third line: Rec third-line); "
        "this patient is at first line.",
        "recommendation": "third-line",
    }
    # Regorafenib's third-line rec also needs tolerated sorafenib: that is not the main reason.
    assert found["regorafenib"]["reasons"][0]["text"] == (
        "Regorafenib is recommended by ASCO 2024 only after prior systemic therapy "
        "(second line: Rec 2.3; third line: Rec third-line); this patient is at first line."
    )
    older = entries(case, "asco-2020")["cabozantinib"]["reasons"][0]["text"]
    assert older.startswith("Cabozantinib is recommended by ASCO 2020 only after prior systemic")


def test_other_lines_main_reason_just_misses_when_a_rec_is_for_the_patients_line():
    found = entries(
        "second-line-regorafenib-after-sorafenib-intolerance-main-reason-is-tolerance",
        "asco-2024",
    )
    regorafenib = found["regorafenib"]
    assert regorafenib["status"] == "not_recommended"
    assert regorafenib["reasons"][0]["code"] == "sorafenib_tolerated"
    assert not any("only after prior" in r["text"] for r in regorafenib["reasons"])


def test_himalaya_vp4_caution_just_misses_at_vp3():
    found = entries(
        "caution-durva-treme-main-portal-vein-invasion-himalaya-exclusion",
        "asco-2024",
        **{"portal_vein_invasion: vp4": "portal_vein_invasion: vp3"},
    )
    codes = [c["code"] for c in found["durvalumab_tremelimumab"]["cautions"]]
    assert "himalaya_main_portal_vein_invasion" not in codes


def test_tki_haemorrhage_caution_just_misses_seven_months_after_the_bleed():
    found = entries(
        "tki-after-variceal-bleed-two-months-ago-carries-haemorrhage-caution",
        "asco-2020",
        **{"bleeding_months_ago: 2": "bleeding_months_ago: 7"},
    )
    assert found["sorafenib"]["status"] == "recommended"  # atezo+bev out: autoimmune disease
    codes = [c["code"] for c in found["sorafenib"]["cautions"]]
    assert "sora_recent_bleeding" not in codes


def test_varices_gate_is_an_action_not_a_contraindication_under_every_kind_of_guideline():
    editions = ("asco-2020", "asco-2024", "aasld-2023", "esmo-2021", "esmo-2025", "bclc-2022")
    for guideline in editions:
        entry = entries("varices-large-untreated", guideline)["atezolizumab_bevacizumab"]
        assert entry["status"] == "conditional", guideline
        assert "manage_varices" in [a["code"] for a in entry["actions"]], guideline


def test_ramucirumab_portal_hypertension_caution_just_misses_without_varices():
    found = entries(
        "ramucirumab-label-caution-varices-portal-hypertension",
        "aasld-2023",
        **{"finding: small": "finding: none"},
    )
    ramucirumab = found["ramucirumab"]
    assert ramucirumab["status"] == "recommended"
    assert "ram_portal_hypertension" not in [c["code"] for c in ramucirumab["cautions"]]


def test_label_statements_the_eu_leaflets_confirm_are_no_longer_unconfirmed():
    """Read in the EU package leaflets (docs/sources-issue9.md): quoted, not unconfirmed."""
    from hcc_asp.engine import catalogue

    safety = catalogue().safety
    confirmed = [
        "bev_recent_major_surgery",
        "bev_uncontrolled_hypertension",
        "ram_uncontrolled_hypertension",
        "sora_uncontrolled_hypertension",
        "lenva_uncontrolled_hypertension",
        "rego_uncontrolled_hypertension",
        "cabo_uncontrolled_hypertension",
    ]
    for code in confirmed:
        assert "unconfirmed" not in safety[code], code
        assert "EU product information (EMA), package leaflet section 2" in safety[code]["source"]
    # A "do not administer" the EU leaflet words as a warning stays a contraindication, unconfirmed.
    assert safety["cabo_recent_bleeding"]["severity"] == "contraindication"
    assert "recalled, not read" in safety["cabo_recent_bleeding"]["unconfirmed"]
