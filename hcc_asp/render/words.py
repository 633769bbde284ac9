"""Words shared by the text and HTML renderers: evidence, patient values, statuses, provenance.

Nothing here decides: each function rewords fields the documents already carry (the KB's words),
so the text answer and the HTML page say the same thing. Grades are never invented: a field the
KB marks ``unconfirmed`` is left out of the words and said as unconfirmed instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

#: Status headings, in the order a clinician reads them (what can be given first).
STATUS_HEADINGS = {
    "recommended": "Offered now",
    "conditional": "Conditional: learn or do first",
    "not_recommended": "Not offered",
    "not_encoded": "Not encoded for this patient (the guideline's statements here are not in the "
    "KB: not its verdict)",
    "contraindicated": "Contraindicated",
}
#: Status words in running text.
STATUS_WORDS = {
    "recommended": "recommended",
    "conditional": "conditional",
    "not_recommended": "not recommended",
    "contraindicated": "contraindicated",
    "not_mentioned": "not mentioned",
    "not_encoded": "not encoded",
}
#: Unit suffixes of patient-file keys (spec/patient.md) and how a clinician writes them.
UNITS = (
    ("_mg_dl", "mg/dL"),
    ("_g_dl", "g/dL"),
    ("_umol_l", "µmol/L"),
    ("_g_l", "g/L"),
    ("_ng_ml", "ng/mL"),
    ("_kg", "kg"),
    ("_percent", "%"),
    ("_months_ago", "months ago"),
    ("_days_ago", "days ago"),
)
ACRONYMS = {"inr": "INR", "afp": "AFP", "ecog": "ECOG", "gi": "GI", "hbv": "HBV", "hcv": "HCV"}
#: Guideline bodies as they print their own names.
BODIES = {"asco": "ASCO", "esmo": "ESMO", "aasld": "AASLD", "nccn": "NCCN", "bclc": "BCLC"}


def shown_status(item: dict[str, Any]) -> str:
    """The status a reader sees: ``not_encoded`` where the edition is not encoded, else the status.

    ``not_encoded`` is for a regimen (or compare cell) the edition does not offer where its
    statements are not encoded (``coverage``). A "not offered" outside the edition's encoded
    scope is not the guideline's verdict, so it is never shown as "no" (kb/scope.lp).
    """
    status = str(item["status"])
    if item.get("coverage") == "not_encoded" and status in ("not_recommended", "not_mentioned"):
        return "not_encoded"
    return status


def status_groups(entries: list[dict[str, Any]]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(status, heading, entries) in reading order; a status added later gets its own group.

    Regimens not offered where the edition is not encoded get a group of their own (not_encoded),
    after the regimens the guideline does not offer; an empty not_encoded group is left out.
    """
    statuses = list(STATUS_HEADINGS)
    statuses += sorted({shown_status(e) for e in entries} - set(statuses))
    return [
        (
            status,
            STATUS_HEADINGS.get(status, status.replace("_", " ").capitalize()),
            [e for e in entries if shown_status(e) == status],
        )
        for status in statuses
        if status != "not_encoded" or any(shown_status(e) == status for e in entries)
    ]


def is_unconfirmed(value: Any) -> bool:
    """True when the KB marks a field as not confirmed from a source."""
    return isinstance(value, str) and value.startswith("unconfirmed")


def guideline_label(guideline: str) -> str:
    """``asco-2024`` -> ``ASCO 2024`` (the public id stays in JSON)."""
    body, _, year = guideline.partition("-")
    return f"{BODIES.get(body, body.upper())} {year}".strip()


