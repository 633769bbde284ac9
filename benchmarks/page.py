"""Round trip of one change on the clinician's page: loopback only, one client, asserts nothing.

    python benchmarks/page.py [--changes 200] [--guideline asco-2024]

Starts ``hcc-asp serve`` (one worker) on a free loopback port and sends what the page sends for
one change: ``POST /page/answer`` with the whole patient (examples/first-line-complete.yaml),
its albumin stepped through values on both sides of the Child-Pugh and ALBI bands so that the
answer changes as it does when a clinician tries "what if", one request after the other (the
page debounces and keeps one request in flight). Prints p50, p95, p99 and the largest time of
the round trip (request sent to fragment received, as the browser's fetch sees it) and the
size of the fragment. The debounce (200 ms, in page.js) is not counted: it is the time the page
waits for typing to pause, not work.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "first-line-complete.yaml"
ALBUMIN = (3.8, 3.4, 2.7, 3.0, 3.6, 2.5, 4.1, 2.9)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--guideline", default="asco-2024")
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "hcc_asp", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--log-level", "warning", "--feedback-file", os.devnull]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        with httpx.Client(timeout=60) as client:
            deadline = time.monotonic() + 120
            while True:
                try:
                    client.get(f"{base}/cds-services")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        sys.exit("the service did not start")
                    time.sleep(0.2)
            patient = yaml.safe_load(EXAMPLE.read_text())
            client.get(f"{base}/")
            times = []
            size = 0
            for index in range(args.changes + 5):
                patient["labs"]["albumin_g_dl"] = ALBUMIN[index % len(ALBUMIN)]
                body = {"patient": patient, "guideline": args.guideline, "view": "recommend"}
                start = time.perf_counter()
                response = client.post(f"{base}/page/answer", json=body)
                elapsed = time.perf_counter() - start
                if response.status_code != 200 or response.json()["problems"]:
                    sys.exit(f"unexpected answer: {response.status_code} {response.text[:200]}")
                size = len(response.content)
                if index >= 5:  # the first few warm the page's own caches
                    times.append(elapsed * 1000)
    finally:
        server.terminate()
        server.wait(timeout=30)
    times.sort()

    def pct(p: float) -> float:
        return times[min(len(times) - 1, round(p / 100 * (len(times) - 1)))]

    print(f"changes: {len(times)}, fragment {size / 1024:.0f} KiB, guideline {args.guideline}")
    print(
        f"round trip ms: p50 {statistics.median(times):.1f}  p95 {pct(95):.1f}  "
        f"p99 {pct(99):.1f}  max {times[-1]:.1f}"
    )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
