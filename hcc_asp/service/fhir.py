"""The EHR's FHIR data for one hook call: prefetch when present, else the EHR's FHIR server.

The discovery response asks for the data the KB reads (:data:`PREFETCH`). A call brings it as
``prefetch`` (each key a resource or a searchset Bundle, or absent/null when the EHR could not
fetch it); for every key it lacks, the service asks ``fhirServer`` itself with the bearer token of
``fhirAuthorization``, with a timeout and a bounded number of pages. The resources then go to the
FHIR reader of the patient input (``hcc_asp.patient.fhir``), which maps them into the one Patient
model; the service never maps FHIR itself.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from typing import Any, NamedTuple
from urllib.parse import quote, urljoin, urlsplit

from hcc_asp.patient.fhir.mapping import SYSTEMS, table
from hcc_asp.service import remote
from hcc_asp.service.body import shape_problem

#: Lab concepts, each one prefetch key: concept -> the LOINC codes the reader maps to it (its
#: table, ``mapping.csv``), in table order. A prothrombin ratio goes with the INR, so that the
#: answer can say it is not one. Only used to narrow the queries; the reader decides the meaning.
_CONCEPTS = {
    "labs.bilirubin_mg_dl": "bilirubin",
    "labs.bilirubin_umol_l": "bilirubin",
    "labs.albumin_g_dl": "albumin",
    "labs.albumin_g_l": "albumin",
    "labs.inr": "inr",
    "-": "inr",
    "labs.afp_ng_ml": "afp",
    "labs.platelets_10e9_l": "platelets",
    "ecog": "ecog",
    "weight_kg": "weight",
}
OBSERVATION_CODES: dict[str, tuple[str, ...]] = {}
for _row in table():
    if _row.kind == "observation" and _row.system == "loinc":
        _codes = OBSERVATION_CODES.setdefault(_CONCEPTS[_row.target], ())
        if _row.code not in _codes:
            OBSERVATION_CODES[_CONCEPTS[_row.target]] = (*_codes, _row.code)
#: Results asked for per lab concept, newest first: the newest and a correction.
OBSERVATIONS_PER_CONCEPT = 3

_PATIENT = "{{context.patientId}}"
#: The medication record types read, each prefetched with the Medications it references.
MEDICATION_KEYS = {
    "medicationRequests": "MedicationRequest",
    "medicationAdministrations": "MedicationAdministration",
    "medicationStatements": "MedicationStatement",
}


def _observation_query(codes: tuple[str, ...]) -> str:
    return (
        f"Observation?patient={_PATIENT}&code="
        + ",".join(f"{SYSTEMS['loinc']}|{code}" for code in codes)
        + f"&_sort=-date&_count={OBSERVATIONS_PER_CONCEPT}"
    )


#: Prefetch templates of the discovery response: key -> FHIR query (CDS Hooks prefetch tokens).
#: Each lab concept has its own key, newest first and few, so that a long chart cannot crowd
#: out the newest INR; medication records ``_include`` their Medications (outside the query
#: subset CDS Hooks 2.0 recommends: a client that ignores it sends the records alone, and a
#: Medication not sent is named on the card, not guessed).
PREFETCH: dict[str, str] = {
    "patient": f"Patient/{_PATIENT}",
    **{f"observations-{c}": _observation_query(codes) for c, codes in OBSERVATION_CODES.items()},
    "conditions": f"Condition?patient={_PATIENT}",
    **{
        key: f"{kind}?patient={_PATIENT}&_include={kind}:medication"
        for key, kind in MEDICATION_KEYS.items()
    },
}


def failed_query(value: dict[str, Any]) -> str | None:
    """Why the EHR's query failed, when a prefetch value says so with an OperationOutcome.

    The value itself, or an entry of its Bundle, that is an OperationOutcome with an issue of
    severity error or fatal (a warning beside the results is not a failure). CDS Hooks 2.0: the
    client sends it to spare the service a follow-up query, so it is said, not asked again.
    """
    outcomes = [value] if value.get("resourceType") == "OperationOutcome" else []
    if value.get("resourceType") == "Bundle":
        for item in value.get("entry", []) or []:
            resource = item.get("resource") if isinstance(item, dict) else None
            if isinstance(resource, dict) and resource.get("resourceType") == "OperationOutcome":
                outcomes.append(resource)
    for outcome in outcomes:
        for issue in outcome.get("issue", []) or []:
            if isinstance(issue, dict) and issue.get("severity") in ("error", "fatal"):
                text = issue.get("diagnostics") or (issue.get("details") or {}).get("text")
                return str(text or issue.get("code") or "an error")[:200]
    return None


def prefetch_notes(prefetch: dict[str, Any] | None) -> list[str]:
    """What the card must say about the prefetch: each failed query, each unread next page."""
    notes = []
    for key in PREFETCH:
        value = (prefetch or {}).get(key)
        if not isinstance(value, dict):
            continue
        failure = failed_query(value)
        if failure is not None:
            notes.append(f"{key}: the EHR's query failed ({failure}); its data is unknown")
        links = value.get("link") if value.get("resourceType") == "Bundle" else None
        if any(isinstance(x, dict) and x.get("relation") == "next" for x in links or []):
            notes.append(f"{key}: the EHR sent one page of several; the later pages were not read")
    return notes


#: Conditions that make a chart an HCC chart (system|code): the mapping table's liver cell
#: carcinoma rows; the operator may configure others (``hcc_condition_codes``).
HCC_CODES = tuple(
    f"{SYSTEMS.get(r.system, r.system)}|{r.code}"
    for r in table()
    if r.kind == "condition" and (r.display == "Liver cell carcinoma" or r.code == "109841003")
)
_ACTIVE = ("active", "recurrence", "relapse")
_NOT_SO = ("refuted", "entered-in-error")


def has_active_hcc(resources: list[dict[str, Any]], codes: tuple[str, ...] = HCC_CODES) -> bool:
    """Whether a Condition with one of ``codes`` is active (clinical status) and not refuted."""
    from hcc_asp.patient.fhir.mapping import normal_code

    wanted = {_split(c, normal_code) for c in codes}
    for resource in resources:
        if resource.get("resourceType") != "Condition":
            continue
        if _first(resource.get("verificationStatus")) in _NOT_SO:
            continue
        if _first(resource.get("clinicalStatus")) not in _ACTIVE:
            continue
        for coding in (resource.get("code") or {}).get("coding", []) or []:
            if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                key = _split(f"{coding.get('system')}|{coding['code']}", normal_code)
                if key in wanted:
                    return True
    return False


def _split(text: str, normal: Any) -> tuple[str, str]:
    system, _, code = text.rpartition("|")
    short = next((name for name, url in SYSTEMS.items() if url == system), system)
    return system, normal(short, code)


def _first(concept: Any) -> str | None:
    codings = concept.get("coding") if isinstance(concept, dict) else None
    for coding in codings if isinstance(codings, list) else []:
        if isinstance(coding, dict) and isinstance(coding.get("code"), str):
            return str(coding["code"])
    return None


class RequestProblem(Exception):
    """The request is not usable (HTTP 400): one line per problem, naming the member."""

    def __init__(self, problems: list[str]) -> None:
        """Keep one line per problem."""
        super().__init__("\n".join(problems))
        self.problems = problems


class DataUnavailable(Exception):
    """The FHIR data could not be had, by prefetch nor from the FHIR server (HTTP 412)."""

    def __init__(self, problems: list[str]) -> None:
        """Keep one line per problem."""
        super().__init__("\n".join(problems))
        self.problems = problems


def _is_resource(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("resourceType"), str)


def check_prefetch(prefetch: dict[str, Any]) -> list[str]:
    """Problems of prefetch values that are not FHIR: each must be a resource, or null."""
    problems = []
    for key, value in prefetch.items():
        if value is None:
            continue
        if not _is_resource(value):
            problems.append(f"prefetch.{key}: not a FHIR resource (an object with resourceType)")
            continue
        if value["resourceType"] == "Bundle":
            links = value.get("link", [])
            if not isinstance(links, list) or not all(isinstance(x, dict) for x in links):
                problems.append(f"prefetch.{key}.link: not a list of links")
                continue
            entries = value.get("entry", [])
            if not isinstance(entries, list):
                problems.append(f"prefetch.{key}.entry: not a list")
                continue
            for index, item in enumerate(entries):
                resource = item.get("resource") if isinstance(item, dict) else None
                if not _is_resource(resource):
                    problems.append(f"prefetch.{key}.entry[{index}].resource: not a FHIR resource")
    return problems


def resources_of(value: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The resources of one prefetch value or search result: a Bundle's entries, or itself."""
    if value.get("resourceType") == "Bundle":
        for item in value.get("entry", []):
            resource = item.get("resource")
            if _is_resource(resource) and resource["resourceType"] != "OperationOutcome":
                yield resource
    elif value.get("resourceType") != "OperationOutcome":
        yield value


