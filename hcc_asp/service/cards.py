"""Cards from the answer documents: one per guideline, one for a comparison, one per order checked.

Every card is built from the documents of the public API (``recommend``, ``compare``) as they
are, so a new status or reason in the KB shows up with no change here. The card says what the
KB decided, in the guideline's words: summary (one sentence, < 140 characters), indicator,
markdown detail (status, reasons, evidence, what is missing or to do, the patient's values),
source (guideline and DOI) and a link to the explanation page served by the same service.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from hcc_asp.render import main_reason
from hcc_asp.render.words import (
    CELL_WORDS,
    components_words,
    evidence_words,
    guideline_label,
    key_phrase,
    key_words,
    provenance_words,
    scores_line,
    shown_status,
)
from hcc_asp.service.models import (
    SUMMARY_LIMIT,
    Action,
    Card,
    Indicator,
    Link,
    Source,
    Suggestion,
)

#: Namespace of the card and suggestion uuids (derived, so one request gives the same bytes).
_NAMESPACE = uuid.UUID("5b0c6f5e-2f0b-4c55-9d44-8f1f3c1d2a13")
#: Statuses under which a guideline offers a regimen (``conditional``: once done or known).
OFFERED = ("recommended", "conditional")
#: The most replacement suggestions one order card carries.
MAX_SUGGESTIONS = 3
_FOOTER = "*Decision support, not a decision: check against the current guideline text.*"


def _keys(keys: Iterable[str]) -> str:
    """Patient-file keys in words, each key in code (the card's small print) after its words."""
    return ", ".join(f"{key_phrase(k)} (`{k}`)" for k in keys)


@dataclass(frozen=True)
class GuidelineInfo:
    """What a card says about its guideline: id, title, citation and DOI (from the KB)."""

    id: str
    title: str
    citation: str = ""
    doi: str = ""

    @property
    def label(self) -> str:
        """Short label, e.g. "ASCO 2024" for ``asco-2024``."""
        return guideline_label(self.id)

    def source(self) -> Source:
        """The card source: the guideline label and its DOI link (when the KB has one)."""
        url = f"https://doi.org/{self.doi}" if self.doi else None
        return Source(label=f"{self.label}: {self.title}" if self.title else self.label, url=url)


def card_uuid(*parts: str) -> str:
    """A uuid derived from the hook instance and what the card is about (stable per request)."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


def clip(text: str, limit: int = SUMMARY_LIMIT - 1) -> str:
    """Shorten text to ``limit`` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def first_fitting(candidates: Iterable[str], limit: int = SUMMARY_LIMIT - 1) -> str:
    """The first candidate that fits the summary limit (the last one clipped when none does)."""
    last = ""
    for candidate in candidates:
        if len(candidate) <= limit:
            return candidate
        last = candidate
    return clip(last, limit)


def plain_name(name: str) -> str:
    """A regimen name inside a sentence: "Atezolizumab + bevacizumab" -> "atezolizumab + ..."."""
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def grade_word(evidence: dict[str, str]) -> str:
    """A short grading word for the summary: the strength when known, else what the KB says."""
    for key in ("strength", "grade", "category", "level", "quality"):
        value = evidence.get(key, "")
        if value and not value.startswith("unconfirmed"):
            return value if len(value) <= 24 else value.split(":")[0]
    return "grading unconfirmed"


def _rec(entry: dict[str, Any]) -> str:
    return f"Rec {entry['recommendation']}" if entry.get("recommendation") else "no rec id"


def _grouped(entries: Sequence[dict[str, Any]], names: dict[str, str]) -> list[str]:
    """Regimens grouped by recommendation: "a or b (Rec 1.1, strong)", in listing order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        groups.setdefault(entry.get("recommendation", ""), []).append(entry)
    return [
        " or ".join(plain_name(names.get(e["regimen"], e["regimen"])) for e in group)
        + f" ({_rec(group[0])}, {grade_word(group[0].get('evidence', {}))})"
        for group in groups.values()
    ]


def _values_line(patient_values: Sequence[tuple[str, str]]) -> str:
    said = []
    for key, value in patient_values:
        unit = key_words(key)[1]
        head, sep, tail = value.partition(" (")
        said.append(f"{key_phrase(key)} {head}{' ' + unit if unit else ''}{sep}{tail} (`{key}`)")
    return "; ".join(said)


def _derived_line(document: dict[str, Any]) -> str:
    """Line and derived scores, then the Child-Pugh components with the patient's values."""
    derived = document.get("derived", {})
    text = scores_line(derived, document.get("line")).replace(" | ", " · ")
    components = components_words(derived)
    if components:
        text += f"\n\nChild-Pugh from the patient's values: {', '.join(components)}"
    return text


def _entry_lines(
    entry: dict[str, Any], names: dict[str, str], guideline: str, full: bool = True
) -> list[str]:
    """Markdown lines for one regimen: status, recommendation, evidence, reasons, to do.

    ``full`` (an order card, about one regimen) adds the cautions that could not be assessed and
    the unconfirmed provenance; a guideline card says those once for all its regimens
    (:func:`_said_once`), and a regimen it does not offer is listed with its reasons only.
    """
    name = names.get(entry["regimen"], entry["regimen"])
    status = entry["status"]
    head = f"- **{name}** ({_rec(entry)})"
    lines: list[str] = []
    if status == "recommended":
        evidence = evidence_words(entry.get("evidence", {}), guideline)
        trials = ", ".join(entry.get("sources", []))
        lines.append(head + (f": {evidence}" if evidence else ""))
        if trials:
            lines.append(f"  - trials: {trials}")
    elif status == "conditional":
        lines.append(head)
    else:
        lines.append(f"{head}: {main_reason(entry)}")
        lines.extend(f"  - {r['text']}" for r in entry.get("reasons", [])[1:4])
        more = len(entry.get("reasons", [])) - 4
        if more > 0:
            lines.append(f"  - and {more} more (see the explanation)")
    lines.extend(f"  - first: {a['text']}" for a in entry.get("actions", []))
    if not full and status not in OFFERED:
        return lines
    if entry.get("missing"):
        lines.append(f"  - to record (unknown, not assumed): {_keys(entry['missing'])}")
    lines.extend(f"  - caution: {c['text']}" for c in entry.get("cautions", []))
    if not full:
        return lines
    unassessed = [c["text"] for c in entry.get("cautions_unassessed", []) if c.get("text")]
    lines.extend(f"  - caution not assessed (data missing): {t}" for t in unassessed)
    for what, why in entry.get("unconfirmed", {}).items():
        lines.append(f"  - unconfirmed {provenance_words(what)}: {why}")
    return lines


_SECTIONS = (
    ("recommended", "Offered now"),
    ("conditional", "Offered once done or known"),
    ("contraindicated", "Contraindicated"),
    ("not_recommended", "Not offered now"),
    (
        "not_encoded",
        "Not encoded for this patient (the guideline's statements here are not in the KB: "
        "not its verdict)",
    ),
)


def _said_once(entries: Sequence[dict[str, Any]], names: dict[str, str]) -> list[str]:
    """Cautions not assessed and unconfirmed provenance of the offered regimens, each said once.

    The same remark often applies to many regimens of one guideline; it is listed once with the
    regimens it concerns.
    """
    remarks: dict[str, dict[str, list[str]]] = {"unassessed": {}, "unconfirmed": {}}
    for entry in entries:
        if entry["status"] not in OFFERED:
            continue
        name = plain_name(names.get(entry["regimen"], entry["regimen"]))
        for caution in entry.get("cautions_unassessed", []):
            if caution.get("text"):
                remarks["unassessed"].setdefault(caution["text"], []).append(name)
        for what, why in entry.get("unconfirmed", {}).items():
            remarks["unconfirmed"].setdefault(f"{provenance_words(what)}: {why}", []).append(name)
    lines: list[str] = []
    titles = {
        "unassessed": "**Cautions not assessed** (the data they need are unknown)",
        "unconfirmed": "**Not confirmed from the source**",
    }
    for kind, found in remarks.items():
        if found:
            lines.append(titles[kind])
            lines.extend(f"- {text} ({', '.join(regimens)})" for text, regimens in found.items())
            lines.append("")
    return lines


def recommend_detail(
    document: dict[str, Any],
    guideline: GuidelineInfo,
    names: dict[str, str],
    patient_values: Sequence[tuple[str, str]],
) -> str:
    """The markdown detail of a guideline card: every regimen by status, then the patient data."""
    lines = [f"**{guideline.label}** · {_derived_line(document)}", ""]
    for status, title in _SECTIONS:
        entries = [e for e in document["regimens"] if shown_status(e) == status]
        if entries:
            lines.append(f"**{title}**")
            for entry in entries:
                lines.extend(_entry_lines(entry, names, guideline.id, full=False))
            lines.append("")
    missing = sorted({k for e in document["regimens"] for k in e.get("missing", [])})
    if missing:
        lines.append("**To record** (unknown values are never assumed): ")
        lines.append(_keys(missing))
        lines.append("")
    lines.extend(_said_once(document["regimens"], names))
    for note in document.get("notes", []):
        lines.append(f"Note: {note['text']}")
    if patient_values:
        lines.extend(["", f"**Patient data used**: {_values_line(patient_values)}"])
    if guideline.citation:
        lines.extend(["", f"Source: {guideline.citation}."])
    lines.extend(["", _FOOTER])
    return "\n".join(lines).strip() + "\n"


def recommend_summary(
    document: dict[str, Any], guideline: GuidelineInfo, names: dict[str, str]
) -> str:
    """One sentence: what the guideline offers now, or what it waits for, or that it offers none."""
    label = guideline.label
    entries = document["regimens"]
    offered = [e for e in entries if e["status"] == "recommended"]
    conditional = [e for e in entries if e["status"] == "conditional"]
    if offered:
        groups = _grouped(offered, names)
        regimen_names = [plain_name(names.get(e["regimen"], e["regimen"])) for e in offered]
        return first_fitting(
            [
                f"{label}: {'; '.join(groups)}",
                f"{label}: {groups[0]}; {len(offered) - 1} more offered"
                if len(offered) > 1
                else "",
                f"{label}: {' or '.join(regimen_names)}",
                f"{label}: {len(offered)} regimens offered, first {regimen_names[0]}",
            ]
        )
    if conditional:
        first = conditional[0]
        name = plain_name(names.get(first["regimen"], first["regimen"]))
        todo = (
            first["actions"][0]["text"]
            if first.get("actions")
            else f"record {len(first.get('missing', []))} missing value(s)"
        )
        return first_fitting(
            [
                f"{label}: {name} ({_rec(first)}) once done: {todo}",
                f"{label}: {name} ({_rec(first)}) is conditional; see what to do or record",
            ]
        )
    return f"{label}: no encoded regimen is offered for this patient now"


def recommend_indicator(document: dict[str, Any], current: Sequence[str] = ()) -> Indicator:
    """The card's urgency: ``critical``, ``warning`` or ``info``.

    ``critical`` when a current therapy is contraindicated; ``warning`` when anything is
    conditional or an offered regimen carries a caution; else ``info``.
    """
    entries = {e["regimen"]: e for e in document["regimens"]}
    if any(entries.get(r, {}).get("status") == "contraindicated" for r in current):
        return "critical"
    if any(
        e["status"] == "conditional" or (e["status"] == "recommended" and e.get("cautions"))
        for e in document["regimens"]
    ):
        return "warning"
    return "info"


def guideline_card(
    document: dict[str, Any],
    guideline: GuidelineInfo,
    names: dict[str, str],
    *,
    hook_instance: str,
    explanation_url: str,
    page_url: str | None = None,
    patient_values: Sequence[tuple[str, str]] = (),
    current: Sequence[str] = (),
) -> Card:
    """The ``patient-view`` card of one guideline's ``recommend`` document.

    ``page_url`` (the service's page opened on this patient) adds a second link, where the
    clinician tries what-ifs on the patient's own values.
    """
    summary = recommend_summary(document, guideline, names)
    indicator = recommend_indicator(document, current)
    detail = recommend_detail(document, guideline, names, patient_values)
    contraindicated_now = [
        names.get(e["regimen"], e["regimen"])
        for e in document["regimens"]
        if e["regimen"] in current and e["status"] == "contraindicated"
    ]
    if contraindicated_now:
        summary = first_fitting(
            [
                f"{guideline.label}: current therapy {plain_name(contraindicated_now[0])} is "
                f"contraindicated; {summary.split(': ', 1)[-1]}",
                f"{guideline.label}: current therapy {plain_name(contraindicated_now[0])} "
                "is contraindicated",
            ]
        )
    return Card(
        uuid=card_uuid(hook_instance, "patient-view", guideline.id),
        summary=summary,
        indicator=indicator,
        detail=detail,
        source=guideline.source(),
        links=[Link(label=f"Why: the {guideline.label} explanation", url=explanation_url)]
        + (
            [Link(label="What if: open this patient in the hcc-asp page", url=page_url)]
            if page_url
            else []
        ),
    )


def compare_card(
    document: dict[str, Any],
    names: dict[str, str],
    *,
    hook_instance: str,
    explanation_url: str,
    source: Source,
) -> Card:
    """The ``patient-view`` card of a ``compare`` document: agreement and disagreements."""
    current = document["current"]
    offered_everywhere = [
        r["regimen"]
        for r in document["regimens"]
        if all(r["cells"].get(g, {}).get("status") in OFFERED for g in current)
    ]
    disagreements = [r for r in document["regimens"] if r.get("disagreement")]
    agreed = " or ".join(plain_name(names.get(r, r)) for r in offered_everywhere)
    count = f"{len(current)} current guidelines"
    summary = first_fitting(
        [
            f"{count} all offer {agreed}; {len(disagreements)} disagreement(s)"
            if offered_everywhere
            else f"{count}: no regimen offered by all; {len(disagreements)} disagreement(s)",
            f"{count}: {len(offered_everywhere)} regimen(s) offered by all, "
            f"{len(disagreements)} disagreement(s)",
        ]
    )
    lines = [f"**Compared**: {', '.join(document['guidelines'])} (current: {', '.join(current)})"]
    lines.append("")
    lines.append("| regimen | " + " | ".join(document["guidelines"]) + " |")
    lines.append("| --- |" + " --- |" * len(document["guidelines"]))
    for row in document["regimens"]:
        cells = []
        for g in document["guidelines"]:
            cell = row["cells"].get(g, {})
            shown = shown_status(cell) if "status" in cell else "?"
            status = CELL_WORDS.get(shown, shown)
            rec = f" {cell['recommendation']}" if cell.get("recommendation") else ""
            cells.append(status + rec)
        mark = " !" if row.get("disagreement") else ""
        lines.append(
            f"| {names.get(row['regimen'], row['regimen'])}{mark} | " + " | ".join(cells) + " |"
        )
    if disagreements:
        lines.extend(["", "**Disagreements between current editions**"])
        lines.extend(
            f"- {names.get(r['regimen'], r['regimen'])}: {r['explanation']}" for r in disagreements
        )
    lines.extend(
        [
            "",
            "yes offered · if conditional · no not offered · CI contraindicated · "
            '- not mentioned · n/e not encoded (not encoded is not "not offered")',
            "",
            _FOOTER,
        ]
    )
    indicator: Indicator = "warning" if disagreements else "info"
    return Card(
        uuid=card_uuid(hook_instance, "compare"),
        summary=summary,
        indicator=indicator,
        detail="\n".join(lines) + "\n",
        source=source,
        links=[Link(label="Why: the side-by-side explanation", url=explanation_url)],
    )


def _medication_concept(drug: str) -> dict[str, Any]:
    """The drug in words, with its RxNorm code where the FHIR mapping table has a verified one."""
    from hcc_asp.patient.fhir.mapping import SYSTEMS, table

    codings = [
        {"system": SYSTEMS["rxnorm"], "code": row.code, "display": row.display}
        for row in table()
        if row.kind == "medication"
        and row.system == "rxnorm"
        and row.target == "drug"
        and row.value == drug
        and row.verified
    ]
    return {"coding": codings, "text": drug} if codings else {"text": drug}


def _medication_request(drug: str, patient_id: str, draft: dict[str, Any]) -> dict[str, Any]:
    """A draft MedicationRequest for one drug (coded only with a verified RxNorm code)."""
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "status": "draft",
        "intent": draft.get("intent", "order"),
        "medicationCodeableConcept": _medication_concept(drug),
        "subject": {"reference": f"Patient/{patient_id}"},
    }
    for key in ("encounter", "requester"):
        if isinstance(draft.get(key), dict):
            resource[key] = draft[key]
    return resource


