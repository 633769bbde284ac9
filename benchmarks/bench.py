"""Benchmark: hcc-asp against plain clingo on the same program and facts, measured fairly.

Prints figures and asserts nothing (timing belongs here, never in a test). Every comparison is
run as interleaved rounds (A, B, A, B, ...) after a warm-up of each side, so load that comes and
goes on a shared machine hits both sides alike; each line gives min / median / max over the rounds
and the ratio of the medians. Each figure is labelled:

- warm: in this process, the KB loaded and the disk cache filled (what a service or a batch sees);
- cold: a new process per run (what one command line sees), with the disk cache filled
  ("warm cache") or empty ("cold cache"). The package's bytecode is written first (as
  ``pip install`` does), so no timed process compiles hcc-asp's modules.

Plain clingo gets what hcc-asp gets: in process, the same program (the same cached parse, added
the same way) and the same facts as Symbols; as a process, the same program text and facts read
from files by ``clingo.Control.load``. Processes also report CPU time (user + system of the
child), far less noisy than wall time on a busy host.

Run from any directory (it never imports the source tree by accident: processes run in a
temporary folder)::

    python benchmarks/bench.py            # a few minutes
    python benchmarks/bench.py --quick    # fewer rounds: well under 3 minutes
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import clingo

from hcc_asp.engine.facts import patient_facts
from hcc_asp.explain import explain
from hcc_asp.knowledge import shipped
from hcc_asp.knowledge.solving import Context, add_facts, add_text
from hcc_asp.patient import load_patient
from hcc_asp.recommend import recommend, resolve_guideline

KB = shipped()

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
FLOOR = "import clingo, yaml, click, pydantic"
#: The floor as hcc-asp's console script runs a one-shot command: the cyclic garbage collector off
#: during the imports and the heap frozen before exit (``hcc_asp.console``); the fair floor for
#: judging what hcc-asp adds on top of its imports, since the floor above pays for the collector.
QUIET_FLOOR = f"import gc; gc.disable(); {FLOOR}; gc.freeze()"
#: The floor plus pydantic's model machinery: one one-field model defined and one dict validated
#: (``import pydantic`` alone loads none of it; any validating model needs all of it).
MODEL_FLOOR = (
    f"{FLOOR}\nfrom pydantic import BaseModel\n"
    "class One(BaseModel):\n    x: int = 0\nOne.model_validate({'x': 1})"
)


# measuring ---------------------------------------------------------------------------------------


def clock(function: Callable[[], Any]) -> tuple[float, float]:
    """Wall and CPU seconds of one call in this process."""
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def run_process(command: list[str], env: dict[str, str], cwd: str) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one child process; its output is discarded."""
    started = time.perf_counter()
    child = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    error = child.stderr.read().decode() if child.stderr else ""
    if child.returncode not in (0, 1):
        raise SystemExit(f"benchmark step failed: {' '.join(command)}\n{error}")
    return wall, usage.ru_utime + usage.ru_stime


def interleaved(
    sides: dict[str, Callable[[], tuple[float, float]]], rounds: int, warmup: int = 1
) -> dict[str, list[tuple[float, float]]]:
    """Run every side once per round, in turn (A, B, A, B, ...), after ``warmup`` rounds."""
    for _ in range(warmup):
        for side in sides.values():
            side()
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, side in sides.items():
            samples[name].append(side())
    return samples


def stats(samples: list[tuple[float, float]], which: int = 0) -> tuple[float, float, float]:
    values = [s[which] * 1000 for s in samples]
    return min(values), statistics.median(values), max(values)


def line(label: str, what: str, samples: list[tuple[float, float]], cpu: bool = False) -> None:
    low, mid, high = stats(samples)
    text = f"  [{label:4s}] {what:58s} {mid:8.1f} ms  (min {low:7.1f}, max {high:7.1f})"
    if cpu:
        low, mid_cpu, high = stats(samples, 1)
        text += f"  cpu {mid_cpu:7.1f} ms"
    print(text)


