"""`explain` / `why-not`: why a regimen has its status, as a derivation tree down to patient data.

Mechanism (README, "Explanations"): the KB is loaded with a shadow rule per rule
(``hcc_asp.knowledge.program``), so the stable model records which rule derived each atom from which
body atoms. The tree of an atom is its rule's positive body atoms, recursively, down to the
patient's facts (leaves naming the patient-file key and value) and to the KB's facts (leaves naming
the guideline's recommendation). Internal helper atoms (``_name``) are flattened into their parents,
with *all* their derivations, so that "some requirement fails" shows every failing requirement.

Which atoms the tree of a status starts from is read from the KB's own output: for a regimen not
offered, every recommendation naming it (each with every unmet condition) and every contraindication
that holds; for a conditional one, what is unknown and what must be done first; for a recommended
one, every condition of the met recommendation and every contraindication cleared.

``would_change_if`` solves ``queries/whatif.lp``: the fewest changes of patient values, within the
patient space, that make the regimen recommended.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

import clingo
from clingo import Function, Number, String, Symbol

from hcc_asp.engine.decode import condition, decode
from hcc_asp.engine.facts import (
    patient_data,
    patient_facts,
    plain_value,
    unscaled,
    value_symbol,
)
from hcc_asp.engine.ground import Answer, ground_and_solve, key_text
from hcc_asp.knowledge import KnowledgeBase, or_shipped
from hcc_asp.knowledge.compiled import FIRED, Compiled, fired_name
from hcc_asp.knowledge.folders import queries_dir
from hcc_asp.knowledge.solving import Context, add_facts, add_text, new_control
from hcc_asp.knowledge.vocabulary import did_you_mean
from hcc_asp.preference import CHOICE, order_of
from hcc_asp.recommend import (
    InputConflictError,
    child_pugh_components,
    derived_values,
    draft_notes,
    recommend,
    resolve_guideline,
)
from hcc_asp.space import key_domain, schema_keys, sections

#: Bookkeeping predicates left out of trees: they restate the KB's structure, not a reason.
HIDDEN = frozenset(
    {
        ("condition", 1),
        ("scale", 2),
        ("child_pugh_component", 1),
        ("child_pugh_key", 2),
        ("in_set", 2),
        ("in_value_set", 2),
        ("absent_means_none", 2),
        ("mentioned", 2),
        ("guideline", 4),
    }
)
INPUT = frozenset({("value", 2), ("given", 1), ("prior", 3), ("patient", 1)})
MAX_DEPTH = 14
FIRED_PREFIX = FIRED + "__"
#: One derivation of an atom: rule id, positive body atoms, negative body atoms.
Support = tuple[str, tuple[Symbol, ...], tuple[Symbol, ...]]
MAX_SETS = 8


class UnknownRegimenError(ValueError):
    """The regimen id or alias is not in the vocabulary."""


def _is_internal(atom: Symbol) -> bool:
    return _signature(atom)[0].startswith("_")  # only a function's name can start with "_"


@lru_cache(maxsize=1 << 16)
def _signature(atom: Symbol) -> tuple[str, int]:
    """(name, arity) of an atom, remembered: a tree asks several times per atom, each a C call."""
    if atom.type != clingo.SymbolType.Function:
        return (str(atom), 0)
    return atom.name, len(atom.arguments)


class Explainer:
    """Build derivation trees from one solve of the KB with shadow rules."""

    def __init__(self, program: Compiled, atoms: Sequence[Symbol], kb: KnowledgeBase) -> None:
        """Index the model once: true atoms by predicate, shadow atoms by the predicate they derive.

        A shadow predicate's atoms are unpacked (arguments read, indexed by head) only when an
        atom of its head predicate is shown: a tree visits a few dozen of the hundreds of
        predicates. Facts carry no shadow and are found in ``program.facts``. Names starting
        with ``_fired__`` are reserved for the shadows (``hcc_asp.knowledge.compiled.fired_name``).
        """
        self.program = program
        self.kb = kb
        self.catalogue = kb.catalogue
        self._fired: dict[Symbol, list[Sequence[Symbol]]] = defaultdict(list)
        self._shadows: dict[str, list[Symbol]] = defaultdict(list)
        self._supports: dict[Symbol, list[Support]] = {}
        self._prefixes: dict[tuple[str, int, int], dict[tuple[Symbol, ...], list[Symbol]]] = {}
        self._order = program.rule_order
        by_name: dict[str, list[Symbol]] = defaultdict(list)
        true: list[Symbol] = []
        for atom in atoms:
            name = _signature(atom)[0]  # remembered across solves: most atoms recur
            if name.startswith(FIRED_PREFIX):
                self._shadows[name].append(atom)
                continue
            true.append(atom)
            by_name[name].append(atom)
        #: the patient's answer (the model without the shadows), sharing this index
        self.answer = Answer(true, by_name)
        self.guideline_atoms = set(self.catalogue.guidelines)

    def _derivations(self, atom: Symbol) -> list[Sequence[Symbol]]:
        """The shadow atoms' arguments (rule id, head, positive, negative) that derive ``atom``."""
        shadows = self._shadows.pop(fired_name(*_signature(atom)), None)
        for shadow in shadows or ():
            arguments = shadow.arguments
            self._fired[arguments[1]].append(arguments)
        return self._fired.get(atom, [])

    def supports(self, atom: Symbol) -> list[Support]:
        """Every derivation of a true atom: (rule id, positive body, negative body), rule order."""
        found = self._supports.get(atom)
        if found is None:
            found = [
                (rule_id.string, tuple(positive.arguments), tuple(negative.arguments))
                for rule_id, _, positive, negative in self._derivations(atom)
            ]
            facts = self.program.facts.get(str(atom)) if self.program.facts else None
            found.extend((rule_id, (), ()) for rule_id in facts or ())
            found.sort(key=lambda s: (self._order.get(s[0], 10**9), s))
            self._supports[atom] = found
        return found

    # words -----------------------------------------------------------------------------------
    def render_term(self, term: Symbol) -> str:
        """A term in words: a condition by its label, a guideline by its id, a string as is."""
        if term.type == clingo.SymbolType.String:
            return term.string
        if term.type == clingo.SymbolType.Number:
            return str(term.number)
        if term in self.catalogue.condition_label:
            return condition(self.catalogue, term).label
        if term.type == clingo.SymbolType.Function and not term.arguments:
            if term.name in self.guideline_atoms:
                return str(self.catalogue.guidelines[term.name]["id"])
            if term.name in ("a", "b", "c", "d"):
                return term.name.upper()
            return term.name
        return str(term)

    def text(self, atom: Symbol) -> str:
        """The atom in plain words, from its predicate's ``Text:`` template in the KB."""
        name, arity = _signature(atom)
        if (name, arity) == ("value", 2):
            return self._value_text(atom.arguments[0].string, atom.arguments[1])
        if (name, arity) == ("prior", 3):
            line, field, value = atom.arguments
            return f"prior_therapies[{line.number - 1}].{field.name} = {self.render_term(value)}"
        if (name, arity) == ("given", 1):
            return f"{atom.arguments[0].string} is given in the patient file"
        doc = self.program.docs.get((name, arity))
        if doc is None or not doc.template:
            return str(atom)
        values = dict(zip(doc.args, atom.arguments, strict=False))

        def fill(match: re.Match[str]) -> str:
            name, _, divisor = match.group(1).partition("/")
            term = values.get(name)
            if term is None:
                return match.group(0)
            if divisor and term.type == clingo.SymbolType.Number:
                return f"{Decimal(term.number) / Decimal(divisor):.2f}".rstrip("0").rstrip(".")
            return self.render_term(term)

        return re.sub(r"\{([A-Za-z]+(?:/\d+)?)\}", fill, doc.template)

    def _value_text(self, key: str, value: Symbol) -> str:
        if value.type == clingo.SymbolType.Number:
            return f"{key} = {unscaled(key, value.number, self.kb)} (patient file)"
        return f"{key} = {self.render_term(value)} (patient file)"

    def source(self, atom: Symbol, rule_comment: str) -> str:
        """The guideline recommendation or safety statement behind the atom, else the rule tags."""
        if atom.type == clingo.SymbolType.Function:
            arguments = list(atom.arguments)
            for index, argument in enumerate(arguments):
                if (
                    argument.type == clingo.SymbolType.Function
                    and argument.name in self.guideline_atoms
                ):
                    info = self.catalogue.guidelines[argument.name]
                    rec = ""
                    if (
                        index + 1 < len(arguments)
                        and arguments[index + 1].type == clingo.SymbolType.String
                    ):
                        rec = f", Rec {arguments[index + 1].string}"
                    return f"{info['id']}{rec}: {info.get('citation', '')}"
                if (
                    argument.type == clingo.SymbolType.Function
                    and argument.name in self.catalogue.safety
                ):
                    statement = self.catalogue.safety[argument.name]
                    return f"{statement.get('kind', '')}: {statement.get('source', '')}"
        tags = re.findall(r"\[S[0-9a-z, S]+\]", rule_comment)
        return " ".join(tags)

    # trees -----------------------------------------------------------------------------------
    def node(
        self, atom: Symbol, path: frozenset[Symbol] = frozenset(), depth: int = 0
    ) -> dict[str, Any]:
        """The derivation tree of a true atom."""
        signature = _signature(atom)
        node: dict[str, Any] = {"atom": str(atom), "text": self.text(atom)}
        if signature in INPUT:
            node.update(rule=None, source="patient file", because=[])
            if signature == ("value", 2):
                key = atom.arguments[0].string
                raw = atom.arguments[1]
                node["key"] = key
                node["value"] = (
                    unscaled(key, raw.number, self.kb)
                    if raw.type == clingo.SymbolType.Number
                    else self.render_term(raw)
                )
            elif signature == ("prior", 3):
                node["key"] = (
                    f"prior_therapies[{atom.arguments[0].number - 1}].{atom.arguments[1].name}"
                )
                node["value"] = self.render_term(atom.arguments[2])
            elif signature == ("given", 1):
                node["key"] = atom.arguments[0].string
            return node
        supports = self.supports(atom)
        if not supports:
            node.update(rule=None, source="", because=[])
            return node
        rule_id, positive, negative = supports[0]
        info = self.program.rules.get(rule_id)
        node["rule"] = f"kb/{rule_id}"
        node["rule_id"] = info.label if info else ""
        node["rule_text"] = info.comment if info else ""
        node["source"] = self.source(atom, info.comment if info else "")
        if info and info.is_fact:
            node["because"] = []
            return node
        node["because"] = self.children(positive, negative, path | {atom}, depth + 1)
        return node

    def children(
        self,
        positive: Sequence[Symbol],
        negative: Sequence[Symbol],
        path: frozenset[Symbol],
        depth: int,
    ) -> list[dict[str, Any]]:
        """Child nodes of one derivation step; internal atoms flattened with all derivations."""
        out: list[dict[str, Any]] = []
        if depth > MAX_DEPTH:
            return out
        for atom in positive:
            if _signature(atom) in HIDDEN or atom in path:
                continue
            if _is_internal(atom):
                for _rule, pos, neg in self.supports(atom):
                    out.extend(self.children(pos, neg, path | {atom}, depth + 1))
                continue
            out.append(self.node(atom, path, depth))
        for atom in negative:
            if _is_internal(atom) or _signature(atom) in HIDDEN:
                continue
            if _signature(atom) == ("given", 1):
                text = f"{atom.arguments[0].string} is not given in the patient file"
            else:
                text = f"not: {self.text(atom)}"
            out.append(
                {"atom": f"not {atom}", "text": text, "rule": None, "source": "", "because": []}
            )
        unique: list[dict[str, Any]] = []
        seen: set[str] = set()
        for child in out:
            if child["atom"] not in seen:
                seen.add(child["atom"])
                unique.append(child)
        return unique

    def atoms(self, name: str, arity: int, **fixed: Symbol) -> list[Symbol]:
        """True atoms of name/arity whose leading arguments equal the given ones (positionally).

        Each group is indexed once by its leading arguments: a document asks the same predicates
        for several recommendations, and reading an atom's arguments is a call into clingo.
        """
        values = tuple(fixed.values())
        group = self.answer.get(name, arity)
        if not values:
            return list(group)
        key = (name, arity, len(values))
        index = self._prefixes.get(key)
        if index is None:
            index = self._prefixes[key] = defaultdict(list)
            for atom in group:  # sorted, so each list keeps the group's order
                index[tuple(atom.arguments[: len(values)])].append(atom)
        return list(index.get(values, ()))


