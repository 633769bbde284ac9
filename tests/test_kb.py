"""Hygiene of the knowledge base itself, run on the real KB with the real clingo."""

from __future__ import annotations

from pathlib import Path

from conftest import patient_from

from hcc_asp.engine.facts import patient_facts
from hcc_asp.engine.ground import ground_and_solve
from hcc_asp.knowledge import shipped
from hcc_asp.recommend import recommend

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))


def test_kb_and_queries_are_installed_package_data():
    assert (shipped().folder / "hcc.lp").is_file()
    assert (shipped().folder / "guidelines" / "asco-2020.lp").is_file()
    assert shipped().queries.is_dir()


def test_kb_raises_no_undefined_atom_message():
    for example in EXAMPLES:
        patient = patient_from(example.read_text(), example.stem)
        _, messages = ground_and_solve(
            shipped(), patient_facts(patient, shipped()), arguments=["--warn=all"]
        )
        assert not [m for m in messages if "does not occur in any rule head" in m], messages
    _, messages = ground_and_solve(shipped(), arguments=["--warn=all"])
    assert not [m for m in messages if "does not occur in any rule head" in m], messages


def test_hostile_patient_id_stays_one_string():
    hostile = 'x"). evil. p("y'
    patient = patient_from(f"id: '{hostile}'\necog: 0\nprior_therapies: []\n")
    assert patient.id == hostile
    document = recommend(patient, "asco-2020")
    assert document["patient"] == hostile


def test_every_recommendation_names_its_evidence_and_source():
    cat = shipped().catalogue
    for (guideline, rec_id), rec in cat.recs.items():
        where = f"{guideline} {rec_id}"
        assert rec["regimens"], where
        assert rec.get("text"), where
        assert rec.get("source"), where
        keys = cat.guidelines[guideline].get("grading_keys")
        assert keys, f"{guideline}: no guideline_grading_key/2 facts"
        for part in keys:
            assert rec["evidence"].get(part), f"{where}: no {part} (write 'unconfirmed' if unknown)"


def test_every_safety_statement_names_kind_source_and_text():
    for code, statement in shipped().catalogue.safety.items():
        assert statement.get("severity") in ("contraindication", "caution"), code
        assert statement.get("kind") in ("label", "trial_exclusion", "guideline", "practice"), code
        assert statement.get("source") and statement.get("text"), code


def test_shipped_examples_give_their_documented_statuses():
    root = Path(__file__).resolve().parent.parent / "examples"

    def statuses(name: str, guideline: str = "asco-2020") -> dict[str, str]:
        patient = patient_from((root / name).read_text(), name)
        return {e["regimen"]: e["status"] for e in recommend(patient, guideline)["regimens"]}

    assert statuses("first-line-complete.yaml")["atezolizumab_bevacizumab"] == "recommended"
    after = statuses("after-atezo-bev.yaml")
    for tki in ("sorafenib", "lenvatinib", "cabozantinib", "regorafenib"):
        assert after[tki] == "recommended"
    assert statuses("child-pugh-b.yaml")["atezolizumab_bevacizumab"] == "not_recommended"
    after_sorafenib = statuses("after-sorafenib.yaml")
    assert after_sorafenib["regorafenib"] == "recommended"
    assert after_sorafenib["cabozantinib"] == "recommended"
    # The default guideline is the newest ASCO edition: regorafenib left Rec 2.1 in 2024.
    default = {
        e["regimen"]: e["status"]
        for e in recommend(patient_from((root / "after-atezo-bev.yaml").read_text()))["regimens"]
    }
    assert default["regorafenib"] == "not_recommended" and default["cabozantinib"] == "recommended"
