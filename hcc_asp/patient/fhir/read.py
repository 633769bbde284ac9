"""Read FHIR R4 input for one patient: a Bundle, one resource, NDJSON, or a directory of them.

What is read is bounded by what the mapping uses (README, "FHIR input"). As each resource is
read, one of a type the mapping does not use (an Encounter, a 1 MiB DocumentReference) or an
Observation or Condition of a code it does not map is skipped and dropped at once, before any
bound. The bounds then count the resources kept: :data:`MAX_USED` resources and
:data:`MAX_USED_NODES` JSON values in all (years of monthly labs fit many times over),
:data:`MAX_RESOURCE_NODES` values in one resource, :data:`MAX_DEPTH` nesting. The input itself is
at most :data:`MAX_FHIR_BYTES`; a file larger than a patient file's bound (``MAX_BYTES``) is read
one resource at a time (``ijson``), so that memory follows the resources kept, not the file.

Reading is generous: only input that is not FHIR JSON at all is refused (not JSON, no
``resourceType``). An element that is not valid FHIR is left out of its resource, and a resource
that still does not validate is left out, each with a line in :class:`ReadLog` naming the
resource and the element (the answer's notes and ``import``'s comments show them). Resources
kept are validated by the ``fhir.resources`` R4B model of their type. Strict JSON (no duplicate
keys, no ``NaN``) is kept for files up to ``MAX_BYTES``; the streamed reader of larger files
keeps the last of duplicate keys.
"""

from __future__ import annotations

import copy
import json
import re
import typing
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hcc_asp.patient.bounds import MAX_BYTES, MAX_DEPTH
from hcc_asp.patient.problems import PatientError

#: Resource types the mapping reads; only these are kept and validated with fhir.resources.
USED_TYPES = (
    "Patient",
    "Observation",
    "Condition",
    "MedicationRequest",
    "MedicationAdministration",
    "MedicationStatement",
    "Medication",
)
#: Bundle types read without a note (a document's Composition is a type the mapping skips).
BUNDLE_TYPES = ("collection", "searchset", "transaction", "document", "batch")
#: Most files read from a directory.
MAX_FILES = 1000
#: Largest FHIR input read (every file together): a chart of many years is tens of MB.
MAX_FHIR_BYTES = 1024 * 1024 * 1024
#: Most resources kept (of the types and codes the mapping uses), and their JSON values.
MAX_USED = 50_000
MAX_USED_NODES = 2_000_000
#: Most JSON values in one kept resource.
MAX_RESOURCE_NODES = 20_000
#: Skipped Observations and Conditions named one by one in the notes; the rest are counted.
NAMED_SKIPPED = 50


class TooMuchData(PatientError):
    """More resources of the kinds the mapping uses than the bounds: not a bad input."""


class Resource(typing.NamedTuple):
    """One resource read: its JSON data, the validated model, and how problems name it."""

    data: dict[str, Any]
    model: Any
    name: str  # "Observation/lab-1", or "Bundle.entry[3] (Observation)" without an id
    full_url: str | None = None  # the Bundle entry's fullUrl (urn:uuid:..., absolute URL)


@dataclass
class ReadLog:
    """What reading left out, for the answer: ``notes`` for everyone, ``left_out`` matters.

    ``left_out`` names each element or resource that was not read because it is not valid FHIR
    (the value it carried stays unknown); ``notes`` adds what was skipped as not used.
    """

    notes: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    named: int = 0

    def summary(self) -> list[str]:
        """The notes, with one line counting what was skipped unnamed."""
        lines = list(self.notes)
        if self.skipped:
            counts = ", ".join(f"{kind} {n}" for kind, n in sorted(self.skipped.items()))
            lines.append(f"skipped as not used by the mapping: {counts}")
        return lines


def looks_like_fhir(text: str) -> bool:
    """Whether a patient text is FHIR JSON: a JSON object (or NDJSON) with a ``resourceType``.

    A patient file never has a ``resourceType`` key (it would be an unknown key), so this cannot
    mistake one for the other.
    """
    head = text.lstrip("\ufeff \t\r\n")
    return head.startswith("{") and '"resourceType"' in text


