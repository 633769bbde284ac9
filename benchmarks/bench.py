"""Benchmark: hcc-asp against plain clingo on the same program and facts; explain against recommend.

Prints figures, asserts nothing (timing belongs here, not in tests). Run: python benchmarks/bench.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import clingo

from hcc_asp.engine import Context, add_facts, catalogue
from hcc_asp.explain import explain
from hcc_asp.facts import patient_facts
from hcc_asp.patient import load_patient
from hcc_asp.recommend import recommend
from hcc_asp.resources import ROOT_FILE, kb_dir

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
REPEAT = 15


def median_ms(function, repeat: int = REPEAT) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return 1000 * statistics.median(samples)


def plain_clingo(facts: list[clingo.Symbol], files: list[str] | None = None) -> int:
    """Plain clingo: load the same KB files as text, add the same facts, ground, solve, read.

    ``files`` (the KB files without the other guidelines, as `recommend` grounds them) or the
    root file with every guideline (as `compare` grounds it).
    """
    ctl = clingo.Control(["--warn=none"])
    for name in files or [str(kb_dir() / ROOT_FILE)]:
        ctl.load(name)
    add_facts(ctl, facts)
    ctl.ground([("base", [])], context=Context())
    count = 0
    with ctl.solve(yield_=True) as handle:
        for model in handle:
            count = len(model.symbols(shown=True))
    return count


def one_guideline_files(atom: str) -> list[str]:
    """The KB files in include order, without the other guidelines' files (as `recommend`)."""
    from hcc_asp.program import guideline_statements

    seen: list[str] = []
    for statement in guideline_statements(None, (atom,)):
        name = statement.location.begin.filename
        if name not in seen and not name.endswith(ROOT_FILE):  # the root only includes
            seen.append(name)
    return seen


def main() -> None:
    patients = [load_patient(str(path)) for path in EXAMPLES]
    catalogue()  # KB metadata read once per process, as in the CLI
    for patient in patients:
        recommend(patient)
    ours = statistics.median(median_ms(lambda p=p: recommend(p)) for p in patients)
    facts = [patient_facts(p) for p in patients]
    files = one_guideline_files("asco2024")
    plain = statistics.median(median_ms(lambda f=f: plain_clingo(f, files)) for f in facts)
    plain_all = statistics.median(median_ms(lambda f=f: plain_clingo(f)) for f in facts)
    print(f"recommend, in process (median over {len(patients)} examples): {ours:7.1f} ms")
    print(f"plain clingo, same files (ASCO 2024) and facts:     {plain:7.1f} ms")
    print(f"ratio hcc-asp / plain clingo:                        {ours / plain:7.2f}")
    from hcc_asp.compare import compare

    side = statistics.median(median_ms(lambda p=p: compare(p)) for p in patients)
    print(f"compare, every guideline (median over examples):    {side:7.1f} ms")
    print(f"plain clingo, every guideline:                      {plain_all:7.1f} ms")
    print(f"ratio compare / plain clingo (one solve for all):   {side / plain_all:7.2f}")

    example = str(EXAMPLES[0])
    cold = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "hcc_asp", "recommend", example, "--format", "json"],
            check=True,
            capture_output=True,
        )
        cold.append(time.perf_counter() - start)
    importing = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import hcc_asp"], check=True)
        importing.append(time.perf_counter() - start)
    cold_ms, import_ms = 1000 * statistics.median(cold), 1000 * statistics.median(importing)
    print(f"cold `hcc-asp recommend` process (median of 5):      {cold_ms:7.1f} ms")
    print(f"cold `import hcc_asp` process (median of 5):         {import_ms:7.1f} ms")

    print()
    for patient in patients:
        base = median_ms(lambda p=patient: recommend(p), 7)
        regimens = [e["regimen"] for e in recommend(patient)["regimens"]]
        tree = statistics.median(
            median_ms(lambda p=patient, r=r: explain(p, r, counterfactuals=False), 3)
            for r in regimens
        )
        full = statistics.median(
            median_ms(lambda p=patient, r=r: explain(p, r), 3) for r in regimens
        )
        every = median_ms(lambda p=patient, rs=regimens: [explain(p, r) for r in rs], 3)
        print(
            f"{patient.id:28s} recommend {base:6.1f} ms"
            f" | explain tree {tree:6.1f} ms ({tree / base:4.1f}x)"
            f" | why-not + would_change_if {full:6.1f} ms ({full / base:4.1f}x)"
            f" | all {len(regimens)} regimens {every:7.1f} ms ({every / base:5.1f}x)"
        )


def check_figures() -> None:
    """`check` on the whole space against a naive loop of one `recommend` per profile."""
    import random

    from hcc_asp.check import check, space_facts
    from hcc_asp.facts import plain_value
    from hcc_asp.patient import PatientError, patient_from_data

    seconds = statistics.median(check("asco-2020")["checked"]["seconds"] for _ in range(3))
    facts, profiles = space_facts(None, ["asco2020"])
    domains: dict[str, list] = {}
    for fact in facts:
        if fact.match("space_value", 2):
            key, value = fact.arguments[0].string, fact.arguments[1]
            plain = plain_value(key, value)
            domains.setdefault(key, []).append(plain)
    rng = random.Random(7)
    histories = [
        None,
        [],
        [{"regimen": "sorafenib", "tolerated": True}],
        [{"regimen": "lenvatinib"}],
    ]
    samples = []
    while len(samples) < 200:
        data: dict = {"id": "sample"}
        for key, values in domains.items():
            choice = rng.choice([*values, None])
            if choice is None:
                continue
            node = data
            parts = key.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = choice
        history = rng.choice(histories)
        if history is not None:
            data["prior_therapies"] = history
        try:
            patient = patient_from_data(data)
            recommend(patient)
        except (PatientError, ValueError):
            continue  # an invalid combination: the space excludes it too
        samples.append(patient)
    per_profile = statistics.median(median_ms(lambda p=p: recommend(p), 1) for p in samples)
    years = profiles * per_profile / 1000 / 3600 / 24 / 365
    print()
    print(f"check, whole ASCO 2020 space ({profiles:.2e} profiles), median of 3: {seconds:6.2f} s")
    naive = f"{per_profile:.1f} ms x {profiles:.2e} = {years:.1e} years"
    print(f"naive loop, one recommend per profile: {naive}")
    started = time.perf_counter()
    every = check("all")
    elapsed = time.perf_counter() - started
    counts = {
        k: sum(f["severity"] == k for f in every["findings"]) for k in ("error", "warning", "info")
    }
    all_profiles = every["checked"]["patient_profiles"]
    print(
        f"check --guideline all ({all_profiles:.2e} profiles, "
        f"{len(every['guidelines'])} editions): "
        f"{elapsed:6.2f} s; findings {counts}"
    )


if __name__ == "__main__":
    main()
    check_figures()
