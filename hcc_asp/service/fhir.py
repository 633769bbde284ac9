"""The EHR's FHIR data for one hook call: prefetch when present, else the EHR's FHIR server.

The discovery response asks for the data the KB reads (:data:`PREFETCH`). A call brings it as
``prefetch`` (each key a resource or a searchset Bundle, or absent/null when the EHR could not
fetch it); for every key it lacks, the service asks ``fhirServer`` itself with the bearer token of
``fhirAuthorization``, with a timeout and a bounded number of pages. The resources then go to the
FHIR reader of the patient input (``hcc_asp.patient.fhir``), which maps them into the one Patient
model; the service never maps FHIR itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from hcc_asp.patient.fhir.mapping import SYSTEMS, table

#: The LOINC codes of the Observations the patient reader maps (its table, ``mapping.csv``:
#: bilirubin, albumin, INR, AFP, platelets, ECOG, weight), in table order. Used only to narrow
#: the Observation query the EHR is asked for; the reader decides what each one means.
OBSERVATION_CODES = tuple(
    dict.fromkeys(r.code for r in table() if r.kind == "observation" and r.system == "loinc")
)

_PATIENT = "{{context.patientId}}"

#: Prefetch templates of the discovery response: key -> FHIR query (CDS Hooks prefetch tokens).
PREFETCH: dict[str, str] = {
    "patient": f"Patient/{_PATIENT}",
    "observations": f"Observation?patient={_PATIENT}&code="
    + ",".join(f"{SYSTEMS['loinc']}|{code}" for code in OBSERVATION_CODES),
    "conditions": f"Condition?patient={_PATIENT}",
    "medicationRequests": f"MedicationRequest?patient={_PATIENT}",
    "medicationStatements": f"MedicationStatement?patient={_PATIENT}",
}


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
    """The FHIR query of a prefetch key for this patient (the template with its token filled)."""
    return PREFETCH[key].replace(_PATIENT, patient_id)


def fetch_missing(
    missing: list[str],
    patient_id: str,
    server: str,
    token: str | None,
    timeout: float,
    max_pages: int,
) -> dict[str, list[dict[str, Any]]]:
    """Ask the EHR's FHIR server for the prefetch keys it did not send; key -> resources.

    Each query (and each next page, followed at most ``max_pages`` times and only on the same
    server) has ``timeout`` seconds. A failure raises :class:`DataUnavailable` naming the key and
    the reason; nothing is guessed.
    """
    import httpx

    base = server.rstrip("/") + "/"
    headers = {"Accept": "application/fhir+json, application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    found: dict[str, list[dict[str, Any]]] = {}
    with httpx.Client(timeout=timeout, headers=headers, follow_redirects=False) as client:
        for key in missing:
            url: str | None = urljoin(base, query_of(key, patient_id))
            resources: list[dict[str, Any]] = []
            pages = 0
            while url and pages < max_pages:
                pages += 1
                try:
                    response = client.get(url)
                except httpx.TimeoutException:
                    raise DataUnavailable(
                        [f"{key}: the FHIR server did not answer within {timeout:g} s"]
                    ) from None
                except httpx.HTTPError as error:
                    raise DataUnavailable(
                        [f"{key}: the FHIR server could not be reached ({type(error).__name__})"]
                    ) from None
                if key == "patient" and response.status_code == 404:
                    raise DataUnavailable([f"patient: Patient/{patient_id} not found"])
                if response.status_code != 200:
                    raise DataUnavailable(
                        [f"{key}: the FHIR server answered HTTP {response.status_code}"]
                    )
                try:
                    value = response.json()
                except ValueError:
                    raise DataUnavailable([f"{key}: the FHIR server did not send JSON"]) from None
                problems = check_prefetch({key: value})
                if problems or value is None:
                    raise DataUnavailable(
                        [f"{key}: the FHIR server did not send FHIR ({p})" for p in problems]
                        or [f"{key}: the FHIR server sent nothing"]
                    )
                resources.extend(resources_of(value))
                url = _next_page(value, base)
            found[key] = resources
    return found


def _next_page(value: dict[str, Any], base: str) -> str | None:
    """The ``next`` link of a searchset Bundle, when it stays on the same server."""
    if value.get("resourceType") != "Bundle":
        return None
    for link in value.get("link", []) or []:
        if isinstance(link, dict) and link.get("relation") == "next" and link.get("url"):
            url = urljoin(base, str(link["url"]))
            if urlsplit(url).netloc == urlsplit(base).netloc:
                return url
    return None


def gather(
    prefetch: dict[str, Any] | None,
    patient_id: str,
    server: str | None,
    token: str | None,
    timeout: float,
    max_pages: int,
) -> list[dict[str, Any]]:
    """Every resource for the call: the prefetched ones, then what the FHIR server adds.

    Raises :class:`RequestProblem` for prefetch values that are not FHIR, and
    :class:`DataUnavailable` when a key is missing and no FHIR server is given (or it fails).
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
    missing = [key for key in PREFETCH if prefetch.get(key) is None]
    if missing and server is not None:
        fetched = fetch_missing(missing, patient_id, server, token, timeout, max_pages)
        for key in missing:
            resources.extend(fetched.get(key, []))
        missing = []
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
    return resources


class ReaderMissing(Exception):
    """The FHIR reader's libraries are not installed (the ``fhir`` extra)."""


def read_patient(resources: list[dict[str, Any]], as_of: Any = None, aliases: Any = None) -> Any:
    """The Patient model (and the resource each value came from) read from FHIR resources.

    The mapping is the patient input's own (``hcc_asp.patient.fhir.patient_from_fhir``): the
    service adds nothing to it. Raises ``PatientError`` (one line per problem) for bad FHIR.
    """
    from hcc_asp.patient.fhir import patient_from_fhir

    try:
        return patient_from_fhir(resources, as_of=as_of, aliases=aliases)
    except ImportError as error:  # the [fhir] extra (fhir.resources) is not installed
        raise ReaderMissing(f"reading FHIR needs pip install 'hcc-asp[fhir]' ({error})") from None
