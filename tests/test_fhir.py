"""FHIR R4 / mCODE input (README, "FHIR input"): bundles shaped like mCODE STU4 and US Core
examples, read through the real fhir.resources models, answered by the real clingo and KB."""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hcc_asp.cli import main
from hcc_asp.patient import PatientError, parse_patient, read_patient
from hcc_asp.patient.fhir import patient_from_fhir, read_derivation
from hcc_asp.patient.fhir.mapping import table, unverified
from hcc_asp.recommend import recommend

FHIR = Path(__file__).parent / "fhir"
SORAFENIB = FHIR / "sorafenib-progression-si.json"  # transaction Bundle, SI units
NO_ASCITES = FHIR / "no-ascites-data.json"  # collection Bundle, US units, no ascites record
ATEZO_BEV = FHIR / "atezo-bev-progression.json"  # searchset Bundle, one administration per cycle
AS_OF = dt.date(2026, 11, 30)


def run(*args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(main, list(args), input=stdin)


def bundle(path: Path = SORAFENIB) -> dict[str, Any]:
    return json.loads(path.read_text())


def entry(document: dict[str, Any], ident: str) -> dict[str, Any]:
    return next(e["resource"] for e in document["entry"] if e["resource"]["id"] == ident)


def problems(document: Any) -> list[str]:
    with pytest.raises(PatientError) as caught:
        patient_from_fhir(document, as_of=AS_OF)
    return caught.value.problems


# --- reading: every container of one patient's resources gives the same patient ---------------


def test_transaction_ndjson_and_directory_give_the_same_patient(tmp_path: Path) -> None:
    from_bundle = read_patient(str(SORAFENIB), as_of=AS_OF)
    from_ndjson = read_patient(str(FHIR / "sorafenib-progression-si.ndjson"), as_of=AS_OF)
    for index, resource in enumerate(bundle()["entry"]):
        (tmp_path / f"{index:02d}.json").write_text(json.dumps(resource["resource"]))
    from_directory = read_patient(str(tmp_path), as_of=AS_OF)
    assert from_bundle == from_ndjson == from_directory
    assert from_bundle.id == "hcc-fhir-001"


@pytest.mark.parametrize("kind", ["collection", "searchset", "transaction"])
def test_every_bundle_type_of_one_patient_is_read(kind: str) -> None:
    document = bundle()
    document["type"] = kind
    patient, _ = patient_from_fhir(document, as_of=AS_OF)
    assert patient.ecog == 1


def test_fhir_is_detected_from_resource_type_and_forced_with_input_fhir() -> None:
    text = SORAFENIB.read_text()
    assert run("recommend", "-", "--as-of", "2026-11-30", stdin=text).exit_code == 0
    plain = json.dumps(bundle())  # one line: still detected
    assert run("recommend", "-", "--input", "fhir", stdin=plain).exit_code == 0
    forced_file = run("recommend", str(SORAFENIB), "--input", "file")
    assert forced_file.exit_code == 2  # read as a patient file, a Bundle is not one


def test_resources_the_tool_does_not_use_are_ignored() -> None:
    document = bundle()
    document["entry"].append(
        {"resource": {"resourceType": "Practitioner", "id": "x", "notAnElement": [1, 2]}}
    )
    patient, _ = patient_from_fhir(document, as_of=AS_OF)
    assert patient.labs.inr == 1.2


# --- mapping -------------------------------------------------------------------------------


def test_si_units_are_kept_under_their_si_keys_with_non_canonical_spellings() -> None:
    patient, sources = patient_from_fhir(bundle(), as_of=AS_OF)
    assert patient.labs.bilirubin_umol_l == 22  # LOINC 14631-6, umol/L
    assert patient.labs.albumin_g_l == 37  # sent as 'g/l'
    assert patient.labs.afp_ng_ml == 1350  # sent as ug/L (= ng/mL)
    assert patient.labs.platelets_10e9_l == 142  # sent as 10*3/uL (= 10*9/L)
    assert sources["labs.albumin_g_l"].references == ("Observation/lab-alb",)


def test_us_units_and_pounds_are_converted_with_the_unit_sent() -> None:
    patient, _ = patient_from_fhir(bundle(NO_ASCITES), as_of=AS_OF)
    assert patient.labs.bilirubin_mg_dl == 1.1
    assert patient.labs.albumin_g_dl == 3.9  # sent as 'g/dl', as in mCODE's own example
    assert patient.weight_kg == 69.85  # 154 [lb_av]


def test_stopped_sorafenib_with_no_response_is_a_progression_line() -> None:
    patient, sources = patient_from_fhir(bundle(), as_of=AS_OF)
    [line] = patient.prior_therapies or []
    assert (line.regimen, line.outcome) == ("sorafenib", "progression")
    assert line.tolerated is None  # RESORCE tolerance is not in the record: stays unknown
    assert sources["prior_therapies[0].outcome"].references == ("MedicationRequest/sorafenib-1",)


def test_sorafenib_not_tolerated_is_an_intolerance_line() -> None:
    document = bundle()
    entry(document, "sorafenib-1")["statusReason"]["coding"][0].update(
        code="407563006", display="Treatment not tolerated (situation)"
    )
    patient, _ = patient_from_fhir(document, as_of=AS_OF)
    assert patient.prior_therapies is not None
    assert patient.prior_therapies[0].outcome == "intolerance"


def test_atezolizumab_and_bevacizumab_given_together_are_one_combination_line() -> None:
    patient, sources = patient_from_fhir(bundle(ATEZO_BEV), as_of=AS_OF)
    assert [(t.regimen, t.outcome) for t in patient.prior_therapies or []] == [
        ("atezolizumab_bevacizumab", "progression")
    ]
    assert len(sources["prior_therapies[0].regimen"].references) == 8


def test_lines_are_ordered_by_date_and_only_the_last_is_ongoing() -> None:
    document = bundle(ATEZO_BEV)
    document["entry"].append(
        {
            "resource": {
                "resourceType": "MedicationRequest",
                "id": "cabo-1",
                "status": "active",
                "intent": "order",
                "medicationCodeableConcept": {"text": "cabozantinib 60 MG Oral Tablet"},
                "subject": {"reference": "Patient/hcc-fhir-003"},
                "authoredOn": "2025-09-01",
            }
        }
    )
    patient, _ = patient_from_fhir(document, as_of=AS_OF)
    assert [(t.regimen, t.outcome) for t in patient.prior_therapies or []] == [
        ("atezolizumab_bevacizumab", "progression"),
        ("cabozantinib", "ongoing"),  # no confirmed RxNorm code: matched by name
    ]


def test_refuted_ascites_says_none_and_resolved_ascites_says_none_now() -> None:
    refuted, _ = patient_from_fhir(bundle(), as_of=AS_OF)
    resolved, _ = patient_from_fhir(bundle(ATEZO_BEV), as_of=AS_OF)
    assert refuted.liver.ascites == resolved.liver.ascites == "none"


def test_ascites_grade_comes_from_condition_severity() -> None:
    document = bundle()
    ascites = entry(document, "ascites-no")
    ascites["verificationStatus"]["coding"][0].update(code="confirmed")
    ascites["clinicalStatus"] = {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                "code": "active",
            }
        ]
    }
    ascites["severity"] = {
        "coding": [{"system": "http://snomed.info/sct", "code": "6736007", "display": "Moderate"}]
    }
    patient, _ = patient_from_fhir(document, as_of=AS_OF)
    assert patient.liver.ascites == "moderate_severe"


