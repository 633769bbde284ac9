"""Clinical scores the KB derives: Child-Pugh, ALBI, BCLC stage and line of therapy.

Every test runs the real solver through ``recommend`` on a patient file. The reference patient is
a treatment-naive man with advanced HCC (portal vein invasion), ECOG 0 and well-compensated
cirrhosis: every Child-Pugh component gives 1 point (score 5), so a test that changes one
component reads that component's points as the score minus 4.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from hcc_asp.patient import parse_patient
from hcc_asp.recommend import InputConflictError, recommend

WELL_COMPENSATED: dict[str, Any] = {
    "ecog": 0,
    "tumour": {
        "macrovascular_invasion": True,
        "portal_vein_invasion": "vp2",
        "extrahepatic_spread": False,
        "nodules": 2,
        "largest_nodule_cm": 6.0,
        "locoregional_therapy": "unsuitable",
    },
    "labs": {"bilirubin_mg_dl": 0.8, "albumin_g_dl": 4.0, "inr": 1.1, "afp_ng_ml": 120},
    "liver": {
        "ascites": "none",
        "encephalopathy": "none",
        "etiology": ["alcohol"],
        "hbv_antiviral": False,
        "varices": {
            "endoscopy_months_ago": 2,
            "finding": "none",
            "treated": False,
            "bleeding_risk": "low",
        },
    },
    "comorbidities": {
        "autoimmune_disease": "none",
        "transplant": "none",
        "therapeutic_anticoagulation": False,
        "uncontrolled_hypertension": False,
        "nephrotic_proteinuria": False,
        "gi_perforation_history": False,
        "interstitial_lung_disease": False,
        "systemic_immunosuppression": False,
    },
    "prior_therapies": [],
    "access": {"unavailable": []},
}

REMOVE = object()


def patient_with(**changes: Any) -> str:
    """The reference patient's file with dotted keys changed (``labs__inr=1.8``) or removed."""
    data = copy.deepcopy(WELL_COMPENSATED)
    for dotted, value in changes.items():
        *sections, key = dotted.split("__")
        node = data
        for section in sections:
            node = node.setdefault(section, {})
        if value is REMOVE:
            node.pop(key, None)
        else:
            node[key] = value
    return yaml.safe_dump(data, sort_keys=False)


def recommendation(**changes: Any) -> dict[str, Any]:
    return recommend(parse_patient(patient_with(**changes), default_id="scores"), "asco-2020")


def derived(**changes: Any) -> dict[str, Any]:
    return recommendation(**changes)["derived"]


def child_pugh_score(**changes: Any) -> int | None:
    return derived(**changes)["child_pugh"]["score"]


def entry(document: dict[str, Any], regimen: str) -> dict[str, Any]:
    (found,) = [e for e in document["regimens"] if e["regimen"] == regimen]
    return found


def note_codes(document: dict[str, Any]) -> list[str]:
    return [note["code"] for note in document["notes"]]


def test_reference_patient_is_child_pugh_5_class_a() -> None:
    assert derived()["child_pugh"] == {"score": 5, "class": "A"}


# ---------------------------------------------------------------- Child-Pugh points per component


@pytest.mark.parametrize(
    ("bilirubin_mg_dl", "points"),
    [(1.99, 1), (2.0, 2), (3.0, 2), (3.01, 3)],
    ids=["1.99-is-1", "2.0-is-2", "3.0-is-2", "3.01-is-3"],
)
def test_bilirubin_mg_dl_under_2_is_1_point_2_to_3_is_2_over_3_is_3(
    bilirubin_mg_dl: float, points: int
) -> None:
    assert child_pugh_score(labs__bilirubin_mg_dl=bilirubin_mg_dl) == 4 + points


@pytest.mark.parametrize(
    ("bilirubin_umol_l", "points"),
    [(33.9, 1), (34, 2), (51, 2), (51.1, 3)],
    ids=["33.9-is-1", "34-is-2", "51-is-2", "51.1-is-3"],
)
def test_bilirubin_umol_l_under_34_is_1_point_34_to_51_is_2_over_51_is_3(
    bilirubin_umol_l: float, points: int
) -> None:
    score = child_pugh_score(labs__bilirubin_mg_dl=REMOVE, labs__bilirubin_umol_l=bilirubin_umol_l)
    assert score == 4 + points


