"""`recommend`: every regimen a guideline mentions, with its status for one patient.

The KB decides every status, reason, missing key and action (``kb/decision.lp``); this module
only gathers the shown atoms of one solve and words them with the KB's own texts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import clingo
from clingo import Symbol

from hcc_asp.engine.facts import patient_data, patient_facts, plain_value
from hcc_asp.engine.ground import (
    Answer,
    arguments_of,
    ground_and_solve,
    key_text,
    name_of,
    string_of,
)
from hcc_asp.knowledge import KnowledgeBase, or_shipped
from hcc_asp.preference import preference

if TYPE_CHECKING:
    from hcc_asp.knowledge.catalogue import Catalogue

#: Output format version of the JSON documents (spec/cli.md).
FORMAT = 1
#: Order of statuses in listings: what can be given first.
STATUS_ORDER = ("recommended", "conditional", "not_recommended", "contraindicated")


class UnknownGuidelineError(ValueError):
    """The guideline id is not encoded in the KB."""


class InputConflictError(ValueError):
    """The patient file contradicts itself in a way only the KB can see (e.g. Child-Pugh)."""

    def __init__(self, problems: list[str]) -> None:
        """Keep one line per problem."""
        super().__init__("\n".join(problems))
        self.problems = problems


def condition_code(cat: Catalogue, condition: Symbol) -> str:
    """Return the KB's code for a condition, or a code made from the term when it has none."""
    if condition in cat.condition_code:
        return cat.condition_code[condition]
    text = str(condition)
    return "".join(ch if ch.isalnum() else "_" for ch in text).strip("_").lower()


def condition_label(cat: Catalogue, condition: Symbol) -> str:
    """Return the KB's words for a condition (the term itself when it has no label)."""
    label = cat.condition_label.get(condition)
    return label if label is not None else str(condition)


def public_guideline(guideline: str, kb: KnowledgeBase) -> str:
    """The public id of a guideline however it is written (``ASCO 2024`` is ``asco-2024``).

    Case, spaces and dashes do not matter: ``ASCO-2024`` and ``asco2024`` are ``asco-2024``. An
    id that is neither encoded nor known comes back as it was given (:func:`resolve_guideline`
    then refuses it, with a suggestion).
    """
    cat = kb.catalogue
    known = [*cat.guideline_atom, *cat.not_encoded]
    if guideline in known:
        return guideline
    return {_letters(public): public for public in known}.get(_letters(guideline), guideline)


