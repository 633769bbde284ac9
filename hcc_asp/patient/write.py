"""Write a patient as a patient file (YAML), each value commented with where it came from.

Used by ``hcc-asp import``: a clinician reads the file a health record gave, checks each value
against the named resource, completes what is unknown and keeps it as the patient file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from hcc_asp.patient.model import Patient
from hcc_asp.patient.section import Section
from hcc_asp.patient.sources import Source, source_for

_PLAIN = re.compile(r"[a-z][a-z0-9_+]*")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "nan", "inf"}


def patient_yaml(
    patient: Patient,
    sources: Mapping[str, Source],
    header: list[str],
    notes: list[str],
) -> str:
    """The patient file text: ``header`` comments, the known keys, then ``notes`` as comments.

    Only known values are written (an absent key means unknown); each carries a comment naming
    its source. The text parses back to the same patient.
    """
    lines = [f"# {line}" if line else "#" for line in header]
    lines.append(f"id: {json.dumps(patient.id)}")
    lines.extend(_section(patient, "", 0, sources))
    if notes:
        lines.append("")
        lines.append("# Not mapped or needing a clinician (complete the file by hand):")
        lines.extend(f"#   - {note}" for note in notes)
    return "\n".join(lines) + "\n"


def _section(
    model: Section, prefix: str, depth: int, sources: Mapping[str, Source]
) -> Iterator[str]:
    indent = "  " * depth
    for name, field in type(model).model_fields.items():
        key = field.alias or name
        if not prefix and key in ("id", "version"):
            continue
        value = getattr(model, name)
        path = f"{prefix}{key}"
        if isinstance(value, Section):
            inner = list(_section(value, f"{path}.", depth + 1, sources))
            if inner:
                yield f"{indent}{key}:"
                yield from inner
        elif isinstance(value, list) and value and isinstance(value[0], Section):
            yield f"{indent}{key}:"
            for index, item in enumerate(value):
                inner = list(_section(item, f"{path}[{index}].", depth + 2, sources))
                if not inner:
                    inner = [f"{{}}  # {_comment(path, index, sources)}"]
                first = inner[0].lstrip()
                yield f"{indent}  - {first}"
                yield from inner[1:]
        elif isinstance(value, list):
            shown = "[" + ", ".join(_scalar(item) for item in value) + "]"
            yield f"{indent}{key}: {shown}{_note(path, sources)}"
        elif value is not None:
            yield f"{indent}{key}: {_scalar(value)}{_note(path, sources)}"


def _comment(path: str, index: int, sources: Mapping[str, Source]) -> str:
    source = source_for(f"{path}[{index}].regimen", sources)
    return f"regimen unknown: {source.label()}" if source else "regimen unknown"


def _note(path: str, sources: Mapping[str, Source]) -> str:
    source = sources.get(path)
    return f"  # {source.label()}" if source else ""


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and text not in _RESERVED:
        return text
    return json.dumps(text)
