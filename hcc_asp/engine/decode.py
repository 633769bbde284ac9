"""The answer decoded once: one patient's stable model as typed records, no clingo Symbol left.

``decode(answer, kb)`` reads the shown atoms of one model (``kb/show.lp``, the output API) into
:class:`Decoded`: the line of therapy, the derived scores, the input conflicts the KB found, and
per guideline (:class:`GuidelineAnswer`) every regimen's statuses, selected recommendation, unmet
conditions, contraindications, missing keys, actions, cautions, the notes, the regimens outside
the edition's encoded scope and the lenvatinib-vs-sorafenib preference. Everything above the
engine (`recommend`, `compare`, the batch documents, `check`'s witnesses, the service, the
renderers) reads these records; none of them touches a Symbol.

A condition term is decoded into the catalogue's description of it (:class:`Condition`: its code,
its words, what it is about, the lines it allows), so that a document builder needs no term. The
records of an atom are the same for every patient: they are built once per distinct atom and
catalogue (``Catalogue.memo``), which keeps the batch engine's throughput (patients share most of
their atoms).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

import clingo
from clingo import Symbol

from hcc_asp.engine.facts import plain_value
from hcc_asp.engine.ground import Answer, arguments_of, key_text, name_of, string_of

if TYPE_CHECKING:
    from hcc_asp.knowledge import KnowledgeBase
    from hcc_asp.knowledge.catalogue import Catalogue

#: Order of statuses: what can be given first, the most cautious last.
STATUS_ORDER = ("recommended", "conditional", "not_recommended", "contraindicated")


class Condition(NamedTuple):
    """A condition term as the catalogue describes it (``kb/conditions.lp``, ``kb/labels.lp``)."""

    code: str  # the KB's code, or one made from the term
    label: str  # the KB's words for it (the term itself when it has none)
    unmet: str | None  # the KB's words for it failing (``unmet/1`` label), with "{rec}"
    kind: str  # line | population | alternative ("" when the KB gives none)
    #: a line condition's (name, number): line_at_least / line_at_most / line_is ...
    line: tuple[str, int] | None


class Unmet(NamedTuple):
    """A ``reason(G, Regimen, Rec, Condition)``: one recommendation's condition not met."""

    recommendation: str
    condition: Condition
    excluded: bool  # an excluding condition that holds (not a required one that fails)


class Action(NamedTuple):
    """What to do first for a conditional regimen (``action/3``).

    ``window`` is set for a time-limited contraindication's wait (kb/safety.lp
    ``start_after_window(Id, Key, T, Left, Scale)``): (statement, key, T, Left, Scale).
    """

    code: str
    window: tuple[str, str, int, int, int] | None = None


@dataclass
class RegimenAnswer:
    """One regimen under one guideline, as the KB decided it for this patient."""

    regimen: str
    statuses: list[str] = field(default_factory=list)  # most cautious last
    recommendation: str = ""  # the selected recommendation (``selected_rec/3``)
    unmet: list[Unmet] = field(default_factory=list)
    contraindications: list[str] = field(default_factory=list)  # safety codes
    missing: list[str] = field(default_factory=list)  # patient-file keys, as written
    actions: list[Action] = field(default_factory=list)
    cautions: list[str] = field(default_factory=list)
    cautions_unassessed: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """The status shown: the most cautious when a broken KB gives several."""
        return self.statuses[-1]


@dataclass
class PreferenceAnswer:
    """The lenvatinib-vs-sorafenib discussion's atoms (``kb/preference.lp``) for one guideline."""

    first: list[str]
    holding: list[str]
    missing: dict[str, list[str]]
    unassessed: list[str]
    tally: dict[str, tuple[int, int]]  # regimen -> (evidence gaps, considerations)


@dataclass
class GuidelineAnswer:
    """Everything the answer says under one guideline."""

    #: regimens with a status, in the model's order of their status atoms
    regimens: dict[str, RegimenAnswer]
    notes: list[str]  # note codes (``note/2``)
    not_encoded: frozenset[str]  # regimens outside the edition's encoded scope (kb/scope.lp)
    preference: PreferenceAnswer | None


class Conflict(NamedTuple):
    """An ``input_conflict(Key, Given, Derived)``: the patient's own values contradict."""

    key: str
    given: str  # the given value as the patient file writes it
    kind: str  # contradicts | at_least | at_most | derived
    what: str  # contradicts: the other key; a bound: the score; derived: the derived value
    value: str  # contradicts: the other key's value as written; else ""


