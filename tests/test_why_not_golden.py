"""`why-not` on every golden case: the same JSON, byte for byte, as before it was made fast.

Explanations were sped up (the model indexed once, facts unshadowed, one projection per
predicate, the program read from the per-KB cache); none of that may change a word. For every
golden case this asks why-not for its first pinned regimen that is not recommended (the question a
clinician asks), with counterfactuals, and compares the digest of the JSON with the one pinned in
``why-not.expected`` (taken from the code before the change; all 711 recommend and why-not
documents of the golden cases were compared in full when it was made). When the KB or the
explanation changes on purpose, regenerate the file and review the cases that moved::

    python tests/test_why_not_golden.py
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from hcc_asp.explain import explain
from hcc_asp.patient import parse_patient
from hcc_asp.render import to_json

GOLDEN = Path(__file__).parent / "golden"
EXPECTED = Path(__file__).with_name("why-not.expected")


def why_not_question(case: Path) -> tuple[str, str] | None:
    """The case's first pinned (guideline, regimen) whose pinned status is not recommended."""
    for raw in case.with_suffix(".expected").read_text().splitlines():
        words = raw.split()
        if len(words) < 3 or words[0].startswith("#") or words[1] in ("note", "preference"):
            continue
        if words[2] != "recommended":
            return words[0], words[1]
    return None


def digest(case: Path) -> str | None:
    question = why_not_question(case)
    if question is None:
        return None
    guideline, regimen = question
    patient = parse_patient(case.read_text(), default_id=case.stem)
    document = explain(patient, regimen, guideline)
    return f"{guideline} {regimen} " + hashlib.sha256(to_json(document).encode()).hexdigest()[:16]


def pinned() -> dict[str, str]:
    rows = (row.split(" ", 1) for row in EXPECTED.read_text().splitlines() if row.strip())
    return {case: rest for case, rest in rows}


@pytest.mark.parametrize("case", sorted(pinned()))
def test_why_not_json_is_unchanged(case: str):
    assert digest(GOLDEN / f"{case}.yaml") == pinned()[case]


def test_every_golden_case_with_a_why_not_question_is_pinned():
    cases = {p.stem for p in GOLDEN.glob("*.yaml") if why_not_question(p) is not None}
    assert cases == set(pinned())


if __name__ == "__main__":
    rows = []
    for path in sorted(GOLDEN.glob("*.yaml")):
        found = digest(path)
        if found is not None:
            rows.append(f"{path.stem} {found}")
    EXPECTED.write_text("\n".join(rows) + "\n")
    sys.exit(0)