def read_fhir_source(
    source: str,
    stdin: typing.TextIO | None = None,
    text: str | None = None,
    log: ReadLog | None = None,
) -> list[Resource]:
    """Read the FHIR input at ``source``: a file, ``-`` for stdin, or a directory of files.

    A directory contributes its regular ``*.json`` and ``*.ndjson`` files, in name order.
    ``text`` is the file's text when the caller has read it already (to sniff its format).
    Standard input is read up to ``MAX_BYTES``; a larger chart is given as a file.
    """
    from hcc_asp.patient.file import is_directory, read_source

    log = log if log is not None else ReadLog()
    collector = _Collector(log)
    path = Path(source)
    if text is not None or source == "-":
        if text is None:
            text, _ = read_source(source, stdin)
        _read_text(source, text, collector)
    elif is_directory(source):
        for item in _directory(path):
            _read_file(item, collector)
    else:
        _read_file(path, collector)
    return collector.validated()


def _directory(path: Path) -> list[Path]:
    files = sorted(
        item
        for item in path.iterdir()
        if item.suffix in (".json", ".ndjson") and item.is_file() and not item.is_symlink()
    )
    if not files:
        raise PatientError(f"{path}: no .json or .ndjson files in this directory", str(path))
    if len(files) > MAX_FILES:
        raise PatientError(f"{path}: more than {MAX_FILES} files", str(path))
    if sum(item.stat().st_size for item in files) > MAX_FHIR_BYTES:
        raise PatientError(f"{path}: too large (more than {_mib(MAX_FHIR_BYTES)} in all)")
    return files


def _mib(size: int) -> str:
    return f"{size // (1024 * 1024)} MiB"


def _read_file(path: Path, collector: _Collector) -> None:
    """One file: read whole and strict up to ``MAX_BYTES``, else one resource at a time."""
    from hcc_asp.patient.file import read_source

    where = str(path)
    try:
        size = path.stat().st_size if path.is_file() else 0
    except OSError:
        size = 0
    if size <= MAX_BYTES:
        text, _ = read_source(where)
        _read_text(where, text, collector)
        return
    if size > MAX_FHIR_BYTES:
        raise PatientError(f"{where}: too large (more than {_mib(MAX_FHIR_BYTES)})")
    from hcc_asp.patient.fhir.stream import stream_file

    stream_file(path, collector)


def _read_text(where: str, text: str, collector: _Collector) -> None:
    for label, document in _documents(where, text, collector.problems):
        collector.unpack(document, label)


def resources_from_texts(
    texts: list[tuple[str, str]], log: ReadLog | None = None
) -> list[Resource]:
    """Parse and validate the resources of every ``(where, text)``; raise every problem."""
    collector = _Collector(log if log is not None else ReadLog())
    for where, text in texts:
        _read_text(where, text, collector)
    return collector.validated()


def resources_from_data(data: Any, log: ReadLog | None = None) -> list[Resource]:
    """Validate already-parsed FHIR JSON: a Bundle, one resource, or a list of resources."""
    collector = _Collector(log if log is not None else ReadLog())
    documents = data if isinstance(data, list) else [data]
    for index, document in enumerate(documents):
        label = f"[{index}]" if isinstance(data, list) else "(top level)"
        collector.unpack(document, label)
    return collector.validated()