def test_no_ascites_record_leaves_child_pugh_unknown_and_answers_conditional() -> None:
    patient, _ = patient_from_fhir(bundle(NO_ASCITES), as_of=AS_OF)
    assert patient.liver.ascites is None  # absent is unknown, never "no"
    document = recommend(patient)
    assert document["derived"]["child_pugh"] == {"score": None, "class": None}
    statuses = {entry["regimen"]: entry["status"] for entry in document["regimens"]}
    assert "recommended" not in statuses.values()
    assert any("liver.ascites" in e["missing"] for e in document["regimens"])


def test_newest_observation_per_code_is_used_with_its_date() -> None:
    patient, sources = patient_from_fhir(bundle(), as_of=AS_OF)
    assert patient.labs.inr == 1.2  # 2026-11-20, not the 1.5 of 2026-06-01
    assert sources["labs.inr"].date == "2026-11-20"
    assert not sources["labs.inr"].stale


def test_values_older_than_the_window_are_used_and_reported_stale() -> None:
    result = run("recommend", str(SORAFENIB), "--as-of", "2027-01-30", "--format", "json")
    document = json.loads(result.output)
    assert document["sources"]["labs.inr"]["stale"] is True
    notes = [n["text"] for n in document["notes"] if n["code"] == "stale_value"]
    expected = "labs.inr comes from Observation/lab-inr dated 2026-11-20"
    assert any(note.startswith(expected) for note in notes)


