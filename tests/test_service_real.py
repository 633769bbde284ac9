"""The CDS Hooks service on real charts (tests/fhir/real/README.md): the specification's own
prefetch example, the sandbox's request shape, paged prefetch, failed queries, medication
administrations, HCC-only cards. A real uvicorn in a subprocess and a real HTTP FHIR server on a
loopback port; each case fires, and one beside it just misses."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from service_support import running_service
from test_service_fhir import (
    TOKEN,
    FhirServer,
    authorization,
    example_resources,
    needs_reader,
    patient_id,
    prefetch_of,
    searchset,
    view,
)

REAL = Path(__file__).parent / "fhir" / "real"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


class PagingServer(FhirServer):
    """The example patient's FHIR server, with an endless search and Medication reads."""

    def answer(self, path: str, authorization: str | None) -> tuple[int, Any]:
        url = urlsplit(path)
        if authorization != f"Bearer {TOKEN}":
            return 401, {"resourceType": "OperationOutcome", "issue": []}
        if url.path.endswith("/endless"):
            page = int(parse_qs(url.query).get("page", ["1"])[0])
            bundle = searchset([])
            bundle["link"] = [
                {"relation": "next", "url": f"{self.base}/fhir/endless?page={page + 1}"}
            ]
            return 200, bundle
        if url.path.endswith("/inr-page-2"):  # the second page of a paged INR prefetch
            return 200, searchset([r for r in self.resources if r.get("id") == "lab-inr-newest"])
        if url.path.endswith("/Medication"):
            wanted = parse_qs(url.query).get("_id", [""])[0].split(",")
            found = [r for r in self.resources if r["resourceType"] == "Medication"]
            return 200, searchset([r for r in found if r.get("id") in wanted])
        return super().answer(path, authorization)


@pytest.fixture(scope="module")
def fhir_server() -> Iterator[PagingServer]:
    server = PagingServer(example_resources())
    yield server
    server.close()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, fhir_server: PagingServer) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("service-real")
    options = ["--guideline", "asco-2024", "--fhir-timeout", "4", "--fhir-max-pages", "3"]
    options += ["--allow-fhir-server", f"{fhir_server.base}/"]  # a loopback server: named
    options += ["--feedback-file", str(workdir / "feedback.jsonl")]
    with running_service(*options, workdir=workdir) as base:
        yield base


def post(service: str, body: dict[str, Any], service_id: str = "hcc-asp-therapy") -> Any:
    response = httpx.post(f"{service}/cds-services/{service_id}", json=body, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def detail_of(answer: dict[str, Any]) -> str:
    (card,) = answer["cards"]
    return str(card["detail"])


# --- patient-view answers HCC charts only ----------------------------------------------------


@needs_reader
def test_the_specifications_own_prefetch_example_gets_no_card_it_is_no_hcc_chart(service):
    example = json.loads((REAL / "cds-hooks-spec-prefetch-example.json").read_text())["prefetch"]
    prefetch = {"patient": example["patient"], "observations-inr": example["hemoglobin-a1c"]}
    answer = post(service, view("example", prefetch=prefetch))  # not a 400: "..." is left out
    assert answer == {"cards": []}


@needs_reader
def test_an_hcc_chart_gets_its_card(service):
    answer = post(service, view(patient_id(), prefetch=prefetch_of(example_resources())))
    assert len(answer["cards"]) == 1


@needs_reader
@pytest.mark.parametrize(
    "change",
    [
        {"clinicalStatus": {"coding": [{"code": "resolved"}]}},
        {"verificationStatus": {"coding": [{"code": "refuted"}]}},
        {"code": {"coding": [{"system": "http://snomed.info/sct", "code": "15777000"}]}},
    ],
    ids=["resolved", "refuted", "another-disease"],
)
def test_a_chart_without_an_active_hcc_condition_gets_no_card(service, change):
    resources = example_resources()
    for resource in resources:
        if resource.get("id") == "hcc-primary":
            resource.update(change)
    assert post(service, view(patient_id(), prefetch=prefetch_of(resources))) == {"cards": []}


# --- paging, bounds, failed queries ------------------------------------------------------------


def _inr(ident: str, value: float, day: str) -> dict[str, Any]:
    resource = copy.deepcopy(next(r for r in example_resources() if r.get("id") == "lab-inr"))
    resource.update(id=ident, effectiveDateTime=day)
    resource["valueQuantity"]["value"] = value
    return resource


@needs_reader
def test_a_paged_prefetch_says_on_the_card_which_pages_were_not_read(service):
    prefetch = prefetch_of(example_resources())
    prefetch["observations-afp"]["link"] = [
        {"relation": "next", "url": "http://127.0.0.1:9/fhir/Observation?page=2"}
    ]
    detail = detail_of(post(service, view(patient_id(), prefetch=prefetch)))
    assert "observations-afp: the EHR sent one page of several" in detail
    del prefetch["observations-afp"]["link"]
    assert "one page of several" not in detail_of(
        post(service, view(patient_id(), prefetch=prefetch))
    )


@needs_reader
def test_an_operation_outcome_in_the_prefetch_says_the_query_failed(service):
    prefetch = prefetch_of(example_resources())
    prefetch["observations-inr"] = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "timeout", "diagnostics": "lab system offline"}],
    }
    detail = detail_of(post(service, view(patient_id(), prefetch=prefetch)))
    assert "observations-inr: the EHR's query failed (lab system offline)" in detail
    prefetch["observations-inr"] = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "information", "code": "informational"}],
    }
    assert "query failed" not in detail_of(post(service, view(patient_id(), prefetch=prefetch)))


