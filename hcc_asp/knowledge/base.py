"""The knowledge-base value: one KB folder, opened once, holding everything read from it.

Like ``sqlite_utils.Database(path)``: the edge (the command line's ``--kb``, the Python API, the
service at start-up, the cohort runner) opens a :class:`KnowledgeBase` once, and every operation
below receives that value. It holds what used to be cached per path in a dozen modules: the
validated folder, the content fingerprint (the disk cache's key), the compiled program text, the
parsed program, the catalogue, the vocabulary and its aliases, the patient-space scales and
thresholds. Each is read on first use and kept on the value (``functools.cached_property``), from
the per-KB disk cache (``hcc_asp.knowledge.cache``) when it is there.

Opening the shipped KB is cheap (no validation: it travels with the package) and memoised once
per process (:func:`shipped`); opening another folder is one call, ``KnowledgeBase.open(path)``
(``hcc_asp.open_kb(path)``), which validates the folder (one clear line when it is unusable).

A value sent to another process (a worker of the cohort runner's pool) travels as its folder and
fingerprint; the receiving process keeps one value per fingerprint (:func:`shared`), so a worker
that gets many tasks reads the KB once. The content fingerprint, not the path, is the key.
"""

from __future__ import annotations

import atexit
import os
import weakref
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from hcc_asp.knowledge.folders import (
    ROOT_FILE,
    KnowledgeBaseError,
    queries_dir,
    shipped_folder,
    validated,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from clingo import Symbol

    from hcc_asp.knowledge.catalogue import Catalogue
    from hcc_asp.knowledge.compiled import Compiled
    from hcc_asp.knowledge.program import Program
    from hcc_asp.knowledge.vocabulary import Regimen

__all__ = ["KnowledgeBase", "KnowledgeBaseError", "or_shipped", "shared", "shipped"]

T = TypeVar("T")


class KnowledgeBase:
    """One knowledge base: its folder and everything the tools read from it, each read once.

    Make one with :meth:`open` (a folder, validated) or :func:`shipped` (the installed KB).
    Layers above the KB that derive their own KB-dependent values (the renderers' regimen names,
    the what-if search's key domains, the batch engine's rewritten program) keep them in
    :attr:`memo`, so that they live and die with the value instead of in a module-level cache.
    """

    def __init__(self, folder: Path, is_shipped: bool = False) -> None:
        """Wrap an already validated folder (use :meth:`open` or :func:`shipped`)."""
        self.folder = folder
        self.is_shipped = is_shipped
        #: the include-only root file (``hcc.lp``)
        self.root_file = folder / ROOT_FILE
        #: the folder of the query programs (patient space, what-if search), shared by every KB
        self.queries = queries_dir()
        #: KB-dependent values of the layers above, by a key each layer names
        self.memo: dict[Any, Any] = {}
        self._compiled: dict[bool, Compiled] = {}

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None) -> KnowledgeBase:
        """Open a KB folder (validated: one-line :class:`KnowledgeBaseError` when unusable).

        ``None`` gives the shipped KB (:func:`shipped`).
        """
        if path is None:
            return shipped()
        return cls(validated(os.fspath(path)))

    def __repr__(self) -> str:
        """``KnowledgeBase('<folder>')`` (``shipped`` for the installed KB)."""
        return (
            "KnowledgeBase(shipped)" if self.is_shipped else f"KnowledgeBase({str(self.folder)!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        """Travel to another process as folder and fingerprint (see the module docstring)."""
        return (_received, (str(self.folder), self.is_shipped, self.fingerprint))

    # -- the disk cache ----------------------------------------------------------------------

    @cached_property
    def fingerprint(self) -> str:
        """The content hash of the KB's files and of the code that reads them (the cache key)."""
        from hcc_asp.knowledge.cache import fingerprint

        return fingerprint(self.folder)

    def cached(
        self,
        name: str,
        build: Callable[[], T],
        encode: Callable[[T], Any],
        decode: Callable[[Any], T],
    ) -> T:
        """The disk cache's entry ``name`` of this KB, built and stored on a miss."""
        from hcc_asp.knowledge.cache import cached

        return cached(self.fingerprint, name, build, encode, decode)

    # -- the program ---------------------------------------------------------------------------

    def compiled(self, explained: bool = False) -> Compiled:
        """The KB's program text (``explained``: with shadows, rule infos and docs), cached on disk.

        What every one-patient question loads: ``add_text(ctl, kb.compiled().text([g]))``
        grounds exactly what ``add_to(ctl, kb.program.only(kb.program.statements, [g]))`` grounds.
        The batch engine and `check`, which rewrite the AST, use :attr:`program` instead.
        """
        found = self._compiled.get(explained)
        if found is None:
            from hcc_asp.knowledge.compiled import _decode, _encode

            def build() -> Compiled:
                from hcc_asp.knowledge.program import compile_program

                return compile_program(self.program, self.folder, explained)

            name = "program-explained" if explained else "program"
            found = self._compiled[explained] = self.cached(name, build, _encode, _decode)
        return found

    @cached_property
    def program(self) -> Program:
        """The parsed KB (AST statements, shadows, rule infos, docs): parsed once, on first use."""
        from hcc_asp.knowledge.program import parse

        self.holds_ast()
        return parse(self.folder)

    def holds_ast(self) -> None:
        """Note that this value keeps clingo AST nodes (its program, or a layer's in ``memo``).

        They are dropped before interpreter shutdown: clingo's AST nodes release themselves
        through the clingo library, which shutdown may have torn down first.
        """
        if not _HOLDING_AST:
            atexit.register(_drop_ast)
        _HOLDING_AST.add(self)

    @cached_property
    def model_atoms(self) -> list[Symbol]:
        """Every atom of the KB's model without a patient (solved on first use)."""
        from hcc_asp.knowledge.solving import solve

        atoms, _ = solve(self.root_file)
        return atoms

    # -- what the KB states --------------------------------------------------------------------

    @cached_property
    def catalogue(self) -> Catalogue:
        """Everything the KB states independently of any patient (guidelines, recs, words)."""
        from hcc_asp.knowledge import catalogue

        return self.cached(
            "catalogue",
            lambda: catalogue.build(self.model_atoms),
            catalogue.encode,
            catalogue.decode,
        )

    @cached_property
    def guideline_ids(self) -> list[str]:
        """The public ids of the encoded guidelines, newest first then by id."""
        from hcc_asp.knowledge.catalogue import guideline_ids

        return guideline_ids(self.catalogue)

    @cached_property
    def default_guideline(self) -> str:
        """The newest encoded ASCO edition (the contract's default); never a draft."""
        from hcc_asp.knowledge.catalogue import default_guideline

        return default_guideline(self.catalogue)

    @cached_property
    def regimens(self) -> tuple[Regimen, ...]:
        """Every regimen of the vocabulary (``kb/vocabulary.lp``), sorted by id."""
        from hcc_asp.knowledge import vocabulary

        return self.cached(
            "vocabulary",
            lambda: vocabulary.read(self.folder / "vocabulary.lp"),
            vocabulary.encode,
            vocabulary.decode,
        )

    @cached_property
    def regimen_names(self) -> dict[str, str]:
        """Each regimen id's name."""
        return {r.id: r.name for r in self.regimens}

    @cached_property
    def aliases(self) -> dict[str, str]:
        """Every accepted spelling of a regimen (``spelling`` of id, alias, name) -> its id."""
        from hcc_asp.knowledge.vocabulary import aliases_of

        return aliases_of(self.regimens)

    @cached_property
    def regimen_spellings(self) -> list[str]:
        """The ids and aliases a suggestion may name (``hcc-asp regimens`` lists them)."""
        from hcc_asp.knowledge.vocabulary import spellings_of

        return spellings_of(self.regimens)

    def resolve_regimen(self, text: str) -> str | None:
        """The regimen id for an id, alias or name (any case, dash or space), or None."""
        from hcc_asp.knowledge.vocabulary import spelling

        return self.aliases.get(spelling(text))

    @cached_property
    def scales(self) -> dict[str, int]:
        """The integer scale of every numeric key, as declared in ``kb/input.lp``."""
        from hcc_asp.knowledge.scales import decode_scales, read_scales

        return self.cached(
            "scales", lambda: read_scales(self.folder / "input.lp"), dict, decode_scales
        )

    @cached_property
    def thresholds(self) -> dict[str, tuple[int, ...]]:
        """The scaled thresholds the KB compares each numeric key against (the patient space).

        Kept in the disk cache: finding them needs the parsed AST, which a cold `explain` would
        otherwise build only for this.
        """
        from hcc_asp.knowledge.scales import decode_thresholds, find_thresholds

        return self.cached(
            "thresholds",
            lambda: find_thresholds(self.program),
            lambda found: found,
            decode_thresholds,
        )


_SHIPPED: KnowledgeBase | None = None
#: The values that keep clingo AST nodes (see ``KnowledgeBase.holds_ast``).
_HOLDING_AST: weakref.WeakSet[KnowledgeBase] = weakref.WeakSet()
#: The KB values this process shares with or received from others, by content fingerprint.
_SHARED: dict[str, KnowledgeBase] = {}


def shipped() -> KnowledgeBase:
    """The KB installed with the package: opened once per process, without validation."""
    global _SHIPPED
    if _SHIPPED is None:
        _SHIPPED = KnowledgeBase(shipped_folder(), is_shipped=True)
    return _SHIPPED


def or_shipped(kb: KnowledgeBase | None) -> KnowledgeBase:
    """The KB an API call works on: the one given, else the shipped KB.

    A folder path is refused with a one-line hint: a KB is opened once, with ``open_kb``.
    """
    if kb is None:
        return shipped()
    if not isinstance(kb, KnowledgeBase):
        raise TypeError(
            f"kb: expected a KnowledgeBase, got {type(kb).__name__}; "
            "open a folder once with hcc_asp.open_kb(path)"
        )
    return kb


def shared(kb: KnowledgeBase) -> KnowledgeBase:
    """The one value this process uses for ``kb``'s content: ``kb`` itself unless it has one.

    A pool worker's initializer calls it with the value it starts with, so that every task it
    receives afterwards (each unpickled on its own) finds that value and its filled caches.
    """
    if kb.is_shipped:  # one per process already (``shipped``)
        return kb
    return _SHARED.setdefault(kb.fingerprint, kb)


def _drop_ast() -> None:
    """At exit: forget every parsed program (and the layers' memos) while clingo is alive."""
    for kb in list(_HOLDING_AST):
        kb.__dict__.pop("program", None)
        kb.memo.clear()


def _received(folder: str, is_shipped: bool, fingerprint: str) -> KnowledgeBase:
    """The value a process receives for a KB sent by another (already validated there)."""
    if is_shipped:
        return shipped()
    found = _SHARED.get(fingerprint)
    if found is None:
        found = _SHARED[fingerprint] = KnowledgeBase(Path(folder))
    return found
