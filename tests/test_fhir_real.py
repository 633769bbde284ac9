"""FHIR that no one here wrote (tests/fhir/real/README.md names each file's origin and edits):
a Synthea transaction Bundle, a US Core example, the CDS Hooks specification's examples. Each
point of reading real records has a case that fires and one that just misses, read through the
real fhir.resources models and answered by the real clingo and KB."""

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
from hcc_asp.patient import read_patient
from hcc_asp.patient.fhir import patient_from_fhir, read_derivation
from hcc_asp.recommend import recommend

pytest.importorskip("fhir.resources")

REAL = Path(__file__).parent / "fhir" / "real"
FHIR = Path(__file__).parent / "fhir"
SYNTHEA = REAL / "synthea-transaction-head.json"
DOCREF = REAL / "us-core-DocumentReference-photo-id-trimmed.json"
AS_OF = dt.date(2026, 11, 30)
PATIENT = "urn:uuid:d5582579-7193-4866-5560-a01e723b6552"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10"


def run(*args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(main, list(args), input=stdin)


def synthea() -> dict[str, Any]:
    """The Synthea transaction Bundle's head (Patient, Encounter, Condition), as shipped."""
    return json.loads(SYNTHEA.read_text())


def add(bundle: dict[str, Any], resource: dict[str, Any], full_url: str | None = None) -> None:
    """Add an entry the way Synthea writes one: urn:uuid fullUrl, POST request."""
    bundle["entry"].append(
        {
            "fullUrl": full_url or f"urn:uuid:{resource['id']}",
            "resource": resource,
            "request": {"method": "POST", "url": resource["resourceType"]},
        }
    )


def hcc(code_system: str = SNOMED, code: str = "109841003") -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": "c0ffee00-0000-4000-8000-000000000001",
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "code": {"coding": [{"system": code_system, "code": code}]},
        "subject": {"reference": PATIENT},
        "onsetDateTime": "2025-01-02T11:44:52-05:00",
    }


def order(ident: str, code: str, authored: str, **extra: Any) -> dict[str, Any]:
    """A MedicationRequest of one RxNorm ingredient, in Synthea's shape."""
    return {
        "resourceType": "MedicationRequest",
        "id": ident,
        "status": "stopped",
        "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": code}]},
        "subject": {"reference": PATIENT},
        "authoredOn": authored,
        **extra,
    }


def patient_of(bundle: dict[str, Any], **options: Any) -> Any:
    patient, _ = patient_from_fhir(bundle, as_of=AS_OF, **options)
    return patient


# --- 3. only therapy given counts ---------------------------------------------------------------


def test_an_order_of_sorafenib_is_a_line_of_therapy() -> None:
    bundle = synthea()
    add(bundle, order("mr-sora", "495881", "2025-03-01T10:00:00-05:00"))
    assert [t.regimen for t in patient_of(bundle).prior_therapies] == ["sorafenib"]


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"doNotPerform": True}, "doNotPerform true"),
        ({"intent": "proposal"}, "intent proposal"),
        ({"intent": "plan"}, "intent plan"),
        ({"intent": "option"}, "intent option"),
        ({"status": "entered-in-error"}, "status entered-in-error"),
        ({"status": "cancelled"}, "status cancelled"),
        ({"status": "draft"}, "status draft"),
    ],
)
def test_a_therapy_not_given_is_no_line_and_the_answer_says_why(
    change: dict[str, Any], said: str
) -> None:
    bundle = synthea()
    add(bundle, order("mr-sora", "495881", "2025-03-01T10:00:00-05:00", **change))
    patient = patient_of(bundle)
    assert patient.prior_therapies is None  # unknown: not "ongoing sorafenib"
    assert any(said in line and "not counted as given" in line for line in patient.record_notes())


def test_an_active_proposal_is_not_taken_for_an_ongoing_line() -> None:
    bundle = synthea()
    add(bundle, order("mr-a", "1792776", "2026-11-01", status="active", intent="proposal"))
    add(bundle, order("mr-b", "253337", "2026-11-01", status="active", intent="proposal"))
    assert patient_of(bundle).prior_therapies is None


