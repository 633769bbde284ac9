"""Read a FHIR file larger than a patient file one resource at a time, in bounded memory.

A chart of years (a Synthea export of one patient is tens of MB, mostly Encounters, Claims and
notes the mapping never reads) is not loaded whole: NDJSON is read line by line, and a JSON
Bundle entry by entry with ``ijson`` (the ``fhir`` extra). Each resource goes to the reader's
collector, which drops it at once unless the mapping uses it (``read.py``), so that memory
follows the resources kept, not the file. Lines longer than ``MAX_BYTES`` are skipped with a
note without being held.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from hcc_asp.patient.bounds import MAX_BYTES, bounded_lines


class Collector(Protocol):
    """What the reader (``read.py``) gives this module: it keeps what the mapping uses.

    Passed in, not imported, so that the reader and this module form no import circle.
    """

    problems: list[str]

    @property
    def notes(self) -> list[str]:
        """Notes of the read."""

    @property
    def left_out(self) -> list[str]:
        """What the read left out, one line each."""

    def unpack(self, document: Any, label: str) -> None:
        """Keep the used resources of one JSON document."""

    def entry(self, entry: Any, index: int) -> None:
        """Keep the resource of one Bundle entry."""

    def used(self, kind: str) -> bool:
        """Whether the mapping reads resources of this type."""

    def skip(self, kind: str) -> None:
        """Count a resource of a type the mapping does not read."""

    def known_bundle(self, kind: Any) -> bool:
        """Whether a Bundle type is read without a note."""

    def parse(self, text: str, label: str) -> Any:
        """Strict JSON of one line, or None with the problem recorded."""


#: Bytes read to tell NDJSON from one JSON document, or to find a long line's resourceType.
_HEAD = 64 * 1024
_RESOURCE_TYPE = re.compile(rb'"resourceType"\s*:\s*"([A-Za-z]{1,64})"')


def stream_file(path: Path, collector: Collector) -> None:
    """Give the collector each resource of a large file: each NDJSON line, or each Bundle entry.

    Any other single resource is parsed only when its type is one the mapping reads (it is then
    bounded like any kept resource).
    """
    where = str(path)
    with path.open("rb") as handle:
        first = handle.readline(MAX_BYTES + 1)
        second = handle.readline(_HEAD).strip()
    first = first.removeprefix(b"\xef\xbb\xbf").strip()
    if first.startswith(b"{") and second.startswith(b"{") and _parses(first):
        for label, document in _lines(path, where, collector):
            collector.unpack(document, label)
        return
    _bundle(path, where, collector)


def _kind(head: bytes) -> str | None:
    """The ``resourceType`` named at the start of a resource's JSON text, if it is there."""
    found = _RESOURCE_TYPE.search(head)
    return found.group(1).decode("ascii") if found else None


def _parses(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _lines(path: Path, where: str, collector: Collector) -> Iterator[tuple[str, Any]]:
    for number, raw, whole in bounded_lines(path):
        if not whole:
            kind = _kind(raw[:_HEAD])
            if kind is not None and not collector.used(kind):
                collector.skip(kind)  # a type the mapping does not read: no bound applies
            else:
                collector.left_out.append(
                    f"{where} line {number}: a {kind or 'resource'} longer than {MAX_BYTES} "
                    "bytes; not read"
                )
            continue
        text = raw.decode("utf-8", "replace").strip().removeprefix("\ufeff")
        if not text:
            continue
        document = collector.parse(text, f"{where} line {number}")
        if document is not None:
            yield f"{where} line {number}", document


def _bundle(path: Path, where: str, collector: Collector) -> None:
    import ijson

    top: dict[str, Any] = {}
    try:
        with path.open("rb") as handle:
            for prefix, event, value in ijson.parse(handle):
                if prefix in ("resourceType", "type") and event == "string":
                    top[prefix] = value
                if prefix == "entry" or len(top) == 2:
                    break
        kind = top.get("resourceType")
        if not isinstance(kind, str):
            collector.problems.append(f"{where}: not a FHIR resource (no resourceType)")
            return
        if kind != "Bundle":
            if not collector.used(kind):
                collector.skip(kind)
                return
            with path.open("rb") as handle:
                collector.unpack(next(ijson.items(handle, "", use_float=True)), where)
            return
        if not collector.known_bundle(top.get("type")):
            collector.notes.append(
                f"{where} Bundle type {top.get('type')!r}: its entries are read as a collection"
            )
        with path.open("rb") as handle:
            for index, entry in enumerate(ijson.items(handle, "entry.item", use_float=True)):
                collector.entry(entry, index)
    except ijson.JSONError as error:
        collector.problems.append(f"{where}: not JSON ({str(error).splitlines()[0][:120]})")
