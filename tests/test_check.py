"""`hcc-asp check` over every possible patient: honest on the shipped KB; catches broken KBs."""

from __future__ import annotations

import json
import shutil
from functools import lru_cache

import pytest
from click.testing import CliRunner

from hcc_asp.check import check
from hcc_asp.cli import main
from hcc_asp.knowledge import open_kb
from hcc_asp.knowledge import shipped as shipped_kb
from hcc_asp.patient import patient_from_data
from hcc_asp.recommend import recommend


@lru_cache(maxsize=1)
def shipped() -> dict:
    return check("asco-2020")


def kinds(document: dict) -> list[tuple[str, str]]:
    return [(f["kind"], f["severity"]) for f in document["findings"]]


def test_shipped_kb_has_no_error_and_counts_its_space():
    document = shipped()
    assert not [f for f in document["findings"] if f["severity"] == "error"], document["findings"]
    assert document["checked"]["patient_profiles"] > 10**12
    assert document["guidelines"] == ["asco-2020"]


def test_check_reports_regorafenib_after_atezo_bev_against_resorce():
    tensions = [f for f in shipped()["findings"] if f["kind"] == "tension"]
    regorafenib = [
        f for f in tensions if f["regimens"] == ["regorafenib"] and "RESORCE" in f["text"]
    ]
    assert regorafenib and "2.1" in regorafenib[0]["text"]
    assert any(rule.startswith("kb/trials.lp:") for rule in regorafenib[0]["rules"])


def test_every_unconfirmed_number_or_grade_is_a_provenance_warning():
    provenance = " ".join(f["text"] for f in shipped()["findings"] if f["kind"] == "provenance")
    for rec_id in ("2.2", "2.3", "text:nivo+ipi", "text:third-line"):
        assert f"Recommendation {rec_id}:" in provenance


def test_every_witness_is_a_valid_patient_file_that_reproduces_its_finding():
    for finding in shipped()["findings"]:
        witness = finding["witness"]
        assert witness is not None, finding["text"]
        patient = patient_from_data(witness)  # a complete, valid patient file
        document = recommend(patient, "asco-2020")
        entries = {e["regimen"]: e for e in document["regimens"]}
        if finding["kind"] == "gap":
            assert all(e["status"] == "not_recommended" for e in entries.values())
            assert [n["code"] for n in document["notes"]] == ["nothing_offered"]
        elif finding["kind"] == "tension":
            entry = entries[finding["regimens"][0]]
            assert entry["status"] in ("recommended", "conditional")
            assert entry["recommendation"] in finding["text"]
        elif finding["kind"] == "provenance" and finding["regimens"]:
            assert any(
                entries[r]["status"] != "not_recommended"
                and entries[r]["recommendation"] in finding["text"]
                for r in finding["regimens"]
            )
        elif finding["kind"] == "provenance":
            code = finding["text"].split()[1].rstrip(":")
            # A time-limited contraindication shows as the wait it imposes (issue 22, point 3).
            assert any(
                code
                in [x["code"] for x in e["reasons"] + e["cautions"]]
                + [a.get("statement") for a in e["actions"]]
                for e in entries.values()
            ), code


def test_check_json_follows_the_contract_and_exits_0():
    result = CliRunner().invoke(main, ["check", "--guideline", "asco-2024", "--format", "json"])
    assert result.exit_code == 0
    document = json.loads(result.output)
    assert list(document) == ["format", "guidelines", "findings", "checked"]
    for finding in document["findings"]:
        assert {"severity", "kind", "text", "guideline", "regimens", "rules", "witness"} <= set(
            finding
        )
    assert CliRunner().invoke(main, ["check", "--guideline", "asco-2020"]).exit_code == 0


def broken_copy(tmp_path, text: str):
    copy = tmp_path / "kb"
    shutil.copytree(shipped_kb().folder, copy)
    with (copy / "guidelines" / "asco-2020.lp").open("a") as handle:
        handle.write("\n" + text + "\n")
    return copy


def test_a_rule_outside_the_pattern_recommending_despite_a_contraindication_is_a_conflict(tmp_path):
    copy = broken_copy(
        tmp_path,
        "% Rogue rule: offers atezolizumab + bevacizumab despite active autoimmune disease.\n"
        "status(asco2020, atezolizumab_bevacizumab, recommended) :-"
        ' value("comorbidities.autoimmune_disease", active).',
    )
    result = CliRunner().invoke(
        main, ["check", "--guideline", "asco-2020", "--kb", str(copy), "--format", "json"]
    )
    assert result.exit_code == 1
    conflicts = [f for f in json.loads(result.output)["findings"] if f["kind"] == "conflict"]
    assert conflicts and all(f["severity"] == "error" for f in conflicts)
    assert conflicts[0]["regimens"] == ["atezolizumab_bevacizumab"]
    witness = patient_from_data(conflicts[0]["witness"])
    notes = [n["code"] for n in recommend(witness, "asco-2020", kb=open_kb(copy))["notes"]]
    assert "kb_conflict" in notes