def _solve_with_shadows(
    patient: Any, kb: KnowledgeBase, guideline_atom: str
) -> tuple[Compiled, list[Symbol]]:
    program = kb.compiled(explained=True)
    text = program.text([guideline_atom], explained=True)
    atoms, _ = ground_and_solve(kb, patient_facts(patient, kb), text=text)
    return program, atoms


def explain(
    patient: Any,
    regimen: str,
    guideline: str | None = None,
    kb: KnowledgeBase | None = None,
    counterfactuals: bool = True,
) -> dict[str, Any]:
    """Return the `explain --format json` document (spec/cli.md) for one patient and regimen.

    ``kb``: the knowledge base to ask (``hcc_asp.open_kb(path)``); the shipped one by default.
    """
    kb = or_shipped(kb)
    regimen_id = kb.resolve_regimen(regimen)
    if regimen_id is None:
        hint = did_you_mean(regimen, kb.regimen_spellings)
        raise UnknownRegimenError(
            f"unknown regimen '{regimen}'{hint}; `hcc-asp regimens` lists ids and aliases"
        )
    guideline_atom = resolve_guideline(guideline, kb)
    explainer = _explainer(patient, guideline, guideline_atom, kb)
    return _document(explainer, patient, guideline_atom, regimen_id, kb, counterfactuals)