def _letters(text: str) -> str:
    """Lower-case letters and digits only: the form in which guideline ids are compared."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def resolve_guideline(guideline: str | None, kb: KnowledgeBase) -> str:
    """Return the KB atom of a public guideline id (default: the newest ASCO edition).

    Any spelling :func:`public_guideline` accepts is taken; an unknown id is refused with the
    closest encoded one as a suggestion.
    """
    cat = kb.catalogue
    if guideline is not None and not guideline.strip():
        raise UnknownGuidelineError("empty guideline id (see `hcc-asp guidelines`)")
    public = kb.default_guideline if guideline is None else public_guideline(guideline, kb)
    if public in cat.not_encoded and public not in cat.guideline_atom:
        why = cat.not_encoded[public]["why"]
        raise UnknownGuidelineError(f"guideline '{public}' is known but not encoded: {why}")
    if public not in cat.guideline_atom:
        from hcc_asp.knowledge.vocabulary import did_you_mean

        known = ", ".join(sorted(cat.guideline_atom))
        hint = did_you_mean(public, sorted(cat.guideline_atom), cutoff=0.6)
        raise UnknownGuidelineError(f"unknown guideline '{public}'{hint} (encoded: {known})")
    return cat.guideline_atom[public]


def solve_patient(
    patient: Any,
    kb: KnowledgeBase,
    programs: Sequence[Path] = (),
    guidelines: Sequence[str] | None = None,
) -> Answer:
    """Solve the KB for one patient; raise InputConflictError when the KB finds a contradiction.

    ``guidelines`` (atoms) grounds only those guideline files; None grounds every guideline.
    """
    text = kb.compiled().text(guidelines)
    atoms, _ = ground_and_solve(
        kb, patient_facts(patient, kb), programs, text=text, shown=not programs
    )
    answer = Answer(atoms)
    conflict = input_conflict(answer, kb)
    if conflict is not None:
        raise conflict
    return answer


#: How ``input_conflict/3`` bounds on the Child-Pugh score read (kb/derivations.lp).
_SCORE_BOUNDS = {"at_least": "at least", "at_most": "at most"}


def input_conflict(answer: Answer, kb: KnowledgeBase) -> InputConflictError | None:
    """The contradictions the KB found in one patient's own values, or None.

    One line per given key and value, naming what contradicts it: a value derived from the other
    data, a bound on the Child-Pugh score from its known components, or every
    ``contradicts(Key, Value)`` term for that key (a given BCLC stage the other values rule out).
    """
    conflicts = answer.get("input_conflict", 3)
    if not conflicts:
        return None
    lines: dict[tuple[str, str], list[str]] = {}
    for c in conflicts:
        key, given, derived = c.arguments
        head = (key.string, _value_text(given))
        if derived.match("contradicts", 2):
            name, value = derived.arguments
            lines.setdefault(head, []).append(
                f"{name.string} {_contradicting(name.string, value, kb)}"
            )
        elif (
            derived.type == clingo.SymbolType.Function
            and derived.name in _SCORE_BOUNDS
            and len(derived.arguments) == 1
        ):
            bound = f"{_SCORE_BOUNDS[derived.name]} {derived.arguments[0]}"
            lines[head] = [
                "disagrees with the Child-Pugh components given (labs, liver.ascites, "
                f"liver.encephalopathy), which give a score of {bound}"
            ]
        else:
            lines[head] = [f"disagrees with {_value_text(derived)} derived from the other values"]
    problems = []
    for (key_name, given_text), parts in lines.items():
        if parts[0].startswith("disagrees"):
            problems.append(f"{key_name}: given {given_text} {parts[0]}")
        else:
            found = ", ".join(sorted(set(parts)))
            problems.append(f"{key_name}: given {given_text} contradicts {found}")
    return InputConflictError(problems)


def _contradicting(key: str, value: Symbol, kb: KnowledgeBase) -> str:
    """A value of ``contradicts(Key, Value)`` as the patient file writes it."""
    if value.type == clingo.SymbolType.Number:
        return str(plain_value(key, value, kb))  # unscaled by the key's own resolution
    return _value_text(value) if value.type == clingo.SymbolType.Function else str(value)


def _value_text(symbol: Symbol) -> str:
    if symbol.type == clingo.SymbolType.Function and not symbol.arguments:
        return symbol.name.upper() if len(symbol.name) == 1 else symbol.name
    return str(symbol)


def derived_values(answer: Answer) -> dict[str, Any]:
    """Return the derived scores of the contract: Child-Pugh, ALBI, BCLC (None when unknown)."""

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


#: Patient-file keys of each Child-Pugh component, in the order the table lists them.
CHILD_PUGH_KEYS = {
    "bilirubin": ("labs.bilirubin_mg_dl", "labs.bilirubin_umol_l"),
    "albumin": ("labs.albumin_g_dl", "labs.albumin_g_l"),
    "inr": ("labs.inr",),
    "ascites": ("liver.ascites",),
    "encephalopathy": ("liver.encephalopathy",),
}


def child_pugh_components(answer: Answer, patient: Any) -> dict[str, dict[str, Any]]:
    """Each Child-Pugh component: the patient's value (key as given) and the KB's points.

    An extension of ``derived`` (additive key ``child_pugh_components``) so that a report shows
    the score's parts.
    """
    points = {
        a.arguments[0].name: a.arguments[1].number for a in answer.get("child_pugh_points", 2)
    }
    data = patient_data(patient)
    out: dict[str, dict[str, Any]] = {}
    for component, keys in CHILD_PUGH_KEYS.items():
        part: dict[str, Any] = {"key": keys[0], "value": None, "points": points.get(component)}
        for key in keys:
            section, _, name = key.partition(".")
            value = data.get(section, {}).get(name)
            if value is not None:
                part.update(key=key, value=value)
                break
        out[component] = part
    return out


def statuses_of(answer: Answer, guideline: Symbol) -> dict[str, list[str]]:
    """Every status the KB gives each regimen under the guideline, most cautious last.

    One per regimen in a consistent KB; more is a conflict that `hcc-asp check` reports.
    """
    found: dict[str, list[str]] = defaultdict(list)
    for atom in answer.get("status", 3):
        arguments = arguments_of(atom)
        if arguments[0] == guideline:
            found[name_of(arguments[1])].append(name_of(arguments[2]))
    return {regimen: sorted(s, key=STATUS_ORDER.index) for regimen, s in found.items()}


def not_encoded_of(answer: Answer, guideline: Symbol) -> set[str]:
    """The regimens whose statements the edition does not encode for this patient (kb/scope.lp).

    Only for regimens it does not offer (or never mentions): a "not offered" there is not the
    guideline's verdict.
    """
    return {
        atom.arguments[1].name
        for atom in answer.get("not_encoded", 2)
        if atom.arguments[0] == guideline
    }


def _evidence(rec: dict[str, Any]) -> dict[str, str]:
    evidence = dict(rec.get("evidence", {}))
    ordered = {k: evidence.pop(k) for k in ("type", "quality", "strength") if k in evidence}
    ordered.update(sorted(evidence.items()))
    if "label" in rec:
        ordered["label"] = rec["label"]
    return ordered


def _sources(rec: dict[str, Any], regimen: str) -> list[str]:
    trials = list(rec.get("trials", [])) + list(rec.get("trials_for", {}).get(regimen, []))
    return sorted(set(trials), key=trials.index)


#: Order of a recommendation's unmet conditions by their kind (kb/conditions.lp condition_kind/2):
#: the line, then the patient's population, then another regimen being an option. The first reason
#: of a regimen not offered is thus what keeps this patient out of the recommendation's population
#: before "the ICI combinations are options" (issue 9, point 10).
KIND_ORDER = ("line", "population", "alternative")
_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth"}


def _ordinal(n: int) -> str:
    return _ORDINALS.get(n, f"{n}th")


def _line_span(condition: Symbol) -> tuple[int, float, str]:
    """The lines a line condition allows (lowest, highest) and its words."""
    n = condition.arguments[0].number
    if condition.name == "line_at_least":
        return n, float("inf"), f"{_ordinal(n)} line or later"
    if condition.name == "line_at_most":
        return 1, n, f"up to {_ordinal(n)} line"
    return n, n, f"{_ordinal(n)} line"


def _kind_rank(cat: Catalogue, condition: Symbol) -> int:
    """Where a condition's kind comes in KIND_ORDER (a condition without a kind: population)."""
    return KIND_ORDER.index(cat.condition_kind.get(condition, "population"))