def test_records_after_the_as_of_date_are_not_used() -> None:
    patient, _ = patient_from_fhir(bundle(), as_of=dt.date(2026, 7, 1))
    assert patient.labs.inr == 1.5  # the June value: November's is after the as-of date
    assert patient.ecog is None


# --- provenance ----------------------------------------------------------------------------


def test_explain_leaves_name_the_resource_that_gave_the_value() -> None:
    # Why not best supportive care (BCLC 2022 stage D)? The answer descends to the Child-Pugh
    # components and ECOG, each leaf naming its Observation. (Cabozantinib, used before, became
    # conditional on the bundle's missing comorbidities, whose tree has no lab leaves.)
    result = run(
        "explain",
        str(SORAFENIB),
        "best_supportive_care",
        "-g",
        "bclc-2022",
        "--as-of",
        "2026-11-30",
        "--tree",  # the answer comes first; the leaves are in the tree
    )
    assert result.exit_code == 0, result.output
    assert "labs.bilirubin_umol_l = 22 (Observation/lab-bili, 2026-11-20)" in result.output
    assert "(patient file)" not in result.output


def test_a_child_pugh_c_record_explained_down_to_its_lab_observations() -> None:
    document = bundle()  # Child-Pugh C from the record: the tree goes down to the lab values
    entry(document, "lab-bili")["valueQuantity"]["value"] = 80
    entry(document, "lab-alb")["valueQuantity"]["value"] = 25
    entry(document, "lab-inr")["valueQuantity"]["value"] = 2.5
    text = json.dumps(document)
    result = run("explain", "-", "cabozantinib", "--as-of", "2026-11-30", "--tree", stdin=text)
    assert result.exit_code == 0, result.output
    assert "labs.bilirubin_umol_l = 80 (Observation/lab-bili, 2026-11-20)" in result.output
    assert "labs.inr = 2.5 (Observation/lab-inr, 2026-11-20)" in result.output
    assert "(patient file)" not in result.output


def test_explain_names_the_medication_behind_a_prior_line() -> None:
    result = run("explain", str(SORAFENIB), "lenvatinib", "--as-of", "2026-11-30", "--tree")
    assert result.exit_code == 0, result.output
    expected = "prior_therapies[0].regimen = sorafenib (MedicationRequest/sorafenib-1, 2025-10-01)"
    assert expected in result.output


def test_recommend_json_gains_an_additive_sources_map() -> None:
    result = run("recommend", str(SORAFENIB), "--as-of", "2026-11-30", "--format", "json")
    document = json.loads(result.output)
    assert document["sources"]["prior_therapies[0].regimen"] == {
        "references": ["MedicationRequest/sorafenib-1"],
        "element": "medication[x]",
        "date": "2025-10-01",
        "stale": False,
    }
    plain = json.loads(run("recommend", "examples/after-sorafenib.yaml", "--format", "json").output)
    assert "sources" not in plain  # patient files: the contract's document, unchanged


def test_import_prints_a_patient_file_that_reads_back_as_the_same_patient() -> None:
    result = run("import", str(NO_ASCITES), "--as-of", "2026-11-30")
    assert result.exit_code == 0, result.output
    assert "  bilirubin_mg_dl: 1.1  # Observation/lab-bili, 2026-11-18" in result.output
    assert "#   - Observation/lab-hb (LOINC 718-7" in result.output  # not mapped, as a comment
    again = parse_patient(result.output)
    assert again.model_dump() == read_patient(str(NO_ASCITES), as_of=AS_OF).model_dump()


