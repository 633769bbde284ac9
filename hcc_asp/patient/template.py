"""The patient file to fill in: ``hcc-asp template`` writes it, ``recommend`` accepts it as it is.

Every key of the patient model is in the template, with a one-line note (unit, allowed values,
what it means), in the order a first-line decision needs them: performance status, prior lines,
liver function, tumour extent, the conditions behind the drugs' contraindications; then the rest.
Every value is left empty, so an unfilled template is a valid patient about whom nothing is known:
``recommend`` answers ``conditional`` and names the keys to fill in.

Two sections are written commented out, because writing them says something: inside
``liver.varices`` and ``comorbidities`` a time-since key left out means "none known" (no
endoscopy, no bleed, no surgery, no thromboembolism), and an empty template must not say that.
The notes are also the descriptions of the JSON Schema (:mod:`hcc_asp.patient.schema`).
"""

from __future__ import annotations

from typing import Any, Literal, get_args, get_origin

__all__ = ["NOTES", "patient_template"]

#: One line per key path (list items without an index): what the key holds, in the template and
#: as the key's description in the JSON Schema.
NOTES: dict[str, str] = {
    "version": "format version: only 1 exists",
    "id": "the patient's label (default: the file name)",
    "ecog": "ECOG performance status, 0-4",
    "ecog_cancer_related": "is the ECOG caused by the cancer? true | false (unknown if empty)",
    "weight_kg": "body weight in kg (sets the lenvatinib dose)",
    "tumour": "the cancer's stage and extent",
    "tumour.bclc_stage": "0 | A | B | C | D; derived from the values when left empty",
    "tumour.macrovascular_invasion": "any macroscopic vascular invasion: true | false",
    "tumour.portal_vein_invasion": "none | vp1 | vp2 | vp3 | vp4 (vp4: main trunk)",
    "tumour.extrahepatic_spread": "spread outside the liver: true | false",
    "tumour.liver_involvement_percent": "share of the liver occupied by tumour, 0-100",
    "tumour.bile_duct_invasion": "true | false",
    "tumour.nodules": "number of nodules, 1 or more",
    "tumour.largest_nodule_cm": "largest nodule in cm",
    "tumour.locoregional_therapy": "suitable | unsuitable | refractory (after TACE/TARE)",
    "tumour.response_needed": "is tumour shrinkage a goal: true | false",
    "labs": "laboratory values (bilirubin, albumin: one unit or the other)",
    "labs.bilirubin_mg_dl": "total bilirubin in mg/dL",
    "labs.bilirubin_umol_l": "or total bilirubin in umol/L (not both, unless they agree)",
    "labs.albumin_g_dl": "albumin in g/dL",
    "labs.albumin_g_l": "or albumin in g/L (not both, unless they agree)",
    "labs.inr": "international normalised ratio",
    "labs.afp_ng_ml": "alpha-fetoprotein in ng/mL",
    "labs.platelets_10e9_l": "platelets in 10^9/L",
    "liver": "liver function, cirrhosis and varices",
    "liver.ascites": "none | mild | moderate_severe",
    "liver.encephalopathy": "none | grade_1_2 | grade_3_4",
    "liver.child_pugh": "stated class and score (derived when the labs are known)",
    "liver.child_pugh.class": "A | B | C",
    "liver.child_pugh.score": "5-15",
    "liver.etiology": "list of hbv, hcv, alcohol, masld, other",
    "liver.hbv_antiviral": "on antiviral therapy for HBV: true | false",
    "liver.varices": "oesophageal varices: screening, finding, bleeding",
    "liver.varices.endoscopy_months_ago": "months since the last upper endoscopy (left out: never)",
    "liver.varices.finding": "none | small | large, at that endoscopy",
    "liver.varices.treated": "band ligation or a non-selective beta-blocker: true | false",
    "liver.varices.bleeding_risk": "low | high (hepatology judgement)",
    "liver.varices.bleeding_months_ago": "months since the last variceal/GI bleed (left out: none)",
    "comorbidities": "conditions behind contraindications and cautions",
    "comorbidities.autoimmune_disease": "none | history | active",
    "comorbidities.transplant": "none | liver | other_solid_organ | allogeneic_hsct",
    "comorbidities.therapeutic_anticoagulation": "full-dose anticoagulation: true | false",
    "comorbidities.arterial_thromboembolism_months_ago": "months since MI/stroke (left out: none)",
    "comorbidities.uncontrolled_hypertension": "true | false",
    "comorbidities.nephrotic_proteinuria": "true | false",
    "comorbidities.major_surgery_days_ago": "days since major surgery (left out: none recent)",
    "comorbidities.gi_perforation_history": "true | false",
    "comorbidities.interstitial_lung_disease": "true | false",
    "comorbidities.systemic_immunosuppression": "e.g. prednisone > 10 mg/day: true | false",
    "prior_therapies": "systemic lines given, first first; [] = treatment-naive",
    "prior_therapies.regimen": "a regimen id or alias (hcc-asp regimens)",
    "prior_therapies.outcome": "progression | intolerance | completed | ongoing",
    "prior_therapies.tolerated": "sorafenib only: >= 400 mg/day on >= 20 of the last 28 days",
    "prior_therapies.immune_adverse_event": "none | grade_1_2 | grade_3_4 (checkpoint inhibitors)",
    "access": "what this patient cannot get",
    "access.unavailable": "list of regimens not available (approval, cost)",
    "given": "audit only: the regimen actually started at this line",
}

