"""`recommend`: every regimen a guideline mentions, with its status for one patient.

The KB decides every status, reason, missing key and action (``kb/decision.lp``); this module
only words the decoded answer (``hcc_asp.engine.decode``: typed records, no clingo Symbol) with
the KB's own texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hcc_asp.engine.decode import (
    STATUS_ORDER,
    Action,
    Condition,
    Decoded,
    GuidelineAnswer,
    Unmet,
    decode,
)
from hcc_asp.engine.facts import patient_data
from hcc_asp.engine.ground import solve_shown
from hcc_asp.knowledge import KnowledgeBase, or_shipped
from hcc_asp.preference import preference

if TYPE_CHECKING:
    from hcc_asp.knowledge.catalogue import Catalogue

#: Output format version of the JSON documents (spec/cli.md).
FORMAT = 1
__all__ = [
    "STATUS_ORDER",
    "public_guideline",
    "recommend",
    "recommend_document",
    "resolve_guideline",
]


class UnknownGuidelineError(ValueError):
    """The guideline id is not encoded in the KB."""


class InputConflictError(ValueError):
    """The patient file contradicts itself in a way only the KB can see (e.g. Child-Pugh)."""

    def __init__(self, problems: list[str]) -> None:
        """Keep one line per problem."""
        super().__init__("\n".join(problems))
        self.problems = problems


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
) -> Decoded:
    """Solve the KB for one patient and decode the answer; raise InputConflictError on a conflict.

    ``guidelines`` (atoms) grounds only those guideline files; None grounds every guideline.
    """
    decoded = decode(solve_shown(patient, kb, programs, guidelines), kb)
    conflict = input_conflict(decoded)
    if conflict is not None:
        raise conflict
    return decoded


#: How ``input_conflict/3`` bounds on the Child-Pugh score read (kb/derivations.lp).
_SCORE_BOUNDS = {"at_least": "at least", "at_most": "at most"}


def input_conflict(decoded: Decoded) -> InputConflictError | None:
    """The contradictions the KB found in one patient's own values, or None.

    One line per given key and value, naming what contradicts it: a value derived from the other
    data, a bound on the Child-Pugh score from its known components, or every
    ``contradicts(Key, Value)`` term for that key (a given BCLC stage the other values rule out).
    """
    if not decoded.conflicts:
        return None
    lines: dict[tuple[str, str], list[str]] = {}
    for c in decoded.conflicts:
        head = (c.key, c.given)
        if c.kind == "contradicts":
            lines.setdefault(head, []).append(f"{c.what} {c.value}")
        elif c.kind in _SCORE_BOUNDS:
            bound = f"{_SCORE_BOUNDS[c.kind]} {c.what}"
            lines[head] = [
                "disagrees with the Child-Pugh components given (labs, liver.ascites, "
                f"liver.encephalopathy), which give a score of {bound}"
            ]
        else:
            lines[head] = [f"disagrees with {c.what} derived from the other values"]
    problems = []
    for (key_name, given_text), parts in lines.items():
        if parts[0].startswith("disagrees"):
            problems.append(f"{key_name}: given {given_text} {parts[0]}")
        else:
            found = ", ".join(sorted(set(parts)))
            problems.append(f"{key_name}: given {given_text} contradicts {found}")
    return InputConflictError(problems)


def derived_values(decoded: Decoded) -> dict[str, Any]:
    """The derived scores of the contract: Child-Pugh, ALBI, BCLC (None when unknown); a copy."""
    return {
        key: dict(value) if isinstance(value, dict) else value
        for key, value in decoded.derived.items()
    }


#: Patient-file keys of each Child-Pugh component, in the order the table lists them.
CHILD_PUGH_KEYS = {
    "bilirubin": ("labs.bilirubin_mg_dl", "labs.bilirubin_umol_l"),
    "albumin": ("labs.albumin_g_dl", "labs.albumin_g_l"),
    "inr": ("labs.inr",),
    "ascites": ("liver.ascites",),
    "encephalopathy": ("liver.encephalopathy",),
}


def child_pugh_components(decoded: Decoded, patient: Any) -> dict[str, dict[str, Any]]:
    """Each Child-Pugh component: the patient's value (key as given) and the KB's points.

    An extension of ``derived`` (additive key ``child_pugh_components``) so that a report shows
    the score's parts.
    """
    points = decoded.child_pugh_points
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


def _line_span(condition: Condition) -> tuple[int, float, str]:
    """The lines a line condition allows (lowest, highest) and its words."""
    assert condition.line is not None, condition  # a condition of kind "line" names its line
    name, n = condition.line
    if name == "line_at_least":
        return n, float("inf"), f"{_ordinal(n)} line or later"
    if name == "line_at_most":
        return 1, n, f"up to {_ordinal(n)} line"
    return n, n, f"{_ordinal(n)} line"


def _kind_rank(condition: Condition) -> int:
    """Where a condition's kind comes in KIND_ORDER (a condition without a kind: population)."""
    return KIND_ORDER.index(condition.kind or "population")