@pytest.mark.parametrize(
    ("albumin_g_dl", "points"),
    [(3.51, 1), (3.5, 2), (2.79, 3)],
    ids=["3.51-is-1", "3.5-is-2", "2.79-is-3"],
)
def test_albumin_g_dl_over_3_5_is_1_point_3_5_or_less_is_2_under_2_8_is_3(
    albumin_g_dl: float, points: int
) -> None:
    assert child_pugh_score(labs__albumin_g_dl=albumin_g_dl) == 4 + points


def test_albumin_2_8_g_dl_is_2_points_by_the_pugh_1973_convention_not_3_0() -> None:
    # Sources disagree (2.8 vs 3.0 g/dL as the 2/3-point band); the KB uses Pugh's 2.8.
    assert child_pugh_score(labs__albumin_g_dl=2.8) == 4 + 2


@pytest.mark.parametrize(
    ("albumin_g_l", "points"),
    [(35.1, 1), (35, 2), (28, 2), (27.9, 3)],
    ids=["35.1-is-1", "35-is-2", "28-is-2", "27.9-is-3"],
)
def test_albumin_g_l_over_35_is_1_point_28_to_35_is_2_under_28_is_3(
    albumin_g_l: float, points: int
) -> None:
    score = child_pugh_score(labs__albumin_g_dl=REMOVE, labs__albumin_g_l=albumin_g_l)
    assert score == 4 + points


@pytest.mark.parametrize(
    ("inr", "points"),
    [(1.69, 1), (1.7, 2), (2.3, 2), (2.31, 3)],
    ids=["1.69-is-1", "1.7-is-2", "2.3-is-2", "2.31-is-3"],
)
def test_inr_under_1_7_is_1_point_1_7_to_2_3_is_2_over_2_3_is_3(inr: float, points: int) -> None:
    assert child_pugh_score(labs__inr=inr) == 4 + points


@pytest.mark.parametrize(("ascites", "points"), [("none", 1), ("mild", 2), ("moderate_severe", 3)])
def test_ascites_none_mild_moderate_severe_give_1_2_3_points(ascites: str, points: int) -> None:
    assert child_pugh_score(liver__ascites=ascites) == 4 + points


@pytest.mark.parametrize(
    ("encephalopathy", "points"), [("none", 1), ("grade_1_2", 2), ("grade_3_4", 3)]
)
def test_encephalopathy_none_grade_1_2_grade_3_4_give_1_2_3_points(
    encephalopathy: str, points: int
) -> None:
    assert child_pugh_score(liver__encephalopathy=encephalopathy) == 4 + points


# ---------------------------------------------------------------- Child-Pugh class

BILIRUBIN_2_POINTS = {"labs__bilirubin_mg_dl": 2.5}
ALBUMIN_2_POINTS = {"labs__albumin_g_dl": 3.2}
INR_2_POINTS = {"labs__inr": 2.0}


@pytest.mark.parametrize(
    ("changes", "score", "klass"),
    [
        (BILIRUBIN_2_POINTS, 6, "A"),
        ({**BILIRUBIN_2_POINTS, **ALBUMIN_2_POINTS}, 7, "B"),
        (
            {**BILIRUBIN_2_POINTS, **ALBUMIN_2_POINTS, **INR_2_POINTS, "liver__ascites": "mild"},
            9,
            "B",
        ),
        (
            {
                **BILIRUBIN_2_POINTS,
                **ALBUMIN_2_POINTS,
                **INR_2_POINTS,
                "liver__ascites": "mild",
                "liver__encephalopathy": "grade_1_2",
            },
            10,
            "C",
        ),
        (
            {
                "labs__bilirubin_mg_dl": 4.0,
                "labs__albumin_g_dl": 2.5,
                "labs__inr": 2.5,
                "liver__ascites": "moderate_severe",
                "liver__encephalopathy": "grade_3_4",
            },
            15,
            "C",
        ),
    ],
    ids=["6-is-A", "7-is-B", "9-is-B", "10-is-C", "15-is-C"],
)
def test_child_pugh_class_a_is_5_to_6_b_is_7_to_9_c_is_10_to_15(
    changes: dict[str, Any], score: int, klass: str
) -> None:
    assert derived(**changes)["child_pugh"] == {"score": score, "class": klass}


