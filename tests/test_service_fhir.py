"""The hooks answered from the EHR's FHIR data: prefetch, or the EHR's FHIR server.

The FHIR server is a small real HTTP server started by the test (``http.server`` on a loopback
port) that serves the resources of a shipped FHIR example with bearer-token checks, paging and
a deliberately slow path; the CDS service is a real uvicorn in a subprocess. Patient-level
answers need the FHIR patient reader of the patient input (``hcc_asp.patient.fhir``).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from conftest import ROOT
from service_support import assert_card_shape, assert_operation_outcome, running_service

from hcc_asp.service.fhir import UNAVAILABLE

EXAMPLE = ROOT / "examples" / "fhir" / "sorafenib-progression.json"
TOKEN = "opaque-token-for-hcc-asp"
WORKDIRS: dict[str, Path] = {}
PREFETCH_TYPES = {
    "observations-bilirubin": "Observation",
    "observations-albumin": "Observation",
    "observations-inr": "Observation",
    "observations-afp": "Observation",
    "observations-platelets": "Observation",
    "observations-ecog": "Observation",
    "observations-weight": "Observation",
    "conditions": "Condition",
    "medicationRequests": "MedicationRequest",
    "medicationAdministrations": "MedicationAdministration",
    "medicationStatements": "MedicationStatement",
}


def _reader_present() -> bool:
    try:
        import hcc_asp.patient.fhir  # noqa: F401
    except ImportError:
        return False
    return EXAMPLE.exists()


needs_reader = pytest.mark.skipif(
    not _reader_present(), reason="the FHIR patient reader (hcc_asp.patient.fhir) is not built"
)


def example_resources() -> list[dict[str, Any]]:
    bundle = json.loads(EXAMPLE.read_text())
    return [entry["resource"] for entry in bundle["entry"]]


def searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [{"resource": r} for r in resources],
    }


def prefetch_of(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """What an EHR would send for the discovery's prefetch templates."""
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    prefetch: dict[str, Any] = {"patient": patient}
    for key, kind in PREFETCH_TYPES.items():
        prefetch[key] = searchset([r for r in resources if matches(r, kind, key)])
    return prefetch


def matches(resource: dict[str, Any], kind: str, key: str) -> bool:
    """Whether a resource answers a prefetch key: its type, and for a lab its LOINC code."""
    from hcc_asp.service.fhir import OBSERVATION_CODES

    if resource["resourceType"] != kind:
        return False
    if kind != "Observation":
        return True
    codes = OBSERVATION_CODES[key.removeprefix("observations-")]
    return any(c.get("code") in codes for c in resource.get("code", {}).get("coding", []))


class FhirServer:
    """A FHIR server for one patient: reads, searches (two pages each), bearer token required."""

    def __init__(self, resources: list[dict[str, Any]]) -> None:
        self.resources = resources
        self.seen: list[tuple[str, str | None]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.seen.append((self.path, self.headers.get("Authorization")))
                status, body = outer.answer(self.path, self.headers.get("Authorization"))
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/fhir+json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the service gave up waiting (the timeout test)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, path: str, authorization: str | None) -> tuple[int, Any]:
        url = urlsplit(path)
        if url.path.startswith("/slow/"):
            time.sleep(10)
            return 200, {}
        if url.path.startswith("/broken/"):
            return 200, {"not": "fhir"}
        if authorization != f"Bearer {TOKEN}":
            return 401, {"resourceType": "OperationOutcome", "issue": []}
        kind = url.path.removeprefix("/fhir/")
        if kind.startswith("Patient/"):
            wanted = kind.split("/", 1)[1]
            found = [r for r in self.resources if r["resourceType"] == "Patient"]
            found = [r for r in found if r.get("id") == wanted]
            return (200, found[0]) if found else (404, {"resourceType": "OperationOutcome"})
        query = parse_qs(url.query)
        codes = {c.rsplit("|", 1)[-1] for c in ",".join(query.get("code", [])).split(",") if c}
        matches = [
            r
            for r in self.resources
            if r["resourceType"] == kind
            and (
                not codes
                or any(c.get("code") in codes for c in r.get("code", {}).get("coding", []))
            )
        ]
        page = int(query.get("page", ["1"])[0])
        half = (len(matches) + 1) // 2
        bundle = searchset(matches[:half] if page == 1 else matches[half:])
        if page == 1 and len(matches) > 1:
            next_query = url.query + "&page=2"
            bundle["link"] = [{"relation": "next", "url": f"{self.base}{url.path}?{next_query}"}]
        return 200, bundle

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def fhir_server() -> Iterator[FhirServer]:
    server = FhirServer(example_resources() if EXAMPLE.exists() else [])
    yield server
    server.close()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, fhir_server: FhirServer) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("service-fhir")
    # The whole fetch of a call (every key and page) within 4 s, even on a loaded machine.
    options = ["--guideline", "asco-2024", "--guideline", "esmo-2025", "--fhir-timeout", "4"]
    options += ["--allow-fhir-server", f"{fhir_server.base}/"]  # a loopback server: named
    options += ["--feedback-file", str(workdir / "feedback.jsonl")]
    with running_service(*options, workdir=workdir) as base:
        WORKDIRS[base] = workdir
        yield base


