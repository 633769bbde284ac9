"""`check` catches a broken KB that answers nothing for some patients or misdeclares a guideline.

Both holes passed `check` with 0 errors before (issue 10): a stray integrity constraint silently
removed every ECOG-1 patient from the space; a second ``guideline/4`` fact in ``decision.lp``
reused a public id, and the per-guideline filter then dropped ``decision.lp`` for every other
guideline (every `recommend` returned no regimen, exit 0).
"""

from __future__ import annotations

import shutil

import pytest

from hcc_asp.check import check, guideline_declarations
from hcc_asp.knowledge import KnowledgeBaseError, open_kb, shipped
from hcc_asp.patient import patient_from_data
from hcc_asp.recommend import recommend


def broken_copy(tmp_path, text: str, where: str = "decision.lp"):
    copy = tmp_path / "kb"
    shutil.copytree(shipped().folder, copy)
    with (copy / where).open("a") as handle:
        handle.write("\n" + text + "\n")
    return open_kb(copy)


def errors(document: dict, kind: str) -> list[dict]:
    return [f for f in document["findings"] if f["kind"] == kind and f["severity"] == "error"]


def test_a_stray_integrity_constraint_is_a_no_answer_error_whose_witness_gets_no_answer(tmp_path):
    copy = broken_copy(tmp_path, ":- ecog(1).")
    found = errors(check("asco-2020", copy), "no_answer")
    assert len(found) == 1, found
    assert found[0]["rules"] == ["kb/decision.lp:" + found[0]["rules"][0].split(":")[-1]]
    witness = found[0]["witness"]
    assert witness["ecog"] == 1
    patient = patient_from_data(witness)
    with pytest.raises(KnowledgeBaseError, match="no answer for this patient"):
        recommend(patient, "asco-2020", copy)


def test_a_constraint_no_patient_of_the_space_violates_is_not_a_finding(tmp_path):
    copy = broken_copy(tmp_path, ':- value("ecog", 7).')
    assert errors(check("asco-2020", copy), "no_answer") == []


def test_a_reused_guideline_id_outside_a_guideline_file_is_a_declaration_error(tmp_path):
    copy = broken_copy(tmp_path, 'guideline(fake, "asco-2020", "A fake edition", 2030).')
    document = check("asco-2020", copy)
    texts = [f["text"] for f in errors(document, "declaration")]
    assert any("outside kb/guidelines/" in t and "kb/decision.lp:" in t for t in texts), texts
    assert any("Guideline id 'asco-2020' is declared by" in t for t in texts), texts


def test_two_guidelines_in_one_edition_file_are_a_declaration_error(tmp_path):
    copy = broken_copy(
        tmp_path, 'guideline(asco2099, "asco-2099", "Another", 2099).', "guidelines/asco-2020.lp"
    )
    texts = [f["text"] for f in guideline_declarations(copy.program)]
    assert any("asco-2020.lp declares 2 guidelines" in t for t in texts), texts


def test_the_shipped_kb_declares_each_guideline_once_in_its_own_file():
    assert guideline_declarations(shipped().program) == []


def _edited_copy(tmp_path, file: str, old: str, new: str):
    copy = tmp_path / "kb"
    shutil.copytree(shipped().folder, copy)
    path = copy / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return open_kb(copy)


def test_a_one_letter_typo_of_a_regimen_in_requires_for_is_an_undefined_error(tmp_path):
    # ramucirumabb: the AFP >= 400 condition of ASCO 2024 Rec 2.1 would silently apply to no
    # regimen, and ramucirumab would be offered at AFP 12 with check exiting 0.
    requirement = 'requires_for(asco2024, "2.1", ramucirumab, at_least("labs.afp_ng_ml", 400)).'
    copy = _edited_copy(
        tmp_path, "guidelines/asco-2024.lp", requirement, requirement.replace("ab,", "abb,")
    )
    found = errors(check("asco-2024", copy), "undefined")
    assert any("'ramucirumabb'" in f["text"] for f in found), found
    assert any(f["rules"] and f["rules"][0].startswith("kb/guidelines/asco-2024.lp") for f in found)


def test_a_recommendation_id_the_edition_never_states_is_an_undefined_error(tmp_path):
    copy = broken_copy(
        tmp_path, 'requires(asco2024, "2.9", ecog_at_most(1)).', "guidelines/asco-2024.lp"
    )
    found = errors(check("asco-2024", copy), "undefined")
    assert any("recommendation '2.9'" in f["text"] for f in found), found


@pytest.mark.parametrize(
    ("file", "fact", "said"),
    [
        ("guidelines/asco-2024.lp", "guideline_supersedes(asco2024, asco2024).", "itself"),
        ("guidelines/asco-2020.lp", "guideline_supersedes(asco2020, asco2024).", "circle"),
    ],
)
def test_an_edition_superseding_itself_or_a_supersede_cycle_is_an_error(tmp_path, file, fact, said):
    copy = broken_copy(tmp_path, fact, file)
    found = errors(check("all", copy), "undefined")
    assert any(said in f["text"] for f in found), found


def test_an_unsafe_variable_is_said_first_not_after_the_info_lines(tmp_path):
    copy = broken_copy(tmp_path, "p(X) :- not q(X).")
    with pytest.raises(KnowledgeBaseError) as raised:
        recommend(patient_from_data({}), "asco-2024", copy)
    message = str(raised.value)
    assert message.startswith("the knowledge base could not be loaded: "), message
    first = message.removeprefix("the knowledge base could not be loaded: ")
    assert ": error: unsafe variables in" in first.split(";")[0], message
    assert ": info:" not in message