def explain_all(
    patient: Any, guideline: str | None = None, kb: KnowledgeBase | None = None
) -> dict[str, dict[str, Any]]:
    """The explanation of every regimen the guideline mentions, from one solve (no what-ifs).

    Used by the HTML report of ``recommend``, which shows each regimen's tree.
    """
    kb = or_shipped(kb)
    guideline_atom = resolve_guideline(guideline, kb)
    explainer = _explainer(patient, guideline, guideline_atom, kb)
    g = Function(guideline_atom)
    regimen_ids = sorted({a.arguments[1].name for a in explainer.atoms("status", 3, g=g)})
    return {
        regimen_id: _document(explainer, patient, guideline_atom, regimen_id, kb, False)
        for regimen_id in regimen_ids
    }


def _explainer(
    patient: Any, guideline: str | None, guideline_atom: str, kb: KnowledgeBase
) -> Explainer:
    """Solve once with shadow rules; an input conflict raises the KB's own lines."""
    program, atoms = _solve_with_shadows(patient, kb, guideline_atom)
    explainer = Explainer(program, atoms, kb)
    answer = explainer.answer
    if answer.get("input_conflict", 3):
        recommend(patient, guideline, kb)  # raises InputConflictError with the KB's lines
        raise InputConflictError(["the patient file contradicts itself"])  # nocoverage
    return explainer


