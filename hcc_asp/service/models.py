"""The CDS Hooks 2.0 shapes as pydantic models: the request, the cards, discovery and feedback.

Field names are the specification's own (camelCase on the wire). Response models leave out every
optional attribute that has no value (the specification: "JSON elements SHALL NOT be null" and
"SHALL NOT be empty"), through :func:`wire`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    ValidationError,
    field_validator,
    model_validator,
)

from hcc_asp.service.remote import is_fhir_id

#: The hooks served and the context fields each one REQUIRES (the hook definitions).
HOOK_CONTEXT: dict[str, tuple[str, ...]] = {
    "patient-view": ("userId", "patientId"),
    "order-select": ("userId", "patientId", "selections", "draftOrders"),
    "order-sign": ("userId", "patientId", "draftOrders"),
}

#: A card's urgency, in increasing order.
Indicator = Literal["info", "warning", "critical"]

#: Longest card summary: "One-sentence, <140-character summary message".
SUMMARY_LIMIT = 140


class _Wire(BaseModel):
    """Base of the models read from the EHR: unknown members are ignored, as the spec allows."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class FhirAuthorization(_Wire):
    """``fhirAuthorization``: the OAuth 2.0 bearer token for the EHR's FHIR server."""

    access_token: str = Field(min_length=1)
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str
    subject: str
    patient: str | None = None


class HookRequest(_Wire):
    """The body of ``POST /cds-services/{id}`` (hook-specific context checked by the app)."""

    hook: str = Field(min_length=1, max_length=200)
    hookInstance: str = Field(min_length=1, max_length=200)
    fhirServer: HttpUrl | None = None
    fhirAuthorization: FhirAuthorization | None = None
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _server_with_token(self) -> HookRequest:
        """cds-r-1: if fhirAuthorization details are provided, a fhirServer SHALL be specified."""
        if self.fhirAuthorization is not None and self.fhirServer is None:
            raise ValueError("fhirAuthorization is given without fhirServer")
        return self


class PatientContext(_Wire):
    """The context members every served hook requires."""

    userId: str = Field(min_length=1)
    patientId: str = Field(min_length=1, max_length=64)
    encounterId: str | None = None

    @field_validator("patientId")
    @classmethod
    def _is_fhir_id(cls, value: str) -> str:
        """The id goes into the FHIR server's URL: only FHIR's id characters, never a path."""
        if not is_fhir_id(value):
            raise ValueError("must be a FHIR id (letters, digits, '-' and '.'; 1 to 64)")
        return value


class OrderContext(PatientContext):
    """``order-select`` / ``order-sign`` context: the draft orders (and the new selections)."""

    selections: list[str] | None = None
    draftOrders: dict[str, Any]

    @field_validator("draftOrders")
    @classmethod
    def _is_bundle(cls, value: dict[str, Any]) -> dict[str, Any]:
        if value.get("resourceType") != "Bundle":
            raise ValueError("must be a FHIR Bundle (resourceType 'Bundle')")
        if not isinstance(value.get("entry", []), list):
            raise ValueError("entry must be a list")
        return value


# --- response -----------------------------------------------------------------------------------


class _Out(BaseModel):
    """Base of the models sent to the EHR."""

    model_config = ConfigDict(extra="forbid")


class Coding(_Out):
    """A CDS Hooks Coding (``display`` is required where the service sends one)."""

    system: str
    code: str
    display: str


class Source(_Out):
    """``card.source``: the guideline the card's content comes from."""

    label: str = Field(min_length=1)
    url: str | None = None
    topic: Coding | None = None


class Link(_Out):
    """``card.links[]``: here, the explanation page behind the card."""

    label: str = Field(min_length=1)
    url: str = Field(min_length=1)
    type: Literal["absolute", "smart"] = "absolute"


class Action(_Out):
    """``suggestion.actions[]``: create, update or delete one FHIR resource."""

    type: Literal["create", "update", "delete"]
    description: str = Field(min_length=1)
    resource: dict[str, Any] | None = None
    resourceId: str | None = None


class Suggestion(_Out):
    """``card.suggestions[]``: a set of actions the clinician can accept with one click."""

    label: str = Field(min_length=1)
    uuid: str | None = None
    isRecommended: bool | None = None
    actions: list[Action] | None = None


class Card(_Out):
    """One CDS Hooks card."""

    uuid: str | None = None
    summary: str = Field(min_length=1, max_length=SUMMARY_LIMIT - 1)
    detail: str | None = None
    indicator: Indicator
    source: Source
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[Coding] | None = None
    links: list[Link] | None = None

    @model_validator(mode="after")
    def _selection_with_suggestions(self) -> Card:
        """cds-resp-6: if suggestions are present, selectionBehavior SHALL also be provided."""
        if self.suggestions and self.selectionBehavior is None:
            raise ValueError("suggestions need a selectionBehavior")
        return self


class CardsResponse(_Out):
    """The body of a successful service call."""

    cards: list[Card]


class ServiceDescription(_Out):
    """One entry of the discovery response."""

    hook: str
    title: str
    description: str
    id: str
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None


class Discovery(_Out):
    """The body of ``GET /cds-services``."""

    services: list[ServiceDescription]


# --- feedback -----------------------------------------------------------------------------------


class AcceptedSuggestion(_Wire):
    """``feedback[].acceptedSuggestions[]``."""

    id: str = Field(min_length=1)


class ReasonCoding(_Wire):
    """A Coding sent back by the EHR (display optional there)."""

    system: str | None = None
    code: str
    display: str | None = None


class OverrideReason(_Wire):
    """``feedback[].overrideReason``: a coded reason, a comment, or both (cds-fb-3)."""

    reason: ReasonCoding | None = None
    userComment: str | None = Field(default=None, max_length=10_000)

    @model_validator(mode="after")
    def _something(self) -> OverrideReason:
        if self.reason is None and self.userComment is None:
            raise ValueError("an overrideReason needs a reason, a userComment, or both")
        return self


class FeedbackEntry(_Wire):
    """One end-user interaction with a card."""

    card: str = Field(min_length=1, max_length=200)
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] | None = None
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: datetime

    @model_validator(mode="after")
    def _accepted_names_suggestions(self) -> FeedbackEntry:
        """cds-fb-2: if outcome is 'accepted', acceptedSuggestions SHALL be provided."""
        if self.outcome == "accepted" and not self.acceptedSuggestions:
            raise ValueError("outcome 'accepted' needs acceptedSuggestions")
        return self


class FeedbackRequest(_Wire):
    """The body of ``POST /cds-services/{id}/feedback``."""

    feedback: list[FeedbackEntry] = Field(max_length=1000)


# --- helpers ------------------------------------------------------------------------------------


def wire(model: BaseModel) -> dict[str, Any]:
    """Return the JSON object of a response model without null or empty optional attributes."""
    return _prune(model.model_dump(mode="json", exclude_none=True))


#: Members the specification wants present even when empty ("cards": [] means no guidance).
_ALWAYS = ("cards", "services")


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in ("", [], {}) or k in _ALWAYS}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def problems_of(error: ValidationError, prefix: str = "") -> list[str]:
    """One line per validation problem, naming the member path (``context.patientId``)."""
    lines = []
    for item in error.errors(include_url=False):
        path = ".".join(str(part) for part in (prefix, *item["loc"]) if part != "")
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "required, missing"
        lines.append(f"{path or 'body'}: {message}")
    return lines