def test_known_components_reaching_7_points_rule_out_class_a_despite_unknown_inr() -> None:
    # bilirubin 2 + albumin 2 + (INR unknown, at least 1) + ascites 1 + encephalopathy 1 = 7
    document = recommendation(**BILIRUBIN_2_POINTS, **ALBUMIN_2_POINTS, labs__inr=REMOVE)
    assert document["derived"]["child_pugh"] == {"score": None, "class": None}
    atezolizumab_bevacizumab = entry(document, "atezolizumab_bevacizumab")
    assert atezolizumab_bevacizumab["status"] == "not_recommended"
    assert "child_pugh_class" in [r["code"] for r in atezolizumab_bevacizumab["reasons"]]
    assert "asco2020_outside_child_pugh_a" in note_codes(document)


def test_known_components_under_7_points_leave_the_class_unknown_and_ask_for_the_inr() -> None:
    # bilirubin 2 + (INR unknown) + 1 + 1 + 1: 6 or more, class A or B
    document = recommendation(**BILIRUBIN_2_POINTS, labs__inr=REMOVE)
    assert document["derived"]["child_pugh"] == {"score": None, "class": None}
    atezolizumab_bevacizumab = entry(document, "atezolizumab_bevacizumab")
    assert atezolizumab_bevacizumab["status"] == "conditional"
    assert "labs.inr" in atezolizumab_bevacizumab["missing"]
    assert "asco2020_outside_child_pugh_a" not in note_codes(document)


def test_unknown_ascites_is_asked_for_not_assumed_absent() -> None:
    document = recommendation(liver__ascites=REMOVE)
    assert document["derived"]["child_pugh"]["class"] is None
    atezolizumab_bevacizumab = entry(document, "atezolizumab_bevacizumab")
    assert atezolizumab_bevacizumab["status"] == "conditional"
    assert "liver.ascites" in atezolizumab_bevacizumab["missing"]


def test_given_child_pugh_score_that_disagrees_with_the_labs_is_an_input_error() -> None:
    with pytest.raises(InputConflictError) as conflict:
        recommendation(liver__child_pugh={"score": 6})
    assert any("liver.child_pugh.score" in problem for problem in conflict.value.problems)


def test_given_child_pugh_class_that_disagrees_with_the_labs_is_an_input_error() -> None:
    with pytest.raises(InputConflictError) as conflict:
        recommendation(liver__child_pugh={"class": "B"})
    assert any("liver.child_pugh.class" in problem for problem in conflict.value.problems)


def test_given_child_pugh_score_that_agrees_with_the_labs_is_accepted() -> None:
    assert derived(liver__child_pugh={"class": "A", "score": 5})["child_pugh"] == {
        "score": 5,
        "class": "A",
    }


def test_given_child_pugh_score_6_contradicts_known_components_already_reaching_7() -> None:
    # bilirubin 2.5 (2) + albumin 3.2 (2) + INR unknown (>= 1) + ascites 1 + encephalopathy 1 >= 7
    with pytest.raises(InputConflictError):
        recommendation(
            **BILIRUBIN_2_POINTS,
            **ALBUMIN_2_POINTS,
            labs__inr=REMOVE,
            liver__child_pugh={"score": 6},
        )


def test_given_child_pugh_class_a_contradicts_known_components_already_reaching_7() -> None:
    with pytest.raises(InputConflictError):
        recommendation(
            **BILIRUBIN_2_POINTS,
            **ALBUMIN_2_POINTS,
            labs__inr=REMOVE,
            liver__child_pugh={"class": "A"},
        )


def test_given_child_pugh_score_is_used_when_the_labs_are_not_given() -> None:
    document = recommendation(labs=REMOVE, liver__child_pugh={"score": 8})
    assert document["derived"]["child_pugh"] == {"score": 8, "class": "B"}
    assert "asco2020_outside_child_pugh_a" in note_codes(document)


def test_given_child_pugh_class_b_alone_is_outside_asco_2020_not_a_contraindication() -> None:
    document = recommendation(labs=REMOVE, liver__child_pugh={"class": "B"})
    assert document["derived"]["child_pugh"] == {"score": None, "class": "B"}
    assert entry(document, "atezolizumab_bevacizumab")["status"] == "not_recommended"
    assert "asco2020_outside_child_pugh_a" in note_codes(document)


# ---------------------------------------------------------------- ALBI


ALBI_WORKED_EXAMPLES = [
    # guidelines.md section 7.2: bilirubin mg/dL, albumin g/dL, ALBI, grade
    (0.8, 4.0, -2.65, 1),
    (1.0, 3.6, -2.25, 2),
    (1.5, 3.2, -1.79, 2),
    (3.2, 2.6, -1.06, 3),
]