@needs_reader
def test_a_big_valid_prefetch_is_answered_not_refused(service):
    resources = example_resources()
    vitals = [
        {
            "resourceType": "Observation",
            "id": f"hr-{n}",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
            "subject": {"reference": f"Patient/{patient_id()}"},
            "valueQuantity": {"value": 70 + n % 20, "unit": "/min"},
        }
        for n in range(4000)
    ]
    prefetch = prefetch_of(resources)
    prefetch["observations-weight"] = searchset(vitals)  # 4000 resources the mapping skips
    assert len(post(service, view(patient_id(), prefetch=prefetch))["cards"]) == 1


# --- medication records -------------------------------------------------------------------------


def _administration(ident: str, code: str, medication_reference: bool = False) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "MedicationAdministration",
        "id": ident,
        "status": "in-progress",
        "subject": {"reference": f"Patient/{patient_id()}"},
        "effectiveDateTime": "2026-11-20",
    }
    if medication_reference:
        resource["medicationReference"] = {"reference": f"Medication/med-{code}"}
    else:
        resource["medicationCodeableConcept"] = {"coding": [{"system": RXNORM, "code": code}]}
    return resource


@needs_reader
def test_an_ongoing_atezolizumab_bevacizumab_given_as_administrations_is_seen(service, fhir_server):
    base = [r for r in example_resources() if r["resourceType"] != "MedicationRequest"]
    given = [
        _administration("ma-atezo", "1792776"),
        _administration("ma-bev", "253337"),
    ]
    medications = [
        {
            "resourceType": "Medication",
            "id": f"med-{code}",
            "code": {"coding": [{"system": RXNORM, "code": code}]},
        }
        for code in ("1792776", "253337")
    ]
    fhir_server.resources = [*base, *given, *medications]
    prefetch = prefetch_of(base)
    del prefetch["medicationAdministrations"]  # the EHR did not send them: the service asks
    body = view(patient_id(), prefetch=prefetch, **authorization(fhir_server.base))
    detail = detail_of(post(service, body))
    assert any(path.startswith("/fhir/MedicationAdministration?") for path, _ in fhir_server.seen)
    assert "prior systemic therapies [(regimen atezolizumab bevacizumab)] (MedicationAdm" in detail
    assert "PriorTherapy(" not in detail  # no Python repr on a card
    fhir_server.resources = example_resources()
    missed = detail_of(post(service, view(patient_id(), prefetch=prefetch_of(base))))
    assert "atezolizumab bevacizumab" not in missed.split("Patient data used")[1]


# --- the sandbox's request shape ----------------------------------------------------------------


@needs_reader
def test_the_sandbox_shape_keys_it_could_not_fetch_are_absent_and_read_from_fhir_server(
    service, fhir_server
):
    prefetch = prefetch_of(example_resources())
    for key in ("conditions", "observations-inr"):
        del prefetch[key]  # the sandbox leaves out a key whose query failed (not null)
    body = {
        "hookInstance": "0b3a5d8e-4c6f-4a7b-9e2d-1f0a9b8c7d6e",
        "hook": "patient-view",
        "fhirServer": f"{fhir_server.base}/fhir",
        "context": {"patientId": patient_id(), "userId": "Practitioner/onc-1"},
        "prefetch": prefetch,
        "fhirAuthorization": authorization(fhir_server.base)["fhirAuthorization"],
    }
    assert len(post(service, body)["cards"]) == 1
    assert any(path.startswith("/fhir/Condition?") for path, _ in fhir_server.seen)


# --- suggestions carry a coded drug, or the card says why not ---------------------------------


def test_order_suggestions_are_coded_or_the_card_says_there_is_no_verified_code():
    from hcc_asp.knowledge.base import shipped
    from hcc_asp.patient import read_patient
    from hcc_asp.recommend import recommend
    from hcc_asp.service import cards

    root = Path(__file__).parent.parent
    document = recommend(read_patient(str(root / "examples" / "first-line-complete.yaml")))
    vocabulary = shipped().regimens
    card = cards.order_card(
        document,
        cards.GuidelineInfo(id="asco-2024", title="ASCO", citation="", doi=""),
        {r.id: r.name for r in vocabulary},
        {r.id: tuple(d for d, _ in r.drugs) for r in vocabulary},
        regimen="sorafenib",
        drafts=[{"resourceType": "MedicationRequest", "id": "draft-1", "intent": "order"}],
        hook="order-select",
        hook_instance="6a1e3b7a-9c1d-4e5f-8a2b-3c4d5e6f7a8c",
        patient_id="p1",
        explanation_url="http://127.0.0.1/explain",
    )
    assert card is not None
    (suggestion,) = card.suggestions or []  # atezolizumab + bevacizumab: both drugs coded
    created = [a.resource for a in suggestion.actions if a.type == "create"]
    assert [r["medicationCodeableConcept"]["coding"][0]["code"] for r in created] == [
        "1792776",
        "253337",
    ]
    # durvalumab + tremelimumab is offered too, but tremelimumab has no verified RxNorm code here
    assert "no verified RxNorm code for tremelimumab" in card.detail
    assert "order it in the EHR" in card.detail
