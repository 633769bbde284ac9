"""Bounded reading of a cohort's text files: lines, none longer than a patient file.

CSV files are read by :mod:`.csvfile`, record by record. A line is read at most
:data:`hcc_asp.patient.MAX_BYTES` at a time, so one huge line cannot exhaust memory; undecodable
bytes become U+FFFD, so the record fails validation with its own line rather than stopping the
run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from hcc_asp.patient.bounds import bounded_lines


def lines_of(path: Path) -> Iterator[tuple[int, str | None]]:
    """Yield (line number, text) of a text file; text None for a line over the size bound.

    Lines come from :func:`hcc_asp.patient.bounds.bounded_lines`: one huge line cannot exhaust
    memory, and the rest of it is skipped. Undecodable bytes become U+FFFD (the record then
    fails validation with its own line rather than stopping the run).
    """
    for number, raw, whole in bounded_lines(path):
        yield (
            number,
            raw.decode("utf-8", errors="replace").removeprefix("\ufeff") if whole else None,
        )
