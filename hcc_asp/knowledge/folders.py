"""Where the knowledge base and the query programs live, and the check that a KB folder is usable.

Only :class:`hcc_asp.knowledge.KnowledgeBase` calls these when it is opened; nothing below the
edge handles a KB folder.

The KB (``kb/``) and the query programs (``queries/``) are installed inside the package as
``hcc_asp.kb`` and ``hcc_asp.queries`` (see ``pyproject.toml``) and found with
``importlib.resources``, so the command works from any directory. ``--kb DIR`` replaces the KB
folder with another copy, so a guideline author can run the tools on an edited KB; that folder is
validated before clingo sees it (exists, readable, UTF-8, has the root file, parses), so a bad
folder is one clear line instead of a traceback or a clingo panic.

Run from a source checkout without an install (``python -m hcc_asp`` in the repository, or a
subprocess whose working directory is the repository, where the checkout's ``hcc_asp/`` shadows
the installed package), ``hcc_asp.kb`` does not exist as a module: the folders are then the
checkout's own ``kb/`` and ``queries/`` beside ``hcc_asp/``, which is what an install would carry.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

#: The include-only root file of the KB: it lists the layers in order.
ROOT_FILE = "hcc.lp"
#: Files the Python side reads directly, besides the root file.
DIRECT_FILES = ("vocabulary.lp", "input.lp")


class KnowledgeBaseError(Exception):
    """The KB could not be loaded or grounded (a bad ``--kb`` folder or an edit that breaks it)."""


def load_failure(messages: list[str], error: Exception) -> str:
    """The one line of a KB that does not load: clingo's errors first, then its warnings.

    An unsafe variable's error (with its notes) is said first, not after twenty info lines about
    atoms that occur in no rule; the info lines are dropped when there is an error to say.
    """
    import re

    # One clingo message may hold several located lines: cut at each "file:line:col: kind:".
    located = re.compile(r"\n(?=\S+?:\d+:\d+(?:-\d+)?(?::\d+)?: (?:error|warning|info|note):)")
    entries = [part for message in messages for part in located.split(message)]
    groups: list[list[str]] = []
    for entry in entries:
        text = " ".join(entry.split())
        if not text:
            continue
        if ": note:" in text and groups:
            groups[-1].append(text)  # a note belongs to the message before it
        else:
            groups.append([text])

    def rank(group: list[str]) -> int:
        head = group[0]
        return 0 if ": error:" in head else 1 if ": warning:" in head else 2

    ordered = sorted(groups, key=rank)  # stable: clingo's order within a kind
    if ordered and rank(ordered[0]) == 0:
        ordered = [group for group in ordered if rank(group) < 2]
    detail = "; ".join(" ".join(group) for group in ordered)
    return f"the knowledge base could not be loaded: {detail or str(error)}"


def shipped_folder() -> Path:
    """Return the folder of the KB installed with the package (trusted: it is not validated)."""
    return _data_folder("hcc_asp.kb", "kb")


def queries_dir() -> Path:
    """Return the folder of the query programs (patient space, what-if search)."""
    return _data_folder("hcc_asp.queries", "queries")


@lru_cache(maxsize=4)
def _data_folder(package: str, checkout_folder: str) -> Path:
    """Return an installed data package's folder, or the source checkout's folder of that name.

    The package's spec names its folder without importing ``importlib.resources`` (and the
    ``tempfile``/``zipfile`` machinery it pulls in), which a cold command would pay for nothing:
    the data packages are plain folders.
    """
    spec = find_spec(package)
    locations = spec.submodule_search_locations if spec is not None else None
    if locations:
        return Path(next(iter(locations)))
    return Path(__file__).resolve().parents[2] / checkout_folder


def _one_line(text: str) -> str:
    return " ".join(text.split())


def validated(given: str) -> Path:
    """Check a ``--kb`` folder (once, when the KB value is opened); return its resolved path.

    Raises :class:`KnowledgeBaseError` with one line when it is not a usable KB folder.
    """
    where = f"--kb {given}"
    if not given:
        raise KnowledgeBaseError("--kb: empty path; give the knowledge-base folder")
    try:
        folder = Path(given).resolve(strict=True)
    except FileNotFoundError:
        raise KnowledgeBaseError(f"{where}: no such folder") from None
    except (RuntimeError, OSError) as error:  # a symlink loop: RuntimeError (3.11), OSError later
        reason = getattr(error, "strerror", None) or str(error)
        raise KnowledgeBaseError(f"{where}: cannot be resolved ({_one_line(reason)})") from None
    if not folder.is_dir():
        raise KnowledgeBaseError(f"{where}: not a folder")
    if not os.access(folder, os.R_OK | os.X_OK):
        raise KnowledgeBaseError(f"{where}: permission denied")
    for name in (ROOT_FILE, *DIRECT_FILES):
        if not (folder / name).is_file():
            what = "the include-only root file" if name == ROOT_FILE else "read by hcc-asp itself"
            raise KnowledgeBaseError(f"{where}: no {name} ({what}); is this a knowledge base?")
    for path in sorted(folder.rglob("*.lp")):
        _check_text(where, folder, path)
    _check_syntax(where, folder)
    return folder


def _check_text(where: str, folder: Path, path: Path) -> None:
    """Refuse an unreadable or non-UTF-8 program file (clingo would panic on its bytes)."""
    name = path.relative_to(folder).as_posix()
    try:
        raw = path.read_bytes()
    except OSError as error:
        reason = (error.strerror or str(error)).lower()
        raise KnowledgeBaseError(f"{where}: {name}: cannot read ({reason})") from None
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise KnowledgeBaseError(
            f"{where}: {name}: not UTF-8 text (byte 0x{raw[error.start]:02x} at offset "
            f"{error.start})"
        ) from None


def _check_syntax(where: str, folder: Path) -> None:
    """Parse the KB from its root file (includes followed); a syntax error is one line."""
    from clingo import ast

    messages: list[str] = []

    def logger(_code: object, message: str) -> None:
        messages.append(_one_line(message))

    try:
        ast.parse_files(
            [str(folder / ROOT_FILE)], lambda _statement: None, logger=logger, message_limit=20
        )
    except RuntimeError as error:
        detail = "; ".join(m for m in messages if "error" in m) or "; ".join(messages)
        raise KnowledgeBaseError(f"{where}: {detail or _one_line(str(error))}") from None
