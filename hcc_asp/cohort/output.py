"""Per-patient audit output: flat rows (CSV, Parquet) and JSON Lines, written as results arrive.

One flat row per record and guideline (an error row per rejected record), so a spreadsheet or a
data frame reads the audit directly. Parquet needs the ``[cohort]`` extra (pyarrow), imported only
when a ``.parquet`` file is asked for.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
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
    """Write per-patient results to ``.jsonl`` (one result a line) or ``.parquet`` (flat rows).

    The results go to a hidden temporary file beside ``path`` (``.NAME.XXXX.partial``) that is
    renamed to ``path`` only when the run is complete (:meth:`commit`): a run that is killed or
    fails never leaves a truncated file under the name asked for (after ``kill -9`` a ``.parquet``
    was 4 unreadable bytes, and a ``.jsonl`` looked like a finished run). :meth:`discard` removes
    the temporary file after a failure.
    """

    BATCH = 5000

    def __init__(self, path: Path) -> None:
        """Open the temporary file beside ``path``; the suffix of ``path`` chooses the format."""
        import tempfile

        self.path = path
        self.parquet = path.suffix.lower() == ".parquet"
        self._rows: list[dict[str, Any]] = []
        self._text: TextIO | None = None
        self._writer: Any = None
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
        self.partial = Path(name)
        if self.parquet:
            os.close(handle)
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
            self._writer = pq.ParquetWriter(str(self.partial), self._schema)
        else:
            self._text = os.fdopen(handle, "w", encoding="utf-8")

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

    def _close(self) -> None:
        if self._text is not None:
            text, self._text = self._text, None
            text.flush()
            os.fsync(text.fileno())
            text.close()
        elif self._writer is not None:
            self._flush()
            writer, self._writer = self._writer, None
            writer.close()

    def commit(self) -> None:
        """Finish the file and give it its name (with the usual mode, not the temporary 0600)."""
        self._close()
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.partial, 0o666 & ~umask)
        os.replace(self.partial, self.path)

    def discard(self) -> None:
        """Give up: close and remove the temporary file; ``path`` is left as it was."""
        with contextlib.suppress(Exception):
            self._close()
        with contextlib.suppress(OSError):
            self.partial.unlink()

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()
