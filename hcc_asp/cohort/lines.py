"""Bounded reading of a cohort's text files: lines, none longer than a patient file.

CSV files are read by :mod:`.csvfile`, record by record. A line is read at most
:data:`hcc_asp.patient.MAX_BYTES` at a time, so one huge line cannot exhaust memory; undecodable
bytes become U+FFFD, so the record fails validation with its own line rather than stopping the
run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from hcc_asp.patient import MAX_BYTES


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
