"""The catalogue: everything the KB states independently of any patient, read once per KB value.

Guidelines, recommendations, evidence, safety statements and the words for them, gathered from the
KB's model without a patient and kept in the per-KB disk cache (``hcc_asp.knowledge.cache``) so
that a cold command does not solve the whole KB again. ``KnowledgeBase.catalogue`` holds it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import clingo
from clingo import Symbol


def _text(symbol: Symbol) -> str:
    return symbol.string if symbol.type == clingo.SymbolType.String else str(symbol)


@dataclass
class Catalogue:
    """Everything the KB states independently of any patient.

    Guidelines, recommendations, evidence, safety statements and the words for them; read once
    per KB value and kept in the disk cache (``hcc_asp.knowledge.cache``) between processes.
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
    #: patient-independent pieces of documents, built once per catalogue (not in the disk cache)
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)


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


def encode(cat: Catalogue) -> dict[str, Any]:
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


def decode(data: dict[str, Any]) -> Catalogue:
    """Invert ``encode`` (the Symbols' texts parsed back by ``clingo.parse_term``)."""
    cat = Catalogue(**{name: data[name] for name in _PLAIN_FIELDS})
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


def build(atoms: list[Symbol]) -> Catalogue:
    """Gather the statements of the KB's model without a patient (what the cache keeps)."""
    cat = Catalogue()
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


def guideline_ids(cat: Catalogue) -> list[str]:
    """Return the public ids of the encoded guidelines, newest first then by id."""
    entries = sorted(cat.guidelines.values(), key=lambda g: (-int(g["year"]), str(g["id"])))
    return [str(g["id"]) for g in entries]


def default_guideline(cat: Catalogue) -> str:
    """Return the newest encoded ASCO edition (the contract's default); never a draft."""
    ids = guideline_ids(cat)
    reviewed = [g for g in ids if "draft" not in cat.guidelines[cat.guideline_atom[g]]]
    asco = [g for g in reviewed if g.startswith("asco-")]
    return asco[0] if asco else (reviewed or ids)[0]


def guideline_rows(cat: Catalogue) -> list[dict[str, Any]]:
    """The encoded guidelines (newest first), then the known ones not encoded, with why.

    The rows of `hcc-asp guidelines` (``hcc_asp.api.guideline_list``) and of the renderers'
    context (``hcc_asp.render.context``).

    An encoded edition marked ``guideline_draft/2`` has status ``draft`` and says why.
    """
    rows = []
    for public in guideline_ids(cat):
        info = cat.guidelines[cat.guideline_atom[public]]
        rows.append(
            {
                "id": public,
                "title": info.get("title", ""),
                "year": info.get("year"),
                "citation": info.get("citation", ""),
                "doi": info.get("doi", ""),
                "grading": info.get("grading", ""),
                "status": "draft" if "draft" in info else "encoded",
            }
        )
        if "draft" in info:  # guideline_draft/2: encoded, but not for clinical use
            rows[-1]["why"] = info["draft"]
        supersedes = info.get("supersedes")
        if supersedes:
            # The older edition may not be registered in this KB (a trimmed copy): name its atom.
            older = cat.guidelines.get(str(supersedes), {})
            rows[-1]["supersedes"] = older.get("id", str(supersedes))
    for public, info in sorted(cat.not_encoded.items(), key=lambda i: (-int(i[1]["year"]), i[0])):
        rows.append(
            {
                "id": public,
                "title": info["title"],
                "year": info["year"],
                "citation": "",
                "doi": "",
                "grading": "",
                "status": "not_encoded",
                "why": info["why"],
            }
        )
    return rows