def other_lines_reason(
    kb: KnowledgeBase,
    guideline_atom: str,
    regimen: str,
    patient_line: int | None,
    line_conditions: dict[str, Symbol],
) -> str | None:
    """The main reason when every recommendation of the regimen is for another line (issue 9).

    ``line_conditions`` holds, per recommendation label, its line condition that this patient
    does not meet. When every recommendation of the guideline that names the regimen has one, the
    guideline recommends the regimen only in other lines than the patient's: say so plainly, with
    the lines and recommendations, instead of one of their unmet conditions picked by label order.
    """
    cat = kb.catalogue
    recs = sorted(
        rec_id
        for (g, rec_id), rec in cat.recs.items()
        if g == guideline_atom and regimen in rec.get("regimens", [])
    )
    if patient_line is None or not recs or any(r not in line_conditions for r in recs):
        return None
    spans = {r: _line_span(line_conditions[r]) for r in recs}
    by_words: dict[str, list[str]] = {}
    for rec_id in sorted(recs, key=lambda r: (spans[r][0], spans[r][1], r)):
        by_words.setdefault(spans[rec_id][2], []).append(rec_id)
    which = "; ".join(f"{words}: Rec {', '.join(ids)}" for words, ids in by_words.items())
    if all(low > patient_line for low, _, _ in spans.values()):
        when = "after prior systemic therapy" if patient_line == 1 else "in later lines"
    elif all(high < patient_line for _, high, _ in spans.values()):
        when = "in earlier lines"
    else:
        when = "in other lines"
    name = kb.regimen_names.get(regimen, regimen)
    from hcc_asp.render.words import guideline_label

    label = guideline_label(cat.guidelines[guideline_atom]["id"])
    return (
        f"{name} is recommended by {label} only {when} ({which}); "
        f"this patient is at {_ordinal(patient_line)} line."
    )


