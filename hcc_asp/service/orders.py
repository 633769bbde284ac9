"""Which regimen a set of draft orders is: drugs of the draft MedicationRequests -> regimen ids.

A combination is often ordered as one MedicationRequest per drug, so the drugs of all draft
MedicationRequests of the ordering session are read together, and the regimens of the KB
vocabulary they make up are found; with ``order-select`` only the regimens that contain a newly
selected drug are checked. A drug is recognised by its name in the medication's text or coding
display (the drug ids and regimen aliases of ``kb/vocabulary.lp``); a drug the KB does not know
(anything that is not HCC systemic therapy) is ignored, so those orders get no card. A drug is
also recognised by its RxNorm code, through the rows of the FHIR mapping table
(``hcc_asp/patient/fhir/mapping.csv``) that name a KB drug.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hcc_asp.knowledge.vocabulary import Regimen


@dataclass(frozen=True)
class DraftOrder:
    """One draft MedicationRequest with the KB drugs (and regimens) its medication names."""

    resource: dict[str, Any]
    drugs: frozenset[str]
    regimens: frozenset[str]

    @property
    def reference(self) -> str:
        """``MedicationRequest/{id}``, as ``selections`` names it."""
        return f"MedicationRequest/{self.resource.get('id', '')}"


@dataclass(frozen=True)
class OrderedRegimen:
    """A regimen the draft orders make up, with the drafts that order it."""

    regimen: str
    drafts: tuple[dict[str, Any], ...]


def _coded_drugs(resource: dict[str, Any]) -> set[str]:
    """KB drugs named by the medication's codes (RxNorm rows of the FHIR mapping table)."""
    from hcc_asp.patient.fhir.mapping import rows_for

    concept = resource.get("medicationCodeableConcept")
    codings = concept.get("coding", []) if isinstance(concept, dict) else []
    drugs = set()
    for coding in codings if isinstance(codings, list) else []:
        if isinstance(coding, dict):
            system, code = coding.get("system"), coding.get("code")
            for row in rows_for("medication", str(system or ""), str(code or "")):
                if row.target == "drug":
                    drugs.add(row.value)
    return drugs


def _medication_words(resource: dict[str, Any]) -> str:
    """Every name the MedicationRequest gives its medication, lower case, space separated."""
    texts: list[str] = []
    concept = resource.get("medicationCodeableConcept")
    if isinstance(concept, dict):
        texts.append(str(concept.get("text", "")))
        codings = concept.get("coding", [])
        if isinstance(codings, list):
            texts.extend(str(c.get("display", "")) for c in codings if isinstance(c, dict))
    reference = resource.get("medicationReference")
    if isinstance(reference, dict):
        texts.append(str(reference.get("display", "")))
    return " ".join(texts).lower()


def _contains(words: str, name: str) -> bool:
    return re.search(r"(?<![a-z])" + re.escape(name.lower()) + r"(?![a-z])", words) is not None


def read_drafts(bundle: dict[str, Any], vocabulary: Sequence[Regimen]) -> list[DraftOrder]:
    """The draft MedicationRequests of a ``draftOrders`` Bundle, with the KB drugs they name."""
    drug_names = sorted({drug for regimen in vocabulary for drug, _ in regimen.drugs})
    drafts = []
    for item in bundle.get("entry", []):
        resource = item.get("resource") if isinstance(item, dict) else None
        if not isinstance(resource, dict) or resource.get("resourceType") != "MedicationRequest":
            continue
        words = _medication_words(resource)
        drugs = {d for d in drug_names if _contains(words, d.replace("_", " "))}
        drugs |= _coded_drugs(resource) & set(drug_names)
        regimens = {r.id for r in vocabulary if any(_contains(words, alias) for alias in r.aliases)}
        for regimen in vocabulary:
            if regimen.id in regimens:
                drugs |= {d for d, _ in regimen.drugs}
        drafts.append(DraftOrder(resource, frozenset(drugs), frozenset(regimens)))
    return drafts


def ordered_regimens(
    drafts: Sequence[DraftOrder],
    vocabulary: Sequence[Regimen],
    selections: Sequence[str] | None = None,
) -> list[OrderedRegimen]:
    """The regimens the drafts make up, largest first; restricted to the selected drafts' drugs.

    A regimen counts when all its drugs are ordered (``atezolizumab`` and ``bevacizumab`` as two
    drafts make ``atezolizumab_bevacizumab``); a regimen contained in another one found is
    dropped (the combination is what is ordered, not its parts). A selected drug that makes up
    no whole regimen is read as the smallest regimen containing it (the rest still to be ordered).
    """
    focus = [d for d in drafts if selections is None or d.reference in selections]
    focus_drugs = frozenset().union(*(d.drugs for d in focus)) if focus else frozenset()
    if not focus_drugs:
        return []
    all_drugs = frozenset().union(*(d.drugs for d in drafts))
    by_id = {r.id: frozenset(d for d, _ in r.drugs) for r in vocabulary if r.drugs}
    whole = [r for r, drugs in by_id.items() if drugs <= all_drugs and drugs & focus_drugs]
    whole = [r for r in whole if not any(by_id[r] < by_id[other] for other in whole)]
    covered = frozenset().union(*(by_id[r] for r in whole)) if whole else frozenset()
    for drug in sorted(focus_drugs - covered):
        containing = sorted(
            (r for r, drugs in by_id.items() if drug in drugs), key=lambda r: (len(by_id[r]), r)
        )
        if containing:
            whole.append(containing[0])
    result = []
    for regimen in sorted(set(whole), key=lambda r: (-len(by_id[r]), r)):
        orders = tuple(d.resource for d in drafts if d.drugs & by_id[regimen])
        result.append(OrderedRegimen(regimen, orders))
    return result
