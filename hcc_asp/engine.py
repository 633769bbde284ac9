"""Ground and solve the KB with clingo: the catalogue of KB metadata and one patient's answer.

The KB decides; this module only loads it, passes the patient in as Symbols, and collects the
atoms of the (unique) stable model. The one arithmetic primitive clingo lacks, ``@log10_micro``
(used by the ALBI rule in ``kb/derivations.lp``), is provided by ``Context``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import clingo
from clingo import Symbol

from hcc_asp.resources import ROOT_FILE, KnowledgeBaseError, kb_dir, load_failure


class Context:
    """Functions the KB may call with ``@name(...)``: plain arithmetic, no clinical rule."""

    def log10_micro(self, number: Symbol) -> Symbol:
        """Return round(log10(n) * 10^6) for a positive integer n (ALBI needs a logarithm).

        A valid bilirubin below the resolution of its scale (under 0.05 umol/L) arrives as 0,
        where the logarithm is undefined: it is read as the smallest value the scale holds (1).
        """
        return clingo.Number(round(math.log10(max(number.number, 1)) * 1_000_000))


def _logger_into(messages: list[str]) -> Callable[[clingo.MessageCode, str], None]:
    def logger(_code: clingo.MessageCode, message: str) -> None:
        messages.append(message.strip())

    return logger


def new_control(arguments: Sequence[str] = (), messages: list[str] | None = None) -> clingo.Control:
    """Return a clingo Control whose messages are collected instead of printed."""
    sink = messages if messages is not None else []
    return clingo.Control(list(arguments), logger=_logger_into(sink), message_limit=1000)


def add_facts(ctl: clingo.Control, facts: Iterable[Symbol]) -> None:
    """Add facts through the backend: values stay Symbols, never program text."""
    with ctl.backend() as backend:
        for fact in facts:
            backend.add_rule([backend.add_atom(fact)])


def ground_and_solve(
    kb: Path | None,
    facts: Iterable[Symbol] = (),
    programs: Sequence[Path] = (),
    arguments: Sequence[str] = (),
    statements: Sequence[Any] | None = None,
    shown: bool = False,
    text: str | None = None,
) -> tuple[list[Symbol], list[str]]:
    """Load the KB root file (and extra programs), add facts, ground, solve; return all atoms.

    ``statements`` (parsed AST, e.g. the KB with explanation shadows) or ``text`` (program text
    from ``hcc_asp.program.compiled``, the cached form) replaces the root file; ``shown`` returns
    only the shown atoms (``kb/show.lp``), which is all `recommend` reads.
    The KB is stratified, so there is exactly one stable model; no model means the KB is broken.
    """
    facts = list(facts)
    messages: list[str] = []
    ctl = new_control(arguments, messages)
    try:
        if text is not None:
            from hcc_asp.loader import add_text

            add_text(ctl, text)
        elif statements is None:
            ctl.load(str(kb_dir(kb) / ROOT_FILE))
        else:
            from hcc_asp.program import add_to

            add_to(ctl, statements)
        for program in programs:
            ctl.load(str(program))
        add_facts(ctl, facts)
        ctl.ground([("base", [])], context=Context())
    except RuntimeError as error:
        if text is not None:
            # The cached text has no file locations: load the KB's own files for the message.
            return ground_and_solve(kb, facts, programs, arguments, shown=shown)
        raise KnowledgeBaseError(load_failure(messages, error)) from None
    atoms: list[Symbol] = []
    with ctl.solve(yield_=True) as handle:
        for model in handle:
            atoms = list(model.symbols(shown=True) if shown else model.symbols(atoms=True))
            break
        else:
            raise KnowledgeBaseError(
                "the knowledge base has no answer for this patient (inconsistent rules)"
            )
    return atoms, messages


def _text(symbol: Symbol) -> str:
    return symbol.string if symbol.type == clingo.SymbolType.String else str(symbol)


@dataclass
class Catalogue:
    """Everything the KB states independently of any patient.

    Guidelines, recommendations, evidence, safety statements and the words for them; read once
    per KB folder and kept in the disk cache (``hcc_asp.cache``) between processes.
    """

    guidelines: dict[str, dict[str, Any]] = field(default_factory=dict)  # key: guideline atom
    guideline_atom: dict[str, str] = field(default_factory=dict)  # public id -> atom name
    recs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    rec_regimens: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    condition_label: dict[Symbol, str] = field(default_factory=dict)
    condition_code: dict[Symbol, str] = field(default_factory=dict)
    #: what each condition is about: line | alternative | population (kb/conditions.lp)
    condition_kind: dict[Symbol, str] = field(default_factory=dict)
    action_text: dict[str, str] = field(default_factory=dict)
    note_text: dict[str, str] = field(default_factory=dict)
    qualifying_text: dict[str, str] = field(default_factory=dict)
    safety: dict[str, dict[str, Any]] = field(default_factory=dict)
    preference: dict[str, dict[str, Any]] = field(default_factory=dict)  # key: factor code
    not_encoded: dict[str, dict[str, Any]] = field(default_factory=dict)  # key: public id
    dose_text: dict[str, str] = field(default_factory=dict)
    #: the closed vocabulary of unconfirmed/4 fields (besides each edition's grading keys)
    unconfirmed_fields: dict[str, str] = field(default_factory=dict)
    kb: Path | None = None
    _atoms: list[Symbol] | None = field(default=None, repr=False)
    #: patient-independent pieces of documents, built once per catalogue (not in the disk cache)
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def atoms(self) -> list[Symbol]:
        """Every atom of the KB's model without a patient (solved on first use: `check` only)."""
        if self._atoms is None:
            self._atoms, _ = ground_and_solve(self.kb)
        return self._atoms