def _document(
    explainer: Explainer,
    patient: Any,
    guideline_atom: str,
    regimen_id: str,
    kb: KnowledgeBase,
    counterfactuals: bool,
) -> dict[str, Any]:
    """The explain document of one regimen from a solved explainer."""
    g, r = Function(guideline_atom), Function(regimen_id)
    statuses = explainer.atoms("status", 3, g=g, r=r)
    cat = explainer.catalogue
    document: dict[str, Any] = {
        "format": 1,
        "patient": patient.id,
        "guideline": cat.guidelines[guideline_atom]["id"],
        "regimen": regimen_id,
    }
    notes = draft_notes(cat, guideline_atom)
    if not statuses:
        document.update(
            status="not_mentioned",
            because=[],
            would_change_if=[],
            note=f"{document['guideline']} does not mention {regimen_id}",
            derived=_derived(explainer, patient),
        )
        if notes:
            document["notes"] = notes
        return document
    status = statuses[0].arguments[2].name
    because: list[dict[str, Any]] = []
    outcomes = explainer.atoms("rec_outcome", 4, g=g)
    outcomes = [a for a in outcomes if a.arguments[2] == r]
    if status == "recommended":
        for outcome in outcomes:
            if outcome.arguments[3].name != "met":
                continue
            node = _outcome_node(explainer, outcome)
            rec = outcome.arguments[1]
            node["because"] = [
                explainer.node(s) for s in explainer.atoms("satisfied", 4, g=g, q=rec, r=r)
            ]
            because.append(node)
        because.extend(explainer.node(a) for a in explainer.atoms("cleared", 2, r=r))
    else:
        because.extend(
            explainer.node(a) for a in explainer.atoms("regimen_contraindication", 2, r=r)
        )
        ranked = sorted(outcomes, key=lambda a: (a.arguments[3].name != "conditional", a))
        for outcome in ranked:
            if status == "conditional" and outcome.arguments[3].name == "not_met":
                continue
            node = _outcome_node(explainer, outcome)
            if outcome.arguments[3].name == "met":
                # Met, yet conditional on safety: show what the recommendation rests on.
                rec = outcome.arguments[1]
                node["because"] = [
                    explainer.node(s) for s in explainer.atoms("satisfied", 4, g=g, q=rec, r=r)
                ]
            because.append(node)
        if status == "conditional":
            because.extend(
                explainer.node(a)
                for a in explainer.atoms("regimen_contraindication_unknown", 2, r=r)
            )
            # Gating cautions (kb/safety.lp safety_action/2): an action first, or data to find.
            because.extend(explainer.node(a) for a in explainer.atoms("regimen_gate", 3, r=r))
            because.extend(
                explainer.node(a) for a in explainer.atoms("regimen_gate_unknown", 2, r=r)
            )
    for caution in explainer.atoms("caution_for", 3, g=g, r=r):
        because.append(explainer.node(caution))
    document["status"] = status
    document["recommendation"] = next(
        (a.arguments[2].string for a in explainer.atoms("selected_rec", 3, g=g, r=r)), ""
    )
    document["because"] = because
    document["missing"] = sorted(
        {key_text(a.arguments[2]) for a in explainer.atoms("missing_key", 3, g=g, r=r)}
    )
    document["actions"] = [a.arguments[2].name for a in explainer.atoms("action", 3, g=g, r=r)]
    if regimen_id in CHOICE and explainer.atoms("tki_choice", 1, g=g):
        # Which TKI first (kb/preference.lp): the ordering and each factor down to patient data.
        first = [a.arguments[1].name for a in explainer.atoms("preferred_first", 2, g=g)]
        document["preference"] = {
            "order": order_of(first),
            "tie": not first,
            "because": [explainer.node(a) for a in explainer.atoms("preferred_first", 2, g=g)]
            + [explainer.node(a) for a in explainer.atoms("factor_holds", 3, g=g)]
            + [explainer.node(a) for a in explainer.atoms("factor_unassessed", 3, g=g)]
            + [explainer.node(a) for a in explainer.atoms("dose", 2, r=r)],
        }
    document["would_change_if"] = (
        would_change_if(patient, guideline_atom, regimen_id, kb)
        if counterfactuals and status != "recommended"
        else []
    )
    if status == "not_recommended" and explainer.atoms("not_encoded", 2, g=g, r=r):
        # Not encoded is not "not offered" (kb/scope.lp): said first (recommend has the notes).
        document["coverage"] = "not_encoded"
        notes.append(
            {
                "code": "not_encoded",
                "text": f"{document['guideline']} is not encoded for this patient's situation: "
                "'not recommended' here is not the guideline's verdict (recommend's notes say "
                "why).",
            }
        )
    if notes:
        document["notes"] = notes  # a draft edition says so in every answer
    document["derived"] = _derived(explainer, patient)
    sources = patient.sources() if hasattr(patient, "sources") else {}
    if sources:  # leaves name the health-record resource behind each value
        from hcc_asp.patient.sources import annotate_explain

        annotate_explain(document, sources)
    return document