def ratio(what: str, top: list[tuple[float, float]], bottom: list[tuple[float, float]]) -> None:
    wall = stats(top)[1] / stats(bottom)[1]
    cpu = stats(top, 1)[1] / stats(bottom, 1)[1] if stats(bottom, 1)[1] > 0 else float("nan")
    print(f"  ratio {what:64s} {wall:6.2f}  (cpu {cpu:5.2f})")


# the two sides -----------------------------------------------------------------------------------


def plain_clingo(text: str, facts: list[clingo.Symbol]) -> int:
    """Plain clingo in process: the same program (same cached parse) and the same facts."""
    ctl = clingo.Control(["--warn=none"])
    add_text(ctl, text)
    add_facts(ctl, facts)
    ctl.ground([("base", [])], context=Context())
    count = 0
    with ctl.solve(yield_=True) as handle:
        for model in handle:
            count = len(model.symbols(shown=True))
    return count


PLAIN_PROCESS = """
import math, sys, clingo
class Context:
    def log10_micro(self, n):
        return clingo.Number(round(math.log10(n.number) * 1000000))
ctl = clingo.Control(["--warn=none"])
for name in sys.argv[1:]:
    ctl.load(name)
ctl.ground([("base", [])], context=Context())
with ctl.solve(yield_=True) as handle:
    for model in handle:
        print(len(model.symbols(shown=True)))
"""


def compile_bytecode() -> None:
    """Write the package's bytecode, as ``pip install`` does, before timing new processes.

    The libraries of the import floor come with their ``.pyc``; an editable install run with
    ``PYTHONDONTWRITEBYTECODE`` (set on the development machine) would otherwise compile
    hcc-asp's own modules in every timed process (about 50 ms). A folder that cannot be written
    (an installed package) already has its bytecode.
    """
    import compileall

    import hcc_asp

    with contextlib.suppress(OSError):
        compileall.compile_dir(str(Path(hcc_asp.__file__).parent), quiet=2)


def why_not_regimen(document: dict[str, Any]) -> str:
    """A regimen the patient is not offered (why-not asks about those), else the first one."""
    entries = document["regimens"]
    chosen = next((e for e in entries if e["status"] != "recommended"), entries[0])
    return str(chosen["regimen"])


# sections ----------------------------------------------------------------------------------------


def warm_section(rounds: int) -> float:
    print(f"\nIn process, warm (interleaved pairs, {rounds} rounds per example, 1 warm-up)")
    KB.catalogue  # noqa: B018 - read before timing
    patients = [load_patient(str(path)) for path in EXAMPLES]
    guideline = resolve_guideline(None, KB)
    text = KB.compiled().text([guideline])
    ours: list[tuple[float, float]] = []
    plain: list[tuple[float, float]] = []
    tree: list[tuple[float, float]] = []
    why: list[tuple[float, float]] = []
    base: list[tuple[float, float]] = []
    for patient in patients:
        facts = patient_facts(patient, KB)
        pair = interleaved(
            {
                "ours": lambda p=patient: clock(lambda: recommend(p)),
                "plain": lambda f=facts: clock(lambda: plain_clingo(text, f)),
            },
            rounds,
        )
        ours += pair["ours"]
        plain += pair["plain"]
        regimen = why_not_regimen(recommend(patient))
        triple = interleaved(
            {
                "recommend": lambda p=patient: clock(lambda: recommend(p)),
                "tree": lambda p=patient, r=regimen: clock(
                    lambda: explain(p, r, counterfactuals=False)
                ),
                "why": lambda p=patient, r=regimen: clock(lambda: explain(p, r)),
            },
            rounds,
        )
        base += triple["recommend"]
        tree += triple["tree"]
        why += triple["why"]
    n = len(patients)
    line("warm", f"recommend ({n} examples, default guideline {guideline})", ours)
    line("warm", "plain clingo: same program text/parse, same facts", plain)
    ratio("recommend / plain clingo", ours, plain)
    line("warm", "recommend (paired with why-not)", base)
    line("warm", "explain, derivation tree only", tree)
    line("warm", "why-not with counterfactuals (would_change_if)", why)
    ratio("why-not with counterfactuals / recommend", why, base)
    ratio("explain tree only / recommend", tree, base)
    return stats(ours)[1]