def regimen_entries(answer: Answer, guideline_atom: str, kb: KnowledgeBase) -> list[dict[str, Any]]:
    """Return one entry per regimen the guideline mentions, in listing order."""
    cat = kb.catalogue
    g = clingo.Function(guideline_atom)

    def of(name: str, arity: int) -> dict[str, list[tuple[Symbol, tuple[Symbol, ...]]]]:
        """The guideline's atoms of name/arity by regimen, each with its arguments (read once)."""
        table: dict[str, list[tuple[Symbol, tuple[Symbol, ...]]]] = defaultdict(list)
        for atom in answer.get(name, arity):
            guideline, regimen, arguments = _per_regimen(atom)
            if guideline == guideline_atom:
                table[regimen].append((atom, arguments))
        return table

    # Two statuses for one regimen is a KB conflict (`hcc-asp check`): keep the most cautious.
    statuses = {regimen: found[-1] for regimen, found in statuses_of(answer, g).items()}
    selected = {r: string_of(found[0][1][2]) for r, found in of("selected_rec", 3).items()}
    reasons, contra = of("reason", 4), of("contraindication_reason", 3)
    missing, actions = of("missing_key", 3), of("action", 3)
    cautions, unassessed = of("caution_for", 3), of("caution_unassessed", 3)
    lines = answer.get("line", 1)
    patient_line = lines[0].arguments[0].number if len(lines) == 1 else None
    outside = not_encoded_of(answer, g)

    entries = []
    for regimen, status in statuses.items():
        rec_id = selected.get(regimen, "")
        rec = cat.recs.get((guideline_atom, rec_id), {})
        parts = ("rec_parts", guideline_atom, rec_id, regimen)
        if parts not in cat.memo:  # the same for every patient: built once per catalogue
            cat.memo[parts] = (_evidence(rec), _sources(rec, regimen))
        evidence, sources = cat.memo[parts]
        entry: dict[str, Any] = {
            "regimen": regimen,
            "status": status,
            # Extension (README): whether the edition's statements for the patient's situation
            # are encoded; "not_encoded" means its "not offered" is not the guideline's verdict.
            "coverage": "not_encoded" if regimen in outside else "encoded",
            "recommendation": rec_id,
            "evidence": dict(evidence),
            "sources": list(sources),
            "reasons": [],
            "missing": sorted({key_text(args[2]) for _, args in missing.get(regimen, [])}),
            "actions": [action_entry(cat, args[2]) for _, args in actions.get(regimen, [])],
            "cautions": [],
        }
        for _, args in contra.get(regimen, []):
            code = name_of(args[2])
            entry["reasons"].append(
                {
                    "code": code,
                    "text": str(cat.safety.get(code, {}).get("text", code)),
                    "kind": "contraindication",
                }
            )
        line_conditions: dict[str, Symbol] = {}
        # The group is sorted (Answer.get): its order is the atoms' order. The selected rec's
        # reasons come first, each rec's by condition kind (line, population, alternative), then
        # in that order (a stable sort).
        unmet = [_unmet_reason(cat, guideline_atom, atom) for atom, _ in reasons.get(regimen, [])]
        for rec_label, condition, reason, line_condition, _ in sorted(
            unmet, key=lambda item: (item[0] != rec_id, item[0], item[4])
        ):
            if line_condition:
                line_conditions[rec_label] = condition
            entry["reasons"].append(dict(reason))
        if status == "not_recommended":
            words = ("other_lines", guideline_atom, regimen, patient_line, *line_conditions.items())
            if words not in cat.memo:  # the same for every patient with these conditions
                cat.memo[words] = other_lines_reason(
                    kb, guideline_atom, regimen, patient_line, line_conditions
                )
            other_lines = cat.memo[words]
            if other_lines:
                entry["reasons"].insert(
                    0,
                    {"code": "line_of_therapy", "text": other_lines, "recommendation": rec_id},
                )
        for _, args in cautions.get(regimen, []):
            code = name_of(args[2])
            text = cat.safety.get(code, {}).get("text") or cat.qualifying_text.get(code, code)
            entry["cautions"].append({"code": code, "text": str(text)})
        entry["cautions_unassessed"] = [
            {"code": code, "text": str(cat.safety.get(code, {}).get("text", ""))}
            for code in (name_of(args[2]) for _, args in unassessed.get(regimen, []))
        ]
        unconfirmed = rec.get("unconfirmed", {})
        if unconfirmed:
            entry["unconfirmed"] = {k: unconfirmed[k] for k in sorted(unconfirmed)}
        entries.append(entry)
    entries.sort(
        key=lambda e: (STATUS_ORDER.index(e["status"]), e["recommendation"] or "~", e["regimen"])
    )
    return entries