def test_administrations_statement_and_order_of_the_same_drugs_are_one_line() -> None:
    bundle = synthea()
    add(bundle, order("mr-atezo", "1792776", "2025-01-10"))
    add(bundle, order("mr-bev", "253337", "2025-01-10"))
    for cycle, day in enumerate(("2025-01-15", "2025-02-05", "2025-02-26")):
        for drug, code in (("atezo", "1792776"), ("bev", "253337")):
            add(
                bundle,
                {
                    "resourceType": "MedicationAdministration",
                    "id": f"ma-{drug}-{cycle}",
                    "status": "completed",
                    "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": code}]},
                    "subject": {"reference": PATIENT},
                    "effectiveDateTime": day,
                },
            )
    add(
        bundle,
        {
            "resourceType": "MedicationStatement",
            "id": "ms-atezo",
            "status": "completed",
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "1792776"}]},
            "subject": {"reference": PATIENT},
            "effectivePeriod": {"start": "2025-01-15", "end": "2025-03-20"},
        },
    )
    therapies = patient_of(bundle).prior_therapies
    assert [t.regimen for t in therapies] == ["atezolizumab_bevacizumab"]


def test_a_second_course_months_later_is_a_second_line() -> None:
    bundle = synthea()
    add(bundle, order("mr-sora", "495881", "2024-01-10"))
    add(bundle, order("mr-atezo", "1792776", "2025-01-10"))
    add(bundle, order("mr-bev", "253337", "2025-01-10"))
    therapies = patient_of(bundle).prior_therapies
    assert [t.regimen for t in therapies] == ["sorafenib", "atezolizumab_bevacizumab"]


def test_no_medication_record_is_first_line_only_when_the_list_is_said_complete() -> None:
    bundle = synthea()
    add(bundle, hcc())
    unknown = patient_of(bundle)
    assert unknown.prior_therapies is None
    complete = patient_of(bundle, medications_complete=True)
    assert complete.prior_therapies == []
    assert recommend(complete)["line"] == 1
    assert recommend(unknown)["line"] is None


def test_medications_complete_on_the_command_line_of_recommend_import_and_audit(
    tmp_path: Path,
) -> None:
    bundle = synthea()
    add(bundle, hcc())
    text = json.dumps(bundle)
    args = ("recommend", "-", "--as-of", "2026-11-30", "--format", "json")
    assert json.loads(run(*args, stdin=text).output)["line"] is None
    said = run(*args, "--medications-complete", stdin=text)
    assert said.exit_code == 0, said.output
    assert json.loads(said.output)["line"] == 1
    imported = run("import", "-", "--medications-complete", "--as-of", "2026-11-30", stdin=text)
    assert "prior_therapies: []" in imported.output
    assert "given as complete by the caller" in imported.output
    export = tmp_path / "export"
    export.mkdir()
    resources = [e["resource"] for e in bundle["entry"]]
    (export / "all.ndjson").write_text("".join(json.dumps(r) + "\n" for r in resources))
    audited = run("audit", str(export), "--format", "json", "--medications-complete")
    assert json.loads(audited.output)["patients"][0]["line"] == 1


# --- 2. references resolve as FHIR defines --------------------------------------------------------


def _sorafenib_by_reference(bundle: dict[str, Any], with_medication: bool = True) -> None:
    if with_medication:
        add(
            bundle,
            {
                "resourceType": "Medication",
                "id": "9b1de000-0000-4000-8000-000000000002",
                "code": {"coding": [{"system": RXNORM, "code": "495881", "display": "sorafenib"}]},
            },
        )
    request = order("mr-sora", "495881", "2025-03-01T10:00:00-05:00")
    del request["medicationCodeableConcept"]
    request["medicationReference"] = {"reference": "urn:uuid:9b1de000-0000-4000-8000-000000000002"}
    add(bundle, request)


def test_a_urn_uuid_medication_reference_of_a_transaction_bundle_is_resolved() -> None:
    bundle = synthea()
    add(bundle, hcc())
    _sorafenib_by_reference(bundle)
    patient = patient_of(bundle)
    assert [t.regimen for t in patient.prior_therapies] == ["sorafenib"]
    assert recommend(patient)["line"] == 2  # a second-line patient gets second-line answers


def test_a_reference_to_a_medication_not_in_the_input_is_named_not_guessed() -> None:
    bundle = synthea()
    _sorafenib_by_reference(bundle, with_medication=False)
    patient = patient_of(bundle)
    assert patient.prior_therapies is None
    assert any("is not in the input" in line for line in patient.record_notes())


def test_a_urn_uuid_subject_names_the_bundles_patient() -> None:
    patient = patient_of(synthea())
    assert patient.id == "d5582579-7193-4866-5560-a01e723b6552"


