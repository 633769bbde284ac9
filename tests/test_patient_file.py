"""Patient files (spec/patient.md): safe loading, validation and the problem lines users see."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

import pydantic
import pytest

from hcc_asp.patient import (
    BOUNDS,
    MAX_BYTES,
    MAX_NODES,
    Patient,
    PatientError,
    load_patient,
    parse_patient,
    patient_from_data,
    read_source,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
VALID = Path(__file__).parent / "patients" / "valid"
INVALID = Path(__file__).parent / "patients" / "invalid"


def problems_of(text: str) -> list[str]:
    """The problem lines of an invalid patient text (fails the test if it is valid)."""
    with pytest.raises(PatientError) as caught:
        parse_patient(text)
    return caught.value.problems


def only_problem(text: str) -> str:
    found = problems_of(text)
    assert len(found) == 1, found
    return found[0]


def yaml_at(path: str, value: str) -> str:
    """A patient text giving ``value`` (YAML source) at the dotted key ``path``."""
    *sections, key = path.split(".")
    lines = [f"{'  ' * depth}{section}:" for depth, section in enumerate(sections)]
    lines.append(f"{'  ' * len(sections)}{key}: {value}")
    return "\n".join(lines) + "\n"


# --- files that must load ---------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_every_example_file_loads(path: Path) -> None:
    patient = load_patient(str(path))
    assert patient.id.startswith("example-")
    assert patient.ecog is not None
    assert patient.prior_therapies is not None


def test_examples_are_found() -> None:
    shared = {"after-sorafenib.yaml", "child-pugh-b.yaml", "treatment-naive-child-pugh-a.yaml"}
    assert shared <= {path.name for path in EXAMPLES}


def test_file_with_every_key_loads_and_lists_every_leaf_in_schema_order() -> None:
    patient = load_patient(str(VALID / "every-key.yaml"))
    assert patient.id == "case-017"
    assert patient.version == 1
    assert patient.tumour.bclc_stage == "C"
    assert patient.tumour.portal_vein_invasion == "vp3"
    assert patient.liver.child_pugh.class_ == "A"
    assert patient.liver.varices.bleeding_months_ago == 1.5
    assert patient.prior_therapies is not None
    assert patient.prior_therapies[0].regimen == "sorafenib"
    assert patient.access.unavailable == []
    given = patient.given_paths()
    assert given[:4] == ["version", "id", "ecog", "weight_kg"]
    assert "liver.child_pugh.class" in given
    assert "liver.varices.finding" in given
    assert given[-2:] == ["prior_therapies", "access.unavailable"]
    assert "labs.bilirubin_umol_l" not in given  # not in the file
    assert len(given) == len(set(given)) == 41


def test_treatment_naive_is_an_empty_list_and_unknown_history_is_none() -> None:
    assert parse_patient("prior_therapies: []\n").prior_therapies == []
    assert parse_patient("ecog: 1\n").prior_therapies is None


def test_absent_and_null_keys_are_unknown() -> None:
    patient = parse_patient("ecog: null\ntumour: ~\nliver:\n  varices:\nlabs:\n  inr:\n")
    assert patient.ecog is None
    assert patient.tumour.nodules is None
    assert patient.liver.varices.finding is None
    assert patient.labs.inr is None
    assert patient.given_paths() == []


def test_given_paths_leave_out_a_defaulted_id() -> None:
    assert parse_patient("ecog: 0\n", default_id="from-file-name").given_paths() == ["ecog"]
    assert parse_patient("id: x\necog: 0\n").given_paths() == ["id", "ecog"]


def test_id_defaults_to_the_file_name_without_extension(tmp_path: Path) -> None:
    path = tmp_path / "case.042.yaml"
    path.write_text("ecog: 1\n", encoding="utf-8")
    assert load_patient(str(path)).id == "case.042"
    assert parse_patient("ecog: 1\n").id == "patient"
    assert parse_patient("id: null\n", default_id="d").id == "d"


def test_hostile_id_stays_one_verbatim_string() -> None:
    patient = load_patient(str(VALID / "hostile-id.yaml"))
    assert patient.id == 'x"). evil. p("y'


def test_json_file_loads_with_the_same_loader() -> None:
    patient = load_patient(str(VALID / "si-units.json"))
    assert patient.id == "json-si-units"
    assert patient.labs.bilirubin_umol_l == 17
    assert patient.labs.albumin_g_l == 38.5
    assert patient.liver.etiology == ["hbv", "alcohol"]
    assert patient.prior_therapies is not None
    assert patient.prior_therapies[0].regimen == "atezolizumab_bevacizumab"
    assert patient.access.unavailable == ["durvalumab_tremelimumab", "nivolumab_ipilimumab"]


def test_patient_is_immutable() -> None:
    patient = parse_patient("ecog: 1\n")
    with pytest.raises(pydantic.ValidationError):
        patient.ecog = 2  # type: ignore[misc]


def test_already_parsed_data_validates_the_same_way() -> None:
    assert patient_from_data({"id": "w", "labs": {"inr": 1.2}}).labs.inr == 1.2
    with pytest.raises(PatientError) as caught:
        patient_from_data({"ecog": 9, "tumour": {"colour": "red"}})
    assert caught.value.problems == ["ecog: must be at most 4, got 9", "tumour.colour: unknown key"]


# --- units ------------------------------------------------------------------------------------


def test_conventional_units() -> None:
    labs = parse_patient("labs: {bilirubin_mg_dl: 1.2, albumin_g_dl: 3.5}\n").labs
    assert (labs.bilirubin_mg_dl, labs.albumin_g_dl) == (1.2, 3.5)
    assert (labs.bilirubin_umol_l, labs.albumin_g_l) == (None, None)


def test_si_units() -> None:
    labs = parse_patient("labs: {bilirubin_umol_l: 20, albumin_g_l: 35}\n").labs
    assert (labs.bilirubin_umol_l, labs.albumin_g_l) == (20, 35)
    assert (labs.bilirubin_mg_dl, labs.albumin_g_dl) == (None, None)


def test_both_units_that_agree_are_both_kept() -> None:
    text = (
        "labs: {bilirubin_mg_dl: 1.0, bilirubin_umol_l: 17, albumin_g_dl: 3.5, albumin_g_l: 35.4}"
    )
    labs = parse_patient(text).labs
    assert (labs.bilirubin_mg_dl, labs.bilirubin_umol_l) == (1.0, 17)
    assert (labs.albumin_g_dl, labs.albumin_g_l) == (3.5, 35.4)


def test_bilirubin_in_both_units_disagreeing_is_a_problem_naming_both() -> None:
    line = only_problem("labs: {bilirubin_mg_dl: 2, bilirubin_umol_l: 20}\n")
    assert line.startswith("labs.bilirubin_mg_dl: got 2, but labs.bilirubin_umol_l is 20")
    assert "34.2 umol/L" in line


def test_albumin_in_both_units_disagreeing_is_a_problem_naming_both() -> None:
    line = only_problem("labs: {albumin_g_dl: 3.5, albumin_g_l: 30}\n")
    assert line.startswith("labs.albumin_g_dl: got 3.5, but labs.albumin_g_l is 30")


# --- regimens ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "regimen"),
    [
        ("ATEZO+BEV", "atezolizumab_bevacizumab"),
        ("Stride", "durvalumab_tremelimumab"),
        ("Nivolumab+Ipilimumab", "nivolumab_ipilimumab"),
        ("camrelizumab+apatinib", "camrelizumab_rivoceranib"),
        ("BSC", "best_supportive_care"),
        ("Sorafenib", "sorafenib"),
    ],
)
def test_regimen_aliases_any_case_become_the_canonical_id(spelling: str, regimen: str) -> None:
    patient = parse_patient(f"access: {{unavailable: ['{spelling}']}}\n")
    assert patient.access.unavailable == [regimen]
    if regimen == "best_supportive_care":
        return  # not a systemic line: refused in prior_therapies (test_hardening)
    patient = parse_patient(f"prior_therapies: [{{regimen: '{spelling}'}}]\n")
    assert patient.prior_therapies is not None
    assert patient.prior_therapies[0].regimen == regimen


def test_aliases_can_be_given_by_the_caller() -> None:
    patient = parse_patient("access: {unavailable: [Sora]}", aliases={"sora": "sorafenib"})
    assert patient.access.unavailable == ["sorafenib"]


def test_unknown_regimen_names_the_key_and_the_value() -> None:
    line = only_problem("prior_therapies:\n  - regimen: sorafenibb\n")
    assert line.startswith("prior_therapies[0].regimen: unknown regimen 'sorafenibb'")
    assert "did you mean sorafenib?" in line
    line = only_problem("access: {unavailable: [xyz]}\n")
    assert line.startswith("access.unavailable[0]: unknown regimen 'xyz'")


def test_regimen_must_be_text() -> None:
    line = only_problem("prior_therapies: [{regimen: 5}]\n")
    assert line == "prior_therapies[0].regimen: must be a regimen id or alias (text), got 5"


def test_prior_therapy_written_as_a_bare_name_gets_a_hint() -> None:
    line = only_problem("prior_therapies: [sorafenib]\n")
    assert line.startswith("prior_therapies[0]: must be a mapping")
    assert "- regimen: sorafenib" in line


# --- strict types -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["yes", "'yes'", "1", "on", "'true'"])
def test_booleans_must_be_yaml_booleans(value: str) -> None:
    line = only_problem(f"tumour: {{extrahepatic_spread: {value}}}\n")
    assert line.startswith("tumour.extrahepatic_spread: must be true or false, got ")
    shown = line.rsplit("got ", 1)[1]
    assert shown.strip("'") == value.strip("'")


@pytest.mark.parametrize("value", ["true", "'72'", "[72]"])
def test_numbers_must_be_numbers_and_never_booleans(value: str) -> None:
    line = only_problem(f"weight_kg: {value}\n")
    assert line.startswith("weight_kg: must be a number, got ")


def test_numbers_may_be_integers_or_decimals() -> None:
    assert parse_patient("weight_kg: 72\n").weight_kg == 72
    assert parse_patient("weight_kg: 72.5\n").weight_kg == 72.5


@pytest.mark.parametrize("path", ["ecog", "tumour.nodules", "liver.child_pugh.score"])
def test_counts_and_scores_must_be_whole_numbers(path: str) -> None:
    assert only_problem(yaml_at(path, "2.5")) == f"{path}: must be a whole number, got 2.5"
    assert only_problem(yaml_at(path, "true")) == f"{path}: must be a whole number, got true"


def test_a_whole_number_written_with_a_decimal_point_is_accepted() -> None:
    assert parse_patient("ecog: 2.0\n").ecog == 2


def test_numeric_id_must_be_quoted_and_the_message_says_how() -> None:
    line = only_problem("id: 017\n")
    assert line == 'id: must be a string, got 17; put it in quotes: id: "017"'


def test_id_must_not_be_empty() -> None:
    assert only_problem("id: ''\n") == "id: must not be empty, got ''"


def test_yaml_1_1_oddities_stay_text() -> None:
    # sexagesimal 1:30 and the date-like id are text, not 90 and a date
    assert parse_patient("id: 1:30\n").id == "1:30"
    assert parse_patient("id: 2024-01-01\n").id == "2024-01-01"


def test_infinity_and_nan_are_refused() -> None:
    assert only_problem("weight_kg: .inf\n") == "weight_kg: must be a finite number, got inf"
    assert only_problem("labs: {inr: .nan}\n") == "labs.inr: must be a finite number, got nan"


def test_a_list_key_given_a_single_value_gets_a_hint() -> None:
    line = only_problem("liver: {etiology: hcv}\n")
    assert line == "liver.etiology: must be a list, got 'hcv' (write [hcv])"


def test_a_section_given_a_value_is_a_problem() -> None:
    assert only_problem("labs: 5\n") == "labs: must be a mapping of keys (key: value), got 5"


# --- ranges -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(BOUNDS))
def test_value_below_the_range_is_a_problem(path: str) -> None:
    bound = BOUNDS[path]
    below = bound.low if not bound.low_inclusive else bound.low - 1
    line = only_problem(yaml_at(path, str(below)))
    word = "at least" if bound.low_inclusive else "greater than"
    assert line == f"{path}: must be {word} {bound.low}, got {below}"


@pytest.mark.parametrize("path", sorted(BOUNDS))
def test_value_above_the_range_is_a_problem(path: str) -> None:
    bound = BOUNDS[path]
    line = only_problem(yaml_at(path, str(bound.high + 1)))
    assert line.startswith(f"{path}: must be at most {bound.high}, got {bound.high + 1}")
    assert ("check the unit" in line) == bound.plausibility


@pytest.mark.parametrize("path", sorted(BOUNDS))
def test_values_on_the_bounds_are_accepted(path: str) -> None:
    bound = BOUNDS[path]
    values = [bound.high] + ([bound.low] if bound.low_inclusive else [])
    for value in values:
        assert path in parse_patient(yaml_at(path, str(value))).given_paths()


def test_albumin_below_zero_reads_as_in_the_spec() -> None:
    assert only_problem("labs: {albumin_g_dl: -1}") == (
        "labs.albumin_g_dl: must be greater than 0, got -1"
    )


def test_albumin_in_g_per_l_under_the_g_per_dl_key_hints_at_the_unit() -> None:
    line = only_problem("labs: {albumin_g_dl: 35}")
    assert line == "labs.albumin_g_dl: must be at most 7, got 35 (not plausible: check the unit)"


# --- allowed values ---------------------------------------------------------------------------


def test_value_not_in_the_listed_set_names_the_allowed_ones() -> None:
    assert only_problem("liver: {ascites: severe}\n") == (
        "liver.ascites: must be one of none, mild, moderate_severe, got 'severe'"
    )


def test_child_pugh_class_is_case_sensitive_with_a_hint() -> None:
    assert only_problem("liver: {child_pugh: {class: b}}\n") == (
        "liver.child_pugh.class: must be one of A, B, C, got 'b' (did you mean B?)"
    )


def test_bclc_stage_zero_may_be_written_as_a_number() -> None:
    assert parse_patient("tumour: {bclc_stage: 0}\n").tumour.bclc_stage == "0"
    assert parse_patient("tumour: {bclc_stage: '0'}\n").tumour.bclc_stage == "0"
    assert only_problem("tumour: {bclc_stage: 1}\n") == (
        "tumour.bclc_stage: must be one of 0, A, B, C, D, got 1"
    )


def test_etiology_items_must_be_listed_values() -> None:
    assert only_problem("liver: {etiology: [hcv, nash]}\n") == (
        "liver.etiology[1]: must be one of hbv, hcv, alcohol, masld, other, got 'nash'"
    )


@pytest.mark.parametrize("value", ["2", "'1'", "true", "1.0"])
def test_only_format_version_1_exists(value: str) -> None:
    line = only_problem(f"version: {value}\n")
    assert line.startswith("version: only format version 1 exists, got ")


# --- unknown keys -----------------------------------------------------------------------------


def test_unknown_key_is_named_with_its_path() -> None:
    assert only_problem("tumour: {colour: red}\n") == "tumour.colour: unknown key"


def test_key_in_the_wrong_section_gets_the_right_path() -> None:
    assert only_problem("bilirubin_mg_dl: 1\n") == (
        "bilirubin_mg_dl: unknown key (did you mean labs.bilirubin_mg_dl?)"
    )


def test_misspelt_key_gets_close_spellings() -> None:
    assert only_problem("labs: {bilirubin: 1}\n") == (
        "labs.bilirubin: unknown key (did you mean bilirubin_mg_dl or bilirubin_umol_l?)"
    )


def test_unknown_key_with_a_null_value_is_still_unknown() -> None:
    assert only_problem("tumour: {colour: null}\n") == "tumour.colour: unknown key"


def test_odd_key_is_shown_on_one_line() -> None:
    line = only_problem('"a\\nb": 1\n')
    assert line == "'a\\nb': unknown key"


# --- contradictions ---------------------------------------------------------------------------


@pytest.mark.parametrize("grade", ["vp1", "vp4"])
def test_portal_vein_invasion_contradicts_no_macrovascular_invasion(grade: str) -> None:
    line = only_problem(
        f"tumour: {{macrovascular_invasion: false, portal_vein_invasion: {grade}}}\n"
    )
    assert line.startswith(f"tumour.portal_vein_invasion: got '{grade}', but ")
    assert "tumour.macrovascular_invasion is false" in line


def test_portal_vein_invasion_none_or_unknown_macrovascular_is_fine() -> None:
    parse_patient("tumour: {macrovascular_invasion: false, portal_vein_invasion: none}\n")
    parse_patient("tumour: {portal_vein_invasion: vp2}\n")


def test_varices_finding_needs_an_endoscopy() -> None:
    line = only_problem("liver: {varices: {finding: none}}\n")
    assert line.startswith("liver.varices.finding: got 'none', but ")
    assert "liver.varices.endoscopy_months_ago is not given" in line
    assert only_problem("liver: {varices: {finding: large, endoscopy_months_ago: null}}\n")


def test_varices_treated_without_endoscopy_is_fine() -> None:
    patient = parse_patient("liver: {varices: {treated: true, bleeding_risk: high}}\n")
    assert patient.liver.varices.treated is True


def test_only_the_last_line_of_therapy_can_be_ongoing() -> None:
    text = (
        "prior_therapies:\n  - {regimen: sorafenib, outcome: ongoing}\n  - {regimen: regorafenib}\n"
    )
    assert only_problem(text).startswith(
        "prior_therapies[0].outcome: got 'ongoing', but only the last line (prior_therapies[1])"
    )
    text = (
        "prior_therapies:\n  - {regimen: sorafenib}\n  - {regimen: cabozantinib, outcome: ongoing}"
    )
    assert parse_patient(text).prior_therapies is not None


def test_immune_adverse_event_needs_an_immune_checkpoint_inhibitor() -> None:
    line = only_problem("prior_therapies: [{regimen: lenvatinib, immune_adverse_event: grade_1_2}]")
    assert line == (
        "prior_therapies[0].immune_adverse_event: got 'grade_1_2', but lenvatinib contains no "
        "immune checkpoint inhibitor"
    )
    for regimen in ("atezo+bev", "nivolumab", "camrelizumab_rivoceranib"):
        parse_patient(f"prior_therapies: [{{regimen: {regimen}, immune_adverse_event: grade_3_4}}]")
    parse_patient("prior_therapies: [{regimen: sorafenib, immune_adverse_event: none}]")


def test_duplicate_etiology_is_a_problem() -> None:
    assert only_problem("liver: {etiology: [hbv, alcohol, hbv]}\n") == (
        "liver.etiology[2]: duplicate value 'hbv' (already at liver.etiology[0])"
    )


def test_duplicate_unavailable_regimen_is_a_problem_even_through_an_alias() -> None:
    assert only_problem("access: {unavailable: [stride, Durvalumab_Tremelimumab]}\n") == (
        "access.unavailable[1]: duplicate value 'Durvalumab_Tremelimumab' "
        "(already at access.unavailable[0])"
    )


def test_child_pugh_class_and_score_arithmetic_is_left_to_the_knowledge_base() -> None:
    patient = parse_patient("liver: {child_pugh: {class: A, score: 9}}\n")
    assert (patient.liver.child_pugh.class_, patient.liver.child_pugh.score) == ("A", 9)


# --- several problems -------------------------------------------------------------------------


def test_all_problems_are_reported_in_document_order() -> None:
    with pytest.raises(PatientError) as caught:
        load_patient(str(INVALID / "many-problems.yaml"))
    found = caught.value.problems
    expected_starts = [
        "ecog: must be at most 4, got 5",
        "tumour.colour: unknown key",
        "tumour.portal_vein_invasion: got 'vp2'",
        "labs.albumin_g_dl: must be greater than 0, got -1",
        "labs.bilirubin_mg_dl: got 2, but labs.bilirubin_umol_l is 20",
        "liver.ascites: must be one of none, mild, moderate_severe, got 'severe'",
        "liver.etiology[1]: duplicate value 'hcv'",
        "liver.varices.finding: got 'small'",
        "prior_therapies[0].outcome: got 'ongoing'",
        "prior_therapies[0].immune_adverse_event: got 'grade_3_4'",
        "prior_therapies[1].regimen: unknown regimen 'regorafenibb'",
        "access.unavailable[1]: duplicate value 'atezolizumab_bevacizumab'",
    ]
    assert len(found) == len(expected_starts), found
    for line, start in zip(found, expected_starts, strict=True):
        assert line.startswith(start), (line, start)
    assert str(caught.value) == "\n".join(found)
    assert caught.value.source == str(INVALID / "many-problems.yaml")


def test_problem_lines_are_single_lines_without_pydantic_text() -> None:
    with pytest.raises(PatientError) as caught:
        load_patient(str(INVALID / "many-problems.yaml"))
    for line in caught.value.problems:
        assert "\n" not in line
        assert "pydantic" not in line.lower()
        assert "http" not in line
        assert "Input should" not in line
        assert "Traceback" not in line


# --- YAML safety ------------------------------------------------------------------------------


def test_alias_bomb_fails_fast_at_its_first_anchor() -> None:
    started = time.perf_counter()
    with pytest.raises(PatientError) as caught:
        load_patient(str(INVALID / "alias-bomb.yaml"))
    assert time.perf_counter() - started < 1
    assert caught.value.problems == [
        f"{INVALID / 'alias-bomb.yaml'}: line 2, column 4: "
        "YAML anchors and aliases are not allowed (found &a)"
    ]


def test_anchor_alone_and_alias_alone_are_refused() -> None:
    assert "YAML anchors and aliases are not allowed" in only_problem("ecog: &e 1\n")
    assert "YAML anchors and aliases are not allowed" in only_problem("ecog: *e\n")


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(PatientError) as caught:
        load_patient(str(INVALID / "deep-nesting.yaml"))
    assert caught.value.problems == [
        f"{INVALID / 'deep-nesting.yaml'}: line 2, column 26: nested deeper than 20 levels"
    ]


def test_too_many_values_are_refused() -> None:
    text = "liver:\n  etiology: [" + ", ".join(["hcv"] * (MAX_NODES + 5)) + "]\n"
    assert only_problem(text).endswith(f"more than {MAX_NODES} YAML values in one file")


def test_duplicate_keys_are_problems_not_silently_the_last_value() -> None:
    with pytest.raises(PatientError) as caught:
        load_patient(str(INVALID / "duplicate-keys.yaml"))
    assert caught.value.problems == [
        "ecog: duplicate key (first on line 3, again on line 8); give each key once",
        "labs.bilirubin_mg_dl: duplicate key (first on line 5, again on line 7); "
        "give each key once",
    ]


def test_duplicate_keys_in_json_are_problems() -> None:
    assert only_problem('{"ecog": 1, "ecog": 2}').startswith("ecog: duplicate key")


def test_python_object_tags_are_refused() -> None:
    line = only_problem("ecog: !!python/object/apply:os.system ['echo hacked']\n")
    assert (
        line == "line 1, column 7: YAML tags are not allowed, got !!python/object/apply:os.system"
    )
    assert "YAML tags are not allowed" in only_problem("labs: !!map {inr: 1}\n")


def test_the_str_tag_is_allowed_for_a_numeric_id() -> None:
    assert parse_patient("id: !!str 017\n").id == "017"


def test_complex_keys_are_refused() -> None:
    assert only_problem("? [a, b]\n: 1\n").endswith("a mapping key must be text, not a collection")


def test_syntax_error_gives_line_and_column() -> None:
    assert only_problem("id: x\necog: 1: 2\n").startswith(
        "line 2, column 8: YAML syntax error: mapping values are not allowed"
    )


def test_control_characters_give_line_and_column() -> None:
    assert only_problem("id: 'é'\necog: \x00\n") == (
        "line 2, column 7: character #x0000 is not allowed in YAML"
    )


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n", "null\n"])
def test_empty_document_is_a_problem(text: str) -> None:
    assert only_problem(text).startswith("the file is empty")


@pytest.mark.parametrize(("text", "shown"), [("- 1\n", "a list"), ("just text\n", "'just text'")])
def test_top_level_must_be_a_mapping(text: str, shown: str) -> None:
    assert only_problem(text) == (
        f"the file must be a mapping of patient keys (key: value lines), got {shown}"
    )


def test_one_document_per_file() -> None:
    assert only_problem("id: a\n---\nid: b\n") == (
        "line 2, column 1: more than one YAML document (a file holds one patient)"
    )


# --- reading ----------------------------------------------------------------------------------


def test_stdin_text_stream() -> None:
    text, default_id = read_source("-", io.StringIO("id: from-stdin\necog: 2\n"))
    assert (text, default_id) == ("id: from-stdin\necog: 2\n", "stdin")
    assert load_patient("-", io.StringIO("ecog: 2\n")).id == "stdin"


def test_stdin_byte_stream_is_read_as_utf8() -> None:
    stream = io.TextIOWrapper(io.BytesIO("id: 'Müller'\n".encode()), encoding="latin-1")
    assert load_patient("-", stream).id == "Müller"
    stream = io.TextIOWrapper(io.BytesIO(b"id: '\xff'\n"), encoding="latin-1")
    with pytest.raises(PatientError) as caught:
        read_source("-", stream)
    assert caught.value.problems == ["-: not UTF-8 text (byte 0xff at offset 5)"]


def test_too_large_stdin_is_refused() -> None:
    with pytest.raises(PatientError) as caught:
        read_source("-", io.StringIO("#" * (MAX_BYTES + 1)))
    assert caught.value.problems[0].startswith("-: too large (more than 1 MiB)")


def test_missing_file(tmp_path: Path) -> None:
    source = str(tmp_path / "absent.yaml")
    with pytest.raises(PatientError) as caught:
        load_patient(source)
    assert caught.value.problems == [f"{source}: no such file"]
    assert caught.value.source == source


def test_directory_is_not_a_patient_file(tmp_path: Path) -> None:
    with pytest.raises(PatientError) as caught:
        read_source(str(tmp_path))
    assert caught.value.problems == [f"{tmp_path}: is a directory, not a patient file"]


def test_too_large_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * (MAX_BYTES + 1))
    with pytest.raises(PatientError) as caught:
        read_source(str(path))
    assert caught.value.problems[0].startswith(f"{path}: too large (more than 1 MiB)")
    path.write_bytes(b"#" * MAX_BYTES)
    assert read_source(str(path))[1] == "big"


def test_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("id: 'Müller'\n".encode("latin-1"))
    with pytest.raises(PatientError) as caught:
        read_source(str(path))
    assert caught.value.problems == [f"{path}: not UTF-8 text (byte 0xfc at offset 6)"]


def test_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfid: bom\n")
    assert load_patient(str(path)).id == "bom"


def test_patient_error_takes_one_line_or_many() -> None:
    assert PatientError("x: bad").problems == ["x: bad"]
    assert PatientError(["a", "b"]).problems == ["a", "b"]
    assert isinstance(parse_patient("{}"), Patient)


def test_recommend_does_not_load_pydantic_model_machinery() -> None:
    # The cold-start budget (issue 15): the patient file is validated by pydantic_core directly;
    # defining a pydantic BaseModel would load pydantic.main and its schema generator.
    code = (
        "import sys; from click.testing import CliRunner; from hcc_asp.cli import main; "
        "r = CliRunner().invoke(main, ['recommend', 'examples/after-atezo-bev.yaml']); "
        "assert r.exit_code == 0, r.output; "
        "print(sorted({'pydantic.main', 'pydantic._internal._generate_schema'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_copy_keeps_what_the_file_gave_and_dump_uses_the_file_keys() -> None:
    patient = parse_patient(
        "id: p1\nliver:\n  child_pugh:\n    class: B\nprior_therapies:\n  - regimen: Sorafenib\n"
    )
    naive = patient.model_copy(update={"prior_therapies": []})
    assert naive.prior_therapies == [] and patient.prior_therapies is not None
    assert naive.given_paths() == ["id", "liver.child_pugh.class", "prior_therapies"]
    assert naive.model_fields_set == patient.model_fields_set
    assert naive.model_dump(by_alias=True, exclude_none=True)["liver"] == {
        "child_pugh": {"class": "B"},
        "varices": {},
    }
    assert patient.model_dump()["liver"]["child_pugh"] == {"class_": "B", "score": None}
    assert patient == parse_patient(
        "id: p1\nliver:\n  child_pugh:\n    class: B\nprior_therapies:\n  - regimen: sorafenib\n"
    )
    assert patient != naive