def evidence_words(evidence: dict[str, Any], guideline: str = "") -> str:
    """The evidence of a recommendation in words, from the guideline's own grading fields.

    ASCO ``strength``/``quality``/``type`` -> "strong; high-quality evidence"; ESMO
    ``level``/``grade``/``mcbs`` -> "ESMO I, A; MCBS 4"; NCCN ``category``/``preference`` ->
    "NCCN category 2A, preferred"; AASLD ``level``/``strength`` -> "Level 2, strong". Fields the KB
    marks unconfirmed are left out; when every field is unconfirmed: "grading unconfirmed".
    """
    known = {
        k: str(v)
        for k, v in evidence.items()
        if k not in ("label", "basis", "benefit") and v and not is_unconfirmed(v)
    }
    body = guideline.partition("-")[0]
    parts: list[str] = []
    if body == "esmo" and ("level" in known or "grade" in known):
        grading = ", ".join(known.pop(k) for k in ("level", "grade") if k in known)
        parts.append(f"ESMO {grading}")
        if "mcbs" in known:
            parts.append(f"MCBS {known.pop('mcbs')}")
    if "category" in known or "preference" in known:
        words = []
        if "category" in known:
            words.append(f"{BODIES.get(body, body.upper())} category {known.pop('category')}")
        if "preference" in known:
            words.append(known.pop("preference"))
        parts.append(", ".join(words))
    if "level" in known:
        level = known.pop("level")
        parts.append(level if level.lower().startswith("level") else f"Level {level}")
    if "strength" in known:
        strength = known.pop("strength")
        if "quality" in known:
            parts.append(f"{strength}; {known.pop('quality')}-quality evidence")
        else:
            parts.append(strength)
    elif "quality" in known:
        parts.append(f"{known.pop('quality')}-quality evidence")
    if "type" in known:
        parts.append(known.pop("type"))
    parts.extend(f"{k} {v}" for k, v in known.items())
    if parts:
        return "; ".join(dict.fromkeys(parts))
    if any(is_unconfirmed(v) for v in evidence.values()):
        return "grading unconfirmed"
    return ""


def regimen_name(regimen: str, names: Mapping[str, str] | None = None) -> str:
    """The KB's name of a regimen (``regimen_name/2``), else its id."""
    return (names or {}).get(regimen, regimen)


def key_words(key: str) -> tuple[str, str]:
    """A patient-file key in words and its unit: ``labs.bilirubin_mg_dl`` -> (bilirubin, mg/dL)."""
    last = key.rsplit(".", 1)[-1]
    unit = ""
    for suffix, words in UNITS:
        if last.endswith(suffix):
            last, unit = last[: -len(suffix)], words
            break
    name = " ".join(ACRONYMS.get(part, part) for part in last.split("_"))
    return name, unit


def value_words(key: str, value: Any) -> str:
    """A patient value in words: "bilirubin 2.6 mg/dL", "ascites mild", "transplant: none"."""
    name, unit = key_words(key)
    if key.startswith("prior_therapies["):
        line = int(key[len("prior_therapies[") :].split("]", 1)[0]) + 1
        name = f"prior line {line} {name}"
    if value is None:
        return f"{name} unknown"
    if isinstance(value, bool):
        return f"{name}: {'yes' if value else 'no'}"
    if isinstance(value, float):
        value = f"{value:g}"
    if isinstance(value, str) and value != "none_recorded":
        value = plain_value(value)
    if unit in ("months ago", "days ago"):
        # none_recorded: the what-if's "recorded, with no such event" (absent = none known key).
        return f"{name}: none recorded" if value == "none_recorded" else f"{name} {value} {unit}"
    return f"{name} {value}{' ' + unit if unit else ''}"


def measure_words(key: str, value: Any) -> str:
    """A patient value with its unit only: "2.6 mg/dL", "mild" (for a column named by the key)."""
    _, unit = key_words(key)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        value = f"{value:g}"
    if isinstance(value, str):
        value = plain_value(value)
    return f"{value}{' ' + unit if unit else ''}"


def scores_line(derived: dict[str, Any], line: Any) -> str:
    """Line of therapy and derived scores on one line (unknown said as unknown)."""
    cp, albi = derived["child_pugh"], derived["albi"]
    cp_text = (
        f"Child-Pugh {cp['class']}{cp['score'] if cp['score'] is not None else ''}"
        if cp["class"]
        else "Child-Pugh unknown"
    )
    albi_text = (
        f"ALBI grade {albi['grade']} ({albi['score']:.2f})" if albi["grade"] else "ALBI unknown"
    )
    stage = derived.get("bclc_stage")
    return (
        f"Line {line if line is not None else 'unknown'} | {cp_text} | {albi_text} | "
        f"BCLC {stage or 'unknown'}"
    )


def components_words(derived: dict[str, Any]) -> list[str]:
    """Child-Pugh components with their points: "bilirubin 2.6 mg/dL: 2 pts" (when known)."""
    out = []
    for component, part in derived.get("child_pugh_components", {}).items():
        value = value_words(part["key"], part["value"]) if part.get("key") else component
        points = part.get("points")
        out.append(f"{value}: {points} pt{'s' if points != 1 else ''}" if points else value)
    return out


