"""Cards built from the answer documents of real patients (YAML files, the real KB and clingo).

The service's card builder is called in-process with patients read by the public API, so these
tests do not depend on the FHIR reader; the same builder answers the HTTP hooks.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from conftest import EXAMPLES, ROOT, patient_from
from service_support import assert_card_shape

from hcc_asp import load_patient
from hcc_asp.service.app import SERVICES, Engine
from hcc_asp.service.models import HookRequest, OrderContext, PatientContext
from hcc_asp.service.settings import ServiceSettings

GOLDEN = ROOT / "tests" / "golden"
BASE = "https://cds.example.org"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    folder = tmp_path_factory.mktemp("explanations")
    settings = ServiceSettings(guidelines=("asco-2024", "aasld-2023"), explanation_dir=folder)
    return Engine(settings)


def cards(engine: Engine, service: str, patient: Any, context: dict[str, Any] | None = None):
    hook = SERVICES[service].hook
    context = context or {"userId": "Practitioner/1", "patientId": "p1"}
    request = HookRequest(hook=hook, hookInstance="hook-1", context=context)
    model = PatientContext if hook == "patient-view" else OrderContext
    answer = engine.cards_for(SERVICES[service], request, model(**context), patient, BASE)
    for card in answer["cards"]:
        assert_card_shape(card)
    return answer["cards"]


def order(*drugs: str, selected: int = 0) -> dict[str, Any]:
    entries = [
        {
            "resource": {
                "resourceType": "MedicationRequest",
                "id": f"draft-{index}",
                "status": "draft",
                "intent": "order",
                "subject": {"reference": "Patient/p1"},
                "medicationCodeableConcept": {"text": drug},
            }
        }
        for index, drug in enumerate(drugs)
    ]
    return {
        "userId": "Practitioner/1",
        "patientId": "p1",
        "selections": [f"MedicationRequest/draft-{selected}"],
        "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": entries},
    }


def test_first_line_card_names_the_regimens_rec_and_strength_in_one_line(engine):
    patient = load_patient(str(EXAMPLES / "first-line-complete.yaml"))
    asco, aasld = cards(engine, "hcc-asp-therapy", patient)
    assert asco["summary"].startswith("ASCO 2024: atezolizumab + bevacizumab or durvalumab")
    assert "(Rec 1.1, strong)" in asco["summary"]
    assert asco["indicator"] == "info"
    assert asco["source"]["label"].startswith("ASCO 2024: Systemic Therapy")
    assert asco["source"]["url"] == "https://doi.org/10.1200/JCO.23.02745"
    assert "IMbrave150" in asco["detail"] and "Child-Pugh A5" in asco["detail"]
    assert "(Rec 1.1): strong; high-quality evidence" in asco["detail"]  # evidence in words
    # the patient's values, in words with the key in code
    assert "bilirubin 0.9 mg/dL (`labs.bilirubin_mg_dl`)" in asco["detail"]
    assert asco["links"][0]["url"].startswith(f"{BASE}/explain/")
    assert asco["links"][0]["url"].endswith("/asco-2024")
    assert aasld["summary"].startswith("AASLD 2023: ")
    assert asco["uuid"] != aasld["uuid"]


def test_missing_data_is_said_on_the_card_as_what_to_record(engine, tmp_path):
    # The shipped example without its varices and comorbidities records: those keys are unknown.
    data = yaml.safe_load((EXAMPLES / "after-sorafenib.yaml").read_text())
    del data["liver"]["varices"], data["comorbidities"]
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(data))
    patient = load_patient(str(tmp_path / "p.yaml"))
    asco, aasld = cards(engine, "hcc-asp-therapy", patient)
    assert asco["indicator"] == "warning"  # conditional regimens
    assert "**To record** (unknown values are never assumed)" in asco["detail"]
    assert "`liver.varices.endoscopy_months_ago`" in asco["detail"]
    assert "once done: record" in aasld["summary"]


def test_a_reason_comes_with_the_patients_values(engine):
    patient = load_patient(str(EXAMPLES / "child-pugh-b.yaml"))
    asco = cards(engine, "hcc-asp-therapy", patient)[0]
    assert "requires Child-Pugh class A: not met" in asco["detail"]
    assert "Child-Pugh B8" in asco["detail"]
    assert "bilirubin 2.6 mg/dL: 2 pts" in asco["detail"]
    assert "ascites mild: 2 pts" in asco["detail"]


def test_a_contraindicated_current_therapy_makes_the_card_critical(engine):
    text = (GOLDEN / "asco-2024-1-2-fires-active-autoimmune-disease.yaml").read_text()
    text = text.replace(
        "prior_therapies: []",
        "prior_therapies:\n  - {regimen: atezolizumab_bevacizumab, outcome: ongoing}",
    )
    asco = cards(engine, "hcc-asp-therapy", patient_from(text))[0]
    assert asco["indicator"] == "critical"
    assert "current therapy atezolizumab + bevacizumab is contraindicated" in asco["summary"]


def test_same_request_gives_byte_identical_cards(engine):
    patient = load_patient(str(EXAMPLES / "child-pugh-b.yaml"))
    first = json.dumps(cards(engine, "hcc-asp-therapy", patient))
    assert json.dumps(cards(engine, "hcc-asp-therapy", patient)) == first


def test_compare_card_marks_the_disagreements_between_current_editions(engine):
    patient = load_patient(str(EXAMPLES / "child-pugh-b.yaml"))
    (card,) = cards(engine, "hcc-asp-compare", patient)
    assert card["indicator"] == "warning"
    assert "disagreement" in card["summary"]
    assert "| regimen | aasld-2023 |" in card["detail"]
    assert card["links"][0]["url"].endswith("/compare")


def test_order_of_the_offered_regimen_gets_no_card(engine):
    patient = load_patient(str(EXAMPLES / "first-line-complete.yaml"))
    context = order("Atezolizumab 1200 mg IV", "bevacizumab 15 mg/kg IV")
    assert cards(engine, "hcc-asp-order-select", patient, context) == []


def test_order_of_sorafenib_when_immunotherapy_is_offered_warns_and_suggests_replacing_it(engine):
    patient = load_patient(str(EXAMPLES / "first-line-complete.yaml"))
    asco, _ = cards(engine, "hcc-asp-order-sign", patient, order("Sorafenib 400 mg"))
    assert asco["indicator"] == "warning"
    assert asco["summary"].startswith("ASCO 2024 does not offer sorafenib now: ")
    assert asco["selectionBehavior"] == "at-most-one"
    labels = [s["label"] for s in asco["suggestions"]]
    assert labels[0] == "Replace with atezolizumab + bevacizumab (Rec 1.1)"
    actions = asco["suggestions"][0]["actions"]
    assert actions[0] == {
        "type": "delete",
        "description": "Remove the draft order MedicationRequest/draft-0",
        "resourceId": "MedicationRequest/draft-0",
    }
    created = [a["resource"]["medicationCodeableConcept"] for a in actions[1:]]
    assert [c["text"] for c in created] == ["atezolizumab", "bevacizumab"]
    rxnorm = "http://www.nlm.nih.gov/research/umls/rxnorm"
    assert [c["coding"] for c in created] == [
        [{"system": rxnorm, "code": "1792776", "display": "atezolizumab"}],
        [{"system": rxnorm, "code": "253337", "display": "bevacizumab"}],
    ]
    assert asco["links"][0]["url"].endswith("/asco-2024/sorafenib")


def test_order_of_a_contraindicated_regimen_is_critical(engine):
    patient = patient_from(
        (GOLDEN / "asco-2024-1-2-fires-active-autoimmune-disease.yaml").read_text()
    )
    context = order("atezolizumab", "bevacizumab", selected=1)
    asco = cards(engine, "hcc-asp-order-select", patient, context)[0]
    assert asco["indicator"] == "critical"
    assert "atezolizumab + bevacizumab is contraindicated" in asco["summary"]
    labels = [s["label"] for s in asco["suggestions"]]
    assert "Replace with sorafenib (Rec 1.2)" in labels


def test_a_draft_order_coded_only_in_rxnorm_is_recognised(engine):
    patient = load_patient(str(EXAMPLES / "first-line-complete.yaml"))
    context = order("")
    coding = {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "495881"}
    medication = context["draftOrders"]["entry"][0]["resource"]["medicationCodeableConcept"]
    medication.clear()
    medication["coding"] = [coding]
    asco, _ = cards(engine, "hcc-asp-order-select", patient, context)
    assert asco["summary"].startswith("ASCO 2024 does not offer sorafenib now")


def test_orders_of_drugs_outside_hcc_therapy_get_no_card(engine):
    patient = load_patient(str(EXAMPLES / "child-pugh-b.yaml"))
    assert cards(engine, "hcc-asp-order-sign", patient, order("Acetaminophen 500 mg")) == []


def test_the_explanation_behind_a_card_link_is_the_why_not_of_that_regimen(engine):
    patient = load_patient(str(EXAMPLES / "child-pugh-b.yaml"))
    context = order("atezolizumab", "bevacizumab")
    card = cards(engine, "hcc-asp-order-select", patient, context)[0]
    token, guideline, regimen = card["links"][0]["url"].split("/explain/")[1].split("/")
    media, body = engine.explanation(token, guideline, regimen)
    assert media == "text/html; charset=utf-8"
    assert body.startswith("<!DOCTYPE html>") or body.lstrip().lower().startswith("<!doctype html")
    assert "Atezolizumab + bevacizumab" in body and "Child-Pugh" in body
    media, body = engine.explanation(token, "compare", None)
    assert media.startswith("text/html") and "<table" in body


def test_what_each_card_said_is_kept_for_the_feedback_log(engine):
    patient = load_patient(str(EXAMPLES / "first-line-complete.yaml"))
    asco = cards(engine, "hcc-asp-therapy", patient)[0]
    said = engine.store.card(asco["uuid"])
    assert said == {
        "service": "hcc-asp-therapy",
        "patient": "p1",
        "indicator": "info",
        "summary": asco["summary"],
        "source": asco["source"]["label"],
    }
    assert engine.store.card("../../etc/passwd") is None