def query_of(key: str, patient_id: str) -> str:
    """The FHIR query of a prefetch key for this patient (the template with its token filled).

    The id is percent-encoded, so that it stays one path segment or one query value whatever it
    holds (the request model already requires FHIR's id pattern).
    """
    return PREFETCH[key].replace(_PATIENT, quote(patient_id, safe=""))


class FetchLimits(NamedTuple):
    """The operator's bounds on the calls to the EHR's FHIR server (``serve`` options)."""

    timeout: float  #: seconds for the whole fetch of one hook call, every query and page
    max_pages: int  #: search pages followed per query
    max_bytes: int  #: bytes of one answer, read as a stream
    max_depth: int  #: deepest JSON nesting of one answer
    allowed: tuple[str, ...] = ()  #: URL prefixes of the servers that may be called


#: The one line a caller gets for any failure of the remote side (timeout, refused connection,
#: HTTP status, too large, not JSON, not FHIR): telling them apart would let a caller probe
#: hosts and ports through the service. The operator reads the reason in the service's log.
UNAVAILABLE = (
    "the FHIR server's data could not be had within the service's limits "
    "(the reason is in the service's log)"
)


class _Failed(Exception):
    """The FHIR server's answer is not usable; the detail goes to the service's log only."""


def _say(detail: str) -> None:
    """The operator's record of a remote failure (the caller gets one line without it)."""
    print(f"hcc-asp service: FHIR server: {detail}", file=sys.stderr, flush=True)