#: Catalogue fields whose values hold clingo Symbols, and where (kept as text in the cache).
_PLAIN_FIELDS = (
    "guidelines",
    "guideline_atom",
    "action_text",
    "note_text",
    "qualifying_text",
    "not_encoded",
    "dose_text",
    "unconfirmed_fields",
)


def _encode_catalogue(cat: Catalogue) -> dict[str, Any]:
    """The catalogue as JSON data: Symbols as their text, tuple keys as lists."""
    data: dict[str, Any] = {name: getattr(cat, name) for name in _PLAIN_FIELDS}
    data["recs"] = [
        [
            g,
            rec_id,
            {**rec, "excludes": [str(s) for s in rec["excludes"]]} if "excludes" in rec else rec,
        ]
        for (g, rec_id), rec in cat.recs.items()
    ]
    data["condition_label"] = [[str(k), v] for k, v in cat.condition_label.items()]
    data["condition_code"] = [[str(k), v] for k, v in cat.condition_code.items()]
    data["condition_kind"] = [[str(k), v] for k, v in cat.condition_kind.items()]
    data["safety"] = {
        code: {**entry, "condition": str(entry["condition"])} if "condition" in entry else entry
        for code, entry in cat.safety.items()
    }
    data["preference"] = {
        code: {**entry, "condition": str(entry["condition"])} if "condition" in entry else entry
        for code, entry in cat.preference.items()
    }
    return data


