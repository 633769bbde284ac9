"""A per-KB cache on disk: what the KB states without a patient, kept between processes.

A cold ``hcc-asp recommend`` would otherwise solve the whole KB for its catalogue and parse it to
an AST before answering one question. Both results depend only on the KB's files (and on the code
that reads them), so they are kept as JSON under a key made of the content hash of every ``*.lp``
file of the KB folder, the sources of the modules that build the entries, and the clingo and
Python versions. An edited KB, another ``--kb`` copy or a new release gets a new key.

Where: ``$HCC_ASP_CACHE_DIR`` when set, else the platform's user cache folder (``platformdirs``:
``$XDG_CACHE_HOME/hcc-asp`` or ``~/.cache/hcc-asp`` on Linux). ``HCC_ASP_NO_CACHE=1`` turns the
disk cache off (every process then parses and solves again). Writes go to a temporary file in the
same folder and are renamed into place (atomic), so concurrent writers never leave a half-written
entry; an entry that cannot be read or decoded (truncated, corrupted, foreign) is ignored and
rebuilt. JSON, not pickle: a cache folder is not trusted to run code. Failing to write (read-only
home, full disk) is not an error.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from hcc_asp.knowledge.folders import queries_dir

try:  # hashlib's own BLAKE2, without the OpenSSL library ``import hashlib`` loads (about 3 ms)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter built without it
    from hashlib import blake2b

#: Bump when the layout of an entry changes in a way the source hash would not show.
FORMAT = 1
#: The modules whose code decides what an entry holds (their source is part of the key).
_BUILDERS = (
    "knowledge/base.py",
    "knowledge/cache.py",
    "knowledge/catalogue.py",
    "knowledge/compiled.py",
    "knowledge/program.py",
    "knowledge/relevance.py",
    "knowledge/scales.py",
    "knowledge/solving.py",
    "knowledge/vocabulary.py",
)

T = TypeVar("T")


def cache_dir() -> Path | None:
    """The cache folder, or None when the disk cache is turned off (``HCC_ASP_NO_CACHE``)."""
    if os.environ.get("HCC_ASP_NO_CACHE", "") not in ("", "0"):
        return None
    override = os.environ.get("HCC_ASP_CACHE_DIR")
    if override:
        return Path(override)
    common = _linux_cache_home()
    if common is not None:
        return Path(common, "hcc-asp")
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("hcc-asp", appauthor=False))


def _linux_cache_home() -> str | None:
    """The user cache folder in the plain Linux case, without importing ``platformdirs``.

    ``platformdirs`` costs a cold command about 4 ms to import (it loads ``tempfile``, ``shutil``,
    ``random`` and the compressors). On Linux, when ``XDG_CACHE_HOME`` is an absolute path, or is
    unset and ``HOME`` is an absolute path, its answer is that folder (or ``$HOME/.cache``), as the
    XDG Base Directory specification says; every other case (another system, a relative or
    missing value) is left to ``platformdirs``. ``tests/test_cache.py`` holds the two equal.
    """
    if sys.platform != "linux":
        return None
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):
        return xdg
    home = os.environ.get("HOME", "")
    if not xdg and os.path.isabs(home):
        return os.path.join(home, ".cache")
    return None


def fingerprint(root: Path) -> str:
    """The content hash of the KB folder's ``*.lp`` files plus the code and versions that read them.

    Computed once per KB value (``KnowledgeBase.fingerprint``; reading and hashing ~200 KB takes
    about a millisecond).
    """
    import clingo

    digest = blake2b(digest_size=16)
    digest.update(f"{FORMAT}|{clingo.__version__}|{sys.version}".encode())
    here = Path(__file__).parent.parent  # the package folder: _BUILDERS are relative to it
    for name in _BUILDERS:
        digest.update(name.encode() + b"\0" + (here / name).read_bytes() + b"\0")
    files = _lp_files(str(root)) + _lp_files(str(queries_dir()), "queries/")  # whatif.lp too
    for relative, path in files:
        with open(path, "rb") as source:
            digest.update(relative.encode() + b"\0" + source.read() + b"\0")
    return digest.hexdigest()


def _lp_files(folder: str, prefix: str = "") -> list[tuple[str, str]]:
    """Every ``*.lp`` file in ``folder`` and its subfolders, sorted: (relative path, full path).

    The relative path is in POSIX form, behind ``prefix``. ``os.scandir`` rather than
    ``Path.rglob``, which costs a cold command half a millisecond more.
    """
    found: list[tuple[str, str]] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir():
                found.extend(_lp_files(entry.path, f"{prefix}{entry.name}/"))
            elif entry.name.endswith(".lp"):
                found.append((prefix + entry.name, entry.path))
    return sorted(found)


def _entry(key: str, name: str) -> Path | None:
    folder = cache_dir()
    return None if folder is None else folder / key / f"{name}.json"


def read(key: str, name: str) -> Any:
    """The entry's JSON value, or None when absent, unreadable or not valid JSON."""
    path = _entry(key, name)
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
        document = json.loads(text)
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return None
    return document.get("value")


def write(key: str, name: str, value: Any) -> None:
    """Store the entry atomically (temporary file + rename); any failure is silently skipped."""
    path = _entry(key, name)
    if path is None:
        return
    import tempfile  # only a cache miss writes (its imports cost a cold command about 2 ms)

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump({"format": FORMAT, "value": value}, out, separators=(",", ":"))
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        return


def cached(
    key: str,
    name: str,
    build: Callable[[], T],
    encode: Callable[[T], Any],
    decode: Callable[[Any], T],
) -> T:
    """The entry decoded when it is there and decodes; else built, stored, and returned.

    ``key`` is the KB's fingerprint (``KnowledgeBase.fingerprint``): entries are kept by content.
    A decode that fails on a damaged entry (a KeyError, TypeError or ValueError) rebuilds it.
    """
    stored = read(key, name)
    if stored is not None:
        try:
            return decode(stored)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, RuntimeError):
            pass
    value = build()
    write(key, name, encode(value))
    return value
