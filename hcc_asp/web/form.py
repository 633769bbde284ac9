"""The patient form: every key of the patient file, grouped as a clinician thinks.

Each field says in words what it asks, names the patient-file key(s) it fills (shown in small
print, for whoever fills the file) and, for a lab, the units it can be given in (one key per
unit, as the file has). The choices are the model's own allowed values, each in words. The page
template renders these groups; a test holds that together they cover every key of the patient
model, so a key added to the file without a field here fails.

Prior therapies are a list of rows (regimen, outcome, tolerance, immune-related adverse event);
the template renders one row template that the page's script copies.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple


class Choice(NamedTuple):
    """One allowed value and how a clinician says it."""

    value: str
    words: str


class Field(NamedTuple):
    """One form field: what it asks, the key(s) it fills, how it is entered.

    ``kind``: ``text``, ``number`` (a decimal), ``whole`` (a whole number), ``choice`` (one of
    ``choices``), ``flag`` (yes / no / unknown), ``many`` (any of ``choices``, a list). A field
    with ``units`` is a number given in one of several units, each unit its own key.
    """

    key: str
    label: str
    kind: str
    choices: tuple[Choice, ...] = ()
    units: tuple[Choice, ...] = ()
    unit: str = ""
    hint: str = ""

    @property
    def keys(self) -> tuple[str, ...]:
        """Every patient-file key this field fills (one per unit for a lab)."""
        return tuple(u.value for u in self.units) or (self.key,)

    @property
    def dom_id(self) -> str:
        """The HTML id of the field's input."""
        return "f-" + self.key.replace(".", "-").replace("_", "-")


class Group(NamedTuple):
    """A fieldset: its legend and fields; ``section`` is a section whose presence means something.

    For ``comorbidities`` and ``liver.varices`` an absent date key means "none known" only when
    the section is present (README, "absent means unknown"): the group then carries a checkbox
    "reviewed", and the section is sent when it is ticked or any of its fields has a value.
    """

    id: str
    legend: str
    fields: tuple[Field, ...]
    section: str = ""


def _flag(key: str, label: str, hint: str = "") -> Field:
    return Field(key, label, "flag", hint=hint)


def _choices(*pairs: tuple[str, str]) -> tuple[Choice, ...]:
    return tuple(Choice(value, words) for value, words in pairs)


