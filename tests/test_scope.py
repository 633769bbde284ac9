"""Not encoded is not "not offered" (issue 9, point 11; kb/scope.lp).

Every edition declares what it encodes (line of therapy, Child-Pugh class, ECOG) and what it does
not. Outside that scope `recommend` marks the regimens it does not offer (``coverage``:
``not_encoded``) with a note, `compare` shows a cell of its own, and `check --guideline all`
reports a difference with such an edition as ``coverage``, never as ``disagreement``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import clingo
import pytest
import yaml

from hcc_asp.compare import compare
from hcc_asp.knowledge import shipped
from hcc_asp.patient import parse_patient, patient_from_data
from hcc_asp.recommend import recommend
from hcc_asp.render import compare_text, recommend_text

GOLDEN = Path(__file__).parent / "golden"
#: Second line after tolerated sorafenib, Child-Pugh A5, ECOG 1: ESMO 2025 encodes first line only.
SECOND_LINE = GOLDEN / "esmo-2025-second-line-after-sorafenib-not-encoded.yaml"
#: The same patient at first line: inside ESMO 2025's encoded scope.
FIRST_LINE = GOLDEN / "esmo-2025-first-line-lenvatinib-just-misses-encoded.yaml"
DIMENSIONS = {"line": {1, 2, 3, 4}, "child_pugh": {"a", "b", "c"}, "ecog": {0, 1, 2, 3, 4}}


def patient(path: Path):
    return parse_patient(path.read_text(), default_id=path.stem)


def _value(symbol: clingo.Symbol) -> object:
    return symbol.number if symbol.type == clingo.SymbolType.Number else symbol.name


@pytest.fixture(scope="module")
def declared() -> dict[str, object]:
    """The scope facts of the shipped KB (no patient): scope/4, scope_only/4, scope_note/4, ..."""
    control = clingo.Control(["--warn=none"])
    control.load(str(shipped().folder / "hcc.lp"))
    control.ground([("base", [])])
    found: dict[str, object] = {"scope": {}, "only": set(), "except": set(), "note": {}}
    texts: set[str] = set()
    guidelines: set[str] = set()
    with control.solve(yield_=True) as handle:
        for model in handle:
            for atom in model.symbols(atoms=True):
                args = atom.arguments
                if atom.match("scope", 4):
                    key = (args[0].name, args[1].name, _value(args[2]))
                    found["scope"].setdefault(key, set()).add(args[3].name)  # type: ignore[union-attr]
                elif atom.match("scope_only", 4):
                    found["only"].add((args[0].name, args[1].name, _value(args[2])))  # type: ignore[union-attr]
                elif atom.match("scope_except", 4):
                    found["except"].add((args[0].name, args[1].name, _value(args[2])))  # type: ignore[union-attr]
                elif atom.match("scope_note", 4):
                    key = (args[0].name, args[1].name, _value(args[2]))
                    found["note"].setdefault(key, set()).add(args[3].name)  # type: ignore[union-attr]
                elif atom.match("note_text", 2):
                    texts.add(args[0].name)
                elif atom.match("guideline", 4):
                    guidelines.add(args[0].name)
    found["texts"] = texts
    found["guidelines"] = guidelines
    return found


def test_every_edition_declares_its_scope_on_every_dimension(declared):
    """Line 1-4, Child-Pugh A-C and ECOG 0-4, each once, for every shipped edition."""
    scope = declared["scope"]
    for g in sorted(declared["guidelines"]):
        for dimension, values in DIMENSIONS.items():
            for value in sorted(values, key=str):
                coverage = scope.get((g, dimension, value))
                assert coverage, f"{g} declares no scope for {dimension} {value}"
                assert len(coverage) == 1, f"{g} {dimension} {value}: {sorted(coverage)}"


def test_every_scope_outside_the_encoding_has_its_note_and_partial_its_regimens(declared):
    for (g, dimension, value), coverage in declared["scope"].items():
        (kind,) = coverage
        assert kind in {"encoded", "no_recommendation", "partial", "not_encoded"}, kind
        key = (g, dimension, value)
        if kind != "encoded":
            codes = declared["note"].get(key)
            assert codes, f"{g} {dimension} {value} is {kind} but has no scope_note"
            assert codes <= declared["texts"], f"{g} {dimension} {value}: no note_text for {codes}"
        if kind == "partial":
            assert (key in declared["only"]) != (key in declared["except"]), (
                f"{g} {dimension} {value} is partial: list scope_only or scope_except (one)"
            )


def test_recommend_marks_not_encoded_regimens_and_says_so_in_a_note():
    document = recommend(patient(SECOND_LINE), "esmo-2025")
    assert document["regimens"], "esmo-2025 mentions regimens"
    for entry in document["regimens"]:
        # Nothing is offered at second line, and none of it is ESMO 2025's verdict.
        assert entry["status"] == "not_recommended", entry["regimen"]
        assert entry["coverage"] == "not_encoded", entry["regimen"]
    codes = [note["code"] for note in document["notes"]]
    assert "esmo2025_later_lines_not_encoded" in codes
    assert "nothing_offered" not in codes  # not "the guideline offers nothing"
    text = recommend_text(document)
    assert "Not encoded for this patient" in text and "NOT ENCODED here" in text
    assert "Not offered (0): none" in text


def test_recommend_inside_the_scope_keeps_the_guidelines_verdict():
    document = recommend(patient(FIRST_LINE), "esmo-2025")
    lenvatinib = next(e for e in document["regimens"] if e["regimen"] == "lenvatinib")
    assert (lenvatinib["status"], lenvatinib["coverage"]) == ("not_recommended", "encoded")
    assert all(e["coverage"] == "encoded" for e in document["regimens"])
    assert "Not encoded for this patient" not in recommend_text(document)


def test_an_unknown_line_may_be_outside_the_scope_and_is_never_read_as_a_verdict():
    data = yaml.safe_load(FIRST_LINE.read_text())
    data.pop("prior_therapies")
    document = recommend(patient_from_data(data, "unknown-line"), "esmo-2025")
    statuses = {e["regimen"]: (e["status"], e["coverage"]) for e in document["regimens"]}
    # Offered once the line is known; whatever ESMO 2025 does not offer is not its verdict.
    assert statuses["atezolizumab_bevacizumab"][0] == "conditional"
    assert all(
        coverage == "not_encoded"
        for status, coverage in statuses.values()
        if status == "not_recommended"
    )
    assert "scope_unknown" in [note["code"] for note in document["notes"]]


def test_compare_shows_a_distinct_not_encoded_cell_and_no_disagreement_from_it():
    document = compare(patient(SECOND_LINE))
    row = next(r for r in document["regimens"] if r["regimen"] == "regorafenib")
    cell = row["cells"]["esmo-2025"]
    assert (cell["status"], cell["coverage"]) == ("not_mentioned", "not_encoded")
    assert row["cells"]["bclc-2022"]["status"] == "recommended"
    # BCLC 2022 offers regorafenib; ESMO 2025 is silent only because it is not encoded here.
    assert "esmo-2025" not in row["explanation"].split("not encoded")[0]
    text = compare_text(document)
    lines = text.splitlines()
    # the matrix may come in two tables (the text width): the one whose header names ESMO 2025
    at = next(
        i for i, line in enumerate(lines) if line.startswith("REGIMEN") and "ESMO 2025" in line
    )
    header = lines[at]
    row_line = next(line for line in lines[at:] if line.startswith("regorafenib "))
    start = header.index("ESMO 2025")
    assert row_line[start:].split()[0] == "n/e"  # not "-" and not "no"
    assert "n/e = not encoded" in text.replace("\n  ", " ")
    # ESMO 2025's not-encoded "no" for atezolizumab + bevacizumab takes part in no disagreement.
    atezo = next(r for r in document["regimens"] if r["regimen"] == "atezolizumab_bevacizumab")
    assert atezo["cells"]["esmo-2025"]["coverage"] == "not_encoded"


def test_compare_html_shows_the_not_encoded_cell():
    pytest.importorskip("jinja2")
    from hcc_asp.render.html import compare_page

    page = compare_page(compare(patient(SECOND_LINE)))
    assert 'data-coverage="not_encoded"' in page
    assert '<span class="status status-not_encoded" aria-hidden="true">n/e</span>' in page


def test_check_reports_a_scope_difference_as_coverage_never_as_disagreement():
    from test_guidelines import checked_all

    findings = checked_all()["findings"]
    coverage = [f for f in findings if f["kind"] == "coverage"]
    assert coverage and all(f["severity"] == "info" for f in coverage)
    # BCLC 2022 offers regorafenib after sorafenib; ESMO 2025 encodes no second line.
    assert any(
        f["guideline"] == "bclc-2022"
        and f["regimens"] == ["regorafenib"]
        and "esmo-2025 is not encoded" in f["text"]
        for f in coverage
    )
    disagreements = [f for f in findings if f["kind"] == "disagreement"]
    assert not any(
        f["guideline"] == "bclc-2022"
        and f["regimens"] == ["regorafenib"]
        and "esmo-2025" in f["text"]
        for f in disagreements
    )


def test_every_disagreement_is_between_two_encoded_statements():
    """Each disagreement's witness is encoded under the guideline that does not offer."""
    from test_guidelines import checked_all

    disagreements = [f for f in checked_all()["findings"] if f["kind"] == "disagreement"]
    assert disagreements
    for finding in disagreements:
        other = finding["text"].split(" for whom ", 1)[1].split()[0]
        (regimen,) = finding["regimens"]
        witness = patient_from_data(finding["witness"], "witness")
        document = compare(witness, [finding["guideline"], other], include_drafts=True)
        row = next(r for r in document["regimens"] if r["regimen"] == regimen)
        assert row["cells"][other]["coverage"] == "encoded", (other, finding["text"])


