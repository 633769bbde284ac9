"""Benchmark: peak memory of reading a 100 MB FHIR chart of one patient (README, "FHIR input").

Writes a chart shaped like a Synthea export of one patient into a temporary folder: the real
Synthea head of ``tests/fhir/real`` (Patient, Encounter, Condition), then mostly what the mapping
never reads (Encounters, Claims, clinical notes with a base64 attachment, vital signs) and ten
years of monthly labs it does read, about 100 MB in all, once as one JSON Bundle and once as
NDJSON. Each is read by ``hcc-asp import`` in a new process; the figure is that process's peak
resident memory (``VmHWM`` of ``/proc/self/status``: Linux), beside the peak of
``hcc-asp import`` of the small shipped
Bundle (the floor: the interpreter, clingo and the FHIR models). Prints figures, asserts nothing.

    python benchmarks/fhir_memory.py            # about a minute
    python benchmarks/fhir_memory.py --mb 20    # a smaller chart
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HEAD = ROOT / "tests" / "fhir" / "real" / "synthea-transaction-head.json"
SMALL = ROOT / "tests" / "fhir" / "sorafenib-progression-si.json"
PATIENT = "urn:uuid:d5582579-7193-4866-5560-a01e723b6552"


def _entries(megabytes: int) -> list[dict[str, Any]]:
    head = json.loads(HEAD.read_text())["entry"]
    entries = list(head)
    note = "QUJD" * 40_000  # a 160 kB base64 attachment, as a scanned note
    size = 0
    n = 0
    day = dt.date(2016, 1, 1)
    while size < megabytes * 1_000_000:
        n += 1
        kind = ("Encounter", "Claim", "DocumentReference", "Observation")[n % 4]
        resource: dict[str, Any] = {"resourceType": kind, "id": f"{kind.lower()}-{n}"}
        resource["subject" if kind != "Claim" else "patient"] = {"reference": PATIENT}
        if kind == "DocumentReference" and n % 40 == 2:
            resource["content"] = [{"attachment": {"contentType": "text/plain", "data": note}}]
        if kind == "Observation":  # a vital sign: a code the mapping does not read
            resource.update(
                status="final",
                code={"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
                valueQuantity={"value": 72, "unit": "/min"},
            )
        text = json.dumps(resource)
        size += len(text)
        entries.append({"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource})
    for month in range(120):  # ten years of monthly labs the mapping reads
        for code, unit in (("1975-2", "mg/dL"), ("1751-7", "g/dL"), ("6301-6", "{INR}")):
            lab = {
                "resourceType": "Observation",
                "id": f"lab-{code}-{month}",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
                "subject": {"reference": PATIENT},
                "effectiveDateTime": (day + dt.timedelta(days=30 * month)).isoformat(),
                "valueQuantity": {"value": 1.2, "unit": unit},
            }
            entries.append({"fullUrl": f"urn:uuid:{lab['id']}", "resource": lab})
    return entries


def _peak(path: Path) -> tuple[float, int]:
    """Peak RSS (MB) of ``hcc-asp import path`` in a new process, and its exit code."""
    code = (  # VmHWM: the peak of this process's own memory (ru_maxrss keeps the parent's)
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from hcc_asp.cli import main\n"
        "result = CliRunner().invoke(main, ['import', sys.argv[1], '--as-of', '2026-11-30'])\n"
        "peak = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "print(peak, result.exit_code)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True)
    kb, exit_code = out.stdout.split()[-2:]
    return int(kb) / 1024, int(exit_code)


def main() -> None:
    """Write the charts, read each in a new process, print the peaks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100, help="size of the chart (MB)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hcc-asp-fhir-memory-") as folder:
        entries = _entries(args.mb)
        bundle = Path(folder) / "chart.json"
        bundle.write_text(
            json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries})
        )
        ndjson = Path(folder) / "chart.ndjson"
        with ndjson.open("w") as handle:
            for entry in entries:
                handle.write(json.dumps(entry["resource"]) + "\n")
        del entries
        floor, _ = _peak(SMALL)
        print(f"hcc-asp import of the shipped 11 kB Bundle: peak {floor:.0f} MB (the floor)")
        for path in (bundle, ndjson):
            peak, code = _peak(path)
            size = path.stat().st_size / 1_000_000
            print(
                f"hcc-asp import of a {size:.0f} MB {path.suffix} chart: "
                f"peak {peak:.0f} MB, exit {code}"
            )


if __name__ == "__main__":
    main()
