"""The patient model (``spec/patient.md``, format version 1) and its validation.

Every reader (the patient file, :mod:`hcc_asp.patient.file`; FHIR, :mod:`hcc_asp.patient.fhir`)
ends here: :func:`patient_from_data` validates plain data against :class:`Patient` (strict types,
ranges, allowed values, regimen ids and aliases) and checks the structural contradictions between
keys, every problem one line naming the key path and the bad value. Child-Pugh class/score
arithmetic is not done here: the knowledge base derives it.

Absent keys and explicit ``null`` both mean *unknown*, never *no*: every leaf is optional and
``None`` when unknown.

The sections are :class:`hcc_asp.patient.section.Section` classes validated by ``pydantic_core``
directly, not ``pydantic.BaseModel`` (the cold-start budget; see that module). No ``from
__future__ import annotations`` here: each field's annotation carries its core schema, read when
the class is defined.
"""

import math
import re
import typing
from collections.abc import Iterator, Mapping, Sequence
from typing import Annotated, Any, Literal, NamedTuple, get_args, get_origin

from pydantic_core import PydanticCustomError, ValidationError, core_schema

from hcc_asp.patient.section import Alias, Section, literal, strip_annotation
from hcc_asp.vocabulary import regimen_aliases, regimens

__all__ = [
    "BOUNDS",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "Access",
    "ChildPugh",
    "Comorbidities",
    "Labs",
    "Liver",
    "Patient",
    "PatientError",
    "PriorTherapy",
    "Section",
    "Tumour",
    "Varices",
    "patient_from_data",
]

#: Largest patient file accepted, in bytes (a real one is a few kilobytes).
MAX_BYTES = 1024 * 1024
#: Deepest nesting of mappings and lists accepted (the schema itself needs 4).
MAX_DEPTH = 20
#: Most YAML values (scalars, mappings, lists) accepted in one file.
MAX_NODES = 10_000

#: The regimens whose lines record ``tolerated`` (spec/patient.md: sorafenib, the RESORCE criterion
#: read by ``sorafenib_tolerance/1`` in kb/derivations.lp); on any other regimen it means nothing.
TOLERANCE_REGIMENS = ("sorafenib",)

#: The drug class whose immune-related adverse events ``immune_adverse_event`` records.
IMMUNE_CHECKPOINT_INHIBITOR = "immune_checkpoint_inhibitor"

_PROBLEM = "hcc_problem"  # pydantic error type of problems this module words itself


class PatientError(Exception):
    """A patient file that cannot be used: one line per problem, in document order.

    ``problems`` holds the lines (each names the key path and the bad value); ``source`` is the
    path or ``-`` when :func:`load_patient` knows it.
    """

    def __init__(self, problems: Sequence[str] | str, source: str | None = None) -> None:
        self.problems: list[str] = [problems] if isinstance(problems, str) else list(problems)
        self.source = source
        super().__init__("\n".join(self.problems))


# ---------------------------------------------------------------------------------------------
# Bounds of the numeric keys
# ---------------------------------------------------------------------------------------------


class Bound(NamedTuple):
    """Allowed range of one numeric key."""

    low: int
    low_inclusive: bool
    high: int
    plausibility: bool  # True: ``high`` is a plausibility limit, not a definition


# One table for every numeric key. Lower bounds and the ECOG, percentage and Child-Pugh score
# ranges are definitions. The other upper bounds are plausibility limits, far beyond anything
# seen in a living patient: they exist to catch unit mix-ups (albumin in g/L under the g/dL key,
# bilirubin in umol/L under mg/dL, days under a months key), not to judge the patient.
BOUNDS: dict[str, Bound] = {
    "ecog": Bound(0, True, 4, False),
    "weight_kg": Bound(0, False, 400, True),
    "tumour.liver_involvement_percent": Bound(0, True, 100, False),
    "tumour.nodules": Bound(1, True, 100, True),
    "tumour.largest_nodule_cm": Bound(0, False, 50, True),
    "labs.bilirubin_mg_dl": Bound(0, False, 60, True),
    "labs.bilirubin_umol_l": Bound(0, False, 1026, True),
    "labs.albumin_g_dl": Bound(0, False, 7, True),
    "labs.albumin_g_l": Bound(0, False, 70, True),
    "labs.inr": Bound(0, False, 15, True),
    "labs.afp_ng_ml": Bound(0, True, 10_000_000, True),
    "labs.platelets_10e9_l": Bound(0, True, 2000, True),
    "liver.child_pugh.score": Bound(5, True, 15, False),
    "liver.varices.endoscopy_months_ago": Bound(0, True, 1200, True),
    "liver.varices.bleeding_months_ago": Bound(0, True, 1200, True),
    "comorbidities.arterial_thromboembolism_months_ago": Bound(0, True, 1200, True),
    "comorbidities.major_surgery_days_ago": Bound(0, True, 1200, True),
}

