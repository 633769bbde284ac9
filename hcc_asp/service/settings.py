"""What the operator configures for the service, passed to every worker as one JSON value.

``hcc-asp serve`` builds a :class:`ServiceSettings` from its options and hands it to uvicorn's
workers through the environment variable :data:`ENVIRONMENT_VARIABLE` (workers are separate
processes started by uvicorn, so the settings travel as text, validated again on arrival).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: The environment variable that carries the settings (JSON) to uvicorn's worker processes.
ENVIRONMENT_VARIABLE = "HCC_ASP_SERVICE_SETTINGS"

#: The JWT algorithms accepted by default: the two the CDS Hooks specification recommends
#: (asymmetric only; ``none`` and HMAC algorithms are never accepted).
DEFAULT_ALGORITHMS = ("ES384", "RS384")


class ServiceSettings(BaseModel):
    """Everything a worker needs to know; immutable once the worker runs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    guidelines: tuple[str, ...] = Field(
        default=(), description="Guideline ids answered, one card each (default: newest ASCO)."
    )
    kb: Path | None = Field(default=None, description="Another copy of the KB folder.")
    max_body_bytes: int = Field(default=4 * 1024 * 1024, gt=0, description="Largest request.")
    max_json_depth: int = Field(default=32, gt=0, description="Deepest JSON nesting accepted.")
    fhir_timeout_seconds: float = Field(
        default=10.0, gt=0, description="The whole fetch from the FHIR server, every page."
    )
    fhir_max_pages: int = Field(default=5, gt=0, description="Search pages followed per query.")
    fhir_max_bytes: int = Field(
        default=8 * 1024 * 1024, gt=0, description="Largest answer of the FHIR server, in bytes."
    )
    allowed_fhir_servers: tuple[str, ...] = Field(
        default=(),
        description="URL prefixes of the FHIR servers that may be called; none: public ones only.",
    )
    header_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Time a client has to send a request's headers."
    )
    body_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Time a client has to send a request's body."
    )
    hcc_condition_codes: tuple[str, ...] = Field(
        default=(),
        description="Condition codes (system|code) of an HCC chart: patient-view answers only "
        "when one is active (default: the mapping table's liver cell carcinoma codes).",
    )
    medications_complete: bool = Field(
        default=False,
        description="The EHR's medication records are its complete list: none of a systemic "
        "drug means no prior systemic therapy (first line).",
    )
    jwks_file: Path | None = Field(
        default=None, description="JWK Set of the EHR's public keys; when set, a JWT is required."
    )
    jwt_issuers: tuple[str, ...] = Field(default=(), description="Trusted JWT issuers (iss).")
    jwt_algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS
    public_url: str | None = Field(
        default=None,
        description="Base URL the EHR calls (JWT audience, card links); default: the request's.",
    )
    cors_origins: tuple[str, ...] = Field(default=("*",), description="Allowed CORS origins.")
    feedback_file: Path = Field(
        default=Path("cds-feedback.jsonl"), description="Append-only feedback log (JSON lines)."
    )
    explanation_dir: Path | None = Field(
        default=None, description="Where the explanation behind each card is kept for its link."
    )
    explanation_ttl_seconds: int = Field(default=3600, gt=0)
    link_secret: str = Field(
        default_factory=lambda: secrets.token_hex(32),
        description="Key of the unguessable explanation link tokens (shared by the workers).",
    )

    @model_validator(mode="after")
    def _audience_is_the_operators(self) -> ServiceSettings:
        """Tokens are checked against the operator's URL, never one built from the request."""
        if self.jwks_file is not None and not self.public_url:
            raise ValueError("JWT keys (--jwks) need --public-url, the URL the EHR calls")
        return self

    @property
    def jwt_required(self) -> bool:
        """True when the operator configured keys: every call must then carry a valid JWT."""
        return self.jwks_file is not None

    def to_environment(self) -> dict[str, str]:
        """Return the environment entry that passes these settings to worker processes."""
        return {ENVIRONMENT_VARIABLE: self.model_dump_json()}

    @classmethod
    def from_environment(cls) -> ServiceSettings:
        """Read the settings a parent process left in the environment (defaults when none)."""
        text = os.environ.get(ENVIRONMENT_VARIABLE)
        return cls.model_validate_json(text) if text else cls()