def test_import_is_deterministic() -> None:
    first = run("import", str(ATEZO_BEV), "--as-of", "2026-11-30").output
    assert first == run("import", str(ATEZO_BEV), "--as-of", "2026-11-30").output


def test_patient_from_fhir_takes_a_list_of_resources_as_a_prefetch_gives_them() -> None:
    resources = [e["resource"] for e in bundle()["entry"]]
    patient, sources = patient_from_fhir(resources, as_of=AS_OF)
    assert patient.id == "hcc-fhir-001"
    assert patient.sources() == sources


# --- bad FHIR: exit 2, one line per problem naming the resource and the element -------------


def _without_value() -> dict[str, Any]:
    document = bundle()
    del entry(document, "lab-alb")["valueQuantity"]
    return document


def _unit(unit: str) -> dict[str, Any]:
    document = bundle()
    entry(document, "lab-bili")["valueQuantity"].update(unit=unit, code=unit)
    return document


def _ecog(value: int) -> dict[str, Any]:
    document = bundle()
    entry(document, "ecog-1")["valueInteger"] = value
    return document


def _two_patients() -> dict[str, Any]:
    document = bundle()
    other = copy.deepcopy(entry(document, "hcc-fhir-001"))
    other["id"] = "someone-else"
    document["entry"].append({"resource": other})
    return document


def _bad_decimal() -> dict[str, Any]:
    document = bundle()
    entry(document, "lab-inr")["valueQuantity"]["value"] = "1,2"
    return document


def _entries_not_a_list() -> dict[str, Any]:
    document = bundle()
    document["entry"] = {"resource": {}}
    return document


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{not json", "not JSON (line 1, column 2"),
        ('{"resourceType": "Bundle", "type": "history", "entry": []}', "no Patient, Observation"),
        (json.dumps(_entries_not_a_list()), "no Patient, Observation"),
        (json.dumps(_two_patients()), "the input holds 2 patients (Patient/hcc-fhir-001"),
        ('{"resourceType": "Bundle", "type": "collection", "entry": [], "entry": []}', "duplicate"),
        ("[" * 5000 + "]" * 5000, "nested too deeply"),
        ('{"resourceType": "Parameters", "parameter": []}', "resourceType: no Patient"),
        ('[{"a": 1}]', "not a FHIR resource"),
    ],
    ids=[
        "not-json",
        "a-bundle-with-nothing-of-a-patient",
        "entries-not-a-list-leaves-nothing",
        "two-patients",
        "duplicate-key",
        "too-deep",
        "not-a-patient-record",
        "not-a-resource",
    ],
)
def test_bad_fhir_is_exit_2_with_one_line_naming_resource_and_element(
    text: str, expected: str
) -> None:
    result = CliRunner().invoke(main, ["recommend", "-", "--input", "fhir"], input=text)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert expected in lines[0], lines[0]
    assert "Traceback" not in result.stderr


def test_an_element_nested_too_deeply_is_left_out_unread_and_named() -> None:
    deep: Any = "x"
    for _ in range(30):
        deep = {"a": deep}
    document = bundle()
    entry(document, "lab-inr")["extension"] = [{"url": "http://x", "valueString": "y", "z": deep}]
    patient, notes = _left_out(document)
    assert patient.labs.inr == 1.2  # the INR itself is read; only the deep element is not
    assert notes == [
        "Observation/lab-inr extension: larger than this tool reads (20000 values, 20 levels); "
        "left out"
    ]


# --- degrade, don't refuse: one unusable value is left unknown, named, and the rest is read ---


def _left_out(document: dict[str, Any]) -> tuple[Any, list[str]]:
    patient, _ = patient_from_fhir(document, as_of=AS_OF)
    return patient, patient.record_notes()


