"""Where each patient value came from, and how answers show it.

A reader that takes values from a health record (FHIR today) returns, next to the
:class:`~hcc_asp.patient.Patient`, a map from patient-file key path to :class:`Source`. The
patient carries that map (:meth:`Patient.sources`), so that ``recommend`` adds an additive
``sources`` key and a stale-value note, and ``explain`` names the resource in the leaves that show
patient data, e.g. ``labs.bilirubin_mg_dl = 2.1 (Observation/lab-8841, 2026-10-04)``.
A patient file has no sources: its answers say ``(patient file)`` as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

#: A value older than this many days before the as-of date is reported as stale (a convention of
#: this tool, not a guideline figure: a clinician confirms it is still current).
STALE_AFTER_DAYS = 30


class Source(NamedTuple):
    """The resources one patient value was taken from.

    ``references`` are ``Type/id`` (several for a combination regimen); ``element`` the element
    path of the value in the first one; ``date`` the clinical date (ISO), when known; ``age_days``
    its age on the as-of date; ``stale`` whether it is older than the documented window.
    """

    references: tuple[str, ...]
    element: str = ""
    date: str | None = None
    age_days: int | None = None
    stale: bool = False

    def label(self) -> str:
        """``Observation/lab-8841, 2026-10-04`` (``, stale: 45 days old`` when stale)."""
        text = ", ".join(self.references)
        if self.date:
            text += f", {self.date}"
        if self.stale:
            text += f", stale: {self.age_days} days old" if self.age_days is not None else ", stale"
        return text

    def as_json(self) -> dict[str, Any]:
        """The JSON form used in ``recommend --format json`` under ``sources``."""
        return {
            "references": list(self.references),
            "element": self.element,
            "date": self.date,
            "stale": self.stale,
        }


def source_for(key: str, sources: Mapping[str, Source]) -> Source | None:
    """The source of a key path; ``prior_therapies[0].tolerated`` falls back to the line's."""
    if key in sources:
        return sources[key]
    if key.startswith("prior_therapies["):
        line = key.split("]", 1)[0] + "]"
        return sources.get(f"{line}.regimen")
    return None


def stale_notes(sources: Mapping[str, Source], window_days: int) -> list[dict[str, str]]:
    """One ``stale_value`` note per stale value, in key order."""
    return [
        {
            "code": "stale_value",
            "text": f"{key} comes from {source.references[0]} dated {source.date}, "
            f"{source.age_days} days before the as-of date (older than {window_days} days): "
            "check it is still current.",
        }
        for key, source in sorted(sources.items())
        if source.stale
    ]


def annotate_recommend(
    document: dict[str, Any], sources: Mapping[str, Source], left_out: Sequence[str] = ()
) -> None:
    """Add ``sources``, stale-value notes and the record's left-out values to an answer.

    ``sources`` maps key -> references, element, date, stale; each line of ``left_out`` (a value
    or record the reader could not use) becomes a ``record_value_left_out`` note.
    """
    document["notes"].extend(stale_notes(sources, STALE_AFTER_DAYS))
    document["notes"].extend({"code": "record_value_left_out", "text": line} for line in left_out)
    document["sources"] = {key: sources[key].as_json() for key in sorted(sources)}


def annotate_explain(document: dict[str, Any], sources: Mapping[str, Source]) -> None:
    """Name the resource in every leaf that shows a patient value (``(patient file)`` before)."""
    stack = list(document.get("because", []))
    stack.extend((document.get("preference") or {}).get("because", []))
    while stack:
        node = stack.pop()
        stack.extend(node.get("because", []))
        key = node.get("key")
        if not key or node.get("source") != "patient file":
            continue
        source = source_for(key, sources)
        if source is None:
            continue
        node["source"] = source.label()
        if "(patient file)" in node["text"]:
            node["text"] = node["text"].replace("(patient file)", f"({source.label()})")
        else:
            node["text"] = f"{node['text']} ({source.label()})"