def _decode_catalogue(data: dict[str, Any], kb: Path | None) -> Catalogue:
    """Invert ``_encode_catalogue`` (the Symbols' texts parsed back by ``clingo.parse_term``)."""
    cat = Catalogue(kb=kb, **{name: data[name] for name in _PLAIN_FIELDS})
    recs = data["recs"]
    entries = [entry for table in ("safety", "preference") for entry in data[table].values()]
    texts = [s for _, _, rec in recs for s in rec.get("excludes", ())]
    for table in ("condition_label", "condition_code", "condition_kind"):
        texts.extend(k for k, _ in data[table])
    texts.extend(entry["condition"] for entry in entries if "condition" in entry)
    terms = iter(_parse_terms(texts))
    for g, rec_id, rec in recs:
        if "excludes" in rec:
            rec["excludes"] = [next(terms) for _ in rec["excludes"]]
        cat.recs[(g, rec_id)] = rec
    cat.condition_label = {next(terms): v for _, v in data["condition_label"]}
    cat.condition_code = {next(terms): v for _, v in data["condition_code"]}
    cat.condition_kind = {next(terms): v for _, v in data["condition_kind"]}
    for entry in entries:
        if "condition" in entry:
            entry["condition"] = next(terms)
    cat.safety = data["safety"]
    cat.preference = data["preference"]
    return cat


def _parse_terms(texts: list[str]) -> list[Symbol]:
    """Parse many term texts with one ``clingo.parse_term`` call (one tuple of them).

    A cold command decodes a few hundred Symbols from the cache; one call instead of one each
    saves about a millisecond. Texts that do not parse, or that give a tuple of another length
    than the list (a damaged entry whose commas split or merge items), raise ValueError: the
    cache then rebuilds the entry.
    """
    if not texts:
        return []
    try:
        terms = clingo.parse_term("(" + ",".join(texts) + ",)").arguments
    except RuntimeError as error:
        raise ValueError("damaged cache entry") from error
    if len(terms) != len(texts):
        raise ValueError("damaged cache entry")
    return terms


@lru_cache(maxsize=8)
def catalogue(kb: Path | None = None) -> Catalogue:
    """Return the catalogue of the KB: from the disk cache, else solved once without a patient."""
    from hcc_asp import cache

    return cache.cached(
        kb,
        "catalogue",
        lambda: build_catalogue(kb),
        _encode_catalogue,
        lambda data: _decode_catalogue(data, kb),
    )


