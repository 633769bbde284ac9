r"""Escape control characters before text reaches a terminal.

A patient id (or any string of an untrusted file) may hold NUL, C1 controls, bidirectional
overrides or ``\r\nerror: fake``, which printed raw would forge lines or reorder what the
clinician reads. JSON escapes them itself; plain text and error lines go through
:func:`escape_controls`, which writes each one as a visible Python-style escape (``\x00``).
"""

from __future__ import annotations

import re
from typing import Any

# C0 and C1 controls, DEL, the Unicode line and paragraph separators, and the bidirectional
# embedding/override/isolate controls.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """Return ``text`` with every control character written as a visible escape."""
    return _CONTROL.sub(_escape, text)


def escaped(document: Any) -> Any:
    """Return a copy of a document (dicts, lists, strings) with every string's controls escaped."""
    if isinstance(document, str):
        return escape_controls(document)
    if isinstance(document, dict):
        return {escaped(key): escaped(value) for key, value in document.items()}
    if isinstance(document, list | tuple):
        return [escaped(item) for item in document]
    return document
