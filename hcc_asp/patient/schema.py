"""The JSON Schema of the patient file, generated from the definitions the validator uses.

``hcc-asp schema patient`` prints it, for editors and integrators. The patient model's sections
(:mod:`hcc_asp.patient.model`, the leaf types in :mod:`hcc_asp.patient.leaves`) carry
``pydantic_core`` schemas; pydantic's own JSON Schema generator walks them, so the keys,
types, ranges and allowed values of the schema are those the validator enforces, never a second
copy written by hand. A few validator functions widen what a key accepts (a section written as
``null``, BCLC stage ``0`` written as a number, a regimen alias in any case); :class:`_Generator`
says so for each of them. Each key's description is its comment in the template
(:data:`hcc_asp.patient.template.NOTES`).

What only the validator checks is left out: contradictions between keys, regimen spellings (any
case, display names), a BCLC stage the patient's values rule out, duplicates in lists. The schema
checks shape; the commands check meaning.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from hcc_asp.patient import leaves, model
from hcc_asp.patient.template import NOTES

__all__ = ["DIALECT", "patient_schema", "patient_schema_text"]

#: The JSON Schema dialect of the generated schema.
DIALECT = "https://json-schema.org/draft/2020-12/schema"


class _Generator(GenerateJsonSchema):
    """Pydantic's generator, taught the patient sections and the validator's widening functions."""

    def __init__(self) -> None:
        super().__init__(by_alias=True)
        self._path: list[str] = []

    def model_schema(self, schema: core_schema.ModelSchema) -> JsonSchemaValue:
        """A section: an object of its keys, unknown keys refused (its key's note describes it)."""
        generated = self.generate_inner(schema["schema"])
        generated["additionalProperties"] = False
        return generated

    def model_fields_schema(self, schema: core_schema.ModelFieldsSchema) -> JsonSchemaValue:
        """The keys of a section in the model's order, each described by its template comment."""
        properties: dict[str, Any] = {}
        required: list[str] = []
        for name, field in schema["fields"].items():
            alias = field.get("validation_alias")
            key = alias if isinstance(alias, str) else name
            self._path.append(key)
            try:
                value = self.generate_inner(field["schema"])
                note = NOTES.get(".".join(self._path))
            finally:
                self._path.pop()
            value.pop("title", None)
            if note:
                value["description"] = note
            properties[key] = value
            if field["schema"]["type"] != "default":
                required.append(key)
        generated: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            generated["required"] = required
        return generated

    def function_before_schema(
        self, schema: core_schema.BeforeValidatorFunctionSchema
    ) -> JsonSchemaValue:
        """What each of the validator's before-functions accepts, in JSON Schema words."""
        function = schema["function"]["function"]
        inner = self.generate_inner(schema["schema"])
        if function is leaves.bclc_zero:
            return {"enum": [*inner["enum"], 0]}
        if function is leaves.format_version:
            return {"const": 1}
        if function is leaves._regimen_id:
            return {"type": "string", "minLength": 1, "examples": _regimen_examples()}
        if getattr(function, "__name__", "") == "_none_as_empty":
            return {"anyOf": [inner, {"type": "null"}]}
        return inner  # _whole_from_float: "integer" already accepts 7.0


def _regimen_examples() -> list[str]:
    """The regimen ids, as examples an editor can offer (aliases are accepted too)."""
    from hcc_asp.knowledge import shipped

    return sorted(regimen.id for regimen in shipped().regimens)


def patient_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a patient file, as a plain mapping."""
    body = _Generator().generate(model.Patient.section_schema)
    return {
        "$schema": DIALECT,
        "title": "hcc-asp patient file, format version 1",
        "description": (
            "One patient for hcc-asp. Every key is optional: absent or null means unknown, never"
            " 'no'. This schema checks the file's shape; hcc-asp itself also checks what a schema"
            " cannot (contradictions between keys, regimen spellings)."
        ),
        **{key: value for key, value in body.items() if key not in ("title", "description")},
    }


def patient_schema_text() -> str:
    """The schema as the command prints it: indented JSON, keys in the model's order."""
    return json.dumps(patient_schema(), indent=2, ensure_ascii=False) + "\n"
