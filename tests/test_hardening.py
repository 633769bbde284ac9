"""Hardening: valid odd input never crashes, nothing hangs, a broken --kb is one clear line.

Every test is named for the hole it closes (issue 10). Runs use the real clingo on the real KB;
the limits and the output-error tests run the real command in a subprocess.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hcc_asp.cli import main

ROOT = Path(__file__).resolve().parent.parent
KB = ROOT / "kb"
PATIENT = str(ROOT / "examples" / "after-sorafenib.yaml")

KB_COMMANDS = {
    "recommend": ["recommend", PATIENT],
    "explain": ["explain", PATIENT, "sorafenib"],
    "compare": ["compare", PATIENT],
    "check": ["check", "-g", "asco-2020"],
    "guidelines": ["guidelines"],
    "regimens": ["regimens"],
    "kb-docs": ["kb-docs"],
}


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin)


def command(*args: str, timeout: float = 300, **kwargs):
    """Run the installed command line in its own process (limits end that process)."""
    return subprocess.run(
        [sys.executable, "-m", "hcc_asp", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,
    )


def one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


# -- odd but valid numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "labs",
    [
        "{bilirubin_mg_dl: 0.004, albumin_g_l: 40}",
        "{bilirubin_umol_l: 0.04, albumin_g_l: 40}",
        "{bilirubin_umol_l: 0.04, albumin_g_dl: 0.001}",
        "{bilirubin_mg_dl: 60, albumin_g_l: 70}",
    ],
)
def test_albi_with_a_bilirubin_below_the_scale_resolution_does_not_crash(labs):
    result = run("recommend", "-", "--format", "json", stdin=f"ecog: 0\nlabs: {labs}\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["derived"]["albi"]["grade"] in (1, 2, 3)


# -- PATIENT is a regular file or - --------------------------------------------------------------


def test_a_fifo_as_patient_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "patient.yaml"
    os.mkfifo(fifo)
    done = command("recommend", str(fifo), timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert "not a regular file (a named pipe)" in one_error_line(done.stderr)


def test_a_device_as_patient_is_refused():
    result = run("recommend", "/dev/zero")
    assert result.exit_code == 2
    assert "/dev/zero: not a regular file (a character device)" in result.output


def test_an_empty_patient_path_says_empty_path_not_directory():
    result = run("recommend", "")
    assert result.exit_code == 2
    assert result.output == "error: empty path: give a patient file, or - for standard input\n"


# -- a --kb folder is validated before use, on every command -------------------------------------


def _broken_kb(tmp_path: Path, problem: str) -> Path:
    folder = tmp_path / problem
    if problem == "missing":
        return folder
    if problem == "empty":
        folder.mkdir()
        return folder
    if problem == "symlink_loop":
        (tmp_path / "other").symlink_to(folder)
        folder.symlink_to(tmp_path / "other")
        return folder
    shutil.copytree(KB, folder)
    if problem == "no_root_file":
        (folder / "hcc.lp").unlink()
    elif problem == "syntax_error":
        with (folder / "decision.lp").open("a") as handle:
            handle.write("p(X :- .\n")
    elif problem == "not_utf8":
        with (folder / "decision.lp").open("ab") as handle:
            handle.write(b"% caf\xe9\n")
    return folder


KB_PROBLEMS = {
    "missing": "no such folder",
    "empty": "no hcc.lp",
    "no_root_file": "no hcc.lp",
    "syntax_error": "syntax error",
    "not_utf8": "decision.lp: not UTF-8 text (byte 0xe9",
    "symlink_loop": "cannot be resolved",
}


@pytest.mark.parametrize("problem", sorted(KB_PROBLEMS))
def test_a_broken_kb_folder_is_one_clear_line_and_exit_2_on_every_command(tmp_path, problem):
    folder = _broken_kb(tmp_path, problem)
    for name, args in KB_COMMANDS.items():
        result = CliRunner().invoke(main, [*args, "--kb", str(folder)])
        assert result.exit_code == 2, (name, result.output)
        assert result.stdout == "", name
        line = one_error_line(result.stderr)
        assert line.startswith(f"error: --kb {folder}"), (name, line)
        assert KB_PROBLEMS[problem] in line, (name, line)


def test_an_empty_kb_path_is_an_error_not_the_current_folder():
    result = run("guidelines", "--kb", "")
    assert result.exit_code == 2
    assert result.output == "error: --kb: empty path; give the knowledge-base folder\n"


# -- bounded work ---------------------------------------------------------------------------------


def _kb_with(tmp_path: Path, rule: str, where: str = "decision.lp") -> Path:
    folder = tmp_path / "kb"
    shutil.copytree(KB, folder)
    with (folder / where).open("a") as handle:
        handle.write(f"\n{rule}\n")
    return folder


@pytest.mark.parametrize("name", sorted(KB_COMMANDS))
def test_a_grounding_blowup_in_the_kb_stops_at_the_time_limit(tmp_path, name):
    where = "vocabulary.lp" if name == "regimens" else "decision.lp"  # what the command reads
    folder = _kb_with(tmp_path, "_blowup(1..100000000).", where)
    done = command(*KB_COMMANDS[name], "--kb", str(folder), "--time-limit", "1")
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert "the knowledge base took too long" in one_error_line(done.stderr)


@pytest.mark.parametrize("name", ["check", "recommend"])
def test_a_memory_blowup_in_the_kb_stops_at_the_memory_limit(tmp_path, name):
    folder = _kb_with(tmp_path, "_blowup(X, Y) :- X = 1..100000, Y = 1..100000.")
    done = command(*KB_COMMANDS[name], "--kb", str(folder), "--memory-limit", "400")
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert "the knowledge base took too much memory" in one_error_line(done.stderr)


def test_the_limits_are_options_with_documented_defaults():
    result = run("recommend", "--help")
    assert "--time-limit SECONDS" in result.output and "--memory-limit MIB" in result.output
    documented = (ROOT / "docs" / "commands.md").read_text()
    assert "--time-limit" in documented and "--memory-limit" in documented


# -- guideline ids --------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["recommend", PATIENT], ["check"], ["compare", PATIENT]])
def test_an_empty_guideline_id_is_an_error_not_the_default(args):
    result = run(*args, "--guideline", "")
    assert result.exit_code == 2
    assert result.output == "error: empty guideline id (see `hcc-asp guidelines`)\n"


def test_check_says_known_but_not_encoded_like_recommend():
    checked = run("check", "-g", "easl-2018")
    recommended = run("recommend", PATIENT, "-g", "easl-2018")
    assert checked.exit_code == recommended.exit_code == 2
    assert "'easl-2018' is known but not encoded" in checked.output
    assert checked.output == recommended.output


# -- output ---------------------------------------------------------------------------------------


def test_a_full_disk_on_stdout_is_one_line_and_exit_2():
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "hcc_asp", "regimens"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert done.returncode == 2
    line = one_error_line(done.stderr)
    assert line == "error: cannot write the output to stdout (no space left on device)"


def test_a_closed_pipe_on_stdout_is_one_line_and_exit_2():
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "hcc_asp", "regimens"],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(writer)
    assert done.returncode == 2
    assert one_error_line(done.stderr) == "error: cannot write the output to stdout (broken pipe)"


@pytest.mark.parametrize(
    "hostile_id", ["a\x00b", "x\x85y", "case\r\nerror: fake", "rtl\u202eevil", "tab\there"]
)
def test_text_output_escapes_control_characters_in_ids(hostile_id):
    patient = json.dumps({"id": hostile_id, "ecog": 0})
    result = run("recommend", "-", stdin=patient)
    assert result.exit_code == 0, result.output
    header = result.output.splitlines()[0]
    assert header.startswith("Patient ")
    assert not any(c in result.output for c in "\x00\x85\r\u202e")
    assert "error: fake" not in "\n".join(result.output.splitlines()[1:])
    as_json = json.loads(run("recommend", "-", "--format", "json", stdin=patient).output)
    assert as_json["patient"] == hostile_id


# -- prior therapies that are not systemic lines, tolerance that means nothing ----------------


def test_best_supportive_care_in_prior_therapies_is_not_counted_as_a_systemic_line():
    result = run("recommend", "-", stdin="prior_therapies:\n  - regimen: bsc\n")
    assert result.exit_code == 2 and result.stdout == ""
    line = one_error_line(result.stderr)
    assert line.startswith("error: prior_therapies[0].regimen: got 'bsc', but best_supportive_care")
    assert "not a line of systemic therapy" in line


@pytest.mark.parametrize("regimen", ["lenvatinib", "atezo+bev"])
def test_tolerated_on_a_regimen_without_a_tolerance_criterion_is_an_input_error(regimen):
    patient = f"prior_therapies:\n  - {{regimen: {regimen}, tolerated: true}}\n"
    result = run("recommend", "-", stdin=patient)
    assert result.exit_code == 2 and result.stdout == ""
    line = one_error_line(result.stderr)
    assert line.startswith(
        "error: prior_therapies[0].tolerated: given for prior_therapies[0].regimen"
    )
    assert "only sorafenib lines have a tolerance criterion" in line


def test_tolerated_on_sorafenib_is_still_read():
    patient = "prior_therapies:\n  - {regimen: sorafenib, tolerated: true, outcome: progression}\n"
    assert run("recommend", "-", stdin=patient).exit_code == 0


# -- JSON is parsed as JSON, YAML as YAML --------------------------------------------------------


def test_valid_json_with_a_surrogate_pair_escape_is_accepted():
    patient = json.dumps({"id": "case-\U0001f9a0", "ecog": 1})  # json.dumps writes \ud83e\udda0
    assert "\\ud83e\\udda0" in patient
    result = run("recommend", "-", "--format", "json", stdin=patient)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["patient"] == "case-\U0001f9a0"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"ecog": 1,}', "JSON syntax error"),
        ("{'ecog': 1}", "JSON syntax error"),
        ("{ecog: 1}", "JSON syntax error"),
        ('{"ecog": NaN}', "NaN is not a number"),
        ('{"id": "\\ud83e"}', "id: not valid Unicode text (a lone surrogate escape)"),
        ('{"ecog": 1, "ecog": 2}', "ecog: duplicate key"),
    ],
)
def test_json_is_parsed_strictly_as_json(text, problem):
    result = run("recommend", "-", stdin=text)
    assert result.exit_code == 2 and result.stdout == ""
    assert problem in one_error_line(result.stderr)


def test_a_yaml_file_in_flow_style_is_still_yaml(tmp_path):
    path = tmp_path / "flow.yaml"
    path.write_text("{ecog: 1, labs: {inr: 1.1}}\n")
    assert run("recommend", str(path)).exit_code == 0


def test_a_json_file_is_json_whatever_its_first_character(tmp_path):
    path = tmp_path / "case.json"
    path.write_text("ecog: 1\n")  # YAML, in a file that says it is JSON
    result = run("recommend", str(path))
    assert result.exit_code == 2
    assert "JSON syntax error" in result.stderr
