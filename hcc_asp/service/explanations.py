"""The explanation behind each card, served by the same service at ``/explain/{token}/...``.

A card's link must open in the clinician's browser, possibly in another worker process than the
one that built the card, and long after: so the patient data of each call is kept as a small JSON
file in the operator's folder (mode 0600), named by an unguessable token (an HMAC of the hook
instance and the data under the service's secret), and dropped after a time to live (only files
this store wrote, by their names, owner and mode, are ever deleted; a folder the operator gave
keeps its mode). The page is computed when the link is opened (``recommend``, ``explain``,
``compare`` over the same patient), so building the cards stays fast. The token is the only key:
whoever has the link can read that explanation until it expires, as with any deep link an EHR
shows. What each card said (guideline,
regimen, indicator, summary) is kept the same way under its uuid, so that the feedback log can
name the card a clinician accepted or overrode.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import re
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hcc_asp.knowledge import KnowledgeBase

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
#: The names of the files this store writes (a link token, or ``card-`` and a card uuid), the
#: only ones it ever deletes: ``--explanation-dir`` may be a folder that holds other files.
_OWN = re.compile(
    r"[A-Za-z0-9_-]{22}\.json|card-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.json"
)


#: The folder is swept for expired records at most this often per process.
PRUNE_EVERY_SECONDS = 60


class ExplanationStore:
    """Patient data of recent calls, by token, in one folder shared by the workers."""

    def __init__(self, folder: Path, ttl_seconds: int, secret: str) -> None:
        """Use ``folder`` (created, owner-only) and forget entries older than ``ttl_seconds``."""
        self.folder = folder
        self.ttl = ttl_seconds
        self._secret = secret.encode("utf-8")
        self._pruned = 0.0
        self._lock = threading.Lock()
        # A folder the operator gave keeps its mode; the files written here are 0600.
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700, parents=True)

    def token(self, hook_instance: str, record: dict[str, Any]) -> str:
        """The link token of a record: stable for the same call, unguessable without the key."""
        text = json.dumps([hook_instance, record], sort_keys=True, ensure_ascii=False)
        digest = hmac.new(self._secret, text.encode("utf-8"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:16]).decode("ascii").rstrip("=")

    def save(self, hook_instance: str, record: dict[str, Any]) -> str:
        """Keep the record (patient data, guidelines) and return its token."""
        token = self.token(hook_instance, record)
        self._write(f"{token}.json", record)
        self.prune()
        return token

    def remember_cards(self, cards: dict[str, dict[str, Any]]) -> None:
        """Keep what each card said (by card uuid), for the feedback log to name it."""
        for card_uuid, said in cards.items():
            if _UUID.match(card_uuid):
                self._write(f"card-{card_uuid}.json", said)

    def card(self, card_uuid: str) -> dict[str, Any] | None:
        """What a card said, when it is still kept (None for an unknown or expired uuid)."""
        if not _UUID.match(card_uuid):
            return None
        return self._read(self.folder / f"card-{card_uuid}.json")

    def _write(self, name: str, record: dict[str, Any]) -> None:
        """Write atomically (a repeated call rewrites the same bytes, renewing the time to live)."""
        path = self.folder / name
        partial = self.folder / f".{name}.{uuid.uuid4().hex}.tmp"  # one per writer thread
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle, ensure_ascii=False)
        os.replace(partial, path)

    def _read(self, path: Path) -> dict[str, Any] | None:
        try:
            if time.time() - path.stat().st_mtime > self.ttl:
                return None
            record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return record

    def load(self, token: str) -> dict[str, Any] | None:
        """The record of a token, or None when it is unknown, malformed or expired."""
        if not _TOKEN.match(token):
            return None
        return self._read(self.folder / f"{token}.json")

    def prune(self) -> None:
        """Delete the records whose time to live has passed (at most once a minute)."""
        now = time.time()
        with self._lock:
            if now - self._pruned < PRUNE_EVERY_SECONDS:
                return
            self._pruned = now
        limit = now - self.ttl
        for entry in os.scandir(self.folder):
            if not _OWN.fullmatch(entry.name) or not entry.is_file(follow_symlinks=False):
                continue  # only what this store writes: the operator's own files stay
            try:
                info = entry.stat(follow_symlinks=False)
                mine = info.st_uid == os.getuid() and (info.st_mode & 0o777) == 0o600
                if mine and info.st_mtime < limit:
                    os.unlink(entry.path)
            except OSError:
                continue


def page(
    kind: str, document: dict[str, Any], kb: KnowledgeBase | None = None, **extra: Any
) -> tuple[str, str]:
    """Render an answer document for the browser: ``(media type, body)``.

    The HTML report page (``hcc_asp.render.html``, ``{kind}_page``; ``extra`` goes to it, e.g. the
    regimens' explanations), as ``--format html`` prints it; the JSON document itself when the
    report libraries (jinja2, the ``report`` extra) are not installed.
    """
    try:
        from hcc_asp.render import html
    except ImportError:
        from hcc_asp.render import to_json

        return "application/json", to_json(document)
    from hcc_asp.render.context import context

    render = getattr(html, f"{kind}_page")
    return "text/html; charset=utf-8", str(render(document, context(kb), **extra))
