"""Bounded reading of a cohort's text files: lines and CSV rows, none longer than a patient file.

A line or a CSV cell is read at most :data:`hcc_asp.patient.MAX_BYTES` at a time, so one huge line
cannot exhaust memory; undecodable bytes become U+FFFD, so the record fails validation with its
own line rather than stopping the run.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from hcc_asp.cohort.records import CohortError
from hcc_asp.patient import MAX_BYTES

#: Most columns a cohort CSV may have (the schema has about 60 keys, plus numbered prior lines).
MAX_COLUMNS = 500


def lines_of(path: Path) -> Iterator[tuple[int, str | None]]:
    """Yield (line number, text) of a text file; text None for a line over the size bound.

    A line is read at most :data:`MAX_BYTES` at a time, so one huge line cannot exhaust memory;
    the rest of it is skipped. Undecodable bytes become U+FFFD (the record then fails validation
    with its own line rather than stopping the run).
    """
    with path.open("rb") as handle:
        number = 0
        while True:
            raw = handle.readline(MAX_BYTES + 1)
            if not raw:
                return
            number += 1
            if len(raw) > MAX_BYTES and not raw.endswith(b"\n"):
                while (rest := handle.readline(MAX_BYTES + 1)) and not rest.endswith(b"\n"):
                    pass
                yield number, None
                continue
            yield number, raw.decode("utf-8", errors="replace").removeprefix("\ufeff")


def text_stream(path: Path) -> io.TextIOWrapper:
    """Open a text file for csv: UTF-8 (a byte-order mark dropped), undecodable bytes replaced."""
    return open(path, encoding="utf-8-sig", errors="replace", newline="")


def csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str] | None, list[str]]]:
    """Yield (line, row, problems) of a CSV file; the header is checked once."""
    csv.field_size_limit(MAX_BYTES)
    with text_stream(path) as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
        except csv.Error as error:
            raise CohortError(f"{path}:1: CSV header cannot be read ({error})") from None
        if header is None:
            return
        if len(header) > MAX_COLUMNS:
            raise CohortError(f"{path}:1: more than {MAX_COLUMNS} columns")
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                yield reader.line_num, None, [f"CSV cannot be read ({error})"]
                continue
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                problem = f"{len(row)} cells where the header has {len(header)} columns"
                yield reader.line_num, None, [problem]
                continue
            yield reader.line_num, dict(zip(header, row, strict=True)), []
