r"""Patient files written in JSON, parsed as JSON (strict), not as YAML flow.

JSON is a subset of YAML, but parsing it as YAML accepts what JSON refuses (trailing commas,
single quotes, bare words) and mishandles what JSON allows (a surrogate pair
``"\ud83e\udda0"``, as Python's ``json.dumps`` writes it). A file whose name ends in
``.json``, or whose text starts with ``{`` (standard input, other names), is therefore read with
the standard JSON parser, under the same bounds as YAML: nesting, number of values, duplicate
keys, and no NaN/Infinity or lone surrogates.
"""

from __future__ import annotations

import json
from typing import Any

from hcc_asp.patient.bounds import MAX_DEPTH, MAX_NODES
from hcc_asp.patient.problems import Loc, PatientError, Problem, format_path


class _Object(dict[str, Any]):
    """A JSON object that remembers the keys it saw twice (the last value is dropped)."""

    duplicates: list[str]


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    result = _Object()
    result.duplicates = []
    for key, value in pairs:
        if key in result:
            result.duplicates.append(key)
        else:
            result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a patient file may hold")


def looks_like_json(text: str) -> bool:
    """A patient file in JSON starts with ``{`` (YAML block mappings never do)."""
    return text.lstrip(" \t\r\n").startswith("{")


def parse_json(text: str) -> tuple[dict[str, Any], dict[Loc, str], list[Problem]]:
    """Turn JSON text into plain data, as ``_parse_yaml`` does for YAML (same return shape)."""
    if not text.strip(" \t\r\n"):
        raise PatientError("the file is empty: expected patient keys (id, ecog, labs, ...)")
    try:
        data = json.loads(text, object_pairs_hook=_object, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise PatientError(
            f"line {error.lineno}, column {error.colno}: JSON syntax error: {error.msg}"
        ) from None
    except RecursionError:
        raise PatientError(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as error:  # NaN/Infinity, or an integer of thousands of digits
        if "digits" in str(error):
            raise PatientError("JSON value refused: a number of more than 4300 digits") from None
        raise PatientError(f"JSON value refused: {error}") from None
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "null"
        raise PatientError(f"the file must be a JSON object of patient keys, got {kind}")
    problems: list[Problem] = []
    nodes = _walk(data, (), 1, problems)
    if nodes > MAX_NODES:
        raise PatientError(f"more than {MAX_NODES} JSON values in one file")
    return _plain(data), {}, problems


def _walk(value: Any, loc: Loc, depth: int, problems: list[Problem]) -> int:
    """Check depth, duplicates and text of a parsed value; return how many values it holds."""
    if depth > MAX_DEPTH:
        raise PatientError(
            f"{format_path(loc) or 'the file'}: nested deeper than {MAX_DEPTH} levels"
        )
    if isinstance(value, str):
        if any("\ud800" <= c <= "\udfff" for c in value):
            where = format_path(loc) or "the file"
            raise PatientError(f"{where}: not valid Unicode text (a lone surrogate escape)")
        return 1
    count = 1
    if isinstance(value, _Object):
        for key in value.duplicates:
            path = (*loc, key)
            problems.append(
                Problem(path, f"{format_path(path)}: duplicate key; give each key once")
            )
        for key, item in value.items():
            if any("\ud800" <= c <= "\udfff" for c in key):
                inside = format_path(loc) or "the file"
                raise PatientError(f"{inside}: a key is not valid Unicode text (a lone surrogate)")
            count += _walk(item, (*loc, key), depth + 1, problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            count += _walk(item, (*loc, index), depth + 1, problems)
    return count


def _plain(value: Any) -> Any:
    """Plain dicts and lists (the _Object markers dropped)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
