"""The leaf types of the patient file: allowed values, flags, bounded numbers, regimen ids.

Each is a ``pydantic_core`` core schema (see :mod:`hcc_asp.patient.section` for why not pydantic),
carried in the field annotations of :mod:`hcc_asp.patient.model`; a value outside its type is a
problem worded by this project (:func:`hcc_asp.patient.problems.problem`).
"""

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic_core import core_schema

from hcc_asp.knowledge import shipped
from hcc_asp.knowledge.vocabulary import did_you_mean, spelling
from hcc_asp.patient.bounds import limits
from hcc_asp.patient.problems import problem, show


def _whole_from_float(value: Any) -> Any:
    """Accept ``7.0`` as the whole number 7; anything else goes on to the strict int check."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value


def bclc_zero(value: Any) -> Any:
    """Accept the YAML integer 0 as BCLC stage "0" (``bclc_stage: 0`` is natural to write)."""
    if type(value) is int and value == 0:
        return "0"
    return value


def format_version(value: Any) -> Any:
    """Allow only the integer 1 (not ``true``, not ``1.0``, not ``"1"``)."""
    if type(value) is not int or value != 1:
        raise problem(f"only format version 1 exists, got {show(value)}")
    return value


def _regimen_id(value: Any, info: core_schema.ValidationInfo) -> str:
    """Turn a regimen id or alias (any case) into the canonical regimen id."""
    aliases: Mapping[str, str] | None = (info.context or {}).get("aliases")
    if aliases is None:
        aliases = shipped().aliases
    if not isinstance(value, str):
        raise problem(f"must be a regimen id or alias (text), got {show(value)}")
    found = aliases.get(spelling(value))
    if found is None:
        hint = did_you_mean(value, list(aliases))
        raise problem(
            f"unknown regimen {show(value)}{hint}; `hcc-asp regimens` lists ids and aliases"
        )
    return found


# Core schemas of the leaf types (pydantic_core; see hcc_asp.patient.section for why not pydantic).


FLAG = core_schema.bool_schema(strict=True)


REGIMEN_ID = core_schema.with_info_before_validator_function(_regimen_id, core_schema.str_schema())


def bounded_number(path: str) -> Any:
    """A finite number (an integer is accepted) within the bounds of ``path``."""
    ge, gt, le = limits(path)
    return core_schema.float_schema(strict=True, allow_inf_nan=False, ge=ge, gt=gt, le=le)


def whole(path: str) -> Any:
    """A whole number (``7.0`` accepted as 7) within the bounds of ``path``."""
    ge, gt, le = limits(path)
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


VASCULAR_INVASION = ("vp1", "vp2", "vp3", "vp4")


Flag = Annotated[bool | None, FLAG]


RegimenId = Annotated[str | None, REGIMEN_ID]
