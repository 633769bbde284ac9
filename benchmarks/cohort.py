"""Benchmark of the batch engine: patients per second for 1, 100 and 10 000 synthetic patients.

Compared, on the same patients (``benchmarks/synthetic.py``, validated before timing) and the
same guideline (``--guideline``, default asco-2024):

- ``batch``: ``hcc_asp.recommend_many`` -- the batch engine, chunks of 250 patients per
  Control, every `recommend` document built;
- ``batch-answers``: the batch engine's answers only (ground, solve, split per patient), no
  documents: the part comparable to plain clingo;
- ``plain``: plain clingo grounding the same (rewritten) program, as text, and the same facts
  (built by the same function, added through the backend the same way) in one Control for the
  whole cohort, solving and collecting the shown symbols of its model;
- ``per-patient``: today's one-Control-per-patient path (``hcc_asp.recommend`` per patient; at
  10 000 patients it is timed on the first 300 and reported per patient).

Each measurement runs in a fresh process (which also gives its memory peak, ``ru_maxrss``) after
the KB is loaded there; the methods are interleaved round by round and the median is reported,
with the ratio to plain clingo, by wall time and by the process's CPU time (which other load on
the machine disturbs less). The batch engine's per-process caches start empty in every
measurement: what it saves by decoding each distinct atom once, it saves within the run. Then the
scaling with workers (``hcc_asp.cohort.runner.assess``, the audit's runner, pool start-up
included) and the memory peak by chunk size. Prints figures, asserts nothing.

    python benchmarks/cohort.py                       # 1, 100, 10000 patients
    python benchmarks/cohort.py --sizes 1,100 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

PER_PATIENT_SAMPLE = 300
METHODS = ("batch", "batch-answers", "plain", "per-patient")


def _patients(size: int) -> list[Any]:
    from synthetic import cohort

    from hcc_asp.patient import patient_from_data

    return [patient_from_data(data) for data in cohort(size, seed=size)]


def _plain(patients: list[Any], atom: str) -> int:
    """Plain clingo: the same program as text, the same facts, one Control, the model collected.

    The program is the batch engine's (the KB rewritten with a patient argument, the same
    ``#show`` terms); the facts are built by the same function, with the patient argument already
    in place (no rebuilding), and added through the backend as the batch engine adds them. The
    model's shown symbols are collected into a list (what reading the model costs at least);
    plain clingo does not attribute them to patients or build documents.
    """
    import clingo

    from hcc_asp.engine.batch import DOMAIN, batch_program
    from hcc_asp.engine.facts import patient_facts
    from hcc_asp.knowledge import shipped
    from hcc_asp.knowledge.solving import Context

    kb = shipped()
    text = "\n".join(str(s) for s in batch_program(kb, (atom,)).statements)
    ctl = clingo.Control(["--warn=none"])
    ctl.add("base", [], text)
    with ctl.backend() as backend:
        for index, patient in enumerate(patients):
            number = clingo.Number(index)
            backend.add_rule([backend.add_atom(clingo.Function(DOMAIN, [number]))])
            for fact in patient_facts(patient, kb, (number,)):
                backend.add_rule([backend.add_atom(fact)])
    ctl.ground([("base", [])], context=Context())
    symbols: list[clingo.Symbol] = []
    with ctl.solve(yield_=True) as handle:
        for model in handle:
            symbols = list(model.symbols(shown=True))
    return len(symbols)


def measure(method: str, size: int, guideline: str, chunk: int) -> dict[str, Any]:
    """Run one method once, in this process, after loading the KB; seconds and memory peak."""
    from hcc_asp.engine.batch import answers_many, batch_program
    from hcc_asp.knowledge import shipped
    from hcc_asp.recommend import recommend, resolve_guideline
    from hcc_asp.recommend_many import recommend_many

    kb = shipped()
    patients = _patients(size)
    atom = resolve_guideline(guideline, kb)
    batch_program(kb, (atom,))
    recommend(patients[0], guideline)  # the KB loaded and every cache warm, for every method
    timed = patients
    if method == "per-patient" and size > PER_PATIENT_SAMPLE:
        timed = patients[:PER_PATIENT_SAMPLE]
    start, cpu = time.perf_counter(), time.process_time()
    if method == "batch":
        for _ in recommend_many(timed, guideline, chunk_size=chunk):
            pass
    elif method == "batch-answers":
        for _ in answers_many(timed, [atom], kb, chunk_size=chunk):
            pass
    elif method == "plain":
        _plain(timed, atom)
    else:
        for patient in timed:
            recommend(patient, guideline)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"patients": len(timed), "seconds": seconds, "cpu": cpu, "peak_mb": round(peak)}


def _child(*arguments: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *arguments], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def _workers(size: int, guideline: str, workers: int) -> dict[str, Any]:
    from hcc_asp.cohort.records import Record
    from hcc_asp.cohort.runner import assess
    from hcc_asp.knowledge import shipped

    records = [Record(f"synthetic:{i}", p) for i, p in enumerate(_patients(size), start=1)]
    start = time.perf_counter()
    count = sum(1 for _ in assess(records, [guideline], shipped(), workers=workers))
    return {"patients": count, "seconds": time.perf_counter() - start}


def main() -> int:
    parser = argparse.ArgumentParser(description="batch engine benchmark")
    parser.add_argument("--sizes", default="1,100,10000")
    parser.add_argument("--rounds", type=int, default=3, help="rounds below 1000 patients")
    parser.add_argument("--big-rounds", type=int, default=1, help="rounds from 1000 patients")
    parser.add_argument("--scale-size", type=int, default=2000, help="patients for --workers")
    parser.add_argument("--chunk-patients", type=int, default=2000, help="patients, chunk sweep")
    parser.add_argument("--no-table", action="store_true", help="only the sweeps")
    parser.add_argument("--no-sweeps", action="store_true", help="only the table")
    parser.add_argument("--guideline", default="asco-2024")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--chunk", type=int, default=250)
    parser.add_argument("--measure", nargs=2, metavar=("METHOD", "SIZE"), help=argparse.SUPPRESS)
    parser.add_argument("--scale", nargs=2, metavar=("WORKERS", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        method, size = args.measure
        print(json.dumps(measure(method, int(size), args.guideline, args.chunk)))
        return 0
    if args.scale:
        workers, size = args.scale
        print(json.dumps(_workers(int(size), args.guideline, int(workers))))
        return 0

    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"guideline {args.guideline}; chunk {args.chunk}; median of {args.rounds} "
        f"({args.big_rounds} from 1000 patients) interleaved rounds"
    )
    print(
        f"{'patients':>8}  {'method':<14}{'patients/s':>11}{'x plain':>9}"
        f"{'CPU x plain':>13}{'peak MB':>9}"
    )
    for size in [] if args.no_table else sizes:
        samples: dict[str, list[dict[str, Any]]] = {m: [] for m in METHODS}
        for _ in range(args.rounds if size < 1000 else args.big_rounds):
            for method in METHODS:
                common = ("--guideline", args.guideline, "--chunk", str(args.chunk))
                samples[method].append(_child("--measure", method, str(size), *common))
        rate = {
            m: statistics.median(s["patients"] / s["seconds"] for s in runs)
            for m, runs in samples.items()
        }
        cpu_rate = {
            m: statistics.median(s["patients"] / s["cpu"] for s in runs)
            for m, runs in samples.items()
        }
        for method in METHODS:
            peak = max(s["peak_mb"] for s in samples[method])
            ratio, cpu_ratio = rate[method] / rate["plain"], cpu_rate[method] / cpu_rate["plain"]
            print(
                f"{size:>8}  {method:<14}{rate[method]:>11.1f}{ratio:>9.2f}{cpu_ratio:>13.2f}"
                f"{peak:>9}"
            )
    if args.no_sweeps:
        return 0
    biggest = max(sizes)
    swept = min(args.chunk_patients, biggest)
    print(f"\nmemory peak by chunk size ({swept} patients, batch)")
    for chunk in (50, 250, 1000):
        if chunk >= swept:
            continue
        run = _child("--measure", "batch", str(swept), "--chunk", str(chunk))
        print(
            f"  chunk {chunk:>6}: {run['peak_mb']:>6} MB, {run['patients'] / run['seconds']:.1f}/s"
        )
    scale = min(args.scale_size, biggest)
    print(f"\nscaling with workers ({scale} patients, hcc-asp audit's runner, start-up included)")
    for workers in (int(w) for w in args.workers.split(",")):
        run = _child("--scale", str(workers), str(scale), "--guideline", args.guideline)
        print(f"  {workers} worker(s): {run['patients'] / run['seconds']:.1f} patients/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