def cold_section(rounds: int, workdir: Path) -> None:
    example = str(EXAMPLES[0])
    cache = workdir / "cache"
    env = dict(os.environ, HCC_ASP_CACHE_DIR=str(cache))
    env.pop("HCC_ASP_NO_CACHE", None)
    cwd = str(workdir)  # never the repository: `python -m hcc_asp` must find the installed package
    patient = load_patient(example)
    guideline = resolve_guideline(None, KB)
    (workdir / "program.lp").write_text(KB.compiled().text([guideline]))
    facts = patient_facts(patient, KB)
    (workdir / "facts.lp").write_text("".join(f"{fact}.\n" for fact in facts))
    (workdir / "plain.py").write_text(PLAIN_PROCESS)
    python = sys.executable
    compile_bytecode()
    recommend_cli = [python, "-m", "hcc_asp", "recommend", example, "--format", "json"]
    document = recommend(patient)
    regimen = why_not_regimen(document)
    why_cli = [python, "-m", "hcc_asp", "why-not", example, regimen, "--format", "json"]
    compare_cli = [python, "-m", "hcc_asp", "compare", example, "--format", "json"]
    plain_cli = [python, str(workdir / "plain.py"), "program.lp", "facts.lp"]
    print(f"\nNew processes, cold (interleaved, {rounds} rounds, 1 warm-up; cache filled first)")
    print(f"  example {Path(example).name}, guideline {guideline}, why-not {regimen}")
    samples = interleaved(
        {
            "recommend": lambda: run_process(recommend_cli, env, cwd),
            "floor": lambda: run_process([python, "-c", FLOOR], env, cwd),
            "quiet": lambda: run_process([python, "-c", QUIET_FLOOR], env, cwd),
            "models": lambda: run_process([python, "-c", MODEL_FLOOR], env, cwd),
            "plain": lambda: run_process(plain_cli, env, cwd),
            "why": lambda: run_process(why_cli, env, cwd),
            "compare": lambda: run_process(compare_cli, env, cwd),
        },
        rounds,
    )
    line("cold", "`hcc-asp recommend` process, warm cache", samples["recommend"], cpu=True)
    line("cold", f"import floor: python -c '{FLOOR}'", samples["floor"], cpu=True)
    line("cold", "import floor, collector off (as hcc-asp runs)", samples["quiet"], cpu=True)
    line("cold", "import floor + one pydantic model defined and used", samples["models"], cpu=True)
    line("cold", "plain clingo process: same program text and facts", samples["plain"], cpu=True)
    line("cold", "`hcc-asp why-not` process, warm cache", samples["why"], cpu=True)
    line("cold", "`hcc-asp compare` process, every guideline", samples["compare"], cpu=True)
    ratio("cold recommend / import floor", samples["recommend"], samples["floor"])
    ratio("cold recommend / import floor, collector off", samples["recommend"], samples["quiet"])
    ratio("floor with one pydantic model / import floor", samples["models"], samples["floor"])
    ratio("cold recommend / floor with one pydantic model", samples["recommend"], samples["models"])
    ratio("cold recommend / plain clingo process", samples["recommend"], samples["plain"])
    ratio("cold why-not / cold recommend", samples["why"], samples["recommend"])
    ratio("cold compare / cold recommend", samples["compare"], samples["recommend"])
    first: list[tuple[float, float]] = []
    for index in range(max(2, rounds // 4)):
        fresh = dict(env, HCC_ASP_CACHE_DIR=str(workdir / f"empty-{index}"))
        first.append(run_process(recommend_cli, fresh, cwd))
    line("cold", "`hcc-asp recommend` process, empty cache (first run)", first, cpu=True)
    xclingo_section(workdir, guideline, regimen, env, cwd, rounds)


def xclingo_section(
    workdir: Path, guideline: str, regimen: str, env: dict[str, str], cwd: str, rounds: int
) -> None:
    """explain against xclingo on the same program and facts, when xclingo is installed."""
    command = shutil.which("xclingo") or os.environ.get("XCLINGO")
    if not command:
        print("  [cold] xclingo: not installed (pip install xclingo); skipped")
        return
    script = workdir / "xclingo-extra.lp"
    script.write_text(
        "#script (python)\nimport math\nimport clingo\n"
        "def log10_micro(n):\n    return clingo.Number(round(math.log10(n.number) * 1000000))\n"
        f"#end.\n%!show_trace status({guideline}, {regimen}, S).\n"
    )
    xclingo = [command, "--auto-tracing", "all", "-n", "1", "1"]
    xclingo += ["program.lp", "facts.lp", script.name]
    probe = subprocess.run(xclingo, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    problem = next(
        (row for row in (probe.stdout + probe.stderr).splitlines() if "error" in row.lower()), ""
    )
    if probe.returncode != 0 or problem:
        print(f"  [cold] xclingo could not explain this KB: {problem or probe.returncode}")
        return
    example = str(EXAMPLES[0])
    explain_cli = [sys.executable, "-m", "hcc_asp", "explain", example, regimen, "--format", "json"]
    samples = interleaved(
        {
            "ours": lambda: run_process(explain_cli, env, cwd),
            "xclingo": lambda: run_process(xclingo, env, cwd),
        },
        max(2, rounds // 2),
    )
    line("cold", "`hcc-asp explain` process", samples["ours"], cpu=True)
    line("cold", "xclingo process, same program and facts", samples["xclingo"], cpu=True)
    ratio("explain / xclingo", samples["ours"], samples["xclingo"])


def check_section(repeat: int, recommend_ms: float) -> None:
    from hcc_asp.check import check

    print(f"\nIn process, check (median of {repeat}; KB parsed and catalogue read once first)")
    profiles = check("asco-2020")["checked"]["patient_profiles"]  # parse, thresholds: shared
    one = [clock(lambda: check("asco-2020")) for _ in range(repeat)]
    line("warm", f"check --guideline asco-2020 ({profiles:.1e} profiles)", one, cpu=True)
    years = profiles * recommend_ms / 1000 / 3600 / 24 / 365
    print(
        f"  naive loop instead: one recommend per profile, {recommend_ms:.1f} ms x {profiles:.1e}"
    )
    print(f"  = {years:.1e} years")
    document: dict[str, Any] = {}

    def every() -> None:
        document.update(check("all"))

    runs = [clock(every) for _ in range(repeat)]
    counts = {
        k: sum(f["severity"] == k for f in document["findings"])
        for k in ("error", "warning", "info")
    }
    line("warm", f"check --guideline all ({len(document['guidelines'])} editions)", runs, cpu=True)
    print(f"  findings {counts}, {document['checked']['patient_profiles']:.2e} patient profiles")


def conditions() -> None:
    load = os.getloadavg()
    print(
        f"hcc-asp benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
        f"{os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}, "
        f"Python {sys.version.split()[0]}, clingo {clingo.__version__}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (under 3 minutes)")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per comparison")
    parser.add_argument("--skip-check", action="store_true", help="leave out `check`")
    options = parser.parse_args()
    rounds = options.rounds or (5 if options.quick else 20)
    conditions()
    with tempfile.TemporaryDirectory(prefix="hcc-asp-bench-") as folder:
        workdir = Path(folder)
        os.environ["HCC_ASP_CACHE_DIR"] = str(workdir / "cache")  # this process shares it
        recommend_ms = warm_section(rounds)
        cold_section(max(4, rounds // 2) if options.quick else rounds, workdir)
        if not options.skip_check:
            check_section(1 if options.quick else 3, recommend_ms)
    conditions()


if __name__ == "__main__":
    main()