def other_lines_reason(
    kb: KnowledgeBase,
    guideline_atom: str,
    regimen: str,
    patient_line: int | None,
    line_conditions: dict[str, Condition],
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


def regimen_entries(
    decoded: Decoded, guideline_atom: str, kb: KnowledgeBase
) -> list[dict[str, Any]]:
    """Return one entry per regimen the guideline mentions, in listing order."""
    cat = kb.catalogue
    answer = decoded.guideline(guideline_atom)
    patient_line = decoded.line
    entries = []
    for regimen, found in answer.regimens.items():
        # Two statuses for one regimen is a KB conflict (`hcc-asp check`): the most cautious.
        status = found.status
        rec_id = found.recommendation
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
            "coverage": "not_encoded" if regimen in answer.not_encoded else "encoded",
            "recommendation": rec_id,
            "evidence": dict(evidence),
            "sources": list(sources),
            "reasons": [
                {
                    "code": code,
                    "text": str(cat.safety.get(code, {}).get("text", code)),
                    "kind": "contraindication",
                }
                for code in found.contraindications
            ],
            "missing": sorted(set(found.missing)),
            "actions": [action_entry(cat, action) for action in found.actions],
            "cautions": [],
        }
        line_conditions: dict[str, Condition] = {}
        # The reasons come in the atoms' order. The selected rec's reasons come first, each rec's
        # by condition kind (line, population, alternative), then in that order (a stable sort).
        for unmet in sorted(
            found.unmet,
            key=lambda u: (u.recommendation != rec_id, u.recommendation, _kind_rank(u.condition)),
        ):
            if unmet.condition.kind == "line" and not unmet.excluded:
                line_conditions[unmet.recommendation] = unmet.condition
            entry["reasons"].append(dict(_unmet_reason(cat, unmet)))
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
        for code in found.cautions:
            text = cat.safety.get(code, {}).get("text") or cat.qualifying_text.get(code, code)
            entry["cautions"].append({"code": code, "text": str(text)})
        entry["cautions_unassessed"] = [
            {"code": code, "text": str(cat.safety.get(code, {}).get("text", ""))}
            for code in found.cautions_unassessed
        ]
        unconfirmed = rec.get("unconfirmed", {})
        if unconfirmed:
            entry["unconfirmed"] = {k: unconfirmed[k] for k in sorted(unconfirmed)}
        entries.append(entry)
    entries.sort(
        key=lambda e: (STATUS_ORDER.index(e["status"]), e["recommendation"] or "~", e["regimen"])
    )
    return entries


def action_entry(cat: Catalogue, action: Action) -> dict[str, str]:
    """Word one action of a conditional regimen with the KB's text.

    Most actions are constants with their ``action_text/2``. A time-limited contraindication
    (kb/safety.lp ``start_after_window(Id, Key, T, Left, Scale)``) is worded from the KB's template
    for it, filled with the statement's own text and the window's numbers the KB computed: the
    regimen waits, it is not contraindicated (issue 22, point 3).
    """
    code = action.code
    template = cat.action_text.get(code, code)
    if action.window is None:
        return {"code": code, "text": template}
    statement, key, window, left, scale = action.window
    remaining = left / scale
    if key.endswith("_days_ago"):
        days = int(remaining) + 1
        when = (
            f"on or after day {window + 1} after it ({days} day{'s' * (days != 1)} "
            "from the date of the patient file's data)"
        )
    else:
        when = (
            f"once more than {window} months have passed since it (more than "
            f"{remaining:g} month{'s' * (remaining != 1)} from the date of the patient file's data)"
        )
    safety = str(cat.safety.get(statement, {}).get("text", statement))
    text = template.format(safety=safety, when=when)
    return {"code": code, "text": text, "statement": statement}


