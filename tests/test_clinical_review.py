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


def test_aasld_first_line_sorafenib_main_reason_names_the_ici_combinations():
    # 1L-TKI (two alternative conditions unmet) is this patient's line and population; the
    # autoimmune rec (one population condition unmet) is not, whatever the counts (issue 9).
    case = "aasld-2023-first-line-sorafenib-main-reason-names-the-ici-combinations"
    found = entries(case, "aasld-2023")
    for regimen in ("sorafenib", "lenvatinib"):
        entry = found[regimen]
        assert entry["status"] == "not_recommended"
        assert entry["recommendation"] == "1L-TKI"
        assert entry["sources"] == (["SHARP"] if regimen == "sorafenib" else ["REFLECT"])
        assert [r["text"] for r in entry["reasons"][:2]] == [
            "atezolizumab + bevacizumab is an option "
            "(Rec 1L-TKI is for when it is contraindicated or unavailable).",
            "durvalumab + tremelimumab is an option "
            "(Rec 1L-TKI is for when it is contraindicated or unavailable).",
        ]
        # The autoimmune rec's condition is still listed, after the patient's own rec.
        assert entry["reasons"][2]["recommendation"] == "1L-TKI-autoimmune"


def test_aasld_autoimmune_rec_stays_shown_for_a_patient_with_an_autoimmune_disorder():
    # Just misses: with an autoimmune history the autoimmune rec is the patient's population; both
    # TKI recs fail the systemic setting, and 1L-TKI's "the ICI combinations are options" is not
    # the main reason.
    case = "aasld-2023-autoimmune-bclc-b-sorafenib-main-reason-from-the-autoimmune-rec"
    sorafenib = entries(case, "aasld-2023")["sorafenib"]
    assert sorafenib["recommendation"] == "1L-TKI-autoimmune"
    assert sorafenib["reasons"][0]["code"] == "systemic_setting"
    assert sorafenib["reasons"][0]["recommendation"] == "1L-TKI-autoimmune"


def test_main_reason_of_a_recommendation_is_its_population_before_the_alternatives():
    # Within the shown rec, a failing population condition (ESMO 2021 1L-c excludes main portal
    # vein invasion) comes before "atezolizumab + bevacizumab is an option".
    case = "caution-durva-treme-main-portal-vein-invasion-himalaya-exclusion"
    lenvatinib = entries(case, "esmo-2021")["lenvatinib"]
    assert lenvatinib["recommendation"] == "1L-c"
    assert lenvatinib["reasons"][0]["text"] == (
        "Rec 1L-c does not apply with main portal vein invasion (Vp4)."
    )


def test_decompensated_child_pugh_a_atezo_bev_main_reason_is_decompensation():
    # NCCN 2023: 1L-preferred (Child-Pugh A, met; decompensation excludes) is closer to a Child-Pugh
    # A6 patient with overt encephalopathy than 1L-certain-B ("requires Child-Pugh class B").
    case = "overt-encephalopathy-child-pugh-a6-no-regimen-recommended"
    atezo_bev = entries(case, "nccn-2023")["atezolizumab_bevacizumab"]
    assert atezo_bev["recommendation"] == "1L-preferred"
    assert atezo_bev["reasons"][0]["code"] == "liver_decompensated"


def test_second_line_after_sorafenib_intolerance_asco_2020_shows_the_post_sorafenib_rec():
    # ASCO 2020: 2.1 (after atezo+bev) and 2.2 (after sorafenib/lenvatinib) each miss one population
    # condition; 2.2 matches more of the patient's situation, so its tolerance condition is shown.
    case = "second-line-regorafenib-after-sorafenib-intolerance-main-reason-is-tolerance"
    regorafenib = entries(case, "asco-2020")["regorafenib"]
    assert regorafenib["recommendation"] == "2.2"
    assert regorafenib["reasons"][0]["code"] == "sorafenib_tolerated"


def test_first_line_cabozantinib_is_recommended_only_after_prior_systemic_therapy():
    case = "first-line-cabozantinib-regorafenib-recommended-only-after-prior-therapy"
    found = entries(case, "asco-2024")
    assert found["cabozantinib"]["reasons"][0] == {
        "code": "line_of_therapy",
        "text": "Cabozantinib is recommended by ASCO 2024 only after prior systemic therapy "
        "(second line: Rec 2.1, 2.2, 2.3; third line: Rec third-line); "
        "this patient is at first line.",
        "recommendation": "2.1",  # the nearest line's recommendation (second line), then label
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
    from hcc_asp.knowledge import shipped

    safety = shipped().catalogue.safety
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
