"""The patient model (``spec/patient.md``, format version 1): the sections of the patient file.

Every reader (the patient file, :mod:`hcc_asp.patient.file`; FHIR, :mod:`hcc_asp.patient.fhir`)
ends in :func:`hcc_asp.patient.validation.patient_from_data`, which validates plain data against
:class:`Patient`. The leaf types are in :mod:`hcc_asp.patient.leaves`, the numeric ranges in
:mod:`hcc_asp.patient.bounds`.

Absent keys and explicit ``null`` both mean *unknown*, never *no*: every leaf is optional and
``None`` when unknown.

The sections are :class:`hcc_asp.patient.section.Section` classes validated by ``pydantic_core``
directly, not ``pydantic.BaseModel`` (the cold-start budget; see that module). No ``from
__future__ import annotations`` here: each field's annotation carries its core schema, read when
the class is defined.
"""

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal

from pydantic_core import core_schema

from hcc_asp.patient.leaves import (
    REGIMEN_ID,
    Ascites,
    AutoimmuneDisease,
    BclcStage,
    BleedingRisk,
    ChildPughClass,
    Encephalopathy,
    Etiology,
    Flag,
    ImmuneAdverseEvent,
    LocoregionalTherapy,
    Outcome,
    PortalVeinInvasion,
    RegimenId,
    Transplant,
    VaricesFinding,
    bclc_zero,
    bounded_number,
    format_version,
    whole,
)
from hcc_asp.patient.section import Alias, Section, literal

__all__ = [
    "Access",
    "ChildPugh",
    "Comorbidities",
    "Labs",
    "Liver",
    "Patient",
    "PriorTherapy",
    "Section",
    "Tumour",
    "Varices",
]


class Tumour(Section):
    """``tumour``: stage and extent of the cancer."""

    bclc_stage: Annotated[
        BclcStage | None,
        core_schema.no_info_before_validator_function(bclc_zero, literal(BclcStage)),
    ] = None
    macrovascular_invasion: Flag = None
    portal_vein_invasion: PortalVeinInvasion | None = None
    extrahepatic_spread: Flag = None
    liver_involvement_percent: Annotated[
        float | None, bounded_number("tumour.liver_involvement_percent")
    ] = None
    bile_duct_invasion: Flag = None
    nodules: Annotated[int | None, whole("tumour.nodules")] = None
    largest_nodule_cm: Annotated[float | None, bounded_number("tumour.largest_nodule_cm")] = None
    locoregional_therapy: LocoregionalTherapy | None = None
    response_needed: Flag = None


class Labs(Section):
    """``labs``: laboratory values; bilirubin and albumin in either unit."""

    bilirubin_mg_dl: Annotated[float | None, bounded_number("labs.bilirubin_mg_dl")] = None
    bilirubin_umol_l: Annotated[float | None, bounded_number("labs.bilirubin_umol_l")] = None
    albumin_g_dl: Annotated[float | None, bounded_number("labs.albumin_g_dl")] = None
    albumin_g_l: Annotated[float | None, bounded_number("labs.albumin_g_l")] = None
    inr: Annotated[float | None, bounded_number("labs.inr")] = None
    afp_ng_ml: Annotated[float | None, bounded_number("labs.afp_ng_ml")] = None
    platelets_10e9_l: Annotated[float | None, bounded_number("labs.platelets_10e9_l")] = None


class ChildPugh(Section):
    """``liver.child_pugh``: a stated Child-Pugh class and score (checked by the KB)."""

    class_: Annotated[ChildPughClass | None, Alias("class")] = None
    score: Annotated[int | None, whole("liver.child_pugh.score")] = None


class Varices(Section):
    """``liver.varices``: oesophageal varices screening, finding and bleeding."""

    endoscopy_months_ago: Annotated[
        float | None, bounded_number("liver.varices.endoscopy_months_ago")
    ] = None
    finding: VaricesFinding | None = None
    treated: Flag = None
    bleeding_risk: BleedingRisk | None = None
    bleeding_months_ago: Annotated[
        float | None, bounded_number("liver.varices.bleeding_months_ago")
    ] = None


class Liver(Section):
    """``liver``: liver function, cirrhosis etiology and varices."""

    ascites: Ascites | None = None
    encephalopathy: Encephalopathy | None = None
    child_pugh: ChildPugh
    etiology: Annotated[list[Etiology] | None, core_schema.list_schema(literal(Etiology))] = None
    hbv_antiviral: Flag = None
    varices: Varices