def _unmet_reason(cat: Catalogue, unmet: Unmet) -> dict[str, str]:
    """The reason entry of one unmet condition (the same for every patient; the caller copies it).

    Built once per catalogue and record: the KB's words for this condition failing when it has
    them (kb/labels.lp ``unmet/1``), else the condition's label in a plain sentence.
    """
    key = ("unmet_reason", unmet)
    reason = cat.memo.get(key)
    if reason is None:
        rec_label, condition = unmet.recommendation, unmet.condition
        reason = cat.memo[key] = {
            "code": condition.code,
            "text": condition.unmet.replace("{rec}", rec_label)
            if condition.unmet
            else f"Rec {rec_label} does not apply with {condition.label}."
            if unmet.excluded
            else f"Rec {rec_label} requires {condition.label}: not met.",
            "recommendation": rec_label,
        }
    return reason


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


def notes_of(answer: GuidelineAnswer, guideline_atom: str, cat: Catalogue) -> list[dict[str, str]]:
    """The guideline's patient-level notes, each with the KB's words (a draft's note first)."""
    return draft_notes(cat, guideline_atom) + [
        {"code": code, "text": cat.note_text.get(code, code)} for code in answer.notes
    ]


def recommend(
    patient: Any, guideline: str | None = None, kb: KnowledgeBase | None = None
) -> dict[str, Any]:
    """Return the `recommend --format json` document for one patient (spec/cli.md).

    ``kb``: the knowledge base to ask (``hcc_asp.open_kb(path)``); the shipped one by default.
    """
    kb = or_shipped(kb)
    guideline_atom = resolve_guideline(guideline, kb)
    decoded = solve_patient(patient, kb, guidelines=[guideline_atom])
    return recommend_document(patient, decoded, guideline_atom, kb)


def recommend_document(
    patient: Any, decoded: Decoded, guideline_atom: str, kb: KnowledgeBase
) -> dict[str, Any]:
    """Build the `recommend` document from one patient's decoded answer (one- and many-patient).

    Both `recommend` and the batch engine (``hcc_asp.recommend_many``) call this with the records
    of the same shown atoms, which is what makes their documents byte-identical.
    """
    cat = kb.catalogue
    answer = decoded.guideline(guideline_atom)
    notes = notes_of(answer, guideline_atom, cat)
    for regimen, found in sorted(answer.regimens.items()):
        if len(found.statuses) > 1:
            notes.append(
                {
                    "code": "kb_conflict",
                    "text": f"The knowledge base gives {regimen} several statuses "
                    f"({', '.join(found.statuses)}); the most cautious is shown. "
                    "Run `hcc-asp check`.",
                }
            )
    derived = derived_values(decoded)
    derived["child_pugh_components"] = child_pugh_components(decoded, patient)
    document: dict[str, Any] = {
        "format": FORMAT,
        "patient": patient.id,
        "guideline": cat.guidelines[guideline_atom]["id"],
        "line": decoded.line,
        "derived": derived,
        "regimens": regimen_entries(decoded, guideline_atom, kb),
        "notes": notes,
        # Extension of the contract: the lenvatinib-vs-sorafenib ordering (README, "Preference").
        "preference": preference(answer.preference, decoded.doses, cat),
    }
    sources = patient.sources() if hasattr(patient, "sources") else {}
    left_out = patient.record_notes() if hasattr(patient, "record_notes") else []
    if sources or left_out:  # a patient read from a health record (README, "FHIR input")
        from hcc_asp.patient.sources import annotate_recommend

        annotate_recommend(document, sources, left_out)
    return document