def _outcome_node(explainer: Explainer, outcome: Symbol) -> dict[str, Any]:
    """The tree of one recommendation's outcome, naming the recommendation (additive keys)."""
    node = explainer.node(outcome)
    node["recommendation"] = outcome.arguments[1].string
    node["outcome"] = outcome.arguments[3].name
    return node


def _derived(explainer: Explainer, patient: Any) -> dict[str, Any]:
    """The patient's derived scores, as in `recommend` (an additive key for the reports)."""
    decoded = decode(explainer.answer, explainer.kb)
    derived = derived_values(decoded)
    derived["child_pugh_components"] = child_pugh_components(decoded, patient)
    derived["line"] = decoded.line
    return derived


# counterfactuals -------------------------------------------------------------------------------


def _candidates(data: dict[str, Any], kb: KnowledgeBase) -> list[tuple[str, Symbol, int]]:
    """Candidate values (key, symbol, closeness rank) of every scalar key of the schema."""
    flat: dict[str, Any] = {}

    def walk(node: dict[str, Any], prefix: str) -> None:
        for key, value in node.items():
            if isinstance(value, dict):
                walk(value, f"{prefix}{key}.")
            else:
                flat[f"{prefix}{key}"] = value

    walk({k: v for k, v in data.items() if k not in ("prior_therapies", "id", "version")}, "")
    skip = set()
    for mg, umol in (
        ("labs.bilirubin_mg_dl", "labs.bilirubin_umol_l"),
        ("labs.albumin_g_dl", "labs.albumin_g_l"),
    ):
        skip.add(mg if umol in flat and mg not in flat else umol)
    out: list[tuple[str, Symbol, int]] = []
    for key, domain in _domains(kb):
        if key in skip:
            continue
        current = flat.get(key)
        now = value_symbol(key, current, kb) if current is not None else None
        numeric = now is not None and now.type == clingo.SymbolType.Number
        for index, value in enumerate(domain):
            # Closeness to the patient's value: numeric distance, or distance in the ordered list.
            if now is None:
                rank = index
            elif numeric and value.type == clingo.SymbolType.Number:
                rank = abs(value.number - now.number)
            else:
                rank = abs(index - domain.index(now)) if now in domain else index
            out.append((key, value, rank))
    return out


