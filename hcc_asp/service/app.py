"""The FastAPI application: CDS Hooks discovery, the hook services, feedback, explanation pages.

:func:`create_app` is the factory uvicorn calls in each worker (``--factory``); the settings come
from the ``serve`` command through the environment. At start-up each worker loads the KB once
(the catalogue, the parsed guideline programs and the vocabulary are cached per process) by
answering an empty patient under every configured guideline; requests then only ground and solve
their own patient.

Routes (``{id}`` one of :data:`SERVICES`):

- ``GET /cds-services``: discovery.
- ``POST /cds-services/{id}``: a hook call; 200 with cards, 400 for a request that is not CDS
  Hooks, 401 without an acceptable JWT (when required), 404 for an unknown id, 412 when the
  patient's FHIR data cannot be had, 413 for a body over the size bound. Errors are FHIR
  OperationOutcome JSON with one issue per problem and never a traceback.
- ``POST /cds-services/{id}/feedback``: appended to the feedback log.
- ``GET /explain/{token}/{guideline}[/{regimen}]`` and ``GET /explain/{token}/compare``: the
  explanation behind a card's link.
- ``GET /`` and ``/page/...``: the clinician's page (:mod:`hcc_asp.web.routes`).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hcc_asp.service import auth, cards, feedback, fhir, orders
from hcc_asp.service.body import ServiceError, parse_json
from hcc_asp.service.explanations import ExplanationStore, page
from hcc_asp.service.models import (
    HOOK_CONTEXT,
    CardsResponse,
    Discovery,
    FeedbackRequest,
    HookRequest,
    OrderContext,
    PatientContext,
    ServiceDescription,
    problems_of,
    wire,
)
from hcc_asp.service.settings import ServiceSettings

_USAGE = (
    "Adults with advanced or unresectable hepatocellular carcinoma being considered for systemic "
    "therapy. Needs the patient's FHIR R4 data: the prefetch keys listed, or fhirServer with "
    "fhirAuthorization (read access to Patient, Observation, Condition, MedicationRequest, "
    "MedicationStatement). Data that are not sent are reported on the card as unknown, never "
    "assumed."
)


@dataclass(frozen=True)
class Service:
    """One CDS service of the discovery response."""

    id: str
    hook: str
    title: str
    description: str


SERVICES: dict[str, Service] = {
    s.id: s
    for s in (
        Service(
            "hcc-asp-therapy",
            "patient-view",
            "HCC systemic therapy by guideline (hcc-asp)",
            "For an opened chart: which systemic regimens each configured guideline offers this "
            "patient now, with recommendation id, evidence, what is missing or to do, and a link "
            "to the full explanation. One card per guideline.",
        ),
        Service(
            "hcc-asp-compare",
            "patient-view",
            "HCC systemic therapy across guidelines (hcc-asp)",
            "For an opened chart: every encoded guideline side by side for this patient, with "
            "the disagreements between current editions explained. One card.",
        ),
        Service(
            "hcc-asp-order-select",
            "order-select",
            "HCC systemic therapy order check (hcc-asp)",
            "When a systemic HCC regimen is selected: a card saying why not, when a configured "
            "guideline does not offer it or a drug is contraindicated, with the offered regimens "
            "as replacement suggestions. No card when the order is what the guideline offers.",
        ),
        Service(
            "hcc-asp-order-sign",
            "order-sign",
            "HCC systemic therapy order check at signing (hcc-asp)",
            "When systemic HCC therapy is signed: the same check as at selection, over every "
            "draft order of the session.",
        ),
    )
}


def operation_outcome(problems: list[str], code: str = "invalid") -> dict[str, Any]:
    """A FHIR OperationOutcome with one error issue per problem line."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": p} for p in problems],
    }