@pytest.mark.parametrize(
    ("change", "key", "named"),
    [
        (_without_value, "labs.albumin_g_l", "Observation/lab-alb value[x]: missing"),
        (
            lambda: _unit("mmol/L"),
            "labs.bilirubin_umol_l",
            "Observation/lab-bili valueQuantity.unit: 'mmol/L' cannot be converted",
        ),
        (lambda: _ecog(7), "ecog", "Observation/ecog-1 valueInteger: ecog must be at most 4"),
        (_bad_decimal, "labs.inr", "Observation/lab-inr valueQuantity.value: "),
    ],
    ids=["observation-without-value", "unit-not-convertible", "impossible-ecog", "bad-decimal"],
)
def test_one_unusable_value_is_left_unknown_and_named_the_rest_is_read(
    change: Any, key: str, named: str
) -> None:
    patient, notes = _left_out(change())
    section, _, leaf = key.rpartition(".")
    holder = getattr(patient, section) if section else patient
    assert getattr(holder, leaf) is None
    assert any(line.startswith(named) for line in notes), notes
    assert patient.prior_therapies  # the rest of the record is read
    answer = recommend(patient)
    assert any(
        n["code"] == "record_value_left_out" and n["text"].startswith(named)
        for n in answer["notes"]
    )


def test_a_left_out_value_is_exit_0_on_the_command_line_and_a_comment_of_import() -> None:
    text = json.dumps(_unit("mmol/L"))
    result = run("recommend", "-", "--as-of", "2026-11-30", "--format", "json", stdin=text)
    assert result.exit_code == 0, result.output
    notes = [n["text"] for n in json.loads(result.output)["notes"]]
    assert any("Observation/lab-bili valueQuantity.unit: 'mmol/L'" in n for n in notes)
    imported = run("import", "-", "--as-of", "2026-11-30", stdin=text)
    assert imported.exit_code == 0
    assert "Observation/lab-bili valueQuantity.unit: 'mmol/L'" in imported.output


# --- the mapping table ---------------------------------------------------------------------


def test_mapping_table_rows_name_their_source_and_verification() -> None:
    rows = table()
    assert all(row.source and row.target for row in rows)
    loinc = {row.code for row in rows if row.system == "loinc"}
    assert {"1975-2", "14631-6", "1751-7", "6301-6", "1834-1", "53962-7", "777-3"} <= loinc
    assert all(not row.verified for row in unverified())


def test_fhir_codes_command_lists_the_unverified_codes() -> None:
    result = run("fhir-codes", "--unverified")
    assert result.exit_code == 0
    body = result.output.splitlines()[1:]
    assert body and all(" NO " in line for line in body)
    assert any("warfarin" in line for line in body)  # matched by name: no RxNorm code confirmed


def test_plain_cli_does_not_import_fhir_resources() -> None:
    code = (
        "import sys; from click.testing import CliRunner; from hcc_asp.cli import main; "
        "r = CliRunner().invoke(main, ['recommend', 'examples/after-sorafenib.yaml']); "
        "assert r.exit_code == 0; print('fhir.resources' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_derivation_notes_name_what_was_not_mapped() -> None:
    derivation = read_derivation(str(NO_ASCITES), as_of=AS_OF)
    assert derivation.notes == [
        "Observation/lab-hb (LOINC 718-7 Hemoglobin [Mass/volume] in Blood): not used"
    ]


def test_readme_third_command_reads_the_shipped_bundle() -> None:
    example = (
        Path(__file__).resolve().parents[1] / "examples" / "fhir" / "sorafenib-progression.json"
    )
    result = run("recommend", str(example), "--as-of", "2026-11-30")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Patient hcc-fhir-001")


# --- more of the record's shapes -------------------------------------------------------------


def test_an_observation_with_data_absent_reason_is_unknown_not_an_error() -> None:
    document = bundle()
    albumin = entry(document, "lab-alb")
    del albumin["valueQuantity"]
    albumin["dataAbsentReason"] = {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                "code": "error",
            }
        ]
    }
    derivation = read_derivation_of(document)
    assert "albumin_g_l" not in derivation.data["labs"]
    assert any(note.startswith("Observation/lab-alb: no value") for note in derivation.notes)