def build_catalogue(kb: Path | None = None) -> Catalogue:
    """Solve the KB without a patient and gather its statements (what the cache keeps)."""
    atoms, _ = ground_and_solve(kb)
    cat = Catalogue(kb=kb, _atoms=atoms)
    recs: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {
            "regimens": [],
            "evidence": {},
            "trials": [],
            "trials_for": defaultdict(list),
            "unconfirmed": {},
            "notes": [],
        }
    )
    for atom in sorted(atoms):
        name, args = atom.name, atom.arguments
        if name == "guideline" and len(args) == 4:
            key = args[0].name
            info = cat.guidelines.setdefault(key, {})
            info.update(id=args[1].string, title=args[2].string, year=args[3].number)
            cat.guideline_atom[args[1].string] = key
        elif (
            name in ("guideline_citation", "guideline_doi", "guideline_grading") and len(args) == 2
        ):
            cat.guidelines.setdefault(args[0].name, {})[name.removeprefix("guideline_")] = args[
                1
            ].string
        elif name == "guideline_not_encoded" and len(args) == 4:
            cat.not_encoded[args[0].string] = {
                "title": args[1].string,
                "year": args[2].number,
                "why": args[3].string,
            }
        elif name == "guideline_supersedes" and len(args) == 2:
            cat.guidelines.setdefault(args[0].name, {})["supersedes"] = args[1].name
        elif name == "guideline_grading_key" and len(args) == 2:
            info = cat.guidelines.setdefault(args[0].name, {})
            info.setdefault("grading_keys", []).append(args[1].name)
        elif name == "rec" and len(args) == 3:
            recs[(args[0].name, args[1].string)]["regimens"].append(args[2].name)
        elif name == "excludes" and len(args) == 3:
            recs[(args[0].name, args[1].string)].setdefault("excludes", []).append(args[2])
        elif name == "rec_text":
            recs[(args[0].name, args[1].string)]["text"] = args[2].string
        elif name == "evidence":
            recs[(args[0].name, args[1].string)]["evidence"][args[2].name] = args[3].string
        elif name == "evidence_label":
            recs[(args[0].name, args[1].string)]["label"] = args[2].string
        elif name == "trial":
            recs[(args[0].name, args[1].string)]["trials"].append(args[2].string)
        elif name == "trial_for":
            recs[(args[0].name, args[1].string)]["trials_for"][args[2].name].append(args[3].string)
        elif name == "rec_source":
            recs[(args[0].name, args[1].string)]["source"] = args[2].string
        elif name == "unconfirmed" and len(args) == 4:
            found = recs[(args[0].name, args[1].string)]["unconfirmed"]
            what = found.get(args[2].name)
            found[args[2].name] = f"{what}; {args[3].string}" if what else args[3].string
        elif name == "unconfirmed_field" and len(args) == 2:
            cat.unconfirmed_fields[args[0].name] = args[1].string
        elif name == "guideline_draft" and len(args) == 2:
            cat.guidelines.setdefault(args[0].name, {})["draft"] = args[1].string
        elif name == "provenance_note":
            recs[(args[0].name, args[1].string)]["notes"].append(args[2].string)
        elif name == "condition_label":
            cat.condition_label[args[0]] = args[1].string
        elif name == "condition_code":
            cat.condition_code[args[0]] = _text(args[1])
        elif name == "condition_kind" and len(args) == 2:
            cat.condition_kind[args[0]] = args[1].name
        elif name == "action_text":
            cat.action_text[args[0].name] = args[1].string
        elif name == "note_text":
            cat.note_text[args[0].name] = args[1].string
        elif name == "qualifying_text":
            cat.qualifying_text[args[0].name] = args[1].string
        elif name in ("contraindication", "caution") and len(args) == 3:
            entry = cat.safety.setdefault(args[0].name, {})
            entry.update(severity=name, target=str(args[1]), condition=args[2])
        elif name in ("safety_kind", "safety_source", "safety_text", "safety_unconfirmed"):
            cat.safety.setdefault(args[0].name, {})[name.removeprefix("safety_")] = _text(args[1])
        elif name == "preference_factor" and len(args) == 4:
            entry = cat.preference.setdefault(args[0].name, {})
            entry.update(favours=args[1].name, kind=args[2].name, condition=args[3])
        elif name in ("preference_source", "preference_text", "preference_unconfirmed"):
            key = name.removeprefix("preference_")
            cat.preference.setdefault(args[0].name, {})[key] = _text(args[1])
        elif name == "dose_text":
            cat.dose_text[args[0].name] = args[1].string
    cat.recs = {key: {**rec, "trials_for": dict(rec["trials_for"])} for key, rec in recs.items()}
    return cat


def guideline_ids(kb: Path | None = None) -> list[str]:
    """Return the public ids of the encoded guidelines, newest first then by id."""
    cat = catalogue(kb)
    entries = sorted(cat.guidelines.values(), key=lambda g: (-int(g["year"]), str(g["id"])))
    return [str(g["id"]) for g in entries]


def default_guideline(kb: Path | None = None) -> str:
    """Return the newest encoded ASCO edition (the contract's default); never a draft."""
    cat = catalogue(kb)
    ids = guideline_ids(kb)
    reviewed = [g for g in ids if "draft" not in cat.guidelines[cat.guideline_atom[g]]]
    asco = [g for g in reviewed if g.startswith("asco-")]
    return asco[0] if asco else (reviewed or ids)[0]


def key_text(symbol: Symbol) -> str:
    """Render a missing-key term: a string, or item(List, Index, Field) as List[Index].Field."""
    if symbol.type == clingo.SymbolType.String:
        return symbol.string
    if symbol.match("item", 3):
        parent, index, fieldname = symbol.arguments
        return f"{parent.string}[{index.number}].{fieldname.string}"
    return str(symbol)


