"""Read FHIR R4 input for one patient: a Bundle, one resource, NDJSON, or a directory of them.

The input is untrusted, so it is bounded (:data:`MAX_BYTES` of UTF-8 text in all and
:data:`MAX_DEPTH` nesting, as a patient file; :data:`MAX_FHIR_NODES` JSON values, enough for a
real chart's years of labs), parsed strictly (no duplicate
keys, no ``NaN``), and every resource the mapping uses is validated by the ``fhir.resources`` R4B
model of its type. Resources of other types are ignored, not validated. Every problem is one line
naming the resource (``Observation/lab-1``, or ``Bundle.entry[3]`` when it has no id) and the
element path.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hcc_asp.patient.bounds import MAX_BYTES, MAX_DEPTH
from hcc_asp.patient.problems import PatientError

#: Resource types the mapping reads; only these are validated with fhir.resources.
USED_TYPES = (
    "Patient",
    "Observation",
    "Condition",
    "MedicationRequest",
    "MedicationAdministration",
    "MedicationStatement",
    "Medication",
)
#: Bundle types that carry one patient's record.
BUNDLE_TYPES = ("collection", "searchset", "transaction")
#: Most files read from a directory.
MAX_FILES = 1000
#: Most JSON values in one patient's FHIR record. A patient file's bound (``MAX_NODES``, 10 000)
#: is far too small for FHIR: one lab Observation is 20-40 values, and a real chart of an
#: HCC patient on therapy holds hundreds of them (600 lab results were refused as "too many
#: values"); the byte bound keeps memory and time in check.
MAX_FHIR_NODES = 250_000


class Resource(typing.NamedTuple):
    """One resource read: its JSON data, the validated model, and how problems name it."""

    data: dict[str, Any]
    model: Any
    name: str  # "Observation/lab-1", or "Bundle.entry[3] (Observation)" without an id


def looks_like_fhir(text: str) -> bool:
    """Whether a patient text is FHIR JSON: a JSON object (or NDJSON) with a ``resourceType``.

    A patient file never has a ``resourceType`` key (it would be an unknown key), so this cannot
    mistake one for the other.
    """
    head = text.lstrip("\ufeff \t\r\n")
    return head.startswith("{") and '"resourceType"' in text


def read_fhir_source(
    source: str, stdin: typing.TextIO | None = None, text: str | None = None
) -> list[Resource]:
    """Read the FHIR input at ``source``: a file, ``-`` for stdin, or a directory of files.

    A directory contributes its regular ``*.json`` and ``*.ndjson`` files, in name order.
    ``text`` is the file's text when the caller has read it already (to sniff its format).
    """
    from hcc_asp.patient.file import is_directory, read_source

    path = Path(source)
    if text is None and source != "-" and is_directory(source):
        texts = list(_directory(path))
    else:
        if text is None:
            text, _ = read_source(source, stdin)
        texts = [(source, text)]
    return resources_from_texts(texts)


def _directory(path: Path) -> Iterator[tuple[str, str]]:
    from hcc_asp.patient.file import read_source

    files = sorted(
        item
        for item in path.iterdir()
        if item.suffix in (".json", ".ndjson") and item.is_file() and not item.is_symlink()
    )
    if not files:
        raise PatientError(f"{path}: no .json or .ndjson files in this directory", str(path))
    if len(files) > MAX_FILES:
        raise PatientError(f"{path}: more than {MAX_FILES} files", str(path))
    total = 0
    for item in files:
        text, _ = read_source(str(item))
        total += len(text.encode("utf-8"))
        if total > MAX_BYTES:
            raise PatientError(
                f"{path}: too large (more than {MAX_BYTES // (1024 * 1024)} MiB in all)", str(path)
            )
        yield str(item), text


def resources_from_texts(texts: list[tuple[str, str]]) -> list[Resource]:
    """Parse and validate the resources of every ``(where, text)``; raise every problem."""
    problems: list[str] = []
    raw: list[tuple[dict[str, Any], str]] = []
    nodes = 0
    for where, text in texts:
        for label, document in _documents(where, text, problems):
            nodes += _size(document)
            if nodes > MAX_FHIR_NODES:
                raise PatientError(f"{where}: too many values (more than {MAX_FHIR_NODES})")
            raw.extend(_unpack(document, label, problems))
    resources = [_validated(data, name, problems) for data, name in raw]
    if problems:
        raise PatientError(problems)
    return [resource for resource in resources if resource is not None]


def resources_from_data(data: Any) -> list[Resource]:
    """Validate already-parsed FHIR JSON: a Bundle, one resource, or a list of resources."""
    problems: list[str] = []
    documents = data if isinstance(data, list) else [data]
    raw: list[tuple[dict[str, Any], str]] = []
    for index, document in enumerate(documents):
        label = f"[{index}]" if isinstance(data, list) else "(top level)"
        if _depth(document) > MAX_DEPTH:
            problems.append(f"{label}: nested too deeply (more than {MAX_DEPTH} levels)")
            continue
        raw.extend(_unpack(document, label, problems))
    if sum(_size(document) for document in documents) > MAX_FHIR_NODES:
        raise PatientError(f"too many values (more than {MAX_FHIR_NODES})")
    resources = [_validated(item, name, problems) for item, name in raw]
    if problems:
        raise PatientError(problems)
    return [resource for resource in resources if resource is not None]


# ---------------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------------


def _documents(where: str, text: str, problems: list[str]) -> Iterator[tuple[str, Any]]:
    """Yield ``(label, JSON value)``: one for a JSON file, one per line for NDJSON."""
    text = text.removeprefix("\ufeff")
    try:
        yield where, _strict_json(text)
        return
    except json.JSONDecodeError as whole_error:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) < 2 or not lines[0].lstrip().startswith("{"):
            problems.append(f"{where}: not JSON ({_json_reason(whole_error)})")
            return
    except _JsonProblem as problem:
        problems.append(f"{where}: {problem}")
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield f"{where} line {number}", _strict_json(line)
        except json.JSONDecodeError as error:
            problems.append(f"{where} line {number}: not JSON ({_json_reason(error)})")
        except _JsonProblem as problem:
            problems.append(f"{where} line {number}: {problem}")


class _JsonProblem(Exception):
    """JSON that parses but is refused (duplicate key, NaN, too deep)."""


def _strict_json(text: str) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in items:
            if key in result:
                raise _JsonProblem(f"duplicate key {key!r}")
            result[key] = value
        return result

    def constant(name: str) -> Any:
        raise _JsonProblem(f"{name} is not a JSON number")

    try:
        value = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except RecursionError:
        raise _JsonProblem(f"nested too deeply (more than {MAX_DEPTH} levels)") from None
    except json.JSONDecodeError:
        raise
    except ValueError as error:  # an integer of more than 4300 digits (int's own limit)
        if "digits" in str(error):
            raise _JsonProblem("a number of more than 4300 digits is not a value") from None
        raise _JsonProblem(str(error)) from None
    if _depth(value) > MAX_DEPTH:
        raise _JsonProblem(f"nested too deeply (more than {MAX_DEPTH} levels)")
    return value


def _json_reason(error: json.JSONDecodeError) -> str:
    return f"line {error.lineno}, column {error.colno}: {error.msg}"


def _depth(value: Any) -> int:
    """Nesting depth of a JSON value (scalars 0), without recursion."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            stack.extend((child, level + 1) for child in item.values())
            deepest = max(deepest, level + 1)
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item)
            deepest = max(deepest, level + 1)
    return deepest