class Comorbidities(Section):
    """``comorbidities``: conditions behind the drugs' contraindications."""

    autoimmune_disease: AutoimmuneDisease | None = None
    transplant: Transplant | None = None
    therapeutic_anticoagulation: Flag = None
    arterial_thromboembolism_months_ago: Annotated[
        float | None, bounded_number("comorbidities.arterial_thromboembolism_months_ago")
    ] = None
    uncontrolled_hypertension: Flag = None
    nephrotic_proteinuria: Flag = None
    major_surgery_days_ago: Annotated[
        float | None, bounded_number("comorbidities.major_surgery_days_ago")
    ] = None
    gi_perforation_history: Flag = None
    interstitial_lung_disease: Flag = None
    systemic_immunosuppression: Flag = None


class PriorTherapy(Section):
    """One systemic line already given (``prior_therapies[i]``)."""

    regimen: RegimenId = None
    outcome: Outcome | None = None
    tolerated: Flag = None
    immune_adverse_event: ImmuneAdverseEvent | None = None


class Access(Section):
    """``access``: regimens this patient cannot get (approval, cost)."""

    unavailable: Annotated[list[str] | None, core_schema.list_schema(REGIMEN_ID)] = None


class Patient(Section):
    """One patient, as given in a patient file (format version 1).

    Every leaf is optional: ``None`` means unknown. ``prior_therapies`` is ``None`` when unknown
    and ``[]`` when treatment-naive. Regimens are stored as canonical regimen ids.
    """

    version: Annotated[
        Literal[1] | None,
        core_schema.no_info_before_validator_function(
            format_version, core_schema.literal_schema([1])
        ),
    ] = None
    id: Annotated[str, core_schema.str_schema(strict=True, min_length=1)] = "patient"
    ecog: Annotated[int | None, whole("ecog")] = None
    #: Extension (README, "The patient file"): whether an ECOG performance status of 1 or more is
    #: caused by the cancer. BCLC's performance-status criterion counts cancer-related symptoms
    #: only: ``false`` (e.g. ECOG 1 from COPD) stages liver-confined disease by tumour burden and
    #: liver function; ``true`` makes it BCLC C; absent is unknown (never read as either).
    ecog_cancer_related: Flag = None
    weight_kg: Annotated[float | None, bounded_number("weight_kg")] = None
    tumour: Tumour
    labs: Labs
    liver: Liver
    comorbidities: Comorbidities
    prior_therapies: Annotated[
        list[PriorTherapy] | None, core_schema.list_schema(PriorTherapy.section_schema)
    ] = None
    access: Access
    #: Extension (README, "The patient file: given"): the regimen actually started at the line
    #: under consideration, for the concordance audit. Never a fact for the KB.
    given: RegimenId = None

    @property
    def _id_given(self) -> bool:
        """Whether the file gave the id (not defaulted); see :meth:`given_paths`."""
        return bool(self._private().get("id_given", True))

    @_id_given.setter
    def _id_given(self, value: bool) -> None:
        self._private()["id_given"] = value

    def _private(self) -> dict[str, Any]:
        """The private state (id given, sources), kept beside the fields."""
        private: dict[str, Any] | None = getattr(self, "__pydantic_private__", None)
        if private is None:
            private = {}
            object.__setattr__(self, "__pydantic_private__", private)
        return private

    def _private_state(self) -> Any:
        return (self._id_given, self.sources())

    def given_paths(self) -> list[str]:
        """Return the dotted key paths of every leaf the file gave a value for, in schema order.

        Lists (``liver.etiology``, ``prior_therapies``, ``access.unavailable``) count as one
        leaf each. The id counts only when the file gave it (not when it was defaulted). This is
        what the recommendation needs to tell known facts from unknown ones.
        """
        paths = list(_given(self, ""))
        if not self._id_given:
            paths.remove("id")
        return paths

    def sources(self) -> dict[str, Any]:
        """Where each value came from (key path -> ``hcc_asp.patient.sources.Source``).

        Empty for a patient file; filled by readers of health records (FHIR), so that answers
        can name the resource behind each value.
        """
        return dict(self._private().get("sources", {}))

    def set_sources(self, sources: Mapping[str, Any]) -> None:
        """Record where the values came from (called by the reader that built this patient)."""
        self._private()["sources"] = dict(sources)

    def record_notes(self) -> list[str]:
        """What the health-record reader left out, one line each naming resource and element.

        Empty for a patient file. ``recommend`` adds them to its notes, so that an answer says
        which value of the record it could not use and why (README, "FHIR input").
        """
        return list(self._private().get("record_notes", ()))

    def set_record_notes(self, notes: list[str]) -> None:
        """Record what the reader left out (not part of the patient's equality)."""
        self._private()["record_notes"] = tuple(notes)


def _given(model: Section, prefix: str) -> Iterator[str]:
    """Yield the paths of the non-null leaves of ``model``, sections recursed, in schema order."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        path = prefix + (field.alias or name)
        if isinstance(value, Section):
            yield from _given(value, path + ".")
        elif value is not None:
            yield path