def test_a_misspelled_predicate_is_undefined(tmp_path):
    copy = broken_copy(
        tmp_path,
        "% Misspelled: child_pugh_clas.\n"
        "fails(ecog_at_most(1)) :- condition(ecog_at_most(1)), child_pugh_clas(c).",
    )
    document = check("asco-2020", kb=open_kb(copy))
    undefined = [f for f in document["findings"] if f["kind"] == "undefined"]
    assert any("child_pugh_clas/1" in f["text"] for f in undefined)
    assert any(r.startswith("kb/guidelines/asco-2020.lp:") for f in undefined for r in f["rules"])


def test_a_misspelled_condition_is_undefined_and_its_recommendation_dead(tmp_path):
    copy = broken_copy(tmp_path, 'requires(asco2020, "1.1", child_pugh_clas(a)).')
    found = kinds(check("asco-2020", kb=open_kb(copy)))
    assert ("undefined", "error") in found and ("dead_rule", "error") in found


def test_a_recommendation_no_patient_can_reach_is_a_dead_rule(tmp_path):
    copy = broken_copy(
        tmp_path,
        'rec(asco2020, "9.9", sorafenib). rec_text(asco2020, "9.9", "Test.").\n'
        'rec_source(asco2020, "9.9", "test"). requires(asco2020, "9.9", line(1)).\n'
        'requires(asco2020, "9.9", line(2)).\n'
        'evidence(asco2020, "9.9", type, "t"). evidence(asco2020, "9.9", quality, "q").\n'
        'evidence(asco2020, "9.9", strength, "s").',
    )
    dead = [f for f in check("asco-2020", kb=open_kb(copy))["findings"] if f["kind"] == "dead_rule"]
    assert len(dead) == 1 and "9.9" in dead[0]["text"] and dead[0]["severity"] == "error"
    assert dead[0]["rules"][0].startswith("kb/guidelines/asco-2020.lp:")


def test_a_recommendation_without_source_or_grading_is_a_provenance_warning(tmp_path):
    copy = broken_copy(
        tmp_path, 'rec(asco2020, "9.8", cabozantinib). requires(asco2020, "9.8", line(2)).'
    )
    provenance = [
        f for f in check("asco-2020", kb=open_kb(copy))["findings"] if f["kind"] == "provenance"
    ]
    assert any("Recommendation 9.8" in f["text"] and "no source" in f["text"] for f in provenance)


def test_a_regimen_outside_the_vocabulary_is_undefined(tmp_path):
    copy = broken_copy(
        tmp_path,
        'rec(asco2020, "1.1", aspirin).',
    )
    undefined = [
        f for f in check("asco-2020", kb=open_kb(copy))["findings"] if f["kind"] == "undefined"
    ]
    assert any("'aspirin'" in f["text"] for f in undefined)


@pytest.mark.parametrize("guideline", ["asco-1999"])
def test_unknown_guideline_exits_2(guideline):
    result = CliRunner().invoke(main, ["check", "--guideline", guideline])
    assert result.exit_code == 2 and result.stdout == ""


def test_a_misspelled_predicate_used_only_inside_an_aggregate_is_undefined(tmp_path):
    """Aggregate elements arrive as clingo's ASTSequence: the static check must walk them too."""
    from hcc_asp.check import undefined_predicates

    copy = broken_copy(
        tmp_path,
        "% Misspelled inside aggregates only: prior_lines (the KB says prior_line).\n"
        "fails(ecog_at_most(3)) :- condition(ecog_at_most(3)), #count { L : prior_lines(L) } > 2.\n"
        "fails(ecog_at_most(4)) :- condition(ecog_at_most(4)), 3 <= #sum { L : prior_lnie(L) }.",
    )
    found = undefined_predicates(open_kb(copy).program, set())
    texts = [f["text"] for f in found]
    assert any("prior_lines/1" in t for t in texts), texts
    assert any("prior_lnie/1" in t for t in texts), texts
    rules = [r for f in found if "prior_lines/1" in f["text"] for r in f["rules"]]
    assert rules and all(r.startswith("kb/guidelines/asco-2020.lp:") for r in rules)
    assert not any("prior_line/1 " in t for t in texts)
