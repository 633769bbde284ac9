"""What the page's requests do: answer the form's patient, open a file, write a patient file.

The form's patient is validated by the patient model (:func:`hcc_asp.patient.patient_from_data`)
and answered by the same functions as the commands (``recommend``, ``explain``, ``compare``); the
answer is the report page of ``--format html`` (:mod:`hcc_asp.render.html`), of which the page
shows the ``<main>`` and ``<footer>`` parts: there is no second rendering of the logic. A problem
of the patient is the model's own line, split into the key it names (so the page can put it
beside the field) and its words.

Nothing here keeps anything: each request is answered from its own body.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from hcc_asp.knowledge import KnowledgeBase

#: The views of the answer the page asks for.
VIEWS = ("recommend", "explain", "compare")

#: A problem line's leading key path (``labs.albumin_g_dl``, ``prior_therapies[0].regimen``).
_KEY = re.compile(r"^([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)*): (.*)$", re.DOTALL)


class PageRequestError(ValueError):
    """A request the page would never send (unknown view, guideline or regimen): HTTP 400."""

    def __init__(self, problems: list[str]) -> None:
        """Keep one line per problem."""
        super().__init__("\n".join(problems))
        self.problems = problems


class Problem(NamedTuple):
    """One problem of the patient: the key it names ('' when none) and the model's words."""

    key: str
    text: str

    def as_json(self) -> dict[str, str]:
        """The problem as the page reads it."""
        return {"key": self.key, "text": self.text}


def problem_of(line: str) -> Problem:
    """Split a model problem line into its key path and its words (no key: the whole line)."""
    match = _KEY.match(line)
    return Problem(match.group(1), match.group(2)) if match else Problem("", line)


def patient_file_data(model: Any) -> dict[str, Any]:
    """A validated patient as patient-file data: known values, and the sections that were given.

    Unlike ``model_dump(exclude_none=True)``, a section the file wrote empty (``comorbidities:
    {}``, which makes its absent date keys "none known") is kept and one it left out is not, so
    the data answer exactly as the file did.
    """
    from hcc_asp.patient.section import Section

    data: dict[str, Any] = {}
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        key = field.alias or name
        if isinstance(value, Section):
            inner = patient_file_data(value)
            if inner or name in model.model_fields_set:
                data[key] = inner
        elif isinstance(value, list):
            data[key] = [
                patient_file_data(item) if isinstance(item, Section) else item for item in value
            ]
        elif value is not None:
            data[key] = value
    if type(model).__name__ == "Patient" and not getattr(model, "_id_given", True):
        data.pop("id", None)
    return data


def fragment(page: str) -> str:
    """The answer part of a report page: its ``<main>`` and ``<footer>`` contents.

    The page's header (title, disclaimer) and styles are the interactive page's own; what the
    answer says is exactly what ``--format html`` prints.
    """
    parts = []
    for tag in ("main", "footer"):
        start = page.index(f"<{tag}>") + len(tag) + 2
        end = page.rindex(f"</{tag}>")
        parts.append(f'<div class="answer-{tag}">{page[start:end]}</div>')
    return "\n".join(parts)