def test_a_value_sent_as_a_bound_is_not_a_measurement() -> None:
    document = bundle()
    entry(document, "lab-afp")["valueQuantity"]["comparator"] = "<"
    patient, _ = patient_from_fhir(document, as_of=AS_OF)
    assert patient.labs.afp_ng_ml is None


def test_a_resource_about_another_patient_is_refused() -> None:
    document = bundle()
    entry(document, "lab-inr")["subject"] = {"reference": "Patient/someone-else"}
    assert problems(document) == [
        "Patient: the input holds 2 patients (Patient/hcc-fhir-001, Patient/someone-else); "
        "recommend and import read one patient's record: use hcc-asp audit to answer each"
    ]


def test_medication_reference_and_product_names_are_read() -> None:
    document = bundle()
    request = entry(document, "sorafenib-1")
    del request["medicationCodeableConcept"]
    request["medicationReference"] = {"reference": "Medication/med-1"}
    document["entry"].append(
        {
            "resource": {
                "resourceType": "Medication",
                "id": "med-1",
                "code": {"text": "Nexavar (sorafenib 200 MG Oral Tablet)"},
            }
        }
    )
    patient, _ = patient_from_fhir(document, as_of=AS_OF)
    assert patient.prior_therapies is not None
    assert patient.prior_therapies[0].regimen == "sorafenib"


def test_a_cancer_medication_the_tool_does_not_know_makes_a_line_of_unknown_regimen() -> None:
    document = bundle()
    other = copy.deepcopy(entry(document, "sorafenib-1"))
    other.update(id="chemo-1", statusReason=None)
    del other["statusReason"]
    other["status"] = "completed"
    other["medicationCodeableConcept"] = {
        "coding": [
            {
                "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                "code": "3639",
                "display": "DOXOrubicin",
            }
        ]
    }
    other["dosageInstruction"] = [{"timing": {"repeat": {"boundsPeriod": {"start": "2025-01-10"}}}}]
    document["entry"].append({"resource": other})
    derivation = read_derivation_of(document)
    assert derivation.data["prior_therapies"] == [
        {},
        {"regimen": "sorafenib", "outcome": "progression"},
    ]
    result = run("import", "-", "--as-of", "2026-11-30", stdin=json.dumps(document))
    assert "  - {}  # regimen unknown: MedicationRequest/chemo-1, 2025-01-10" in result.output


def test_a_file_over_the_size_bound_is_refused() -> None:
    document = bundle()
    document["entry"][0]["resource"]["text"] = {"status": "generated", "div": "x" * 1_100_000}
    result = run("recommend", "-", stdin=json.dumps(document))
    assert result.exit_code == 2
    assert "too large" in result.stderr


def read_derivation_of(document: dict[str, Any]) -> Any:
    from hcc_asp.patient.fhir import derivation_from_fhir

    return derivation_from_fhir(document, as_of=AS_OF)


def test_bulk_ndjson_of_several_patients_splits_into_one_record_each() -> None:
    from hcc_asp.patient.fhir import resources_by_patient

    first = [e["resource"] for e in bundle()["entry"]]
    second = [e["resource"] for e in bundle(ATEZO_BEV)["entry"]]
    groups, unassigned = resources_by_patient(first + second)
    assert list(groups) == ["hcc-fhir-001", "hcc-fhir-003"]
    assert [r["resourceType"] for r in unassigned] == ["Practitioner"]
    patient, _ = patient_from_fhir(groups["hcc-fhir-003"], as_of=AS_OF)
    assert patient.id == "hcc-fhir-003"


def test_a_directory_of_one_patients_resources_is_a_patient_on_the_command_line(
    tmp_path: Path,
) -> None:
    for index, item in enumerate(bundle(NO_ASCITES)["entry"]):
        (tmp_path / f"{index:02d}.json").write_text(json.dumps(item["resource"]))
    (tmp_path / "README.txt").write_text("not read: only .json and .ndjson files are")
    result = run("recommend", str(tmp_path), "--as-of", "2026-11-30", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["patient"] == "hcc-fhir-002"