def action_entry(cat: Catalogue, action: Symbol) -> dict[str, str]:
    """Word one action of a conditional regimen with the KB's text.

    Most actions are constants with their ``action_text/2``. A time-limited contraindication
    (kb/safety.lp ``start_after_window(Id, Key, T, Left, Scale)``) is worded from the KB's template
    for it, filled with the statement's own text and the window's numbers the KB computed: the
    regimen waits, it is not contraindicated (issue 22, point 3).
    """
    code = name_of(action)
    template = cat.action_text.get(code, code)
    if code != "start_after_window":
        return {"code": code, "text": template}
    ident, key, window, left, scale = arguments_of(action)
    statement = name_of(ident)
    remaining = left.number / scale.number
    if string_of(key).endswith("_days_ago"):
        days = int(remaining) + 1
        when = (
            f"on or after day {window.number + 1} after it ({days} day{'s' * (days != 1)} "
            "from the date of the patient file's data)"
        )
    else:
        when = (
            f"once more than {window.number} months have passed since it (more than "
            f"{remaining:g} month{'s' * (remaining != 1)} from the date of the patient file's data)"
        )
    safety = str(cat.safety.get(statement, {}).get("text", statement))
    text = template.format(safety=safety, when=when)
    return {"code": code, "text": text, "statement": statement}


@lru_cache(maxsize=1 << 15)
def _per_regimen(atom: Symbol) -> tuple[str, str, tuple[Symbol, ...]]:
    """``name(Guideline, Regimen, ...)`` as its guideline's text, regimen name and arguments.

    Read once per process for each distinct atom (see ``hcc_asp.engine.ground.arguments_of``). The
    guideline's text equals a guideline atom's name exactly when the term is that constant.
    """
    arguments = arguments_of(atom)
    return str(arguments[0]), name_of(arguments[1]), arguments


