"""Per-patient audit output: flat rows (CSV, Parquet) and JSON Lines, written as results arrive.

One flat row per record and guideline (an error row per rejected record), so a spreadsheet or a
data frame reads the audit directly. Parquet needs the ``[cohort]`` extra (pyarrow), imported only
when a ``.parquet`` file is asked for.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

__all__ = ["COLUMNS", "ResultsWriter", "csv_header", "csv_lines", "flat_rows"]

#: Columns of the flat per-patient table (CSV and Parquet), in order.
COLUMNS = (
    "record",
    "patient",
    "given",
    "line",
    "guideline",
    "concordance",
    "given_status",
    "recommendation",
    "why_not",
    "missing",
    "actions",
    "offered",
    "errors",
)
_LIST_COLUMNS = ("why_not", "missing", "actions", "offered", "errors")


def flat_rows(result: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The flat rows of one result: one per guideline, or one error row."""
    if "errors" in result:
        yield {
            **dict.fromkeys(COLUMNS),
            "record": result["record"],
            "patient": result["patient"],
            **{c: [] for c in _LIST_COLUMNS},
            "errors": list(result["errors"]),
        }
        return
    for item in result["guidelines"]:
        yield {
            "record": result["record"],
            "patient": result["patient"],
            "given": result["given"],
            "line": result["line"],
            "guideline": item["guideline"],
            "concordance": item["concordance"],
            "given_status": item["given_status"],
            "recommendation": item["recommendation"],
            "why_not": [r["code"] for r in item["why_not"]],
            "missing": list(item["missing"]),
            "actions": [a["code"] for a in item["actions"]],
            "offered": list(item["offered"]),
            "errors": [],
        }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def csv_header() -> str:
    """The header line of the flat CSV."""
    return csv_lines_of([list(COLUMNS)])


def csv_lines(result: dict[str, Any]) -> str:
    """The CSV lines (``;`` between list items) of one result."""
    return csv_lines_of([[_cell(row[c]) for c in COLUMNS] for row in flat_rows(result)])


def csv_lines_of(rows: list[list[str]]) -> str:
    """Rows as CSV text, one line each (newline line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue()


class ResultsWriter:
    """Write per-patient results to ``.jsonl`` (one result a line) or ``.parquet`` (flat rows)."""

    BATCH = 5000

    def __init__(self, path: Path) -> None:
        """Open ``path``; its suffix chooses the format."""
        self.path = path
        self.parquet = path.suffix.lower() == ".parquet"
        self._rows: list[dict[str, Any]] = []
        self._text: TextIO | None = None
        self._writer: Any = None
        if self.parquet:
            import pyarrow as pa  # type: ignore[import-untyped]
            import pyarrow.parquet as pq  # type: ignore[import-untyped]

            text, strings = pa.string(), pa.list_(pa.string())
            self._schema = pa.schema(
                [
                    (c, strings if c in _LIST_COLUMNS else pa.int64() if c == "line" else text)
                    for c in COLUMNS
                ]
            )
            self._table = pa.Table
            self._writer = pq.ParquetWriter(str(path), self._schema)
        else:
            self._text = path.open("w", encoding="utf-8")

    def write(self, result: dict[str, Any]) -> None:
        """Write one result (Parquet rows are flushed in batches)."""
        if self._text is not None:
            self._text.write(json.dumps(result, ensure_ascii=False, sort_keys=False) + "\n")
            return
        self._rows.extend(flat_rows(result))
        if len(self._rows) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self._writer.write_table(self._table.from_pylist(self._rows, schema=self._schema))
            self._rows = []

    def close(self) -> None:
        """Flush and close the file."""
        if self._text is not None:
            self._text.close()
        else:
            self._flush()
            self._writer.close()

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