BILIRUBIN_UMOL_L_PER_MG_DL = 17.1
ALBUMIN_G_L_PER_G_DL = 10


class _Limits(NamedTuple):
    """The core-schema range constraints of one numeric key."""

    ge: int | None
    gt: int | None
    le: int


def _limits(path: str) -> _Limits:
    """Return the range constraints of the numeric key ``path`` (from BOUNDS)."""
    bound = BOUNDS[path]
    if bound.low_inclusive:
        return _Limits(ge=bound.low, gt=None, le=bound.high)
    return _Limits(ge=None, gt=bound.low, le=bound.high)


# ---------------------------------------------------------------------------------------------
# Leaf types
# ---------------------------------------------------------------------------------------------


def _whole_from_float(value: Any) -> Any:
    """Accept ``7.0`` as the whole number 7; anything else goes on to the strict int check."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value


def _bclc_zero(value: Any) -> Any:
    """Accept the YAML integer 0 as BCLC stage "0" (``bclc_stage: 0`` is natural to write)."""
    if type(value) is int and value == 0:
        return "0"
    return value


def _format_version(value: Any) -> Any:
    """Allow only the integer 1 (not ``true``, not ``1.0``, not ``"1"``)."""
    if type(value) is not int or value != 1:
        raise _problem(f"only format version 1 exists, got {_show(value)}")
    return value


def _regimen_id(value: Any, info: core_schema.ValidationInfo) -> str:
    """Turn a regimen id or alias (any case) into the canonical regimen id."""
    aliases: Mapping[str, str] | None = (info.context or {}).get("aliases")
    if aliases is None:
        aliases = regimen_aliases()
    if not isinstance(value, str):
        raise _problem(f"must be a regimen id or alias (text), got {_show(value)}")
    found = aliases.get(value.strip().lower())
    if found is None:
        import difflib  # only a bad file needs it: kept off the cold path of a good one

        close = difflib.get_close_matches(value.strip().lower(), list(aliases), n=1, cutoff=0.75)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise _problem(
            f"unknown regimen {_show(value)}{hint}; `hcc-asp regimens` lists ids and aliases"
        )
    return found


def _problem(text: str) -> PydanticCustomError:
    """Return a pydantic error whose message is this module's own wording."""
    return PydanticCustomError(_PROBLEM, "{problem}", {"problem": text})


# Core schemas of the leaf types (pydantic_core; see hcc_asp.patient.section for why not pydantic).
_FLAG = core_schema.bool_schema(strict=True)
_TEXT = core_schema.str_schema(strict=True)
_REGIMEN_ID = core_schema.with_info_before_validator_function(_regimen_id, core_schema.str_schema())


def _bounded_number(path: str) -> Any:
    """A finite number (an integer is accepted) within the bounds of ``path``."""
    ge, gt, le = _limits(path)
    return core_schema.float_schema(strict=True, allow_inf_nan=False, ge=ge, gt=gt, le=le)


def _whole(path: str) -> Any:
    """A whole number (``7.0`` accepted as 7) within the bounds of ``path``."""
    ge, gt, le = _limits(path)
    return core_schema.no_info_before_validator_function(
        _whole_from_float, core_schema.int_schema(strict=True, ge=ge, gt=gt, le=le)
    )