def _error_response(status: int, problems: list[str], code: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(operation_outcome(problems, code), status_code=status, headers=headers)


class BodyLimit:
    """ASGI middleware: refuse request bodies over ``limit`` bytes with 413, before parsing.

    The declared Content-Length is checked first; the body actually received is counted too
    (chunked uploads declare none), and only a body within the bound reaches the application.
    The whole body must arrive within ``seconds`` (a client sending it byte by byte gets 408 and
    the connection is closed), so slow clients cannot hold connections.
    """

    def __init__(self, app: ASGIApp, limit: int, seconds: float) -> None:
        """Wrap ``app``."""
        self.app = app
        self.limit = limit
        self.seconds = seconds

    async def _refuse(self, send: Send) -> None:
        problem = f"request body larger than {self.limit} bytes"
        response = _error_response(413, [problem], "too-costly")
        await response({"type": "http"}, _nothing, send)

    async def _too_slow(self, send: Send) -> None:
        problem = f"request body not received within {self.seconds:g} s"
        response = _error_response(408, [problem], "timeout")
        response.headers["connection"] = "close"
        await response({"type": "http"}, _nothing, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on with its body read and bounded."""
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = self.limit + 1
                if declared > self.limit:
                    await self._refuse(send)
                    return
        chunks: list[bytes] = []
        total = 0
        deadline = asyncio.get_running_loop().time() + self.seconds
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            try:
                message = await asyncio.wait_for(receive(), max(remaining, 0.001))
            except asyncio.TimeoutError:
                await self._too_slow(send)
                return
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            total += len(body)
            if total > self.limit:
                await self._refuse(send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _nothing() -> Message:  # nocoverage: a refused request is never read again
    return {"type": "http.disconnect"}


def _validate(model: type[BaseModel], data: Any, prefix: str = "") -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ServiceError(400, problems_of(error, prefix)) from None


def patient_values(patient: Any) -> list[tuple[str, str]]:
    """The patient's given values as ``(key path, value)``: what the answer was computed from.

    A value read from the health record names its resource and date, as ``explain`` does
    (``22.0 (Observation/lab-bili, 2026-11-20)``).
    """
    from hcc_asp.patient.sources import source_for

    sources = patient.sources()
    values = []
    for path in patient.given_paths():
        if path == "id":
            continue
        value: Any = patient
        for part in path.split("."):
            value = _member(value, part)
        shown = _shown(value)
        source = source_for(path, sources)
        if source is None and path == "prior_therapies":
            source = source_for("prior_therapies[0].regimen", sources)
        values.append((path, f"{shown} ({source.label()})" if source is not None else shown))
    return values


def sources_record(patient: Any) -> dict[str, Any]:
    """The patient's sources as JSON, kept with the explanation data (empty for a file)."""
    return {key: source.as_json() for key, source in sorted(patient.sources().items())}


def patient_from_record(record: dict[str, Any]) -> Any:
    """The patient of an explanation record, with the sources of its values."""
    from hcc_asp.patient import patient_from_data
    from hcc_asp.patient.sources import Source

    patient = patient_from_data(record["patient"])
    patient.set_sources(
        {
            key: Source(
                references=tuple(item["references"]),
                element=item.get("element", ""),
                date=item.get("date"),
                stale=bool(item.get("stale", False)),
            )
            for key, item in record.get("sources", {}).items()
        }
    )
    return patient


def _member(model: Any, name: str) -> Any:
    for field, info in type(model).model_fields.items():
        if (info.alias or field) == name:
            return getattr(model, field)
    return getattr(model, name, None)


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    if isinstance(value, BaseModel) or hasattr(value, "model_fields"):
        # a patient section (a prior line): its known values in words, never a Python repr
        from hcc_asp.render.words import key_phrase, plain_value
        from hcc_asp.web.answer import patient_file_data

        fields = (
            patient_file_data(value)
            if not isinstance(value, BaseModel)
            else (value.model_dump(mode="json", by_alias=True, exclude_none=True))
        )
        return (
            "("
            + ", ".join(
                f"{key_phrase(k)} {_shown(v) if not isinstance(v, str) else plain_value(v)}"
                for k, v in fields.items()
            )
            + ")"
        )
    from hcc_asp.render.words import plain_value

    value = getattr(value, "value", value)
    return str(value).lower() if isinstance(value, bool) else plain_value(value)


def current_therapies(patient: Any) -> list[str]:
    """Regimens the patient is on now (a prior therapy whose outcome is ``ongoing``)."""
    return [
        str(getattr(t.regimen, "value", t.regimen))
        for t in patient.prior_therapies or []
        if t.regimen is not None and str(getattr(t.outcome, "value", t.outcome)) == "ongoing"
    ]


class Engine:
    """What one worker keeps: settings, the KB's catalogue and vocabulary, the explanation store."""

    def __init__(self, settings: ServiceSettings) -> None:
        """Load the KB once for this worker (and fail here, not in a call, if it is broken)."""
        from hcc_asp.api import guideline_list
        from hcc_asp.knowledge import KnowledgeBase
        from hcc_asp.recommend import resolve_guideline

        self.settings = settings
        #: the KB, opened once at start-up: every call of this worker receives this value
        self.kb = kb = KnowledgeBase.open(settings.kb)
        self.guidelines = list(settings.guidelines) or [kb.default_guideline]
        for guideline in self.guidelines:
            resolve_guideline(guideline, kb)
        rows = {row["id"]: row for row in guideline_list(kb) if row["status"] == "encoded"}
        self.info = {
            g: cards.GuidelineInfo(
                id=g,
                title=str(row.get("title", "")),
                citation=str(row.get("citation", "")),
                doi=str(row.get("doi", "")),
            )
            for g, row in rows.items()
        }
        self.vocabulary = kb.regimens
        self.names = dict(kb.regimen_names)
        self.aliases = kb.aliases
        self.drugs = {r.id: tuple(d for d, _ in r.drugs) for r in self.vocabulary}
        from hcc_asp.render.words import guideline_label
        from hcc_asp.web.answer import Answerer

        #: The clinician's page (``/``): every encoded guideline, the first configured one shown.
        self.page = Answerer(
            kb,
            {g: guideline_label(g) for g in rows},
            self.guidelines[0],
            self.aliases,
            self.names,
        )
        folder = settings.explanation_dir or Path(tempfile.mkdtemp(prefix="hcc-asp-explain-"))
        self.store = ExplanationStore(
            folder, settings.explanation_ttl_seconds, settings.link_secret
        )
        self.replays = auth.ReplayGuard(folder)
        if settings.jwks_file is not None:
            auth.load_keys(settings.jwks_file)
        if settings.feedback_file is not None:
            feedback.check_writable(settings.feedback_file)
        self.warm()

    def warm(self) -> None:
        """Answer an empty patient under every configured guideline, filling the caches.

        The KB value's caches: catalogue, compiled guideline programs, vocabulary. The
        explanation program is parsed in the background, so that the first link opened is fast.
        """
        from hcc_asp.compare import compare
        from hcc_asp.explain import explain
        from hcc_asp.patient import patient_from_data
        from hcc_asp.recommend import recommend

        empty = patient_from_data({})
        for guideline in self.guidelines:
            recommend(empty, guideline, self.kb)
        compare(empty, (), self.kb)
        with contextlib.suppress(Exception):  # loads the FHIR models (the reader may be absent)
            fhir.read_patient([{"resourceType": "Patient", "id": "warm-up"}], aliases=self.aliases)
        first = self.vocabulary[0].id
        # Not a daemon: a clingo solve must not be cut off by the interpreter's exit.
        threading.Thread(
            target=lambda: explain(empty, first, self.guidelines[0], self.kb),
            name="hcc-asp-warm-explain",
        ).start()

    # --- hook calls -----------------------------------------------------------------------------

    async def resources(self, request: HookRequest, context: PatientContext) -> list[Any]:
        """The call's FHIR resources: prefetch, then the EHR's FHIR server (on the event loop).

        The remote fetch is bounded as a whole (``--fhir-timeout``) and holds no worker thread
        while it waits, so slow FHIR servers cannot starve the other calls.
        """
        settings = self.settings
        token = request.fhirAuthorization.access_token if request.fhirAuthorization else None
        server = str(request.fhirServer) if request.fhirServer is not None else None
        limits = fhir.FetchLimits(
            timeout=settings.fhir_timeout_seconds,
            max_pages=settings.fhir_max_pages,
            max_bytes=settings.fhir_max_bytes,
            max_depth=settings.max_json_depth,
            allowed=settings.allowed_fhir_servers,
        )
        try:
            return await fhir.gather(request.prefetch, context.patientId, server, token, limits)
        except fhir.RequestProblem as error:
            raise ServiceError(400, error.problems) from None
        except fhir.DataUnavailable as error:
            raise ServiceError(412, error.problems, "not-found") from None

    def answer(
        self,
        service: Service,
        request: HookRequest,
        context: PatientContext,
        resources: list[Any],
        base: str,
    ) -> dict[str, Any]:
        """The cards of one hook call from its resources (runs in a worker thread: solving)."""
        from hcc_asp.patient import PatientError
        from hcc_asp.patient.fhir.read import TooMuchData
        from hcc_asp.recommend import InputConflictError

        settings = self.settings
        if service.hook == "patient-view" and not fhir.has_active_hcc(
            resources, settings.hcc_condition_codes or fhir.HCC_CODES
        ):
            return wire(CardsResponse(cards=[]))  # not an HCC chart: no card at all
        try:
            read = fhir.read_patient(
                resources,
                as_of=date.today(),
                aliases=self.aliases,
                medications_complete=settings.medications_complete,
            )
        except fhir.ReaderMissing as error:
            raise ServiceError(501, [str(error)], "not-supported") from None
        except TooMuchData as error:  # the EHR's data is not a bad request
            problems = [f"prefetch: {p}" for p in error.problems]
            raise ServiceError(412, problems, "too-costly") from None
        except PatientError as error:
            raise ServiceError(400, [f"prefetch: {p}" for p in error.problems]) from None
        patient = read[0] if isinstance(read, tuple) else read
        said = fhir.prefetch_notes(request.prefetch)
        if said:  # what the EHR's prefetch did not give goes on the card, with the reader's
            patient.set_record_notes([*patient.record_notes(), *said])
        try:
            return self.cards_for(service, request, context, patient, base)
        except InputConflictError as error:
            raise ServiceError(400, [f"patient data: {p}" for p in error.problems]) from None

    def cards_for(
        self,
        service: Service,
        request: HookRequest,
        context: PatientContext,
        patient: Any,
        base: str,
    ) -> dict[str, Any]:
        """Build the cards of a call from the patient model (also used by the tests' YAML path)."""
        from hcc_asp.compare import compare
        from hcc_asp.recommend import recommend
        from hcc_asp.web.answer import patient_file_data

        kb = self.kb
        record = {
            # the sections the data gave are kept (an empty comorbidities section means something)
            "patient": patient_file_data(patient),
            "sources": sources_record(patient),
            "guidelines": self.guidelines,
        }
        token = self.store.save(request.hookInstance, record)
        link = f"{base}/explain/{token}"
        built: list[Any] = []
        if service.id == "hcc-asp-compare":
            document = compare(patient, (), kb)
            built.append(
                cards.compare_card(
                    document,
                    self.names,
                    hook_instance=request.hookInstance,
                    explanation_url=f"{link}/compare",
                    source=cards.Source(label="hcc-asp: every encoded guideline"),
                )
            )
        elif service.hook == "patient-view":
            values = patient_values(patient)
            current = current_therapies(patient)
            for guideline in self.guidelines:
                document = recommend(patient, guideline, kb)
                built.append(
                    cards.guideline_card(
                        document,
                        self.info[guideline],
                        self.names,
                        hook_instance=request.hookInstance,
                        explanation_url=f"{link}/{guideline}",
                        page_url=f"{base}/#link={token}&guideline={guideline}",
                        patient_values=values,
                        current=current,
                    )
                )
        else:
            assert isinstance(context, OrderContext)
            drafts = orders.read_drafts(context.draftOrders, self.vocabulary)
            selections = context.selections if service.hook == "order-select" else None
            ordered = orders.ordered_regimens(drafts, self.vocabulary, selections)
            for guideline in self.guidelines if ordered else []:
                document = recommend(patient, guideline, kb)
                for item in ordered:
                    card = cards.order_card(
                        document,
                        self.info[guideline],
                        self.names,
                        self.drugs,
                        regimen=item.regimen,
                        drafts=item.drafts,
                        hook=service.hook,
                        hook_instance=request.hookInstance,
                        patient_id=context.patientId,
                        explanation_url=f"{link}/{guideline}/{item.regimen}",
                    )
                    if card is not None:
                        built.append(card)
        self.store.remember_cards(
            {
                card.uuid: {
                    "service": service.id,
                    "patient": context.patientId,
                    "indicator": card.indicator,
                    "summary": card.summary,
                    "source": card.source.label,
                }
                for card in built
                if card.uuid
            }
        )
        return wire(CardsResponse(cards=built))

    # --- explanation pages ----------------------------------------------------------------------

    def explanation(self, token: str, guideline: str, regimen: str | None) -> tuple[str, str]:
        """The page behind a card link: media type and body (404 when expired or unknown)."""
        from hcc_asp.compare import compare
        from hcc_asp.explain import UnknownRegimenError, explain, explain_all
        from hcc_asp.recommend import recommend

        record = self.store.load(token)
        if record is None:
            raise ServiceError(404, ["explanation: unknown or expired link"], "not-found")
        kb = self.kb
        patient = patient_from_record(record)
        if guideline == "compare" and regimen is None:
            return page("compare", compare(patient, (), kb), kb)
        if guideline not in record["guidelines"]:
            raise ServiceError(404, [f"explanation: no answer under '{guideline}'"], "not-found")
        if regimen is None:
            document = recommend(patient, guideline, kb)
            explanations = explain_all(patient, guideline, kb)
            return page("recommend", document, kb, explanations=explanations)
        try:
            return page("explain", explain(patient, regimen, guideline, kb), kb)
        except UnknownRegimenError as error:
            raise ServiceError(404, [f"explanation: {error}"], "not-found") from None


def _base(request: Request, settings: ServiceSettings) -> str:
    return (settings.public_url or str(request.base_url)).rstrip("/")


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """Return the CDS Hooks application (uvicorn's factory; settings from the environment)."""
    settings = settings or ServiceSettings.from_environment()
    holder: dict[str, Engine] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        holder["engine"] = Engine(settings)
        yield

    app = FastAPI(
        title="hcc-asp CDS Hooks service",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    def authorize(request: Request, path: str) -> None:
        if settings.jwks_file is None:
            return
        assert settings.public_url is not None  # the settings require it with keys
        try:
            claims = auth.verify(
                request.headers.get("authorization"),
                f"{settings.public_url.rstrip('/')}{path}",
                settings.jwks_file,
                settings.jwt_issuers,
                settings.jwt_algorithms,
            )
            holder["engine"].replays.first_use(claims)
        except auth.Unauthorized as error:
            raise ServiceError(401, [str(error)], "login") from None

    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, error: ServiceError) -> JSONResponse:
        return _error_response(error.status, error.problems, error.code)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = "not-found" if error.status_code == 404 else "not-supported"
        return _error_response(error.status_code, [str(error.detail)], code)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
        return _error_response(400, problems, "invalid")

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
        print(f"hcc-asp service: internal error: {type(error).__name__}: {error}", file=sys.stderr)
        return _error_response(500, ["internal error (logged by the service)"], "exception")

    @app.get("/cds-services")
    async def discovery(request: Request) -> JSONResponse:
        authorize(request, "/cds-services")
        services = [
            ServiceDescription(
                hook=s.hook,
                title=s.title,
                description=s.description,
                id=s.id,
                prefetch=dict(fhir.PREFETCH),
                usageRequirements=_USAGE,
            )
            for s in SERVICES.values()
        ]
        return JSONResponse(wire(Discovery(services=services)))

    def service_of(service_id: str) -> Service:
        if service_id not in SERVICES:
            known = ", ".join(SERVICES)
            raise ServiceError(
                404, [f"no CDS service '{service_id}' (known: {known})"], "not-found"
            )
        return SERVICES[service_id]

    @app.post("/cds-services/{service_id}")
    async def call(service_id: str, request: Request) -> JSONResponse:
        service = service_of(service_id)
        authorize(request, f"/cds-services/{service_id}")
        data = parse_json(await request.body(), settings.max_json_depth)
        hook_request = _validate(HookRequest, data)
        if hook_request.hook != service.hook:
            if hook_request.hook not in HOOK_CONTEXT:
                raise ServiceError(
                    400,
                    [
                        f"hook: '{hook_request.hook}' is not a hook this service answers "
                        f"({', '.join(HOOK_CONTEXT)})"
                    ],
                )
            raise ServiceError(
                400,
                [f"hook: '{service_id}' answers {service.hook}, not '{hook_request.hook}'"],
            )
        model = PatientContext if service.hook == "patient-view" else OrderContext
        context = _validate(model, hook_request.context, "context")
        if service.hook == "order-select" and context.selections is None:
            raise ServiceError(400, ["context.selections: required, missing"])
        engine = holder["engine"]
        resources = await engine.resources(hook_request, context)
        body = await run_in_threadpool(
            engine.answer, service, hook_request, context, resources, _base(request, settings)
        )
        return JSONResponse(body)

    @app.post("/cds-services/{service_id}/feedback")
    async def record_feedback(service_id: str, request: Request) -> JSONResponse:
        service_of(service_id)
        authorize(request, f"/cds-services/{service_id}/feedback")
        data = parse_json(await request.body(), settings.max_json_depth)
        received = _validate(FeedbackRequest, data)
        engine = holder["engine"]
        entries = []
        for entry in received.feedback:
            line = entry.model_dump(mode="json", exclude_none=True)
            said = engine.store.card(entry.card)
            if said is not None:
                line["cardSaid"] = said  # what the card said, for the concordance audit
            entries.append(line)
        count = await run_in_threadpool(
            feedback.append, settings.feedback_file, service_id, entries
        )
        return JSONResponse({"recorded": count})

    async def explanation_page(token: str, guideline: str, regimen: str | None) -> Response:
        media, body = await run_in_threadpool(
            holder["engine"].explanation, token, guideline, regimen
        )
        return Response(body, media_type=media, headers={"Cache-Control": "no-store"})

    @app.get("/explain/{token}/{guideline}")
    async def explain_guideline(token: str, guideline: str) -> Response:
        return await explanation_page(token, guideline, None)

    @app.get("/explain/{token}/{guideline}/{regimen}")
    async def explain_regimen(token: str, guideline: str, regimen: str) -> Response:
        return await explanation_page(token, guideline, regimen)

    from hcc_asp.web.routes import install

    install(
        app,
        lambda: holder["engine"],
        authorize,
        lambda status, problems: ServiceError(
            status, problems, "not-found" if status == 404 else "invalid"
        ),
    )
    app.add_middleware(
        BodyLimit, limit=settings.max_body_bytes, seconds=settings.body_timeout_seconds
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type"],
    )
    return app


__all__ = ["SERVICES", "Engine", "ServiceError", "create_app", "operation_outcome"]