@lru_cache(maxsize=4096)
def _candidate(key: str, value: Symbol, rank: int) -> Symbol:
    """``candidate(Key, Value, Rank)``, built once: the same few hundred recur in every question."""
    return Function("candidate", [String(key), value, Number(rank)])


def _domains(kb: KnowledgeBase) -> tuple[tuple[str, list[Symbol]], ...]:
    """The patient space of every key a what-if may change, in schema order (kept on the KB)."""
    found = kb.memo.get("whatif_domains")
    if found is None:
        found = kb.memo["whatif_domains"] = tuple(
            (key, key_domain(key, annotation, kb) or [])
            for key, annotation in schema_keys().items()
            if key not in ("id", "version") and not key.startswith(("prior_therapies", "access"))
        )
    return found


@lru_cache(maxsize=1)
def _key_sections() -> tuple[Symbol, ...]:
    """``key_section(Key, Section)`` for every key of the schema (the same for every question)."""
    return tuple(
        Function("key_section", [String(key), String(section)])
        for key in schema_keys()
        for section in sections(key)
    )


@lru_cache(maxsize=1)
def _whatif_text() -> str:
    """``queries/whatif.lp``, read once (``add_text`` then keeps its parse for later questions)."""
    return (queries_dir() / "whatif.lp").read_text(encoding="utf-8")