@lru_cache(maxsize=1 << 15)
def arguments_of(atom: Symbol) -> tuple[Symbol, ...]:
    """An atom's arguments, read once per process for each distinct atom.

    Reading ``Symbol.arguments`` is a clingo API call through cffi (a few microseconds), hashing
    a Symbol a plain C call: patients share most of their atoms (statuses, reasons), so documents
    for many patients read each distinct atom once instead of once per patient.
    """
    return tuple(atom.arguments)


@lru_cache(maxsize=1 << 12)
def name_of(symbol: Symbol) -> str:
    """A function symbol's name, read once per process (see ``arguments_of``)."""
    return symbol.name


@lru_cache(maxsize=1 << 12)
def string_of(symbol: Symbol) -> str:
    """A string symbol's text, read once per process (see ``arguments_of``)."""
    return symbol.string


@lru_cache(maxsize=1 << 16)
def number_of(symbol: Symbol) -> int:
    """A number symbol's value, read once per process (see ``arguments_of``)."""
    return symbol.number


class Answer:
    """The atoms of one patient's stable model, indexed by predicate name in one pass.

    A group is split by arity and sorted on first use: a caller reads a handful of predicates out
    of thousands, so the rest are never touched again.
    """

    def __init__(self, atoms: list[Symbol], by_name: dict[str, list[Symbol]] | None = None) -> None:
        """Index the atoms by name (``by_name``: an index the caller already built)."""
        self.atoms = atoms
        if by_name is None:
            by_name = defaultdict(list)
            for atom in atoms:
                if atom.type == clingo.SymbolType.Function:
                    by_name[atom.name].append(atom)
        self.by_name = by_name
        self._groups: dict[tuple[str, int], list[Symbol]] = {}
        self._unsorted: dict[tuple[str, int], list[Symbol]] = {}
        self._rank: Callable[[], dict[Symbol, int]] | None = None

    @classmethod
    def from_groups(
        cls,
        groups: dict[tuple[str, int], list[Symbol]],
        rank: Callable[[], dict[Symbol, int]] | None = None,
    ) -> Answer:
        """An answer from atoms already grouped by signature (the batch engine's split).

        Every signature the model can show must be a key (an empty list when it has none); a
        group is sorted on first use, without reading any atom's arguments again. ``rank``
        gives every atom its position in clingo's order (shared by many answers), to sort by.
        """
        by_name: dict[str, list[Symbol]] = defaultdict(list)
        atoms: list[Symbol] = []
        for (name, _), group in groups.items():
            by_name[name].extend(group)
            atoms.extend(group)
        answer = cls(atoms, by_name)
        answer._unsorted = groups
        answer._rank = rank
        return answer

    def get(self, name: str, arity: int) -> list[Symbol]:
        """Return the atoms of name/arity, sorted."""
        signature = (name, arity)
        group = self._groups.get(signature)
        if group is None:
            found = self._unsorted.get(signature)
            if found is None:
                group = sorted(a for a in self.by_name.get(name, ()) if len(a.arguments) == arity)
            elif self._rank is not None and len(found) > 1:
                group = sorted(found, key=self._rank().__getitem__)
            else:
                group = sorted(found)
            self._groups[signature] = group
        return group


def file_atoms(path: Path) -> list[Symbol]:
    """Ground and solve one KB file on its own (the vocabulary, the input scales); return its atoms.

    Used where the Python side reads a KB file directly; a file that does not ground is a
    :class:`KnowledgeBaseError` with one line, not a traceback.
    """
    messages: list[str] = []
    ctl = new_control(["--warn=none"], messages)
    try:
        ctl.load(str(path))
        ctl.ground([("base", [])])
    except RuntimeError as error:
        raise KnowledgeBaseError(load_failure(messages, error)) from None
    with ctl.solve(yield_=True) as handle:
        for model in handle:
            return list(model.symbols(atoms=True))
    raise KnowledgeBaseError(f"the knowledge base could not be loaded: {path.name} has no answer")
