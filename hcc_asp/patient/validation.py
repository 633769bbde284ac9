"""Validation of patient data against the model, every problem one line in document order.

:func:`patient_from_data` is where every reader ends: the data are validated against
:class:`~hcc_asp.patient.model.Patient` (strict types, ranges, allowed values, regimen ids and
aliases), the structural contradictions between keys are added
(:mod:`hcc_asp.patient.contradictions`), and each pydantic error is worded as
``<key path>: <what is wrong>, got <value>``, with a hint at the key or value meant.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal, get_args, get_origin

from pydantic_core import ValidationError

from hcc_asp.knowledge import shipped
from hcc_asp.patient.bounds import BOUNDS
from hcc_asp.patient.contradictions import contradictions
from hcc_asp.patient.model import Patient
from hcc_asp.patient.problems import (
    PROBLEM,
    Loc,
    PatientError,
    Problem,
    format_path,
    number,
    show,
)
from hcc_asp.patient.section import Section, strip_annotation


def patient_from_data(
    data: Any, default_id: str = "patient", aliases: Mapping[str, str] | None = None
) -> Patient:
    """Validate already-parsed data (a mapping, as from JSON) into a :class:`Patient`.

    The same checks as :func:`parse_patient` except the YAML ones; for data built in Python, e.g.
    a witness patient of the consistency checks.
    """
    return validate(data, default_id, aliases, {}, [])


def validate(
    data: Any,
    default_id: str,
    aliases: Mapping[str, str] | None,
    raw: dict[Loc, str],
    problems: list[Problem],
) -> Patient:
    """Validate data into a Patient, or raise every problem (plus ``problems``) in order."""
    if aliases is None:
        aliases = shipped().aliases
    problems = list(problems)
    id_given = isinstance(data, dict) and data.get("id") is not None
    if isinstance(data, dict) and not id_given:
        data = {**data, "id": default_id}
    patient: Patient | None = None
    try:
        patient = Patient.model_validate(data, context={"aliases": aliases})
    except ValidationError as error:
        problems.extend(_translate(item, raw) for item in error.errors(include_url=False))
    if isinstance(data, dict):
        problems.extend(contradictions(data, aliases))
    if problems or patient is None:
        order = _document_order(data)
        ranked = sorted(enumerate(problems), key=lambda item: (_rank(item[1].loc, order), item[0]))
        raise PatientError([problem.text for _, problem in ranked])
    patient._id_given = id_given
    return patient


def _document_order(data: Any) -> dict[Loc, int]:
    """Return the position of every key path of the data, in document (pre-)order."""
    order: dict[Loc, int] = {}

    def walk(value: Any, loc: Loc) -> None:
        order[loc] = len(order)
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, (*loc, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, (*loc, index))

    walk(data, ())
    return order


def _rank(loc: Loc, order: dict[Loc, int]) -> int:
    """Position of ``loc`` in the document, or of its nearest given ancestor."""
    while loc not in order and loc:
        loc = loc[:-1]
    return order.get(loc, len(order))


def _translate(error: Any, raw: dict[Loc, str]) -> Problem:
    """Word one pydantic error as one problem line: ``<key path>: <what is wrong>, got <value>``."""
    loc: Loc = tuple(error["loc"])
    kind: str = error["type"]
    value = error.get("input")
    context = error.get("ctx") or {}
    got = show(value)
    path = format_path(loc)
    if kind == PROBLEM:
        text = str(context["problem"])
    elif kind == "extra_forbidden":
        text = "unknown key" + _key_hint(loc)
    elif kind == "invalid_key":
        text = "unknown key (keys must be text)"
    elif kind == "literal_error":
        allowed = _allowed_values(loc)
        text = f"must be one of {', '.join(allowed)}, got {got}"
        if isinstance(value, str):
            same = [item for item in allowed if item.lower() == value.strip().lower()]
            if same:
                text += f" (did you mean {same[0]}?)"
    elif kind == "bool_type":
        text = f"must be true or false, got {got}"
    elif kind in ("int_type", "int_parsing", "int_from_float"):
        text = f"must be a whole number, got {got}"
    elif kind in ("float_type", "float_parsing"):
        text = f"must be a number, got {got}"
    elif kind == "finite_number":
        text = f"must be a finite number, got {got}"
    elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        text = _range_text(kind, loc, context, got)
    elif kind == "string_type" and loc == ("id",):
        source = raw.get(loc, got)
        text = f'must be a string, got {got}; put it in quotes: id: "{source}"'
    elif kind == "string_type":
        text = f"must be text, got {got}"
    elif kind == "string_too_short":
        text = f"must not be empty, got {got}"
    elif kind == "list_type":
        example = f" (write [{value}])" if isinstance(value, str) and len(value) < 40 else ""
        text = f"must be a list, got {got}{example}"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        text = f"must be a mapping of keys (key: value), got {got}"
        if len(loc) == 2 and loc[0] == "prior_therapies" and isinstance(value, str):
            text += f" (write - regimen: {value})"
    else:  # nocoverage - pydantic errors the schema above cannot produce
        message = str(error.get("msg", "invalid")).splitlines()[0]
        text = f"{message[:1].lower()}{message[1:]}, got {got}"
    return Problem(loc, f"{path}: {text}")


def _range_text(kind: str, loc: Loc, context: dict[str, Any], got: str) -> str:
    """Word a range error; upper plausibility limits hint at a unit mix-up."""
    if kind == "greater_than":
        return f"must be greater than {number(context['gt'])}, got {got}"
    if kind == "greater_than_equal":
        return f"must be at least {number(context['ge'])}, got {got}"
    if kind == "less_than":  # nocoverage - BOUNDS has no exclusive upper bound
        return f"must be less than {number(context['lt'])}, got {got}"
    text = f"must be at most {number(context['le'])}, got {got}"
    bound = BOUNDS.get(".".join(part for part in loc if isinstance(part, str)))
    if bound is not None and bound.plausibility:
        text += " (not plausible: check the unit)"
    return text


def _field_key(field_name: str, model: type[Section]) -> str:
    field = model.model_fields[field_name]
    return field.alias or field_name


def _type_at(loc: Loc) -> Any:
    """Return the schema type at a key path (an index steps into the list item), or None."""
    annotation: Any = Patient
    for part in loc:
        annotation = strip_annotation(annotation)
        if isinstance(part, int):
            if get_origin(annotation) is not list:
                return None
            annotation = get_args(annotation)[0]
            continue
        if not (isinstance(annotation, type) and issubclass(annotation, Section)):
            return None
        names = {_field_key(name, annotation): name for name in annotation.model_fields}
        if part not in names:
            return None
        annotation = annotation.model_fields[names[part]].annotation
    return strip_annotation(annotation)


def _allowed_values(loc: Loc) -> list[str]:
    """Return the listed values of an enumerated key, in the order patient.md gives them."""
    annotation = _type_at(loc)
    if get_origin(annotation) is Literal:
        return [str(arg) for arg in get_args(annotation)]
    return []  # nocoverage - literal errors only come from Literal keys


def _schema_paths(model: type[Section], prefix: Loc = ()) -> Iterator[Loc]:
    """Every key path of the schema (sections and leaves)."""
    for name in model.model_fields:
        loc = (*prefix, _field_key(name, model))
        yield loc
        annotation = strip_annotation(model.model_fields[name].annotation)
        if isinstance(annotation, type) and issubclass(annotation, Section):
            yield from _schema_paths(annotation, loc)


def _key_hint(loc: Loc) -> str:
    """Suggest the key meant: the same key in another section, or a close spelling here."""
    key = loc[-1]
    if not isinstance(key, str):  # nocoverage - YAML keys are always text here
        return ""
    elsewhere = [
        format_path(path)
        for path in _schema_paths(Patient)
        if path[-1] == key and path != tuple(part for part in loc if isinstance(part, str))
    ]
    if elsewhere:
        return f" (did you mean {' or '.join(elsewhere)}?)"
    model = _type_at(loc[:-1])
    if isinstance(model, type) and issubclass(model, Section):
        keys = [_field_key(name, model) for name in model.model_fields]
        import difflib  # only a bad file needs it: kept off the cold path of a good one

        close = difflib.get_close_matches(key, keys, n=2, cutoff=0.7)
        if close:
            return f" (did you mean {' or '.join(close)}?)"
    return ""