BclcStage = Literal["0", "A", "B", "C", "D"]
PortalVeinInvasion = Literal["none", "vp1", "vp2", "vp3", "vp4"]
LocoregionalTherapy = Literal["suitable", "unsuitable", "refractory"]
Ascites = Literal["none", "mild", "moderate_severe"]
Encephalopathy = Literal["none", "grade_1_2", "grade_3_4"]
ChildPughClass = Literal["A", "B", "C"]
Etiology = Literal["hbv", "hcv", "alcohol", "masld", "other"]
VaricesFinding = Literal["none", "small", "large"]
BleedingRisk = Literal["low", "high"]
AutoimmuneDisease = Literal["none", "history", "active"]
Transplant = Literal["none", "liver", "other_solid_organ", "allogeneic_hsct"]
Outcome = Literal["progression", "intolerance", "completed", "ongoing"]
ImmuneAdverseEvent = Literal["none", "grade_1_2", "grade_3_4"]

_VASCULAR_INVASION = ("vp1", "vp2", "vp3", "vp4")

Flag = Annotated[bool | None, _FLAG]
RegimenId = Annotated[str | None, _REGIMEN_ID]


# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------


class Tumour(Section):
    """``tumour``: stage and extent of the cancer."""

    bclc_stage: Annotated[
        BclcStage | None,
        core_schema.no_info_before_validator_function(_bclc_zero, literal(BclcStage)),
    ] = None
    macrovascular_invasion: Flag = None
    portal_vein_invasion: PortalVeinInvasion | None = None
    extrahepatic_spread: Flag = None
    liver_involvement_percent: Annotated[
        float | None, _bounded_number("tumour.liver_involvement_percent")
    ] = None
    bile_duct_invasion: Flag = None
    nodules: Annotated[int | None, _whole("tumour.nodules")] = None
    largest_nodule_cm: Annotated[float | None, _bounded_number("tumour.largest_nodule_cm")] = None
    locoregional_therapy: LocoregionalTherapy | None = None
    response_needed: Flag = None


class Labs(Section):
    """``labs``: laboratory values; bilirubin and albumin in either unit."""

    bilirubin_mg_dl: Annotated[float | None, _bounded_number("labs.bilirubin_mg_dl")] = None
    bilirubin_umol_l: Annotated[float | None, _bounded_number("labs.bilirubin_umol_l")] = None
    albumin_g_dl: Annotated[float | None, _bounded_number("labs.albumin_g_dl")] = None
    albumin_g_l: Annotated[float | None, _bounded_number("labs.albumin_g_l")] = None
    inr: Annotated[float | None, _bounded_number("labs.inr")] = None
    afp_ng_ml: Annotated[float | None, _bounded_number("labs.afp_ng_ml")] = None
    platelets_10e9_l: Annotated[float | None, _bounded_number("labs.platelets_10e9_l")] = None


class ChildPugh(Section):
    """``liver.child_pugh``: a stated Child-Pugh class and score (checked by the KB)."""

    class_: Annotated[ChildPughClass | None, Alias("class")] = None
    score: Annotated[int | None, _whole("liver.child_pugh.score")] = None