def provenance_groups(
    entries: Iterable[dict[str, Any]], names: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Unconfirmed provenance said once, with the recommendations and regimens it concerns.

    In first-seen order; a remark shared by a whole guideline appears once.
    """
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:
        for what, text in entry.get("unconfirmed", {}).items():
            group = groups.setdefault(
                (what, text), {"what": what, "text": text, "recommendations": [], "regimens": []}
            )
            rec = entry.get("recommendation") or ""
            if rec and rec not in group["recommendations"]:
                group["recommendations"].append(rec)
            group["regimens"].append(regimen_name(entry["regimen"], names))
    return list(groups.values())


def later_lines_only(entry: dict[str, Any], line: Any) -> bool:
    """True for a regimen recommended only after prior therapy, for a first-line patient.

    Its main reason is the line: text and pages collapse these regimens into one group.
    """
    reasons = entry.get("reasons") or []
    return (
        line == 1
        and entry["status"] == "not_recommended"
        and entry.get("coverage") != "not_encoded"
        and bool(reasons)
        and reasons[0].get("code") == "line_of_therapy"
        and "only after prior" in str(reasons[0].get("text", ""))
    )


def main_reason_words(entry: dict[str, Any]) -> str:
    """The one line that says why a regimen has its status (the KB's own sentences)."""
    if entry.get("main_reason"):
        reason = entry["main_reason"]
        return reason["text"] if isinstance(reason, dict) else str(reason)
    status = entry["status"]
    if status in ("not_recommended", "contraindicated") and entry["reasons"]:
        return str(entry["reasons"][0]["text"])
    if status == "conditional":
        parts = []
        if entry["actions"]:
            parts.append("do first: " + "; ".join(a["text"] for a in entry["actions"]))
        if entry["missing"]:
            parts.append("learn: " + ", ".join(key_phrase(k) for k in entry["missing"]))
        return "; ".join(parts)
    return ""


#: Short cell words of the compare matrix (status -> word), in text and HTML alike; the legend
#: prints them and the page gives screen readers the full words.
CELL_WORDS = {
    "recommended": "yes",
    "conditional": "if",
    "not_recommended": "no",
    "contraindicated": "CI",
    "not_mentioned": "-",
    "not_encoded": "n/e",
}


#: Patient-file keys in a clinician's words (the key itself goes in small print beside them).
KEY_WORDS = {
    "id": "patient identifier",
    "ecog": "ECOG performance status",
    "weight_kg": "weight",
    "tumour.bclc_stage": "BCLC stage",
    "tumour.macrovascular_invasion": "macrovascular invasion",
    "tumour.portal_vein_invasion": "portal vein invasion",
    "tumour.extrahepatic_spread": "extrahepatic spread",
    "tumour.liver_involvement_percent": "liver involved by tumour",
    "tumour.bile_duct_invasion": "bile duct invasion",
    "tumour.nodules": "number of nodules",
    "tumour.largest_nodule_cm": "largest nodule",
    "tumour.locoregional_therapy": "locoregional therapy",
    "tumour.response_needed": "whether tumour shrinkage is a goal",
    "labs.bilirubin_mg_dl": "bilirubin",
    "labs.bilirubin_umol_l": "bilirubin",
    "labs.albumin_g_dl": "albumin",
    "labs.albumin_g_l": "albumin",
    "labs.inr": "INR",
    "labs.afp_ng_ml": "AFP",
    "labs.platelets_10e9_l": "platelets",
    "liver.ascites": "ascites",
    "liver.encephalopathy": "hepatic encephalopathy",
    "liver.child_pugh.class": "Child-Pugh class",
    "liver.child_pugh.score": "Child-Pugh score",
    "liver.etiology": "cause of liver disease",
    "liver.hbv_antiviral": "antiviral therapy for hepatitis B",
    "liver.varices": "varices (endoscopy)",
    "liver.varices.endoscopy_months_ago": "time since the last endoscopy",
    "liver.varices.finding": "varices found at endoscopy",
    "liver.varices.treated": "whether the varices were treated",
    "liver.varices.bleeding_risk": "variceal bleeding risk",
    "liver.varices.bleeding_months_ago": "time since a variceal or GI bleed",
    "comorbidities": "comorbidities",
    "comorbidities.autoimmune_disease": "autoimmune disease",
    "comorbidities.transplant": "transplant",
    "comorbidities.therapeutic_anticoagulation": "therapeutic anticoagulation",
    "comorbidities.arterial_thromboembolism_months_ago": "time since an arterial thromboembolism",
    "comorbidities.uncontrolled_hypertension": "uncontrolled hypertension",
    "comorbidities.nephrotic_proteinuria": "nephrotic-range proteinuria",
    "comorbidities.major_surgery_days_ago": "time since major surgery",
    "comorbidities.gi_perforation_history": "history of GI perforation",
    "comorbidities.interstitial_lung_disease": "interstitial lung disease",
    "comorbidities.systemic_immunosuppression": "systemic immunosuppression",
    "prior_therapies": "prior systemic therapies",
    "access.unavailable": "regimens not available here",
    "given": "the regimen given",
}

#: Enumerated patient values whose id is not already a word.
VALUE_WORDS = {
    "moderate_severe": "moderate or severe",
    "grade_1_2": "grade 1-2",
    "grade_3_4": "grade 3-4",
    "other_solid_organ": "other solid organ",
    "allogeneic_hsct": "allogeneic stem cell",
    "vp1": "Vp1",
    "vp2": "Vp2",
    "vp3": "Vp3",
    "vp4": "Vp4",
    "hbv": "hepatitis B",
    "hcv": "hepatitis C",
    "masld": "MASLD",
}

#: The fields of a provenance remark (``unconfirmed``) in words.
PROVENANCE_WORDS = {
    "secondary_source": "secondary source",
    "number": "recommendation number",
    "grading": "grading",
    "exclusions": "exclusions",
    "population": "population",
    "trials": "trials",
    "type": "type",
}

#: The kinds of a TKI-ordering factor (kb/preference.lp) in words.
FACTOR_KINDS = {
    "evidence_gap": "evidence gap",
    "consideration": "patient-specific consideration",
    "general": "for every patient",
}


def key_phrase(key: str) -> str:
    """A patient-file key in words: ``comorbidities.major_surgery_days_ago`` -> time since surgery.

    A prior line's key names the line; an unknown key falls back to its last part.
    """
    if key.startswith("prior_therapies["):
        index, _, rest = key[len("prior_therapies[") :].partition("]")
        return f"prior line {int(index) + 1} {rest.lstrip('.').replace('_', ' ')}".strip()
    if key in KEY_WORDS:
        return KEY_WORDS[key]
    name, _ = key_words(key)
    return name


def keys_text(keys: Iterable[str]) -> str:
    """Keys for text output: words, each key in brackets after them (the file's small print)."""
    return ", ".join(f"{key_phrase(k)} [{k}]" for k in keys)


def plain_value(value: Any) -> str:
    """An enumerated patient value in words (``moderate_severe`` -> moderate or severe)."""
    text = str(value)
    return VALUE_WORDS.get(text, text.replace("_", " ") if "_" in text else text)


def provenance_words(what: str) -> str:
    """The field of an unconfirmed remark in words (``secondary_source`` -> secondary source)."""
    return PROVENANCE_WORDS.get(what, what.replace("_", " "))


_GUIDELINE_ID = re.compile(r"\b(asco|esmo|aasld|nccn|bclc)-(\d{4})\b")
_ENGINE_ID = re.compile(r"(?<![.\w\[])[a-z0-9]+(?:_+[a-z0-9]+)+(?![\w.\]])")


def sentence_words(text: str, names: Mapping[str, str] | None = None) -> str:
    """A derivation node's text as a sentence: guideline, regimen and status ids in words.

    ``asco-2024 1.1 for atezolizumab_bevacizumab is not_met`` -> ``ASCO 2024 1.1 for
    Atezolizumab + bevacizumab is not met``; an internal helper's name left by the KB
    (``reflect_main_portal_vein_invasion``) is said with spaces. Patient-file keys (after a dot or
    in brackets) are left as they are: they are the small print of the patient's values.
    """
    text = _GUIDELINE_ID.sub(lambda m: guideline_label(m.group(0)), text)

    def word(match: re.Match[str]) -> str:
        token = match.group(0)
        if names and token in names:
            return names[token]
        if token in STATUS_WORDS:
            return STATUS_WORDS[token]
        if token in VALUE_WORDS:
            return VALUE_WORDS[token]
        return re.sub(r"_+", " ", token)

    return _ENGINE_ID.sub(word, text)
