"""Turn a validated patient into clingo facts, through the Symbol API only.

No program text is ever built from patient data: every value becomes a ``clingo.Symbol``
(``String`` for the id and key paths, ``Number`` for scaled numbers, ``Function`` for enumerated
values) and reaches the solver through the backend. A hostile id stays one string.
The fact vocabulary is documented in ``kb/input.lp``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import clingo
from clingo import Function, Number, String, Symbol

from hcc_asp.patient.section import Section

if TYPE_CHECKING:
    from hcc_asp.knowledge import KnowledgeBase


def scaled(value: float | int, scale: int) -> int:
    """Scale a decimal value to an integer, rounding half up (2.405 at scale 100 -> 241)."""
    return int((Decimal(str(value)) * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def value_symbol(key: str, value: Any, kb: KnowledgeBase) -> Symbol:
    """Return the Symbol for one leaf value of ``key`` (see ``kb/input.lp``)."""
    if isinstance(value, bool):
        return Function("true" if value else "false")
    if isinstance(value, int | float):
        table = kb.scales
        if key not in table:
            raise KeyError(f"no scale declared in kb/input.lp for numeric key {key}")
        return Number(scaled(value, table[key]))
    text = str(value)
    if key == "tumour.bclc_stage" and text == "0":
        return Number(0)
    return Function(text.lower())


def _leaves(model: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Yield (key path, value) for every given leaf, and (path, None) for every written section.

    A section the file left out is not yielded: the model fills it in empty, but an absent
    section means unknown, not "none of these".
    """
    for name, field in type(model).model_fields.items():
        # ``given`` (the regimen actually started) is the audit's, never a fact for the KB.
        if name in ("id", "version", "prior_therapies", "given"):
            continue
        value = getattr(model, name)
        path = f"{prefix}{field.alias or name}"
        if isinstance(value, Section):
            if name in model.model_fields_set:
                yield path, None
            yield from _leaves(value, path + ".")
        elif value is not None:
            yield path, value


def unscaled(key: str, number: int, kb: KnowledgeBase) -> float | int:
    """Invert ``scaled``: the key's value in its own unit (for witnesses and explanations)."""
    factor = kb.scales.get(key, 1)
    if factor == 1:
        return number
    result = Decimal(number) / factor
    return int(result) if result == result.to_integral_value() else float(result)


def plain_value(key: str, symbol: Symbol, kb: KnowledgeBase) -> Any:
    """Invert ``value_symbol``: the value as the patient file writes it (witnesses, what-ifs)."""
    if symbol.type == clingo.SymbolType.Number:
        return "0" if key == "tumour.bclc_stage" else unscaled(key, symbol.number, kb)
    if symbol.name in ("true", "false"):
        return symbol.name == "true"
    if key.endswith(("child_pugh.class", "bclc_stage")):
        return symbol.name.upper()
    return symbol.name


def patient_data(patient: Any) -> dict[str, Any]:
    """Return the patient as plain data with the file's own key names; None (unknown) left out."""
    return patient.model_dump(by_alias=True, exclude_none=True, mode="python")


def patient_facts(patient: Any, kb: KnowledgeBase, tag: Sequence[Symbol] = ()) -> list[Symbol]:
    """Return the facts of one patient (``patient/1``, ``given/1``, ``value/2``, ``prior/3``).

    ``tag`` goes in front of every fact's arguments: the batch engine's patient argument
    (``hcc_asp.engine.batch``), so that its facts are built once.
    """
    head = list(tag)

    def fact(name: str, arguments: list[Symbol]) -> Symbol:
        return Function(name, [*head, *arguments])

    facts: list[Symbol] = [fact("patient", [String(patient.id)])]
    prior = patient_data(patient).get("prior_therapies")
    for path, value in _leaves(patient):
        facts.append(fact("given", [String(path)]))
        if value is None:
            continue
        if isinstance(value, list | tuple):
            value = [getattr(item, "value", item) for item in value]
            facts.extend(
                fact("value", [String(path), value_symbol(path, item, kb)]) for item in value
            )
        else:
            facts.append(fact("value", [String(path), value_symbol(path, value, kb)]))
    if prior is not None:
        facts.append(fact("given", [String("prior_therapies")]))
        for line, item in enumerate(prior, start=1):
            # Every listed line counts, even when its regimen is not recorded.
            facts.append(fact("prior_line", [Number(line)]))
            for field, value in item.items():
                if value is None:
                    continue
                facts.append(
                    fact(
                        "prior",
                        [Number(line), Function(field), value_symbol(f"prior.{field}", value, kb)],
                    )
                )
    return facts