class _Collector:
    """Keeps the resources the mapping uses, bounded; skips the rest as they are read."""

    def __init__(self, log: ReadLog) -> None:
        self.log = log
        self.problems: list[str] = []
        self.kept: list[tuple[dict[str, Any], str, str | None]] = []
        self.nodes = 0

    @property
    def notes(self) -> list[str]:
        """The notes of the read (for the streamed reader)."""
        return self.log.notes

    @property
    def left_out(self) -> list[str]:
        """What was left out (for the streamed reader)."""
        return self.log.left_out

    def entry(self, entry: Any, index: int) -> None:
        """Keep the resource of one Bundle entry, if the mapping uses it."""
        found = entry_resource(entry, index, self.log)
        if found is not None:
            self.add(*found)

    def used(self, kind: str) -> bool:
        """Whether the mapping reads resources of this type."""
        return kind in USED_TYPES

    def skip(self, kind: str) -> None:
        """Count a resource of a type the mapping does not read."""
        self.log.skipped[kind] += 1

    def known_bundle(self, kind: Any) -> bool:
        """Whether a Bundle type is read without a note."""
        return kind in BUNDLE_TYPES

    def parse(self, text: str, label: str) -> Any:
        """Strict JSON of one NDJSON line, or None with the problem recorded."""
        try:
            return _strict_json(text)
        except json.JSONDecodeError as error:
            self.problems.append(f"{label}: not JSON ({_json_reason(error)})")
        except _JsonProblem as problem:
            self.problems.append(f"{label}: {problem}")
        return None

    def unpack(self, document: Any, label: str) -> None:
        """Keep the used resources of one JSON document (a Bundle's entries, or itself)."""
        for data, name, full_url in _unpack(document, label, self.problems, self.log):
            self.add(data, name, full_url)

    def add(self, data: dict[str, Any], name: str, full_url: str | None) -> None:
        """Keep one resource if the mapping uses it, within the bounds."""
        kind = str(data.get("resourceType"))
        if kind not in USED_TYPES:
            self.log.skipped[kind] += 1
            return
        if kind in ("Observation", "Condition") and not _mapped(kind.lower(), data):
            if self.log.named < NAMED_SKIPPED:
                self.log.named += 1
                self.log.notes.append(f"{name} ({_raw_code_text(data.get('code'))}): not used")
            else:
                self.log.skipped[f"{kind} (codes not mapped)"] += 1
            return
        size = _size(data)
        if size > MAX_RESOURCE_NODES or _depth(data) > MAX_DEPTH:
            trimmed = self._trimmed(data, name)
            if trimmed is None:
                return
            data, size = trimmed, _size(trimmed)
        self.nodes += size
        if len(self.kept) >= MAX_USED or self.nodes > MAX_USED_NODES:
            raise TooMuchData(
                f"{name}: more than {MAX_USED} resources or {MAX_USED_NODES} values of the kinds "
                "the mapping uses; give one patient's record"
            )
        self.kept.append((data, name, full_url))

    def _trimmed(self, data: dict[str, Any], name: str) -> dict[str, Any] | None:
        """The resource without its elements beyond the bounds (each named), or None."""
        kept: dict[str, Any] = {}
        for key, value in data.items():
            if _depth(value) >= MAX_DEPTH or _size(value) > MAX_RESOURCE_NODES:
                self.log.left_out.append(
                    f"{name} {key}: larger than this tool reads ({MAX_RESOURCE_NODES} values, "
                    f"{MAX_DEPTH} levels); left out"
                )
            else:
                kept[key] = value
        if _size(kept) > MAX_RESOURCE_NODES:
            self.log.left_out.append(
                f"{name}: more than {MAX_RESOURCE_NODES} values in one resource; not read"
            )
            return None
        return kept

    def validated(self) -> list[Resource]:
        """Validate what was kept; raise the problems of input that is not FHIR JSON."""
        if self.problems:
            raise PatientError(self.problems)
        resources = [_validated(d, n, u, self.log) for d, n, u in self.kept]
        return [resource for resource in resources if resource is not None]


def _mapped(kind: str, data: dict[str, Any]) -> bool:
    """Whether an Observation or Condition (or one of its components) has a mapped code."""
    from hcc_asp.patient.fhir.mapping import rows_for

    concepts = [data.get("code")]
    components = data.get("component")
    if isinstance(components, list):
        concepts.extend(c.get("code") for c in components if isinstance(c, dict))
    for concept in concepts:
        codings = concept.get("coding") if isinstance(concept, dict) else None
        for coding in codings if isinstance(codings, list) else []:
            if not isinstance(coding, dict):
                continue
            system, code = coding.get("system"), coding.get("code")
            if isinstance(system, str) and isinstance(code, str) and rows_for(kind, system, code):
                return True
    return False


def _raw_code_text(concept: Any) -> str:
    """``LOINC 718-7 Hemoglobin`` from raw JSON, as the mapping's notes name a code."""
    from hcc_asp.patient.fhir.mapping import SYSTEMS

    labels = {"loinc": "LOINC", "snomed": "SNOMED CT", "icd10cm": "ICD-10-CM", "rxnorm": "RxNorm"}
    names = {url: labels.get(short, short) for short, url in SYSTEMS.items()}
    if not isinstance(concept, dict):
        return "no code"
    codings = concept.get("coding")
    for coding in codings if isinstance(codings, list) else []:
        if isinstance(coding, dict):
            system = coding.get("system")
            label = names.get(system, system) if isinstance(system, str) else "no system"
            display = f" {coding['display']}" if isinstance(coding.get("display"), str) else ""
            return f"{label} {coding.get('code')}{display}"
    text = concept.get("text")
    return text if isinstance(text, str) else "no code"


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


