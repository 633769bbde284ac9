"""Render a document as JSON: the contract of spec/cli.md, byte-identical for the same input."""

from __future__ import annotations

import json
from typing import Any


def to_json(document: dict[str, Any]) -> str:
    """Return the document as indented JSON with a final newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
