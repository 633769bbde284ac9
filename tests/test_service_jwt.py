"""The EHR's JWT (CDS Hooks "Trusting CDS Clients"): required when the operator gives keys.

A real service with a JWK Set file of one ES384 public key and one trusted issuer; tokens are
signed by the test like an EHR would. Without keys configured, no token is asked for (the other
service tests).
"""

from __future__ import annotations

import json
import time
import uuid

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from service_support import assert_operation_outcome, running_service

ISSUER = "https://fhir-ehr.example.com/"
KID = "example-kid"


@pytest.fixture(scope="module")
def keys():
    return ec.generate_private_key(ec.SECP384R1()), ec.generate_private_key(ec.SECP384R1())


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, keys) -> str:
    workdir = tmp_path_factory.mktemp("jwt")
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(keys[0].public_key()))
    public.update(kid=KID, use="sig", alg="ES384")
    (workdir / "ehr.jwks.json").write_text(json.dumps({"keys": [public]}))
    options = ["--jwks", str(workdir / "ehr.jwks.json"), "--jwt-issuer", ISSUER]
    options += ["--public-url", "{base}"]
    options += ["--feedback-file", str(workdir / "feedback.jsonl")]
    with running_service(*options, workdir=workdir) as base:
        yield base


def token(key, audience: str, **changes) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": audience, "exp": now + 300, "iat": now}
    claims["jti"] = str(uuid.uuid4())
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm="ES384", headers={"kid": KID, "typ": "JWT"})


def get(base: str, bearer: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    return httpx.get(f"{base}/cds-services", headers=headers, timeout=10)


def test_discovery_with_the_ehrs_signed_token_is_served(service, keys):
    response = get(service, token(keys[0], f"{service}/cds-services"))
    assert response.status_code == 200
    assert response.json()["services"]


def test_a_call_without_a_token_is_refused(service):
    response = get(service, None)
    assert_operation_outcome(response, 401, "no Authorization header")
    assert response.headers["www-authenticate"] == "Bearer"
    response = httpx.post(f"{service}/cds-services/hcc-asp-therapy", json={}, timeout=10)
    assert_operation_outcome(response, 401)


def test_a_token_signed_by_another_key_is_refused(service, keys):
    response = get(service, token(keys[1], f"{service}/cds-services"))
    assert_operation_outcome(response, 401, "signature does not verify")


def test_a_token_for_another_endpoint_is_refused(service, keys):
    response = get(service, token(keys[0], f"{service}/cds-services/hcc-asp-therapy"))
    assert_operation_outcome(response, 401, "audience")


def test_an_expired_token_or_an_untrusted_issuer_is_refused(service, keys):
    audience = f"{service}/cds-services"
    expired = token(keys[0], audience, exp=int(time.time()) - 60)
    assert_operation_outcome(get(service, expired), 401, "expired")
    stranger = token(keys[0], audience, iss="https://other.example.com/")
    assert_operation_outcome(get(service, stranger), 401, "issuer is not trusted")
    no_jti = token(keys[0], audience, jti=None)
    assert_operation_outcome(get(service, no_jti), 401, "'jti'")


def test_a_shared_secret_token_is_never_accepted(service):
    audience = f"{service}/cds-services"
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": audience, "exp": now + 60, "iat": now, "jti": "x"}
    forged = jwt.encode(claims, "secret" * 8, algorithm="HS384", headers={"kid": KID})
    assert_operation_outcome(get(service, forged), 401, "'HS384' is not accepted")
    assert_operation_outcome(get(service, "not-a-jwt"), 401, "not a JWT")


def test_feedback_needs_the_token_too(service, keys):
    url = f"{service}/cds-services/hcc-asp-therapy/feedback"
    body = {"feedback": []}
    assert_operation_outcome(httpx.post(url, json=body, timeout=10), 401)
    headers = {"Authorization": f"Bearer {token(keys[0], url)}"}
    response = httpx.post(url, json=body, headers=headers, timeout=10)
    assert response.status_code == 200
