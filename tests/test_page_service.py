"""The page's requests over HTTP against a real uvicorn: answers, problems, files, safety headers.

The browser tests (test_page_browser.py) use the page; these hold the contract under it: the
answer is the report renderer's fragment, a problem is the patient model's own line keyed by its
path, a patient file goes out and comes back the same, the Content-Security-Policy is strict,
and the service's bounds and JWT option apply to the page's requests.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import httpx
import jwt
import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import ec
from service_support import running_service

from hcc_asp.patient import patient_from_data
from hcc_asp.patient.model import Patient
from hcc_asp.patient.section import Section
from hcc_asp.render import html
from hcc_asp.web import form
from hcc_asp.web.answer import fragment, patient_file_data

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
ISSUER = "https://ehr.example.org/"
KID = "page-kid"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("page-service")
    options = ["--feedback-file", str(workdir / "feedback.jsonl"), "--max-body-bytes", "200000"]
    with running_service(*options, workdir=workdir) as base:
        yield base


def answer(base: str, **body) -> httpx.Response:
    return httpx.post(f"{base}/page/answer", json=body, timeout=60)


def model_keys(model: type, prefix: str = "") -> set[str]:
    keys = set()
    for name, field in model.model_fields.items():
        key = prefix + (field.alias or name)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, Section):
            keys |= model_keys(annotation, key + ".")
        else:
            keys.add(key)
    return keys


def test_the_form_has_a_field_for_every_key_of_the_patient_file():
    keys = model_keys(Patient)
    keys.discard("prior_therapies")
    covered = set(form.form_keys())
    assert keys - covered == set(), "patient-file keys without a field on the page"
    assert {f"prior_therapies[].{k}" for k in model_keys(form_prior_model())} <= covered


def form_prior_model() -> type:
    from hcc_asp.patient.model import PriorTherapy

    return PriorTherapy


def test_the_answer_is_the_report_pages_own_rendering(service):
    data = yaml.safe_load((EXAMPLES / "first-line-complete.yaml").read_text())
    response = answer(service, patient=data, guideline="asco-2024")
    assert response.status_code == 200
    body = response.json()
    assert body["problems"] == []
    from hcc_asp.recommend import recommend

    document = recommend(patient_from_data(data), "asco-2024")
    assert body["html"] == fragment(html.recommend_page(document))
    assert 'data-regimen="atezolizumab_bevacizumab" data-status="recommended"' in body["html"]


def test_a_problem_is_the_models_own_line_keyed_by_its_path(service):
    patient = {"labs": {"albumin_g_l": "thirty"}, "prior_therapies": [{"regimen": "aspirin"}]}
    body = answer(service, patient=patient).json()
    assert body["html"] == ""
    assert body["problems"] == [
        {"key": "labs.albumin_g_l", "text": "must be a number, got 'thirty'"},
        {
            "key": "prior_therapies[0].regimen",
            "text": "unknown regimen 'aspirin'; `hcc-asp regimens` lists ids and aliases",
        },
    ]


def test_a_request_the_page_never_sends_is_400_naming_it(service):
    response = answer(service, patient={}, view="poster", guideline="asco-1999")
    assert response.status_code == 400
    problems = [i["diagnostics"] for i in response.json()["issue"]]
    assert problems[0].startswith("guideline: unknown 'asco-1999'")
    assert problems[1].startswith("view: unknown 'poster'")


def test_every_page_response_carries_a_strict_content_security_policy(service):
    for path in ("/", "/static/page.js", "/static/page.css", "/static/report.css"):
        response = httpx.get(service + path, timeout=30)
        assert response.status_code == 200, path
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert response.headers["cache-control"] == "no-store"
    page = httpx.get(service + "/", timeout=30).text
    assert "<script>" not in page and "style=" not in page and "http" not in page.split("<body>")[1]
    assert httpx.get(service + "/static/secrets.txt", timeout=30).status_code == 404


def test_a_patient_file_downloaded_opens_back_to_the_same_patient(service):
    data = yaml.safe_load((EXAMPLES / "after-sorafenib.yaml").read_text())
    response = httpx.post(f"{service}/page/patient-file", json={"patient": data}, timeout=30)
    assert response.status_code == 200
    assert 'filename="example-after-sorafenib.yaml"' in response.headers["content-disposition"]
    opened = httpx.post(
        f"{service}/page/open",
        content=response.content,
        headers={"X-File-Name": "example-after-sorafenib.yaml"},
        timeout=30,
    ).json()
    assert opened["kind"] == "patient file"
    assert opened["patient"] == patient_file_data(patient_from_data(data))


def test_an_empty_comorbidities_section_survives_the_round_trip():
    # Absent surgery/thromboembolism dates mean "none known" only inside a written section.
    patient = patient_from_data({"comorbidities": {}, "labs": {"inr": 1.1}})
    assert patient_file_data(patient) == {"labs": {"inr": 1.1}, "comorbidities": {}}
    assert "liver" not in patient_file_data(patient_from_data({}))


def test_a_fhir_record_opens_with_the_reader_of_the_commands(service):
    raw = (EXAMPLES / "fhir" / "sorafenib-progression.json").read_bytes()
    opened = httpx.post(
        f"{service}/page/open", content=raw, headers={"X-File-Name": "record.json"}, timeout=60
    ).json()
    assert opened["kind"] == "FHIR record"
    assert opened["patient"]["prior_therapies"][0]["regimen"] == "sorafenib"


def test_a_file_that_is_not_a_patient_says_why_and_one_over_the_bound_is_413(service):
    bad = httpx.post(
        f"{service}/page/open", content=b"ecog: [1", headers={"X-File-Name": "x.yaml"}, timeout=30
    ).json()
    assert bad["problems"] and "patient" not in bad
    huge = httpx.post(f"{service}/page/open", content=b"#" * 300_000, timeout=30)
    assert huge.status_code == 413


def test_an_unknown_or_expired_link_is_404(service):
    response = httpx.get(f"{service}/page/link/AAAAAAAAAAAAAAAAAAAAAA", timeout=30)
    assert response.status_code == 404


@pytest.fixture(scope="module")
def key():
    return ec.generate_private_key(ec.SECP384R1())


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory, key):
    workdir = tmp_path_factory.mktemp("page-jwt")
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    public.update(kid=KID, use="sig", alg="ES384")
    (workdir / "ehr.jwks.json").write_text(json.dumps({"keys": [public]}))
    options = ["--jwks", str(workdir / "ehr.jwks.json"), "--jwt-issuer", ISSUER]
    options += ["--public-url", "{base}"]  # the tokens' audience is the operator's URL
    options += ["--feedback-file", str(workdir / "feedback.jsonl")]
    with running_service(*options, workdir=workdir) as base:
        yield base


def bearer(key, audience: str) -> dict[str, str]:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": audience,
        "exp": now + 300,
        "iat": now,
        "jti": str(uuid.uuid4()),
    }
    signed = jwt.encode(claims, key, algorithm="ES384", headers={"kid": KID, "typ": "JWT"})
    return {"Authorization": f"Bearer {signed}"}


def test_with_the_ehrs_jwt_required_the_page_answers_only_a_jwt_or_a_cards_link(guarded, key):
    assert httpx.get(guarded + "/", timeout=30).status_code == 200  # no patient data in it
    refused = httpx.post(f"{guarded}/page/answer", json={"patient": {}}, timeout=30)
    assert refused.status_code == 401
    signed = httpx.post(
        f"{guarded}/page/answer",
        json={"patient": {}},
        headers=bearer(key, f"{guarded}/page/answer"),
        timeout=60,
    )
    assert signed.status_code == 200
    hook = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/1", "patientId": "p1"},
        "prefetch": {
            "patient": {"resourceType": "Patient", "id": "p1"},
            # patient-view answers HCC charts only: an active liver cell carcinoma
            "conditions": {
                "resourceType": "Bundle",
                "type": "searchset",
                "entry": [
                    {
                        "resource": {
                            "resourceType": "Condition",
                            "id": "hcc",
                            "clinicalStatus": {"coding": [{"code": "active"}]},
                            "code": {
                                "coding": [
                                    {"system": "http://snomed.info/sct", "code": "109841003"}
                                ]
                            },
                            "subject": {"reference": "Patient/p1"},
                        }
                    }
                ],
            },
        },
    }
    url = f"{guarded}/cds-services/hcc-asp-therapy"
    cards = httpx.post(url, json=hook, headers=bearer(key, url), timeout=60).json()["cards"]
    link = next(x["url"] for x in cards[0]["links"] if x["label"].startswith("What if"))
    token = link.split("#link=")[1].split("&")[0]
    record = httpx.get(f"{guarded}/page/link/{token}", timeout=30)
    assert record.status_code == 200 and record.json()["patient"]["id"] == "p1"
    with_link = httpx.post(
        f"{guarded}/page/answer",
        json={"patient": {"ecog": 2}},
        headers={"X-HCC-ASP-Link": token},
        timeout=60,
    )
    assert with_link.status_code == 200
    forged = httpx.post(
        f"{guarded}/page/answer",
        json={"patient": {}},
        headers={"X-HCC-ASP-Link": "A" * 22},
        timeout=30,
    )
    assert forged.status_code == 401