def _contained(reference: str) -> dict[str, Any]:
    bundle = synthea()
    add(
        bundle,
        {
            "resourceType": "Medication",
            "id": "med",
            "code": {"coding": [{"system": RXNORM, "code": "495881"}]},
        },
        "http://example.org/fhir/Medication/med",
    )
    request = order("mr-1", "0", "2025-03-01")
    del request["medicationCodeableConcept"]
    request["contained"] = [
        {
            "resourceType": "Medication",
            "id": "med",
            "code": {"coding": [{"system": RXNORM, "code": "1597876"}]},
        }
    ]
    request["medicationReference"] = {"reference": reference}
    add(bundle, request)
    return bundle


def test_a_contained_reference_is_resolved_inside_its_own_resource_first() -> None:
    assert [t.regimen for t in patient_of(_contained("#med")).prior_therapies] == ["nivolumab"]


def test_a_plain_reference_of_the_same_id_is_the_top_level_medication() -> None:
    patient = patient_of(_contained("Medication/med"))
    assert [t.regimen for t in patient.prior_therapies] == ["sorafenib"]


def test_a_display_only_medication_reference_is_matched_by_name_with_a_note() -> None:
    bundle = synthea()
    add(bundle, order("mr-atezo", "1792776", "2025-01-10"))
    bev = order("mr-bev", "0", "2025-01-10")
    del bev["medicationCodeableConcept"]
    bev["medicationReference"] = {"display": "Bevacizumab 25 MG/ML Injection"}
    add(bundle, bev)
    derivation = _derivation(bundle)
    assert derivation.data["prior_therapies"] == [{"regimen": "atezolizumab_bevacizumab"}]
    assert any("matched by its display" in n for n in derivation.notes)
    bev["medicationReference"] = {"display": "a monoclonal antibody"}
    assert _derivation(bundle).data["prior_therapies"] == [{}]  # atezolizumab alone: no regimen


def _derivation(bundle: dict[str, Any]) -> Any:
    from hcc_asp.patient.fhir import derivation_from_fhir

    return derivation_from_fhir(copy.deepcopy(bundle), AS_OF)


# --- 4. degrade, don't refuse ------------------------------------------------------------------


def _lab(ident: str, code: str, **value: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": ident,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": PATIENT},
        "effectiveDateTime": "2026-11-20T08:00:00-05:00",
        **value,
    }


def test_an_afp_sent_as_text_is_left_unknown_and_the_rest_is_read() -> None:
    bundle = synthea()
    add(bundle, _lab("afp", "1834-1", valueString="> 1000"))
    add(bundle, _lab("inr", "6301-6", valueQuantity={"value": 1.3, "unit": "{INR}"}))
    patient = patient_of(bundle)
    assert (patient.labs.afp_ng_ml, patient.labs.inr) == (None, 1.3)
    assert any(line.startswith("Observation/afp valueString") for line in patient.record_notes())


def test_ecog_as_a_loinc_answer_code_is_read() -> None:
    bundle = synthea()
    answer = {"coding": [{"system": LOINC, "code": "LA9623-5"}]}
    add(bundle, _lab("ecog", "89247-1", valueCodeableConcept=answer))
    assert patient_of(bundle).ecog == 1
    answer["coding"][0]["code"] = "LA9627-6"  # "Dead": not an ECOG grade the tool maps
    patient = patient_of(bundle)
    assert patient.ecog is None
    assert any("valueCodeableConcept" in line for line in patient.record_notes())


def test_a_date_time_without_a_time_zone_keeps_the_rest_of_the_observation() -> None:
    bundle = synthea()
    add(bundle, _lab("inr", "6301-6", valueQuantity={"value": 1.3, "unit": "{INR}"}))
    bundle["entry"][-1]["resource"]["effectiveDateTime"] = "2026-11-20T08:00:00"
    derivation = _derivation(bundle)
    assert derivation.data["labs"]["inr"] == 1.3
    assert derivation.sources["labs.inr"].date == "2026-11-20"  # its date kept, not stale
    assert any("without a time zone" in n for n in derivation.notes)


def test_a_document_bundle_such_as_an_ips_is_read_and_its_composition_skipped() -> None:
    bundle = synthea()
    bundle["type"] = "document"
    for entry in bundle["entry"]:
        entry.pop("request")
    bundle["entry"].insert(
        0,
        {
            "fullUrl": "urn:uuid:comp",
            "resource": {"resourceType": "Composition", "id": "comp", "status": "final"},
        },
    )
    add(bundle, _lab("inr", "6301-6", valueQuantity={"value": 1.3, "unit": "{INR}"}))
    assert patient_of(bundle).labs.inr == 1.3