GROUPS: tuple[Group, ...] = (
    Group(
        "patient",
        "Patient",
        (
            Field("id", "Patient identifier", "text", hint="a pseudonym is enough"),
            Field("weight_kg", "Weight", "number", unit="kg"),
        ),
    ),
    Group(
        "tumour",
        "Tumour",
        (
            Field(
                "tumour.bclc_stage",
                "BCLC stage",
                "choice",
                _choices(*((s, f"BCLC {s}") for s in ("0", "A", "B", "C", "D"))),
                hint="leave unknown to derive it from the values below",
            ),
            _flag("tumour.macrovascular_invasion", "Macrovascular invasion"),
            Field(
                "tumour.portal_vein_invasion",
                "Portal vein invasion",
                "choice",
                _choices(
                    ("none", "none"),
                    ("vp1", "Vp1 (beyond the second-order branches)"),
                    ("vp2", "Vp2 (second-order branches)"),
                    ("vp3", "Vp3 (first-order branches)"),
                    ("vp4", "Vp4 (main trunk or contralateral branch)"),
                ),
            ),
            _flag("tumour.extrahepatic_spread", "Extrahepatic spread"),
            Field(
                "tumour.liver_involvement_percent", "Liver involved by tumour", "number", unit="%"
            ),
            _flag("tumour.bile_duct_invasion", "Bile duct invasion"),
            Field("tumour.nodules", "Number of nodules", "whole"),
            Field("tumour.largest_nodule_cm", "Largest nodule", "number", unit="cm"),
            Field(
                "tumour.locoregional_therapy",
                "Locoregional therapy",
                "choice",
                _choices(
                    ("suitable", "suitable"),
                    ("unsuitable", "unsuitable"),
                    ("refractory", "refractory (progressed on it)"),
                ),
            ),
            _flag(
                "tumour.response_needed",
                "Tumour shrinkage is a goal",
                hint="symptoms or downstaging; weighs lenvatinib against sorafenib",
            ),
        ),
    ),
    Group(
        "liver",
        "Liver and labs",
        (
            Field(
                "labs.bilirubin",
                "Bilirubin",
                "number",
                units=_choices(
                    ("labs.bilirubin_mg_dl", "mg/dL"), ("labs.bilirubin_umol_l", "µmol/L")
                ),
            ),
            Field(
                "labs.albumin",
                "Albumin",
                "number",
                units=_choices(("labs.albumin_g_dl", "g/dL"), ("labs.albumin_g_l", "g/L")),
            ),
            Field("labs.inr", "INR", "number"),
            Field("labs.afp_ng_ml", "AFP", "number", unit="ng/mL"),
            Field("labs.platelets_10e9_l", "Platelets", "number", unit="x 10⁹/L"),
            Field(
                "liver.ascites",
                "Ascites",
                "choice",
                _choices(
                    ("none", "none"), ("mild", "mild"), ("moderate_severe", "moderate or severe")
                ),
            ),
            Field(
                "liver.encephalopathy",
                "Hepatic encephalopathy",
                "choice",
                _choices(("none", "none"), ("grade_1_2", "grade 1-2"), ("grade_3_4", "grade 3-4")),
            ),
            Field(
                "liver.child_pugh.class",
                "Child-Pugh class, if stated",
                "choice",
                _choices(("A", "A"), ("B", "B"), ("C", "C")),
                hint="derived from the five components when they are known",
            ),
            Field("liver.child_pugh.score", "Child-Pugh score, if stated", "whole"),
            Field(
                "liver.etiology",
                "Cause of liver disease",
                "many",
                _choices(
                    ("hbv", "hepatitis B"),
                    ("hcv", "hepatitis C"),
                    ("alcohol", "alcohol"),
                    ("masld", "MASLD"),
                    ("other", "other"),
                ),
            ),
            _flag("liver.hbv_antiviral", "On antiviral therapy for hepatitis B"),
        ),
    ),
    Group(
        "varices",
        "Varices (endoscopy)",
        (
            Field(
                "liver.varices.endoscopy_months_ago", "Last endoscopy", "number", unit="months ago"
            ),
            Field(
                "liver.varices.finding",
                "Varices found",
                "choice",
                _choices(("none", "none"), ("small", "small"), ("large", "large")),
            ),
            _flag("liver.varices.treated", "Varices treated"),
            Field(
                "liver.varices.bleeding_risk",
                "Bleeding risk",
                "choice",
                _choices(("low", "low"), ("high", "high (red signs, large)")),
            ),
            Field(
                "liver.varices.bleeding_months_ago",
                "Last variceal or GI bleed",
                "number",
                unit="months ago",
                hint="blank with the section reviewed: none known",
            ),
        ),
        section="liver.varices",
    ),
    Group(
        "performance",
        "Performance status",
        (
            Field(
                "ecog",
                "ECOG performance status",
                "whole",
                _choices(
                    ("0", "0: fully active"),
                    ("1", "1: restricted in strenuous activity"),
                    ("2", "2: ambulatory, up more than half the day"),
                    ("3", "3: in bed or chair more than half the day"),
                    ("4", "4: completely disabled"),
                ),
            ),
            _flag(
                "ecog_cancer_related",
                "ECOG 1-2 caused by the cancer (BCLC counts cancer-related symptoms only)",
            ),
        ),
    ),
    Group(
        "comorbidities",
        "Comorbidities and safety",
        (
            Field(
                "comorbidities.autoimmune_disease",
                "Autoimmune disease",
                "choice",
                _choices(("none", "none"), ("history", "history of"), ("active", "active")),
            ),
            Field(
                "comorbidities.transplant",
                "Transplant",
                "choice",
                _choices(
                    ("none", "none"),
                    ("liver", "liver"),
                    ("other_solid_organ", "other solid organ"),
                    ("allogeneic_hsct", "allogeneic stem cell"),
                ),
            ),
            _flag("comorbidities.therapeutic_anticoagulation", "Therapeutic anticoagulation"),
            Field(
                "comorbidities.arterial_thromboembolism_months_ago",
                "Last arterial thromboembolism",
                "number",
                unit="months ago",
                hint="blank with the section reviewed: none known",
            ),
            _flag("comorbidities.uncontrolled_hypertension", "Uncontrolled hypertension"),
            _flag("comorbidities.nephrotic_proteinuria", "Nephrotic-range proteinuria"),
            Field(
                "comorbidities.major_surgery_days_ago",
                "Last major surgery",
                "number",
                unit="days ago",
                hint="blank with the section reviewed: none known",
            ),
            _flag("comorbidities.gi_perforation_history", "History of GI perforation"),
            _flag("comorbidities.interstitial_lung_disease", "Interstitial lung disease"),
            _flag("comorbidities.systemic_immunosuppression", "Systemic immunosuppression"),
        ),
        section="comorbidities",
    ),
)

#: The fields of one prior-therapy row (keys relative to ``prior_therapies[i]``).
PRIOR_FIELDS: tuple[Field, ...] = (
    Field("regimen", "Regimen", "choice"),
    Field(
        "outcome",
        "Outcome",
        "choice",
        _choices(
            ("progression", "progression"),
            ("intolerance", "stopped for intolerance"),
            ("completed", "completed"),
            ("ongoing", "ongoing (current therapy)"),
        ),
    ),
    Field("tolerated", "Tolerated (sorafenib only)", "flag"),
    Field(
        "immune_adverse_event",
        "Worst immune-related adverse event",
        "choice",
        _choices(("none", "none"), ("grade_1_2", "grade 1-2"), ("grade_3_4", "grade 3-4")),
    ),
)

#: Keys the form fills outside the groups: the prior-therapy list, regimens not available, and
#: the audit's ``given`` (not a fact for the answer; kept from an opened file).
OTHER_KEYS = ("prior_therapies", "access.unavailable", "version", "given")


def form_keys() -> Iterator[str]:
    """Every patient-file key the form fills (for the coverage test)."""
    for group in GROUPS:
        for field in group.fields:
            yield from field.keys
    for field in PRIOR_FIELDS:
        yield f"prior_therapies[].{field.key}"
    yield from OTHER_KEYS


def regimen_choices(vocabulary: Sequence[tuple[str, str]]) -> tuple[Choice, ...]:
    """The regimens (id, name) of the KB's vocabulary as choices, by name."""
    return tuple(Choice(rid, name) for rid, name in sorted(vocabulary, key=lambda r: r[1].lower()))