def test_why_not_says_first_that_the_edition_is_not_encoded_there():
    from hcc_asp.explain import explain

    document = explain(patient(SECOND_LINE), "atezolizumab_bevacizumab", "esmo-2025", None, False)
    assert document["status"] == "not_recommended"
    assert document["coverage"] == "not_encoded"
    assert document["notes"][0]["code"] == "not_encoded"
    inside = explain(patient(FIRST_LINE), "lenvatinib", "esmo-2025", None, False)
    assert "coverage" not in inside and "notes" not in inside


def test_check_warns_about_an_edition_that_does_not_declare_its_scope(tmp_path):
    from test_authoring import DEMO_FILE, guide_block, kb_copy, run

    copy = kb_copy(tmp_path, {DEMO_FILE: guide_block("kb/guidelines/demo-2026.lp")}, ("nccn-2021",))
    result = run("check", "-g", "demo-2026", "--kb", str(copy), "--format", "json")
    assert result.exit_code == 0, result.output
    scope = [f for f in json.loads(result.output)["findings"] if f["kind"] == "scope"]
    assert sorted(f["text"].split(" of ")[1].split()[0] for f in scope) == [
        "child_pugh",
        "ecog",
        "line",
    ]
    assert {f["severity"] for f in scope} == {"warning"}
    shipped = run("check", "-g", "nccn-2021", "--kb", str(copy), "--format", "json")
    assert not [f for f in json.loads(shipped.output)["findings"] if f["kind"] == "scope"]


def test_every_coverage_witness_reproduces_its_finding():
    """A sample of coverage findings: the witness is offered by one, not encoded by the other."""
    from test_guidelines import checked_all

    coverage = [f for f in checked_all()["findings"] if f["kind"] == "coverage"]
    for finding in coverage[::8]:
        (regimen,) = finding["regimens"]
        text = finding["text"]
        if text.startswith("At line"):
            offering, gap = re.search(
                r", (\S+) offers .* where (\S+) is not encoded", text
            ).groups()
        else:
            offering = finding["guideline"]
            gap = re.search(r"for whom (\S+) is not encoded", text).group(1)
        witness = patient_from_data(finding["witness"], "witness")
        document = compare(witness, [offering, gap], include_drafts=True)
        row = next(r for r in document["regimens"] if r["regimen"] == regimen)
        assert row["cells"][offering]["status"] in ("recommended", "conditional"), text
        assert row["cells"][gap]["coverage"] == "not_encoded", text