def _token_problem(token: str | None) -> str | None:
    """Why a bearer token cannot be sent in an HTTP header (RFC 6750 b64token), or None."""
    if token is None or re.fullmatch(r"[A-Za-z0-9\-._~+/]+=*", token):
        return None
    return "fhirAuthorization.access_token: not a bearer token (RFC 6750 characters only)"


async def fetch_missing(
    missing: list[str],
    patient_id: str,
    server: str,
    token: str | None,
    limits: FetchLimits,
) -> dict[str, list[dict[str, Any]]]:
    """Ask the EHR's FHIR server for the prefetch keys it did not send; key -> resources.

    The whole fetch (every query and every ``next`` page, followed at most ``max_pages`` times
    and only on the same server) has ``limits.timeout`` seconds, however slowly the server
    sends; each answer is read as a stream and given up beyond ``limits.max_bytes``. Every URL
    is decided by :func:`hcc_asp.service.remote.decide` before anything is sent. A failure
    raises :class:`DataUnavailable` with one line that does not repeat what the remote side
    answered (the detail goes to the service's log): the service must not be a way to probe
    servers and ports.
    """
    import anyio

    problem = _token_problem(token)
    if problem:
        raise DataUnavailable([problem])
    base = server.rstrip("/") + "/"
    found: dict[str, list[dict[str, Any]]] = {}
    key = missing[0] if missing else ""
    try:
        with anyio.fail_after(limits.timeout):
            async with _client(token, limits.timeout) as client:
                for key in missing:
                    found[key] = await _fetch_key(client, key, base, patient_id, limits)
    except remote.Refused as refused:
        raise DataUnavailable([f"fhirServer: not called: {refused}"]) from None
    except (TimeoutError, _Failed) as failed:
        reason = str(failed) or f"no complete answer within {limits.timeout:g} s"
        _say(f"{base}: {key}: {reason}")
        raise DataUnavailable([f"{key}: {UNAVAILABLE}"]) from None
    return found


def _client(token: str | None, timeout: float) -> Any:
    import httpx

    headers = {"Accept": "application/fhir+json, application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.AsyncClient(
        timeout=timeout, headers=headers, follow_redirects=False, trust_env=False
    )


async def _fetch_key(
    client: Any, key: str, base: str, patient_id: str, limits: FetchLimits
) -> list[dict[str, Any]]:
    """The resources of one prefetch key, every page of it."""
    url: str | None = urljoin(base, query_of(key, patient_id))
    resources: list[dict[str, Any]] = []
    pages = 0
    while url and pages < limits.max_pages:
        pages += 1
        value = await _get_json(client, url, key, limits)
        problems = check_prefetch({key: value})
        if problems or value is None:
            raise _Failed(f"not FHIR ({'; '.join(problems) or 'null'})")
        resources.extend(resources_of(value))
        url = _next_page(value, base)
    return resources