@dataclass
class Decoded:
    """One patient's answer: the records every document is built from."""

    line: int | None
    derived: dict[str, Any]
    child_pugh_points: dict[str, int]
    conflicts: list[Conflict]
    doses: list[tuple[str, str]]  # (regimen, dose code) of the preference's two drugs
    _answer: Answer
    _kb: KnowledgeBase
    _guidelines: dict[str, GuidelineAnswer] = field(default_factory=dict)

    def guideline(self, guideline_atom: str) -> GuidelineAnswer:
        """The records under one guideline (decoded on first use: a caller asks for one or two)."""
        found = self._guidelines.get(guideline_atom)
        if found is None:
            found = self._guidelines[guideline_atom] = _guideline(
                self._answer, guideline_atom, self._kb.catalogue
            )
        return found


def decode(answer: Answer, kb: KnowledgeBase) -> Decoded:
    """Decode one patient's answer (the guidelines lazily: :meth:`Decoded.guideline`)."""
    lines = answer.get("line", 1)
    return Decoded(
        line=number_of_first(lines),
        derived=_derived(answer),
        child_pugh_points={
            name_of(a.arguments[0]): a.arguments[1].number
            for a in answer.get("child_pugh_points", 2)
        },
        conflicts=[_conflict(atom, kb) for atom in answer.get("input_conflict", 3)],
        doses=[
            (name_of(a.arguments[0]), name_of(a.arguments[1]))
            for a in answer.get("dose", 2)
            if a.arguments[0].type == clingo.SymbolType.Function
        ],
        _answer=answer,
        _kb=kb,
    )


def number_of_first(atoms: list[Symbol]) -> int | None:
    """The number of the one atom ``name(N)``; None unless there is exactly one."""
    return atoms[0].arguments[0].number if len(atoms) == 1 else None


def _derived(answer: Answer) -> dict[str, Any]:
    """The derived scores of the contract: Child-Pugh, ALBI, BCLC (None when unknown)."""

    def one(name: str) -> Symbol | None:
        atoms = answer.get(name, 1)
        return atoms[0].arguments[0] if len(atoms) == 1 else None

    score, klass = one("child_pugh_score"), one("child_pugh_class")
    albi, grade = one("albi_score"), one("albi_grade")
    stage = one("bclc_stage")
    return {
        "child_pugh": {
            "score": score.number if score is not None else None,
            "class": klass.name.upper() if klass is not None else None,
        },
        "albi": {
            "score": round(albi.number / 1000, 2) if albi is not None else None,
            "grade": grade.number if grade is not None else None,
        },
        "bclc_stage": (
            None
            if stage is None
            else str(stage.number)
            if stage.type == clingo.SymbolType.Number
            else stage.name.upper()
        ),
    }


#: Bounds on the Child-Pugh score an ``input_conflict/3`` may name (kb/derivations.lp).
_SCORE_BOUNDS = ("at_least", "at_most")


def _conflict(atom: Symbol, kb: KnowledgeBase) -> Conflict:
    key, given, derived = atom.arguments
    if derived.match("contradicts", 2):
        name, value = derived.arguments
        return Conflict(
            key.string,
            value_text(given),
            "contradicts",
            name.string,
            _written(name.string, value, kb),
        )
    if (
        derived.type == clingo.SymbolType.Function
        and derived.name in _SCORE_BOUNDS
        and len(derived.arguments) == 1
    ):
        return Conflict(key.string, value_text(given), derived.name, str(derived.arguments[0]), "")
    return Conflict(key.string, value_text(given), "derived", value_text(derived), "")


def _written(key: str, value: Symbol, kb: KnowledgeBase) -> str:
    """A value of ``contradicts(Key, Value)`` as the patient file writes it."""
    if value.type == clingo.SymbolType.Number:
        return str(plain_value(key, value, kb))  # unscaled by the key's own resolution
    return value_text(value) if value.type == clingo.SymbolType.Function else str(value)


def value_text(symbol: Symbol) -> str:
    """A constant as a patient file writes it (one letter upper case: Child-Pugh "A")."""
    if symbol.type == clingo.SymbolType.Function and not symbol.arguments:
        return symbol.name.upper() if len(symbol.name) == 1 else symbol.name
    return str(symbol)


# -- one guideline -------------------------------------------------------------------------------


@lru_cache(maxsize=1 << 15)
def _per_regimen(atom: Symbol) -> tuple[str, str, tuple[Symbol, ...]]:
    """``name(Guideline, Regimen, ...)`` as its guideline's text, regimen name and arguments.

    Read once per process for each distinct atom (see ``engine.ground.arguments_of``). The
    guideline's text equals a guideline atom's name exactly when the term is that constant.
    """
    arguments = arguments_of(atom)
    return str(arguments[0]), name_of(arguments[1]), arguments