def order_card(
    document: dict[str, Any],
    guideline: GuidelineInfo,
    names: dict[str, str],
    drugs: dict[str, tuple[str, ...]],
    *,
    regimen: str,
    drafts: Sequence[dict[str, Any]],
    hook: str,
    hook_instance: str,
    patient_id: str,
    explanation_url: str,
) -> Card | None:
    """The card for a draft order of ``regimen`` under one guideline; None when it is offered.

    ``drafts`` are the draft MedicationRequests that make up the order; where the guideline
    offers other regimens, each becomes a suggestion that replaces them (delete the drafts,
    create one draft per drug of the offered regimen).
    """
    name = names.get(regimen, regimen)
    label = guideline.label
    entry = next((e for e in document["regimens"] if e["regimen"] == regimen), None)
    if entry is not None and entry["status"] == "recommended":
        return None
    offered = [
        e for e in document["regimens"] if e["status"] == "recommended" and e["regimen"] != regimen
    ]
    lines = [f"**{label}** · {_derived_line(document)}", ""]
    indicator: Indicator
    if entry is None:
        indicator = "info"
        summary = first_fitting(
            [
                f"{label} as encoded does not mention {plain_name(name)}: no check was made",
                f"{label} does not mention {plain_name(name)}",
            ]
        )
        lines.append(
            f"{label}, as encoded here, says nothing about {name}. That is not a recommendation "
            "against it: the order was not checked."
        )
    elif shown_status(entry) == "not_encoded":
        # The edition is not encoded for this patient's line or population (kb/scope.lp).
        indicator = "info"
        summary = first_fitting(
            [
                f"{label} is not encoded for this patient: {plain_name(name)} was not checked",
                f"{label} not encoded here: no check was made",
            ]
        )
        lines.append(
            f"{label}'s statements for this patient's situation are not encoded here, so it "
            f"not offering {name} is not a recommendation against it: the order was not checked."
        )
        lines.extend(f"Note: {note['text']}" for note in document.get("notes", []))
    else:
        status = entry["status"]
        reason = main_reason(entry)
        if status == "contraindicated":
            indicator = "critical"
            sentence = f"{plain_name(name)} is contraindicated: {reason}"
        elif status == "conditional":
            indicator = "warning"
            sentence = f"{plain_name(name)} only once done or known: {reason}"
        else:
            indicator = "warning"
            sentence = f"{label} does not offer {plain_name(name)} now: {reason}"
        summary = first_fitting(
            [
                sentence if status == "not_recommended" else f"{label}: {sentence}",
                f"{label}: {plain_name(name)} is {status.replace('_', ' ')} ({_rec(entry)})",
            ]
        )
        lines.append(f"**{name}**: {status.replace('_', ' ')} under {label}.")
        lines.extend(_entry_lines(entry, names, guideline.id))
    if offered:
        lines.extend(["", f"**{label} offers now**"])
        lines.extend(
            f"- {names.get(e['regimen'], e['regimen'])} ({_rec(e)}, "
            f"{grade_word(e.get('evidence', {}))})"
            for e in offered
        )
    suggestions = []
    uncoded_lines = []
    for alternative in offered[:MAX_SUGGESTIONS]:
        alt_name = names.get(alternative["regimen"], alternative["regimen"])
        uncoded = [
            drug
            for drug in drugs.get(alternative["regimen"], ())
            if "coding" not in _medication_concept(drug)
        ]
        if uncoded or not drugs.get(alternative["regimen"]):
            # a text-only order is one a client cannot apply: say so instead of suggesting it
            uncoded_lines.append(
                f"- {plain_name(alt_name)}: no verified RxNorm code for "
                f"{', '.join(uncoded) or 'its drugs'} in this tool's table, so no order is "
                "suggested; order it in the EHR"
            )
            continue
        actions = [
            Action(
                type="delete",
                description=f"Remove the draft order {_reference(d)}",
                resourceId=_reference(d),
            )
            for d in drafts
            if d.get("id")
        ]
        template = drafts[0] if drafts else {}
        actions.extend(
            Action(
                type="create",
                description=f"Draft an order for {drug}",
                resource=_medication_request(drug, patient_id, template),
            )
            for drug in drugs.get(alternative["regimen"], ())
        )
        suggestions.append(
            Suggestion(
                label=f"Replace with {plain_name(alt_name)} ({_rec(alternative)})",
                uuid=card_uuid(hook_instance, hook, guideline.id, regimen, alternative["regimen"]),
                actions=actions,
            )
        )
    if uncoded_lines:
        lines.extend(["", "**Not suggested as an order (no verified drug code)**", *uncoded_lines])
    lines.extend(["", _FOOTER])
    return Card(
        uuid=card_uuid(hook_instance, hook, guideline.id, regimen),
        summary=summary,
        indicator=indicator,
        detail="\n".join(lines) + "\n",
        source=guideline.source(),
        suggestions=suggestions or None,
        selectionBehavior="at-most-one" if suggestions else None,
        links=[Link(label=f"Why not: {name} under {label}", url=explanation_url)],
    )


def _reference(resource: dict[str, Any]) -> str:
    return f"{resource.get('resourceType', 'MedicationRequest')}/{resource.get('id', '')}"
