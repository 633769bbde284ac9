"""A cohort CSV read record by record, with every physical line accounted for.

Python's ``csv`` reader, given a file, lets one unterminated quote swallow every line after it
into a single cell (100 rows became 3 records, rows 4-100 one rejected record). Here the file is
read as physical lines, and a record is the shortest run of lines that leaves no quoted cell open:
a quoted cell may hold line breaks, but a quote still open after :data:`MAX_RECORD_LINES` lines
(or at the end of the file) is an unterminated quote. Its first line is then a rejected record
saying so, and every line after it is read again as a record of its own, so nothing disappears.
Each record names its lines (``file:12``, or ``file:12-14`` for a record over several lines).

Also refused, one line each: a header that names a column twice (the last value would silently
win), a row whose cells do not match the header, a row with no value at all. A byte-order mark is
dropped wherever it starts a line (files joined together carry one per part); undecodable bytes
become U+FFFD, so the record fails validation with its own line rather than stopping the run.
Every line and every record is bounded (:data:`hcc_asp.patient.MAX_BYTES`).
"""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from hcc_asp.patient import MAX_BYTES

#: Most columns a cohort CSV may have (the schema has about 60 keys, plus numbered prior lines).
MAX_COLUMNS = 500
#: Most physical lines one record may span (quoted cells with line breaks); beyond, the quote is
#: taken as unterminated.
MAX_RECORD_LINES = 50


class HeaderError(Exception):
    """The header line cannot be used: the CSV as a whole is refused (one line, exit 2)."""


class CsvRecord(NamedTuple):
    """One record of the CSV: its physical lines, its cells by column (or None), its problems."""

    first: int
    last: int
    row: dict[str, str] | None
    problems: list[str]

    @property
    def lines(self) -> str:
        """``12`` or ``12-14``: the physical lines of the record, for its name."""
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"


class _Line(NamedTuple):
    number: int
    text: str | None  # None: longer than MAX_BYTES


def _physical_lines(path: Path) -> Iterator[_Line]:
    with path.open("rb") as handle:
        number = 0
        while raw := handle.readline(MAX_BYTES + 1):
            number += 1
            if len(raw) > MAX_BYTES and not raw.endswith(b"\n"):
                while (rest := handle.readline(MAX_BYTES + 1)) and not rest.endswith(b"\n"):
                    pass
                yield _Line(number, None)
                continue
            yield _Line(number, raw.decode("utf-8", errors="replace").removeprefix("\ufeff"))


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), strict=True))


def _groups(path: Path) -> Iterator[tuple[int, int, str | None, str | None]]:
    """Yield ``(first, last, text, problem)``: the lines of each record, or why they are not one."""
    source = _physical_lines(path)
    waiting: deque[_Line] = deque()

    def take() -> _Line | None:
        return waiting.popleft() if waiting else next(source, None)

    while (line := take()) is not None:
        if line.text is None:
            yield line.number, line.number, None, f"longer than {MAX_BYTES} bytes"
            continue
        group = [line]
        size = len(line.text)
        while _open_quote("".join(item.text or "" for item in group)):
            following = take() if len(group) < MAX_RECORD_LINES and size <= MAX_BYTES else None
            if following is None or following.text is None:
                if following is not None:
                    group.append(following)
                waiting.extendleft(reversed(group[1:]))
                yield (
                    line.number,
                    line.number,
                    None,
                    "an unterminated quote: the quoted cell opened on this line is not closed "
                    f"within {MAX_RECORD_LINES} lines; the lines after it are read on their own",
                )
                break
            group.append(following)
            size += len(following.text)
        else:
            yield line.number, group[-1].number, "".join(item.text or "" for item in group), None


def _open_quote(text: str) -> bool:
    """Whether a quoted cell is still open at the end of ``text`` (the record goes on)."""
    try:
        _cells(text)
    except csv.Error as error:
        return "unexpected end of data" in str(error)
    return False


def csv_records(path: Path) -> Iterator[CsvRecord]:
    """Yield every record of a cohort CSV after its header, in order (see the module docstring).

    Raises :class:`HeaderError` when the header cannot be used.
    """
    groups = _groups(path)
    header: list[str] | None = None
    for first, _last, text, problem in groups:
        if text is None or not text.strip():
            if problem is not None:
                raise HeaderError(f"{path}:{first}: the header line: {problem}")
            continue
        try:
            rows = _cells(text)
        except csv.Error as error:
            raise HeaderError(f"{path}:{first}: the header cannot be read ({error})") from None
        header = rows[0] if rows else []
        break
    if header is None:
        return
    if len(header) > MAX_COLUMNS:
        raise HeaderError(f"{path}:1: more than {MAX_COLUMNS} columns")
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        names = ", ".join(repr(name) for name in twice)
        raise HeaderError(f"{path}: the header names the column {names} more than once")
    for first, last, text, problem in groups:
        if text is None:
            yield CsvRecord(first, last, None, [problem or "cannot be read"])
            continue
        if not text.strip():
            continue  # a blank line holds no record
        try:
            rows = _cells(text)
        except csv.Error as error:
            yield CsvRecord(first, last, None, [f"CSV cannot be read ({error})"])
            continue
        row = rows[0] if len(rows) == 1 else None
        if row is None:
            yield CsvRecord(first, last, None, [f"{len(rows)} rows where one was expected"])
        elif not any(cell.strip() for cell in row):
            yield CsvRecord(first, last, None, ["an empty row (no value in any column)"])
        elif len(row) != len(header):
            problem = f"{len(row)} cells where the header has {len(header)} columns"
            yield CsvRecord(first, last, None, [problem])
        else:
            yield CsvRecord(first, last, dict(zip(header, row, strict=True)), [])