class Varices(Section):
    """``liver.varices``: oesophageal varices screening, finding and bleeding."""

    endoscopy_months_ago: Annotated[
        float | None, _bounded_number("liver.varices.endoscopy_months_ago")
    ] = None
    finding: VaricesFinding | None = None
    treated: Flag = None
    bleeding_risk: BleedingRisk | None = None
    bleeding_months_ago: Annotated[
        float | None, _bounded_number("liver.varices.bleeding_months_ago")
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
        float | None, _bounded_number("comorbidities.arterial_thromboembolism_months_ago")
    ] = None
    uncontrolled_hypertension: Flag = None
    nephrotic_proteinuria: Flag = None
    major_surgery_days_ago: Annotated[
        float | None, _bounded_number("comorbidities.major_surgery_days_ago")
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

    unavailable: Annotated[list[str] | None, core_schema.list_schema(_REGIMEN_ID)] = None


class Patient(Section):
    """One patient, as given in a patient file (format version 1).

    Every leaf is optional: ``None`` means unknown. ``prior_therapies`` is ``None`` when unknown
    and ``[]`` when treatment-naive. Regimens are stored as canonical regimen ids.
    """

    version: Annotated[
        Literal[1] | None,
        core_schema.no_info_before_validator_function(
            _format_version, core_schema.literal_schema([1])
        ),
    ] = None
    id: Annotated[str, core_schema.str_schema(strict=True, min_length=1)] = "patient"
    ecog: Annotated[int | None, _whole("ecog")] = None
    weight_kg: Annotated[float | None, _bounded_number("weight_kg")] = None
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


def _given(model: Section, prefix: str) -> Iterator[str]:
    """Yield the paths of the non-null leaves of ``model``, sections recursed, in schema order."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        path = prefix + (field.alias or name)
        if isinstance(value, Section):
            yield from _given(value, path + ".")
        elif value is not None:
            yield path


# ---------------------------------------------------------------------------------------------
# Problems, by key path (shared by the readers and the validation)
# ---------------------------------------------------------------------------------------------

_Loc = tuple[str | int, ...]


class _Problem(NamedTuple):
    loc: _Loc
    text: str  # the full line, key path included


def patient_from_data(
    data: Any, default_id: str = "patient", aliases: Mapping[str, str] | None = None
) -> Patient:
    """Validate already-parsed data (a mapping, as from JSON) into a :class:`Patient`.

    The same checks as :func:`parse_patient` except the YAML ones; for data built in Python, e.g.
    a witness patient of the consistency checks.
    """
    return _validate(data, default_id, aliases, {}, [])


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


def _validate(
    data: Any,
    default_id: str,
    aliases: Mapping[str, str] | None,
    raw: dict[_Loc, str],
    problems: list[_Problem],
) -> Patient:
    """Validate data into a Patient, or raise every problem (plus ``problems``) in order."""
    if aliases is None:
        aliases = regimen_aliases()
    problems = list(problems)
    id_given = isinstance(data, dict) and data.get("id") is not None
    if isinstance(data, dict) and not id_given:
        data = {**data, "id": default_id}
    patient: Patient | None = None
    try:
        patient = Patient.model_validate(data, context={"aliases": aliases})
    except ValidationError as error:
        problems.extend(_translate(item, raw) for item in error.errors(include_url=False))
    if isinstance(data, dict):
        problems.extend(_contradictions(data, aliases))
    if problems or patient is None:
        order = _document_order(data)
        ranked = sorted(enumerate(problems), key=lambda item: (_rank(item[1].loc, order), item[0]))
        raise PatientError([problem.text for _, problem in ranked])
    patient._id_given = id_given
    return patient


def _document_order(data: Any) -> dict[_Loc, int]:
    """Return the position of every key path of the data, in document (pre-)order."""
    order: dict[_Loc, int] = {}

    def walk(value: Any, loc: _Loc) -> None:
        order[loc] = len(order)
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, (*loc, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, (*loc, index))

    walk(data, ())
    return order


def _rank(loc: _Loc, order: dict[_Loc, int]) -> int:
    """Position of ``loc`` in the document, or of its nearest given ancestor."""
    while loc not in order and loc:
        loc = loc[:-1]
    return order.get(loc, len(order))


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_+\-]{1,60}")


def _format_path(loc: _Loc) -> str:
    """Dotted key path with list indices, e.g. ``prior_therapies[0].regimen``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = part if isinstance(part, str) and _PLAIN_KEY.fullmatch(part) else _clip(part)
            text += f".{name}" if text else name
    return text or "(top level)"


def _clip(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _number(value: float) -> str:
    """Show a number briefly: 34.2 not 34.199999999999996, 5 not 5.0."""
    rounded = round(value, 2)
    return str(int(rounded)) if float(rounded).is_integer() else f"{rounded:g}"


def _show(value: Any) -> str:
    """Show an offending value on one line, as the file would write it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if value.bit_length() < 200 else "a huge number"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return _clip(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return _clip(value)


def _translate(error: Any, raw: dict[_Loc, str]) -> _Problem:
    """Word one pydantic error as one problem line: ``<key path>: <what is wrong>, got <value>``."""
    loc: _Loc = tuple(error["loc"])
    kind: str = error["type"]
    value = error.get("input")
    context = error.get("ctx") or {}
    got = _show(value)
    path = _format_path(loc)
    if kind == _PROBLEM:
        text = str(context["problem"])
    elif kind == "extra_forbidden":
        text = "unknown key" + _key_hint(loc)
    elif kind == "invalid_key":
        text = "unknown key (keys must be text)"
    elif kind == "literal_error":
        allowed = _allowed_values(loc)
        text = f"must be one of {', '.join(allowed)}, got {got}"
        if isinstance(value, str):
            same = [item for item in allowed if item.lower() == value.strip().lower()]
            if same:
                text += f" (did you mean {same[0]}?)"
    elif kind == "bool_type":
        text = f"must be true or false, got {got}"
    elif kind in ("int_type", "int_parsing", "int_from_float"):
        text = f"must be a whole number, got {got}"
    elif kind in ("float_type", "float_parsing"):
        text = f"must be a number, got {got}"
    elif kind == "finite_number":
        text = f"must be a finite number, got {got}"
    elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        text = _range_text(kind, loc, context, got)
    elif kind == "string_type" and loc == ("id",):
        source = raw.get(loc, got)
        text = f'must be a string, got {got}; put it in quotes: id: "{source}"'
    elif kind == "string_type":
        text = f"must be text, got {got}"
    elif kind == "string_too_short":
        text = f"must not be empty, got {got}"
    elif kind == "list_type":
        example = f" (write [{value}])" if isinstance(value, str) and len(value) < 40 else ""
        text = f"must be a list, got {got}{example}"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        text = f"must be a mapping of keys (key: value), got {got}"
        if len(loc) == 2 and loc[0] == "prior_therapies" and isinstance(value, str):
            text += f" (write - regimen: {value})"
    else:  # nocoverage - pydantic errors the schema above cannot produce
        message = str(error.get("msg", "invalid")).splitlines()[0]
        text = f"{message[:1].lower()}{message[1:]}, got {got}"
    return _Problem(loc, f"{path}: {text}")


def _range_text(kind: str, loc: _Loc, context: dict[str, Any], got: str) -> str:
    """Word a range error; upper plausibility limits hint at a unit mix-up."""
    if kind == "greater_than":
        return f"must be greater than {_number(context['gt'])}, got {got}"
    if kind == "greater_than_equal":
        return f"must be at least {_number(context['ge'])}, got {got}"
    if kind == "less_than":  # nocoverage - BOUNDS has no exclusive upper bound
        return f"must be less than {_number(context['lt'])}, got {got}"
    text = f"must be at most {_number(context['le'])}, got {got}"
    bound = BOUNDS.get(".".join(part for part in loc if isinstance(part, str)))
    if bound is not None and bound.plausibility:
        text += " (not plausible: check the unit)"
    return text


def _field_key(field_name: str, model: type[Section]) -> str:
    field = model.model_fields[field_name]
    return field.alias or field_name


def _type_at(loc: _Loc) -> Any:
    """Return the schema type at a key path (an index steps into the list item), or None."""
    annotation: Any = Patient
    for part in loc:
        annotation = strip_annotation(annotation)
        if isinstance(part, int):
            if get_origin(annotation) is not list:
                return None
            annotation = get_args(annotation)[0]
            continue
        if not (isinstance(annotation, type) and issubclass(annotation, Section)):
            return None
        names = {_field_key(name, annotation): name for name in annotation.model_fields}
        if part not in names:
            return None
        annotation = annotation.model_fields[names[part]].annotation
    return strip_annotation(annotation)


def _allowed_values(loc: _Loc) -> list[str]:
    """Return the listed values of an enumerated key, in the order patient.md gives them."""
    annotation = _type_at(loc)
    if get_origin(annotation) is Literal:
        return [str(arg) for arg in get_args(annotation)]
    return []  # nocoverage - literal errors only come from Literal keys


def _schema_paths(model: type[Section], prefix: _Loc = ()) -> Iterator[_Loc]:
    """Every key path of the schema (sections and leaves)."""
    for name in model.model_fields:
        loc = (*prefix, _field_key(name, model))
        yield loc
        annotation = strip_annotation(model.model_fields[name].annotation)
        if isinstance(annotation, type) and issubclass(annotation, Section):
            yield from _schema_paths(annotation, loc)


def _key_hint(loc: _Loc) -> str:
    """Suggest the key meant: the same key in another section, or a close spelling here."""
    key = loc[-1]
    if not isinstance(key, str):  # nocoverage - YAML keys are always text here
        return ""
    elsewhere = [
        _format_path(path)
        for path in _schema_paths(Patient)
        if path[-1] == key and path != tuple(part for part in loc if isinstance(part, str))
    ]
    if elsewhere:
        return f" (did you mean {' or '.join(elsewhere)}?)"
    model = _type_at(loc[:-1])
    if isinstance(model, type) and issubclass(model, Section):
        keys = [_field_key(name, model) for name in model.model_fields]
        import difflib  # only a bad file needs it: kept off the cold path of a good one

        close = difflib.get_close_matches(key, keys, n=2, cutoff=0.7)
        if close:
            return f" (did you mean {' or '.join(close)}?)"
    return ""


# ---------------------------------------------------------------------------------------------
# Contradictions between keys (structural only; Child-Pugh arithmetic is the KB's)
# ---------------------------------------------------------------------------------------------

_ABSENT = object()


def _get(data: Any, *keys: str) -> Any:
    """Return the value at a key path of raw data, or ``_ABSENT`` when it is not there."""
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return _ABSENT
        data = data[key]
    return data


def _valid_number(path: str, value: Any) -> bool:
    """Whether ``value`` passes the type and range checks of the numeric key ``path``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if not math.isfinite(value):
        return False
    bound = BOUNDS[path]
    above = value >= bound.low if bound.low_inclusive else value > bound.low
    return above and value <= bound.high


def _contradictions(data: dict[str, Any], aliases: Mapping[str, str]) -> list[_Problem]:
    """Report keys that are valid alone but contradict each other."""
    problems: list[_Problem] = []
    problems += _unit_disagreement(
        data,
        "bilirubin_mg_dl",
        "bilirubin_umol_l",
        BILIRUBIN_UMOL_L_PER_MG_DL,
        "mg/dL",
        "umol/L",
        lambda given, converted: abs(converted - given) > 0.05 * given + 1,
    )
    problems += _unit_disagreement(
        data,
        "albumin_g_dl",
        "albumin_g_l",
        ALBUMIN_G_L_PER_G_DL,
        "g/dL",
        "g/L",
        lambda given, converted: abs(converted - given) > 0.5,
    )

    portal = _get(data, "tumour", "portal_vein_invasion")
    if portal in _VASCULAR_INVASION and _get(data, "tumour", "macrovascular_invasion") is False:
        problems.append(
            _Problem(
                ("tumour", "portal_vein_invasion"),
                f"tumour.portal_vein_invasion: got {_show(portal)}, but "
                "tumour.macrovascular_invasion is false (portal vein invasion vp1-vp4 is "
                "macrovascular invasion)",
            )
        )

    finding = _get(data, "liver", "varices", "finding")
    endoscopy = _get(data, "liver", "varices", "endoscopy_months_ago")
    if finding in get_args(VaricesFinding) and endoscopy in (_ABSENT, None):
        problems.append(
            _Problem(
                ("liver", "varices", "finding"),
                f"liver.varices.finding: got {_show(finding)}, but "
                "liver.varices.endoscopy_months_ago is not given (a finding needs an endoscopy: "
                "give how many months ago it was done)",
            )
        )

    problems += _duplicates(data, ("liver", "etiology"), lambda item: item)
    problems += _prior_therapy_contradictions(data, aliases)
    problems += _duplicates(
        data,
        ("access", "unavailable"),
        lambda item: aliases.get(item.strip().lower()) if isinstance(item, str) else None,
    )
    return problems


def _unit_disagreement(
    data: dict[str, Any],
    key: str,
    other_key: str,
    factor: float,
    unit: str,
    other_unit: str,
    disagree: typing.Callable[[float, float], bool],
) -> list[_Problem]:
    """Report a lab value given in both units whose values do not agree."""
    value = _get(data, "labs", key)
    other = _get(data, "labs", other_key)
    if not (_valid_number(f"labs.{key}", value) and _valid_number(f"labs.{other_key}", other)):
        return []
    converted = value * factor
    if not disagree(other, converted):
        return []
    return [
        _Problem(
            ("labs", key),
            f"labs.{key}: got {_show(value)}, but labs.{other_key} is {_show(other)}; "
            f"{_show(value)} {unit} = {_number(converted)} {other_unit} "
            "(give one unit, or values that agree)",
        )
    ]


def _duplicates(
    data: dict[str, Any], keys: tuple[str, ...], identity: typing.Callable[[Any], Any]
) -> list[_Problem]:
    """Report list items given twice (same ``identity``; None = not comparable)."""
    items = _get(data, *keys)
    if not isinstance(items, list):
        return []
    path = _format_path(keys)
    first: dict[Any, int] = {}
    problems: list[_Problem] = []
    for index, item in enumerate(items):
        if not isinstance(item, str):
            continue
        same = identity(item)
        if same is None:
            continue
        if same in first:
            problems.append(
                _Problem(
                    (*keys, index),
                    f"{path}[{index}]: duplicate value {_show(item)} "
                    f"(already at {path}[{first[same]}])",
                )
            )
        else:
            first[same] = index
    return problems


def _prior_therapy_contradictions(
    data: dict[str, Any], aliases: Mapping[str, str]
) -> list[_Problem]:
    """Report the prior lines that contradict themselves or are not systemic lines.

    An ongoing line that is not the last; an immune event without immunotherapy; a regimen with no
    drug (best supportive care), which is not a line of systemic therapy and would count as one;
    ``tolerated`` on a regimen it means nothing for (only sorafenib has a tolerance criterion).
    """
    lines = data.get("prior_therapies")
    if not isinstance(lines, list):
        return []
    vocabulary = regimens()
    known = {regimen.id for regimen in vocabulary}
    no_drug = {regimen.id for regimen in vocabulary if not regimen.drugs}
    immune = {
        regimen.id
        for regimen in vocabulary
        if any(drug_class == IMMUNE_CHECKPOINT_INHIBITOR for _, drug_class in regimen.drugs)
    }
    problems: list[_Problem] = []
    last = len(lines) - 1
    for index, line in enumerate(lines):
        if not isinstance(line, dict):
            continue
        where = f"prior_therapies[{index}]"
        if line.get("outcome") == "ongoing" and index < last:
            problems.append(
                _Problem(
                    ("prior_therapies", index, "outcome"),
                    f"{where}.outcome: got 'ongoing', but only the last line "
                    f"(prior_therapies[{last}]) can be ongoing; lines go first line first",
                )
            )
        event = line.get("immune_adverse_event")
        regimen = line.get("regimen")
        regimen_id = aliases.get(regimen.strip().lower()) if isinstance(regimen, str) else None
        if regimen_id in no_drug:
            problems.append(
                _Problem(
                    ("prior_therapies", index, "regimen"),
                    f"{where}.regimen: got {_show(regimen)}, but {regimen_id} gives no drug, so it "
                    "is not a line of systemic therapy and would count as one; leave it out of "
                    "prior_therapies",
                )
            )
        if line.get("tolerated") is not None and regimen_id in known - set(TOLERANCE_REGIMENS):
            problems.append(
                _Problem(
                    ("prior_therapies", index, "tolerated"),
                    f"{where}.tolerated: given for {where}.regimen {regimen_id}, but only "
                    + " and ".join(TOLERANCE_REGIMENS)
                    + " lines have a tolerance criterion (RESORCE: >= 400 mg/day on >= 20 of the "
                    "last 28 days); leave tolerated out, or record intolerance as outcome",
                )
            )
        if event in ("grade_1_2", "grade_3_4") and isinstance(regimen, str):
            regimen_id = aliases.get(regimen.strip().lower())
            if regimen_id in known and regimen_id not in immune:
                problems.append(
                    _Problem(
                        ("prior_therapies", index, "immune_adverse_event"),
                        f"{where}.immune_adverse_event: got {_show(event)}, but {regimen_id} "
                        "contains no immune checkpoint inhibitor",
                    )
                )
    return problems
