"""An explanation read answer-first: the decisive reasons, what would change it, then the tree.

Shared by the text and the HTML renderers. It reorders and rewords what the explain document
holds (the KB's derivation); it decides nothing. The JSON keeps the full tree.

- ``answer(document)``: the status in one sentence, the decisive reasons with the patient's values
  (for a regimen not offered: what fails under every recommendation that names it, or else under
  the recommendation for this patient; every contraindication that holds), and the other
  recommendations in one line each.
- ``changes(document)``: ``would_change_if`` split into "to learn" (unknown facts) and "to change"
  (known values, each marked modifiable or not); what every alternative needs is said once.
- ``shared_tree(nodes)``: the tree with each repeated subtree kept once and referred to after.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from hcc_asp.render.words import (
    STATUS_WORDS,
    components_words,
    guideline_label,
    regimen_name,
    sentence_words,
    shown_status,
    value_words,
)


def predicate(node: dict[str, Any]) -> str:
    """The predicate name of a tree node (``unmet``, ``fails``, ``value`` ...)."""
    atom = str(node.get("atom", ""))
    return atom.removeprefix("not ").split("(", 1)[0]


def is_patient_leaf(node: dict[str, Any]) -> bool:
    """A node that is a fact of the patient (a key of the patient file, no rule)."""
    return "key" in node and not node.get("rule")


def patient_words(node: dict[str, Any]) -> str:
    """A patient leaf in words: "bilirubin 2.6 mg/dL" (plus its record when not the file).

    A value read from a health record names its resource; other leaves keep their text.
    """
    if "key" in node and "value" in node:
        words = value_words(str(node["key"]), node["value"])
        source = node.get("source") or ""
        return words if source in ("", "patient file") else f"{words} ({source})"
    return str(node["text"])


def _leaves(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if is_patient_leaf(node):
        yield node
    for child in node.get("because", []):
        yield from _leaves(child)


def situation(node: dict[str, Any]) -> dict[str, Any]:
    """What holds for the patient under a failed (or holding) condition, down to their values.

    ``state``: the chain of single derived facts ("Child-Pugh class B", "Child-Pugh score 8");
    ``parts``: where the chain branches, each branch's fact with the patient values under it
    ("bilirubin gives 2 Child-Pugh point(s): bilirubin 2.6 mg/dL").
    """
    state: list[str] = []
    current = node
    while True:
        children = [c for c in current.get("because", []) if not c["atom"].startswith("not ")]
        derived = [c for c in children if not is_patient_leaf(c)]
        if len(children) == 1 and derived:
            current = derived[0]
            state.append(str(current["text"]))
            continue
        break
    parts = []
    for child in current.get("because", []):
        if is_patient_leaf(child):
            parts.append(patient_words(child))
        elif child["atom"].startswith("not "):
            parts.append(str(child["text"]))
        else:
            values = list(dict.fromkeys(patient_words(leaf) for leaf in _leaves(child)))
            parts.append(f"{child['text']}: {', '.join(values)}" if values else str(child["text"]))
    return {"state": state, "parts": parts}


def _conditions(outcome: dict[str, Any], kind: str = "unmet") -> list[dict[str, Any]]:
    """The unmet (or satisfied) conditions of one recommendation's outcome node.

    Each: ``identity`` (the derived atoms, equal across recommendations for one condition),
    ``requirement`` (the guideline's statement, e.g. "asco-2024 1.1 requires Child-Pugh class
    A"), ``condition`` (what fails or holds) and the patient's ``situation`` under it.
    """
    out = []
    for child in outcome.get("because", []):
        if predicate(child) != kind:
            continue
        kids = [c for c in child.get("because", []) if predicate(c) != "rec"]
        statement = next(
            (c for c in kids if predicate(c).startswith(("requires", "excludes"))), None
        ) or next(
            (c for c in kids if not c.get("because") and predicate(c) not in ("value", "given")),
            None,
        )
        derived = [c for c in kids if c is not statement and c.get("because")]
        identity = tuple(c["atom"] for c in derived) or (child["atom"],)
        out.append(
            {
                "identity": identity,
                "requirement": str(statement["text"]) if statement else str(child["text"]),
                "condition": str(derived[0]["text"]) if derived else str(child["text"]),
                "situation": situation(derived[0]) if derived else situation(child),
            }
        )
    return out


def _child_pugh_in_words(result: dict[str, Any], document: dict[str, Any]) -> None:
    """Where a reason rests on the Child-Pugh score, say its parts as a clinician does.

    "bilirubin 2.6 mg/dL: 2 pts; albumin 3 g/dL: 2 pts; ..." from the document's own
    ``derived.child_pugh_components`` (the KB's points), instead of one branch per component.
    """
    components = components_words(document.get("derived") or {})
    if not components:
        return
    for item in result["decisive"] + result["satisfied"]:
        state = item["situation"]["state"]
        if any(text.startswith("Child-Pugh score") for text in state):
            item["situation"] = {"state": state, "parts": components}


def answer(document: dict[str, Any], names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The answer first: status sentence, decisive reasons, other recommendations in brief.

    Every sentence of it reads in words: guideline, regimen and status ids said as a clinician
    says them (``sentence_words``).
    """
    result = _answer(document, names)
    for item in result["decisive"]:
        item["requirement"] = sentence_words(item["requirement"], names)
    for item in result.get("others", []):
        if isinstance(item, dict) and "text" in item:
            item["text"] = sentence_words(str(item["text"]), names)
    return result


def _answer(document: dict[str, Any], names: Mapping[str, str] | None = None) -> dict[str, Any]:
    status = document["status"]
    # where the edition does not speak, the answer says "not encoded", never a plain "no"
    shown = shown_status(document)
    name = regimen_name(document["regimen"], names)
    label = guideline_label(document["guideline"])
    rec = document.get("recommendation") or ""
    headline = (
        f"{name} is {STATUS_WORDS.get(shown, shown)} for patient {document['patient']} "
        f"under {label}" + (f" (Rec {rec})" if rec and status != "not_mentioned" else "") + "."
    )
    result: dict[str, Any] = {
        "headline": headline,
        "status": status,
        "shown_status": shown,
        "decisive": [],
        "others": [],
        "satisfied": [],
        "cautions": [],
    }
    nodes = document.get("because", [])
    outcomes = [n for n in nodes if "recommendation" in n]
    for node in nodes:
        if predicate(node) in ("regimen_contraindication", "regimen_contraindication_unknown"):
            result["decisive"].append(
                {
                    "requirement": str(node["text"]),
                    "source": str(node.get("source", "")),
                    "situation": situation(node),
                    "recommendations": [],
                }
            )
        elif predicate(node) == "caution_for":
            result["cautions"].append(
                {"text": str(node["text"]), "source": str(node.get("source", ""))}
            )
    if status == "recommended":
        for outcome in outcomes:
            result["satisfied"].extend(_conditions(outcome, "satisfied"))
        _child_pugh_in_words(result, document)
        return result
    unmet = {o["recommendation"]: _conditions(o) for o in outcomes if o.get("outcome") == "not_met"}
    if unmet:
        counts = Counter(u["identity"] for items in unmet.values() for u in items)
        everywhere = [i for i, n in counts.items() if n == len(unmet)]
        order = [rec] if rec in unmet else []
        order += [r for r in unmet if r not in order]
        if everywhere:
            for identity in everywhere:
                first = next(u for r in order for u in unmet[r] if u["identity"] == identity)
                result["decisive"].append({**first, "source": "", "recommendations": list(order)})
        else:
            result["decisive"].extend(
                {**u, "source": "", "recommendations": [order[0]]} for u in unmet[order[0]]
            )
        decided = {d.get("identity") for d in result["decisive"]}
        for other in order:
            rest = [u["condition"] for u in unmet[other] if u["identity"] not in decided]
            if other == order[0] and not everywhere:
                continue
            if rest:
                result["others"].append({"recommendation": other, "unmet": rest})
    for outcome in outcomes:
        if outcome.get("outcome") == "conditional":
            result["others"].append(
                {
                    "recommendation": outcome["recommendation"],
                    "unmet": [],
                    "conditional": True,
                }
            )
    _child_pugh_in_words(result, document)
    return result


def changes(document: dict[str, Any]) -> dict[str, Any]:
    """``would_change_if`` split into what to learn and what would have to change.

    ``learn``: unknown keys every alternative needs (said once); ``alternatives``: per smallest
    set, the remaining keys to learn and the values to change (``modifiable`` or not).
    """
    options = document.get("would_change_if", [])
    if not options:
        return {"learn": [], "alternatives": []}

    def learn_items(option: dict[str, Any]) -> list[tuple[str, Any]]:
        return [(c["key"], c["to"]) for c in option["changes"] if c.get("kind") == "learn"]

    common = set(learn_items(options[0]))
    for option in options[1:]:
        common &= set(learn_items(option))
    learn = [
        {"key": key, "to": to, "words": value_words(key, to)}
        for key, to in learn_items(options[0])
        if (key, to) in common
    ]
    alternatives = []
    for option in options:
        alternatives.append(
            {
                "learn": [
                    {"key": c["key"], "to": c["to"], "words": value_words(c["key"], c["to"])}
                    for c in option["changes"]
                    if c.get("kind") == "learn" and (c["key"], c["to"]) not in common
                ],
                "change": [
                    {
                        "key": c["key"],
                        "from": c["from"],
                        "to": c["to"],
                        "from_words": value_words(c["key"], c["from"]),
                        "to_words": value_words(c["key"], c["to"]),
                        "modifiable": bool(c["modifiable"]),
                        "kind": c.get("kind", ""),
                    }
                    for c in option["changes"]
                    if c.get("kind") != "learn"
                ],
                "modifiable": bool(option["modifiable"]),
            }
        )
    return {"learn": learn, "alternatives": alternatives}


def hidden(node: dict[str, Any]) -> bool:
    """Vocabulary facts (drug classes, components): left to --format json."""
    rule = node.get("rule") or ""
    return bool(
        rule
        and not node.get("because")
        and rule.startswith("kb/")
        and "guidelines/" not in rule
        and "safety.lp" not in rule
    )


def node_key(node: dict[str, Any]) -> str:
    """The identity of a subtree: its atom and the rule that derived it."""
    return f"{node['atom']}@{node.get('rule')}"


def shared_tree(
    nodes: list[dict[str, Any]], prefix: str = "n", names: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The tree with every repeated subtree printed once (``id``) and referred to (``ref``) after.

    Returns new nodes with every key present: ``text``, ``rule``, ``rule_text``, ``source``,
    ``key``/``value`` (None unless a patient fact), ``patient``, ``id`` (an anchor when the
    subtree repeats, else None), ``ref`` (the anchor of the first print, else None; no children
    then), ``because``.
    """
    # A subtree is repeated when it is met again outside a subtree already printed in full.
    seen: set[str] = set()
    repeated: set[str] = set()

    def visit(node: dict[str, Any]) -> None:
        if not node.get("because"):
            return
        key = node_key(node)
        if key in seen:
            repeated.add(key)
            return
        seen.add(key)
        for child in node["because"]:
            visit(child)

    for node in nodes:
        visit(node)
    anchors: dict[str, str] = {}

    def build(node: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            # the node's sentence with the engine's ids in words (regimen names when given)
            "text": node["text"] if is_patient_leaf(node) else sentence_words(node["text"], names),
            "rule": node.get("rule"),
            "rule_text": node.get("rule_text") or "",
            "source": node.get("source") or "",
            "key": node.get("key"),
            "value": node.get("value"),
            "patient": is_patient_leaf(node),
            "id": None,
            "ref": None,
        }
        key = node_key(node)
        if node.get("because") and key in repeated:
            if key in anchors:
                out["ref"] = anchors[key]
                out["because"] = []
                return out
            anchors[key] = out["id"] = f"{prefix}{len(anchors) + 1}"
        out["because"] = [build(c) for c in node.get("because", []) if not hidden(c)]
        return out

    return [build(node) for node in nodes]
