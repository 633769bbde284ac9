"""The JSON Schema of the patient file and the template, against a real JSON Schema validator.

The schema is generated from the validator's own definitions (hcc_asp.patient.schema), so it must
agree with the validator both ways: every example and golden patient file is valid under it, and
a file with a shape error (unknown key, wrong type, out of range, a value not in a key's list) is
refused by both. The template (hcc_asp.patient.template) must be a patient file that `recommend`
accepts as it is, answering `conditional` with the keys to fill in.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from hcc_asp.patient import PatientError, parse_patient
from hcc_asp.patient.bounds import BOUNDS
from hcc_asp.patient.model import Patient
from hcc_asp.patient.schema import patient_schema
from hcc_asp.patient.template import NOTES, patient_template

ROOT = Path(__file__).resolve().parent.parent
GOOD = sorted(
    [
        *(ROOT / "examples").glob("*.yaml"),
        *(ROOT / "examples" / "cohort").glob("*.yaml"),
        *(ROOT / "tests" / "golden").glob("*.yaml"),
        *(ROOT / "tests" / "patients" / "valid").iterdir(),
    ]
)


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = patient_schema()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def read(path: Path) -> object:
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


def test_the_schema_is_draft_2020_12_and_refuses_unknown_keys(validator):
    schema = patient_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert not validator.is_valid({"colour": "red"})


@pytest.mark.parametrize("path", GOOD, ids=lambda path: path.name)
def test_every_example_and_golden_patient_is_valid_under_the_schema(validator, path):
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(read(path))]
    assert errors == []


#: Shape errors: each refused by the validator and by the schema. (key path, bad YAML value)
SHAPE_ERRORS = [
    ("colour", "red"),
    ("tumour.colour", "red"),
    ("ecog", "one"),
    ("ecog", "2.5"),
    ("weight_kg", "'72'"),
    ("tumour.extrahepatic_spread", "'yes'"),
    ("liver.ascites", "severe"),
    ("liver.etiology", "[hcv, nash]"),
    ("tumour.bclc_stage", "E"),
    ("version", "2"),
    ("prior_therapies", "{regimen: sorafenib}"),
    ("id", "''"),
] + [(path, str(bound.high + 1)) for path, bound in sorted(BOUNDS.items())]


def nested(path: str, value: str) -> str:
    """The YAML of one key path set to one value."""
    parts = path.split(".")
    lines = [f"{'  ' * depth}{part}:" for depth, part in enumerate(parts[:-1])]
    lines.append(f"{'  ' * (len(parts) - 1)}{parts[-1]}: {value}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("path", "value"), SHAPE_ERRORS, ids=lambda item: str(item))
def test_a_shape_error_is_refused_by_the_validator_and_by_the_schema(validator, path, value):
    text = nested(path, value)
    with pytest.raises(PatientError):
        parse_patient(text)
    assert not validator.is_valid(yaml.safe_load(text)), text


def test_the_bad_input_golden_with_many_shape_errors_fails_the_schema(validator):
    data = read(ROOT / "tests" / "patients" / "invalid" / "many-problems.yaml")
    complaints = {tuple(error.absolute_path)[:2] for error in validator.iter_errors(data)}
    assert ("ecog",) in complaints
    assert ("tumour", "colour") in complaints or ("tumour",) in complaints
    assert ("labs", "albumin_g_dl") in complaints or ("labs",) in complaints


def test_the_schema_takes_its_bounds_from_the_validator():
    properties = patient_schema()["properties"]
    for path, bound in BOUNDS.items():
        node = properties
        *sections, key = path.split(".")
        for section in sections:
            node = next(o for o in node[section]["anyOf"] if o.get("type") == "object")
            node = node["properties"]
        number = next(o for o in node[key]["anyOf"] if o.get("type") in ("number", "integer"))
        assert number["maximum"] == bound.high, path
        low = "minimum" if bound.low_inclusive else "exclusiveMinimum"
        assert number[low] == bound.low, path


def leaf_paths(section: type = Patient, prefix: str = "") -> list[str]:
    from hcc_asp.patient.section import Section, strip_annotation

    paths = []
    for name, field in section.model_fields.items():
        key = prefix + (field.alias or name)
        paths.append(key)
        inner = strip_annotation(field.annotation)
        if isinstance(inner, type) and issubclass(inner, Section):
            paths += leaf_paths(inner, key + ".")
    from hcc_asp.patient.model import PriorTherapy

    if not prefix:
        paths += leaf_paths(PriorTherapy, "prior_therapies.")
    return paths


def test_every_key_has_a_note_and_is_in_the_template():
    template = patient_template()
    assert set(NOTES) == set(leaf_paths())
    for path in leaf_paths():
        key = path.rsplit(".", 1)[-1]
        assert f" {key}:" in template or f"\n{key}:" in template, path


def test_the_template_is_accepted_as_it_is_and_every_line_fits_100_columns():
    template = patient_template()
    assert max(len(line) for line in template.splitlines()) <= 100
    patient = parse_patient(template, default_id="template")
    assert patient.id == "new-patient"
    assert patient.given_paths() == ["version", "id"]  # every value of the patient is unknown


def test_the_template_with_its_commented_sections_uncommented_is_still_valid(validator):
    key_line = re.compile(r"# ( *(- )?[a-z_]+:)")
    lines = [line[2:] if key_line.match(line) else line for line in patient_template().splitlines()]
    text = "\n".join(lines) + "\n"
    patient = parse_patient(text)
    assert "comorbidities" in patient.model_fields_set
    assert validator.is_valid(yaml.safe_load(text))
