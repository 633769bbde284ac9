"""The CDS Hooks service over HTTP: a real uvicorn on a loopback port, spoken to with httpx.

Discovery, every refused request (400 with an OperationOutcome and no traceback, 404, 412, 413),
CORS, and the feedback log. The hooks answered from FHIR data are in test_service_fhir.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from service_support import assert_operation_outcome, free_port, running_service

PATIENT_VIEW = "hcc-asp-therapy"
#: A loopback port nothing listens on, named as an allowed FHIR server.
CLOSED_PORT = free_port()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    workdir = tmp_path_factory.mktemp("service")
    feedback = workdir / "feedback.jsonl"
    options = ["--feedback-file", str(feedback), "--max-body-bytes", "65536"]
    options += ["--cors-origin", "https://sandbox.cds-hooks.org"]
    options += ["--allow-fhir-server", f"http://127.0.0.1:{CLOSED_PORT}/"]
    with running_service(*options, workdir=workdir) as base:
        yield base, feedback


def call(base: str, service_id: str, body: object) -> httpx.Response:
    return httpx.post(f"{base}/cds-services/{service_id}", json=body, timeout=30)


def view_request(**changes: object) -> dict[str, object]:
    request: dict[str, object] = {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/example", "patientId": "1288992"},
        "prefetch": {"patient": {"resourceType": "Patient", "id": "1288992"}},
    }
    request.update(changes)
    return request


def test_discovery_lists_each_hook_with_prefetch_templates_for_the_data_the_kb_reads(service):
    base, _ = service
    response = httpx.get(f"{base}/cds-services", timeout=10)
    assert response.status_code == 200
    services = response.json()["services"]
    assert {s["hook"] for s in services} == {"patient-view", "order-select", "order-sign"}
    for entry in services:
        assert set(entry) == {"hook", "title", "description", "id", "prefetch", "usageRequirements"}
        assert entry["title"] and entry["description"] and entry["usageRequirements"]
        prefetch = entry["prefetch"]
        assert prefetch["patient"] == "Patient/{{context.patientId}}"
        assert prefetch["conditions"] == "Condition?patient={{context.patientId}}"
        assert prefetch["medicationRequests"].startswith("MedicationRequest?patient=")
        assert prefetch["medicationStatements"].startswith("MedicationStatement?patient=")
        # bilirubin, albumin, INR, AFP, platelets, ECOG by their LOINC codes
        observations = " ".join(v for k, v in prefetch.items() if k.startswith("observations"))
        for code in ("1975-2", "14631-6", "1751-7", "6301-6", "1834-1", "53962-7", "777-3"):
            assert f"http://loinc.org|{code}" in observations
        assert "89247-1" in prefetch["observations-ecog"]
        # each lab its own key, newest first and few; medications with their Medications
        assert "&_sort=-date&_count=3" in prefetch["observations-inr"]
        assert (
            "_include=MedicationAdministration:medication"
            in (prefetch["medicationAdministrations"])
        )


def test_malformed_json_is_400_with_the_position(service):
    base, _ = service
    response = httpx.post(
        f"{base}/cds-services/{PATIENT_VIEW}",
        content=b'{"hook": "patient-view",',
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert_operation_outcome(response, 400, "malformed JSON", "line 1")


def test_a_body_that_is_not_an_object_is_400(service):
    base, _ = service
    assert_operation_outcome(call(base, PATIENT_VIEW, ["patient-view"]), 400, "not a JSON object")


def test_unknown_hook_is_400_naming_the_hooks_served(service):
    base, _ = service
    response = call(base, PATIENT_VIEW, view_request(hook="chart-open"))
    assert_operation_outcome(response, 400, "'chart-open'", "patient-view", "order-sign")


def test_a_hook_sent_to_the_service_of_another_hook_is_400(service):
    base, _ = service
    response = call(base, "hcc-asp-order-sign", view_request())
    assert_operation_outcome(response, 400, "answers order-sign, not 'patient-view'")


def test_missing_context_patient_id_is_400(service):
    base, _ = service
    response = call(base, PATIENT_VIEW, view_request(context={"userId": "Practitioner/example"}))
    assert assert_operation_outcome(response, 400) == ["context.patientId: required, missing"]


def test_missing_hook_instance_and_context_are_each_named(service):
    base, _ = service
    lines = assert_operation_outcome(call(base, PATIENT_VIEW, {"hook": "patient-view"}), 400)
    assert lines == ["hookInstance: required, missing", "context: required, missing"]


def test_prefetch_that_is_not_fhir_is_400_naming_the_key(service):
    base, _ = service
    bad = {"patient": {"resourceType": "Patient", "id": "1288992"}, "observations": {"code": 1}}
    response = call(base, PATIENT_VIEW, view_request(prefetch=bad))
    assert_operation_outcome(response, 400, "prefetch.observations: not a FHIR resource")
    entries = {"resourceType": "Bundle", "entry": [{"resource": "Observation/1"}]}
    response = call(base, PATIENT_VIEW, view_request(prefetch={"observations": entries}))
    assert_operation_outcome(response, 400, "prefetch.observations.entry[0].resource")


def test_a_patient_other_than_the_context_patient_is_400(service):
    base, _ = service
    other = {"patient": {"resourceType": "Patient", "id": "someone-else"}}
    response = call(base, PATIENT_VIEW, view_request(prefetch=other))
    assert_operation_outcome(response, 400, "Patient/someone-else is not context.patientId")


def test_fhir_authorization_without_fhir_server_is_400(service):
    base, _ = service
    token = {
        "access_token": "opaque",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "user/Patient.read",
        "subject": "hcc-asp",
    }
    response = call(base, PATIENT_VIEW, view_request(fhirAuthorization=token))
    assert_operation_outcome(response, 400, "fhirAuthorization is given without fhirServer")


def test_order_hooks_need_draft_orders_as_a_bundle_and_order_select_its_selections(service):
    base, _ = service
    context = {"userId": "Practitioner/1", "patientId": "1288992", "draftOrders": {"entry": []}}
    request = view_request(hook="order-sign", context=context)
    assert_operation_outcome(call(base, "hcc-asp-order-sign", request), 400, "draftOrders")
    context = {**context, "draftOrders": {"resourceType": "Bundle", "entry": []}}
    request = view_request(hook="order-select", context=context)
    response = call(base, "hcc-asp-order-select", request)
    assert_operation_outcome(response, 400, "context.selections: required")


def test_no_patient_data_at_all_is_412(service):
    base, _ = service
    response = call(base, PATIENT_VIEW, view_request(prefetch=None))
    assert_operation_outcome(response, 412, "no Patient resource")


def test_an_unreachable_fhir_server_is_412_not_a_guess(service):
    base, _ = service
    request = view_request(prefetch=None, fhirServer=f"http://127.0.0.1:{CLOSED_PORT}/fhir")
    response = call(base, PATIENT_VIEW, request)
    assert_operation_outcome(response, 412, "could not be had")


def test_unknown_service_is_404(service):
    base, _ = service
    assert_operation_outcome(call(base, "no-such-service", view_request()), 404, "known:")


def test_request_body_over_the_bound_is_413_before_parsing(service):
    base, _ = service
    big = b'{"hook": "patient-view", "pad": "' + b"x" * 70_000 + b'"}'
    response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW}", content=big, timeout=10)
    assert_operation_outcome(response, 413, "larger than 65536 bytes")

    def chunks():  # no Content-Length: the bound holds on the bytes received
        for _ in range(20):
            yield b" " * 4096

    response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW}", content=chunks(), timeout=10)
    assert_operation_outcome(response, 413)


def test_json_nested_too_deep_is_400(service):
    base, _ = service
    deep = "[" * 40 + "]" * 40
    body = '{"hook": "patient-view", "x": ' + deep + "}"
    response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW}", content=body, timeout=10)
    assert_operation_outcome(response, 400, "nested deeper than 32")


def test_cors_preflight_and_answers_carry_the_allowed_origin(service):
    base, _ = service
    origin = "https://sandbox.cds-hooks.org"
    preflight = httpx.options(
        f"{base}/cds-services/{PATIENT_VIEW}",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
        timeout=10,
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    answer = httpx.get(f"{base}/cds-services", headers={"Origin": origin}, timeout=10)
    assert answer.headers["access-control-allow-origin"] == origin
    other = httpx.get(f"{base}/cds-services", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_feedback_is_appended_as_json_lines(service):
    base, feedback = service
    accepted = {
        "card": "4e0a3a1e-3283-4575-ab82-028d55fe2719",
        "outcome": "accepted",
        "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
        "outcomeTimestamp": "2021-12-11T10:05:31Z",
    }
    overridden = {
        "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
        "outcome": "overridden",
        "overrideReason": {
            "reason": {"code": "d7ecf885", "system": "https://example.com/override"},
            "userComment": "Patient prefers oral therapy.",
        },
        "outcomeTimestamp": "2020-12-11T00:00:00Z",
    }
    url = f"{base}/cds-services/{PATIENT_VIEW}/feedback"
    response = httpx.post(url, json={"feedback": [accepted]}, timeout=10)
    assert response.status_code == 200 and response.json() == {"recorded": 1}
    response = httpx.post(url, json={"feedback": [overridden]}, timeout=10)
    assert response.status_code == 200
    lines = [json.loads(line) for line in feedback.read_text().splitlines()]
    assert [line["card"] for line in lines] == [accepted["card"], overridden["card"]]
    assert lines[0]["service"] == PATIENT_VIEW and lines[0]["outcome"] == "accepted"
    assert lines[0]["acceptedSuggestions"] == accepted["acceptedSuggestions"]
    assert lines[1]["overrideReason"]["userComment"] == "Patient prefers oral therapy."
    assert all(line["received"].endswith("Z") for line in lines)


def test_feedback_accepted_without_the_suggestions_is_400_and_not_recorded(service):
    base, feedback = service
    before = feedback.read_text() if feedback.exists() else ""
    entry = {"card": "x", "outcome": "accepted", "outcomeTimestamp": "2021-12-11T10:05:31Z"}
    url = f"{base}/cds-services/{PATIENT_VIEW}/feedback"
    response = httpx.post(url, json={"feedback": [entry]}, timeout=10)
    assert_operation_outcome(response, 400, "feedback.0: outcome 'accepted' needs accepted")
    entry = {"card": "x", "outcome": "ignored", "outcomeTimestamp": "2021-12-11T10:05:31Z"}
    response = httpx.post(url, json={"feedback": [entry]}, timeout=10)
    assert_operation_outcome(response, 400, "feedback.0.outcome")
    assert (feedback.read_text() if feedback.exists() else "") == before


def test_an_unknown_or_malformed_explanation_link_is_404(service):
    base, _ = service
    response = httpx.get(f"{base}/explain/AAAAAAAAAAAAAAAAAAAAAA/asco-2024", timeout=10)
    assert_operation_outcome(response, 404, "unknown or expired link")
    response = httpx.get(f"{base}/explain/..%2F..%2Fetc/asco-2024", timeout=10)
    assert response.status_code == 404


def test_the_plain_cli_never_loads_the_service_libraries():
    import subprocess
    import sys

    code = (
        "import sys, hcc_asp.cli; print(sorted({'fastapi', 'uvicorn', 'jwt'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_serve_refuses_an_unknown_guideline_and_keys_without_an_issuer(tmp_path):
    from click.testing import CliRunner

    from hcc_asp.cli import main

    result = CliRunner().invoke(main, ["serve", "--guideline", "asco-1999"])
    assert result.exit_code == 2
    assert result.output.startswith("error: unknown guideline 'asco-1999'")
    keys = tmp_path / "keys.json"
    keys.write_text('{"keys": []}')
    result = CliRunner().invoke(main, ["serve", "--jwks", str(keys)])
    assert result.exit_code == 2
    assert "--jwks needs at least one --jwt-issuer" in result.output