def would_change_if(
    patient: Any, guideline_atom: str, regimen_id: str, kb: KnowledgeBase
) -> list[dict[str, Any]]:
    """The smallest sets of changes to patient values under which the regimen is recommended.

    The search grounds only the rules its question depends on (``kb.compiled().text(...,
    whatif=True)``, see ``hcc_asp.knowledge.relevance``): the same sets as with the whole KB, in
    about half the grounding.
    """
    program = kb.compiled().text([guideline_atom], whatif=True)
    return whatif_sets(patient, guideline_atom, regimen_id, kb, program)


def whatif_sets(
    patient: Any, guideline_atom: str, regimen_id: str, kb: KnowledgeBase, program: str
) -> list[dict[str, Any]]:
    """``would_change_if`` over a given KB program text (the tests compare it with the whole KB)."""
    data = patient_data(patient)
    facts = patient_facts(patient, kb)
    original: dict[str, list[Symbol]] = defaultdict(list)
    inputs: list[Symbol] = []
    for fact in facts:
        if fact.match("value", 2):
            original[fact.arguments[0].string].append(fact.arguments[1])
            inputs.append(Function("orig_value", list(fact.arguments)))
        elif fact.match("given", 1):
            inputs.append(Function("orig_given", list(fact.arguments)))
        else:
            inputs.append(fact)
    inputs.extend(_candidate(key, value, rank) for key, value, rank in _candidates(data, kb))
    inputs.extend(_key_sections())
    inputs.append(Function("target", [Function(guideline_atom), Function(regimen_id)]))
    ctl = new_control(["--opt-mode=optN", "0"])
    add_text(ctl, program)
    add_text(ctl, _whatif_text())
    add_facts(ctl, inputs)
    ctl.ground([("base", [])], context=Context())
    modifiable = {}
    sets: list[tuple[tuple[str, ...], list[dict[str, Any]]]] = []
    for atom in parse_whatif_kinds():
        modifiable[atom[0]] = atom[1]
    with ctl.solve(yield_=True) as handle:
        for model in handle:
            if not model.optimality_proven:
                continue
            changes = []
            for atom in sorted(model.symbols(shown=True)):
                if not atom.match("change", 2):
                    continue
                key, value = atom.arguments[0].string, atom.arguments[1]
                before = original.get(key)
                # An unknown value can be found out; a known one changes only by treatment or time
                # (modifiable) or not at all by the clinician's hand (differ).
                kind = "learn" if not before else "act" if modifiable.get(key) else "differ"
                changes.append(
                    {
                        "key": key,
                        "from": plain_value(key, before[0], kb) if before else None,
                        "to": plain_value(key, value, kb),
                        "modifiable": kind != "differ",
                        "kind": kind,
                    }
                )
            signature = tuple(sorted(f"{c['key']}={c['to']}" for c in changes))
            if changes and signature not in {s for s, _ in sets}:
                sets.append((signature, changes))
    sets.sort(key=lambda s: (len(s[0]), s[0]))
    return [
        {"changes": changes, "modifiable": all(c["modifiable"] for c in changes)}
        for _, changes in sets[:MAX_SETS]
    ]


@lru_cache(maxsize=1)
def parse_whatif_kinds() -> tuple[tuple[str, bool], ...]:
    """(key, modifiable) for every ``mutable/2`` fact of ``queries/whatif.lp``."""
    ctl = new_control(["--warn=none"])
    ctl.load(str(queries_dir() / "whatif.lp"))
    ctl.ground([("base", [])])
    out: list[tuple[str, bool]] = []
    with ctl.solve(yield_=True) as handle:
        for model in handle:
            for atom in model.symbols(atoms=True):
                if atom.match("mutable", 2):
                    out.append((atom.arguments[0].string, atom.arguments[1].name == "modifiable"))
    return tuple(sorted(out))
