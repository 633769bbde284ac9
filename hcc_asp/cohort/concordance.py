"""Concordance: is the regimen actually given one that the guideline offers at that line.

The KB decides every status; this module only reads the `recommend` document of the patient at
the decision (the line the given regimen was started at) and classifies, per guideline:

- ``concordant``: the given regimen is ``recommended``;
- ``discordant``: it is ``not_recommended`` or ``contraindicated``; ``why_not`` holds the KB's
  reasons (the same as `recommend`; `hcc-asp why-not` gives the full derivation);
- ``not_assessable``: no given regimen is recorded (``missing: ["given"]``), or the regimen is
  ``conditional`` (``missing`` lists the unknown keys, ``actions`` what had to be done first), or
  the guideline does not mention the regimen, or does not offer it where the edition is not
  encoded for the patient (``coverage``: ``not_encoded``; ``why_not`` says so: not encoded is not
  "not offered").

Where the regimen given is recorded: the patient file's ``given`` key; when it is absent, a last
prior line with ``outcome: ongoing`` (what an active FHIR MedicationRequest becomes) is the
regimen given at that line, and the decision is assessed on the patient without that line.
"""

from __future__ import annotations

from typing import Any

from hcc_asp.patient import Patient

__all__ = ["CONCORDANCE", "classify", "decision_point"]

#: The classes, in report order.
CONCORDANCE = ("concordant", "discordant", "not_assessable")


def decision_point(patient: Patient) -> tuple[str | None, Patient]:
    """The regimen given at the line under assessment, and the patient as at that decision."""
    if patient.given is not None:
        return patient.given, patient
    prior = patient.prior_therapies
    if prior and prior[-1].outcome == "ongoing" and prior[-1].regimen is not None:
        # model_copy keeps the private attributes (whether the id was given, FHIR sources).
        return prior[-1].regimen, patient.model_copy(update={"prior_therapies": list(prior[:-1])})
    return None, patient


def _entry(document: dict[str, Any], regimen: str) -> dict[str, Any] | None:
    return next((e for e in document["regimens"] if e["regimen"] == regimen), None)


def classify(document: dict[str, Any], given: str | None) -> dict[str, Any]:
    """The concordance of one patient under one guideline, from its `recommend` document."""
    offered = [e["regimen"] for e in document["regimens"] if e["status"] == "recommended"]
    result: dict[str, Any] = {
        "guideline": document["guideline"],
        "concordance": "not_assessable",
        "given_status": None,
        "recommendation": None,
        "why_not": [],
        "missing": [],
        "actions": [],
        "offered": offered,
    }
    if given is None:
        result["missing"] = ["given"]
        return result
    entry = _entry(document, given)
    if entry is None:
        result["why_not"] = [
            {
                "code": "not_in_guideline",
                "text": f"The guideline does not mention {given}: not assessed "
                "(not encoded is not 'not offered').",
            }
        ]
        return result
    status = entry["status"]
    result["given_status"] = status
    result["recommendation"] = entry["recommendation"] or None
    if status == "recommended":
        result["concordance"] = "concordant"
    elif status == "not_recommended" and entry.get("coverage") == "not_encoded":
        # The edition is not encoded for this patient's line or population (kb/scope.lp).
        result["why_not"] = [
            {
                "code": "not_encoded",
                "text": f"The guideline edition is not encoded for this patient's situation: "
                f"{given} not assessed (not encoded is not 'not offered').",
            }
        ]
    elif status == "conditional":
        result["missing"] = list(entry["missing"])
        result["actions"] = [dict(a) for a in entry["actions"]]
    else:
        result["concordance"] = "discordant"
        result["why_not"] = [{"code": r["code"], "text": r["text"]} for r in entry["reasons"]]
    return result
