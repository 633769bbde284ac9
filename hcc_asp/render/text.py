"""Render the documents of the public API as plain text for clinicians.

Rendering never decides anything: it lays out what the KB decided. The same document gives the
same bytes (dict order is fixed where the documents are built; JSON keys keep that order).
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Mapping
from typing import Any

from hcc_asp.render import explanation
from hcc_asp.render.context import Context
from hcc_asp.render.words import (
    CELL_WORDS,
    FACTOR_KINDS,
    STATUS_WORDS,
    components_words,
    evidence_words,
    guideline_label,
    keys_text,
    later_lines_only,
    main_reason_words,
    provenance_groups,
    provenance_words,
    regimen_name,
    scores_line,
    sentence_words,
    shown_status,
    status_groups,
)

#: Width of text output when the terminal does not say (``COLUMNS``), and its bounds.
WIDTH = 100
MIN_WIDTH, MAX_WIDTH = 60, 200


def text_width() -> int:
    """The text width: ``COLUMNS`` when it is a number (kept within 60-200), else 100."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit():
        return max(MIN_WIDTH, min(MAX_WIDTH, int(columns)))
    return WIDTH


def fit(lines: list[str]) -> str:
    """The lines joined, each one longer than the text width wrapped under its own indent.

    The last step of every text renderer, so that no line of an answer is wider than the width,
    whichever part of the answer wrote it (a table row is built to fit and passes unchanged).
    """
    width = text_width()
    out: list[str] = []
    for line in lines:
        if len(line) <= width or " " not in line.strip():
            out.append(line)
            continue
        lead = line[: len(line) - len(line.lstrip())]
        out.extend(
            textwrap.wrap(
                line.strip(),
                width,
                initial_indent=lead,
                subsequent_indent=lead + "  ",
                break_on_hyphens=False,
            )
        )
    return "\n".join(out)


def fitted(line: str, indent: str = "  ") -> list[str]:
    """One long line wrapped to the text width, its continuation indented."""
    return textwrap.wrap(line, text_width(), subsequent_indent=indent, break_on_hyphens=False) or [
        line
    ]


def evidence_text(evidence: dict[str, str]) -> str:
    """One short evidence label: the guideline's own label, else its grading words."""
    if "label" in evidence:
        return evidence["label"]
    words = [v for k, v in evidence.items() if k not in ("label", "basis", "benefit") and v]
    if words and all(w.startswith("unconfirmed") for w in words):
        return "grading unconfirmed"
    return ", ".join(words)


def main_reason(entry: dict[str, Any]) -> str:
    """The one line that says most about the regimen's status."""
    status = entry["status"]
    if status in ("not_recommended", "contraindicated") and entry["reasons"]:
        return entry["reasons"][0]["text"]
    if status == "conditional":
        if entry["actions"]:
            return "first: " + entry["actions"][0]["text"]
        if entry["missing"]:
            return "missing: " + keys_text(entry["missing"])
    if status == "recommended":
        sources = ", ".join(entry["sources"])
        return f"evidence: {sources}" if sources else ""
    return ""


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def recommend_text(
    document: dict[str, Any], ctx: Context | None = None, details: bool = False
) -> str:
    """The answer on one screen: a summary by status, then per-regimen details on request.

    Summary: offered now (recommendation, evidence in words, trials, cautions), conditional (what
    to do or learn first), not offered and contraindicated (one line each, the main reason); the
    TKI ordering; unconfirmed provenance of what is offered, each remark once; notes. With
    ``details``: every reason, action, caution and provenance remark of every regimen.
    """
    ctx = ctx or Context()
    names = ctx.names
    guideline = document["guideline"]
    title = ctx.title(guideline)
    draft = any(note["code"] == "draft_edition" for note in document["notes"])
    out = [
        *_wrapped(
            f"Patient {document['patient']} under {guideline_label(guideline)} ({guideline})"
            + (f": {title}" if title else "")
            + (" - DRAFT edition, not for clinical use" if draft else ""),
            indent="",
        ),
        scores_line(document["derived"], document["line"]),
    ]
    components = components_words(document["derived"])
    if components and document["derived"]["child_pugh"]["class"]:
        out.extend(_wrapped("Child-Pugh: " + "; ".join(components), indent=""))
    width = max([20, *(len(regimen_name(e["regimen"], names)) for e in document["regimens"])])
    for status, heading, entries in status_groups(document["regimens"]):
        out.append("")
        out.append(f"{heading} ({len(entries)})" + ("" if entries else ": none"))
        if status == "not_recommended":
            later = [e for e in entries if later_lines_only(e, document["line"])]
            entries = [e for e in entries if e not in later]
            out.extend(_not_offered_lines(entries, names, width))
            if later:
                out.extend(
                    _wrapped(
                        "Later lines only: "
                        + ", ".join(regimen_name(e["regimen"], names) for e in later)
                        + f" ({guideline_label(guideline)} recommends them only after prior "
                        "systemic therapy; this patient is at first line).",
                        indent="  ",
                    )
                )
            continue
        for entry in entries:
            name = regimen_name(entry["regimen"], names)
            if status in OFFERED:
                rec = f"Rec {entry['recommendation']}" if entry["recommendation"] else ""
                mark = " *" if entry.get("unconfirmed") else ""
                words = evidence_words(entry["evidence"], guideline) or "evidence not stated"
                trials = ", ".join(entry["sources"])
                what = f"{rec}{mark}: {words}" + (f" ({trials})" if trials else "")
                if status == "conditional":
                    what += f"; {main_reason_words(entry)}"
            elif status == "not_encoded":
                reason = main_reason_words(entry)
                what = "NOT ENCODED here" + (
                    f" (nearest encoded statement: {reason.rstrip('.')})" if reason else ""
                )
            else:
                what = main_reason_words(entry)
            out.extend(_column(name, width, what))
            if status in OFFERED:
                for caution in entry["cautions"]:
                    out.extend(_wrapped(f"caution: {caution['text']}", indent="      "))
                unassessed = [c["text"] or c["code"] for c in entry.get("cautions_unassessed", [])]
                if unassessed:
                    out.extend(
                        _wrapped(
                            "not assessed (data missing): "
                            + "; ".join(u.rstrip(".") for u in unassessed),
                            indent="      ",
                        )
                    )
    preference = document.get("preference")
    if preference:
        out.append("")
        out.extend(_preference_lines(preference))
    # Provenance of what can be given (all regimens with --details), each remark said once.
    shown = [e for e in document["regimens"] if details or e["status"] in OFFERED]
    groups = provenance_groups(shown, names)
    if groups:
        out.append("")
        out.extend(
            _wrapped("* Not confirmed from a source (said once for every regimen it concerns)", "")
        )
        out.extend(_provenance_lines(groups))
    if document["notes"]:
        out.append("")
        out.append("Notes")
        for note in document["notes"]:
            out.extend(_wrapped(note["text"], indent="  "))
    if details:
        out.append("")
        out.extend(_details_lines(document, names))
    else:
        out.append("")
        out.extend(
            _wrapped(
                "Every reason, caution and source of each regimen: --details "
                "(why-not PATIENT REGIMEN for one).",
                indent="",
            )
        )
    return fit(out) + "\n"


#: Statuses under which a regimen can be given (now, or once something is learnt or done).
OFFERED = ("recommended", "conditional")


def _not_offered_lines(
    entries: list[dict[str, Any]], names: Mapping[str, str], width: int
) -> list[str]:
    """Regimens not offered, one line each; the same main reason is said once for all of them."""
    by_reason: dict[str, list[str]] = {}
    for entry in entries:
        by_reason.setdefault(main_reason_words(entry), []).append(
            regimen_name(entry["regimen"], names)
        )
    out = []
    for reason, regimens in by_reason.items():
        if len(regimens) == 1:
            out.extend(_column(regimens[0], width, reason))
        else:
            out.extend(_wrapped(f"{', '.join(regimens)}: {reason}", indent="  "))
    return out


def _column(name: str, width: int, text: str) -> list[str]:
    """``  name  text`` with the text wrapped under itself."""
    return textwrap.wrap(
        f"  {name:<{width}}  {text}",
        text_width(),
        subsequent_indent=" " * (width + 4),
        break_on_hyphens=False,
    )


def _preference_lines(preference: dict[str, Any]) -> list[str]:
    out = [
        "Which TKI first: "
        + (
            "no patient-specific factor decides (tie)"
            if preference["tie"]
            else " before ".join(preference["order"])
        )
    ]
    for factor in preference["factors"]:
        kind = FACTOR_KINDS.get(factor["kind"], factor["kind"])
        line = f"{kind}, favours {factor['favours']}: {factor['text']}"
        out.extend(_wrapped(line, indent="  "))
    for factor in preference["unassessed"]:
        missing = keys_text(factor["missing"])
        text = factor.get("text") or ""
        out.extend(_wrapped(f"not assessed: {text} Learn {missing}".strip(), indent="  "))
    for dose in preference["dosing"]:
        out.extend(_wrapped(f"dose: {dose['text']}", indent="  "))
    return out


def _provenance_lines(groups: list[dict[str, Any]]) -> list[str]:
    out = []
    for group in groups:
        recs = ", ".join(group["recommendations"])
        concerns = f"Rec {recs}" if recs else ", ".join(group["regimens"])
        what = provenance_words(group["what"])
        out.extend(_wrapped(f"{concerns} - {what}: {group['text']}", indent="  "))
    return out


def _details_lines(document: dict[str, Any], names: Mapping[str, str]) -> list[str]:
    """Every regimen's evidence, trials, reasons, missing data, actions and cautions."""
    guideline = document["guideline"]
    out = ["Details"]
    for entry in document["regimens"]:
        rec = f", Rec {entry['recommendation']}" if entry["recommendation"] else ""
        out.append(
            f"  {regimen_name(entry['regimen'], names)} "
            f"({STATUS_WORDS.get(entry['status'], entry['status'])}{rec})"
        )
        words = evidence_words(entry["evidence"], guideline)
        if words:
            out.extend(_wrapped(f"evidence: {words}"))
        if entry["sources"]:
            out.extend(_wrapped("trials: " + ", ".join(entry["sources"])))
        for reason in entry["reasons"]:
            kind = " (contraindication)" if reason.get("kind") == "contraindication" else ""
            out.extend(_wrapped(f"reason{kind}: {reason['text']}"))
        if entry["missing"]:
            out.extend(_wrapped("learn: " + keys_text(entry["missing"])))
        for action in entry["actions"]:
            out.extend(_wrapped(f"do first: {action['text']}"))
        for caution in entry["cautions"]:
            out.extend(_wrapped(f"caution: {caution['text']}"))
        for caution in entry.get("cautions_unassessed", []):
            out.extend(_wrapped(f"not assessed (data missing): {caution['text']}"))
    return out


def _wrapped(text: str, indent: str = "    ") -> list[str]:
    return textwrap.wrap(text, text_width(), initial_indent=indent, subsequent_indent=indent + "  ")


def guidelines_text(rows: list[dict[str, Any]]) -> str:
    """The encoded guidelines, one block each."""
    out = []
    for row in rows:
        out.extend(fitted(f"{row['id']}  {row['title']} ({row['year']})", indent="    "))
        if row.get("citation"):
            citation = row["citation"] + (f". doi:{row['doi']}" if row.get("doi") else "")
            out.extend(_wrapped(citation))
        if row.get("grading"):
            out.extend(_wrapped("grading: " + row["grading"]))
        if row.get("status") and row["status"] != "encoded":
            out.extend(_wrapped(f"{row['status']}: {row.get('why', '')}"))
    return fit(out) + "\n"


def regimens_text(rows: list[dict[str, Any]]) -> str:
    """Regimen ids, aliases, drugs and classes: one block per regimen, wrapped to the width."""
    width = max(len(row["id"]) for row in rows)
    out = []
    for row in rows:
        drugs = ", ".join(f"{d['drug']} ({d['class'].replace('_', ' ')})" for d in row["drugs"])
        aliases = ", ".join(row["aliases"])
        text = f"{row['name']}" + (f"; aliases: {aliases}" if aliases else "")
        text += f"; drugs: {drugs}" if drugs else ""
        out.extend(_column(row["id"], width, text))
    return "\n".join(line[2:] for line in out) + "\n"


def _tree_lines(node: dict[str, Any], depth: int, out: list[str]) -> None:
    """One node of a shared tree (``explanation.shared_tree``) and its children, indented."""
    text = node["text"]
    where = f"  [{node['rule']}]" if node.get("rule") else ""
    why = f" - {node['rule_text']}" if node.get("rule_text") else ""
    label = f"({node['id']}) " if node.get("id") else ""
    if node.get("ref"):
        why, where = f" - as ({node['ref']}) above", ""
    indent = "  " * depth
    out.extend(
        textwrap.wrap(
            f"{'- ' if depth else ''}{label}{text}{why}{where}",
            text_width(),
            initial_indent=indent,
            subsequent_indent=indent + "    ",
        )
    )
    for child in node.get("because", []):
        _tree_lines(child, depth + 1, out)


def _situation_text(situation: dict[str, Any]) -> str:
    state = "; ".join(situation["state"])
    parts = "; ".join(situation["parts"])
    if state and parts:
        return f"{state} ({parts})"
    return state or parts


def explain_text(document: dict[str, Any], ctx: Context | None = None, tree: bool = False) -> str:
    """The answer first, then the tree on request.

    Status; decisive reasons with the patient's values; what would change it (to learn / to
    change); then, with ``tree``, the derivation with each shared part printed once.
    """
    ctx = ctx or Context()
    first = explanation.answer(document, ctx.names)
    out = fitted(first["headline"])
    names = ctx.names
    if document.get("note"):
        out.append(sentence_words(document["note"], names))
    for note in document.get("notes", []):
        out.extend(_wrapped(sentence_words(note["text"], names), indent=""))
    status = document["status"]
    if first["decisive"]:
        out.append("")
        out.append("Why not" if status != "conditional" else "What stands in the way")
        for item in first["decisive"]:
            recs = item.get("recommendations", [])
            also = f" (so do {', '.join(recs[1:])})" if len(recs) > 1 else ""
            out.extend(_wrapped(f"- {item['requirement']}{also}", indent="  "))
            where = _situation_text(item["situation"])
            if where:
                out.extend(_wrapped(f"the patient: {where}", indent="    "))
            if item.get("source"):
                out.extend(_wrapped(f"source: {item['source']}", indent="    "))
    others = [o for o in first["others"] if o["unmet"]]
    if others:
        out.append("  Other recommendations that name it also need:")
        for other in others:
            out.extend(
                _wrapped(f"Rec {other['recommendation']}: {'; '.join(other['unmet'])}", "    ")
            )
    if first["satisfied"]:
        out.append("")
        out.append("Every condition is met")
        for item in first["satisfied"]:
            where = _situation_text(item["situation"])
            out.extend(_wrapped(f"- {item['requirement']}", "  "))
            if where:
                out.extend(_wrapped(f"the patient: {where}", indent="    "))
    if first["cautions"]:
        out.append("")
        out.append("Cautions")
        for caution in first["cautions"]:
            source = f" ({caution['source']})" if caution["source"] else ""
            out.extend(_wrapped(f"- {caution['text']}{source}", indent="  "))
    if document.get("missing") or document.get("actions"):
        out.append("")
        if document.get("actions"):
            out.extend(_wrapped("To do first: " + ", ".join(document["actions"]), indent=""))
        if document.get("missing"):
            out.extend(_wrapped("To learn: " + keys_text(document["missing"]), indent=""))
    out.extend(_change_lines(document))
    preference = document.get("preference")
    if preference:
        out.append("")
        order = " before ".join(preference["order"])
        out.append(
            "Which TKI first: "
            + ("no patient-specific factor decides (tie)" if preference["tie"] else order)
        )
        if tree:
            for node in explanation.shared_tree(preference["because"], "p"):
                _tree_lines(node, 1, out)
    out.append("")
    if tree:
        out.append("Derivation (a part used twice is printed once, numbered, and referred to)")
        for node in explanation.shared_tree(document["because"]):
            _tree_lines(node, 1, out)
    else:
        out.append("The full derivation down to the patient's values: --tree (or --format json).")
    return fit(out) + "\n"


def _change_lines(document: dict[str, Any]) -> list[str]:
    """What would make it recommended: to learn (said once), to change (modifiable or not)."""
    if document["status"] in ("recommended", "not_mentioned"):
        return []
    found = explanation.changes(document)
    out = [""]
    if not found["alternatives"]:
        out.append("No change of modifiable or unknown patient values would make it recommended.")
        return out
    out.append("What would make it recommended")
    if found["learn"]:
        words = "; ".join(item["words"] for item in found["learn"])
        out.extend(_wrapped(f"To learn (unknown now; each must turn out so): {words}", "  "))
    several = len(found["alternatives"]) > 1
    if several:
        out.append("  To change (any one of these):")
    for number, option in enumerate(found["alternatives"], start=1):
        changes = "; ".join(
            f"{c['from_words']} -> {c['to_words']} "
            f"({'modifiable: ' + c['kind'] if c['modifiable'] else 'not modifiable'})"
            for c in option["change"]
        )
        learn = "; ".join(item["words"] for item in option["learn"])
        text = changes or "nothing to change"
        if learn:
            text += f"; and learn: {learn}"
        head = f"{number}. " if several else "To change: "
        out.extend(_wrapped(head + text, indent="    " if several else "  "))
    return out


WHY_IT_MATTERS = {
    "conflict": "one patient would get contradictory advice from one guideline",
    "dead_rule": "a recommendation that can never be given is either mis-encoded or unreachable",
    "undefined": "a misspelled or missing definition silently disables the rules that use it",
    "gap": "an in-scope patient gets no answer and no statement of silence",
    "tension": "the guideline offers a regimen outside the population its evidence comes from",
    "provenance": "a clinician cannot verify what the sources did not confirm",
    "disagreement": "guidelines a clinician reads side by side give this patient different answers",
    "edition_change": "a patient's answer changed between two editions of one guideline",
    "scope": "an edition that does not say what it encodes lets 'not encoded' pass for 'not "
    "offered'",
    "coverage": "one guideline offers what another edition does not encode for this patient: "
    "not a disagreement, but that edition's verdict cannot be read from the KB",
}


def _witness_brief(witness: dict[str, Any] | None) -> str:
    if not witness:
        return "none (no patient can show it)"
    parts = []
    for key in ("ecog", "line"):
        if key in witness:
            parts.append(f"{key} {witness[key]}")
    liver = witness.get("liver", {})
    labs = witness.get("labs", {})
    parts.extend(f"{k} {v}" for k, v in sorted(labs.items()))
    parts.extend(f"{k} {v}" for k, v in sorted(liver.items()) if not isinstance(v, dict))
    if "prior_therapies" in witness:
        lines = [str(item.get("regimen", "?")) for item in witness["prior_therapies"]]
        parts.append("prior: " + (" -> ".join(lines) if lines else "none"))
    return ", ".join(parts) or "an almost empty patient file"


def check_text(document: dict[str, Any]) -> str:
    """One block per finding: what, why it matters, the rules, the witness in brief."""
    findings = document["findings"]
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding["severity"]] = counts.get(finding["severity"], 0) + 1
    checked = document["checked"]
    out = [
        f"hcc-asp check: {', '.join(document['guidelines'])} - "
        f"{checked['patient_profiles']:.3g} patient profiles searched in {checked['seconds']} s",
        f"{counts.get('error', 0)} error(s), {counts.get('warning', 0)} warning(s), "
        f"{counts.get('info', 0)} info",
        "",
    ]
    for number, finding in enumerate(findings, start=1):
        head = f"[{number}] {finding['severity'].upper()} {finding['kind']}"
        if finding.get("guideline"):
            head += f" ({finding['guideline']})"
        out.append(head)
        out.extend(_wrapped(finding["text"]))
        out.extend(_wrapped("why it matters: " + WHY_IT_MATTERS.get(finding["kind"], "")))
        if finding["rules"]:
            out.extend(_wrapped("rules: " + ", ".join(finding["rules"])))
        out.extend(_wrapped("witness: " + _witness_brief(finding.get("witness"))))
        out.append("")
    return fit(out)


def compare_text(document: dict[str, Any], ctx: Context | None = None) -> str:
    """Regimens x guidelines, disagreements marked '!', then one line per disagreement."""
    names = (ctx or Context()).names
    columns = document["guidelines"]
    labels = {c: guideline_label(c) for c in columns}
    width = max([14, *(len(labels[c]) + 1 for c in columns)])
    line = document.get("line")
    out = [
        f"Patient {document['patient']} - every guideline, side by side"
        + (f" (line {line})" if line is not None else "")
    ]
    drafts = document.get("drafts", [])
    superseded = [c for c in columns if c not in document["current"] and c not in drafts]
    if superseded:
        out.append(
            "(superseded editions, not counted in disagreements: "
            + ", ".join(labels[c] for c in superseded)
            + ")"
        )
    if drafts:
        out.append(
            "(DRAFT editions, not for clinical use"
            + ("" if set(drafts) <= set(document["current"]) else ", not counted in disagreements")
            + ": "
            + ", ".join(labels.get(d, d) for d in drafts)
            + ")"
        )
    out.append("")
    first = max([25, *(len(regimen_name(r["regimen"], names)) + 1 for r in document["regimens"])])
    # As many guideline columns as the text width holds; the others follow in a second table.
    per_table = max(1, (text_width() - first - 2) // width)
    for start in range(0, len(columns), per_table):
        shown = columns[start : start + per_table]
        last = start + per_table >= len(columns)
        header = f"{'REGIMEN':<{first}} " + "".join(f"{labels[c]:<{width}}" for c in shown)
        header = (header + ("!" if last else "")).rstrip()
        if start:
            out.append("")
        out.append(header)
        out.append("-" * len(header))
        for row in document["regimens"]:
            cells = []
            for column in shown:
                cell = row["cells"][column]
                word = CELL_WORDS[shown_status(cell)]
                text = f"{word} {cell['recommendation']}".strip()
                text = text if word not in ("-", "n/e") else word
                changed = any(c["from"] == column for c in row["edition_changes"])
                text = _clip(text, width - 2) + ("*" if changed else "")
                cells.append(f"{text:<{width}}")
            mark = "!" if row["disagreement"] and last else ""
            name = regimen_name(row["regimen"], names)
            out.append((f"{name:<{first}} " + "".join(cells) + mark).rstrip())
    out.append("")
    out.extend(
        _wrapped(
            "yes = recommended, if = conditional (data or an action first), no = not "
            "recommended, CI = contraindicated, - = not mentioned, n/e = not encoded (the "
            "edition's statements for this patient are not in the KB: not its verdict); ! = "
            "current editions disagree (encoded statements only); * = changed in the next edition",
            indent="",
        )
    )
    disagreements = [r for r in document["regimens"] if r["disagreement"]]
    if disagreements:
        out.append("")
        out.append("Disagreements")
        for row in disagreements:
            out.extend(_wrapped(row["explanation"], indent="  "))
    if document.get("notes"):
        out.append("")
        out.append("Notes")
        for guideline, notes in document["notes"].items():
            for note in notes:
                label = guideline_label(guideline)
                out.extend(_wrapped(f"{label}: {note['text']}", indent="  "))
    changes = [(r["regimen"], c) for r in document["regimens"] for c in r["edition_changes"]]
    if changes:
        out.append("")
        out.append("Edition changes")
        for regimen, change in changes:
            was = STATUS_WORDS.get(change["was"], change["was"])
            now = STATUS_WORDS.get(change["now"], change["now"])
            out.extend(
                _wrapped(
                    f"{regimen_name(regimen, names)}: {guideline_label(change['from'])} {was} -> "
                    f"{guideline_label(change['to'])} {now}",
                    indent="  ",
                )
            )
    return fit(out) + "\n"