def _guideline(answer: Answer, guideline_atom: str, cat: Catalogue) -> GuidelineAnswer:
    def of(name: str, arity: int) -> dict[str, list[tuple[Symbol, ...]]]:
        """The guideline's atoms of name/arity by regimen, as their arguments (read once)."""
        table: dict[str, list[tuple[Symbol, ...]]] = defaultdict(list)
        for atom in answer.get(name, arity):
            guideline, regimen, arguments = _per_regimen(atom)
            if guideline == guideline_atom:
                table[regimen].append(arguments)
        return table

    regimens: dict[str, RegimenAnswer] = {}
    for regimen, found in of("status", 3).items():
        statuses = sorted((name_of(args[2]) for args in found), key=STATUS_ORDER.index)
        regimens[regimen] = RegimenAnswer(regimen, statuses)
    for regimen, found in of("selected_rec", 3).items():
        if regimen in regimens:
            regimens[regimen].recommendation = string_of(found[0][2])
    for regimen, atoms in _reasons(answer, guideline_atom, cat).items():
        if regimen in regimens:
            regimens[regimen].unmet = atoms
    fill = (
        ("contraindication_reason", "contraindications"),
        ("caution_for", "cautions"),
        ("caution_unassessed", "cautions_unassessed"),
    )
    for name, attribute in fill:
        for regimen, found in of(name, 3).items():
            if regimen in regimens:
                setattr(regimens[regimen], attribute, [name_of(args[2]) for args in found])
    for regimen, found in of("missing_key", 3).items():
        if regimen in regimens:
            regimens[regimen].missing = [key_text(args[2]) for args in found]
    for regimen, found in of("action", 3).items():
        if regimen in regimens:
            regimens[regimen].actions = [_action(args[2]) for args in found]
    g = clingo.Function(guideline_atom)
    return GuidelineAnswer(
        regimens=regimens,
        notes=[name_of(a.arguments[1]) for a in answer.get("note", 2) if a.arguments[0] == g],
        not_encoded=frozenset(
            name_of(a.arguments[1]) for a in answer.get("not_encoded", 2) if a.arguments[0] == g
        ),
        preference=_preference(answer, g),
    )


def _reasons(answer: Answer, guideline_atom: str, cat: Catalogue) -> dict[str, list[Unmet]]:
    """Each regimen's ``reason/4`` atoms as :class:`Unmet` records, in the atoms' order."""
    table: dict[str, list[Unmet]] = defaultdict(list)
    for atom in answer.get("reason", 4):
        guideline, regimen, _ = _per_regimen(atom)
        if guideline == guideline_atom:
            table[regimen].append(_unmet(cat, guideline_atom, atom))
    return table


def _unmet(cat: Catalogue, guideline_atom: str, atom: Symbol) -> Unmet:
    """A ``reason(G, Regimen, Rec, Condition)`` atom, decoded once per catalogue."""
    key = ("unmet", atom)
    found = cat.memo.get(key)
    if found is None:
        arguments = arguments_of(atom)
        rec_label, term = string_of(arguments[2]), arguments[3]
        excluded = term in cat.recs.get((guideline_atom, rec_label), {}).get("excludes", [])
        found = cat.memo[key] = Unmet(rec_label, condition(cat, term), excluded)
    return found


def condition(cat: Catalogue, term: Symbol) -> Condition:
    """The catalogue's description of a condition term (built once per catalogue and term)."""
    key = ("condition", term)
    found = cat.memo.get(key)
    if found is None:
        code = cat.condition_code.get(term)
        if code is None:
            text = str(term)
            code = "".join(ch if ch.isalnum() else "_" for ch in text).strip("_").lower()
        label = cat.condition_label.get(term)
        line = None
        if term.name.startswith("line") and len(term.arguments) == 1:
            number = term.arguments[0]
            if number.type == clingo.SymbolType.Number:
                line = (term.name, number.number)
        found = cat.memo[key] = Condition(
            code=code,
            label=label if label is not None else str(term),
            unmet=cat.condition_label.get(clingo.Function("unmet", [term])),
            kind=cat.condition_kind.get(term, ""),
            line=line,
        )
    return found


def _action(term: Symbol) -> Action:
    code = name_of(term)
    if code != "start_after_window":
        return Action(code)
    ident, key, window, left, scale = arguments_of(term)
    return Action(code, (name_of(ident), string_of(key), window.number, left.number, scale.number))


def _preference(answer: Answer, g: Symbol) -> PreferenceAnswer | None:
    if clingo.Function("tki_choice", [g]) not in set(answer.get("tki_choice", 1)):
        return None

    def mine(name: str, arity: int) -> list[Symbol]:
        return [a for a in answer.get(name, arity) if a.arguments[0] == g]

    missing: dict[str, list[str]] = {}
    for atom in mine("factor_missing", 3):
        missing.setdefault(atom.arguments[1].name, []).append(key_text(atom.arguments[2]))
    return PreferenceAnswer(
        first=[a.arguments[1].name for a in mine("preferred_first", 2)],
        holding=[a.arguments[1].name for a in mine("factor_holds", 3)],
        missing=missing,
        unassessed=[a.arguments[1].name for a in mine("factor_unassessed", 3)],
        tally={
            a.arguments[1].name: (a.arguments[2].number, a.arguments[3].number)
            for a in mine("preference_tally", 4)
        },
    )