def _size(value: Any) -> int:
    """Number of JSON values (scalars, objects, arrays) in a value, without recursion."""
    count = 0
    stack = [value]
    while stack:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


# ---------------------------------------------------------------------------------------------
# Bundles and resources
# ---------------------------------------------------------------------------------------------


def _unpack(document: Any, label: str, problems: list[str]) -> list[tuple[dict[str, Any], str]]:
    """The resources of one JSON document: a Bundle's entries, or the resource itself."""
    if not isinstance(document, dict):
        problems.append(f"{label}: not a FHIR resource (a JSON object with resourceType)")
        return []
    kind = document.get("resourceType")
    if not isinstance(kind, str):
        problems.append(f"{label}: not a FHIR resource (no resourceType)")
        return []
    if kind != "Bundle":
        return [(document, _name(document, label))]
    bundle_type = document.get("type")
    if bundle_type not in BUNDLE_TYPES:
        problems.append(
            f"Bundle type: must be one of {', '.join(BUNDLE_TYPES)}, got {_show(bundle_type)}"
        )
        return []
    entries = document.get("entry", [])
    if not isinstance(entries, list):
        problems.append(f"Bundle entry: must be a list, got {_show(entries)}")
        return []
    found: list[tuple[dict[str, Any], str]] = []
    for index, entry in enumerate(entries):
        where = f"Bundle.entry[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be an object, got {_show(entry)}")
            continue
        resource = entry.get("resource")
        if resource is None:
            continue  # a transaction entry without a resource (e.g. DELETE) carries no data
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            problems.append(f"{where}.resource: must be a FHIR resource with resourceType")
            continue
        if resource["resourceType"] == "Bundle":
            problems.append(f"{where}.resource: a Bundle inside a Bundle is not read")
            continue
        found.append((resource, _name(resource, where)))
    return found


