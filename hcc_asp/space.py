"""The patient space: every key of the patient schema with its possible values.

Enumerated keys take their allowed values from the patient model (``hcc_asp.patient``); numeric keys
take one value per band that the KB distinguishes, the bands coming from the KB's own comparisons
(``KnowledgeBase.thresholds``). Used by ``explain`` (what would have to change) and by
``check`` (witness search over every possible patient).
"""

from __future__ import annotations

import types
import typing
from typing import TYPE_CHECKING, Any, Literal, get_args, get_origin

import clingo

from hcc_asp.engine.facts import value_symbol
from hcc_asp.patient.section import Section

if TYPE_CHECKING:
    from hcc_asp.knowledge import KnowledgeBase


def _strip(annotation: Any) -> Any:
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            annotation = args[0] if len(args) == 1 else annotation
            if len(args) != 1:
                return annotation
        else:
            return annotation


def schema_keys() -> dict[str, Any]:
    """Map each scalar leaf key path of the patient schema to its (stripped) type annotation."""
    from hcc_asp.patient import Patient

    keys: dict[str, Any] = {}

    def walk(model: type[Section], prefix: str) -> None:
        for name, info in model.model_fields.items():
            key = info.alias or name
            annotation = _strip(info.annotation)
            if isinstance(annotation, type) and issubclass(annotation, Section):
                walk(annotation, f"{prefix}{key}.")
            else:
                keys[f"{prefix}{key}"] = annotation

    walk(Patient, "")
    return keys


def enumerated_values(annotation: Any) -> list[Any] | None:
    """The allowed values of a Literal or bool key (None for numeric and list keys)."""
    if annotation is bool:
        return [False, True]
    if get_origin(annotation) is Literal:
        return list(get_args(annotation))
    return None


def _allowed(key: str, scaled_value: int, kb: KnowledgeBase) -> bool:
    """Whether a scaled value is inside the key's range in the patient model (``BOUNDS``)."""
    from hcc_asp.patient import BOUNDS

    bound = BOUNDS.get(key)
    value = scaled_value / key_scale(key, kb)
    if bound is None:
        return value >= 0
    above = value > bound.low or (bound.low_inclusive and value == bound.low)
    return above and value <= bound.high


def numeric_band_values(key: str, kb: KnowledgeBase) -> list[int]:
    """One scaled value per band of a numeric key: each threshold and its two neighbours.

    Values outside the key's allowed range are dropped, so every value makes a valid patient file.
    """
    points: set[int] = set()
    for threshold in kb.thresholds.get(key, ()):
        points.update({threshold - 1, threshold, threshold + 1})
    return sorted(p for p in points if _allowed(key, p, kb))


def key_domain(key: str, annotation: Any, kb: KnowledgeBase) -> list[clingo.Symbol] | None:
    """The values a scalar key takes in the patient space, as Symbols (None for list keys).

    Enumerations take all their values; numeric keys one value per band of the KB's thresholds
    (an empty list when no rule reads the key).
    """
    allowed = enumerated_values(annotation)
    if allowed is not None:
        return [value_symbol(key, value, kb) for value in allowed]
    if key in kb.scales:
        return [clingo.Number(value) for value in numeric_band_values(key, kb)]
    return None


def sections(key: str) -> list[str]:
    """The sections enclosing a key: "liver.varices.finding" -> ["liver", "liver.varices"]."""
    parts = key.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def key_scale(key: str, kb: KnowledgeBase) -> int:
    """The scale of a numeric key (1 when it has none)."""
    return kb.scales.get(key, 1)
