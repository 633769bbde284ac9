"""A problem with the patient input: the error every reader raises, and how a problem is worded.

:class:`PatientError` carries one line per problem, each naming the key path
(:func:`format_path`, e.g. ``prior_therapies[0].regimen``) and the bad value as the file would
write it (:func:`show`), in document order. Shared by the readers (YAML, strict JSON, FHIR) and
the validation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from pydantic_core import PydanticCustomError


class PatientError(Exception):
    """A patient file that cannot be used: one line per problem, in document order.

    ``problems`` holds the lines (each names the key path and the bad value); ``source`` is the
    path or ``-`` when :func:`load_patient` knows it.
    """

    def __init__(self, problems: Sequence[str] | str, source: str | None = None) -> None:
        self.problems: list[str] = [problems] if isinstance(problems, str) else list(problems)
        self.source = source
        super().__init__("\n".join(self.problems))


PROBLEM = "hcc_problem"  # pydantic error type of problems this module words itself


def problem(text: str) -> PydanticCustomError:
    """Return a pydantic error whose message is this module's own wording."""
    return PydanticCustomError(PROBLEM, "{problem}", {"problem": text})


Loc = tuple[str | int, ...]


class Problem(NamedTuple):
    """One problem found: where it is (its key path) and its full line."""

    loc: Loc
    text: str  # the full line, key path included


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_+\-]{1,60}")


def format_path(loc: Loc) -> str:
    """Dotted key path with list indices, e.g. ``prior_therapies[0].regimen``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = part if isinstance(part, str) and _PLAIN_KEY.fullmatch(part) else clip(part)
            text += f".{name}" if text else name
    return text or "(top level)"


def clip(value: Any, limit: int = 60) -> str:
    """The ``repr`` of a value, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def number(value: float) -> str:
    """Show a number briefly: 34.2 not 34.199999999999996, 5 not 5.0."""
    rounded = round(value, 2)
    return str(int(rounded)) if float(rounded).is_integer() else f"{rounded:g}"


def show(value: Any) -> str:
    """Show an offending value on one line, as the file would write it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if value.bit_length() < 200 else "a huge number"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return clip(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return clip(value)