def test_input_that_is_not_fhir_json_is_still_refused_in_one_line() -> None:
    result = run("recommend", "-", "--input", "fhir", stdin='{"resourceType": ')
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1


# --- 1. bounds count what is read ---------------------------------------------------------------


def test_a_folder_with_a_1_mib_document_reference_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "us-core"
    folder.mkdir()
    document = json.loads(DOCREF.read_text())
    document["content"][0]["attachment"]["data"] = "A" * (1_100_000)  # the size of the real one
    (folder / "DocumentReference-photo-id.json").write_text(json.dumps(document))
    bundle = synthea()
    add(bundle, _lab("inr", "6301-6", valueQuantity={"value": 1.3, "unit": "{INR}"}))
    (folder / "Bundle-synthea.json").write_text(json.dumps(bundle))
    result = run("recommend", str(folder), "--as-of", "2026-11-30", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["sources"]["labs.inr"]["references"] == ["Observation/inr"]


def test_years_of_monthly_labs_fit_the_bounds() -> None:
    bundle = synthea()
    codes = ("1975-2", "1751-7", "6301-6", "777-3", "1834-1", "718-7", "2160-0")
    for month in range(120):  # ten years of monthly panels, seven labs each
        day = dt.date(2016, 12, 1) + dt.timedelta(days=30 * month)
        for code in codes:
            add(
                bundle,
                _lab(
                    f"lab-{code}-{month}",
                    code,
                    effectiveDateTime=day.isoformat(),
                    valueQuantity={"value": 1.1, "unit": "1", "code": "1"},
                ),
            )
    derivation = _derivation(bundle)
    assert derivation.data["labs"]["inr"] == 1.1
    assert derivation.sources["labs.inr"].references == ("Observation/lab-6301-6-119",)


def test_a_chart_larger_than_a_patient_file_is_read_one_resource_at_a_time(tmp_path: Path) -> None:
    bundle = synthea()
    note = json.loads(DOCREF.read_text())
    note["content"][0]["attachment"]["data"] = "A" * 200_000
    for index in range(15):  # 3 MB of notes the mapping never reads
        add(bundle, {**note, "id": f"note-{index}"})
    add(bundle, _lab("inr", "6301-6", valueQuantity={"value": 1.3, "unit": "{INR}"}))
    chart = tmp_path / "chart.json"
    chart.write_text(json.dumps(bundle))
    assert chart.stat().st_size > 3_000_000
    patient = read_patient(str(chart), as_of=AS_OF)
    assert patient.labs.inr == 1.3
    ndjson = tmp_path / "chart.ndjson"
    ndjson.write_text("".join(json.dumps(e["resource"]) + "\n" for e in bundle["entry"]))
    assert read_patient(str(ndjson), as_of=AS_OF).labs.inr == 1.3


def test_a_chart_above_the_fhir_bound_is_refused_in_one_line(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from hcc_asp.patient.fhir import read as r; "
        "r.MAX_FHIR_BYTES = 2_000_000; from hcc_asp.patient import read_patient; "
        "from hcc_asp.patient import PatientError\n"
        "try:\n    read_patient(sys.argv[1])\nexcept PatientError as e:\n    print(e.problems[0])"
    )
    chart = tmp_path / "chart.json"
    bundle = synthea()
    note = json.loads(DOCREF.read_text())
    note["content"][0]["attachment"]["data"] = "A" * 3_000_000
    add(bundle, note)
    chart.write_text(json.dumps(bundle))
    out = subprocess.run([sys.executable, "-c", code, str(chart)], capture_output=True, text=True)
    assert "too large (more than 1 MiB)" in out.stdout, out.stderr


def test_several_patients_in_one_input_are_one_line_pointing_to_audit() -> None:
    first = synthea()
    second = json.loads(json.dumps(synthea()).replace("d5582579", "00000000"))
    first["entry"] += second["entry"]
    result = run("recommend", "-", stdin=json.dumps(first))
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert "the input holds 2 patients" in line and "hcc-asp audit" in line
    imported = run("import", "-", stdin=json.dumps(first))
    assert imported.exit_code == 2 and "hcc-asp audit" in imported.stderr


def test_one_patient_is_not_taken_for_several() -> None:
    assert run("import", "-", stdin=json.dumps(synthea())).exit_code == 0


# --- 5. codes and units from outside the US ------------------------------------------------------


@pytest.mark.parametrize("unit", ["G/L", "Thousand/uL", "10*3/ul", "x10(3)/mcL", "10*9/L"])
def test_platelets_in_the_units_labs_outside_the_us_send(unit: str) -> None:
    bundle = synthea()
    add(bundle, _lab("plt", "777-3", valueQuantity={"value": 142, "unit": unit}))
    assert patient_of(bundle).labs.platelets_10e9_l == 142


def test_platelets_in_an_unknown_unit_are_left_unknown_with_a_note() -> None:
    bundle = synthea()
    add(bundle, _lab("plt", "777-3", valueQuantity={"value": 142, "unit": "G/dL"}))
    patient = patient_of(bundle)
    assert patient.labs.platelets_10e9_l is None
    assert any("'G/dL' cannot be converted" in line for line in patient.record_notes())


def test_afp_in_international_units_has_no_sourced_factor_and_stays_unknown() -> None:
    bundle = synthea()
    add(bundle, _lab("afp", "1834-1", valueQuantity={"value": 400, "unit": "[IU]/mL"}))
    patient = patient_of(bundle)
    assert patient.labs.afp_ng_ml is None
    assert any("no sourced factor" in line for line in patient.record_notes())
    bundle["entry"][-1]["resource"]["valueQuantity"] = {"value": 400, "unit": "ug/L"}
    assert patient_of(bundle).labs.afp_ng_ml == 400


@pytest.mark.parametrize("code", ["6301-6", "34714-6", "46418-0"])
def test_inr_under_each_of_its_loinc_codes(code: str) -> None:
    bundle = synthea()
    add(bundle, _lab("inr", code, valueQuantity={"value": 1.4, "unit": "{INR}"}))
    assert patient_of(bundle).labs.inr == 1.4


def test_a_prothrombin_ratio_in_percent_is_not_taken_for_an_inr() -> None:
    bundle = synthea()
    add(bundle, _lab("tp", "5894-1", valueQuantity={"value": 65, "unit": "%"}))
    patient = patient_of(bundle)
    assert patient.labs.inr is None
    assert any("not an INR" in line for line in patient.record_notes())


def test_a_lab_panel_is_read_through_its_components() -> None:
    bundle = synthea()
    panel = _lab("coag", "34528-0")
    panel["component"] = [
        {
            "code": {"coding": [{"system": LOINC, "code": "6301-6"}]},
            "valueQuantity": {"value": 1.2, "unit": "{INR}"},
        }
    ]
    add(bundle, panel)
    derivation = _derivation(bundle)
    assert derivation.data["labs"]["inr"] == 1.2
    assert derivation.sources["labs.inr"].element == "component[0].valueQuantity.value"


@pytest.mark.parametrize(
    ("code", "etiology"),
    [("K70.3", "alcohol"), ("K70.9", "alcohol"), ("B18.1", "hbv"), ("B18.2", "hcv")],
)
def test_who_icd10_etiology_from_conditions(code: str, etiology: str) -> None:
    bundle = synthea()
    add(bundle, hcc(ICD10, code))
    assert patient_of(bundle).liver.etiology == [etiology]


def test_who_icd10_cirrhosis_without_a_cause_gives_no_etiology() -> None:
    bundle = synthea()
    add(bundle, hcc(ICD10, "K74.6"))
    assert patient_of(bundle).liver.etiology is None


def test_who_icd10_ascites_grade_comes_from_severity_and_hcc_is_recognised() -> None:
    bundle = synthea()
    ascites = hcc(ICD10, "R18")
    ascites["severity"] = {"coding": [{"system": SNOMED, "code": "255604002"}]}
    add(bundle, ascites)
    add(bundle, {**hcc(ICD10, "C22.0"), "id": "hcc-who"})
    derivation = _derivation(bundle)
    assert derivation.data["liver"]["ascites"] == "mild"
    assert not any("hcc-who" in n for n in derivation.notes)  # recognised, not "not used"


def test_every_new_mapping_row_names_its_source_and_verified_flag() -> None:
    from hcc_asp.patient.fhir.mapping import table

    rows = [r for r in table() if r.system == "icd10" or r.kind == "answer"]
    assert len(rows) >= 15
    assert all(r.source for r in rows)
    assert {r.code for r in rows if not r.verified} >= {"R18", "C22.0"}


def test_import_reads_the_shipped_real_synthea_head() -> None:
    derivation = read_derivation(str(SYNTHEA), as_of=AS_OF)
    assert derivation.data == {"id": "d5582579-7193-4866-5560-a01e723b6552"}
    assert any("Prediabetes" in n and "not used" in n for n in derivation.notes)
