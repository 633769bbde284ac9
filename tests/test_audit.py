"""`hcc-asp audit`: concordance over a cohort, nothing lost, the same answer on any workers.

The cohorts are small and built from the golden cases: a patient who was given a regimen the
guideline offers is concordant, one given a regimen it does not offer is discordant with the KB's
reasons, one without a recorded regimen (or a regimen waiting for data) is not assessable with
what is missing. Every bad record is named (file:line) and the others still run.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from hcc_asp.cli import main
from hcc_asp.cohort.concordance import decision_point
from hcc_asp.cohort.readers import read_cohort
from hcc_asp.patient import load_patient, patient_from_data
from hcc_asp.recommend import recommend

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
FIRES = GOLDEN / "asco-2024-1-1-fires.yaml"  # ASCO 2024 offers atezo+bev and STRIDE first line
UNSCREENED = GOLDEN / "asco-2024-1-1-atezo-bev-misses-varices-unscreened.yaml"


def run(*args: str):
    return CliRunner().invoke(main, ["audit", *args])


def _with_given(source: Path, given: str | None, target: Path) -> Path:
    text = source.read_text()
    target.write_text(text + (f"given: {given}\n" if given else ""))
    return target


@pytest.fixture
def cohort(tmp_path: Path) -> Path:
    folder = tmp_path / "cohort"
    folder.mkdir()
    _with_given(FIRES, "atezo+bev", folder / "a-given-atezo-bev.yaml")
    _with_given(FIRES, "sorafenib", folder / "b-given-sorafenib.yaml")
    _with_given(FIRES, None, folder / "c-nothing-recorded.yaml")
    _with_given(UNSCREENED, "atezo+bev", folder / "d-varices-unscreened.yaml")
    (folder / "e-broken.yaml").write_text("ecog: 7\n")
    (folder / "notes.txt").write_text("not a patient file, not a record\n")
    return folder


def _by_record(document: dict) -> dict[str, dict]:
    return {Path(p["record"]).name.split(":")[0]: p for p in document["patients"]}


def test_atezo_bev_given_where_asco_2024_offers_it_is_concordant_and_sorafenib_discordant(
    cohort: Path,
) -> None:
    result = run(str(cohort), "--guideline", "asco-2024", "--format", "json", "--workers", "1")
    assert result.exit_code == 3, result.output  # one record rejected, named
    document = json.loads(result.stdout)
    patients = _by_record(document)
    [given_atezo] = patients["a-given-atezo-bev.yaml"]["guidelines"]
    assert given_atezo["concordance"] == "concordant"
    assert given_atezo["recommendation"] == "1.1"
    [given_sorafenib] = patients["b-given-sorafenib.yaml"]["guidelines"]
    assert given_sorafenib["concordance"] == "discordant"
    assert "alternative_is_an_option" in [r["code"] for r in given_sorafenib["why_not"]]
    [nothing] = patients["c-nothing-recorded.yaml"]["guidelines"]
    assert (nothing["concordance"], nothing["missing"]) == ("not_assessable", ["given"])
    [unscreened] = patients["d-varices-unscreened.yaml"]["guidelines"]
    assert (
        unscreened["concordance"] == "not_assessable"
        and unscreened["given_status"] == "conditional"
    )
    assert unscreened["missing"] or unscreened["actions"]
    [summary] = document["guidelines"]
    assert (summary["concordant"], summary["discordant"], summary["not_assessable"]) == (1, 1, 2)
    assert summary["concordance_rate"] == 0.5
    assert summary["by_line"][0]["line"] == 1
    assert document["records"] == 5 and document["rejected"] == 1
    [error] = document["errors"]
    assert error["record"].endswith("e-broken.yaml") and "ecog" in error["errors"][0]
    assert "e-broken.yaml: ecog" in result.stderr


def test_a_pool_of_workers_and_one_process_print_the_same_bytes(cohort: Path) -> None:
    one = run(
        str(cohort), "-g", "asco-2024", "-g", "bclc-2022", "--format", "csv", "--workers", "1"
    )
    pool = run(
        str(cohort), "-g", "asco-2024", "-g", "bclc-2022", "--format", "csv", "--workers", "2",
        "--task-size", "2",
    )  # fmt: skip
    assert one.exit_code == pool.exit_code == 3
    assert one.stdout == pool.stdout
    rows = one.stdout.splitlines()
    assert rows[0].startswith("record,patient,given,line,guideline,concordance")
    assert len(rows) == 1 + 4 * 2 + 1  # header, four patients under two guidelines, one error row


def test_the_batch_answer_is_the_one_patient_answer_at_the_decision(cohort: Path) -> None:
    patient = load_patient(str(cohort / "b-given-sorafenib.yaml"))
    document = recommend(patient, "asco-2024")
    entry = next(e for e in document["regimens"] if e["regimen"] == "sorafenib")
    result = json.loads(run(str(cohort), "--format", "json", "--workers", "1").stdout)
    [item] = _by_record(result)["b-given-sorafenib.yaml"]["guidelines"]
    assert item["given_status"] == entry["status"]
    assert [r["code"] for r in item["why_not"]] == [r["code"] for r in entry["reasons"]]


def test_an_ongoing_last_line_is_the_regimen_given_at_that_line() -> None:
    patient = patient_from_data(
        {
            "id": "on-lenvatinib",
            "prior_therapies": [{"regimen": "lenvatinib", "outcome": "ongoing"}],
        }
    )
    given, before = decision_point(patient)
    assert given == "lenvatinib" and before.prior_therapies == [] and before.id == "on-lenvatinib"


def test_json_lines_and_csv_name_each_bad_record_by_line(tmp_path: Path) -> None:
    good = json.dumps({"id": "p1", "ecog": 0, "prior_therapies": [], "given": "sorafenib"})
    lines = tmp_path / "cohort.jsonl"
    lines.write_text(f"{good}\n{{not json\n\n{json.dumps({'ecog': 9})}\n")
    records = list(read_cohort(lines))
    assert [r.where.rsplit(":", 1)[1] for r in records] == ["1", "2", "4"]
    assert records[0].patient is not None and records[0].patient.given == "sorafenib"
    assert records[1].problems and "ecog" in records[2].problems[0]

    table = tmp_path / "cohort.csv"
    table.write_text(
        "id,ecog,liver.etiology,prior_therapies,prior_therapies.1.regimen,"
        "prior_therapies.1.outcome,given\n"
        "naive,0,hbv;alcohol,none,,,atezo+bev\n"
        "second-line,1,hcv,,sorafenib,progression,regorafenib\n"
        "bad,7,,,,,\n"
        "gap,1,,,,progression,\n"
    )
    rows = list(read_cohort(table))
    assert [r.where.rsplit(":", 1)[1] for r in rows] == ["2", "3", "4", "5"]
    naive, second, bad, gap = rows
    assert naive.patient is not None and naive.patient.prior_therapies == []
    assert naive.patient.liver.etiology == ["hbv", "alcohol"]
    assert naive.patient.given == "atezolizumab_bevacizumab"
    assert second.patient is not None and second.patient.prior_therapies[0].regimen == "sorafenib"
    assert bad.patient is None and any(p.startswith("ecog") for p in bad.problems)
    assert gap.patient is not None  # a line with an outcome but no regimen is a listed line


def test_nothing_usable_is_exit_2_with_nothing_on_stdout(tmp_path: Path) -> None:
    lines = tmp_path / "bad.jsonl"
    lines.write_text('{"ecog": 9}\n[1, 2]\n')
    result = run(str(lines), "--workers", "1")
    assert result.exit_code == 2 and result.stdout == ""
    assert f"{lines}:1: ecog" in result.stderr and f"{lines}:2:" in result.stderr
    assert run(str(tmp_path / "nowhere.csv")).exit_code == 2
    assert run(str(lines), "-g", "no-such-guideline").exit_code == 2


def test_results_as_parquet_hold_a_row_per_record_and_guideline(
    cohort: Path, tmp_path: Path
) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    target = tmp_path / "results.parquet"
    result = run(str(cohort), "-g", "asco-2024", "--results", str(target), "--workers", "1")
    assert result.exit_code == 3
    table = pq.read_table(target).to_pylist()
    assert len(table) == 5
    assert {r["concordance"] for r in table} == {"concordant", "discordant", "not_assessable", None}
    assert next(r["errors"] for r in table if r["concordance"] is None)[0].startswith("ecog")

    jsonl = tmp_path / "results.jsonl"
    assert run(str(cohort), "--results", str(jsonl), "--workers", "1").exit_code == 3
    assert len(jsonl.read_text().splitlines()) == 5


def test_a_dask_cluster_gives_the_same_answer_as_one_process(cohort: Path) -> None:
    distributed = pytest.importorskip("distributed")
    local = run(str(cohort), "--format", "csv", "--workers", "1").stdout
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        result = run(
            str(cohort), "--format", "csv", "--scheduler", cluster.scheduler_address,
            "--task-size", "2",
        )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert result.stdout == local


def test_a_fhir_bulk_export_is_read_per_patient_and_an_active_order_is_the_regimen_given(
    tmp_path: Path,
) -> None:
    pytest.importorskip("fhir.resources")
    one = [
        json.loads(line)
        for line in (ROOT / "tests" / "fhir" / "sorafenib-progression-si.ndjson").open()
    ]
    two = json.loads(json.dumps(one).replace("hcc-fhir-001", "hcc-fhir-002"))
    nivolumab = {
        "resourceType": "MedicationRequest",
        "id": "nivolumab-2",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "1597876"}]
        },
        "subject": {"reference": "Patient/hcc-fhir-002"},
        "authoredOn": "2026-11-01",
    }
    ghost = {  # an INR (a code the mapping reads) of a patient not in the export
        "resourceType": "Observation",
        "id": "x",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "6301-6"}]},
        "subject": {"reference": "Patient/ghost"},
    }
    export = tmp_path / "export"
    export.mkdir()
    by_type: dict[str, list[dict]] = {}
    for resource in [*one, *two, nivolumab, ghost]:
        by_type.setdefault(resource["resourceType"], []).append(resource)
    for kind, resources in by_type.items():
        (export / f"{kind}.ndjson").write_text("".join(json.dumps(r) + "\n" for r in resources))
    result = run(str(export), "--format", "json", "--workers", "1")
    assert result.exit_code == 3, result.output
    document = json.loads(result.stdout)
    first, second = (p for p in document["patients"] if "errors" not in p)
    assert (first["patient"], first["given"], first["line"]) == ("hcc-fhir-001", None, 2)
    assert (second["patient"], second["given"], second["line"]) == ("hcc-fhir-002", "nivolumab", 2)
    assert first["record"].endswith("Patient.ndjson:1")
    [error] = document["errors"]
    assert error["record"].endswith("Observation.ndjson:15")
    assert "Patient/ghost" in error["errors"][0]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run does)")
def test_the_html_audit_shows_a_bar_per_guideline_in_a_real_browser(
    cohort: Path, tmp_path: Path
) -> None:
    pytest.importorskip("jinja2")
    from playwright.sync_api import sync_playwright

    result = run(
        str(cohort), "-g", "asco-2024", "-g", "bclc-2022", "--format", "html", "--workers", "1"
    )
    assert result.exit_code == 3
    page_file = tmp_path / "audit.html"
    page_file.write_text(result.stdout, encoding="utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        problems: list[str] = []
        requests: list[str] = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("request", lambda request: requests.append(request.url))
        page.goto(page_file.as_uri())
        bars = page.locator("#concordance-chart g.bar")
        assert bars.count() == 2
        asco = page.locator('#concordance-chart g.bar[data-guideline="asco-2024"] rect')
        assert sorted(asco.evaluate_all("rs => rs.map(r => r.dataset.kind)")) == [
            "concordant",
            "discordant",
            "not_assessable",
        ]
        widths = asco.evaluate_all("rs => rs.map(r => r.getBoundingClientRect().width)")
        assert widths[2] == pytest.approx(2 * widths[0], rel=0.05)  # 2 not assessable : 1
        assert "e-broken.yaml" in page.locator("#rejected").inner_text()
        # The chart has its counts and an axis; reasons say how many patients; the discordant
        # and not-assessable patients are listed to open.
        counts = page.locator("#concordance-chart text.count").all_text_contents()
        assert "2" in counts
        axis = page.locator("#concordance-chart g.axis text").all_text_contents()
        assert "0%" in axis and "100%" in axis
        text = page.locator("main").inner_text()
        assert "1 patient:" in text
        assert (
            "b-given-sorafenib.yaml" in page.locator("table.patients-discordant").first.inner_text()
        )
        listed = page.locator("table.patients-not-assessable").first.inner_text()
        assert "c-nothing-recorded.yaml" in listed
        artifacts = Path(__file__).resolve().parent / "artifacts"
        artifacts.mkdir(exist_ok=True)
        page.screenshot(path=str(artifacts / "audit.png"), full_page=True)
        assert problems == [] and requests == [page_file.as_uri()]
        browser.close()


def _drain(fd: int, into: bytearray) -> None:
    """Read a pseudo-terminal until its last writer closes it (Linux then raises EIO)."""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return
        if not chunk:
            return
        into.extend(chunk)


def test_the_audit_progress_bar_is_drawn_on_a_terminal_and_absent_from_a_pipe(
    cohort: Path,
) -> None:
    """The real CLI in a subprocess: its stderr once a pseudo-terminal, once a pipe.

    On the terminal rich draws the bar (cursor control, "N records") and erases it; on a pipe
    stderr holds only the error line of the bad record. stdout is a pipe both times and gets the
    same bytes: the bar never leaks into the output.
    """
    command = [sys.executable, "-m", "hcc_asp", "audit", str(cohort), "--format", "json"]
    # rich reads these to force or refuse a terminal: the test decides by the file itself
    scrub = ("NO_COLOR", "FORCE_COLOR", "TERM", "CI", "TTY_COMPATIBLE", "TTY_INTERACTIVE")
    env = {k: v for k, v in os.environ.items() if k not in scrub}
    env.update(TERM="xterm-256color", COLUMNS="100", LINES="30")
    piped = subprocess.run(
        command, stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=120
    )

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    terminal = bytearray()
    reader = threading.Thread(target=_drain, args=(master, terminal))
    try:
        with subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, env=env
        ) as process:
            os.close(slave)
            reader.start()
            stdout, _ = process.communicate(timeout=120)
        reader.join(timeout=10)
    finally:
        os.close(master)

    assert piped.returncode == process.returncode == 3  # e-broken.yaml is rejected
    assert stdout == piped.stdout and json.loads(stdout)["records"] == 5
    assert re.search(rb"\d+ records", terminal), terminal  # the bar's own column
    assert b"\x1b[" in terminal  # drawn with cursor control, then erased (transient)
    assert b"e-broken.yaml" in terminal  # the error line still reaches the terminal
    assert b"\x1b" not in piped.stderr and not re.search(rb"\d+ records", piped.stderr)
    assert [line.split(":")[0] for line in piped.stderr.decode().splitlines()] == ["error"]
