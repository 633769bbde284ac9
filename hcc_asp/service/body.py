"""A request body as the service reads it: JSON, bounded in nesting, or an error answer.

:class:`ServiceError` is the error answer every part of the service raises (HTTP status, the
OperationOutcome issue code, one line per problem); :func:`parse_json` refuses what is not UTF-8,
not JSON, nested too deep or not an object. The CDS Hooks app and the clinician's page share both.
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
    """Parse a request body as JSON, refusing malformed text and nesting deeper than allowed."""
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
    except (RecursionError, ValueError) as error:
        raise ServiceError(400, [f"body: malformed JSON ({error})"]) from None
    if _depth(data) > max_depth:
        raise ServiceError(400, [f"body: JSON nested deeper than {max_depth} levels"])
    if not isinstance(data, dict):
        raise ServiceError(400, ["body: not a JSON object"])
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest
