"""Render the documents of the public API as plain text for clinicians.

Rendering never decides anything: it lays out what the KB decided. The same document gives the
same bytes (dict order is fixed where the documents are built; JSON keys keep that order).
"""

from __future__ import annotations

import textwrap
from typing import Any

WIDTH = 100


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
            return "missing: " + ", ".join(entry["missing"])
    if status == "recommended":
        sources = ", ".join(entry["sources"])
        return f"evidence: {sources}" if sources else ""
    return ""


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def recommend_text(document: dict[str, Any], guideline_title: str = "") -> str:
    """A table a clinician can scan, then the details of every regimen not simply recommended."""
    derived = document["derived"]
    cp, albi = derived["child_pugh"], derived["albi"]
    line = document["line"] if document["line"] is not None else "unknown"
    draft = any(note["code"] == "draft_edition" for note in document["notes"])
    out = [
        f"Patient {document['patient']} - {document['guideline']}"
        + (f" ({guideline_title})" if guideline_title else "")
        + (" - DRAFT edition, not for clinical use" if draft else "")
    ]
    out.append(
        f"Line of therapy: {line} | Child-Pugh: {cp['class'] or 'unknown'}"
        + (f" ({cp['score']})" if cp["score"] is not None else "")
        + " | ALBI: "
        + (f"grade {albi['grade']} ({albi['score']:.2f})" if albi["grade"] else "unknown")
        + f" | BCLC: {derived['bclc_stage'] or 'unknown'}"
    )
    out.append("")
    header = f"{'REGIMEN':<25} {'STATUS':<15} {'REC':<14} {'EVIDENCE':<26} MAIN REASON"
    out.append(header)
    out.append("-" * (len(header) + 43))
    for entry in document["regimens"]:
        out.append(
            f"{entry['regimen']:<25} {entry['status']:<15} {entry['recommendation']:<14} "
            f"{_clip(evidence_text(entry['evidence']), 26):<26} "
            f"{_clip(main_reason(entry), 54)}".rstrip()
        )
    details = [e for e in document["regimens"] if e["status"] != "recommended" or e["cautions"]]
    if details:
        out.append("")
        out.append("Details")
    for entry in details:
        out.append(f"  {entry['regimen']} ({entry['status']}):")
        for reason in entry["reasons"]:
            out.extend(_wrapped(f"reason [{reason['code']}]: {reason['text']}"))
        if entry["missing"]:
            out.extend(_wrapped("missing: " + ", ".join(entry["missing"])))
        for action in entry["actions"]:
            out.extend(_wrapped(f"do first [{action['code']}]: {action['text']}"))
        for caution in entry["cautions"]:
            out.extend(_wrapped(f"caution [{caution['code']}]: {caution['text']}"))
        for what, text in entry.get("unconfirmed", {}).items():
            out.extend(_wrapped(f"unconfirmed {what}: {text}"))
    preference = document.get("preference")
    if preference:
        out.append("")
        out.append(
            "Which TKI first: "
            + (
                "no patient-specific factor decides (tie)"
                if preference["tie"]
                else " before ".join(preference["order"])
            )
        )
        for factor in preference["factors"]:
            line = f"{factor['kind']} -> {factor['favours']} [{factor['code']}]: {factor['text']}"
            out.extend(_wrapped(line, indent="  "))
        for factor in preference["unassessed"]:
            missing = ", ".join(factor["missing"])
            out.extend(_wrapped(f"unassessed [{factor['code']}]: missing {missing}", indent="  "))
        for dose in preference["dosing"]:
            out.extend(_wrapped(f"dose: {dose['text']}", indent="  "))
    if document["notes"]:
        out.append("")
        out.append("Notes")
        for note in document["notes"]:
            out.extend(_wrapped(f"[{note['code']}] {note['text']}", indent="  "))
    return "\n".join(out) + "\n"


def _wrapped(text: str, indent: str = "    ") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ")


def guidelines_text(rows: list[dict[str, Any]]) -> str:
    """The encoded guidelines, one block each."""
    out = []
    for row in rows:
        out.append(f"{row['id']}  {row['title']} ({row['year']})")
        if row.get("citation"):
            out.append(f"    {row['citation']}" + (f". doi:{row['doi']}" if row.get("doi") else ""))
        if row.get("grading"):
            out.extend(_wrapped("grading: " + row["grading"]))
        if row.get("status") and row["status"] != "encoded":
            out.extend(_wrapped(f"{row['status']}: {row.get('why', '')}"))
    return "\n".join(out) + "\n"


def regimens_text(rows: list[dict[str, Any]]) -> str:
    """Regimen ids, aliases, drugs and classes as a table."""
    out = [f"{'REGIMEN':<26} {'ALIASES':<40} DRUGS (CLASS)"]
    for row in rows:
        drugs = ", ".join(f"{d['drug']} ({d['class']})" for d in row["drugs"])
        out.append(f"{row['id']:<26} {', '.join(row['aliases']):<40} {drugs}".rstrip())
    return "\n".join(out) + "\n"