def _name(resource: dict[str, Any], where: str) -> str:
    kind = resource.get("resourceType")
    ident = resource.get("id")
    if isinstance(ident, str) and ident:
        return f"{kind}/{ident}"
    return f"{where} ({kind})"


def _validated(data: dict[str, Any], name: str, problems: list[str]) -> Resource | None:
    """Validate a used resource with its fhir.resources R4B model; skip other types."""
    kind = data["resourceType"]
    if kind not in USED_TYPES:
        return None
    from pydantic import ValidationError

    confused = _type_confusions(data)
    if confused:
        problems.extend(f"{name} {problem}" for problem in confused)
        return None
    model_class = _model_class(kind)
    try:
        model = model_class.model_validate(data)
    except ValidationError as error:
        for item in error.errors(include_url=False):
            problems.append(f"{name} {_element_path(item['loc'])}: {_message(item)}")
        return None
    return Resource(data, model, name)


#: FHIR's numeric primitive elements (a JSON number in FHIR JSON, never true/false or a string).
_NUMBER_ELEMENTS = frozenset(
    ("valueInteger", "valueDecimal", "valuePositiveInt", "valueUnsignedInt", "valueInteger64")
)


_JSON_KINDS = {bool: "a boolean", str: "a string", dict: "an object", list: "a list"}


def _type_confusions(data: Any) -> list[str]:
    """Numbers that are not JSON numbers: a boolean or a string where FHIR JSON has a number.

    The R4B models coerce them (``valueInteger: true`` became ECOG 1, ``"value": "2.5"`` a
    bilirubin of 2.5), which would read a value the record does not hold; each is named instead.
    Covers the numeric ``value[x]`` choices and the ``value`` of every Quantity-like object.
    """
    found: list[str] = []
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                here = f"{path}.{key}" if path else key
                parent = path.rsplit(".", 1)[-1].split("[", 1)[0]
                quantity = key == "value" and ("Quantity" in parent or parent in ("low", "high"))
                numeric = key in _NUMBER_ELEMENTS or quantity
                if numeric and (isinstance(item, bool) or not isinstance(item, (int, float))):
                    kind = _JSON_KINDS.get(type(item), "not a JSON number")
                    found.append(f"{here}: {json.dumps(item)[:40]} is {kind}, not a number")
                    continue
                stack.append((item, here))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{index}]") for index, item in enumerate(value))
    return sorted(found)


def _model_class(kind: str) -> Any:
    try:
        from fhir.resources.R4B import get_fhir_model_class
    except ImportError:  # nocoverage - the [fhir] extra is part of [test]
        raise PatientError(
            "reading FHIR needs the fhir extra: pip install 'hcc-asp[fhir]'"
        ) from None
    return get_fhir_model_class(kind)


def _element_path(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(resource)"


def _message(item: Any) -> str:
    message = str(item.get("msg", "invalid")).splitlines()[0].removeprefix("Value error, ")
    if item.get("type") == "extra_forbidden":
        message = "unknown element"
    value = item.get("input")
    shown = "" if isinstance(value, dict) or value is None else f", got {_show(value)}"
    return f"{message[:1].lower()}{message[1:].rstrip('.')}{shown}"


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
