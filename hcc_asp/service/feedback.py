"""The CDS Hooks feedback log: what clinicians did with the cards, for the concordance audit.

Each feedback entry becomes one JSON line appended to the operator's file (never rewritten):
when it was received, the service id, and the entry as the EHR sent it. An exclusive lock
around each append keeps lines whole when several workers write at once.
"""

from __future__ import annotations

import fcntl
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


def append(path: Path, service: str, entries: list[dict[str, Any]]) -> int:
    """Append one line per entry to ``path``; return the number of lines written."""
    received = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    text = "".join(
        json.dumps({"received": received, "service": service, **entry}, ensure_ascii=False) + "\n"
        for entry in entries
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            handle.write(text)
            handle.flush()
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    return len(entries)
