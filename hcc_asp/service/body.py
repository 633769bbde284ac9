"""A request body as the service reads it: JSON, bounded in nesting, or an error answer.

:class:`ServiceError` is the error answer every part of the service raises (HTTP status, the
OperationOutcome issue code, one line per problem); :func:`parse_json` refuses what is not UTF-8,
not JSON, nested too deep, not an object, or holding a lone surrogate. The CDS Hooks app and the
clinician's page share both.
"""

from __future__ import annotations

import json
from typing import Any


class ServiceError(Exception):
    """An error answer: HTTP status, OperationOutcome issue code, one line per problem."""

    def __init__(self, status: int, problems: list[str], code: str = "invalid") -> None:
        """Keep what the answer needs."""
        super().__init__("\n".join(problems))
        self.status = status
        self.problems = problems
        self.code = code


def parse_json(body: bytes, max_depth: int) -> Any:
    """Parse a request body as JSON, refusing malformed text and nesting deeper than allowed.

    A string holding a lone surrogate (an unpaired UTF-16 escape: valid JSON text, not a Unicode
    character) is refused here, where it comes in, naming where it is: it could not be written to
    an answer, a log or a file later.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ServiceError(400, [f"body: not UTF-8 (byte at offset {error.start})"]) from None
    if not text.strip():
        raise ServiceError(400, ["body: empty (a JSON object is required)"])
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise ServiceError(
            400, [f"body: malformed JSON ({error.msg} at line {error.lineno} column {error.colno})"]
        ) from None
    except RecursionError:
        raise ServiceError(400, [f"body: JSON nested deeper than {max_depth} levels"]) from None
    except ValueError as error:
        raise ServiceError(400, [f"body: malformed JSON ({error})"]) from None
    depth, dirty = shape_problem(data)
    if depth > max_depth:
        raise ServiceError(400, [f"body: JSON nested deeper than {max_depth} levels"])
    if dirty is not None:
        raise ServiceError(
            400, [f"{dirty}: a lone surrogate in a string (not a Unicode character)"]
        )
    if not isinstance(data, dict):
        raise ServiceError(400, ["body: not a JSON object"])
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _clean(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shape_problem(value: Any) -> tuple[int, str | None]:
    """Nesting depth of parsed JSON, and the path of a string with a lone surrogate (or None).

    Walks without recursion, so that any depth the parser accepted is measured.
    """
    deepest = 0
    dirty: str | None = None
    stack: list[tuple[Any, int, str]] = [(value, 1, "")]
    while stack:
        item, depth, path = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            for name, child in item.items():
                here = f"{path}.{name}" if path else str(name)
                if dirty is None and not _clean(name):
                    dirty = path or "(top level)"
                stack.append((child, depth + 1, here))
        elif isinstance(item, list):
            stack.extend((child, depth + 1, f"{path}[{i}]") for i, child in enumerate(item))
        elif isinstance(item, str) and dirty is None and not _clean(item):
            dirty = path or "(top level)"
    if dirty is not None and not _clean(dirty):
        dirty = dirty.encode("utf-8", "backslashreplace").decode("utf-8")
    return deepest, dirty