@pytest.mark.parametrize(
    ("bilirubin_mg_dl", "albumin_g_dl", "score", "grade"),
    ALBI_WORKED_EXAMPLES,
    ids=[f"{b}-{a}" for b, a, _, _ in ALBI_WORKED_EXAMPLES],
)
def test_albi_worked_examples_in_mg_dl_and_g_dl(
    bilirubin_mg_dl: float, albumin_g_dl: float, score: float, grade: int
) -> None:
    albi = derived(labs__bilirubin_mg_dl=bilirubin_mg_dl, labs__albumin_g_dl=albumin_g_dl)["albi"]
    assert albi == {"score": score, "grade": grade}


@pytest.mark.parametrize(
    ("bilirubin_mg_dl", "albumin_g_dl", "score", "grade"),
    ALBI_WORKED_EXAMPLES,
    ids=[f"{b}-{a}" for b, a, _, _ in ALBI_WORKED_EXAMPLES],
)
def test_albi_worked_examples_in_umol_l_and_g_l(
    bilirubin_mg_dl: float, albumin_g_dl: float, score: float, grade: int
) -> None:
    bilirubin_umol_l = round(bilirubin_mg_dl * 17.1, 1)
    albumin_g_l = round(albumin_g_dl * 10, 1)
    albi = derived(
        labs__bilirubin_mg_dl=REMOVE,
        labs__albumin_g_dl=REMOVE,
        labs__bilirubin_umol_l=bilirubin_umol_l,
        labs__albumin_g_l=albumin_g_l,
    )["albi"]
    assert albi == {"score": score, "grade": grade}


@pytest.mark.parametrize(
    ("bilirubin_umol_l", "grade"),
    [(16.2, 1), (16.4, 2)],
    ids=["16.2-score-minus-2.602-is-1", "16.4-score-minus-2.598-is-2"],
)
def test_albi_grade_1_ends_at_minus_2_60_in_umol_l_and_g_l(
    bilirubin_umol_l: float, grade: int
) -> None:
    albi = derived(
        labs__bilirubin_mg_dl=REMOVE,
        labs__albumin_g_dl=REMOVE,
        labs__bilirubin_umol_l=bilirubin_umol_l,
        labs__albumin_g_l=40,
    )["albi"]
    assert albi == {"score": -2.60, "grade": grade}


@pytest.mark.parametrize(
    ("bilirubin_umol_l", "grade"),
    [(57.1, 2), (57.4, 3)],
    ids=["57.1-score-minus-1.391-is-2", "57.4-score-minus-1.389-is-3"],
)
def test_albi_grade_2_ends_at_minus_1_39_in_umol_l_and_g_l(
    bilirubin_umol_l: float, grade: int
) -> None:
    albi = derived(
        labs__bilirubin_mg_dl=REMOVE,
        labs__albumin_g_dl=REMOVE,
        labs__bilirubin_umol_l=bilirubin_umol_l,
        labs__albumin_g_l=30,
    )["albi"]
    assert albi == {"score": -1.39, "grade": grade}


@pytest.mark.parametrize(
    ("bilirubin_mg_dl", "albumin_g_dl", "score", "grade"),
    [(0.95, 4.0, -2.60, 1), (0.96, 4.0, -2.60, 2), (3.34, 3.0, -1.39, 2), (3.36, 3.0, -1.39, 3)],
    ids=["0.95-4.0-is-1", "0.96-4.0-is-2", "3.34-3.0-is-2", "3.36-3.0-is-3"],
)
def test_albi_grade_boundaries_minus_2_60_and_minus_1_39_in_mg_dl_and_g_dl(
    bilirubin_mg_dl: float, albumin_g_dl: float, score: float, grade: int
) -> None:
    albi = derived(labs__bilirubin_mg_dl=bilirubin_mg_dl, labs__albumin_g_dl=albumin_g_dl)["albi"]
    assert albi == {"score": score, "grade": grade}


def test_albi_is_unknown_without_albumin() -> None:
    assert derived(labs__albumin_g_dl=REMOVE)["albi"] == {"score": None, "grade": None}


# ---------------------------------------------------------------- BCLC stage

LIVER_CONFINED = {
    "tumour__macrovascular_invasion": False,
    "tumour__portal_vein_invasion": "none",
    "tumour__extrahepatic_spread": False,
}


def bclc(**changes: Any) -> str | None:
    return derived(**changes)["bclc_stage"]


def test_bclc_c_from_macrovascular_invasion_at_ecog_0() -> None:
    assert bclc(ecog=0, tumour__extrahepatic_spread=False) == "C"


