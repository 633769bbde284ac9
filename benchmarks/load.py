"""Load benchmark of the CDS Hooks service: N concurrent clients for a bounded time, loopback only.

    python benchmarks/load.py [--clients 8] [--seconds 20] [--workers 2] [--hook patient-view]

Starts ``hcc-asp serve`` on a free loopback port (or drives ``--url``, which must be a loopback
address), sends the hook with the FHIR prefetch of a shipped example patient from N concurrent
httpx clients for the given time, and prints requests per second, latency percentiles (p50, p95,
p99) and the errors (any answer that is not HTTP 200 with cards, or a transport error). For
comparison it times a cold ``hcc-asp recommend`` process on the same example. It asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
FHIR_EXAMPLE = ROOT / "examples" / "fhir" / "sorafenib-progression.json"
KEYS = {
    "observations": "Observation",
    "conditions": "Condition",
    "medicationRequests": "MedicationRequest",
    "medicationStatements": "MedicationStatement",
}


def prefetch() -> tuple[str, dict[str, Any]]:
    """The example patient's id and the prefetch an EHR would send for it."""
    resources = [e["resource"] for e in json.loads(FHIR_EXAMPLE.read_text())["entry"]]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    data: dict[str, Any] = {"patient": patient}
    for key, kind in KEYS.items():
        found = [r for r in resources if r["resourceType"] == kind]
        data[key] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": r} for r in found],
        }
    return patient["id"], data


def request_body(hook: str) -> tuple[str, dict[str, Any] | None]:
    """The service id and the body of one call (None: discovery GET)."""
    if hook == "discovery":
        return "", None
    patient_id, data = prefetch()
    context: dict[str, Any] = {"userId": "Practitioner/bench", "patientId": patient_id}
    service = "hcc-asp-therapy"
    if hook == "order-select":
        service = "hcc-asp-order-select"
        order = {
            "resourceType": "MedicationRequest",
            "id": "draft-1",
            "status": "draft",
            "intent": "order",
            "subject": {"reference": f"Patient/{patient_id}"},
            "medicationCodeableConcept": {"text": "atezolizumab 1200 mg"},
        }
        context["selections"] = ["MedicationRequest/draft-1"]
        context["draftOrders"] = {"resourceType": "Bundle", "entry": [{"resource": order}]}
    body = {"hook": hook, "hookInstance": "bench", "context": context, "prefetch": data}
    return service, body


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_service(workers: int, guidelines: list[str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "hcc_asp", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers), "--log-level", "warning"]
    command += ["--feedback-file", os.path.join(tempfile.mkdtemp(), "feedback.jsonl")]
    for guideline in guidelines:
        command += ["--guideline", guideline]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/cds-services", timeout=2).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("the service did not start")


async def client(
    http: httpx.AsyncClient, url: str, body: dict[str, Any] | None, stop: float, out: dict[str, Any]
) -> None:
    while time.monotonic() < stop:
        started = time.perf_counter()
        try:
            if body is None:
                response = await http.get(url)
            else:
                response = await http.post(url, json=body)
            ok = response.status_code == 200 and ("cards" in response.json() or body is None)
        except (httpx.HTTPError, ValueError):
            ok = False
        out["latencies"].append(time.perf_counter() - started)
        if not ok:
            out["errors"] += 1


async def drive(base: str, hook: str, clients: int, seconds: float) -> dict[str, Any]:
    service, body = request_body(hook)
    url = f"{base}/cds-services" + (f"/{service}" if service else "")
    out: dict[str, Any] = {"latencies": [], "errors": 0}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        # one warm-up call per client, not counted
        await asyncio.gather(
            *(client(http, url, body, 0, {"latencies": [], "errors": 0}) for _ in range(clients))
        )
        started = time.monotonic()
        stop = started + seconds
        await asyncio.gather(*(client(http, url, body, stop, out) for _ in range(clients)))
        out["elapsed"] = time.monotonic() - started
    return out


def cold_cli(runs: int = 3) -> float:
    """Median wall time of a cold ``hcc-asp recommend`` process on the FHIR example."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "hcc_asp", "recommend", str(FHIR_EXAMPLE), "--format", "json"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--hook", choices=("patient-view", "order-select", "discovery"), default="patient-view"
    )
    parser.add_argument("--guideline", action="append", default=[])
    parser.add_argument("--url", help="an already running service on a loopback address")
    args = parser.parse_args()
    process = None
    if args.url:
        host = urlsplit(args.url).hostname or ""
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("--url must be a loopback address (this drives load at it)")
        base = args.url.rstrip("/")
    else:
        process, base = start_service(args.workers, args.guideline)
    try:
        result = asyncio.run(drive(base, args.hook, args.clients, args.seconds))
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
    latencies = sorted(result["latencies"])
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    count = len(latencies)
    ms = {name: cuts[q] * 1000 for name, q in (("p50", 49), ("p95", 94), ("p99", 98))}
    print(f"hook {args.hook}, {args.clients} clients, {args.seconds:g} s, ", end="")
    print(f"{args.workers} workers, {os.cpu_count()} cores")
    print(f"requests {count}, {count / result['elapsed']:.1f} req/s, errors {result['errors']}")
    print(", ".join(f"{name} {value:.0f} ms" for name, value in ms.items()), end="")
    print(f", max {latencies[-1] * 1000:.0f} ms")
    cold = cold_cli() * 1000
    print(f"cold CLI `hcc-asp recommend` on the same patient: {cold:.0f} ms (median of 3)")


if __name__ == "__main__":
    main()
