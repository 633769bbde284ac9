"""The command line as a clinician uses it: every command, its help, its exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hcc_asp.cli import main

ROOT = Path(__file__).resolve().parent.parent
NAIVE = str(ROOT / "examples" / "treatment-naive-child-pugh-a.yaml")
AFTER_SORAFENIB = str(ROOT / "examples" / "after-sorafenib.yaml")


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin)


def test_every_command_has_help_and_is_documented():
    readme = (ROOT / "docs" / "commands.md").read_text()
    for name, command in main.commands.items():
        result = run(name, "--help")
        assert result.exit_code == 0, name
        assert command.help, name
        assert f"hcc-asp {name}" in readme, f"docs/commands.md does not document `hcc-asp {name}`"


def test_recommend_json_follows_the_contract():
    result = run("recommend", AFTER_SORAFENIB, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert list(doc)[:7] == [
        "format",
        "patient",
        "guideline",
        "line",
        "derived",
        "regimens",
        "notes",
    ]
    assert doc["format"] == 1 and doc["guideline"] == "asco-2024" and doc["line"] == 2
    assert doc["derived"]["child_pugh"] == {"score": 5, "class": "A"}
    ids = [r["regimen"] for r in doc["regimens"]]
    assert len(ids) == len(set(ids)), "each regimen exactly once"
    for entry in doc["regimens"]:
        assert entry["status"] in {
            "recommended",
            "conditional",
            "not_recommended",
            "contraindicated",
        }
        for key in (
            "recommendation",
            "evidence",
            "sources",
            "reasons",
            "missing",
            "actions",
            "cautions",
        ):
            assert key in entry
        for item in entry["reasons"] + entry["actions"] + entry["cautions"]:
            assert re.fullmatch(r"[a-z0-9_]+", item["code"]) and item["text"]


def test_recommend_text_summarises_by_status():
    result = run("recommend", NAIVE)
    assert result.exit_code == 0
    assert "Offered now" in result.output and "Atezolizumab + bevacizumab" in result.output


def test_recommend_reads_standard_input():
    text = Path(NAIVE).read_text()
    result = run("recommend", "-", "--format", "json", stdin=text)
    assert result.exit_code == 0
    assert json.loads(result.output)["patient"] == "example-naive"


def test_output_is_byte_identical_across_runs():
    first = run("recommend", AFTER_SORAFENIB, "--format", "json").output
    second = run("recommend", AFTER_SORAFENIB, "--format", "json").output
    assert first == second
    first_text = run("recommend", NAIVE).output
    assert first_text == run("recommend", NAIVE).output


@pytest.mark.parametrize(
    "args",
    [
        ["recommend", "no-such-file.yaml"],
        ["recommend", NAIVE, "--guideline", "asco-1999"],
        ["recommend", NAIVE, "--format", "xml"],
        ["recommend"],
        ["no-such-command"],
    ],
)
def test_bad_usage_exits_2_without_traceback(args):
    result = run(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_invalid_patient_exits_2_with_one_line_per_problem(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("ecog: 7\nlabs:\n  albumin_g_dl: -1\n")
    result = run("recommend", str(bad))
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert "ecog" in lines[0] and "7" in lines[0]
    assert "labs.albumin_g_dl" in lines[1] and "-1" in lines[1]


def test_child_pugh_score_contradicting_the_labs_exits_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "labs: {bilirubin_mg_dl: 0.8, albumin_g_dl: 4.0, inr: 1.0}\n"
        "liver: {ascites: none, encephalopathy: none, child_pugh: {score: 9}}\n"
    )
    result = run("recommend", str(bad))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "liver.child_pugh.score" in result.stderr and "9" in result.stderr


def test_guidelines_and_regimens_commands():
    result = run("guidelines", "--format", "json")
    assert result.exit_code == 0
    rows = json.loads(result.output)["guidelines"]
    by_id = {row["id"]: row for row in rows}
    assert by_id["asco-2020"]["doi"] == "10.1200/JCO.20.02672"
    assert by_id["asco-2024"]["supersedes"] == "asco-2020"
    # Known guidelines that could not be read from a source are listed as such, with why.
    for missing in ("easl-2018", "easl-2025", "ilca"):
        assert by_id[missing]["status"] == "not_encoded" and by_id[missing]["why"]
    encoded = [row["year"] for row in rows if row["status"] == "encoded"]
    assert encoded == sorted(encoded, reverse=True), "newest first"
    result = run("regimens", "--format", "json")
    regimens = {r["id"]: r for r in json.loads(result.output)["regimens"]}
    assert "atezo+bev" in regimens["atezolizumab_bevacizumab"]["aliases"]
    assert run("guidelines").exit_code == 0 and run("regimens").exit_code == 0


def test_installed_command_works_from_any_directory(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "hcc_asp", "recommend", NAIVE, "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["patient"] == "example-naive"


@pytest.mark.parametrize(
    "command, collecting",
    [
        ("recommend", False),
        ("why-not", False),
        ("compare", False),
        ("check", True),
        ("serve", True),
        ("audit", True),
    ],
)
def test_the_garbage_collector_is_off_only_for_one_shot_commands(command, collecting):
    """The console script starts a one-shot command with the cyclic collector off (it would free
    almost nothing: hcc_asp.console); a service, `check` and a cohort audit run with it on."""
    probe = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('collecting', gc.isenabled()))\n"
        "sys.argv = ['hcc-asp', *sys.argv[1:]]\n"
        "from hcc_asp.console import run\n"
        "run()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, command, "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"collecting {collecting}"