def test_bclc_c_from_portal_vein_invasion_vp1_alone() -> None:
    assert bclc(tumour__macrovascular_invasion=REMOVE, tumour__portal_vein_invasion="vp1") == "C"


def test_bclc_c_from_extrahepatic_spread_at_ecog_0() -> None:
    assert bclc(**{**LIVER_CONFINED, "tumour__extrahepatic_spread": True}) == "C"


@pytest.mark.parametrize("ecog", [1, 2])
def test_bclc_c_from_cancer_related_ecog_1_or_2_in_liver_confined_disease(ecog: int) -> None:
    single = {"tumour__nodules": 1, "tumour__largest_nodule_cm": 1.5}
    assert bclc(**LIVER_CONFINED, **single, ecog=ecog, ecog_cancer_related=True) == "C"


@pytest.mark.parametrize("ecog", [1, 2])
def test_ecog_1_or_2_not_caused_by_the_cancer_stages_by_tumour_burden(ecog: int) -> None:
    # BCLC counts cancer-related symptoms only (issue 22, point 1): ECOG 1 from COPD is stage A.
    single = {"tumour__nodules": 1, "tumour__largest_nodule_cm": 2.5}
    assert bclc(**LIVER_CONFINED, **single, ecog=ecog, ecog_cancer_related=False) == "A"


def test_ecog_1_of_unknown_cause_leaves_a_liver_confined_stage_open() -> None:
    # Neither C nor A is derived; the recommendation asks for ecog_cancer_related instead.
    single = {"tumour__nodules": 1, "tumour__largest_nodule_cm": 2.5}
    assert bclc(**LIVER_CONFINED, **single, ecog=1) is None


def test_a_given_bclc_a_at_ecog_1_is_kept_unless_the_file_says_it_is_cancer_related() -> None:
    single = {"tumour__nodules": 1, "tumour__largest_nodule_cm": 2.5}
    assert bclc(**LIVER_CONFINED, **single, ecog=1, tumour__bclc_stage="A") == "A"
    assert (
        bclc(**LIVER_CONFINED, **single, ecog=1, ecog_cancer_related=False, tumour__bclc_stage="A")
        == "A"
    )
    with pytest.raises(InputConflictError) as conflict:
        bclc(**LIVER_CONFINED, **single, ecog=1, ecog_cancer_related=True, tumour__bclc_stage="A")
    assert conflict.value.problems == [
        "tumour.bclc_stage: given A contradicts ecog_cancer_related true"
    ]


def test_a_given_bclc_c_at_ecog_1_not_cancer_related_in_liver_confined_disease_is_refused() -> None:
    single = {"tumour__nodules": 1, "tumour__largest_nodule_cm": 2.5}
    with pytest.raises(InputConflictError) as conflict:
        bclc(**LIVER_CONFINED, **single, ecog=1, ecog_cancer_related=False, tumour__bclc_stage="C")
    assert conflict.value.problems == [
        "tumour.bclc_stage: given C contradicts ecog_cancer_related false"
    ]


def test_bclc_d_from_ecog_3() -> None:
    assert bclc(ecog=3) == "D"


def test_bclc_d_from_child_pugh_c_at_ecog_0() -> None:
    changes = {
        "labs__bilirubin_mg_dl": 3.5,
        "labs__albumin_g_dl": 2.5,
        "labs__inr": 2.0,
        "liver__ascites": "mild",
    }  # 3 + 3 + 2 + 2 + 1 = 11
    assert derived(**changes)["child_pugh"]["class"] == "C"
    assert bclc(**changes) == "D"


def test_bclc_d_is_outside_the_systemic_setting() -> None:
    document = recommendation(ecog=3)
    assert entry(document, "atezolizumab_bevacizumab")["status"] == "not_recommended"
    assert "outside_systemic_setting" in note_codes(document)


def test_bclc_b_from_more_than_3_nodules_liver_confined_ecog_0() -> None:
    assert bclc(**LIVER_CONFINED, tumour__nodules=4, tumour__largest_nodule_cm=3.5) == "B"


def test_bclc_a_from_a_single_nodule_over_2_cm() -> None:
    assert bclc(**LIVER_CONFINED, tumour__nodules=1, tumour__largest_nodule_cm=4.0) == "A"


def test_bclc_0_from_a_single_nodule_up_to_2_cm_in_child_pugh_a() -> None:
    assert bclc(**LIVER_CONFINED, tumour__nodules=1, tumour__largest_nodule_cm=1.8) == "0"


