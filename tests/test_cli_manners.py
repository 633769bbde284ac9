"""The command line's manners: names as people write them, suggestions, files named, width.

- A regimen is found by its id, an alias or its display name, in any case, with spaces or dashes;
  a guideline by its id in any case, with or without the dash. A misspelt one gets the closest
  known one as a suggestion.
- A YAML or JSON syntax error names the file it is in.
- Text answers fit ``COLUMNS`` (default 100) for every command that prints text.
- Shell completion comes with the command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AFTER_SORAFENIB = str(ROOT / "examples" / "after-sorafenib.yaml")
CHILD_PUGH_B = str(ROOT / "examples" / "child-pugh-b.yaml")


def hcc_asp(*args: str, columns: str | None = None, stdin: str | None = None):
    environment = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if columns is not None:
        environment["COLUMNS"] = columns
    return subprocess.run(
        [sys.executable, "-m", "hcc_asp", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )


@pytest.mark.parametrize(
    "spelling",
    ["atezolizumab_bevacizumab", "atezo+bev", "ATEZO + BEV", "Atezolizumab + bevacizumab"],
)
def test_why_not_takes_the_regimen_as_clinicians_write_it(spelling):
    done = hcc_asp("why-not", CHILD_PUGH_B, spelling, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["regimen"] == "atezolizumab_bevacizumab"


def test_a_misspelt_regimen_argument_gets_a_suggestion():
    done = hcc_asp("why-not", AFTER_SORAFENIB, "regorafenibb")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        "error: unknown regimen 'regorafenibb' (did you mean regorafenib?); "
        "`hcc-asp regimens` lists ids and aliases\n"
    )


def test_a_patient_file_takes_display_names_and_dashes_of_regimens():
    text = (
        "prior_therapies: [{regimen: Sorafenib, outcome: progression, tolerated: true}]\n"
        "access: {unavailable: [Durvalumab + Tremelimumab (STRIDE), nivo + ipi]}\n"
    )
    done = hcc_asp("recommend", "-", "--format", "json", stdin=text)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["line"] == 2


@pytest.mark.parametrize("spelling", ["asco-2024", "ASCO-2024", "asco2024", "ASCO 2024"])
def test_a_guideline_id_in_any_case_with_or_without_its_dash(spelling):
    done = hcc_asp("recommend", AFTER_SORAFENIB, "--guideline", spelling, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["guideline"] == "asco-2024"


def test_compare_and_check_take_the_same_guideline_spellings():
    done = hcc_asp(
        "compare", AFTER_SORAFENIB, "-g", "BCLC 2022", "-g", "Asco2020", "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["guidelines"] == ["asco-2020", "bclc-2022"]
    known_not_encoded = hcc_asp("check", "--guideline", "EASL 2018")
    assert known_not_encoded.returncode == 2
    assert "guideline 'easl-2018' is known but not encoded" in known_not_encoded.stderr


def test_a_misspelt_guideline_gets_a_suggestion():
    done = hcc_asp("recommend", AFTER_SORAFENIB, "--guideline", "asco-2042")
    assert done.returncode == 2
    assert done.stderr.startswith("error: unknown guideline 'asco-2042' (did you mean asco-2024?)")


def test_a_yaml_syntax_error_names_the_file(tmp_path):
    bad = tmp_path / "case-017.yaml"
    bad.write_text("ecog: [1\n")
    done = hcc_asp("recommend", str(bad))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"error: {bad}: line 2, column 1: YAML syntax error: ")


def test_a_json_syntax_error_names_the_file_and_standard_input_is_named_too(tmp_path):
    bad = tmp_path / "case-018.json"
    bad.write_text('{"ecog": 1,}')
    done = hcc_asp("explain", str(bad), "sorafenib")
    assert done.stderr.startswith(f"error: {bad}: line 1, column 12: JSON syntax error: ")
    piped = hcc_asp("recommend", "-", stdin='{"ecog": 1,}')
    assert piped.stderr.startswith("error: standard input: line 1, column 12: JSON syntax error")


TEXT_COMMANDS = [
    ["recommend", AFTER_SORAFENIB],
    ["recommend", AFTER_SORAFENIB, "--details"],
    ["why-not", CHILD_PUGH_B, "atezo+bev", "--tree"],
    ["compare", AFTER_SORAFENIB],
    ["guidelines"],
    ["regimens"],
    ["audit", str(ROOT / "examples" / "cohort")],
    ["fhir-codes"],
    ["check", "--guideline", "asco-2020"],
]


@pytest.mark.parametrize("args", TEXT_COMMANDS, ids=lambda args: " ".join(args[:1] + args[2:]))
@pytest.mark.parametrize("columns", [None, "72"])
def test_text_answers_fit_the_width_columns_gives_default_100(args, columns):
    done = hcc_asp(*args, columns=columns)
    assert done.returncode == 0, done.stderr
    width = int(columns or 100)
    # a single word longer than the width (a DOI, a key path) cannot be broken
    too_long = [
        line for line in done.stdout.splitlines() if len(line) > width and " " in line.strip()
    ]
    assert too_long == []


def test_compare_puts_the_columns_that_do_not_fit_in_a_second_table():
    wide = hcc_asp("compare", AFTER_SORAFENIB, columns="200").stdout
    narrow = hcc_asp("compare", AFTER_SORAFENIB).stdout
    assert wide.count("REGIMEN ") == 1
    assert narrow.count("REGIMEN ") == 2
    for guideline in ("aasld-2023", "nccn-2023"):
        assert guideline in narrow


def test_shell_completion_comes_with_the_command():
    environment = {**os.environ, "_HCC_ASP_COMPLETE": "bash_source"}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "hcc-asp")],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    assert "_hcc_asp_completion()" in done.stdout
    assert "_HCC_ASP_COMPLETE=bash_source hcc-asp" in (ROOT / "docs" / "commands.md").read_text()


def test_every_command_help_ends_with_an_example_of_itself():
    from hcc_asp.cli import EXAMPLES, main

    assert set(EXAMPLES) == set(main.commands)
    for name in main.commands:
        done = hcc_asp(name, "--help")
        assert done.returncode == 0, name
        example = done.stdout.rstrip().splitlines()[-1].strip()
        assert done.stdout.rstrip().splitlines()[-2].strip() == "Example:", name
        assert example.startswith(f"hcc-asp {name}"), example


@pytest.mark.parametrize("name", ["recommend", "why-not", "regimens", "template", "schema"])
def test_the_quick_help_examples_run(name):
    from hcc_asp.cli import EXAMPLES

    command = EXAMPLES[name].split(">")[0].split()[1:]
    done = subprocess.run(
        [sys.executable, "-m", "hcc_asp", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_help_follows_columns_default_100():
    wide = hcc_asp("recommend", "--help").stdout
    assert max(len(line) for line in wide.splitlines()) > 80  # not click's 80
    assert max(len(line) for line in wide.splitlines()) <= 100
    narrow = hcc_asp("recommend", "--help", columns="60").stdout.splitlines()
    assert max(len(line) for line in narrow[:-1]) <= 60  # the example is one command line


def test_template_command_writes_a_file_recommend_accepts_as_it_is(tmp_path):
    written = hcc_asp("template")
    assert written.returncode == 0, written.stderr
    answered = hcc_asp("recommend", "-", "--format", "json", stdin=written.stdout)
    assert answered.returncode == 0, answered.stderr
    statuses = {entry["status"] for entry in json.loads(answered.stdout)["regimens"]}
    assert "recommended" not in statuses  # nothing is known: nothing is granted
    assert "conditional" in statuses
    missing = {key for e in json.loads(answered.stdout)["regimens"] for key in e["missing"]}
    assert {"ecog", "prior_therapies", "labs.bilirubin_mg_dl"} <= missing


def test_schema_command_prints_the_generated_schema():
    from hcc_asp.patient.schema import patient_schema

    done = hcc_asp("schema", "patient")
    assert done.returncode == 0
    assert json.loads(done.stdout) == patient_schema()
    assert hcc_asp("schema", "cohort").returncode == 2
