"""What a clinician reads in a terminal: a summary that fits a screen, why-not answering first."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from hcc_asp.cli import main
from hcc_asp.render.words import evidence_words

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FIRST_LINE = str(EXAMPLES / "first-line-complete.yaml")
CHILD_PUGH_B = str(EXAMPLES / "child-pugh-b.yaml")
AFTER_ATEZO_BEV = str(EXAMPLES / "after-atezo-bev.yaml")


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_recommend_summary_fits_on_one_screen_offered_first():
    text = run("recommend", FIRST_LINE)
    lines = text.splitlines()
    assert len(lines) <= 45, text
    offered = text.index("Offered now (2)")
    assert offered < text.index("Not offered (9)") < text.index("Contraindicated (0)")
    assert "Atezolizumab + bevacizumab" in text[offered : text.index("Not offered")]
    assert "--details" in lines[-1]


def test_evidence_is_said_in_words_and_the_raw_label_stays_in_json():
    text = run("recommend", FIRST_LINE)
    assert "strong; high-quality evidence (IMbrave150)" in text
    assert "(, , H , S )" not in text
    document = json.loads(run("recommend", FIRST_LINE, "--format", "json"))
    assert document["regimens"][0]["evidence"]["label"] == "(, , H , S )"


def test_evidence_words_follow_each_guidelines_own_grading():
    asco = {"type": "evidence-based", "quality": "moderate", "strength": "strong"}
    assert evidence_words(asco, "asco-2020") == "strong; moderate-quality evidence; evidence-based"
    esmo = {"level": "I", "grade": "A", "mcbs": "4"}
    assert evidence_words(esmo, "esmo-2025") == "ESMO I, A; MCBS 4"
    nccn = {"category": "2A", "preference": "preferred"}
    assert evidence_words(nccn, "nccn-2023") == "NCCN category 2A, preferred"
    unread = {"level": "unconfirmed", "grade": "unconfirmed", "mcbs": "unconfirmed"}
    assert evidence_words(unread, "esmo-2021") == "grading unconfirmed"
    partly = {"category": "unconfirmed", "preference": "preferred"}
    assert evidence_words(partly, "nccn-2023") == "preferred"


def test_unconfirmed_provenance_of_a_recommended_regimen_is_shown():
    text = run("recommend", FIRST_LINE)
    assert "Rec 1.1 *: strong" in text
    assert "Rec 1.1 - type: the type (evidence-based or informal consensus)" in text


def test_a_provenance_remark_shared_by_regimens_is_said_once():
    text = run("recommend", AFTER_ATEZO_BEV, "--details")
    # Rec 2.1 offers cabozantinib, lenvatinib and sorafenib: its unconfirmed type is said once.
    assert text.count("the type and benefit fields are blank on Guideline Central") == 1
    assert text.count("'nonidentical mechanism of action' is the KB's reading") <= 1


def test_details_list_every_reason_of_every_regimen():
    summary = run("recommend", FIRST_LINE)
    details = run("recommend", FIRST_LINE, "--details")
    reason = "Rec 2.1 requires first-line atezolizumab + bevacizumab: not met."
    assert reason not in summary and reason in details
    assert len(details.splitlines()) > len(summary.splitlines())


def test_why_not_child_pugh_b_answers_first_with_the_patients_values():
    text = run("why-not", CHILD_PUGH_B, "atezo+bev")
    head = "\n".join(text.splitlines()[:12])
    # ASCO 2024 does not encode Child-Pugh B: the answer says so, never a plain "no"
    assert head.startswith("Atezolizumab + bevacizumab is not encoded")
    assert "requires Child-Pugh class A" in head
    for value in (
        "Child-Pugh class B",
        "Child-Pugh score 8",
        "bilirubin 2.6 mg/dL",
        "ascites mild",
    ):
        assert value in head, value
    assert "bilirubin 2.6 mg/dL: 2 pts" in " ".join(head.split())  # the KB's points, per part
    assert text.index("To learn") < text.index("To change")
    assert "ascites mild -> ascites none (not modifiable)" in " ".join(text.split())
    assert "Derivation" not in text and "--tree" in text
    assert len(text.splitlines()) <= 40


def test_why_not_tree_prints_a_shared_subtree_once_and_refers_to_it():
    text = run("why-not", CHILD_PUGH_B, "atezo+bev", "--tree")
    # Child-Pugh class A fails under four recommendations: its subtree is printed once.
    assert text.count("Child-Pugh score 8") == 2  # once in the answer, once in the tree
    assert "(n1) Child-Pugh class A does not hold" in text
    assert text.count("as (n1) above") == 3
    document = json.loads(run("why-not", CHILD_PUGH_B, "atezo+bev", "--format", "json"))
    assert json.dumps(document).count("child_pugh_score(8)") == 4, "JSON keeps the full tree"


def test_explain_a_recommended_regimen_lists_every_condition_met():
    text = run("explain", AFTER_ATEZO_BEV, "lenvatinib")
    assert text.startswith("Lenvatinib is recommended for patient example-after-atezo-bev")
    assert "asco-2024 2.1 requires first-line atezolizumab + bevacizumab" in text
    assert "asco-2024 2.1 requires Child-Pugh class A" in text
    assert "What would make it recommended" not in text


def test_the_shipped_example_command_writes_report_html(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    script = EXAMPLES / "report.sh"
    done = subprocess.run(
        ["sh", str(script)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'id="status-table"' in page
    assert "<link" not in page and " src=" not in page, "self-contained: nothing to fetch"


def test_html_pages_are_byte_identical_across_runs():
    for args in (
        ("recommend", FIRST_LINE),
        ("why-not", CHILD_PUGH_B, "atezo+bev"),
        ("compare", FIRST_LINE, "-g", "asco-2024", "-g", "esmo-2025"),
    ):
        assert run(*args, "--format", "html") == run(*args, "--format", "html"), args


def test_without_graphviz_the_page_says_the_picture_needs_it(monkeypatch, tmp_path):
    from hcc_asp.explain import explain
    from hcc_asp.patient import load_patient
    from hcc_asp.render.html import explain_page

    document = explain(load_patient(CHILD_PUGH_B), "atezo+bev", counterfactuals=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on this PATH
    page = explain_page(document)
    assert 'id="picture-missing"' in page and "needs Graphviz" in page
    assert "<svg" not in page and 'id="derivation"' in page