def view(patient_id: str, **changes: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": "5f1e3b7a-9c1d-4e5f-8a2b-3c4d5e6f7a8b",
        "context": {"userId": "Practitioner/onc-1", "patientId": patient_id},
    }
    request.update(changes)
    return request


def authorization(base: str) -> dict[str, Any]:
    return {
        "fhirServer": f"{base}/fhir",
        "fhirAuthorization": {
            "access_token": TOKEN,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "user/Patient.read user/Observation.read user/Condition.read",
            "subject": "hcc-asp",
        },
    }


def post(service: str, service_id: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{service}/cds-services/{service_id}", json=body, timeout=60)


def patient_id() -> str:
    return next(r["id"] for r in example_resources() if r["resourceType"] == "Patient")


def test_a_fhir_server_that_does_not_answer_in_time_is_412(service, fhir_server):
    body = view("p1", fhirServer=f"{fhir_server.base}/slow")
    response = httpx.post(f"{service}/cds-services/hcc-asp-therapy", json=body, timeout=9)
    assert_operation_outcome(response, 412, "could not be had within the service's limits")


def test_a_fhir_server_refusing_the_token_is_412_without_saying_its_answer(service, fhir_server):
    body = view("p1", fhirServer=f"{fhir_server.base}/fhir")  # no fhirAuthorization
    lines = assert_operation_outcome(post(service, "hcc-asp-therapy", body), 412)
    assert lines == ["patient: " + UNAVAILABLE]  # not "HTTP 401": no probing through the service
    log = WORKDIRS[service] / f"serve-{service.rsplit(':', 1)[1]}.log"
    assert "HTTP 401" in log.read_text()  # the operator reads the reason in the service's log


def test_a_fhir_server_sending_something_else_than_fhir_is_412(service, fhir_server):
    body = view("p1", fhirServer=f"{fhir_server.base}/broken")
    lines = assert_operation_outcome(post(service, "hcc-asp-therapy", body), 412)
    assert lines == ["patient: " + UNAVAILABLE]


@needs_reader
def test_patient_view_from_prefetch_gives_one_valid_card_per_guideline(service):
    body = view(patient_id(), prefetch=prefetch_of(example_resources()))
    response = post(service, "hcc-asp-therapy", body)
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    assert [c["summary"].split(":")[0] for c in cards] == ["ASCO 2024", "ESMO 2025"]
    for card in cards:
        assert_card_shape(card)
        # the patient's values name the resource they came from
        assert "bilirubin 22.0 µmol/L (Observation/lab-bili, " in card["detail"]
        assert "(`labs.bilirubin_umol_l`)" in card["detail"]
    page = httpx.get(cards[0]["links"][0]["url"], timeout=60)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")  # the report page (issue 11)
    assert "<details" in page.text  # each regimen's derivation, collapsible
    assert "sorafenib" in page.text.lower()
    assert "Observation/lab-bili" in page.text  # provenance travels to the explanation


@needs_reader
def test_fhir_server_path_gives_the_same_cards_as_prefetch(service, fhir_server):
    prefetched = post(
        service, "hcc-asp-therapy", view(patient_id(), prefetch=prefetch_of(example_resources()))
    )
    fhir_server.seen.clear()
    fetched = post(
        service, "hcc-asp-therapy", view(patient_id(), **authorization(fhir_server.base))
    )
    assert fetched.status_code == 200, fetched.text
    strip = lambda cards: [{k: v for k, v in c.items() if k != "links"} for c in cards]  # noqa: E731
    assert strip(fetched.json()["cards"]) == strip(prefetched.json()["cards"])
    paths = [path for path, _ in fhir_server.seen]
    assert f"/fhir/Patient/{patient_id()}" in paths
    assert any(p.startswith("/fhir/Observation?patient=") and "page=2" in p for p in paths)
    assert all(auth == f"Bearer {TOKEN}" for _, auth in fhir_server.seen)


@needs_reader
def test_only_the_keys_missing_from_prefetch_are_fetched(service, fhir_server):
    prefetch = prefetch_of(example_resources())
    del prefetch["conditions"]
    fhir_server.seen.clear()
    response = post(
        service,
        "hcc-asp-therapy",
        view(patient_id(), prefetch=prefetch, **authorization(fhir_server.base)),
    )
    assert response.status_code == 200, response.text
    assert {urlsplit(p).path for p, _ in fhir_server.seen} == {"/fhir/Condition"}


@needs_reader
def test_data_not_sent_is_said_on_the_card_as_what_to_record(service):
    hcc = "109841003"  # the HCC condition stays: patient-view answers HCC charts only
    resources = [
        r
        for r in example_resources()
        if r["resourceType"] != "Condition" or hcc in json.dumps(r.get("code"))
    ]
    response = post(service, "hcc-asp-therapy", view(patient_id(), prefetch=prefetch_of(resources)))
    assert response.status_code == 200, response.text
    detail = response.json()["cards"][0]["detail"]
    assert "**To record**" in detail and "`liver.ascites`" in detail


@needs_reader
def test_order_select_of_a_regimen_not_offered_says_why_not(service):
    context = {
        "userId": "Practitioner/onc-1",
        "patientId": patient_id(),
        "selections": ["MedicationRequest/draft-1"],
        "draftOrders": searchset(
            [
                {
                    "resourceType": "MedicationRequest",
                    "id": "draft-1",
                    "status": "draft",
                    "intent": "order",
                    "subject": {"reference": f"Patient/{patient_id()}"},
                    "medicationCodeableConcept": {"text": "Sorafenib 400 mg tablet"},
                }
            ]
        ),
    }
    body = {
        **view(patient_id(), prefetch=prefetch_of(example_resources())),
        "hook": "order-select",
        "context": context,
    }
    response = post(service, "hcc-asp-order-select", body)
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    assert cards, "sorafenib again after progression on sorafenib is not offered"
    for card in cards:
        assert_card_shape(card)
        assert "sorafenib" in card["summary"].lower()
        if "not encoded" in card["summary"]:
            # ESMO 2025 is encoded for first line only: not encoded is not "not offered".
            assert card["indicator"] == "info" and "ESMO 2025" in card["summary"]
        else:
            assert card["indicator"] in ("warning", "critical")
    assert any(card["indicator"] == "warning" for card in cards)
    why_not = httpx.get(cards[0]["links"][0]["url"], timeout=60)
    assert why_not.status_code == 200
    assert why_not.headers["content-type"].startswith("text/html")
    assert "sorafenib" in why_not.text and "MedicationRequest/sorafenib-1" in why_not.text


def test_the_prefetch_keys_sent_by_these_tests_are_the_discovery_keys():
    from hcc_asp.service.fhir import PREFETCH

    assert set(PREFETCH) == {"patient", *PREFETCH_TYPES}


@needs_reader
def test_feedback_on_a_card_names_what_the_card_said(service):
    body = view(patient_id(), prefetch=prefetch_of(example_resources()))
    card = post(service, "hcc-asp-therapy", body).json()["cards"][0]
    entry = {
        "card": card["uuid"],
        "outcome": "overridden",
        "outcomeTimestamp": "2026-11-30T10:00:00Z",
    }
    url = f"{service}/cds-services/hcc-asp-therapy/feedback"
    assert httpx.post(url, json={"feedback": [entry]}, timeout=10).status_code == 200
    lines = [json.loads(x) for x in (WORKDIRS[service] / "feedback.jsonl").read_text().splitlines()]
    assert lines[-1]["card"] == card["uuid"]
    assert lines[-1]["cardSaid"]["summary"] == card["summary"]
    assert lines[-1]["cardSaid"]["patient"] == patient_id()


@needs_reader
def test_a_value_the_reader_cannot_use_is_named_on_the_card_not_a_400(service):
    resources = example_resources()
    for resource in resources:
        if resource.get("id") == "lab-bili":
            resource["valueQuantity"]["unit"] = "furlongs"
            resource["valueQuantity"]["code"] = "furlongs"
    body = view(patient_id(), prefetch=prefetch_of(resources))
    response = post(service, "hcc-asp-therapy", body)
    assert response.status_code == 200, response.text
    detail = response.json()["cards"][0]["detail"]
    assert "Observation/lab-bili valueQuantity.unit: 'furlongs' cannot be converted" in detail
    assert "left unknown" in detail


@needs_reader
def test_prefetch_that_is_not_fhir_json_is_400_naming_the_key(service):
    body = view(patient_id(), prefetch={"patient": {"id": "x"}})
    lines = assert_operation_outcome(post(service, "hcc-asp-therapy", body), 400)
    assert any(line.startswith("prefetch.patient: not a FHIR resource") for line in lines), lines