class Answerer:
    """Answers the page's requests for one worker: its KB, guidelines and vocabulary."""

    def __init__(
        self,
        kb: KnowledgeBase,
        guidelines: Mapping[str, str],
        default: str,
        aliases: Mapping[str, str],
        names: Mapping[str, str],
    ) -> None:
        """``guidelines``: encoded guideline id -> label; ``default``: the one first shown."""
        self.kb = kb
        self.guidelines = dict(guidelines)
        self.default = default
        self.aliases = aliases
        self.names = dict(names)

    def answer(self, body: Any) -> dict[str, Any]:
        """Answer ``{"patient", "guideline", "view", "regimen"}``: problems or the fragment."""
        from hcc_asp.patient import PatientError, patient_from_data
        from hcc_asp.recommend import InputConflictError

        if not isinstance(body, dict):
            raise PageRequestError(["body: not a JSON object"])
        guideline = body.get("guideline") or self.default
        view = body.get("view") or "recommend"
        regimen = body.get("regimen")
        data = body.get("patient", {})
        problems = []
        if guideline not in self.guidelines:
            problems.append(
                f"guideline: unknown {guideline!r} (encoded: {', '.join(self.guidelines)})"
            )
        if view not in VIEWS:
            problems.append(f"view: unknown {view!r} ({', '.join(VIEWS)})")
        if view == "explain" and regimen not in self.names:
            problems.append(f"regimen: unknown {regimen!r}")
        if not isinstance(data, dict):
            problems.append("patient: not a JSON object")
        if problems:
            raise PageRequestError(problems)
        try:
            patient = patient_from_data(data, aliases=self.aliases)
            html = self._render(patient, guideline, view, regimen)
        except (PatientError, InputConflictError) as error:
            return {"problems": [problem_of(p).as_json() for p in error.problems], "html": ""}
        return {"problems": [], "html": html, "view": view, "guideline": guideline}

    def _render(self, patient: Any, guideline: str, view: str, regimen: str | None) -> str:
        from hcc_asp.render import html
        from hcc_asp.render.context import context

        ctx = context(self.kb)
        if view == "compare":
            from hcc_asp.compare import compare

            return fragment(html.compare_page(compare(patient, (), self.kb), ctx))
        if view == "explain":
            from hcc_asp.explain import explain

            assert regimen is not None
            return fragment(html.explain_page(explain(patient, regimen, guideline, self.kb), ctx))
        from hcc_asp.recommend import recommend

        return fragment(html.recommend_page(recommend(patient, guideline, self.kb), ctx))

    def open_file(self, name: str, raw: bytes) -> dict[str, Any]:
        """Read an uploaded patient file or FHIR record: the patient as form data, or problems.

        Read by the commands' own readers with their bounds (size, depth, values); a FHIR record
        is dated today, and what could not be mapped comes back as notes for the clinician.
        """
        from hcc_asp.patient import MAX_BYTES, PatientError
        from hcc_asp.patient.file import parse_patient, syntax_of

        name = Path(name or "upload").name
        if len(raw) > MAX_BYTES:
            return {"problems": [{"key": "", "text": f"{name}: larger than {MAX_BYTES} bytes"}]}
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            return {"problems": [{"key": "", "text": f"{name}: not UTF-8 (byte {error.start})"}]}
        notes: list[str] = []
        try:
            if _looks_like_fhir(text):
                from hcc_asp.patient.fhir import patient_from_derivation, read_derivation

                derivation = read_derivation(name, None, dt.date.today(), text)
                patient = patient_from_derivation(derivation, self.aliases, "patient")
                notes = list(derivation.notes)
                kind = "FHIR record"
            else:
                patient = parse_patient(text, "patient", self.aliases, syntax_of(name))
                kind = "patient file"
        except PatientError as error:
            return {"problems": [problem_of(p).as_json() for p in error.problems]}
        except ImportError:
            return {"problems": [{"key": "", "text": "reading FHIR needs the fhir extra"}]}
        return {"patient": patient_file_data(patient), "notes": notes, "kind": kind}

    def patient_file(self, data: Any) -> tuple[str, str] | dict[str, Any]:
        """The form's patient as a patient file (YAML): ``(file name, text)``, or its problems."""
        from hcc_asp.patient import PatientError, patient_from_data
        from hcc_asp.patient.write import patient_yaml

        try:
            patient = patient_from_data(data, aliases=self.aliases)
        except PatientError as error:
            return {"problems": [problem_of(p).as_json() for p in error.problems]}
        header = [
            "Patient file written by the hcc-asp page; absent keys are unknown.",
        ]
        text = patient_yaml(patient, patient.sources(), header, [])
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", patient.id).strip("-.") or "patient"
        return f"{stem}.yaml", text


def _looks_like_fhir(text: str) -> bool:
    if '"resourceType"' not in text:
        return False
    try:
        from hcc_asp.patient.fhir.read import looks_like_fhir
    except ImportError:  # nocoverage - the service extra brings the FHIR reader
        return True
    return looks_like_fhir(text)


def as_json(value: Any) -> str:
    """Compact JSON for the page (non-ASCII kept)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