def _tree_lines(node: dict[str, Any], depth: int, out: list[str]) -> None:
    text = node["text"]
    where = f"  [{node['rule']}]" if node.get("rule") else ""
    why = f" - {node['rule_text']}" if node.get("rule_text") else ""
    indent = "  " * depth
    out.extend(
        textwrap.wrap(
            f"{'- ' if depth else ''}{text}{why}{where}",
            WIDTH,
            initial_indent=indent,
            subsequent_indent=indent + "    ",
        )
    )
    for child in node.get("because", []):
        if (
            child.get("rule")
            and not child.get("because")
            and child["rule"].startswith("kb/")
            and ("guidelines/" not in child["rule"] and "safety.lp" not in child["rule"])
        ):
            continue  # vocabulary facts (drug classes, components) are left to --format json
        _tree_lines(child, depth + 1, out)


def explain_text(document: dict[str, Any]) -> str:
    """An indented tree in plain clinical sentences, then what would have to change."""
    out = [
        f"Why {document['regimen']} is {document['status']} for patient {document['patient']} "
        f"under {document['guideline']}"
        + (
            f" (recommendation {document['recommendation']})"
            if document.get("recommendation")
            else ""
        )
    ]
    if document.get("note"):
        out.append(document["note"])
    for note in document.get("notes", []):
        out.extend(_wrapped(f"[{note['code']}] {note['text']}", indent=""))
    out.append("")
    for node in document["because"]:
        _tree_lines(node, 1, out)
    preference = document.get("preference")
    if preference:
        out.append("")
        order = " before ".join(preference["order"])
        out.append(
            "Which TKI first: "
            + ("no patient-specific factor decides (tie)" if preference["tie"] else order)
        )
        for node in preference["because"]:
            _tree_lines(node, 1, out)
    if document.get("missing"):
        out.append("")
        out.extend(_wrapped("Missing patient data: " + ", ".join(document["missing"]), indent=""))
    if document.get("actions"):
        out.append("To do first: " + ", ".join(document["actions"]))
    out.append("")
    if document["would_change_if"]:
        out.append("It would be recommended if:")
        for option in document["would_change_if"]:
            changes = "; ".join(
                f"{c['key']} {c['from'] if c['from'] is not None else 'unknown'} -> {c['to']}"
                for c in option["changes"]
            )
            kind = (
                "actionable: find out or act"
                if option["modifiable"]
                else "not modifiable by a clinician"
            )
            out.extend(_wrapped(f"- {changes}  ({kind})", indent="  "))
    elif document["status"] != "recommended":
        out.append("No change of modifiable or unknown patient values would make it recommended.")
    return "\n".join(out) + "\n"


WHY_IT_MATTERS = {
    "conflict": "one patient would get contradictory advice from one guideline",
    "dead_rule": "a recommendation that can never be given is either mis-encoded or unreachable",
    "undefined": "a misspelled or missing definition silently disables the rules that use it",
    "gap": "an in-scope patient gets no answer and no statement of silence",
    "tension": "the guideline offers a regimen outside the population its evidence comes from",
    "provenance": "a clinician cannot verify what the sources did not confirm",
    "disagreement": "guidelines a clinician reads side by side give this patient different answers",
    "edition_change": "a patient's answer changed between two editions of one guideline",
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
    return "\n".join(out)


#: Short cell words of `compare` (status -> word); the legend prints them.
CELL_WORDS = {
    "recommended": "yes",
    "conditional": "if",
    "not_recommended": "no",
    "contraindicated": "CI",
    "not_mentioned": "-",
}


def compare_text(document: dict[str, Any]) -> str:
    """Regimens x guidelines, disagreements marked '!', then one line per disagreement."""
    columns = document["guidelines"]
    width = max([14, *(len(c) + 1 for c in columns)])
    out = [f"Patient {document['patient']} - every guideline, side by side"]
    drafts = document.get("drafts", [])
    superseded = [c for c in columns if c not in document["current"] and c not in drafts]
    if superseded:
        out.append(
            "(superseded editions, not counted in disagreements: " + ", ".join(superseded) + ")"
        )
    if drafts:
        out.append(
            "(DRAFT editions, not for clinical use"
            + ("" if set(drafts) <= set(document["current"]) else ", not counted in disagreements")
            + ": "
            + ", ".join(drafts)
            + ")"
        )
    out.append("")
    header = f"{'REGIMEN':<25} " + "".join(f"{c:<{width}}" for c in columns) + "!"
    out.append(header)
    out.append("-" * len(header))
    for row in document["regimens"]:
        cells = []
        for column in columns:
            cell = row["cells"][column]
            word = CELL_WORDS[cell["status"]]
            text = f"{word} {cell['recommendation']}".strip() if word != "-" else "-"
            changed = any(c["from"] == column for c in row["edition_changes"])
            text = _clip(text, width - 2) + ("*" if changed else "")
            cells.append(f"{text:<{width}}")
        mark = "!" if row["disagreement"] else ""
        out.append((f"{row['regimen']:<25} " + "".join(cells) + mark).rstrip())
    out.append("")
    out.extend(
        _wrapped(
            "yes = recommended, if = conditional (data or an action first), no = not "
            "recommended, CI = contraindicated, - = not mentioned; ! = current editions "
            "disagree; * = changed in the next edition",
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
                out.extend(_wrapped(f"{guideline} [{note['code']}] {note['text']}", indent="  "))
    changes = [(r["regimen"], c) for r in document["regimens"] for c in r["edition_changes"]]
    if changes:
        out.append("")
        out.append("Edition changes")
        for regimen, change in changes:
            out.append(
                f"  {regimen}: {change['from']} {change['was']} -> {change['to']} {change['now']}"
            )
    return "\n".join(out) + "\n"