def _unmet_reason(
    cat: Catalogue, guideline_atom: str, atom: Symbol
) -> tuple[str, Symbol, dict[str, str], bool, int]:
    """A ``reason(G, Regimen, Rec, Condition)`` atom, read once per catalogue.

    Its rec, its condition, the reason entry (the same for every patient; the caller copies it),
    whether the condition is an unmet line condition (not an exclusion) and where its kind comes
    in KIND_ORDER.
    """
    key = ("unmet_reason", atom)
    memo = cat.memo.get(key)
    if memo is None:
        arguments = arguments_of(atom)
        rec_label, condition = string_of(arguments[2]), arguments[3]
        excluded = condition in cat.recs.get((guideline_atom, rec_label), {}).get("excludes", [])
        label = condition_label(cat, condition)
        # The KB's words for this condition failing, when it has them (kb/labels.lp unmet/1).
        unmet = cat.condition_label.get(clingo.Function("unmet", [condition]))
        reason = {
            "code": condition_code(cat, condition),
            "text": unmet.replace("{rec}", rec_label)
            if unmet
            else f"Rec {rec_label} does not apply with {label}."
            if excluded
            else f"Rec {rec_label} requires {label}: not met.",
            "recommendation": rec_label,
        }
        line_condition = cat.condition_kind.get(condition) == "line" and not excluded
        kind = _kind_rank(cat, condition)
        memo = cat.memo[key] = (rec_label, condition, reason, line_condition, kind)
    return memo


def draft_notes(cat: Catalogue, guideline_atom: str) -> list[dict[str, str]]:
    """The note every answer under a draft edition (``guideline_draft/2``) carries, first."""
    why = cat.guidelines[guideline_atom].get("draft")
    if why is None:
        return []
    public = cat.guidelines[guideline_atom]["id"]
    return [
        {
            "code": "draft_edition",
            "text": f"{public} is a DRAFT edition, not for clinical use: {why}",
        }
    ]


def notes_of(answer: Answer, guideline_atom: str, cat: Catalogue) -> list[dict[str, str]]:
    """The guideline's patient-level notes, each with the KB's words (a draft's note first)."""
    return draft_notes(cat, guideline_atom) + [
        {
            "code": a.arguments[1].name,
            "text": cat.note_text.get(a.arguments[1].name, a.arguments[1].name),
        }
        for a in answer.get("note", 2)
        if a.arguments[0].name == guideline_atom
    ]


def recommend(
    patient: Any, guideline: str | None = None, kb: KnowledgeBase | None = None
) -> dict[str, Any]:
    """Return the `recommend --format json` document for one patient (spec/cli.md).

    ``kb``: the knowledge base to ask (``hcc_asp.open_kb(path)``); the shipped one by default.
    """
    kb = or_shipped(kb)
    guideline_atom = resolve_guideline(guideline, kb)
    answer = solve_patient(patient, kb, guidelines=[guideline_atom])
    return recommend_document(patient, answer, guideline_atom, kb)


def recommend_document(
    patient: Any, answer: Answer, guideline_atom: str, kb: KnowledgeBase
) -> dict[str, Any]:
    """Build the `recommend` document from one patient's answer (the one- and many-patient paths).

    Both `recommend` and the batch engine (``hcc_asp.recommend_many``) call this with the same
    shown atoms, which is what makes their documents byte-identical.
    """
    cat = kb.catalogue
    lines = answer.get("line", 1)
    g = clingo.Function(guideline_atom)
    notes = notes_of(answer, guideline_atom, cat)
    for regimen, found in sorted(statuses_of(answer, g).items()):
        if len(found) > 1:
            notes.append(
                {
                    "code": "kb_conflict",
                    "text": f"The knowledge base gives {regimen} several statuses "
                    f"({', '.join(found)}); the most cautious is shown. Run `hcc-asp check`.",
                }
            )
    derived = derived_values(answer)
    derived["child_pugh_components"] = child_pugh_components(answer, patient)
    document: dict[str, Any] = {
        "format": FORMAT,
        "patient": patient.id,
        "guideline": cat.guidelines[guideline_atom]["id"],
        "line": lines[0].arguments[0].number if len(lines) == 1 else None,
        "derived": derived,
        "regimens": regimen_entries(answer, guideline_atom, kb),
        "notes": notes,
        # Extension of the contract: the lenvatinib-vs-sorafenib ordering (README, "Preference").
        "preference": preference(answer, guideline_atom, cat),
    }
    sources = patient.sources() if hasattr(patient, "sources") else {}
    if sources:  # a patient read from a health record (README, "FHIR input"): additive key
        from hcc_asp.patient.sources import annotate_recommend

        annotate_recommend(document, sources)
    return document
