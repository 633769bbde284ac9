"""The CDS Hooks feedback log: what clinicians did with the cards, for the concordance audit.

Each feedback entry becomes one JSON line appended to the operator's file (never rewritten):
when it was received, the service id, and the entry as the EHR sent it. An exclusive lock
around each append keeps lines whole when several workers write at once.
"""

from __future__ import annotations

import fcntl
import json
import os
import stat
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


class FeedbackLogError(Exception):
    """The feedback log cannot be written (the service refuses to start)."""


def check_writable(path: Path) -> None:
    """Open the log for appending once, at start-up: refuse one that cannot be written.

    A log that cannot be written stops the service with one line instead of failing every
    feedback call; only a regular file (or a new one) is accepted (a FIFO would block a worker,
    a device would swallow the log).
    """
    if not path.exists() and not path.is_symlink():
        # Nothing is created at start: the log appears with the first feedback.
        if not path.parent.is_dir() or not os.access(path.parent, os.W_OK):
            raise FeedbackLogError(
                f"--feedback-file {path}: its folder {path.parent} is not a writable folder"
            )
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK)
    except OSError as error:
        raise FeedbackLogError(
            f"--feedback-file {path}: cannot be written ({error.strerror or error})"
        ) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FeedbackLogError(f"--feedback-file {path}: not a regular file")
    finally:
        os.close(fd)


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