def _unpack(
    document: Any, label: str, problems: list[str], log: ReadLog
) -> list[tuple[dict[str, Any], str, str | None]]:
    """The resources of one JSON document: a Bundle's entries, or the resource itself.

    Only a document that is not a FHIR resource is a problem; an odd Bundle (another type, an
    entry that is not a resource, a Bundle inside) is read as far as it goes, with a note.
    """
    if not isinstance(document, dict):
        problems.append(f"{label}: not a FHIR resource (a JSON object with resourceType)")
        return []
    kind = document.get("resourceType")
    if not isinstance(kind, str):
        problems.append(f"{label}: not a FHIR resource (no resourceType)")
        return []
    if kind != "Bundle":
        return [(document, _name(document, label), None)]
    bundle_type = document.get("type")
    if bundle_type not in BUNDLE_TYPES:
        log.notes.append(
            f"{label} Bundle type {_show(bundle_type)}: its entries are read as a collection"
        )
    entries = document.get("entry", [])
    if not isinstance(entries, list):
        log.left_out.append(f"{label} Bundle.entry: not a list ({_show(entries)}); not read")
        return []
    found = [entry_resource(entry, index, log) for index, entry in enumerate(entries)]
    return [item for item in found if item is not None]


def entry_resource(
    entry: Any, index: int, log: ReadLog
) -> tuple[dict[str, Any], str, str | None] | None:
    """``(resource, name, fullUrl)`` of one Bundle entry, or None (with a note) for none."""
    where = f"Bundle.entry[{index}]"
    if not isinstance(entry, dict):
        log.left_out.append(f"{where}: not an object ({_show(entry)}); not read")
        return None
    resource = entry.get("resource")
    if resource is None:
        return None  # a transaction entry without a resource (e.g. DELETE) carries no data
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        log.left_out.append(f"{where}.resource: not a FHIR resource; not read")
        return None
    if resource["resourceType"] == "Bundle":
        log.left_out.append(f"{where}.resource: a Bundle inside a Bundle; not read")
        return None
    full_url = entry.get("fullUrl")
    return resource, _name(resource, where), full_url if isinstance(full_url, str) else None


def _name(resource: dict[str, Any], where: str) -> str:
    kind = resource.get("resourceType")
    ident = resource.get("id")
    if isinstance(ident, str) and ident:
        return f"{kind}/{ident}"
    return f"{where} ({kind})"


def _validated(
    data: dict[str, Any], name: str, full_url: str | None, log: ReadLog
) -> Resource | None:
    """Validate a kept resource with its fhir.resources R4B model, leaving out what is invalid.

    An element that does not validate is removed (its top-level element: ``valueQuantity`` for
    a bad ``valueQuantity.value``) and the resource validated again; a resource that still does
    not validate is left out. Each is one line in ``log.left_out``.
    """
    from pydantic import ValidationError

    confused = _type_confusions(data)
    if confused:  # never read a boolean or a string as a number: leave that element out, named
        for problem in confused:
            log.left_out.append(f"{name} {problem}; left out")
        tops = {p.split(":", 1)[0].split(".", 1)[0].split("[", 1)[0] for p in confused}
        data = {key: value for key, value in data.items() if key not in tops}
    model_class = _model_class(data["resourceType"])
    try:
        return Resource(data, model_class.model_validate(data), name, full_url)
    except ValidationError as error:
        items = error.errors(include_url=False)
    dated = _dates_without_zone(data, items, name, log)
    if dated is not None:
        try:
            return Resource(dated, model_class.model_validate(dated), name, full_url)
        except ValidationError as error:
            data, items = dated, error.errors(include_url=False)
    bad = {item["loc"][0] for item in items if item["loc"] and isinstance(item["loc"][0], str)}
    for item in items:
        log.left_out.append(
            f"{name} {_element_path(item['loc'])}: {_message(item)}; left out (not valid FHIR)"
        )
    trimmed = {key: value for key, value in data.items() if key not in bad}
    if bad and trimmed.get("resourceType") == data["resourceType"]:
        try:
            return Resource(trimmed, model_class.model_validate(trimmed), name, full_url)
        except ValidationError:
            pass
    log.left_out.append(f"{name}: not valid FHIR once those elements are left out; not read")
    return None


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


_NAIVE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


def _dates_without_zone(
    data: dict[str, Any], items: list[Any], name: str, log: ReadLog
) -> dict[str, Any] | None:
    """The resource with each dateTime that has a time but no time zone cut to its date.

    FHIR requires a zone with a time; many senders omit it. The date is what the record states
    for certain (the zone moves the time by less than a day), so the date is kept, with a note.
    """
    fixed = None
    for item in items:
        value = item.get("input")
        found = _NAIVE_TIME.match(value) if isinstance(value, str) else None
        if found is None or not item["loc"]:
            continue
        fixed = fixed if fixed is not None else copy.deepcopy(data)
        node: Any = fixed
        for part in item["loc"][:-1]:
            node = node[part]
        node[item["loc"][-1]] = found.group(1)
        log.notes.append(
            f"{name} {_element_path(item['loc'])}: {value!r} has a time without a time zone; "
            f"its date {found.group(1)} is used"
        )
    return fixed


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
