"""The patient-file reader: YAML or JSON text (``spec/patient.md``) to a :class:`Patient`.

A patient file is untrusted input, read in three guarded steps, every problem reported as one line
naming the key path and the bad value:

1. :func:`read_source` reads at most 1 MiB of UTF-8 text from a regular file or standard input.
2. The text is parsed: JSON strictly as JSON (:mod:`hcc_asp.patient.strict_json`), YAML event by
   event with PyYAML's safe parser, turned into plain data here (never by a YAML constructor):
   anchors and aliases, tags, duplicate keys, complex keys, deep nesting and huge documents are
   refused. Plain scalars follow the YAML 1.2 core schema, so ``yes``/``no``/``on`` stay text,
   ``017`` is 17 and ``1:30`` is not a number.
3. The data are validated by the model (:mod:`hcc_asp.patient.model`).

The FHIR reader (:mod:`hcc_asp.patient.fhir`) is the other source; both return a Patient.
"""

from __future__ import annotations

import math
import os
import re
import stat
import sys
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from hcc_asp.patient.bounds import MAX_BYTES, MAX_DEPTH, MAX_NODES
from hcc_asp.patient.model import Patient
from hcc_asp.patient.problems import Loc, PatientError, Problem, format_path, show
from hcc_asp.patient.validation import validate

# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def is_directory(source: str) -> bool:
    """Whether ``source`` names a directory, without raising.

    A name the system refuses (a file name longer than 255 bytes, a NUL byte) is not one, and
    reading it then says why in one line.
    """
    try:
        return Path(source).is_dir()
    except (OSError, ValueError):
        return False


def read_source(source: str, stdin: typing.TextIO | None = None) -> tuple[str, str]:
    """Read a patient file's text safely: a path, or ``-`` for standard input.

    Returns ``(text, default_id)``, the default id being the file name without its extension
    (``stdin`` for ``-``). At most :data:`MAX_BYTES` are read, so a device or a huge file cannot
    exhaust memory; the text must be UTF-8 (a leading byte-order mark is dropped). Any failure is
    a :class:`PatientError` with the single line ``<source>: <problem>`` and ``source`` set.
    """
    try:
        return _read(source, stdin)
    except PatientError as error:
        error.source = source
        raise


def _read(source: str, stdin: typing.TextIO | None) -> tuple[str, str]:
    """Do the work of read_source."""
    if source == "-":
        stream = sys.stdin if stdin is None else stdin
        raw: bytes | None = None
        text: str | None = None
        try:
            buffer = getattr(stream, "buffer", None)
            if buffer is not None:
                raw = buffer.read(MAX_BYTES + 1)
            else:
                text = stream.read(MAX_BYTES + 1)
        except UnicodeDecodeError as error:
            raise PatientError(f"{source}: not UTF-8 text ({error.reason})") from None
        except OSError as error:
            raise PatientError(f"{source}: cannot read standard input ({error})") from None
        if text is not None:
            if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
                raise PatientError(f"{source}: {_too_large()}")
            return text.removeprefix("\ufeff"), "stdin"
        return _decode(source, raw or b""), "stdin"
    if not source:
        raise PatientError("empty path: give a patient file, or - for standard input")
    path = Path(source)
    try:
        raw = _read_regular_file(source)
    except FileNotFoundError:
        raise PatientError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise PatientError(f"{source}: is a directory, not a patient file") from None
    except PermissionError:
        raise PatientError(f"{source}: permission denied") from None
    except OSError as error:
        reason = (error.strerror or str(error)).lower()
        raise PatientError(f"{source}: cannot read ({reason})") from None
    return _decode(source, raw), path.stem or "patient"