async def _get_json(client: Any, url: str, key: str, limits: FetchLimits) -> Any:
    """GET one decided URL and parse its answer, within the byte and depth bounds."""
    import anyio
    import httpx

    target = await anyio.to_thread.run_sync(
        remote.decide, url, limits.allowed, abandon_on_cancel=True
    )
    try:
        async with client.stream(
            "GET",
            target.url,
            headers={"Host": target.host},
            extensions={"sni_hostname": target.server_name},
        ) as response:
            if response.status_code != 200:
                raise _Failed(f"HTTP {response.status_code} for {url}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limits.max_bytes:
                raise _Failed(f"{declared} bytes declared (limit {limits.max_bytes})")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > limits.max_bytes:
                    raise _Failed(f"more than {limits.max_bytes} bytes")
    except httpx.HTTPError as error:
        raise _Failed(f"{type(error).__name__} for {url}") from None
    try:
        return bounded_json(bytes(body), limits.max_depth)
    except ValueError as error:
        raise _Failed(f"not JSON ({error})") from None


def bounded_json(body: bytes, max_depth: int) -> Any:
    """Parse JSON bytes strictly: UTF-8, no NaN, at most ``max_depth`` levels, no lone surrogate.

    Raises ``ValueError`` with the reason (a lone surrogate could not be written back out, in
    an answer or a log, so it is refused where it comes in).
    """
    text = body.decode("utf-8")  # UnicodeDecodeError is a ValueError
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError(f"nested deeper than {max_depth} levels") from None
    depth, where = shape_problem(value)
    if depth > max_depth:
        raise ValueError(f"nested deeper than {max_depth} levels")
    if where is not None:
        raise ValueError(f"{where}: a lone surrogate (not a Unicode character) in a string")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _next_page(value: dict[str, Any], base: str) -> str | None:
    """The ``next`` link of a searchset Bundle, when it stays on the same server."""
    if value.get("resourceType") != "Bundle":
        return None
    links = value.get("link")
    if not isinstance(links, list):
        return None
    for link in links:
        if not isinstance(link, dict) or link.get("relation") != "next":
            continue
        target = link.get("url")
        if isinstance(target, str) and target:
            url = urljoin(base, target)
            if urlsplit(url).netloc == urlsplit(base).netloc:
                return url
    return None


def from_prefetch(
    prefetch: dict[str, Any] | None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """The prefetched resources, and the prefetch keys the EHR did not send.

    Raises :class:`RequestProblem` for prefetch values that are not FHIR.
    """
    prefetch = prefetch or {}
    problems = check_prefetch(prefetch)
    if problems:
        raise RequestProblem(problems)
    resources: list[dict[str, Any]] = []
    for key in PREFETCH:
        value = prefetch.get(key)
        if value is not None:
            resources.extend(resources_of(value))
    return resources, [key for key in PREFETCH if prefetch.get(key) is None]


def the_patients(resources: list[dict[str, Any]], patient_id: str, missing: list[str]) -> None:
    """Check that the resources hold the context patient (and no other Patient)."""
    if "patient" in missing or not any(r["resourceType"] == "Patient" for r in resources):
        raise DataUnavailable(
            [
                "patient: no Patient resource: send the prefetch key 'patient' "
                "or a fhirServer (with fhirAuthorization) to read it from"
            ]
        )
    for resource in resources:
        if resource["resourceType"] == "Patient" and resource.get("id") not in (None, patient_id):
            raise RequestProblem(
                [
                    f"prefetch.patient: Patient/{resource.get('id')} is not "
                    f"context.patientId {patient_id}"
                ]
            )


async def gather(
    prefetch: dict[str, Any] | None,
    patient_id: str,
    server: str | None,
    token: str | None,
    limits: FetchLimits,
) -> list[dict[str, Any]]:
    """Every resource for the call: the prefetched ones, then what the FHIR server adds.

    Raises :class:`RequestProblem` for prefetch values that are not FHIR, and
    :class:`DataUnavailable` when a key is missing and no FHIR server is given (or it fails).
    Runs on the event loop: a slow FHIR server holds no worker thread.
    """
    resources, missing = from_prefetch(prefetch)
    if missing and server is not None:
        fetched = await fetch_missing(missing, patient_id, server, token, limits)
        for key in missing:
            resources.extend(fetched.get(key, []))
        missing = []
    the_patients(resources, patient_id, missing)
    return resources


class ReaderMissing(Exception):
    """The FHIR reader's libraries are not installed (the ``fhir`` extra)."""


def read_patient(
    resources: list[dict[str, Any]],
    as_of: Any = None,
    aliases: Any = None,
    medications_complete: bool = False,
) -> Any:
    """The Patient model (and the resource each value came from) read from FHIR resources.

    The mapping is the patient input's own (``hcc_asp.patient.fhir.patient_from_fhir``): the
    service adds nothing to it. Raises ``PatientError`` (one line per problem) for bad FHIR.
    """
    from hcc_asp.patient.fhir import patient_from_fhir

    try:
        return patient_from_fhir(
            resources, as_of=as_of, aliases=aliases, medications_complete=medications_complete
        )
    except ImportError as error:  # the [fhir] extra (fhir.resources) is not installed
        raise ReaderMissing(f"reading FHIR needs pip install 'hcc-asp[fhir]' ({error})") from None
