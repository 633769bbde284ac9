"""Contradictions between keys that are valid alone (structural only).

Both units of a lab value that disagree, portal vein invasion without macrovascular invasion, a
varices finding without an endoscopy, a list value given twice, prior lines that contradict
themselves. Child-Pugh class/score arithmetic is not done here: the knowledge base derives it.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Mapping
from typing import Any, get_args

from hcc_asp.knowledge import shipped
from hcc_asp.knowledge.vocabulary import spelling
from hcc_asp.patient.bounds import ALBUMIN_G_L_PER_G_DL, BILIRUBIN_UMOL_L_PER_MG_DL, BOUNDS
from hcc_asp.patient.leaves import VASCULAR_INVASION, VaricesFinding
from hcc_asp.patient.problems import Problem, format_path, number, show

#: The regimens whose lines record ``tolerated`` (spec/patient.md: sorafenib, the RESORCE criterion
#: read by ``sorafenib_tolerance/1`` in kb/derivations.lp); on any other regimen it means nothing.
TOLERANCE_REGIMENS = ("sorafenib",)


#: The drug class whose immune-related adverse events ``immune_adverse_event`` records.
IMMUNE_CHECKPOINT_INHIBITOR = "immune_checkpoint_inhibitor"


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


def contradictions(data: dict[str, Any], aliases: Mapping[str, str]) -> list[Problem]:
    """Report keys that are valid alone but contradict each other."""
    problems: list[Problem] = []
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
    if portal in VASCULAR_INVASION and _get(data, "tumour", "macrovascular_invasion") is False:
        problems.append(
            Problem(
                ("tumour", "portal_vein_invasion"),
                f"tumour.portal_vein_invasion: got {show(portal)}, but "
                "tumour.macrovascular_invasion is false (portal vein invasion vp1-vp4 is "
                "macrovascular invasion)",
            )
        )

    finding = _get(data, "liver", "varices", "finding")
    endoscopy = _get(data, "liver", "varices", "endoscopy_months_ago")
    if finding in get_args(VaricesFinding) and endoscopy in (_ABSENT, None):
        problems.append(
            Problem(
                ("liver", "varices", "finding"),
                f"liver.varices.finding: got {show(finding)}, but "
                "liver.varices.endoscopy_months_ago is not given (a finding needs an endoscopy: "
                "give how many months ago it was done)",
            )
        )

    problems += _duplicates(data, ("liver", "etiology"), lambda item: item)
    problems += _prior_therapy_contradictions(data, aliases)
    problems += _duplicates(
        data,
        ("access", "unavailable"),
        lambda item: aliases.get(spelling(item)) if isinstance(item, str) else None,
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
) -> list[Problem]:
    """Report a lab value given in both units whose values do not agree."""
    value = _get(data, "labs", key)
    other = _get(data, "labs", other_key)
    if not (_valid_number(f"labs.{key}", value) and _valid_number(f"labs.{other_key}", other)):
        return []
    converted = value * factor
    if not disagree(other, converted):
        return []
    return [
        Problem(
            ("labs", key),
            f"labs.{key}: got {show(value)}, but labs.{other_key} is {show(other)}; "
            f"{show(value)} {unit} = {number(converted)} {other_unit} "
            "(give one unit, or values that agree)",
        )
    ]


def _duplicates(
    data: dict[str, Any], keys: tuple[str, ...], identity: typing.Callable[[Any], Any]
) -> list[Problem]:
    """Report list items given twice (same ``identity``; None = not comparable)."""
    items = _get(data, *keys)
    if not isinstance(items, list):
        return []
    path = format_path(keys)
    first: dict[Any, int] = {}
    problems: list[Problem] = []
    for index, item in enumerate(items):
        if not isinstance(item, str):
            continue
        same = identity(item)
        if same is None:
            continue
        if same in first:
            problems.append(
                Problem(
                    (*keys, index),
                    f"{path}[{index}]: duplicate value {show(item)} "
                    f"(already at {path}[{first[same]}])",
                )
            )
        else:
            first[same] = index
    return problems


def _prior_therapy_contradictions(
    data: dict[str, Any], aliases: Mapping[str, str]
) -> list[Problem]:
    """Report the prior lines that contradict themselves or are not systemic lines.

    An ongoing line that is not the last; an immune event without immunotherapy; a regimen with no
    drug (best supportive care), which is not a line of systemic therapy and would count as one;
    ``tolerated`` on a regimen it means nothing for (only sorafenib has a tolerance criterion).
    """
    lines = data.get("prior_therapies")
    if not isinstance(lines, list):
        return []
    vocabulary = shipped().regimens
    known = {regimen.id for regimen in vocabulary}
    no_drug = {regimen.id for regimen in vocabulary if not regimen.drugs}
    immune = {
        regimen.id
        for regimen in vocabulary
        if any(drug_class == IMMUNE_CHECKPOINT_INHIBITOR for _, drug_class in regimen.drugs)
    }
    problems: list[Problem] = []
    last = len(lines) - 1
    for index, line in enumerate(lines):
        if not isinstance(line, dict):
            continue
        where = f"prior_therapies[{index}]"
        if line.get("outcome") == "ongoing" and index < last:
            problems.append(
                Problem(
                    ("prior_therapies", index, "outcome"),
                    f"{where}.outcome: got 'ongoing', but only the last line "
                    f"(prior_therapies[{last}]) can be ongoing; lines go first line first",
                )
            )
        event = line.get("immune_adverse_event")
        regimen = line.get("regimen")
        regimen_id = aliases.get(spelling(regimen)) if isinstance(regimen, str) else None
        if regimen_id in no_drug:
            problems.append(
                Problem(
                    ("prior_therapies", index, "regimen"),
                    f"{where}.regimen: got {show(regimen)}, but {regimen_id} gives no drug, so it "
                    "is not a line of systemic therapy and would count as one; leave it out of "
                    "prior_therapies",
                )
            )
        if line.get("tolerated") is not None and regimen_id in known - set(TOLERANCE_REGIMENS):
            problems.append(
                Problem(
                    ("prior_therapies", index, "tolerated"),
                    f"{where}.tolerated: given for {where}.regimen {regimen_id}, but only "
                    + " and ".join(TOLERANCE_REGIMENS)
                    + " lines have a tolerance criterion (RESORCE: >= 400 mg/day on >= 20 of the "
                    "last 28 days); leave tolerated out, or record intolerance as outcome",
                )
            )
        if event in ("grade_1_2", "grade_3_4") and isinstance(regimen, str):
            regimen_id = aliases.get(spelling(regimen))
            if regimen_id in known and regimen_id not in immune:
                problems.append(
                    Problem(
                        ("prior_therapies", index, "immune_adverse_event"),
                        f"{where}.immune_adverse_event: got {show(event)}, but {regimen_id} "
                        "contains no immune checkpoint inhibitor",
                    )
                )
    return problems