def _read_regular_file(source: str) -> bytes:
    """Read at most MAX_BYTES + 1 bytes of a regular file; refuse FIFOs, devices and sockets.

    The file is opened non-blocking (so a FIFO without a writer cannot hang the open) and checked
    on the open descriptor (so it cannot be swapped between a check and the read).
    """
    descriptor = os.open(source, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(descriptor, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError
        if not stat.S_ISREG(mode):
            raise PatientError(
                f"{source}: not a regular file ({_file_kind(mode)}); give a file or -"
            )
        return handle.read(MAX_BYTES + 1)


def _file_kind(mode: int) -> str:
    """Name the kind of a non-regular file."""
    for test, name in (
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a plain file"


def _too_large() -> str:
    return f"too large (more than {MAX_BYTES // (1024 * 1024)} MiB); a patient file is a few kB"


def _decode(source: str, raw: bytes) -> str:
    """Decode bytes read from ``source`` as UTF-8, or raise the one-line problem."""
    if len(raw) > MAX_BYTES:
        raise PatientError(f"{source}: {_too_large()}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        byte = raw[error.start]
        raise PatientError(
            f"{source}: not UTF-8 text (byte 0x{byte:02x} at offset {error.start})"
        ) from None
    return text.removeprefix("\ufeff")


def load_patient(
    source: str,
    stdin: typing.TextIO | None = None,
    aliases: Mapping[str, str] | None = None,
) -> Patient:
    """Read and validate a patient file (a path, or ``-`` for stdin): read_source + parse_patient.

    A :class:`PatientError` raised here carries ``source``; its problem lines are those of
    :func:`read_source` (prefixed with the source) or of :func:`parse_patient` (key paths).
    """
    try:
        text, default_id = read_source(source, stdin)
        return parse_patient(text, default_id, aliases, syntax_of(source))
    except PatientError as error:
        raise named(error, source) from None


def named(error: PatientError, source: str) -> PatientError:
    """The same problems, each located one (``line 2, column 1: ...``) naming the file first.

    A YAML or JSON syntax error, like every problem found at a line of the text, then reads
    ``case-017.yaml: line 2, column 1: YAML syntax error: ...``: the file is named even when
    several files are read. Problems named by key path are left as they are.
    """
    name = "standard input" if source == "-" else source
    problems = [
        f"{name}: {problem}" if _LOCATED.match(problem) else problem for problem in error.problems
    ]
    return PatientError(problems, source)


#: A problem found at a place of the text (syntax, YAML safety), not at a key path.
_LOCATED = re.compile(r"line \d+, column \d+: ")


def parse_patient(
    text: str,
    default_id: str = "patient",
    aliases: Mapping[str, str] | None = None,
    syntax: str | None = None,
) -> Patient:
    """Parse and validate the text of a patient file (YAML or JSON) into a :class:`Patient`.

    ``default_id`` is used when the file gives no id. ``aliases`` maps every accepted regimen
    spelling in lower case to its id (default: the KB vocabulary). Every problem of the file is
    collected and raised together as one :class:`PatientError`, in document order: a clinical
    file is fixed in one round, not one error at a time. ``syntax`` is ``"json"`` or ``"yaml"``
    (from the file name, :func:`syntax_of`); None reads text starting with ``{`` as JSON (strict,
    :mod:`hcc_asp.patient.strict_json`) and anything else as YAML.
    """
    from hcc_asp.patient.strict_json import looks_like_json, parse_json

    if syntax == "json" or (syntax is None and looks_like_json(text)):
        data, raw, problems = parse_json(text)
    else:
        data, raw, problems = _parse_yaml(text)
    return validate(data, default_id, aliases, raw, problems)


def syntax_of(source: str) -> str | None:
    """The syntax a file name declares: ``json`` for ``.json``, ``yaml`` for ``.yaml``/``.yml``."""
    suffix = Path(source).suffix.lower() if source not in ("", "-") else ""
    return {".json": "json", ".yaml": "yaml", ".yml": "yaml"}.get(suffix)


# ---------------------------------------------------------------------------------------------
# YAML: events to plain data
# ---------------------------------------------------------------------------------------------

_PARSER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR_TAG = "tag:yaml.org,2002:str"

# Plain scalars resolve by the YAML 1.2 core schema (JSON-compatible): no yes/no booleans, no
# sexagesimal or octal numbers, no timestamps.
_NULL = re.compile(r"~|null|Null|NULL|")
_BOOL = re.compile(r"true|True|TRUE|false|False|FALSE")
_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)")


def _resolve_plain(text: str) -> Any:
    """Return the value of a plain (unquoted, untagged) scalar, by the YAML 1.2 core schema."""
    if _NULL.fullmatch(text):
        return None
    if _BOOL.fullmatch(text):
        return text.lower() == "true"
    if _INT.fullmatch(text):
        try:
            return int(text)
        except ValueError:  # more digits than Python converts; the range check will refuse it
            return float(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    if _INF.fullmatch(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.fullmatch(text):
        return math.nan
    return text


class _Frame:
    """An open mapping or list while the event stream is read."""

    __slots__ = ("key", "loc", "seen", "skip", "value")

    def __init__(self, value: dict[str, Any] | list[Any], loc: Loc) -> None:
        self.value = value
        self.loc = loc
        self.key: str | None = None  # mapping: the key whose value comes next
        self.seen: dict[str, int] = {}  # mapping: key -> line it was first given on
        self.skip = False  # mapping: the value that comes next belongs to a duplicate key


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def _show_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org") else tag


class _DocumentBuilder:
    """Build plain data from YAML parser events, refusing what a patient file must not hold.

    Fatal problems raise PatientError at the event that shows them, so an alias bomb stops at
    its first anchor, before anything is expanded, and a huge or deep document stops at the
    limit. Duplicate keys are collected (the first value is kept) so that the rest of the file
    is still checked.
    """

    def __init__(self) -> None:
        self.root: list[Any] = []
        self.stack = [_Frame(self.root, ())]
        self.raw: dict[Loc, str] = {}  # source text of every non-text scalar
        self.duplicates: list[Problem] = []
        self.nodes = 0
        self.documents = 0

    def feed(self, event: yaml.Event) -> None:
        """Take the next parser event."""
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise PatientError(
                    f"{_where(event.start_mark)}: more than one YAML document "
                    "(a file holds one patient)"
                )
        elif isinstance(event, yaml.AliasEvent):
            raise PatientError(
                f"{_where(event.start_mark)}: YAML anchors and aliases are not allowed "
                f"(found *{event.anchor})"
            )
        elif isinstance(event, yaml.CollectionEndEvent):
            self.stack.pop()
        elif isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent)):
            self._node(event)

    def _node(self, event: yaml.ScalarEvent | yaml.CollectionStartEvent) -> None:
        where = _where(event.start_mark)
        if event.anchor is not None:
            raise PatientError(
                f"{where}: YAML anchors and aliases are not allowed (found &{event.anchor})"
            )
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise PatientError(f"{where}: more than {MAX_NODES} YAML values in one file")
        top = self.stack[-1]
        is_key = isinstance(top.value, dict) and top.key is None
        if isinstance(event, yaml.CollectionStartEvent):
            if event.tag is not None:
                raise PatientError(
                    f"{where}: YAML tags are not allowed, got {_show_tag(event.tag)}"
                )
            if is_key:
                raise PatientError(f"{where}: a mapping key must be text, not a collection")
            if len(self.stack) > MAX_DEPTH:
                raise PatientError(f"{where}: nested deeper than {MAX_DEPTH} levels")
            container: dict[str, Any] | list[Any] = (
                {} if isinstance(event, yaml.MappingStartEvent) else []
            )
            self.stack.append(_Frame(container, self._attach(container)))
            return
        if event.tag is not None and event.tag not in (_STR_TAG, "!"):
            raise PatientError(f"{where}: YAML tags are not allowed, got {_show_tag(event.tag)}")
        if is_key:
            self._key(top, event.value, event.start_mark.line + 1 if event.start_mark else 0)
            return
        plain = event.tag is None and event.implicit[0]
        value = _resolve_plain(event.value) if plain else event.value
        loc = self._attach(value)
        if not isinstance(value, str):
            self.raw[loc] = event.value

    def _key(self, top: _Frame, key: str, line: int) -> None:
        """Open the next entry of a mapping; a duplicate key is a problem, its value dropped."""
        if key in top.seen:
            loc = (*top.loc, key)
            self.duplicates.append(
                Problem(
                    loc,
                    f"{format_path(loc)}: duplicate key (first on line {top.seen[key]}, "
                    f"again on line {line}); give each key once",
                )
            )
            top.skip = True
        else:
            top.seen[key] = line
        top.key = key

    def _attach(self, value: Any) -> Loc:
        """Put a value (or a just-opened container) into the open container; return its path."""
        top = self.stack[-1]
        if top.value is self.root:
            self.root.append(value)
            return ()
        if isinstance(top.value, list):
            top.value.append(value)
            return (*top.loc, len(top.value) - 1)
        key = typing.cast(str, top.key)
        top.key = None
        if top.skip:
            top.skip = False
        else:
            top.value[key] = value
        return (*top.loc, key)


def _parse_yaml(text: str) -> tuple[dict[str, Any], dict[Loc, str], list[Problem]]:
    """Turn YAML text into plain data (dict, list, str, int, float, bool, None).

    Returns the top-level mapping, the source text of every non-text scalar by key path (for
    messages) and the duplicate-key problems. Fatal problems raise PatientError.
    """
    builder = _DocumentBuilder()
    try:
        for event in yaml.parse(text, Loader=_PARSER):
            builder.feed(event)
    except yaml.YAMLError as error:
        raise PatientError(_yaml_error_line(error, text)) from None
    data = builder.root[0] if builder.root else None
    if data is None:
        raise PatientError("the file is empty: expected patient keys (id, ecog, labs, ...)")
    if not isinstance(data, dict):
        raise PatientError(
            f"the file must be a mapping of patient keys (key: value lines), got {show(data)}"
        )
    return data, builder.raw, builder.duplicates


def _yaml_error_line(error: yaml.YAMLError, text: str) -> str:
    """Word a PyYAML error as one line with its line and column."""
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        where = f"{_where(mark)}: " if mark is not None else ""
        problem = error.problem or error.context or "cannot parse"
        context = f" ({error.context})" if error.context and error.problem else ""
        return f"{where}YAML syntax error: {problem}{context}"
    if isinstance(error, yaml.reader.ReaderError):
        if _PARSER is yaml.SafeLoader:  # nocoverage - libyaml is installed
            before = text[: error.position]
        else:  # libyaml counts bytes
            before = text.encode("utf-8")[: error.position].decode("utf-8", "ignore")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        code = ord(error.character) if isinstance(error.character, str) else error.character
        shown = f"#x{code:04x}" if isinstance(code, int) else repr(code)
        return f"line {line}, column {column}: character {shown} is not allowed in YAML"
    first = (str(error).splitlines() or ["cannot parse"])[0]  # nocoverage - all errors are marked
    return f"YAML error: {first}"  # nocoverage
