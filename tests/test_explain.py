"""Explanations as a clinician reads them: every reason traced to the patient's own data."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from click.testing import CliRunner
from conftest import patient_from

from hcc_asp.cli import main
from hcc_asp.explain import explain as explain_any
from hcc_asp.knowledge import open_kb, shipped
from hcc_asp.recommend import recommend

FULL_COMORBIDITIES = """
comorbidities:
  autoimmune_disease: none
  transplant: none
  therapeutic_anticoagulation: false
  uncontrolled_hypertension: false
  nephrotic_proteinuria: false
  gi_perforation_history: false
  interstitial_lung_disease: false
  systemic_immunosuppression: false
"""
FIT_LIVER = """
ecog: 0
tumour: {macrovascular_invasion: true, portal_vein_invasion: vp2, extrahepatic_spread: false,
         liver_involvement_percent: 20, bile_duct_invasion: false}
labs: {bilirubin_mg_dl: 0.8, albumin_g_dl: 4.0, inr: 1.0, afp_ng_ml: 50}
"""
SCREENED = """
liver:
  ascites: none
  encephalopathy: none
  etiology: [alcohol]
  hbv_antiviral: false
  varices: {endoscopy_months_ago: 2, finding: none, treated: false, bleeding_risk: low}
"""


def explain(patient, regimen: str, guideline: str = "asco-2020", **options) -> dict:
    """These tests pin the ASCO 2020 encoding (the default guideline is now ASCO 2024)."""
    return explain_any(patient, regimen, guideline, **options)


def leaves(node: dict) -> list[dict]:
    """Every leaf of a derivation tree."""
    if not node["because"]:
        return [node]
    return [leaf for child in node["because"] for leaf in leaves(child)]


def leaf_keys(document: dict) -> set[str]:
    return {leaf["key"] for node in document["because"] for leaf in leaves(node) if "key" in leaf}


def _walk(document: dict) -> list[dict]:
    """Every node of every tree of the explanation, depth first."""
    out = []

    def walk(node: dict) -> None:
        out.append(node)
        for child in node["because"]:
            walk(child)

    for node in document["because"]:
        walk(node)
    return out


def atoms(document: dict) -> list[str]:
    return [node["atom"] for node in _walk(document)]


def fit_patient(extra: str = "", prior: str = "prior_therapies: []\n") -> str:
    return FIT_LIVER + SCREENED + FULL_COMORBIDITIES + "access: {unavailable: []}\n" + prior + extra


def test_recommended_atezolizumab_bevacizumab_lists_every_condition_and_cleared_contraindication():
    doc = explain(patient_from(fit_patient()), "atezo+bev")
    assert doc["status"] == "recommended" and doc["recommendation"] == "1.1"
    met = doc["because"][0]
    assert met["atom"].startswith('rec_outcome(asco2020,"1.1"')
    satisfied = " ".join(child["atom"] for child in met["because"])
    for condition in ("line(1)", "child_pugh_class(a)", "ecog_at_most(1)", "varices_addressed"):
        assert condition in satisfied
    assert any(node["atom"].startswith("cleared(") for node in doc["because"])
    assert {"labs.bilirubin_mg_dl", "ecog", "liver.varices.finding"} <= leaf_keys(doc)
    assert doc["would_change_if"] == []


def test_population_reason_reaches_bilirubin_and_its_band():
    text = (
        fit_patient()
        .replace("bilirubin_mg_dl: 0.8", "bilirubin_mg_dl: 2.4")
        .replace("ascites: none", "ascites: mild")
    )
    doc = explain(patient_from(text), "atezo+bev")
    assert doc["status"] == "not_recommended"
    found = atoms(doc)
    assert any(
        'unmet(asco2020,"1.1",atezolizumab_bevacizumab,child_pugh_class(a))' in a for a in found
    )
    bilirubin = next(
        leaf
        for node in doc["because"]
        for leaf in leaves(node)
        if leaf.get("key") == "labs.bilirubin_mg_dl"
    )
    assert bilirubin["value"] == 2.4
    assert "2.4" in bilirubin["text"]
    points = next(n for n in _walk(doc) if n["atom"] == "child_pugh_points(bilirubin,2)")
    assert points["rule"].startswith("kb/derivations.lp:")
    assert "2-3 mg/dL" in points["rule_text"]


def test_line_of_therapy_reason_for_regorafenib_in_a_treatment_naive_patient():
    doc = explain(patient_from(fit_patient()), "regorafenib")
    assert doc["status"] == "not_recommended"
    assert any('unmet(asco2020,"2.2",regorafenib,line(2))' in a for a in atoms(doc))
    assert "prior_therapies" in leaf_keys(doc)


def test_prior_therapy_reason_regorafenib_needs_tolerated_sorafenib():
    prior = "prior_therapies:\n  - {regimen: sorafenib, outcome: intolerance, tolerated: false}\n"
    doc = explain(patient_from(fit_patient(prior=prior)), "regorafenib")
    assert doc["status"] == "not_recommended"
    assert any('unmet(asco2020,"2.2",regorafenib,sorafenib_tolerated)' in a for a in atoms(doc))
    assert "prior_therapies[0].tolerated" in leaf_keys(doc)
    assert doc["would_change_if"] == [], "prior therapy is history: nothing can change it"


def test_threshold_reason_ramucirumab_below_afp_400_and_what_would_change():
    prior = "prior_therapies:\n  - {regimen: sorafenib, outcome: progression, tolerated: true}\n"
    text = fit_patient(prior=prior).replace("afp_ng_ml: 50", "afp_ng_ml: 350")
    doc = explain(patient_from(text), "ramucirumab")
    assert doc["status"] == "not_recommended"
    assert any('at_least("labs.afp_ng_ml",400)' in a for a in atoms(doc))
    assert "labs.afp_ng_ml" in leaf_keys(doc)
    assert doc["would_change_if"][0]["changes"] == [
        {"key": "labs.afp_ng_ml", "from": 350, "to": 400, "modifiable": False, "kind": "differ"}
    ]


def test_child_pugh_b8_with_active_autoimmune_disease_gets_both_reasons():
    text = (
        fit_patient()
        .replace("bilirubin_mg_dl: 0.8", "bilirubin_mg_dl: 2.6")
        .replace("albumin_g_dl: 4.0", "albumin_g_dl: 3.0")
        .replace("ascites: none", "ascites: mild")
        .replace("autoimmune_disease: none", "autoimmune_disease: active")
    )
    doc = explain(patient_from(text), "atezo+bev")
    assert doc["status"] == "contraindicated"
    found = atoms(doc)
    assert any(
        a.startswith("regimen_contraindication(atezolizumab_bevacizumab,ici_active_autoimmune")
        for a in found
    )
    assert any("child_pugh_class(a))" in a and a.startswith("unmet(") for a in found)
    assert "comorbidities.autoimmune_disease" in leaf_keys(doc)


def test_caution_is_explained_for_lenvatinib_with_main_portal_vein_invasion():
    text = (
        fit_patient()
        .replace("vp2", "vp4")
        .replace("autoimmune_disease: none", "autoimmune_disease: active")
    )
    doc = explain(patient_from(text), "lenvatinib")
    assert doc["status"] == "recommended"
    assert any(
        a.startswith("caution_for(asco2020,lenvatinib,reflect_main_portal_vein_invasion)")
        for a in atoms(doc)
    )
    assert "tumour.portal_vein_invasion" in leaf_keys(doc)


def test_missing_data_gives_conditional_with_the_keys_and_a_way_to_learn_them():
    # Transplant history decides two checkpoint-inhibitor contraindications: unknown, it is learnt.
    text = fit_patient().replace("  transplant: none\n", "")
    doc = explain(patient_from(text), "atezo+bev")
    assert doc["status"] == "conditional"
    assert doc["missing"] == ["comorbidities.transplant"]
    assert doc["would_change_if"] == [
        {
            "changes": [
                {
                    "key": "comorbidities.transplant",
                    "from": None,
                    "to": "none",
                    "modifiable": True,
                    "kind": "learn",
                }
            ],
            "modifiable": True,
        }
    ]


def test_never_screened_varices_give_the_action_to_screen():
    text = fit_patient().replace(
        "varices: {endoscopy_months_ago: 2, finding: none, treated: false, bleeding_risk: low}",
        "varices: {treated: false}",
    )
    doc = explain(patient_from(text), "atezo+bev")
    assert doc["status"] == "conditional"
    assert doc["actions"] == ["screen_for_varices"]
    assert any(
        "awaits(" in a or "pending(varices_addressed,screen_for_varices)" in a for a in atoms(doc)
    )


def test_explanations_are_deterministic_in_every_format():
    patient = patient_from(fit_patient().replace("ecog: 0", "ecog: 2"))
    first = json.dumps(explain(patient, "sorafenib"))
    assert first == json.dumps(explain(patient, "sorafenib"))
    runner = CliRunner()
    path = Path(__file__).resolve().parent.parent / "examples" / "child-pugh-b.yaml"
    for fmt in ("text", "json", "dot"):
        one = runner.invoke(main, ["why-not", str(path), "atezo+bev", "--format", fmt])
        two = runner.invoke(
            main, ["explain", str(path), "atezolizumab_bevacizumab", "--format", fmt]
        )
        assert one.exit_code == 0 and one.output == two.output


def test_dot_output_is_a_valid_digraph():
    path = Path(__file__).resolve().parent.parent / "examples" / "child-pugh-b.yaml"
    result = CliRunner().invoke(main, ["why-not", str(path), "atezo+bev", "--format", "dot"])
    assert result.output.startswith("digraph explanation {") and result.output.rstrip().endswith(
        "}"
    )
    if shutil.which("dot"):
        rendered = subprocess.run(
            ["dot", "-Tsvg"], input=result.output, capture_output=True, text=True
        )
        assert rendered.returncode == 0, rendered.stderr


def test_unknown_regimen_exits_2():
    path = Path(__file__).resolve().parent.parent / "examples" / "child-pugh-b.yaml"
    result = CliRunner().invoke(main, ["why-not", str(path), "aspirin"])
    assert result.exit_code == 2 and "aspirin" in result.stderr and result.stdout == ""


def test_a_throwaway_rule_added_to_a_copy_of_the_kb_is_explained_without_code_changes(tmp_path):
    copy = tmp_path / "kb"
    shutil.copytree(shipped().folder, copy)
    with (copy / "guidelines" / "asco-2020.lp").open("a") as handle:
        handle.write(
            "\n% Throw-away test rule: atezolizumab + bevacizumab needs platelets of 75 or more.\n"
            'requires(asco2020, "1.1", platelets_at_least_75).\n'
            "% Platelets of 75 x 10^9/L or more.\n"
            "holds(platelets_at_least_75) :- condition(platelets_at_least_75),"
            ' value("labs.platelets_10e9_l", P), P >= 75.\n'
            "% Platelets below 75 x 10^9/L.\n"
            "fails(platelets_at_least_75) :- condition(platelets_at_least_75),"
            ' value("labs.platelets_10e9_l", P), P < 75.\n'
        )
    text = fit_patient().replace("afp_ng_ml: 50}", "afp_ng_ml: 50, platelets_10e9_l: 60}")
    doc = explain(patient_from(text), "atezo+bev", kb=open_kb(copy))
    assert doc["status"] == "not_recommended"
    fails = next(n for n in _walk(doc) if n["atom"] == "fails(platelets_at_least_75)")
    assert fails["rule"].startswith("kb/guidelines/asco-2020.lp:")
    assert fails["rule_text"] == "Platelets below 75 x 10^9/L."
    assert "labs.platelets_10e9_l" in {leaf.get("key") for leaf in leaves(fails)}
    statuses = {
        e["regimen"]: e["status"]
        for e in recommend(patient_from(text), "asco-2020", kb=open_kb(copy))["regimens"]
    }
    assert statuses["atezolizumab_bevacizumab"] == "not_recommended"