_HEADER = """\
# A patient file to fill in (hcc-asp, format version 1), written by `hcc-asp template`.
# Fill in what you know and leave the rest empty: an empty key is unknown, never "no", and an
# answer that depends on it comes back conditional, naming the key. `hcc-asp schema patient`
# prints the JSON Schema of this file (for an editor's completion and checks)."""

_FIRST = "# --- What a first-line decision needs ---"
_REST = "# --- The rest: refinements, cautions, dosing ---"

_COMMENTED = {
    "liver.varices": [
        "Uncomment once the varices are assessed: in this section an empty",
        "endoscopy_months_ago means never screened, an empty bleeding_months_ago no bleed.",
    ],
    "comorbidities": [
        "Uncomment once the comorbidities are reviewed: in this section an empty",
        "*_months_ago or *_days_ago key means no such event is known.",
    ],
}

#: The template's layout: (key path, first-line) in the order written; sections recurse.
_LAYOUT: list[tuple[str, bool]] = [
    ("ecog", True),
    ("ecog_cancer_related", True),
    ("prior_therapies", True),
    ("liver", True),
    ("labs", True),
    ("tumour", True),
    ("comorbidities", True),
    ("weight_kg", False),
    ("access", False),
    ("given", False),
]

#: Within each section, the keys a first-line decision needs come first, in this order.
_SECTION_FIRST: dict[str, list[str]] = {
    "liver": ["ascites", "encephalopathy", "etiology", "hbv_antiviral", "varices"],
    "liver.varices": ["endoscopy_months_ago", "finding", "treated", "bleeding_risk"],
    "labs": ["bilirubin_mg_dl", "albumin_g_dl", "inr"],
    "tumour": ["macrovascular_invasion", "portal_vein_invasion", "extrahepatic_spread"],
    "comorbidities": ["autoimmune_disease", "transplant"],
}

_COLUMN = 32


def _line(indent: int, text: str, note: str | None, commented: bool) -> str:
    """One line: the key (or a list item) and, in a column, its note."""
    body = ("# " if commented else "") + " " * indent + text
    if not note:
        return body
    return f"{body:<{_COLUMN}} # {note}" if len(body) < _COLUMN else f"{body}  # {note}"


def _fields(section: Any) -> list[tuple[str, Any]]:
    """The (file key, annotation) of a section's fields, in the model's order."""
    return [(field.alias or name, field.annotation) for name, field in section.model_fields.items()]


def _section_type(annotation: Any) -> Any:
    """The Section class of a field, or None for a leaf."""
    from hcc_asp.patient.section import Section, strip_annotation

    inner = strip_annotation(annotation)
    return inner if isinstance(inner, type) and issubclass(inner, Section) else None


def _write_section(path: str, section: Any, indent: int, commented: bool, out: list[str]) -> None:
    """Write a section's keys: first-line ones first, then the rest, sub-sections recursed."""
    fields = dict(_fields(section))
    first = [key for key in _SECTION_FIRST.get(path, []) if key in fields]
    order = first + [key for key in fields if key not in first]
    for key in order:
        child = f"{path}.{key}"
        sub = _section_type(fields[key])
        if sub is not None:
            _write_key(child, key, sub, indent, commented, out)
        else:
            out.append(_line(indent, f"{key}:", NOTES[child], commented))


def _write_key(
    path: str, key: str, section: Any, indent: int, commented: bool, out: list[str]
) -> None:
    """Write one section heading and its keys (commented out where writing it says something)."""
    if path in _COMMENTED and not commented:
        out.extend(" " * indent + "# " + text for text in _COMMENTED[path])
        commented = True
    out.append(_line(indent, f"{key}:", NOTES[path], commented))
    _write_section(path, section, indent + 2, commented, out)


def _write_prior_therapies(out: list[str]) -> None:
    """The prior lines: an empty list key and one commented example line with every key."""
    from hcc_asp.patient.model import PriorTherapy

    out.append(_line(0, "prior_therapies:", NOTES["prior_therapies"], False))
    for index, (key, _annotation) in enumerate(_fields(PriorTherapy)):
        lead = "- " if index == 0 else "  "
        out.append(_line(2, f"{lead}{key}:", NOTES[f"prior_therapies.{key}"], True))


def patient_template() -> str:
    """The template's text (YAML): every key empty, each with its note."""
    from hcc_asp.patient.model import Patient

    fields = dict(_fields(Patient))
    out = [_HEADER, "", _line(0, "version: 1", NOTES["version"], False)]
    out.append(_line(0, "id: new-patient", NOTES["id"], False))
    out += ["", _FIRST]
    rest_started = False
    for key, first in _LAYOUT:
        if not first and not rest_started:
            out += ["", _REST]
            rest_started = True
        section = _section_type(fields[key])
        if key == "prior_therapies":
            _write_prior_therapies(out)
        elif section is not None:
            _write_key(key, key, section, 0, False, out)
        else:
            out.append(_line(0, f"{key}:", NOTES[key], False))
    return "\n".join(out) + "\n"


def _literal_values(annotation: Any) -> list[str]:
    """The allowed values of an enumerated key (for the tests of the notes)."""
    from hcc_asp.patient.section import strip_annotation

    inner = strip_annotation(annotation)
    if get_origin(inner) is list:
        inner = get_args(inner)[0]
    return [str(value) for value in get_args(inner)] if get_origin(inner) is Literal else []