def test_given_bclc_stage_the_tumour_facts_rule_out_is_an_input_error() -> None:
    # Macrovascular invasion derives C: a given stage B would turn the unknown into a
    # known, favourable stage (issue 10). Refused, naming what rules it out.
    with pytest.raises(InputConflictError) as conflict:
        bclc(tumour__bclc_stage="B")
    assert conflict.value.problems == [
        "tumour.bclc_stage: given B contradicts tumour.macrovascular_invasion true"
    ]


@pytest.mark.parametrize(
    ("stage", "changes", "named"),
    [
        ("0", {"ecog": 3}, "ecog 3"),
        (
            "0",
            {**LIVER_CONFINED, "tumour__nodules": 10, "tumour__largest_nodule_cm": 12.0},
            "tumour.nodules 10",
        ),
        ("A", {"tumour__extrahepatic_spread": True}, "tumour.extrahepatic_spread true"),
        ("A", {**LIVER_CONFINED, "tumour__nodules": 5}, "tumour.nodules 5"),
        ("B", {**LIVER_CONFINED, "tumour__nodules": 1}, "tumour.nodules 1"),
        ("C", {"ecog": 3}, "ecog 3"),
        ("D", {"ecog": 0}, "ecog 0"),
    ],
)
def test_a_given_bclc_stage_the_other_values_rule_out_is_an_input_error(
    stage: str, changes: dict[str, Any], named: str
) -> None:
    with pytest.raises(InputConflictError) as conflict:
        bclc(tumour__bclc_stage=stage, **changes)
    assert named in conflict.value.problems[0]
    assert conflict.value.problems[0].startswith(f"tumour.bclc_stage: given {stage} contradicts")


def test_a_given_bclc_stage_the_other_values_allow_is_used() -> None:
    # Stage B with 5 nodules, liver-confined, ECOG 0: what the facts derive too.
    assert bclc(tumour__bclc_stage="B", ecog=0, **LIVER_CONFINED, tumour__nodules=5) == "B"
    # Stage D at ECOG 1 is the clinician's call on end-stage liver function beyond Child-Pugh C
    # (decompensation at Child-Pugh B): not refused when the liver is not plainly compensated A.
    assert bclc(tumour__bclc_stage="D", liver__ascites="moderate_severe") == "D"


def test_a_child_pugh_class_c_the_known_components_cap_at_9_is_an_input_error() -> None:
    # Bilirubin, albumin and INR score 1 point each; ascites and encephalopathy unknown can add at
    # most 3 each: 9 points at most, so class C cannot be.
    with pytest.raises(InputConflictError) as conflict:
        derived(
            liver__ascites=REMOVE, liver__encephalopathy=REMOVE, liver__child_pugh={"class": "C"}
        )
    assert "at most 9" in conflict.value.problems[0]


def test_a_child_pugh_class_c_the_known_components_still_allow_is_accepted() -> None:
    cp = derived(
        labs__bilirubin_mg_dl=3.5,
        labs__albumin_g_dl=2.5,
        liver__ascites=REMOVE,
        liver__encephalopathy=REMOVE,
        liver__child_pugh={"class": "C"},
    )["child_pugh"]
    assert cp["class"] == "C"


def test_bclc_stage_is_unknown_without_ecog() -> None:
    assert bclc(ecog=REMOVE) is None


# ---------------------------------------------------------------- line of therapy


def test_treatment_naive_empty_prior_therapies_is_first_line() -> None:
    assert recommendation(prior_therapies=[])["line"] == 1


def test_absent_prior_therapies_leave_the_line_unknown() -> None:
    assert recommendation(prior_therapies=REMOVE)["line"] is None


def test_one_prior_line_makes_this_the_second_line() -> None:
    prior = [{"regimen": "sorafenib", "outcome": "progression", "tolerated": True}]
    assert recommendation(prior_therapies=prior)["line"] == 2


def test_two_prior_lines_make_this_the_third_line() -> None:
    prior = [
        {"regimen": "atezo+bev", "outcome": "progression", "immune_adverse_event": "none"},
        {"regimen": "lenvatinib", "outcome": "progression"},
    ]
    assert recommendation(prior_therapies=prior)["line"] == 3


def test_a_prior_line_without_its_regimen_still_counts_as_a_line() -> None:
    prior = [{"outcome": "progression", "immune_adverse_event": "none"}]
    assert recommendation(prior_therapies=prior)["line"] == 2
