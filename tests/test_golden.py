"""Golden patients: each tests/golden/<case>.yaml against the statuses in <case>.expected.

A golden case is a complete patient file whose leading comment states the clinical point, and an
``.expected`` file next to it with one line per pinned regimen::

    asco-2020 <regimen> <status> [missing=<key>] [reason=<code>] [action=<code>] [caution=<code>]
        [coverage=<encoded|not_encoded>]

Every token after the status must appear in that regimen's entry of ``recommend`` (``missing``
among the missing keys, the others among the codes of reasons, actions and cautions).
``coverage`` pins the entry's coverage (kb/scope.lp); a ``not_recommended`` line without it means
the guideline's encoded verdict, so its coverage must be ``encoded``: "not encoded" is not "not
offered". A line
``asco-2020 note <code>`` pins a patient-level note instead; a line
``asco-2024 preference <first> [factor=<code>]`` pins the TKI ordering (``first`` is the drug
ordered first, ``tie``, or ``none`` when the question does not arise) and factors that hold.
Cases that show a suspected error of the knowledge base are listed in KNOWN_KB_ERRORS: they keep
the clinically correct expectation and are strict xfails until the KB is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from hcc_asp.patient import parse_patient
from hcc_asp.recommend import recommend

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(GOLDEN.glob("*.yaml"))
STATUSES = {"recommended", "conditional", "not_recommended", "contraindicated"}
ENTRY_FIELDS = {"reason": "reasons", "action": "actions", "caution": "cautions"}

#: Cases whose expectation is clinically right but which the KB currently gets wrong.
KNOWN_KB_ERRORS: dict[str, str] = {}


@dataclass
class Expectation:
    """One line of an .expected file."""

    line_number: int
    guideline: str
    regimen: str | None  # None for a patient-level note
    status: str | None = None
    tokens: list[tuple[str, str]] = field(default_factory=list)


def read_expected(path: Path) -> list[Expectation]:
    """Parse an .expected file; a malformed line fails the test (it is part of the case)."""
    expectations = []
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        words = raw.split()
        if not words or words[0].startswith("#"):
            continue
        assert len(words) >= 3, f"{path.name}:{number}: need '<guideline> <regimen> <status>'"
        guideline, subject, third, *rest = words
        if subject == "preference":
            assert all(t.startswith("factor=") for t in rest), f"{path.name}:{number}: {raw!r}"
            tokens = [("first", third)] + [("factor", t.partition("=")[2]) for t in rest]
            expectations.append(Expectation(number, guideline, None, "preference", tokens))
            continue
        if subject == "note":
            assert not rest, f"{path.name}:{number}: a note line is '<guideline> note <code>'"
            expectations.append(Expectation(number, guideline, None, None, [("note", third)]))
            continue
        assert third in STATUSES, f"{path.name}:{number}: unknown status {third!r}"
        tokens = []
        for token in rest:
            kind, sep, value = token.partition("=")
            assert sep and kind in {"missing", "coverage", *ENTRY_FIELDS}, (
                f"{path.name}:{number}: {token!r}"
            )
            tokens.append((kind, value))
        expectations.append(Expectation(number, guideline, subject, third, tokens))
    assert expectations, f"{path.name}: no expectations"
    return expectations


def case_params() -> list[Any]:
    """One pytest parameter per golden case, id = case name; known KB errors are strict xfails."""
    params = []
    for path in CASES:
        marks = []
        if path.stem in KNOWN_KB_ERRORS:
            marks.append(pytest.mark.xfail(reason=KNOWN_KB_ERRORS[path.stem], strict=True))
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


def test_every_golden_case_has_an_expected_file() -> None:
    assert CASES, "no golden cases found"
    for path in CASES:
        assert path.with_suffix(".expected").is_file(), f"{path.name} has no .expected file"
        assert path.read_text().startswith("#"), f"{path.name} must open with its clinical point"


@cache
def golden_document(case: Path, guideline: str) -> dict[str, Any]:
    """`recommend` for a golden case under one guideline (solved once per test session)."""
    return recommend(parse_patient(case.read_text(), default_id=case.stem), guideline)


@pytest.mark.parametrize("case", case_params())
def test_golden_case(case: Path) -> None:
    expectations = read_expected(case.with_suffix(".expected"))
    failures = []
    for expected in expectations:
        document = golden_document(case, expected.guideline)
        where = f"line {expected.line_number}"
        if expected.status == "preference":
            failures.extend(_preference_failures(document["preference"], expected, where))
            continue
        if expected.regimen is None:
            notes = [note["code"] for note in document["notes"]]
            code = expected.tokens[0][1]
            if code not in notes:
                failures.append(f"{where}: note {code} not among {notes}")
            continue
        entries = [e for e in document["regimens"] if e["regimen"] == expected.regimen]
        if len(entries) != 1:
            failures.append(f"{where}: {expected.regimen} listed {len(entries)} times")
            continue
        entry = entries[0]
        if entry["status"] != expected.status:
            failures.append(
                f"{where}: {expected.regimen} is {entry['status']}, expected {expected.status} "
                f"(reasons {[r['code'] for r in entry['reasons']]}, missing {entry['missing']}, "
                f"actions {[a['code'] for a in entry['actions']]})"
            )
        coverage = dict(expected.tokens).get(
            "coverage", "encoded" if expected.status == "not_recommended" else None
        )
        if coverage is not None and entry["coverage"] != coverage:
            failures.append(
                f"{where}: {expected.regimen} coverage is {entry['coverage']}, expected {coverage}"
            )
        for kind, value in expected.tokens:
            if kind == "coverage":
                continue
            found = (
                entry["missing"]
                if kind == "missing"
                else [item["code"] for item in entry[ENTRY_FIELDS[kind]]]
            )
            if value not in found:
                failures.append(f"{where}: {expected.regimen} {kind} {value} not among {found}")
    assert not failures, "\n".join(failures)


def _preference_failures(
    preference: dict[str, Any] | None, expected: Expectation, where: str
) -> list[str]:
    """Compare the `preference` block with a ``preference`` line."""
    first = expected.tokens[0][1]
    if preference is None:
        return [] if first == "none" else [f"{where}: no preference block, expected {first}"]
    got = "tie" if preference["tie"] else preference["order"][0]
    failures = [] if got == first else [f"{where}: preference {got}, expected {first}"]
    holding = [f["code"] for f in preference["factors"]]
    for _, code in expected.tokens[1:]:
        if code not in holding:
            failures.append(f"{where}: factor {code} not among {holding}")
    return failures
